"""Two replicas behind a real nginx (scripts/serve_class.sh): ten sessions over Streamlit's websocket protocol all
get complete pages, each reconnects once, and every connection of a session reaches the same replica."""

import asyncio
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request

import pytest

from scripts.protocol_sessions import open_pages

from .conftest import ROOT
from .test_app import SHOWN

pytestmark = pytest.mark.slow

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


@pytest.fixture(scope="module")
def class_server():
    if not os.path.exists(NGINX):
        if os.environ.get("CI"):
            pytest.fail(f"no nginx at {NGINX}: .ci/run should have installed it")
        pytest.skip("nginx is not installed (apt-get install nginx)")
    from .test_browser import free_port

    port = free_port()
    process = subprocess.Popen(["bash", str(ROOT / "scripts" / "serve_class.sh"), "2", str(port)], cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               env={**os.environ, "PYTHON": sys.executable}, start_new_session=True)
    line = process.stdout.readline()  # "attnviz: 2 replicas behind nginx at … (files in DIR)" once all are up
    folder = re.search(r"files in (\S+)\)", line)
    assert folder, line + process.stdout.read()
    url = f"http://127.0.0.1:{port}"
    for _ in range(60):
        try:
            urllib.request.urlopen(f"{url}/_stcore/health", timeout=2)
            break
        except OSError:
            time.sleep(0.5)
    yield url, folder.group(1)
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=30)


def test_ten_sessions_through_nginx_get_complete_pages_each_on_one_replica(class_server):
    url, folder = class_server
    cookies = [f"_streamlit_xsrf=student-{k}" for k in range(10)]
    queries = [{"s": f"The student number {k} reads a book."} for k in range(10)]
    for attempt in ("first", "reconnect"):  # a dropped connection comes back to its session's replica
        runs = asyncio.run(open_pages(url, queries, timeout=240, cookies=cookies))
        assert all(r.finished and r.charts == len(SHOWN) and not r.problems for r in runs), (attempt, runs)
    time.sleep(1)  # nginx writes a websocket's line when it closes
    upstreams = {}
    for line in open(os.path.join(folder, "access.log"), encoding="utf-8"):
        cookie, upstream, status, _ = line.split(" ", 3)
        if cookie.startswith("student-") and "/_stcore/stream" in line:
            assert status == "101", line
            upstreams.setdefault(cookie, []).append(upstream)
    assert sorted(upstreams) == sorted(c.split("=")[1] for c in cookies)
    assert all(len(found) == 2 and len(set(found)) == 1 for found in upstreams.values()), upstreams
    assert len({found[0] for found in upstreams.values()}) == 2, upstreams  # both replicas served the class
