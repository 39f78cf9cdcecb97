"""Lectures: the shipped files are valid, a broken file is named, and the player walks the slides."""

import pytest

from attnviz.ui.lecture import LECTURES_DIR, LectureError, available, load
from attnviz.ui.navigation import view_pages

from .test_app import start, text_of
from .test_browser import HEADINGS

VIEWS = {v.url_path for v in view_pages()}
HEADING_OF = {v.url_path: HEADINGS[v.title] for v in view_pages()}


def test_shipped_lectures_are_valid():
    lectures, problems = available(VIEWS)
    assert not problems
    assert "seed-notes" in lectures and len(lectures["seed-notes"].slides) >= 10


@pytest.mark.parametrize(
    "text, message",
    [
        ("title = 'x'\n", "has no [[slide]]"),
        ("[[slide]]\nview = 'compare'\n", "needs a title"),
        ("[[slide]]\ntitle = 'a'\nview = 'nowhere'\n", "view 'nowhere' is not one of"),
        ("[[slide]]\ntitle = 'a'\nview = 'compare'\nparams = { zz = '1' }\n", "unknown parameter 'zz'"),
        ("[[slide]]\ntitle = 'a'\nview = 'compare'\nparams = { step = 'two' }\n", "step='two' is not a whole number"),
        ("[[slide]\n", "not a readable TOML file"),
    ],
)
def test_a_broken_lecture_is_named(tmp_path, text, message):
    path = tmp_path / "broken.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(LectureError, match="broken.toml") as err:
        load(path, VIEWS)
    assert message in str(err.value)


def test_the_lecture_plays_slide_by_slide():
    lecture = load(LECTURES_DIR / "seed-notes.toml", VIEWS)
    at = start(lecture="seed-notes")
    assert not at.exception
    for number, slide in enumerate(lecture.slides, 1):
        assert f"slide {number} of {len(lecture.slides)}" in text_of(at), number
        assert at.query_params.get("slide", "1") == str(number)  # the address names the slide
        assert [h.value for h in at.subheader] == [HEADING_OF[slide.view]], number  # on the slide's view
        if "s" in slide.params:
            assert at.text_input(key="sentence").value == slide.params["s"]
        for query, key in (("sbsm", "sbs_model"), ("shm", "sh_model"), ("hard", "hard_mode")):
            if query in slide.params:
                assert at.session_state[key] == slide.params[query], (number, query)
        assert not at.error, (number, [e.value for e in at.error])
        if number < len(lecture.slides):
            at.button(key="slide_next").click().run()
            assert not at.exception, number
    at.button(key="slide_back").click().run()
    assert f"slide {len(lecture.slides) - 1} of" in text_of(at)


def test_a_lecture_address_reopens_at_its_slide():
    lecture = load(LECTURES_DIR / "seed-notes.toml", VIEWS)
    number, slide = next((n, s) for n, s in enumerate(lecture.slides, 1) if s.view == "step-by-step" and n > 2)
    at = start(lecture="seed-notes", slide=str(number))
    assert f"slide {number} of" in text_of(at) and at.session_state["sbs_model"] == slide.params["sbsm"]
    assert at.slider(key="sbs_step").value == int(slide.params["step"])  # on the slide's view, at its step


def test_a_lecture_keeps_the_viewers_interface_language():
    at = start(lecture="seed-notes", lang="zh")
    assert not at.exception and at.session_state["ui_language"] == "zh"
    at.button(key="slide_next").click().run()
    assert at.session_state["ui_language"] == "zh" and at.query_params["slide"] == "2"


def test_the_chinese_lecture_plays_on_the_chinese_models():
    from attnviz.ui.i18n import catalogue

    zh = catalogue("zh")
    heading = {v.url_path: zh[f"{v.key}.heading"] for v in view_pages()}
    lecture = load(LECTURES_DIR / "welcome-to-beijing.toml", VIEWS)
    at = start(lecture="welcome-to-beijing")
    for number, slide in enumerate(lecture.slides, 1):
        assert not at.exception and not at.error, number
        assert at.session_state["ui_language"] == "zh" and at.session_state["pair"] == "zh-en", number
        assert [h.value for h in at.subheader] == [heading[slide.view]], number
        if number < len(lecture.slides):
            at.button(key="slide_next").click().run()
