"""Real page loads: `streamlit run` on localhost, driven by Playwright in Debian's Chromium."""

import contextlib
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from attnviz.inference.catalog import discover
from attnviz.ui.navigation import DEFAULT_VIEW, sections, view_pages

from .conftest import ROOT
from .test_app import SHOWN

pytestmark = pytest.mark.slow  # `pytest -m "not slow"` leaves it out of the quick loop

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = ROOT / "test-artifacts"


@contextlib.contextmanager
def browser_page(width: int, height: int):
    """A page of Debian's headless Chromium with a ``width`` × ``height`` viewport, closed afterwards."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            yield browser.new_page(viewport={"width": width, "height": height})
        finally:
            browser.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    with running_app() as url:
        yield url


def start_app(port: int, **environment) -> subprocess.Popen:
    """`streamlit run` on loopback ``port`` with ``environment`` added, once its health check answers."""
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail(f"no Chromium at {CHROMIUM}: .ci/run should have installed it")
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(ROOT / "streamlit_app.py"),
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--server.headless",
            "true",
            "--browser.gatherUsageStats",
            "false",
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, **environment},
    )
    deadline = time.time() + 90
    while time.time() < deadline:
        try:
            if urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2).read() == b"ok":
                return proc
        except OSError:
            time.sleep(0.5)
    proc.kill()
    pytest.fail("streamlit did not start within 90 s")


@contextlib.contextmanager
def running_app(**environment):
    """`streamlit run` on a free loopback port with ``environment`` added; yields its URL, stops it afterwards."""
    port = free_port()
    proc = start_app(port, **environment)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=20)


# figures on a page: Plotly charts and attnviz's heatmap elements (canvases drawn in the browser)
FIGURES = "document.querySelectorAll('.js-plotly-plot, .attnviz-heatmap canvas[data-drawn]').length"
HEATMAPS = ".attnviz-heatmap canvas[data-drawn]"
# every heatmap names the word in its aria-label (its text alternative lists its source and target words)
NAMING = """([word, count]) => {
    const maps = Array.from(document.querySelectorAll('.attnviz-heatmap canvas[data-drawn]'));
    return maps.length === count && maps.every(c => (c.getAttribute('aria-label') || '').split(/[\\s:;()]+/).includes(word));
}"""


def pixel(page, index: int, x: int, y: int) -> list[int]:
    """The RGBA of the canvas pixel (x, y) (CSS px) of the page's heatmap ``index``."""
    return page.evaluate(
        """([index, x, y]) => {
        const canvas = document.querySelectorAll('.attnviz-heatmap canvas[data-drawn]')[index];
        const ratio = canvas.width / canvas.getBoundingClientRect().width;
        return Array.from(canvas.getContext('2d').getImageData(x * ratio, y * ratio, 1, 1).data);
    }""",
        [index, x, y],
    )


