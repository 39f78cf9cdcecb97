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
def two_browsers():
    """(teacher's page, student's page): two separate browser contexts, so two separate Streamlit sessions."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            yield (browser.new_context(viewport={"width": 1280, "height": 900}).new_page(),
                   browser.new_context(viewport={"width": 1280, "height": 900}).new_page())
        finally:
            browser.close()


def start_class(teacher, url: str) -> str:
    """On the teacher's page: open the Class view, start a class on the seed-notes lecture; return the join code."""
    teacher.goto(f"{url}/class-mode", timeout=WAIT)
    settled(teacher, HEADINGS["Class"])
    teacher.get_by_test_id("stSelectbox").filter(has_text="Start from").click()
    teacher.get_by_role("option", name=LECTURE_TITLE).click()
    teacher.get_by_role("button", name="Start a class").click()
    banner = teacher.get_by_text(re.compile(r"Class [A-Z0-9]{4} is live")).inner_text(timeout=WAIT)
    settled(teacher, HEADINGS["Compare"])  # the lecture's first slide
    return re.search(r"Class ([A-Z0-9]{4}) is live", banner).group(1)


def follows(student, number: int) -> None:
    """The student's page shows the lecture's slide ``number`` (within the poll interval and a page run)."""
    student.get_by_text(re.compile(rf"following the teacher: {LECTURE_TITLE} · {number}/\d+")).wait_for(timeout=WAIT)


def answer_the_quiz(student) -> str:
    """On the student's quiz slide: pick the first source word and send it; return that word."""
    settled(student, HEADINGS["Quiz"])
    pills = student.get_by_role("radiogroup", name="The class's guess").get_by_role("radio")
    word = pills.first.inner_text().strip()
    pills.first.click()
    student.get_by_role("button", name="Send my answer").click()
    student.get_by_text(f"Your answer: {word}").wait_for(timeout=WAIT)
    return word


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_a_student_follows_three_slides_answers_and_the_teacher_reveals(database, request, tmp_path):
    url_of_store = (f"sqlite:///{tmp_path / 'classes.sqlite'}" if database == "sqlite"
                    else fresh_database(request.getfixturevalue("postgres_url")))
    with running_app(ATTNVIZ_DATABASE_URL=url_of_store) as url, two_browsers() as (teacher, student):
        code = start_class(teacher, url)
        student.goto(f"{url}/?class={code}", timeout=WAIT)
        follows(student, 1)
        for number in (2, 3, 4):  # the teacher's ▶; the student's page follows
            teacher.get_by_role("button", name="Next ▶").click()
            teacher.get_by_text(f"slide {number} of").wait_for(timeout=WAIT)
            follows(student, number)
        assert student.get_by_role("button", name="Next ▶").count() == 0  # a student cannot advance …
        assert student.get_by_role("button", name="Reveal to the class").count() == 0  # … nor reveal
        assert student.get_by_role("button", name="Reveal", exact=True).count() == 0
        word = answer_the_quiz(student)
        teacher.get_by_text("Answers from the class so far: 1").wait_for(timeout=WAIT)
        teacher.get_by_role("button", name="Reveal to the class").click()
        for page in (teacher, student):  # the verdict on both screens, the student's without touching it
            page.get_by_text(re.compile(r"of 1 in the class predicted it")).wait_for(timeout=WAIT)
        store = ClassStore(url_of_store)
        question = store.current(code).revealed
        assert store.tally(code, question).total == 1
        assert store.question(code, question).source_words[store.student_answer(
            code, question, re.search(r"sid=([\w-]+)", student.url).group(1))] == word
        student.screenshot(path=str(tmp_path / "student.png"))


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
            with ClassStore(database).engine.connect() as db:  # every committed answer, and only those
                assert db.execute(select(answers.c.code, answers.c.choice)).all() == [(code, 0)]
    finally:
        server.terminate()
        server.wait(timeout=20)
