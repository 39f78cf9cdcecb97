"""Class mode in the app: the teacher's pages are published to the class store, students' pages follow them.

The teacher starts a class (the Class view); the teacher key stays in the teacher's session and in the
teacher's browser (a cookie set by the ``teacher_keys`` component and read with the page's first request: a
reload, or a replica that died, finds the teacher again) and never on the page. Every run of the teacher's page publishes its view and
URL parameters as the class's current slide. A student's page (``?class=K7Q4MX``) gets an id the server
issued and signed (kept in its address as ``sid``), polls the store every ``POLL_SECONDS`` in a fragment
and, when the slide or the revealed answer changed, reruns the page, which then takes the teacher's view
and settings (``follow``). Students write nothing but their answers. A database that does not answer
gives one line and the polling goes on until it does.
"""

from __future__ import annotations

import functools
import math
import time
from pathlib import Path

import streamlit as st

from ..classroom.store import (
    CLASS_HOURS,
    RETENTION_DAYS,
    ClassError,
    ClassState,
    ClassStore,
    Question,
    StoreUnavailable,
    Tally,
    database_url,
)
from .common import plain
from .i18n import t
from .player import current as current_lecture
from .player import set_controls
from .state import private_queries, query_values

POLL_SECONDS = 1.0  # a student's page sees a new slide within about this long (plus one page run)
RESEND_SECONDS = 2.0  # a teacher's slide the database refused is sent again this often
VIEW = "class-mode"  # the Class view's address: never published as a slide
FREE_WRONG_CODES = 5  # wrong join codes a page may type before it must wait
WRONG_CODE_WAIT = 10.0  # seconds after the next wrong code, doubling with each one, at most MAX_WRONG_CODE_WAIT
MAX_WRONG_CODE_WAIT = 300.0
_KEEPER = st.components.v2.component(
    "attnviz.teacher_keys", js=(Path(__file__).parent / "components" / "teacher_keys.js").read_text(encoding="utf-8")
)


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


def _problem(err: ClassError | str) -> None:
    """Keep a one-line problem for the banner of the next run (or of this one, when it has not been drawn)."""
    st.session_state["_class_problem"] = str(err)


def start(view: str, title: str, switch: bool) -> None:
    """Open a class with ``view`` and the current settings as its first slide; this session becomes its teacher.

    switch: go to ``view`` on the next run (``pending_view``): the class starts on the teacher's page.
    """
    try:
        class_code, key = store().start(view, published_params(), title)
    except ClassError as err:
        _problem(err)
        return
    st.session_state.update(class_code=class_code, _class_key=key, _class_published=None, student_id="")
    if switch:
        st.session_state["_class_switch"] = view


def last_view() -> str:
    """The last page this session showed other than the Class view (where a class starts from)."""
    return st.session_state.get("_class_view") or "compare"


def pending_view() -> str | None:
    """The page to switch to once after ``start``, or None."""
    return st.session_state.pop("_class_switch", None)


def _wrong_code_wait() -> float:
    """Seconds this session must still wait before trying another code (0 when it may try now)."""
    wrong = st.session_state.get("_class_wrong") or []
    if len(wrong) < FREE_WRONG_CODES:
        return 0.0
    wait = min(WRONG_CODE_WAIT * 2 ** (len(wrong) - FREE_WRONG_CODES), MAX_WRONG_CODE_WAIT)
    return max(0.0, wait - (time.time() - wrong[-1]))


def _wrong_code() -> None:
    st.session_state["_class_wrong"] = [*(st.session_state.get("_class_wrong") or []), time.time()]


def join(raw: str) -> str | None:
    """Follow class ``raw`` (a typed code) as a student; return a one-line problem or None.

    Wrong codes are throttled per session: after ``FREE_WRONG_CODES`` of them, each next try waits
    ``WRONG_CODE_WAIT`` seconds, doubling.
    """
    wait = _wrong_code_wait()
    if wait > 0:
        return f"too many wrong class codes from this page; try again in {math.ceil(wait)} s"
    try:
        state = store().current(raw)
    except StoreUnavailable as err:
        return str(err)
    except ClassError as err:
        _wrong_code()
        return str(err)
    st.session_state.update(class_code=state.code, _class_following=True, student_id="")
    st.session_state.pop("_class_seen", None)
    return None


def reclaim(key: str) -> bool:
    """Become this class's teacher again with its teacher key (typed, or kept by this browser)."""
    try:
        if not (code() and store().is_teacher(code(), key.strip())):
            return False
    except ClassError as err:
        _problem(err)
        return False
    st.session_state.update(_class_key=key.strip(), student_id="")
    st.session_state.pop("_class_published", None)
    return True


def leave() -> None:
    """Stop following (the student explores alone; ``rejoin`` follows again)."""
    st.session_state["_class_following"] = False


def rejoin() -> None:
    """Follow the teacher again from the current slide."""
    st.session_state["_class_following"] = True
    st.session_state.pop("_class_seen", None)


