#!/usr/bin/env bash
# A PostgreSQL server of its own (Debian's `postgresql` package) for class mode: the tests' second database,
# or a class shared by replicas on one machine. Data, socket and log live in DIR; it listens on 127.0.0.1:PORT.
#
#   scripts/postgres.sh start DIR [PORT]   # prints the ATTNVIZ_DATABASE_URL to use (user attnviz, no password:
#                                          # local connections only)
#   scripts/postgres.sh stop DIR
#
# Run as root it runs the server as the `postgres` user (PostgreSQL refuses to run as root).
set -euo pipefail
action="${1:?start or stop}"
dir="${2:?a folder for the data}"
port="${3:-5433}"
bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
if [ -z "$bin" ]; then
  echo "PostgreSQL is not installed (apt-get install postgresql)" >&2
  exit 1
fi
as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
case "$action" in
  start)
    mkdir -p "$dir"
    if [ "$(id -u)" = 0 ]; then chown postgres "$dir"; fi
    if [ ! -f "$dir/data/PG_VERSION" ]; then
      as_owner "$bin/initdb" -D "$dir/data" -U attnviz -A trust -E UTF8 >"$dir/initdb.log"
    fi
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-p $port -k $dir -c listen_addresses=127.0.0.1" start >/dev/null
    echo "postgresql+psycopg://attnviz@127.0.0.1:$port/postgres"
    ;;
  stop)
    as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
    ;;
  *)
    echo "usage: $0 start|stop DIR [PORT]" >&2
    exit 2
    ;;
esac
