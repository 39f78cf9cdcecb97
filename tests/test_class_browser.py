"""Class mode in real browsers: a teacher's Chromium and a student's, on one `streamlit run`, the class store on
SQLite and on PostgreSQL; and a server killed mid-class and started again."""

import contextlib
import re
import signal

import pytest
from sqlalchemy import select

from attnviz.classroom.store import ClassStore, answers

from .conftest import fresh_database
from .test_browser import CHROMIUM, FLAGS, HEADINGS, free_port, running_app, settled, start_app

pytestmark = pytest.mark.slow

LECTURE_TITLE = "Attention in neural machine translation"  # lectures/seed-notes.toml; its slide 4 is the quiz
WAIT = 60_000  # ms: a page on a busy CI machine


@contextlib.contextmanager
def browsers(count: int = 2):
    """(teacher's page, student's page, …): separate browser contexts, so separate Streamlit sessions."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            yield tuple(
                browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True).new_page()
                for _ in range(count)
            )
        finally:
            browser.close()


def two_browsers():
    """(teacher's page, student's page)."""
    return browsers(2)


def start_class(teacher, url: str) -> str:
    """On the teacher's page: open the Class view, start a class on the seed-notes lecture; return the join code."""
    teacher.goto(f"{url}/class-mode", timeout=WAIT)
    settled(teacher, HEADINGS["Class"])
    teacher.get_by_test_id("stSelectbox").filter(has_text="Start from").click()
    teacher.get_by_role("option", name=LECTURE_TITLE).click()
    teacher.get_by_role("button", name="Start a class").click()
    banner = teacher.get_by_text(re.compile(r"Class [A-Z0-9]{6} is live")).inner_text(timeout=WAIT)
    settled(teacher, HEADINGS["Compare"])  # the lecture's first slide
    return re.search(r"Class ([A-Z0-9]{6}) is live", banner).group(1)


def follows(student, number: int) -> None:
    """The student's page shows the lecture's slide ``number`` (within the poll interval and a page run)."""
    student.get_by_text(re.compile(rf"following the teacher: {LECTURE_TITLE} · {number}/\d+")).wait_for(timeout=WAIT)


def sid_of(page) -> str:
    """The student id in a page's address."""
    return re.search(r"sid=([\w.-]+)", page.url).group(1)


