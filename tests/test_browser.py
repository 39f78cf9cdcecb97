"""Real page loads: `streamlit run` on localhost, driven by Playwright in Debian's Chromium."""

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from attnviz.ui.navigation import view_pages

from .conftest import ROOT
from .test_app import ZOO_NAMES

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
ARTIFACTS = ROOT / "test-artifacts"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail(f"no Chromium at {CHROMIUM}: .ci/run should have installed it")
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "streamlit_app.py"), "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 90
    while time.time() < deadline:
        try:
            if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok":
                break
        except OSError:
            time.sleep(0.5)
    else:
        proc.kill()
        pytest.fail("streamlit did not start within 90 s")
    yield url
    proc.terminate()
    proc.wait(timeout=20)


def test_real_page_draws_heatmaps(server):
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1700, "height": 1300})
        page.goto(server, timeout=60_000)
        heatmaps = page.locator(".js-plotly-plot .heatmaplayer image")
        page.wait_for_function(
            f"document.querySelectorAll('.js-plotly-plot .heatmaplayer image').length >= {len(ZOO_NAMES)}",
            timeout=120_000,
        )
        box = page.get_by_role("textbox", name="English sentence")
        box.fill("I do not like apples.")
        box.press("Enter")
        # settled: every chart redrawn for the new sentence (during a rerun old and new charts coexist)
        page.wait_for_function(
            f"""() => {{
                const plots = document.querySelectorAll('.js-plotly-plot');
                const withApples = Array.from(plots).filter(p => Array.from(p.querySelectorAll('.xtick text'))
                    .some(t => t.textContent === 'apples'));
                return plots.length === {len(ZOO_NAMES)} && withApples.length === {len(ZOO_NAMES)};
            }}""",
            timeout=120_000,
        )
        page.wait_for_timeout(1000)  # let the last image layer paint before the screenshot
        page.screenshot(path=str(ARTIFACTS / "app.png"), full_page=True)
        assert heatmaps.count() == len(ZOO_NAMES)
        assert "ne" in page.inner_text("body") or "pas" in page.inner_text("body")
        browser.close()
    assert (ARTIFACTS / "app.png").stat().st_size > 10_000


# what each view draws for "I see her." with all models chosen: Plotly figures, and a text it must show
EXPECTED = {
    "Compare": (len(ZOO_NAMES), "Numbers"),
    "Soft vs hard": (2, "soft (softmax"),
    "Step by step": (1, "Plug in the numbers"),
    "What if": (2, "forced onto"),
    "Difference": (1, "Both models read"),
    "Training": (2 * len(ZOO_NAMES), "Demonstration sentence"),
    "About": (0, "Measured quality"),
}


def test_every_view_opens_from_its_url(server):
    from playwright.sync_api import sync_playwright

    views = view_pages()
    assert {v.title for v in views} == set(EXPECTED)  # a new view needs its line above
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1500, "height": 1100})
        for index, view in enumerate(views):
            figures, text = EXPECTED[view.title]
            path = "" if index == 0 else view.url_path  # the first view is the app's root page
            page.goto(f"{server}/{path}?s=I%20see%20her.", timeout=60_000)
            page.get_by_text(text).first.wait_for(timeout=120_000)
            page.wait_for_function(
                f"document.querySelectorAll('.js-plotly-plot').length >= {figures}", timeout=120_000
            )
            page.wait_for_timeout(500)
            body = page.inner_text("body")
            assert "failed" not in body and "Traceback" not in body, view.title
            page.screenshot(path=str(ARTIFACTS / f"view-{view.url_path}.png"), full_page=True)
        browser.close()
