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
    process = subprocess.Popen(
        ["bash", str(ROOT / "scripts" / "serve_class.sh"), "2", str(port)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHON": sys.executable},
        start_new_session=True,
    )
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
    cookies = [f"attnviz_route=student-{k}" for k in range(10)]
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


def replica_of(folder: str, route: str) -> str:
    """The upstream (127.0.0.1:PORT) that served the requests of the browser whose route cookie is ``route``;
    fails when they went to more than one."""
    upstreams = set()
    for line in open(os.path.join(folder, "access.log"), encoding="utf-8"):
        cookie, upstream, _ = line.split(" ", 2)
        if cookie == route and upstream != "-":
            upstreams.add(upstream.split(",")[-1].strip())
    assert len(upstreams) == 1, (route, upstreams)
    return upstreams.pop()


def test_a_class_through_nginx_stays_on_its_replica_and_a_replica_killed_loses_no_one(class_server):
    """Real Chromium pages through scripts/serve_class.sh 2: a page whose connection drops reconnects to the
    same replica; killing the student's replica sends the student to the other one, on the current slide,
    with the answer sent before (this test runs last in the module: it leaves one replica)."""
    from .test_class_browser import WAIT, answer_the_quiz, browsers, follows, start_class

    url, folder = class_server
    with browsers(3) as (teacher, student, dropped):
        sockets = []
        dropped.route_web_socket(
            re.compile(r".*/_stcore/stream"), lambda ws: (ws.connect_to_server(), sockets.append(ws))
        )
        code = start_class(teacher, url)
        for page in (student, dropped):
            page.goto(f"{url}/?class={code}", timeout=WAIT)
            follows(page, 1)
        route = next(c["value"] for c in dropped.context.cookies() if c["name"] == "attnviz_route")
        before = replica_of(folder, route)
        sockets[-1].close()  # the connection drops; Streamlit's page checks health, then reconnects
        deadline = time.time() + 60
        while len(sockets) < 2 and time.time() < deadline:
            dropped.wait_for_timeout(250)
        assert len(sockets) >= 2, "the page did not reconnect"
        teacher.get_by_role("button", name="Next ▶").click()
        follows(dropped, 2)  # the reconnected page still follows: its session lives on
        assert replica_of(folder, route) == before  # every request of the page, health check and reconnect included
        dropped.close()
        follows(student, 2)
        for number in (3, 4):
            teacher.get_by_role("button", name="Next ▶").click()
            follows(student, number)
        word = answer_the_quiz(student)
        first = replica_of(folder, next(c["value"] for c in student.context.cookies() if c["name"] == "attnviz_route"))

        replica = int(first.rsplit(":", 1)[1]) - int(url.rsplit(":", 1)[1])  # serve_class.sh: replica k on PORT + k
        with open(os.path.join(folder, f"replica-{replica}.pid"), encoding="utf-8") as pid:
            os.kill(int(pid.read()), signal.SIGKILL)
        # the page reconnects through nginx to the other replica: a new session there, the same student
        follows(student, 4)
        student.get_by_text(f"Your answer: {word}").wait_for(timeout=WAIT)
        teacher.reload(timeout=WAIT)  # on the killed replica too, the teacher's page is the teacher's again
        teacher.get_by_text(re.compile(rf"Class {code} is live")).wait_for(timeout=WAIT)
        teacher.get_by_text("slide 4 of").wait_for(timeout=WAIT)
        teacher.get_by_role("button", name="◀ Previous").click()
        follows(student, 3)