def answer_the_quiz(student, nickname: str = "") -> str:
    """On the student's quiz slide: pick the first source word (typing a nickname first) and send it; return
    that word."""
    settled(student, HEADINGS["Quiz"])
    if nickname:
        field = student.get_by_label(re.compile("^Nickname"))
        field.fill(nickname)
        field.press("Enter")
    pills = student.get_by_role("radiogroup", name="The class's guess").get_by_role("radio")
    word = pills.first.inner_text().strip()
    pills.first.click()
    student.get_by_role("button", name="Send my answer").click()
    student.get_by_text(f"Your answer: {word}").wait_for(timeout=WAIT)
    return word


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_a_class_answers_the_teacher_reveals_downloads_the_answers_and_ends_the_class(database, request, tmp_path):
    url_of_store = (
        f"sqlite:///{tmp_path / 'classes.sqlite'}"
        if database == "sqlite"
        else fresh_database(request.getfixturevalue("postgres_url"))
    )
    with running_app(ATTNVIZ_DATABASE_URL=url_of_store) as url, browsers(4) as (teacher, ana, ben, forger):
        code = start_class(teacher, url)
        for student in (ana, ben):
            student.goto(f"{url}/?class={code}", timeout=WAIT)
            follows(student, 1)
        forger.goto(f"{url}/?class={code}&sid=mine-own-id", timeout=WAIT)  # an id of the student's own choosing
        follows(forger, 1)
        for number in (2, 3, 4):  # the teacher's ▶; the students' pages follow
            teacher.get_by_role("button", name="Next ▶").click()
            teacher.get_by_text(f"slide {number} of").wait_for(timeout=WAIT)
            for student in (ana, ben):
                follows(student, number)
        assert ben.get_by_role("button", name="Next ▶").count() == 0  # a student cannot advance …
        assert ben.get_by_role("button", name="Reveal to the class").count() == 0  # … nor reveal
        assert ben.get_by_role("button", name="Reveal", exact=True).count() == 0
        words = [answer_the_quiz(ana, nickname='=HYPERLINK("http://x")'), answer_the_quiz(ben)]
        teacher.get_by_text("Answers from the class so far: 2").wait_for(timeout=WAIT)
        teacher.get_by_role("button", name="Reveal to the class").click()
        for page in (teacher, ana, ben):  # the verdict on every screen, the students' without touching them
            page.get_by_text(re.compile(r"of 2 in the class predicted it")).wait_for(timeout=WAIT)
        store = ClassStore(url_of_store)
        question = store.current(code).revealed
        sids = [sid_of(ana), sid_of(ben)]
        assert [
            store.question(code, question).source_words[store.student_answer(code, question, sid)] for sid in sids
        ] == words
        assert sid_of(forger) != "mine-own-id" and store.student(code, sid_of(forger)) is not None

        teacher.goto(f"{url}/class-mode?class={code}", timeout=WAIT)  # a reload: still the teacher, no key typed
        settled(teacher, HEADINGS["Class"])
        teacher.get_by_text(re.compile(rf"Class {code} is live")).wait_for(timeout=WAIT)
        rows = download_answers(teacher, "class_export")
        assert [(r["student"], r["answer"]) for r in rows] == [("student 1", words[0]), ("student 2", words[1])]
        assert rows[0]["nickname"] == '\'=HYPERLINK("http://x")'  # shown as text by a spreadsheet
        assert not [c for r in rows for c in r.values() if c.startswith(("=", "+", "-", "@", "\t", "\r"))]
        teacher.get_by_role("button", name="End the class").click()
        teacher.get_by_text(f"Class {code} has ended; its answers are kept for 7 days.").wait_for(timeout=WAIT)
        for student in (ana, ben):
            student.get_by_text(f"Class mode: class {code} has ended").wait_for(timeout=WAIT)
        assert len(download_answers(teacher, f"class_export_{code}")) == 2  # after the end too
        ana.screenshot(path=str(tmp_path / "student.png"))


def download_answers(teacher, key: str) -> list[dict]:
    """Click the download button with widget key ``key`` on the teacher's Class page; the CSV's rows."""
    import csv

    with teacher.expect_download(timeout=WAIT) as download:
        teacher.locator(f".st-key-{key}").get_by_role("button").click()
    with open(download.value.path(), encoding="utf-8") as file:
        return list(csv.DictReader(file))


def test_a_server_killed_mid_class_keeps_every_answer_and_the_student_page_rejoins(tmp_path):
    database = f"sqlite:///{tmp_path / 'classes.sqlite'}"
    port = free_port()
    server = start_app(port, ATTNVIZ_DATABASE_URL=database)
    url = f"http://127.0.0.1:{port}"
    try:
        with two_browsers() as (teacher, student):
            code = start_class(teacher, url)
            student.goto(f"{url}/?class={code}", timeout=WAIT)
            for number in (2, 3, 4):
                teacher.get_by_role("button", name="Next ▶").click()
                follows(student, number)
            word = answer_the_quiz(student)
            server.send_signal(signal.SIGKILL)  # no shutdown: what a crash or a pulled plug leaves
            server.wait(timeout=20)
            server = start_app(port, ATTNVIZ_DATABASE_URL=database)
            # the student's page reconnects by itself, as the same student (its address keeps class= and sid=)
            follows(student, 4)
            student.get_by_text(f"Your answer: {word}").wait_for(timeout=WAIT)
            # the teacher's page reconnects to a new session, which its browser's teacher key makes the teacher's
            teacher.get_by_text(re.compile(rf"Class {code} is live")).wait_for(timeout=WAIT)
            with ClassStore(database).engine.connect() as db:  # every committed answer, and only those
                assert db.execute(select(answers.c.code, answers.c.choice)).all() == [(code, 0)]
    finally:
        server.terminate()
        server.wait(timeout=20)