def close() -> None:
    """The teacher ends the class: the code stops working; the answers stay for the export (``ended``)."""
    class_code, key = code(), st.session_state["_class_key"]
    try:
        store().close(class_code, key)
    except ClassError as err:
        _problem(err)
        if isinstance(err, StoreUnavailable):
            return
    st.session_state.setdefault("_class_ended", {})[class_code] = key
    _stop_teaching()


def _stop_teaching() -> None:
    """This session leaves its class (ended, or no longer live)."""
    for name in ("class_code", "_class_key", "_class_published"):
        st.session_state.pop(name, None)


def ended() -> dict[str, str]:
    """{code: teacher key} of the ended classes whose answers this teacher can still download: those ended in
    this session and those whose key this browser keeps, while the store keeps them (``RETENTION_DAYS``)."""
    keys = {**browser_keys(), **(st.session_state.get("_class_ended") or {})}
    kept, gone = {}, []
    for class_code, key in sorted(keys.items()):
        if class_code == code():
            continue
        try:
            if store().is_teacher(class_code, key, live=False):
                kept[class_code] = key
            else:
                gone.append(class_code)
        except ClassError:  # the database does not answer: nothing to offer now
            return {}
    st.session_state["_class_forget"] = gone  # the browser forgets keys of classes the store no longer has
    return kept


def export(class_code: str, key: str):
    """The download button's data: a callable that reads class ``class_code``'s answers as CSV when clicked.

    It binds the store, code and key now: Streamlit calls it outside any session, where session state is
    not available."""
    return functools.partial(store().export_csv, class_code, key)


def published_params() -> dict[str, str]:
    """The current page's URL parameters without the ones each person keeps (``Param.private``: class mode's, the
    lecture player's — students follow the slide, not the lecture —, the viewer's language and projector mode, the
    quiz's own guess, reveal and score)."""
    private = private_queries()
    return {name: value for name, value in query_values().items() if name not in private}


def slide_title() -> str:
    """The lecture slide's title when the teacher plays a lecture, else '' (students then name the view)."""
    lecture = current_lecture()
    if lecture is None:
        return ""
    index = min(max(int(st.session_state.get("slide") or 1), 1), len(lecture.slides)) - 1
    return f"{lecture.title} · {index + 1}/{len(lecture.slides)}: {lecture.slides[index].title}"


def publish(view: str | None = None) -> None:
    """Teacher only: make this page the class's current slide (no database write when nothing changed).

    view: the page's address; None: the one the last full run recorded (a fragment's rerun). A database
    that does not answer leaves the slide pending: ``resend`` sends it again; a class that is no longer
    live (expired) ends teaching with one line.
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
    try:
        store().publish(code(), st.session_state["_class_key"], *slide)
    except StoreUnavailable as err:
        _problem(err)
        st.session_state["_class_pending"] = slide
        return
    except ClassError as err:  # expired, or ended on another page of the teacher's
        _problem(err)
        _stop_teaching()
        return
    st.session_state["_class_published"] = slide
    st.session_state.pop("_class_pending", None)


def _reclaim_from_browser() -> None:
    """A page of this class whose browser keeps its teacher key is the teacher's (a reload, a new replica)."""
    key = browser_keys().get(code())
    if code() and not teaching() and key:
        reclaim(key)


def ensure_student_id() -> None:
    """Give a student's page an id the server issued for this class, kept in its address (``sid``) so a
    reconnecting page is the same student; an id the server did not issue for this class is replaced.

    Raises:
        ClassError: the class is not live or full; StoreUnavailable: the database does not answer.
    """
    if not code() or teaching():
        return
    checked = (code(), st.session_state.get("student_id") or "")
    if st.session_state.get("_class_checked_id") == checked:  # an issued id stays issued: checked once a page
        return
    if store().student(*checked) is None:
        st.session_state["student_id"] = store().join(code())
    st.session_state["_class_checked_id"] = (code(), st.session_state["student_id"])


