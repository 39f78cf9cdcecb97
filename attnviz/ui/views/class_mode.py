"""Class: the teacher starts a class and shows its join code; students join it and follow the teacher's slides."""

ICON = ":material/groups:"
ORDER = 50
SECTION = "lesson"

import io
import urllib.parse

import qrcode
import streamlit as st

from attnviz.classroom.store import RETENTION_DAYS
from attnviz.ui import classroom, common, player
from attnviz.ui.i18n import t


def join_link(code: str) -> str:
    """The address a student opens: this server's, with ``?class=CODE``."""
    parts = urllib.parse.urlsplit(st.context.url or "http://localhost:8501/")
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, "/", urllib.parse.urlencode({"class": code}), ""))


def qr_png(link: str) -> bytes:
    """The join link as a QR code, PNG bytes (to scan from the projector)."""
    buffer = io.BytesIO()
    qrcode.make(link, box_size=8, border=2).save(buffer)
    return buffer.getvalue()


def start_class() -> None:
    """Button callback: open the class on the chosen lecture's first slide, or on the page the teacher came from."""
    lecture = st.session_state.get("class_lecture") or ""
    st.session_state["lecture"] = lecture
    if lecture:
        player.go(0)  # the next run switches to the first slide; the run after publishes it
    classroom.start(classroom.last_view(), classroom.slide_title(), switch=not lecture)


def join_class() -> None:
    """Form callback: follow the typed class code."""
    st.session_state["_class_join_problem"] = classroom.join(st.session_state.get("class_join_code", ""))


def reclaim_class() -> None:
    """Form callback: the teacher takes the class back with the teacher key."""
    if not classroom.reclaim(st.session_state.get("class_teacher_key", "")):
        st.session_state["_class_join_problem"] = t("class_mode.wrong_key")


def ended_classes() -> None:
    """The answers of this teacher's ended classes, while the store keeps them."""
    for code, key in classroom.ended().items():
        text, button = st.columns([3, 2], vertical_alignment="center")
        text.markdown(t("class_mode.ended_kept", code=code, days=f"{RETENTION_DAYS:g}"))
        button.download_button(
            t("class_mode.export"),
            classroom.export(code, key),
            f"class-{code}.csv",
            "text/csv",
            on_click="ignore",
            key=f"class_export_{code}",
        )


st.subheader(t("class_mode.heading"))
if classroom.teaching():
    code = classroom.code()
    link = join_link(code)
    left, right = st.columns([2, 1])
    left.markdown(t("class_mode.code", code=code))
    left.markdown(t("class_mode.link"))
    left.code(link, language=None)
    left.caption(t("class_mode.how"))
    right.image(qr_png(link), caption=t("class_mode.qr"), width=240)
    export, save_key, close = st.columns(3)
    export.download_button(
        t("class_mode.export"),
        classroom.export(code, st.session_state["_class_key"]),
        f"class-{code}.csv",
        "text/csv",
        on_click="ignore",
        key="class_export",
    )
    save_key.download_button(
        t("class_mode.save_key"),
        st.session_state["_class_key"],
        f"teacher-key-{code}.txt",
        "text/plain",
        on_click="ignore",
        key="class_save_key",
        help=t("class_mode.key_help"),
    )
    close.button(t("class_mode.close"), on_click=classroom.close, key="class_close")
else:
    problem = st.session_state.pop("_class_join_problem", None)
    if problem:
        st.error(common.plain(problem))
    teacher, student = st.columns(2)
    with teacher:
        st.markdown(t("class_mode.start_heading"))
        lectures = player.lectures()[0]
        st.selectbox(
            t("class_mode.from"),
            ["", *lectures],
            key="class_lecture",
            format_func=lambda name: lectures[name].title if name else t("class_mode.from_page"),
        )
        st.button(t("class_mode.start"), on_click=start_class, type="primary", key="class_start")
    with student:
        st.markdown(t("class_mode.join_heading"))
        with st.form("class_join", border=False):
            st.text_input(t("class_mode.join_code"), key="class_join_code", max_chars=12, placeholder="K7Q4MX")
            st.form_submit_button(t("class_mode.join"), on_click=join_class)
        if classroom.code():
            with st.form("class_reclaim", border=False):
                st.text_input(t("class_mode.teacher_key"), key="class_teacher_key", type="password")
                st.form_submit_button(t("class_mode.reclaim"), on_click=reclaim_class)
    ended_classes()