def test_real_page_draws_heatmaps_with_hover_browser_only_controls_and_png(server, tmp_path):
    ARTIFACTS.mkdir(exist_ok=True)
    with browser_page(1700, 1300) as page:
        page.goto(server, timeout=60_000)
        page.wait_for_function(f"{FIGURES} >= {len(SHOWN)}", timeout=120_000)
        box = page.get_by_role("textbox", name="English sentence")
        box.fill("I do not like apples.")
        box.press("Enter")
        # settled: every heatmap redrawn for the new sentence (during a rerun old and new elements coexist)
        page.wait_for_function(NAMING, arg=["apples", len(SHOWN)], timeout=120_000)
        page.wait_for_timeout(1000)
        page.screenshot(path=str(ARTIFACTS / "app.png"), full_page=True)
        assert "ne" in page.inner_text("body") or "pas" in page.inner_text("body")
        first = page.locator(HEATMAPS).first
        label = first.get_attribute("aria-label")
        assert "source words (columns): i do not like apples . </s>" in label.lower() and "target words (rows)" in label

        # hover: the middle of the first row's last cell but one names the target word, the source word, the weight
        frame = first.bounding_box()
        page.mouse.move(frame["x"] + 1, frame["y"] + 1)
        hovered = None
        for fraction in (0.3, 0.4, 0.5):  # somewhere inside the cells
            page.mouse.move(frame["x"] + frame["width"] * fraction, frame["y"] + frame["height"] * 0.6)
            tip = page.locator(".attnviz-tooltip").first
            if tip.is_visible():
                hovered = tip.inner_text()
                break
        assert hovered and " ← " in hovered and re.search(r"α = [01]\.\d{3}", hovered), hovered
        target, source = hovered.split(": α")[0].split(" ← ")
        assert source in label and target in label

        # a drawing-only control: the whole page's heatmaps redraw in the browser, no message to the server
        sent = []
        page.on("websocket", lambda ws: ws.on("framesent", lambda frame: sent.append(frame)))
        before = [first.get_attribute("data-drawn"), pixel(page, 0, frame["width"] * 0.5, frame["height"] * 0.7)]
        streams_before = len(sent)
        page.locator(".attnviz-toolbar").first.get_by_role("button", name="Paper style").click()
        page.wait_for_function(
            "([n]) => document.querySelector('.attnviz-heatmap canvas[data-drawn]').dataset.drawn != n",
            arg=[before[0]],
            timeout=5_000,
        )
        after = pixel(page, 0, frame["width"] * 0.5, frame["height"] * 0.7)
        assert after != before[1] and after[0] == after[1] == after[2], (before, after)  # greyscale now
        last = page.locator(HEATMAPS).last.get_attribute("data-drawn")
        assert int(last) >= 2  # every heatmap of the page, not only the clicked one
        page.wait_for_timeout(500)
        assert len(sent) == streams_before  # no rerun asked of the server

        # PNG from the canvas
        with page.expect_download(timeout=30_000) as download:
            page.locator(".attnviz-toolbar").first.get_by_role("button", name="PNG").click()
        path = tmp_path / download.value.suggested_filename
        download.value.save_as(path)
        assert path.suffix == ".png" and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 2000
    assert (ARTIFACTS / "app.png").stat().st_size > 10_000


def test_head_choice_display_temperature_and_review_pooling_draw_in_the_browser(server):
    """Which head of a Transformer's record and a display temperature over the energies are drawing-only
    controls: the canvas changes and nothing is sent to the server. A review's attention pooling is running
    text whose words name their weight on hover."""
    transformer = next(
        e.name for e in discover() if e.info and e.info.family == "transformer" and e.info.pair_name == "en-fr"
    )
    with browser_page(1500, 1100) as page:
        page.goto(f"{server}/?s=The%20black%20cat%20is%20sleeping.&m={transformer}", timeout=60_000)
        page.wait_for_function(f"{FIGURES} >= 1", timeout=120_000)
        page.wait_for_timeout(500)
        canvas = page.locator(HEATMAPS).first
        frame = canvas.bounding_box()
        spot = (frame["width"] * 0.45, frame["height"] * 0.6)
        sent = []
        page.on("websocket", lambda ws: ws.on("framesent", lambda frame: sent.append(frame)))
        toolbar = page.locator(".attnviz-toolbar").first
        before = pixel(page, 0, *spot)
        toolbar.locator("select[data-control=head]").select_option("1.2")
        page.wait_for_function(
            "() => document.querySelector('.attnviz-heatmap canvas[data-drawn]').dataset.head == '1.2'", timeout=5_000
        )
        headed = pixel(page, 0, *spot)
        toolbar.locator("select[data-control=temperature]").select_option("4")
        page.wait_for_function(
            "() => document.querySelector('.attnviz-heatmap canvas[data-drawn]').dataset.temperature == '4'",
            timeout=5_000,
        )
        tempered = pixel(page, 0, *spot)
        page.wait_for_timeout(500)
        assert before != headed and headed != tempered, (before, headed, tempered)
        assert not sent  # no rerun asked of the server

        page.goto(f"{server}/reviews", timeout=60_000)
        page.wait_for_function(f"{FIGURES} >= 2", timeout=120_000)
        pooled = page.locator(HEATMAPS).first
        assert "source words (columns)" in pooled.get_attribute("aria-label")
        box = pooled.bounding_box()
        hovered = None
        for fraction in (0.2, 0.35, 0.5, 0.65):  # words of the running text's second and third lines
            page.mouse.move(box["x"] + box["width"] * fraction, box["y"] + 60)
            tip = page.locator(".attnviz-tooltip").first
            if tip.is_visible():
                hovered = tip.inner_text()
                break
        assert hovered and re.search(r"α = 0\.\d{3}", hovered), hovered


