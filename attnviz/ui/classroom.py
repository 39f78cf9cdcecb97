"""Class mode in the app: the teacher's pages are published to the class store, students' pages follow them.

The teacher starts a class (the Class view) and keeps its teacher key in the session only; every run of
the teacher's page publishes its view and URL parameters as the class's current slide. A student's page
(``?class=K7Q4``) polls the store every ``POLL_SECONDS`` in a fragment and, when the slide or the revealed
answer changed, reruns the page, which then takes the teacher's view and settings (``follow``). Students
write nothing but their answers.
"""

from __future__ import annotations

import secrets

import streamlit as st

from ..classroom.store import ClassError, ClassState, ClassStore, Question, Tally, database_url
from .common import plain
from .i18n import t
from .player import current as current_lecture
from .player import set_controls
from .state import query_values

POLL_SECONDS = 1.0  # a student's page sees a new slide within about this long (plus one page run)
VIEW = "class-mode"  # the Class view's address: never published as a slide
# URL parameters that stay each person's own: class mode's, the lecture player's (students follow the slide,
# not the lecture), the viewer's language and projector mode, and the quiz's own guess, reveal and score
PRIVATE = ("class", "sid", "lecture", "slide", "lang", "present", "qg", "qr", "qscore")


def store() -> ClassStore:
    """The process's class store (``ATTNVIZ_DATABASE_URL``, else the SQLite file ``var/classes.sqlite``)."""
    return _store(database_url())


@st.cache_resource(show_spinner=False)
def _store(url: str) -> ClassStore:
    return ClassStore(url)  # one engine (and connection pool) per database for the whole process


def code() -> str:
    """The class this page belongs to ('' when none)."""
    return st.session_state.get("class_code") or ""


def teaching() -> bool:
    """Whether this session is the teacher of its class (it holds the teacher key)."""
    return bool(code() and st.session_state.get("_class_key"))


def following() -> bool:
    """Whether this page is a student's that follows the teacher's slides now."""
    return bool(code() and not teaching() and st.session_state.get("_class_following", True))


def start(view: str, title: str, switch: bool) -> None:
    """Open a class with ``view`` and the current settings as its first slide; this session becomes its teacher.

    switch: go to ``view`` on the next run (``pending_view``): the class starts on the teacher's page.
    """
    class_code, key = store().start(view, published_params(), title)
    st.session_state.update(class_code=class_code, _class_key=key, _class_published=None)
    if switch:
        st.session_state["_class_switch"] = view


def last_view() -> str:
    """The last page this session showed other than the Class view (where a class starts from)."""
    return st.session_state.get("_class_view") or "compare"


def pending_view() -> str | None:
    """The page to switch to once after ``start``, or None."""
    return st.session_state.pop("_class_switch", None)


def join(raw: str) -> str | None:
    """Follow class ``raw`` (a typed code) as a student; return a one-line problem or None."""
    try:
        state = store().current(raw)
    except ClassError as err:
        return str(err)
    st.session_state.update(class_code=state.code, _class_following=True)
    st.session_state.pop("_class_seen", None)
    return None


def reclaim(key: str) -> bool:
    """Become this class's teacher again with its teacher key (after a reload or a server restart)."""
    if store().is_teacher(code(), key.strip()):
        st.session_state["_class_key"] = key.strip()
        st.session_state.pop("_class_published", None)
        return True
    return False


def leave() -> None:
    """Stop following (the student explores alone; ``rejoin`` follows again)."""
    st.session_state["_class_following"] = False


def rejoin() -> None:
    """Follow the teacher again from the current slide."""
    st.session_state["_class_following"] = True
    st.session_state.pop("_class_seen", None)


def close() -> None:
    """The teacher ends the class: the code stops working; the answers stay for the export."""
    store().close(code(), st.session_state["_class_key"])
    for key in ("class_code", "_class_key", "_class_published"):
        st.session_state.pop(key, None)


def published_params() -> dict[str, str]:
    """The current page's URL parameters without the ones each person keeps (``PRIVATE``)."""
    return {name: value for name, value in query_values().items() if name not in PRIVATE}


def slide_title() -> str:
    """The lecture slide's title when the teacher plays a lecture, else '' (students then name the view)."""
    lecture = current_lecture()
    if lecture is None:
        return ""
    index = min(max(int(st.session_state.get("slide") or 1), 1), len(lecture.slides)) - 1
    return f"{lecture.title} · {index + 1}/{len(lecture.slides)}: {lecture.slides[index].title}"


def publish(view: str | None = None) -> None:
    """Teacher only: make this page the class's current slide (no database write when nothing changed).

    view: the page's address; None: the one the last full run recorded (a fragment's rerun).
    """
    if view == VIEW:  # the Class view itself is never a slide
        return
    if view is not None:
        st.session_state["_class_view"] = view
    view = st.session_state.get("_class_view")
    if not teaching() or view is None:
        return
    slide = (view, published_params(), slide_title())
    if st.session_state.get("_class_published") == slide:
        return
    store().publish(code(), st.session_state["_class_key"], *slide)
    st.session_state["_class_published"] = slide


