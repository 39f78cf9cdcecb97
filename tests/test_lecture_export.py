"""A lecture exported as one HTML file: the real models decode every slide, user text stays text, and the file
works from file:// in a real browser with every outside request blocked."""

import json
import re

import pytest

from attnviz.cli import main
from attnviz.inference.catalog import discover
from attnviz.presentation.lecture import LECTURES_DIR, Slide, read
from attnviz.presentation.lecture_export import slide_models

from .conftest import ROOT


def test_a_slide_shows_its_models_then_the_pairs_default_selection():
    entries = discover()
    slide = Slide("t", "step-by-step", params={"s": "I see her.", "m": "en-fr-dot", "sbsm": "en-fr-general"})
    assert slide_models(slide, entries) == ("en-fr", ["en-fr-dot", "en-fr-general"])  # a view's own picker too
    shown = [e.name for e in entries if e.shown_by_default and e.info.pair_name == "en-fr"]
    assert slide_models(Slide("t", "compare", params={"s": "I see her."}), entries) == ("en-fr", shown)
    pair, names = slide_models(Slide("t", "compare", params={"pair": "zh-en"}), entries)
    assert pair == "zh-en" and names and all(n.startswith("zh-en") for n in names)


def test_user_text_is_escaped_and_a_bad_lecture_gets_one_line(tmp_path, capsys):
    lecture = tmp_path / "tricky.toml"
    lecture.write_text(
        'title = "<script>alert(1)</script>"\n[[slide]]\ntitle = "<b>bold?</b>"\nview = "compare"\n'
        'note = "*not* markdown & <i>not</i> HTML"\nparams = { s = "I see <b>her</b>.", m = "en-fr-dot" }\n',
        encoding="utf-8",
    )
    out = tmp_path / "tricky.html"
    assert main(["export-lecture", str(lecture), "--out", str(out)]) == 0
    page = out.read_text(encoding="utf-8")
    assert "<b>bold?</b>" not in page and "&lt;b&gt;bold?&lt;/b&gt;" in page
    assert "<script>alert(1)" not in page and "&lt;i&gt;not&lt;/i&gt; HTML" in page
    slides = json.loads(re.search(r'id="attnviz-slides">(.*?)</script>', page).group(1))
    assert slides[0]["translations"]["en-fr-dot"]  # the real model translated the slide's sentence
    (tmp_path / "broken.toml").write_text("title = 'no slides'\n", encoding="utf-8")
    assert main(["export-lecture", str(tmp_path / "broken.toml"), "--out", str(tmp_path / "b.html")]) == 2
    error = capsys.readouterr().err.strip().splitlines()
    assert error[-1] == "export-lecture: broken.toml: has no [[slide]]" and not (tmp_path / "b.html").exists()


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(p.stem for p in LECTURES_DIR.glob("*.toml")))
def test_an_exported_lecture_plays_from_a_file_with_the_network_blocked(name, tmp_path):
    from .test_browser import browser_page

    lecture = read(LECTURES_DIR / f"{name}.toml")
    out = tmp_path / f"{name}.html"
    assert main(["export-lecture", str(LECTURES_DIR / f"{name}.toml"), "--out", str(out)]) == 0
    outside = []

    def only_the_file(route):
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    with browser_page(1280, 720) as page:
        page.route("**/*", only_the_file)
        page.goto(out.as_uri())
        for number, slide in enumerate(lecture.slides, 1):
            shown = page.locator("section.slide:not([hidden])")
            assert shown.locator("h2").inner_text() == slide.title
            assert page.inner_text("#counter") == f"{number} / {len(lecture.slides)}"
            maps = shown.locator(".attnviz-heatmap canvas[data-drawn]")
            assert maps.count() >= 1, slide.title
            if slide.note.strip():
                assert shown.locator("aside").inner_text().strip()[:20] == slide.note.strip()[:20]
            box = maps.first.bounding_box()  # the app's element at presentation size, filling the slide's width
            assert box["width"] >= 0.5 * 1280 and maps.first.get_attribute("data-font") == "20", (slide.title, box)
            for fraction in (0.5, 0.4, 0.6, 0.3):  # a cell: the hover names the words and the weight
                page.mouse.move(box["x"] + box["width"] * fraction, box["y"] + box["height"] * 0.6)
                tip = shown.locator(".attnviz-tooltip").first
                if tip.is_visible():
                    break
            assert re.search(r" ← .+α = [01]\.\d{3}", tip.inner_text()), (slide.title, tip.inner_text())
            page.click("#next")
        page.click("#previous")
        assert page.locator("section.slide:not([hidden]) h2").inner_text() == lecture.slides[-2].title
        (ROOT / "test-artifacts").mkdir(exist_ok=True)
        page.screenshot(path=str(ROOT / "test-artifacts" / f"lecture-{name}.png"))
    assert not outside, outside
