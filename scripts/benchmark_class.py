"""Benchmark: the explorer in real browsers — one user, and a class of simultaneous users.

Starts `streamlit run streamlit_app.py` on a free port and drives Debian's
Chromium with Playwright (headless, one browser, one context per user). For each
number of users it opens the Compare view in every session at once (time to
the first heatmaps), then each user changes the sentence ``--changes`` times;
a change is timed from pressing Enter until every chosen model's heatmap shows
the new sentence; then each user types those sentences again (decodes the server has cached: what is left
is the page run and the drawing). Prints p50/p95 per change in seconds, and the failed pages
(a timeout, or a "failed" message on the page). Then each user presses the heatmap toolbar's
*Paper style* ``--toggles`` times, a drawing-only control: timed in the page from the click until every
heatmap of the page is redrawn and painted (two animation frames), no server run involved.

By default every user types sentences nobody else typed (no cache hits: the
worst case); ``--same`` makes the whole class type the teacher's sentences in
the same order (what a lecture looks like; the server's cache serves all but
the first). The browser runs on the same machine as the server, so with many
users Chromium's own rendering competes with the server for the cores.

    python scripts/benchmark_class.py --users 1 10 30 [--changes 5] [--same]

``--server-only`` leaves the browser out: N sessions at once over Streamlit's own websocket protocol
(``protocol_sessions.py``), each opening Compare with a sentence nobody else typed, timed until the server
says the script finished, with the server's CPU per page (user + system, from /proc); first the cold start (a new server, from its health check answering to its first
complete page). ``--ping S`` makes each session ping every S seconds, as a browser's client does, and drop
when a ping is not answered in S seconds.

    python scripts/benchmark_class.py --server-only --users 1 10 30 [--ping 20]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a plain script from anywhere
from scripts.protocol_sessions import open_pages  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu"]
SUBJECTS = [
    "cat",
    "dog",
    "bird",
    "horse",
    "fish",
    "teacher",
    "doctor",
    "girl",
    "boy",
    "farmer",
    "singer",
    "baker",
    "child",
    "pilot",
    "student",
    "painter",
    "writer",
    "driver",
    "nurse",
    "king",
]
PLACES = [
    "garden",
    "kitchen",
    "station",
    "school",
    "forest",
    "river",
    "market",
    "church",
    "library",
    "beach",
    "office",
    "village",
    "museum",
    "hospital",
    "theatre",
    "harbour",
    "bakery",
    "castle",
    "bridge",
    "park",
]


def sentence(user: int, change: int, same: bool) -> tuple[str, str]:
    """(sentence, a word of it that shows the page has drawn it): distinct per user unless ``same``."""
    k = change if same else user * 101 + change
    subject, place = SUBJECTS[k % len(SUBJECTS)], PLACES[(k // len(SUBJECTS)) % len(PLACES)]
    return f"The old {subject} is waiting near the {place} today.", subject  # consecutive subjects differ


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of processes ``pids`` (s), from /proc."""
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server() -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(ROOT / "streamlit_app.py"),
            "--server.port",
            str(port),
            "--server.headless",
            "true",
            "--browser.gatherUsageStats",
            "false",
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(180):
        try:
            if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok":
                return proc, url
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise SystemExit("streamlit did not start within 90 s")


# every heatmap element drawn for the new sentence: its canvas's aria-label names its words
DRAWN = """([word, count]) => {
    const maps = Array.from(document.querySelectorAll('.attnviz-heatmap canvas[data-drawn]'));
    return maps.length === count && maps.every(c => (c.getAttribute('aria-label') || '').split(/[\\s:;()]+/).includes(word));
}"""


# one press of the toolbar's Paper style: seconds from the click until every heatmap is redrawn and painted
TOGGLE = """async () => {
    const button = document.querySelector('.attnviz-toolbar button[data-control="paper"]');
    const maps = Array.from(document.querySelectorAll('.attnviz-heatmap canvas[data-drawn]'));
    const before = maps.map(c => c.dataset.drawn);
    const start = performance.now();
    button.click();
    await new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)));
    return maps.every((c, k) => c.dataset.drawn !== before[k]) ? (performance.now() - start) / 1000 : null;
}"""


