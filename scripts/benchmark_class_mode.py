"""Benchmark: class mode with a class of simulated students, browserless, over Streamlit's websocket protocol.

Starts `streamlit run streamlit_app.py` on a free port with a new class database (a SQLite file, or
``--database URL``). A teacher session opens the Quiz, starts a class on the Class view and asks
``--slides`` questions one after another (its *Next word* button: each question is a new slide of the
class); ``--students`` student sessions open the class's link and keep their page open, their fragment
timers polling as a browser's would. On each slide every student waits until its page shows the new
question, then sends a guess (pills + *Send my answer*, the widgets a student clicks). Printed per slide
and overall (medians and maxima, s):

- follow: from the teacher's click until a student's page shows the new question (the first slide, shown
  as the students join, is not counted), p50 / p95 / max, and the server's CPU from the click until every
  page showed it (the work that queues up behind the click: the teacher's run, the polls, the students'
  page runs, and the answers of those who already see it);
- answers on the teacher's page: from the last student's answer being sent (its page confirmed it) until
  the teacher's page says that every answer is in (its panel polls the database every second), and from
  the teacher's click;
- server CPU (user + system of the `streamlit` process) per student per minute of class.

    python scripts/benchmark_class_mode.py --students 30 --slides 10 [--database postgresql+psycopg://…]
    python scripts/benchmark_class_mode.py --replicas 2      # two `streamlit run` behind nginx (serve_class.sh)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a plain script from anywhere
from scripts.benchmark_class import cpu_seconds, free_port, start_server  # noqa: E402
from scripts.protocol_sessions import LiveSession  # noqa: E402

SENTENCE = "The agreement on the European economic area was signed in August 1992 by the ministers."
MODEL = "en-fr-additive"
WORDS = SENTENCE.rstrip(".").split()  # the source words a student may pick (the pills' labels)


def start_replicas(count: int) -> tuple[subprocess.Popen, str, list[int]]:
    """``scripts/serve_class.sh count PORT``: (its process, nginx's address, the replicas' pids)."""
    port = free_port()
    proc = subprocess.Popen(
        ["bash", str(ROOT / "scripts" / "serve_class.sh"), str(count), str(port)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHON": sys.executable},
        start_new_session=True,
    )
    line = proc.stdout.readline()  # printed once every replica answers
    if "replicas behind nginx" not in line:
        raise SystemExit(line + proc.stdout.read())
    replicas = [
        int(pid)
        for pid in subprocess.run(
            ["pgrep", "-P", str(proc.pid), "-f", "streamlit"], capture_output=True, text=True
        ).stdout.split()
    ]
    return proc, f"http://127.0.0.1:{port}", replicas


async def wait_for(condition, timeout: float) -> float:
    """Poll ``condition()`` every 20 ms; return the time (perf_counter) it first held. Raises TimeoutError."""
    deadline = time.perf_counter() + timeout
    while not condition():
        if time.perf_counter() > deadline:
            raise TimeoutError
        await asyncio.sleep(0.02)
    return time.perf_counter()


class LastShown:
    """Called as each student's page shows a slide; keeps the server's CPU (s) from its creation (the click)
    until the last page showed it."""

    def __init__(self, pids: list[int], students: int):
        self.pids, self.left, self.start, self.cpu = pids, students, cpu_seconds(pids), 0.0

    def __call__(self) -> None:
        self.left -= 1
        if not self.left:
            self.cpu = cpu_seconds(self.pids) - self.start


async def student_answers(
    student: LiveSession, step: int, rng: random.Random, timeout: float, on_shown=lambda: None
) -> tuple[float, float]:
    """Wait until the student's page shows question ``step`` (then call ``on_shown()``), then send a guess, as a
    student does at once while the others' pages still load.

    Returns:
        (when the page showed the question, when the page confirmed the answer) as perf_counter times.
    """
    shown = await wait_for(
        lambda: f"qstep={step}" in student.query_string and not student.running and "quiz_guess" in student.widgets,
        timeout,
    )
    on_shown()
    await student.rerun({"quiz_guess": [rng.choice(WORDS)]}, timeout=timeout)  # two clicks, as in a browser:
    await student.rerun({"class_send": True}, timeout=timeout)  # the Send button is enabled once a word is picked
    return shown, time.perf_counter()


async def run(url: str, students: int, slides: int, timeout: float, pids: list[int]) -> None:
    teacher = LiveSession(url, {"s": SENTENCE, "m": MODEL, "qm": MODEL}, cookie="_streamlit_xsrf=teacher")
    await teacher.open(timeout)
    await teacher.rerun(page="quiz", timeout=timeout)
    await teacher.rerun(page="class-mode", timeout=timeout)
    await teacher.rerun({"class_start": True}, timeout=timeout)
    code = re.search(r"Class \*\*([A-Z0-9]{6})\*\* is live", teacher.text()).group(1)
    class_ = [LiveSession(url, {"class": code}, cookie=f"_streamlit_xsrf=student-{k}") for k in range(students)]
    start = time.perf_counter()
    await asyncio.gather(*(s.open(timeout) for s in class_))
    print(f"class {code}: {students} students joined in {time.perf_counter() - start:.1f} s", flush=True)
    rng = random.Random(1)
    follows, follow_cpu, teacher_times, after_last = [], [], [], []
    cpu_start, wall_start = cpu_seconds(pids), time.perf_counter()
    for slide in range(slides):
        clicked = time.perf_counter()
        if slide:
            await teacher.rerun({"quiz_next": True}, timeout=timeout)
        last_shown = LastShown(pids, students)
        timings = await asyncio.gather(*(student_answers(s, slide, rng, timeout, last_shown) for s in class_))
        counted = await wait_for(lambda: f"Answers from the class so far: **{students}**" in teacher.text(), timeout)
        cpu_followed = last_shown.cpu
        slide_follows = [shown - clicked for shown, _ in timings]
        last_answer = max(sent for _, sent in timings)
        if slide:  # the first slide was on the pages as they joined: no click to follow
            follows += slide_follows
            follow_cpu.append(cpu_followed)
        teacher_times.append(counted - clicked)
        after_last.append(counted - last_answer)
        print(
            f"slide {slide + 1:2d}: follow p50 {statistics.median(slide_follows):4.2f} s, max {max(slide_follows):4.2f} s, "
            f"server CPU until all followed {cpu_followed:4.2f} s; the last answer sent {last_answer - clicked:4.2f} s "
            f"after the click, on the teacher's page {counted - last_answer:4.2f} s later",
            flush=True,
        )
    minutes = (time.perf_counter() - wall_start) / 60
    cpu = cpu_seconds(pids) - cpu_start
    if follows:
        p95 = statistics.quantiles(follows, n=20)[-1]
        print(
            f"follow: p50 {statistics.median(follows):.2f} s, p95 {p95:.2f} s, max {max(follows):.2f} s; server CPU "
            f"from a click until every page followed: median {statistics.median(follow_cpu):.2f} s "
            f"({statistics.median(follow_cpu) / students * 1000:.0f} ms per student)",
            flush=True,
        )
    print(
        f"overall: every answer on the "
        f"teacher's page p50 {statistics.median(after_last):.2f} s, max {max(after_last):.2f} s after the last was sent "
        f"({statistics.median(teacher_times):.2f} s, max {max(teacher_times):.2f} s after the click); "
        f"server CPU {cpu:.1f} s in {minutes:.1f} min = {cpu / students / minutes:.2f} CPU-s per student per minute",
        flush=True,
    )
    for session in (teacher, *class_):
        await session.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--slides", type=int, default=10, help="questions asked, one slide each (≤ 12)")
    parser.add_argument("--database", help="ATTNVIZ_DATABASE_URL for the class (default: a new SQLite file)")
    parser.add_argument("--timeout", type=float, default=120, help="seconds before a step counts as failed")
    parser.add_argument(
        "--replicas",
        type=int,
        default=1,
        help="servers behind nginx (scripts/serve_class.sh); 1: one `streamlit run`, no nginx",
    )
    args = parser.parse_args()
    os.environ["ATTNVIZ_DATABASE_URL"] = args.database or f"sqlite:///{tempfile.mkdtemp()}/classes.sqlite"
    cpu = next(
        (line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")),
        platform.processor(),
    )
    database = os.environ["ATTNVIZ_DATABASE_URL"].split(":", 1)[0]
    servers = "one server" if args.replicas == 1 else f"{args.replicas} replicas behind nginx"
    print(
        f"machine: {cpu}, {os.cpu_count()} cores; {servers}; {database}; {args.students} students; "
        f"{args.slides} quiz slides of {MODEL} on {SENTENCE!r}"
    )
    if args.replicas == 1:
        proc, url = start_server()
        pids = [proc.pid]
    else:
        proc, url, pids = start_replicas(args.replicas)
    try:
        asyncio.run(run(url, args.students, args.slides, args.timeout, pids))
    finally:
        if args.replicas == 1:
            proc.terminate()
        else:
            os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)


if __name__ == "__main__":
    main()