def ensure_student_id() -> None:
    """Give a student's page a random id, kept in its own address so a reconnecting page stays the same student."""
    if code() and not teaching() and not st.session_state.get("student_id"):
        st.session_state["student_id"] = secrets.token_urlsafe(9)


def follow(groups: dict[str, list[str]]) -> str | None:
    """On a student's page, take the teacher's slide when it changed.

    Args:
        groups: loadable model names by language pair (``state.available_models``).

    Returns:
        the slide's view address to switch to, or None (no class, not following, or no change). A bad,
        ended or expired code leaves class mode and keeps its one-line reason for ``banner``.
    """
    ensure_student_id()
    if not following():
        return None
    try:
        state = store().current(code())
    except ClassError as err:
        st.session_state["_class_problem"] = str(err)
        st.session_state["class_code"] = ""
        return None
    st.session_state["class_code"] = state.code  # as stored: a code typed in lower case works too
    seen = (state.revision, state.revealed)
    if st.session_state.get("_class_seen") == seen:
        return None
    slide_changed = (st.session_state.get("_class_seen") or (None,))[0] != state.revision
    st.session_state["_class_seen"] = seen
    if not slide_changed:  # only the reveal changed: the page redraws as it is
        return None
    st.session_state["lecture"] = ""
    set_controls(state.params, groups, keep_url=False, skip=PRIVATE)
    st.session_state["_class_state"] = state
    return state.view


def current() -> ClassState | None:
    """The slide the student's page last took (None outside class mode)."""
    return st.session_state.get("_class_state") if following() else None


RETRIES = 3  # full reruns asked for a slide whose page run did not finish (then the student can reload)


def finished() -> None:
    """Called at the end of a full page run: the slide taken by ``follow`` is on the student's screen."""
    st.session_state["_class_done"] = st.session_state.get("_class_seen")
    st.session_state["_class_retries"] = 0


@st.fragment(run_every=POLL_SECONDS)
def watch() -> None:
    """A student's page: rerun the whole page when the teacher changed the slide or revealed an answer, or when
    the page run that took the current slide was cut short (a new slide arriving while the page was switching)."""
    if not following():
        return
    try:
        state = store().current(code())
    except ClassError:
        st.rerun()  # ``follow`` says why on the page and leaves class mode
    seen = st.session_state.get("_class_seen")
    if seen != (state.revision, state.revealed):
        st.rerun()
    if st.session_state.get("_class_done") != seen and st.session_state.get("_class_retries", 0) < RETRIES:
        st.session_state["_class_retries"] = st.session_state.get("_class_retries", 0) + 1
        st.rerun()


def banner(view_title) -> None:
    """One line above every page: the class's code for the teacher, the slide followed for a student.

    view_title: ``view_title(address)`` → the view's title in the viewer's language.
    """
    problem = st.session_state.pop("_class_problem", None)
    if problem:
        st.error(t("class_mode.problem", problem=plain(problem)))
    if teaching():
        st.info(t("class_mode.teaching", code=code()), icon=":material/co_present:")
    elif following():
        state = current()
        title = (state.title or view_title(state.view)) if state else ""
        text, button = st.columns([6, 1], vertical_alignment="center")
        text.info(t("class_mode.following", code=code(), title=plain(title)), icon=":material/groups:")
        button.button(t("class_mode.leave"), on_click=leave, key="class_leave")
        watch()
    elif code():
        text, button = st.columns([6, 1], vertical_alignment="center")
        text.caption(t("class_mode.left", code=code()))
        button.button(t("class_mode.rejoin"), on_click=rejoin, key="class_rejoin")


# the quiz in class mode

def ask(question: Question) -> None:
    """Teacher only: offer ``question`` to the class (recorded once)."""
    asked = st.session_state.setdefault("_class_asked", set())
    if teaching() and (code(), question.key) not in asked:
        store().ask(code(), st.session_state["_class_key"], question)
        asked.add((code(), question.key))


def reveal(question: Question | None) -> None:
    """Teacher only: show (or, with None, hide) the answer on the students' pages."""
    store().reveal(code(), st.session_state["_class_key"], question.key if question else None)


def revealed(question: Question) -> bool:
    """Whether the teacher has revealed this question's answer to the class."""
    return store().current(code()).revealed == question.key


def tally(question: Question) -> Tally:
    """The class's answers to ``question`` so far."""
    return store().tally(code(), question.key)


def send_answer(question: Question, choice: int, confidence: int | None) -> str | None:
    """A student's answer (replacing an earlier one); return a one-line problem or None."""
    try:
        store().answer(code(), st.session_state["student_id"], question.key, choice, confidence,
                       st.session_state.get("class_nickname", ""))
    except ClassError as err:
        return str(err)
    return None


def my_answer(question: Question) -> int | None:
    """The choice this student sent for ``question``, or None."""
    return store().student_answer(code(), question.key, st.session_state.get("student_id", ""))


def answers_csv() -> str:
    """Teacher only: the class's answers as CSV text (``ClassStore.export_csv``)."""
    return store().export_csv(code(), st.session_state["_class_key"])