# what each view draws for "I see her." with all models chosen: Plotly figures, and a text it must show
EXPECTED = {
    "Why attention": (2, "source sentence length"),  # the BLEU-by-length figure's axis, and the context strips
    "Context vectors": (1, "A new context vector for every word"),
    "Compare": (len(SHOWN), "Numbers"),
    "Soft vs hard": (2, "Trained as × decoded as"),
    "Attention vs alignment": (2, "Where attention and alignment disagree"),
    "Step by step": (1, "Plug in the numbers"),
    "What if": (2, "forced onto"),
    "Difference": (1, "Both models read"),
    "Training": (2 * len(SHOWN), "Demonstration sentence"),
    "Quiz": (0, "The class's guess"),
    "Class": (0, "Start a class"),
    "Heads": (0, "Layers and heads"),
    "Attention vs attribution": (4, "Where it looked, and what mattered"),
    "Self-attention": (3, "Multi-head"),
    "Reviews": (2, "Is attention an explanation?"),  # the shipped classifiers' pooling on the first test review
    "About": (0, "Measured quality"),
}


def test_every_view_opens_from_its_url(server):

    views = view_pages()
    assert {v.title for v in views} == set(EXPECTED)  # a new view needs its line above
    ARTIFACTS.mkdir(exist_ok=True)
    with browser_page(1500, 1100) as page:
        for view in views:
            figures, text = EXPECTED[view.title]
            page.goto(f"{server}/{view.url_path}?s=I%20see%20her.", timeout=60_000)  # /compare too, not only /
            page.get_by_text(text).first.wait_for(timeout=120_000)
            page.wait_for_function(f"{FIGURES} >= {figures}", timeout=120_000)
            page.wait_for_timeout(500)
            body = page.inner_text("body")
            assert "failed" not in body and "Traceback" not in body, view.title
            page.screenshot(path=str(ARTIFACTS / f"view-{view.url_path}.png"), full_page=True)


def test_the_first_heatmap_is_above_the_fold_and_every_section_lists_its_views(server):
    """Normal mode at 1280×720: the title is one line and the first heatmap starts in the top half of the
    screen; the navigation's sections hold every view."""
    with browser_page(1280, 720) as page:
        page.goto(server, timeout=60_000)
        page.wait_for_function(f"{FIGURES} >= {len(SHOWN)}", timeout=120_000)
        box = page.locator(HEATMAPS).first.bounding_box()
        assert box["y"] < 720 / 2, box
        nav = page.locator("[data-testid='stTopNavSection']")
        assert nav.count() == len(sections())


def fifty_tokens() -> str:
    """A sentence of exactly MAX_TOKENS Moses tokens."""
    from attnviz.data.tokenization import MAX_TOKENS, tokenize

    words = (
        "the black cat sleeps on the red chair , and the little girl plays in the big garden , "
        "while her brother reads a book about old trains near the window of the house , "
        "because it is raining today , and the dog sleeps under the kitchen table all day long ."
    ).split()
    sentence = " ".join(words)
    while len(tokenize(sentence, "en")) > MAX_TOKENS:
        words.pop()
        sentence = " ".join(words)
    assert len(tokenize(sentence, "en")) == MAX_TOKENS
    return sentence


HARD_SENTENCES = {
    "one word": "Hello",
    "fifty tokens": fifty_tokens(),
    "unknown words": "The zorglub flibbertigibbets quickly.",
    "punctuation run": "Wait!!! What?!? ... No,,, never;; (really) [sure] *bold* <b>x</b>",
    "Chinese": "欢迎来北京",
}