async def user(
    browser, url: str, index: int, models: int, changes: int, same: bool, timeout_ms: int, toggles: int = 0
) -> dict:
    """One student: open the page, change the sentence ``changes`` times, type those sentences again, press the
    toolbar ``toggles`` times. Returns timings (s) and failures."""
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    result = {"open": None, "changes": [], "again": [], "served_new": [], "served": [], "toggles": [], "failed": 0}
    frames = []  # when each websocket message from the server arrived (perf_counter)
    page.on("websocket", lambda socket: socket.on("framereceived", lambda _: frames.append(time.perf_counter())))
    first, word = sentence(index, 0, same)
    start = time.perf_counter()
    try:
        await page.goto(f"{url}/?s={urllib.request.quote(first)}", timeout=timeout_ms)
        await page.wait_for_function(DRAWN, arg=[word, models], timeout=timeout_ms)
        result["open"] = time.perf_counter() - start
        box = page.get_by_role("textbox", name="English sentence")
        # new sentences, then the same ones typed again (each decode now in the server's cache)
        for key, change in [("changes", c) for c in range(1, changes + 1)] + [("again", c) for c in range(changes)]:
            text, word = sentence(index, change, same)
            await box.fill(text)
            start = time.perf_counter()
            await box.press("Enter")
            await page.wait_for_function(DRAWN, arg=[word, models], timeout=timeout_ms, polling=20)
            drawn = time.perf_counter()
            result[key].append(drawn - start)
            # the server's part: until its last message before the page showed the sentence
            served = max((t for t in frames if start <= t <= drawn), default=start) - start
            result["served_new" if key == "changes" else "served"].append(served)
        for _ in range(toggles):
            seconds = await page.evaluate(TOGGLE)
            if seconds is None:
                raise RuntimeError("a heatmap was not redrawn by the toolbar")
            result["toggles"].append(seconds)
        if "failed" in await page.inner_text("body"):
            result["failed"] += 1
    except Exception as err:  # a timeout or a crashed page counts as a failed page; the run goes on
        result["failed"] += 1
        result["error"] = f"{type(err).__name__}: {str(err).splitlines()[0][:120]}"
    await context.close()
    return result


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def run(url: str, users: int, models: int, changes: int, same: bool, timeout_ms: int, toggles: int) -> None:
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        results = await asyncio.gather(
            *(user(browser, url, k, models, changes, same, timeout_ms, toggles) for k in range(users))
        )
        await browser.close()
    opens = [r["open"] for r in results if r["open"] is not None]
    times = [t for r in results for t in r["changes"]]
    failed = sum(r["failed"] for r in results)
    line = f"{users:3d} users: "
    if opens:
        line += f"first page p50 {statistics.median(opens):5.2f} s, max {max(opens):5.2f} s; "
    if times:
        served = statistics.median(t for r in results for t in r["served_new"])
        line += (
            f"sentence change p50 {statistics.median(times):5.2f} s, p95 {percentile(times, 0.95):5.2f} s "
            f"({len(times)} changes; the server's last message after {served:4.2f} s); "
        )
    again = [t for r in results for t in r["again"]]
    if again:
        served = statistics.median(t for r in results for t in r["served"])
        line += (
            f"a sentence typed before p50 {statistics.median(again):5.2f} s, p95 {percentile(again, 0.95):5.2f} s "
            f"(the server's last message after {served:4.2f} s); "
        )
    toggled = [t for r in results for t in r["toggles"]]
    if toggled:
        line += f"drawing-only control p50 {1000 * statistics.median(toggled):4.0f} ms ({len(toggled)} presses); "
    print(line + f"failed pages {failed}", flush=True)
    for r in results:
        if "error" in r:
            print(f"      {r['error']}")


def server_only(users: list[int], models: int, timeout: float, ping: float | None) -> None:
    """Cold start, then ``users`` sessions at once per round, each with its own new sentence."""
    start = time.perf_counter()
    proc, url = start_server()
    healthy = time.perf_counter()
    try:
        first = asyncio.run(open_pages(url, [{"s": sentence(9999, 0, False)[0]}], timeout))[0]
        print(
            f"cold start: health check after {healthy - start:.1f} s, first complete page {first.seconds or float('nan'):.2f} s "
            f"later ({first.charts} heatmaps, {first.bytes / 1e3:.0f} kB)",
            flush=True,
        )
        for round_number, count in enumerate(users, 1):
            queries = [{"s": sentence(round_number * 1000 + k, 1, False)[0]} for k in range(count)]
            cpu = cpu_seconds([proc.pid])
            runs = asyncio.run(open_pages(url, queries, timeout, ping_interval=ping))
            cpu = cpu_seconds([proc.pid]) - cpu
            done = [r.seconds for r in runs if r.finished and r.charts == models and not r.problems]
            failed = len(runs) - len(done)
            line = f"{count:3d} sessions at once: "
            if done:
                line += (
                    f"page p50 {statistics.median(done):5.2f} s, p95 {percentile(done, 0.95):5.2f} s, "
                    f"max {max(done):5.2f} s; {statistics.median(r.bytes for r in runs) / 1e3:.0f} kB per page; "
                    f"server CPU {cpu / count:4.2f} s per page; "
                )
            print(line + f"failed {failed}", flush=True)
            for r in runs:
                if r.problems:
                    print(f"      {r.problems[0]}")
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, nargs="+", default=[1, 10, 30])
    parser.add_argument("--changes", type=int, default=5, help="sentence changes per user")
    parser.add_argument("--same", action="store_true", help="every user types the same sentences")
    parser.add_argument("--toggles", type=int, default=12, help="presses of the heatmaps' Paper style per user")
    parser.add_argument("--timeout", type=float, default=120, help="seconds before a page counts as failed")
    parser.add_argument("--server-only", action="store_true", help="no browser: sessions over the websocket protocol")
    parser.add_argument("--ping", type=float, help="--server-only: websocket ping interval and timeout (s)")
    args = parser.parse_args()
    from attnviz.inference.catalog import default_selection, discover

    entries = discover()
    pair = [e.name for e in entries if e.info and e.info.pair_name == "en-fr" and e.info.maps]
    models = len(default_selection(pair, entries))  # the heatmaps Compare opens with
    cpu = next(
        (line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")),
        platform.processor(),
    )
    print(
        f"machine: {cpu}, {os.cpu_count()} cores; {models} models on the Compare view; "
        f"{'the same sentences for all' if args.same else 'different sentences per user'}"
    )
    if args.server_only:
        server_only(args.users, models, args.timeout, args.ping)
        return
    proc, url = start_server()
    try:
        for users in args.users:
            asyncio.run(run(url, users, models, args.changes, args.same, int(args.timeout * 1000), args.toggles))
    finally:
        proc.terminate()
        proc.wait(timeout=20)


if __name__ == "__main__":
    main()
