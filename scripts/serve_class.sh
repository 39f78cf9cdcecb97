#!/usr/bin/env bash
# A class on several cores: N `streamlit run` replicas behind nginx (Debian's package), one address.
#
#   scripts/serve_class.sh N [PORT]       # then open http://<this machine>:PORT (default 8500)
#
# nginx forwards the websocket upgrade and keeps each browser on one replica (a Streamlit session lives in
# its replica's memory): it hashes a cookie of its own, attnviz_route, which it sets on a browser's first
# request and which nothing changes afterwards (Streamlit's _streamlit_xsrf cookie is set anew on every
# health check, which a browser makes before each reconnect). A replica that does not answer is skipped:
# its browsers reconnect to another, where the class (in the database) goes on. The replicas share one
# cookie secret, so Streamlit's own cookies are valid on each of them. Each replica's PID is in
# FILES/replica-K.pid.
# Per process (not shared between replicas): loaded models, decoded sentences, eflomal's links — each
# replica decodes a sentence once. Each replica is warmed with one page before nginx starts. Logs and nginx's files go to a temporary folder printed at start;
# Ctrl-C stops everything. Needs nginx on PATH (apt-get install nginx) and the project's Python.
set -euo pipefail
replicas="${1:-2}"
port="${2:-8500}"
root="$(cd "$(dirname "$0")/.." && pwd)"
python="${PYTHON:-python3}"
nginx="$(command -v nginx || echo /usr/sbin/nginx)"
run="$(mktemp -d -t attnviz-class-XXXXXX)"
chmod 755 "$run"
mkdir -m 777 -p "$run/tmp"
secret="$("$python" -c 'import secrets; print(secrets.token_hex(16))')"

pids=()
stop() {
  [ -f "$run/nginx.pid" ] && kill "$(cat "$run/nginx.pid")" 2>/dev/null || true
  kill "${pids[@]}" 2>/dev/null || true
  wait 2>/dev/null || true
}
trap stop EXIT INT TERM

servers=""
for k in $(seq 1 "$replicas"); do
  replica_port=$((port + k))
  STREAMLIT_SERVER_COOKIE_SECRET="$secret" "$python" -m streamlit run "$root/streamlit_app.py" \
    --server.port "$replica_port" --server.address 127.0.0.1 >"$run/replica-$k.log" 2>&1 &
  pids+=("$!")
  echo "$!" >"$run/replica-$k.pid"
  servers="$servers    server 127.0.0.1:$replica_port max_fails=1 fail_timeout=30s;
"
done

cat >"$run/nginx.conf" <<EOF
worker_processes 1;
pid $run/nginx.pid;
error_log $run/error.log;
events { worker_connections 1024; }
http {
  log_format replica '\$attnviz_route \$upstream_addr \$status "\$request"';
  access_log $run/access.log replica;
  client_body_temp_path $run/tmp/body;
  proxy_temp_path $run/tmp/proxy;
  fastcgi_temp_path $run/tmp/fastcgi;
  uwsgi_temp_path $run/tmp/uwsgi;
  scgi_temp_path $run/tmp/scgi;
  map \$http_upgrade \$connection_upgrade { default upgrade; '' close; }
  # a browser's route: its attnviz_route cookie, or on its first request a new random one, set below
  map \$cookie_attnviz_route \$attnviz_route { "" \$request_id; default \$cookie_attnviz_route; }
  map \$cookie_attnviz_route \$route_cookie { "" "attnviz_route=\$request_id; Path=/; HttpOnly; SameSite=Lax"; default ""; }
  upstream attnviz {
    hash \$attnviz_route consistent;
$servers  }
  server {
    listen $port;
    location / {
      proxy_pass http://attnviz;
      proxy_next_upstream error timeout http_502 http_503;
      add_header Set-Cookie \$route_cookie always;
      proxy_http_version 1.1;
      proxy_set_header Upgrade \$http_upgrade;
      proxy_set_header Connection \$connection_upgrade;
      proxy_set_header Host \$host;
      proxy_read_timeout 1d;
      proxy_buffering off;
    }
  }
}
EOF

for k in $(seq 1 "$replicas"); do
  until "$python" -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)' \
      "http://127.0.0.1:$((port + k))/_stcore/health" >/dev/null 2>&1; do
    kill -0 "${pids[$((k - 1))]}" 2>/dev/null || { echo "replica $k failed: $run/replica-$k.log" >&2; exit 1; }
    sleep 0.5
  done
done
# warm each replica (imports, the default models, eflomal's priors) before the class arrives
for k in $(seq 1 "$replicas"); do
  "$python" "$root/scripts/protocol_sessions.py" "http://127.0.0.1:$((port + k))" >>"$run/warm.log" 2>&1 || true
done
"$nginx" -e "$run/error.log" -p "$run" -c "$run/nginx.conf" -g 'daemon off;' &
nginx_pid="$!"
pids+=("$nginx_pid")
echo "attnviz: $replicas replicas behind nginx at http://127.0.0.1:$port (files in $run)"
# a replica that dies does not end the class: nginx sends its browsers to the others
wait "$nginx_pid"