def follow(groups: dict[str, list[str]]) -> str | None:
    """On a student's page, take the teacher's slide when it changed.

    Args:
        groups: loadable model names by language pair (``state.available_models``).

    Returns:
        the slide's view address to switch to, or None (no class, not following, or no change). A code
        that leads to no live class leaves class mode with its one-line reason for ``banner`` (a student who
        was in the class reads that it ended); a database that does not answer keeps class mode.
    """
    _reclaim_from_browser()
    st.session_state["_class_page_run"] = st.session_state.get("_class_page_run", 0) + 1  # see ``watch``
    if not following():
        return None
    try:
        state = store().current(code())
        ensure_student_id()
    except StoreUnavailable as err:
        _problem(err)
        return None
    except ClassError as err:
        member = st.session_state.get("_class_seen") is not None
        _problem(t("class_mode.ended", code=code()) if member else str(err))
        if not member:
            _wrong_code()
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
    set_controls(state.params, groups, keep_url=False, skip=private_queries())
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
    the page run that took the current slide was cut short (a new slide arriving while the page was switching).
    While the database does not answer, one line says so and the polling goes on.

    Drawn by a full page run (the banner), it only notes that run: ``follow`` has just taken the slide, and
    that run has not yet reached ``finished`` — judging it cut short there would rerun every student's page
    three more times for each slide. Only the timer's own reruns poll the store."""
    if not following():
        return
    page_run = st.session_state.get("_class_page_run", 0)
    if st.session_state.get("_class_watched_run") != page_run:
        st.session_state["_class_watched_run"] = page_run
        return
    try:
        state = store().current(code())
    except StoreUnavailable as err:
        st.warning(t("class_mode.problem", problem=plain(str(err))))
        return
    except ClassError:
        st.rerun()  # ``follow`` says why on the page and leaves class mode
    seen = st.session_state.get("_class_seen")
    if seen != (state.revision, state.revealed):
        st.rerun()
    if st.session_state.get("_class_done") != seen and st.session_state.get("_class_retries", 0) < RETRIES:
        st.session_state["_class_retries"] = st.session_state.get("_class_retries", 0) + 1
        st.rerun()


@st.fragment(run_every=RESEND_SECONDS)
def resend() -> None:
    """A teacher's page: a slide the database refused is sent again until it is stored (one line meanwhile)."""
    if not (teaching() and st.session_state.get("_class_pending")):
        return
    publish()
    problem = st.session_state.pop("_class_problem", None)
    if problem:
        st.warning(t("class_mode.problem", problem=plain(problem)))


COOKIE_PREFIX = "attnviz_teacher_"  # the teacher_keys component's cookies: attnviz_teacher_<CODE> = key


def browser_keys() -> dict[str, str]:
    """{code: teacher key} of the classes whose key this browser keeps (its cookies, sent with the page)."""
    cookies = st.context.cookies or {}
    return {
        name.removeprefix(COOKIE_PREFIX)[:8]: str(value)[:64]
        for name, value in cookies.items()
        if name.startswith(COOKIE_PREFIX)
    }


def keep_teacher_keys() -> None:
    """Mount the ``teacher_keys`` component: this session's teacher key goes into a cookie of the browser's
    (for the class's time and its retention), and the keys of classes the store dropped are forgotten."""
    key = st.session_state.get("_class_key") if teaching() else None
    _KEEPER(
        key="class_keys_keeper",
        height=1,
        data={
            "code": code() if key else "",
            "key": key,
            "max_age": int((CLASS_HOURS + RETENTION_DAYS * 24) * 3600),
            "forget": st.session_state.get("_class_forget") or [],
        },
    )


def banner(view_title) -> None:
    """One line above every page: the class's code for the teacher, the slide followed for a student.

    view_title: ``view_title(address)`` → the view's title in the viewer's language.
    """
    keep_teacher_keys()
    problem = st.session_state.pop("_class_problem", None)
    if problem and not (teaching() and st.session_state.get("_class_pending")):  # else ``resend`` says it
        st.error(t("class_mode.problem", problem=plain(problem)))
    if teaching():
        st.info(t("class_mode.teaching", code=code()), icon=":material/co_present:")
        resend()
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
    """Teacher only: offer ``question`` to the class (recorded once; a refusal is one line)."""
    asked = st.session_state.setdefault("_class_asked", set())
    if teaching() and (code(), question.key) not in asked:
        try:
            store().ask(code(), st.session_state["_class_key"], question)
        except ClassError as err:
            _problem(err)
            return
        asked.add((code(), question.key))


def reveal(question: Question | None) -> None:
    """Teacher only: show (or, with None, hide) the answer on the students' pages."""
    try:
        store().reveal(code(), st.session_state["_class_key"], question.key if question else None)
    except ClassError as err:
        _problem(err)


def revealed(question: Question) -> bool:
    """Whether the teacher has revealed this question's answer to the class (False while the store is away)."""
    try:
        return store().current(code()).revealed == question.key
    except ClassError:
        return False


def tally(question: Question) -> Tally:
    """The class's answers to ``question`` so far (none counted while the store does not answer)."""
    try:
        return store().tally(code(), question.key)
    except ClassError:
        return Tally((0,) * len(question.source_words), 0, 0, None)


def send_answer(question: Question, choice: int, confidence: int | None) -> str | None:
    """A student's answer (replacing an earlier one); return a one-line problem or None."""
    try:
        store().answer(
            code(),
            st.session_state.get("student_id", ""),
            question.key,
            choice,
            confidence,
            st.session_state.get("class_nickname", ""),
        )
    except ClassError as err:
        return str(err)
    return None


def my_answer(question: Question) -> int | None:
    """The choice this student sent for ``question``, or None (also while the store does not answer)."""
    try:
        return store().student_answer(code(), question.key, st.session_state.get("student_id", ""))
    except ClassError:
        return None
