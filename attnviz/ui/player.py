"""The lecture player: a bar above the view with the slide's title, previous/next and the speaker note.

The lecture and the slide number are URL parameters like every control, so a
copied address reopens the lecture at that slide. Going to a slide sets every
control to the slide's parameters (and the others to their defaults), then
switches to the slide's view.
"""

from __future__ import annotations

import streamlit as st

from .common import plain
from .i18n import t
from .lecture import Lecture, available
from .navigation import view_pages
from .state import chosen_models, chosen_pair, param_default, params, parse

SKIP = ("lecture", "slide", "class", "sid")  # the player's own parameters, and class mode's (a slide keeps the class)


@st.cache_data(show_spinner=False, ttl=60)
def lectures() -> tuple[dict[str, Lecture], dict[str, str]]:
    """The lectures in ``lectures/`` and the files that could not be read (re-read each minute)."""
    return available({v.url_path for v in view_pages()})


def current() -> Lecture | None:
    """The lecture being played, or None."""
    return lectures()[0].get(st.session_state.get("lecture") or "")


def set_controls(values: dict[str, str], groups: dict[str, list[str]], keep_url: bool, skip=SKIP) -> None:
    """Set every control to ``values`` (URL parameter → text) and the others to their defaults.

    groups: loadable model names by language pair (``state.available_models``).
    keep_url: values the address gives win over ``values`` (a copied address reopens as it was).
    skip: URL parameters left as they are (the player's own; class mode's too).
    """
    for param in params():
        if param.query in skip or (keep_url and param.query in st.query_params):
            continue
        raw = values.get(param.query)
        if param.key == "ui_language" and raw is None:  # the viewer's language, unless the slide names one
            continue
        if param.key == "pair":  # first of params(): the models below are this pair's
            st.session_state[param.key] = chosen_pair(raw, groups)
        elif param.key == "models":
            st.session_state[param.key] = chosen_models(raw, groups[st.session_state["pair"]])
        elif param.kind is list:
            st.session_state[param.key] = raw.split(",") if raw else list(param.default)
        elif raw is not None:
            st.session_state[param.key] = parse(param, raw)
        elif param.default is None:
            st.session_state.pop(param.key, None)
        else:
            st.session_state[param.key] = param_default(param)


def _apply(lecture: Lecture, index: int, groups: dict[str, list[str]], keep_url: bool) -> str:
    """Set the controls to slide ``index``'s state (``set_controls``); return its view's address."""
    slide = lecture.slides[index]
    set_controls(slide.params, groups, keep_url)
    st.session_state["slide"] = index + 1
    return slide.view


def go(index: int) -> None:
    """Button callback: ask for slide ``index`` (0-based); ``follow`` carries it out on this run."""
    st.session_state["_goto"] = index


def start() -> None:
    """Sidebar callback: play the chosen lecture from its first slide (or stop)."""
    if st.session_state.get("lecture"):
        go(0)


def follow(groups: dict[str, list[str]]) -> str | None:
    """The view to switch to when a slide was asked for (by a button, or by opening a lecture's address).

    Returns the slide's view address, or None to stay on the current page.
    """
    lecture = current()
    if lecture is None:
        st.session_state.pop("_goto", None)
        return None
    first_run = not st.session_state.get("_lecture_opened")
    st.session_state["_lecture_opened"] = True
    if "_goto" in st.session_state:
        index = st.session_state.pop("_goto")
        return _apply(lecture, min(max(index, 0), len(lecture.slides) - 1), groups, keep_url=False)
    if first_run:
        index = min(max(int(st.session_state.get("slide") or 1), 1), len(lecture.slides)) - 1
        return _apply(lecture, index, groups, keep_url=True)
    return None


def picker() -> None:
    """The sidebar's lecture chooser (lectures that could not be read are named, one line each)."""
    found, problems = lectures()
    if not found:
        return
    if st.session_state.get("lecture") not in found:
        st.session_state["lecture"] = ""
    st.selectbox(
        t("lecture.picker"),
        ["", *found],
        key="lecture",
        on_change=start,
        format_func=lambda name, none=t("lecture.none"): found[name].title if name else none,
    )
    for name, problem in problems.items():
        st.caption(t("lecture.skipped", name=plain(name), problem=plain(problem)))


def bar() -> None:
    """The slide's title, previous/next buttons and the speaker note, above the view."""
    lecture = current()
    if lecture is None:
        return
    index = min(max(int(st.session_state.get("slide") or 1), 1), len(lecture.slides)) - 1
    slide = lecture.slides[index]
    back, title, forward = st.columns([1, 6, 1], vertical_alignment="center")
    back.button(t("lecture.previous"), on_click=go, args=(index - 1,), disabled=index == 0, key="slide_back")
    title.markdown(
        t(
            "lecture.slide",
            title=plain(lecture.title),
            number=index + 1,
            count=len(lecture.slides),
            slide=plain(slide.title),
        )
    )
    forward.button(
        t("lecture.next"), on_click=go, args=(index + 1,), disabled=index == len(lecture.slides) - 1, key="slide_next"
    )
    if slide.note:
        with st.expander(t("lecture.speaker_note")):
            st.text(slide.note)