def settled(page, heading: str) -> str:
    """The page's text once the view's heading is shown and Streamlit has stopped running."""
    page.get_by_role("heading", name=heading, exact=True).first.wait_for(timeout=120_000)
    page.wait_for_function("!document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=120_000, polling=250)
    page.wait_for_timeout(300)
    return page.inner_text("body")


HEADINGS = {
    "Why attention": "Why attention? One vector for the whole sentence, or one per word",
    "Context vectors": "A new context vector for every word",
    "Compare": "Where does each model look?",
    "Soft vs hard": "Soft vs hard attention",
    "Attention vs alignment": "Is attention an alignment?",
    "Step by step": "One decoder step, by the numbers",
    "What if": "What if it looked elsewhere?",
    "Difference": "Difference between two models",
    "Training": "Attention during training",
    "Quiz": "Predict, then reveal",
    "Class": "Class: students follow your page on their own screens",
    "Heads": "Layers and heads",
    "Attention vs attribution": "Where it looked, and what mattered",
    "Self-attention": "Self-attention, step by step",
    "Reviews": "Which words decide a movie review?",
    "About": "About",
}


def test_no_view_fails_on_hard_sentences(server):
    """Every view, 1–50 tokens, unknown words, punctuation runs, Chinese: zero "failed" messages."""
    from urllib.parse import quote

    views = view_pages()
    assert {v.title for v in views} == set(HEADINGS)
    with browser_page(1280, 720) as page:
        for view in views:
            path = "" if view.url_path == DEFAULT_VIEW else view.url_path
            for case, sentence in HARD_SENTENCES.items():
                page.goto(f"{server}/{path}?s={quote(sentence)}", timeout=60_000)
                body = settled(page, HEADINGS[view.title])
                assert "failed" not in body and "Traceback" not in body, (view.title, case)
                if case == "punctuation run" and view.title == "Compare":
                    # user text is shown as text, never as markup: the tags and asterisks stay visible
                    assert "<, b, >" in body and "*" in body
                    assert page.locator("[data-testid='stMain'] b").filter(has_text="x").count() == 0


def test_presentation_mode_is_readable_from_the_back_row(server):
    """At 1280×720 and 1920×1080: labels ≥ 20 px, the whole heatmap on screen without scrolling.

    The screenshots (test-artifacts/present-*.png) are the ones in docs/.
    """
    from urllib.parse import quote

    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    sentence = quote("The black cat is sleeping on the red chair.")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        for width, height in ((1280, 720), (1920, 1080)):
            page = browser.new_page(viewport={"width": width, "height": height})
            page.goto(f"{server}/?s={sentence}&m=en-fr-additive&present=1", timeout=60_000)
            settled(page, HEADINGS["Compare"])
            page.wait_for_function(f"{FIGURES} >= 1", timeout=120_000)
            page.wait_for_timeout(800)
            sizes = page.eval_on_selector_all(HEATMAPS, "nodes => nodes.map(n => Number(n.dataset.font))")
            page.screenshot(path=str(ARTIFACTS / f"present-{width}x{height}.png"))
            assert sizes and min(sizes) >= 20, sizes
            box = page.locator(HEATMAPS).first.bounding_box()
            assert box["height"] <= height and box["width"] <= width, (box, width, height)
            assert box["y"] >= 0 and box["y"] + box["height"] <= height, box  # on screen as the page opens
            page.close()
        browser.close()


def test_the_lecture_plays_in_a_real_browser(server):
    """Open a lecture's address, press Next twice and Previous once: each slide's view and state."""
    import re

    from playwright.sync_api import expect

    with browser_page(1280, 720) as page:
        page.goto(f"{server}/?lecture=seed-notes", timeout=60_000)
        settled(page, HEADINGS["Compare"])
        page.get_by_text("slide 1 of").wait_for(timeout=60_000)
        expect(page.get_by_role("textbox", name="English sentence")).to_have_value(
            re.compile("August 1992"), timeout=60_000
        )
        page.get_by_role("button", name="Next ▶").click()
        settled(page, HEADINGS["Step by step"])
        page.get_by_text("slide 2 of").wait_for(timeout=60_000)
        page.wait_for_url("**/step-by-step?*slide=2*", timeout=60_000)
        page.get_by_role("button", name="Next ▶").click()
        settled(page, HEADINGS["Compare"])
        page.get_by_role("button", name="◀ Previous").click()
        body = settled(page, HEADINGS["Step by step"])
        page.get_by_text("slide 2 of").wait_for(timeout=60_000)
        assert "failed" not in body
        page.screenshot(path=str(ARTIFACTS / "lecture.png"))


def test_attention_vs_alignment_on_a_gold_pair(server):
    """The lesson view with a Hansards dev pair: both heatmaps, each model's AER against the gold next to
    eflomal's, and the disagreements; its screenshot is docs/attention-vs-alignment.png."""

    ARTIFACTS.mkdir(exist_ok=True)
    with browser_page(1400, 1000) as page:
        page.goto(f"{server}/attention-vs-alignment?gold=5", timeout=60_000)
        body = settled(page, HEADINGS["Attention vs alignment"])
        page.wait_for_function(f"{FIGURES} >= 2", timeout=120_000)
        page.get_by_text("AER vs gold").first.wait_for(timeout=60_000)
        body = page.inner_text("body")
        assert "failed" not in body and "Traceback" not in body
        assert "eflomal (reference)" in body and "Where attention and alignment disagree" in body
        # the best-aligned guided model beside its unguided twin
        assert "en-fr-additive-alignment-both-ways" in body and "en-fr-additive ·" in body
        page.wait_for_timeout(800)
        page.screenshot(path=str(ARTIFACTS / "attention-vs-alignment.png"), full_page=True)


def test_the_interface_in_chinese_and_back(server):
    """lang=zh shows the Chinese catalogue (CJK glyphs rendered, not boxes: the text has width); the
    sidebar's switch turns it back to English without losing the sentence. Screenshot: docs/interface-zh.png."""

    from attnviz.ui.i18n import catalogue

    zh = catalogue("zh")
    ARTIFACTS.mkdir(exist_ok=True)
    with browser_page(1400, 1000) as page:
        page.goto(f"{server}/?lang=zh&s=I%20miss%20you.&m=en-fr-additive,en-fr-transformer", timeout=60_000)
        body = settled(page, zh["compare.heading"])
        page.wait_for_function(f"{FIGURES} >= 2", timeout=120_000)
        # a rerun may still be redrawing the page: wait until the title, sidebar and navigation are all there
        page.wait_for_function(
            "(texts) => texts.every((text) => document.body.innerText.includes(text))",
            arg=[zh["app.title"], zh["sidebar.overlay"], zh["sections.lesson"]],
            timeout=60_000,
        )
        body = page.inner_text("body")
        assert zh["app.title"] in body and zh["sidebar.overlay"] in body and zh["sections.lesson"] in body
        assert "failed" not in body and "Traceback" not in body
        heading = page.get_by_role("heading", name=zh["compare.heading"], exact=True).first.bounding_box()
        assert heading["width"] > 150  # eight CJK glyphs drawn at full width, so a CJK font is installed
        page.wait_for_timeout(800)
        page.screenshot(path=str(ARTIFACTS / "interface-zh.png"))
        page.get_by_text("English", exact=True).first.click()
        settled(page, "Where does each model look?")
        assert page.get_by_role("textbox", name="English sentence").input_value() == "I miss you."


def test_a_review_highlighted_by_attention_with_its_explanations(server):
    """The Reviews view on a test review: every word drawn with its weight, both classifiers' verdicts, the
    rank correlations and the deletion of the five most-attended words. Screenshot: docs/reviews.png."""
    from playwright.sync_api import expect

    ARTIFACTS.mkdir(exist_ok=True)
    with browser_page(1400, 1000) as page:
        page.goto(f"{server}/reviews?rpick=2&rk=5", timeout=60_000)
        settled(page, HEADINGS["Reviews"])
        page.get_by_text("Spearman ρ, attention vs leave-one-out").first.wait_for(timeout=120_000)
        page.get_by_text("without 5 word(s)").first.wait_for(timeout=120_000)
        body = page.inner_text("body")
        assert "failed" not in body and "Traceback" not in body
        classifiers = [e for e in discover() if e.info and e.info.task == "classification"]
        # each classifier's verdict
        expect(page.get_by_text("P(positive)", exact=True)).to_have_count(len(classifiers), timeout=60_000)
        # each classifier's pooling drawn on the running text: a heatmap element whose words are the review's
        page.wait_for_function(f"{FIGURES} >= {len(classifiers)}", timeout=120_000)
        labels = page.eval_on_selector_all(HEATMAPS, "nodes => nodes.map(n => n.getAttribute('aria-label'))")
        pooled = [label for label in labels if len(label.split("(columns): ")[1].split()) > 100]
        assert len(pooled) == len(classifiers), labels
        page.wait_for_timeout(500)
        page.screenshot(path=str(ARTIFACTS / "reviews.png"))


def test_the_seed_notes_example_live_in_chinese(server):
    """欢迎来北京 through the Chinese → English model, in the Chinese interface: the translation names Beijing and
    the context vectors are written the seed notes' way. Screenshot: docs/context-vectors-zh.png."""
    import re

    from attnviz.ui.i18n import catalogue

    zh = catalogue("zh")
    ARTIFACTS.mkdir(exist_ok=True)
    with browser_page(1400, 1000) as page:
        page.goto(f"{server}/context-vectors?lang=zh&pair=zh-en&cvm=zh-en-additive-characters", timeout=60_000)
        settled(page, zh["context_vectors.heading"])
        page.wait_for_function(f"{FIGURES} >= 1", timeout=120_000)
        body = page.inner_text("body")
        assert "failed" not in body and "Traceback" not in body
        assert (
            page.get_by_role("textbox", name=zh["sidebar.sentence"].format(language=zh["languages.zh"])).input_value()
            == "欢迎来北京"
        )
        assert "→ welcome to beijing" in body.lower()
        beijing = next(line for line in body.splitlines() if line.lower().startswith("beijing:"))
        terms = re.findall(r"(\d\.\d\d)·(\S+)", beijing)  # "beijing:  C3 = 0.02·欢迎 + … + 0.95·北京 + …"
        # Beijing is written looking at 北京 (this model reads characters: 北 or 京)
        assert max(terms, key=lambda term: float(term[0]))[1] in ("北", "京")
        page.wait_for_timeout(800)
        page.screenshot(path=str(ARTIFACTS / "context-vectors-zh.png"))


def test_a_hugging_face_folder_in_compare_and_heads(tmp_path):
    from .test_huggingface import make_marian

    folder = make_marian(tmp_path / "models" / "opus-mt-en-fr-tiny")
    with running_app(ATTNVIZ_MODELS=str(folder.parent)) as url, browser_page(1400, 1000) as page:
        page.goto(f"{url}/?m=opus-mt-en-fr-tiny,en-fr-additive&s=welcome+to+beijing", timeout=60_000)
        page.wait_for_function(NAMING, arg=["beijing", 2], timeout=120_000)
        assert "opus-mt-en-fr-tiny" in page.inner_text("body")
        page.goto(f"{url}/heads?m=opus-mt-en-fr-tiny&s=welcome+to+beijing", timeout=60_000)
        page.get_by_text("Layers and heads").first.wait_for(timeout=120_000)
        page.get_by_role("button", name="Which head aligns?").click()
        page.get_by_text("Which head aligns", exact=False).nth(1).wait_for(timeout=120_000)
        page.wait_for_function(f"{FIGURES} >= 4", timeout=120_000)  # grid, enlarged, 2 AER grids
        assert "Sorry, this view failed" not in page.inner_text("body")
