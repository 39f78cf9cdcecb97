"""Class mode: the class store on SQLite and on PostgreSQL, and the teacher's and a student's pages in AppTest."""

import csv
import io
import sqlite3
import threading
import time

import pytest

from attnviz.classroom.store import (CLASS_HOURS, CODE_ALPHABET, ClassError, ClassStore, NotTeacher, Question,
                                     TooFast, normalise_code)

from .conftest import fresh_database
from .test_app import VIEWS, start

QUESTION = Question("en-fr-additive", "I see her.", 2, "vois", ("I", "see", "her", "."), (0.1, 0.7, 0.15, 0.05))


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path):
    """An empty database: a SQLite file, or a new database on the test PostgreSQL server."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'classes.sqlite'}"
    return fresh_database(request.getfixturevalue("postgres_url"))


@pytest.fixture
def opened(store_url):
    """(store, code, teacher key) of a class showing Compare, with QUESTION asked."""
    store = ClassStore(store_url)
    code, key = store.start("compare", {"s": "I see her."}, "Four scorers")
    store.ask(code, key, QUESTION)
    return store, code, key


def test_a_class_starts_with_a_random_code_and_students_see_the_teachers_slide(opened):
    store, code, key = opened
    assert len(code) == 4 and set(code) <= set(CODE_ALPHABET)
    state = store.current(code.lower())  # typed in lower case: the same class
    assert (state.view, state.params, state.title, state.revealed) == ("compare", {"s": "I see her."}, "Four scorers", None)
    assert store.publish(code, key, "compare", {"s": "I see her."}, "Four scorers") == state.revision  # no change
    revision = store.publish(code, key, "quiz", {"s": "She sleeps."}, "")
    assert revision == state.revision + 1 and store.current(code).view == "quiz"
    assert key not in str(store.current(code))  # the key never leaves the teacher's session


def test_one_answer_per_student_per_question_answering_again_replaces_it(opened):
    store, code, _ = opened
    now = time.time()
    store.answer(code, "student-aaaa", QUESTION.key, 0, now=now)
    store.answer(code, "student-aaaa", QUESTION.key, 1, confidence=75, now=now + 1)
    store.answer(code, "student-bbbb", QUESTION.key, 1, now=now + 1)
    store.answer(code, "student-cccc", QUESTION.key, 2, confidence=25, now=now + 1)
    tally = store.tally(code, QUESTION.key)
    assert tally.counts == (0, 2, 1, 0) and tally.total == 3 and tally.right == 2  # the model's answer is "see"
    assert tally.shares == pytest.approx((0, 2 / 3, 1 / 3, 0)) and tally.mean_confidence == 50
    assert store.student_answer(code, QUESTION.key, "student-aaaa") == 1


def test_a_flood_from_one_student_is_refused(opened):
    store, code, _ = opened
    now = time.time()
    store.answer(code, "student-aaaa", QUESTION.key, 0, now=now)
    with pytest.raises(TooFast):
        store.answer(code, "student-aaaa", QUESTION.key, 1, now=now + 0.1)
    assert store.student_answer(code, QUESTION.key, "student-aaaa") == 0
    store.answer(code, "student-bbbb", QUESTION.key, 1, now=now + 0.1)  # another student is not slowed down


def test_many_students_answering_at_once_each_count_once(opened):
    store, code, _ = opened
    failures = []

    def answer(k: int):
        try:
            store.answer(code, f"student-{k:04d}", QUESTION.key, k % 4)
        except Exception as err:  # collected and reported by the assertion below
            failures.append(err)

    threads = [threading.Thread(target=answer, args=(k,)) for k in range(30)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures and store.tally(code, QUESTION.key).total == 30


def test_only_the_teacher_key_advances_reveals_closes_and_exports(opened):
    store, code, key = opened
    for wrong in ("", "guess", key[:-1] + ("A" if key[-1] != "A" else "B")):
        with pytest.raises(NotTeacher):
            store.publish(code, wrong, "quiz", {}, "")
        with pytest.raises(NotTeacher):
            store.reveal(code, wrong, QUESTION.key)
        with pytest.raises(NotTeacher):
            store.close(code, wrong)
        with pytest.raises(NotTeacher):
            store.export_csv(code, wrong)
        with pytest.raises(NotTeacher):
            store.ask(code, wrong, QUESTION)
        assert not store.is_teacher(code, wrong)
    assert store.current(code).view == "compare" and store.current(code).revealed is None
    store.reveal(code, key, QUESTION.key)
    assert store.current(code).revealed == QUESTION.key


@pytest.mark.parametrize("raw, says", [("ZZ", "is not a class code"), ("K7Q4", "no class has the code"),
                                       ("<b>x</b>", "is not a class code")])
def test_a_bad_code_gets_one_clear_line(opened, raw, says):
    store = opened[0]
    with pytest.raises(ClassError) as err:
        store.current(raw)
    assert says in str(err.value) and "\n" not in str(err.value)


def test_an_ended_or_expired_class_refuses_students_and_keeps_its_answers(opened):
    store, code, key = opened
    store.answer(code, "student-aaaa", QUESTION.key, 1)
    with pytest.raises(ClassError, match="has expired"):
        store.current(code, now=time.time() + CLASS_HOURS * 3600 + 1)
    with pytest.raises(ClassError, match="has expired"):
        store.answer(code, "student-bbbb", QUESTION.key, 1, now=time.time() + CLASS_HOURS * 3600 + 1)
    store.close(code, key)
    with pytest.raises(ClassError, match="has ended"):
        store.current(code)
    with pytest.raises(ClassError, match="has ended"):
        store.answer(code, "student-bbbb", QUESTION.key, 1)
    assert "student 1" in store.export_csv(code, key)  # the export still works after the end


@pytest.mark.parametrize("change, says", [
    ({"choice": 4}, "is not one of the sentence's word positions"), ({"choice": -1}, "word positions"),
    ({"confidence": 101}, "confidence must be"), ({"student": "x"}, "a student id is"),
    ({"student": "a' OR '1'='1"}, "a student id is"), ({"question": "0" * 40}, "not asked")])
def test_every_answer_is_validated(opened, change, says):
    store, code, _ = opened
    answer = {"student": "student-aaaa", "question": QUESTION.key, "choice": 1, "confidence": None} | change
    with pytest.raises(ClassError, match=says):
        store.answer(code, answer["student"], answer["question"], answer["choice"], answer["confidence"])
    assert store.tally(code, QUESTION.key).total == 0


def test_the_export_is_anonymous_unless_a_nickname_was_typed(opened):
    store, code, key = opened
    now = time.time()
    store.answer(code, "student-aaaa", QUESTION.key, 1, 80, now=now)
    store.answer(code, "student-bbbb", QUESTION.key, 2, nickname="=cmd|' /C calc'!A0 <b>Ana</b>\n", now=now + 1)
    rows = list(csv.DictReader(io.StringIO(store.export_csv(code, key))))
    assert [r["student"] for r in rows] == ["student 1", "=cmd|' /C calc'!A0 <b>Ana</b>"[:30]]
    assert [r["student"] for r in rows if "aaaa" in r["student"] or "bbbb" in r["student"]] == []
    assert rows[0] | {"question_asked": "", "answered": ""} == {
        "question_asked": "", "model": "en-fr-additive", "sentence": "I see her.", "target_word": "vois",
        "student": "student 1", "answer": "see", "model_answer": "see", "right": "1", "confidence": "80", "answered": ""}
    assert rows[1]["right"] == "0" and rows[1]["confidence"] == ""


def test_another_schema_version_is_refused_in_one_line(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    ClassStore(url)
    with sqlite3.connect(tmp_path / "old.sqlite") as db:
        db.execute("UPDATE attnviz_schema SET version = 99")
    with pytest.raises(ClassError, match="schema version 99; this attnviz needs 1"):
        ClassStore(url)


def test_sqlite_runs_in_wal_mode_so_processes_share_the_file(tmp_path):
    store = ClassStore(f"sqlite:///{tmp_path / 'classes.sqlite'}")
    code, _ = store.start("compare", {}, "")
    with sqlite3.connect(tmp_path / "classes.sqlite") as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert ClassStore(f"sqlite:///{tmp_path / 'classes.sqlite'}").current(code).view == "compare"  # another store


def test_codes_are_typed_forgivingly():
    assert normalise_code(" k7q4 ".replace("7", "7")) == "K7Q4"
    assert normalise_code("k7-q4") == "K7Q4"
    with pytest.raises(ClassError):
        normalise_code("K0Q4")  # 0 is not in the alphabet (it reads like O)


# the pages, in AppTest

@pytest.fixture
def class_database(tmp_path, monkeypatch):
    monkeypatch.setenv("ATTNVIZ_DATABASE_URL", f"sqlite:///{tmp_path / 'classes.sqlite'}")
    return ClassStore(f"sqlite:///{tmp_path / 'classes.sqlite'}")


def teacher_on_quiz():
    """A teacher who opened the Quiz, then started a class from it on the Class page."""
    teacher = start("Quiz", s="I see her.")
    teacher.switch_page(VIEWS["Class"]).run()
    teacher.button(key="class_start").click().run()
    return teacher.switch_page(VIEWS["Quiz"]).run()


def test_a_student_follows_answers_and_sees_the_answer_the_teacher_reveals(class_database):
    teacher = teacher_on_quiz()
    code = teacher.session_state["class_code"]
    student = start(**{"class": code.lower()})
    assert f"Class **{code}** · following the teacher" in student.info[0].value
    assert student.get("select_slider")[0].disabled  # the target word is the teacher's
    assert student.query_params["sid"] and student.query_params["class"] == code  # a reconnecting page is the same student
    assert "class_reveal" not in [b.key for b in student.button] and "quiz_reveal" not in [b.key for b in student.button]
    student.session_state["quiz_guess"] = 1
    student.run().button(key="class_send").click().run()
    assert "Your answer: **see**" in student.success[0].value
    teacher.run()
    assert "Answers from the class so far: **1**" in [m.value for m in teacher.markdown]
    teacher.button(key="class_reveal").click().run()
    student.run()
    question = class_database.question(code, class_database.current(code).revealed)
    assert question.source_words[:4] == ("I", "see", "her", ".")
    right = int(question.answer == 1)
    for page in (teacher, student):
        verdict = [m.value for m in page.markdown if "in the class predicted it" in m.value]
        assert verdict == [f"The model looked most at **{question.source_words[question.answer]}** "
                           f"(α = {max(question.weights):.2f}): **{right} of 1** in the class predicted it."]
    assert len(student.get("plotly_chart")) == 1  # the class beside the model's weights


def test_a_student_follows_the_teachers_next_slide_and_cannot_change_it(class_database):
    teacher = teacher_on_quiz()
    code = teacher.session_state["class_code"]
    student = start(**{"class": code})
    revision = class_database.current(code).revision
    student.text_input(key="sentence").input("The cat sleeps.").run()  # the student explores …
    assert class_database.current(code).revision == revision  # … and the class's slide is unchanged
    teacher.text_input(key="sentence").input("She is tired.").run()
    assert class_database.current(code).params["s"] == "She is tired."
    student.run()
    assert student.text_input(key="sentence").value == "She is tired."
    student.button(key="class_leave").click().run()
    teacher.text_input(key="sentence").input("You are here.").run()
    student.run()
    assert student.text_input(key="sentence").value == "She is tired."  # left: explores on their own
    student.button(key="class_rejoin").click().run()
    assert student.text_input(key="sentence").value == "You are here."


def test_a_bad_or_ended_code_in_the_link_gets_one_line_and_the_app_works(class_database):
    student = start(**{"class": "KKKK"})
    assert [e.value for e in student.error] == ["Class mode: no class has the code KKKK; check the code on the "
                                                 "teacher's screen"]
    assert len(student.get("plotly_chart")) > 0 and "class" not in student.query_params
    typo = start(**{"class": "<b>Z0</b>"})
    assert len(typo.error) == 1 and "is not a class code" in typo.error[0].value and "<b>" not in typo.error[0].value
    teacher = teacher_on_quiz()
    code = teacher.session_state["class_code"]
    teacher.switch_page(VIEWS["Class"]).run().button(key="class_close").click().run()
    late = start(**{"class": code})
    assert [e.value for e in late.error] == [f"Class mode: class {code} has ended"]


def test_the_teacher_takes_the_class_back_with_the_teacher_key(class_database):
    teacher = teacher_on_quiz()
    code, key = teacher.session_state["class_code"], teacher.session_state["_class_key"]
    reloaded = start("Class", **{"class": code})  # a reload: a new session, the key is gone
    assert "class_close" not in [b.key for b in reloaded.button]
    reloaded.text_input(key="class_teacher_key").input("wrong")  # a form: typed, then submitted in one run
    reloaded.button(key="FormSubmitter:class_reclaim-Teach this class").click().run()
    assert len(reloaded.error) == 1 and "That is not this class's teacher key" in reloaded.error[0].value
    reloaded.text_input(key="class_teacher_key").input(key)
    reloaded.button(key="FormSubmitter:class_reclaim-Teach this class").click().run()
    assert "class_close" in [b.key for b in reloaded.button]
