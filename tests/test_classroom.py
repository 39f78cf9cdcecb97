"""Class mode: the class store on SQLite and on PostgreSQL (from several processes, through a database that stops
and starts), and the teacher's and a student's pages in AppTest."""

import csv
import io
import multiprocessing
import sqlite3
import subprocess
import threading
import time

import pytest

from attnviz.classroom import store as store_module
from attnviz.classroom.store import (
    CLASS_HOURS,
    CODE_ALPHABET,
    RETENTION_DAYS,
    ClassError,
    ClassStore,
    NotTeacher,
    Question,
    StoreUnavailable,
    TooFast,
    clean_nickname,
    normalise_code,
    spreadsheet_safe,
)
from scripts.class_storm import storm

from .conftest import ROOT, fresh_database
from .test_app import VIEWS, charts, heatmaps, start

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
    assert len(code) == 6 and set(code) <= set(CODE_ALPHABET)
    state = store.current(code.lower())  # typed in lower case: the same class
    assert (state.view, state.params, state.title, state.revealed) == (
        "compare",
        {"s": "I see her."},
        "Four scorers",
        None,
    )
    assert store.publish(code, key, "compare", {"s": "I see her."}, "Four scorers") == state.revision  # no change
    revision = store.publish(code, key, "quiz", {"s": "She sleeps."}, "")
    assert revision == state.revision + 1 and store.current(code).view == "quiz"
    assert key not in str(store.current(code))  # the key never leaves the teacher's session


def test_student_ids_are_issued_and_signed_by_the_server(opened):
    store, code, key = opened
    sid = store.join(code)
    assert store.student(code, sid) == sid.split(".")[0]
    other_code, _ = store.start("compare", {}, "")
    foreign = store.join(other_code)
    token, signature = sid.split(".")
    invented = ["anything", "student-aaaa", f"{token}.{'A' * 16}", f"{'A' * 11}.{signature}", foreign, "", sid + "x"]
    for fake in invented:
        assert store.student(code, fake) is None, fake
        with pytest.raises(ClassError, match="not issued for this class"):
            store.answer(code, fake, QUESTION.key, 1)
    assert store.tally(code, QUESTION.key).total == 0
    store.answer(code, sid, QUESTION.key, 1)
    assert (
        store.student_answer(code, QUESTION.key, sid) == 1 and store.student_answer(code, QUESTION.key, foreign) is None
    )
    assert ClassStore(store.url).student(code, sid) is not None  # another replica on the database checks it too


def test_one_answer_per_student_per_question_answering_again_replaces_it(opened):
    store, code, _ = opened
    now = time.time()
    a, b, c = (store.join(code) for _ in range(3))
    store.answer(code, a, QUESTION.key, 0, now=now)
    store.answer(code, a, QUESTION.key, 1, confidence=75, now=now + 1)
    store.answer(code, b, QUESTION.key, 1, now=now + 1)
    store.answer(code, c, QUESTION.key, 2, confidence=25, now=now + 1)
    tally = store.tally(code, QUESTION.key)
    assert tally.counts == (0, 2, 1, 0) and tally.total == 3 and tally.right == 2  # the model's answer is "see"
    assert tally.shares == pytest.approx((0, 2 / 3, 1 / 3, 0)) and tally.mean_confidence == 50
    assert store.student_answer(code, QUESTION.key, a) == 1


def test_a_flood_from_one_student_is_refused_and_a_class_is_capped(opened, monkeypatch):
    store, code, _ = opened
    now = time.time()
    a, b = store.join(code), store.join(code)
    store.answer(code, a, QUESTION.key, 0, now=now)
    with pytest.raises(TooFast):
        store.answer(code, a, QUESTION.key, 1, now=now + 0.1)
    assert store.student_answer(code, QUESTION.key, a) == 0
    store.answer(code, b, QUESTION.key, 1, now=now + 0.1)  # another student is not slowed down
    monkeypatch.setattr(store_module, "MAX_STUDENTS", 3)
    store.join(code)
    with pytest.raises(ClassError, match="is full"):
        store.join(code)  # new ids stop at the cap, so a flood of new ids stops there too


def test_answers_after_the_reveal_are_refused(opened):
    store, code, key = opened
    early, late = store.join(code), store.join(code)
    store.answer(code, early, QUESTION.key, 1)
    store.reveal(code, key, QUESTION.key)
    with pytest.raises(ClassError, match="revealed: answers are closed"):
        store.answer(code, late, QUESTION.key, 1)
    with pytest.raises(ClassError, match="revealed"):
        store.answer(code, early, QUESTION.key, 2, now=time.time() + 5)
    assert store.tally(code, QUESTION.key).counts == (0, 1, 0, 0)


def test_many_students_answering_at_once_each_count_once(opened):
    store, code, _ = opened
    failures = []
    sids = [store.join(code) for _ in range(30)]

    def answer(k: int):
        try:
            store.answer(code, sids[k], QUESTION.key, k % 4)
        except Exception as err:  # collected and reported by the assertion below
            failures.append(err)

    threads = [threading.Thread(target=answer, args=(k,)) for k in range(30)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures and store.tally(code, QUESTION.key).total == 30


@pytest.mark.slow
def test_a_storm_from_several_processes_loses_and_doubles_nothing(store_url):
    result = storm(store_url, processes=4, students=30, publishes=24)
    assert sorted(result["revisions"]) == list(range(2, 26)) and result["final_revision"] == 25  # all distinct
    assert result["answers"] == ["stored"] * 30 and result["stored"] == 30
    one, seconds = result["one_student"], result["one_student_seconds"]
    # the flood limit lets one answer in per MIN_ANSWER_SECONDS while the burst lasts (a loaded machine stretches it)
    assert 1 <= one.count("stored") <= 1 + seconds / store_module.MIN_ANSWER_SECONDS and one.count(
        "too fast"
    ) == 30 - one.count("stored")


def _open_store(url: str) -> int:
    return ClassStore(url).current(ClassStore(url).start("compare", {}, "")[0]).revision


@pytest.mark.slow
def test_three_replicas_starting_at_once_on_a_fresh_database_agree_on_the_schema(store_url):
    with multiprocessing.get_context("spawn").Pool(3) as pool:
        assert pool.map(_open_store, [store_url] * 3) == [1, 1, 1]
    store = ClassStore(store_url)
    with store.engine.connect() as db:
        assert [r.version for r in db.execute(store_module.select(store_module.schema_table))] == [2]


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


@pytest.mark.parametrize(
    "raw, says",
    [
        ("ZZ", "is not a class code"),
        ("K7Q4MX", "no live class has the code K7Q4MX"),
        ("<b>x</b>", "is not a class code"),
        ("K7Q4", "is not a class code"),
    ],
)
def test_a_bad_code_gets_one_clear_line(opened, raw, says):
    store = opened[0]
    with pytest.raises(ClassError) as err:
        store.current(raw)
    assert says in str(err.value) and "\n" not in str(err.value)


def test_never_ended_and_expired_codes_get_the_same_message_and_keep_their_answers(opened):
    store, code, key = opened
    sid = store.join(code)
    store.answer(code, sid, QUESTION.key, 1)
    later = time.time() + CLASS_HOURS * 3600 + 1
    messages = set()
    for attempt in (
        lambda: store.current(code, now=later),
        lambda: store.join(code, now=later),
        lambda: store.answer(code, store.join(code), QUESTION.key, 1, now=later),
    ):
        with pytest.raises(ClassError) as err:
            attempt()
        messages.add(str(err.value))
    store.close(code, key)
    with pytest.raises(ClassError) as err:
        store.current(code)
    messages.add(str(err.value))
    never = next(c for c in ("AAAAAA", "CCCCCC") if c != code)
    with pytest.raises(ClassError) as err:
        store.current(never)
    assert messages == {f"no live class has the code {code}; check the code on the teacher's screen"}
    assert str(err.value) == f"no live class has the code {never}; check the code on the teacher's screen"
    assert '"student 1"' in store.export_csv(code, key)  # the export still works after the end
    assert store.is_teacher(code, key, live=False) and not store.is_teacher(code, key)


def test_ended_classes_are_purged_after_the_retention_period(opened):
    store, code, key = opened
    store.answer(code, store.join(code), QUESTION.key, 1)
    store.close(code, key)
    assert store.purge(time.time() + RETENTION_DAYS * 86400 - 60) == 0
    assert store.export_csv(code, key)
    assert store.purge(time.time() + RETENTION_DAYS * 86400 + 60) == 1
    with pytest.raises(ClassError, match="is kept"):
        store.export_csv(code, key)
    assert not store.is_teacher(code, key, live=False)


@pytest.mark.parametrize(
    "change, says",
    [
        ({"choice": 4}, "is not one of the sentence's word positions"),
        ({"choice": -1}, "word positions"),
        ({"confidence": 101}, "confidence must be"),
        ({"student": "x"}, "not issued for this class"),
        ({"student": "a' OR '1'='1"}, "not issued"),
        ({"question": "0" * 40}, "not asked"),
    ],
)
def test_every_answer_is_validated(opened, change, says):
    store, code, _ = opened
    answer = {"student": store.join(code), "question": QUESTION.key, "choice": 1, "confidence": None} | change
    with pytest.raises(ClassError, match=says):
        store.answer(code, answer["student"], answer["question"], answer["choice"], answer["confidence"])
    assert store.tally(code, QUESTION.key).total == 0


def test_the_export_is_numbered_by_the_server_and_safe_in_a_spreadsheet(opened):
    store, code, key = opened
    now = time.time()
    nicknames = [
        "",
        '=HYPERLINK("http://x","y")',
        "+cmd|' /C calc'!A0",
        "student 1",
        "Ana\u202e\u200bmaria",
        "@SUM(1)",
        "-2+3",
        "\tTab",
    ]
    sids = [store.join(code) for _ in nicknames]
    for k, (sid, nickname) in enumerate(zip(sids, nicknames)):
        store.answer(code, sid, QUESTION.key, k % 4, 80 if k == 0 else None, nickname=nickname, now=now + k)
    text = store.export_csv(code, key)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["student"] for r in rows] == [f"student {k}" for k in range(1, len(nicknames) + 1)]
    assert [r["nickname"] for r in rows] == [
        "",
        '\'=HYPERLINK("http://x","y")',
        "'+cmd|' /C calc'!A0",
        "student 1",
        "Anamaria",
        "'@SUM(1)",
        "'-2+3",
        "Tab",
    ]
    cells = [cell for r in rows for cell in r.values()]
    assert not [c for c in cells if c.startswith(("=", "+", "-", "@", "\t", "\r"))]
    assert all(line.startswith('"') for line in text.splitlines())  # every cell quoted
    assert rows[0] | {"question_asked": "", "answered": ""} == {
        "question_asked": "",
        "model": "en-fr-additive",
        "sentence": "I see her.",
        "target_word": "vois",
        "student": "student 1",
        "nickname": "",
        "answer": "I",
        "model_answer": "see",
        "right": "0",
        "confidence": "80",
        "answered": "",
    }
    assert rows[1]["right"] == "1" and rows[1]["confidence"] == ""


def test_nicknames_lose_format_characters_and_cells_lose_formulas():
    assert clean_nickname(" a\u202eb\u200dc\u2066d\ne  f ") == "abcde f"
    assert clean_nickname("x" * 50) == "x" * 30
    assert [spreadsheet_safe(c) for c in ("=1+1", "+1", "-1", "@A", "\tx", "\rx", "ok", 3)] == [
        "'=1+1",
        "'+1",
        "'-1",
        "'@A",
        "'\tx",
        "'\rx",
        "ok",
        3,
    ]


def _make_version_1(path) -> None:
    """A database as attnviz with schema version 1 left it: any student id, no students table."""
    with sqlite3.connect(path) as db:
        db.executescript("""
            CREATE TABLE attnviz_schema (version INTEGER NOT NULL);
            INSERT INTO attnviz_schema VALUES (1);
            CREATE TABLE class_sessions (code VARCHAR(8) PRIMARY KEY, teacher_key_sha256 VARCHAR(64) NOT NULL,
              view VARCHAR(64) NOT NULL, params TEXT NOT NULL, title VARCHAR(2000) NOT NULL, revision INTEGER NOT NULL,
              revealed VARCHAR(64), created FLOAT NOT NULL, expires FLOAT NOT NULL, closed BOOLEAN NOT NULL);
            CREATE TABLE class_questions (code VARCHAR(8), question VARCHAR(64), model VARCHAR(200) NOT NULL,
              sentence TEXT NOT NULL, step INTEGER NOT NULL, target_word VARCHAR(200) NOT NULL,
              source_words TEXT NOT NULL, weights TEXT NOT NULL, asked FLOAT NOT NULL, PRIMARY KEY (code, question));
            CREATE TABLE class_answers (code VARCHAR(8), question VARCHAR(64), student VARCHAR(32), choice INTEGER NOT NULL,
              confidence INTEGER, nickname VARCHAR(30), answered FLOAT NOT NULL, PRIMARY KEY (code, question, student));
            INSERT INTO class_sessions VALUES ('K7Q4', 'x', 'quiz', '{}', '', 1, NULL, 1.0, 2.0, 1);
            INSERT INTO class_questions VALUES ('K7Q4', 'q', 'm', 's', 0, 't', '["a", "b"]', '[0.2, 0.8]', 1.0);
            INSERT INTO class_answers VALUES ('K7Q4', 'q', 'second-student', 1, NULL, NULL, 1.6);
            INSERT INTO class_answers VALUES ('K7Q4', 'q', 'first-student', 0, NULL, NULL, 1.5);
        """)


def test_a_version_1_database_is_migrated_and_another_version_refused_in_one_line(tmp_path):
    _make_version_1(tmp_path / "old.sqlite")
    store = ClassStore(f"sqlite:///{tmp_path / 'old.sqlite'}")
    with sqlite3.connect(tmp_path / "old.sqlite") as db:
        assert db.execute("SELECT version FROM attnviz_schema").fetchall() == [(2,)]
        assert db.execute("SELECT student, number FROM class_students ORDER BY number").fetchall() == [
            ("first-student", 1),
            ("second-student", 2),
        ]
        db.execute("UPDATE attnviz_schema SET version = 99")
    assert store.purge(time.time()) == 1  # its class ended long ago
    with pytest.raises(ClassError, match="schema version 99; this attnviz needs 2"):
        ClassStore(f"sqlite:///{tmp_path / 'old.sqlite'}")


def test_sqlite_runs_in_wal_mode_so_processes_share_the_file(tmp_path):
    store = ClassStore(f"sqlite:///{tmp_path / 'classes.sqlite'}")
    code, _ = store.start("compare", {}, "")
    with sqlite3.connect(tmp_path / "classes.sqlite") as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert ClassStore(f"sqlite:///{tmp_path / 'classes.sqlite'}").current(code).view == "compare"  # another store


def test_a_locked_sqlite_file_gives_one_line_then_the_class_goes_on(tmp_path, monkeypatch):
    monkeypatch.setattr(store_module, "SQLITE_BUSY_SECONDS", 0.3)
    store = ClassStore(f"sqlite:///{tmp_path / 'classes.sqlite'}")
    code, key = store.start("compare", {}, "")
    holder = sqlite3.connect(tmp_path / "classes.sqlite", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # another process holds the file
    with pytest.raises(StoreUnavailable) as err:
        store.publish(code, key, "quiz", {}, "")
    assert str(err.value) == "the class database is not answering (OperationalError); trying again"
    holder.execute("COMMIT")
    holder.close()
    assert store.publish(code, key, "quiz", {}, "") == 2


@pytest.mark.slow
def test_postgresql_stopped_and_started_mid_class_gives_one_line_then_the_class_goes_on(tmp_path):
    import glob
    import os

    if not glob.glob("/usr/lib/postgresql/*/bin/initdb"):
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL is not installed: .ci/run should have installed Debian's postgresql")
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql)")
    import tempfile

    from .test_browser import free_port

    folder, port, script = (
        tempfile.mkdtemp(prefix="attnviz-pg-restart-"),
        str(free_port()),
        str(ROOT / "scripts" / "postgres.sh"),
    )
    url = subprocess.run(
        ["bash", script, "start", folder, port], check=True, capture_output=True, text=True
    ).stdout.strip()
    try:
        store = ClassStore(url)
        code, key = store.start("compare", {}, "")
        sid = store.join(code)
        store.ask(code, key, QUESTION)
        subprocess.run(["bash", script, "stop", folder], check=True)
        for attempt in (
            lambda: store.current(code),
            lambda: store.publish(code, key, "quiz", {}, ""),
            lambda: store.answer(code, sid, QUESTION.key, 1),
        ):
            with pytest.raises(StoreUnavailable) as err:
                attempt()
            assert str(err.value).startswith("the class database is not answering (") and "\n" not in str(err.value)
        subprocess.run(["bash", script, "start", folder, port], check=True, capture_output=True)
        assert store.publish(code, key, "quiz", {}, "") == 2  # the same store, no restart of the app
        store.answer(code, sid, QUESTION.key, 1)
        assert store.tally(code, QUESTION.key).total == 1 and store.current(code).view == "quiz"
    finally:
        subprocess.run(["bash", script, "stop", folder], check=False, capture_output=True)
        subprocess.run(["rm", "-rf", folder], check=False)


def test_codes_are_typed_forgivingly():
    assert normalise_code(" k7q4mx ") == "K7Q4MX"
    assert normalise_code("k7q-4mx") == "K7Q4MX"
    with pytest.raises(ClassError):
        normalise_code("K0Q4MX")  # 0 is not in the alphabet (it reads like O)


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
    assert (
        student.query_params["sid"] and student.query_params["class"] == code
    )  # a reconnecting page is the same student
    assert "class_reveal" not in [b.key for b in student.button] and "quiz_reveal" not in [
        b.key for b in student.button
    ]
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
        assert verdict == [
            f"The model looked most at **{question.source_words[question.answer]}** "
            f"(α = {max(question.weights):.2f}): **{right} of 1** in the class predicted it."
        ]
    drawn = [h for h in heatmaps(student) if h["name"] == "class-answers"]  # the class beside the model's weights
    assert len(drawn) == 1
    panel = drawn[0]["panels"][0]
    assert panel["target"] == ["the class", "the model"] and panel["links"] == [[question.answer, 1]]
    assert panel["weights"][0][1] == 1.0 and panel["weights"][1] == pytest.approx(list(question.weights), abs=1e-6)


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


def test_a_student_takes_a_new_slide_in_one_page_run(class_database, monkeypatch):
    """A slide costs each student's page one run of the server's: 30 students, 30 runs (the watch drawn by
    that run once judged it cut short and reran the page three more times)."""
    from attnviz.ui import classroom

    teacher = teacher_on_quiz()
    student = start(**{"class": teacher.session_state["class_code"]})
    teacher.text_input(key="sentence").input("She is tired.").run()
    runs = []  # the student's page runs (``follow`` opens every one)
    follow = classroom.follow
    monkeypatch.setattr(classroom, "follow", lambda groups: runs.append(1) or follow(groups))
    student.run()
    assert student.text_input(key="sentence").value == "She is tired." and len(runs) == 1
    student.run()  # nothing new: one run, the page as it is
    assert len(runs) == 2 and student.session_state["_class_done"] == student.session_state["_class_seen"]


def test_a_bad_or_ended_code_in_the_link_gets_one_line_and_the_app_works(class_database):
    student = start(**{"class": "KKKKKK"})
    assert [e.value for e in student.error] == [
        "Class mode: no live class has the code KKKKKK; check the code on the teacher's screen"
    ]
    assert len(charts(student)) > 0 and "class" not in student.query_params
    typo = start(**{"class": "<b>Z0</b>"})
    assert len(typo.error) == 1 and "is not a class code" in typo.error[0].value and "<b>" not in typo.error[0].value
    teacher = teacher_on_quiz()
    code = teacher.session_state["class_code"]
    member = start(**{"class": code})
    teacher.switch_page(VIEWS["Class"]).run().button(key="class_close").click().run()
    late = start(**{"class": code})  # the same line as for a code that never existed
    assert [e.value for e in late.error] == [
        f"Class mode: no live class has the code {code}; check the code on the teacher's screen"
    ]
    member.run()  # a student who was in the class reads that it ended
    assert [e.value for e in member.error] == [f"Class mode: class {code} has ended"]
    assert "class_leave" not in [b.key for b in member.button] and "class" not in member.query_params


def test_a_student_id_in_the_address_is_kept_only_if_the_server_issued_it(class_database):
    teacher = teacher_on_quiz()
    code = teacher.session_state["class_code"]
    invented = start(**{"class": code, "sid": "anything-i-like"})
    issued = invented.query_params["sid"]
    assert issued != "anything-i-like" and class_database.student(code, issued) is not None
    again = start(**{"class": code, "sid": issued})  # a reload keeps the issued id: the same student
    assert again.query_params["sid"] == issued
    other = ClassStore(class_database.url)
    other_code, _ = other.start("compare", {}, "")
    foreign = start(**{"class": code, "sid": other.join(other_code)})  # an id of another class
    assert class_database.student(code, foreign.query_params["sid"]) is not None


def test_wrong_codes_are_throttled_per_page(class_database):
    page = start("Class")
    for attempt in range(6):
        page.text_input(key="class_join_code").input(f"AAAAA{CODE_ALPHABET[attempt]}")
        page.button(key="FormSubmitter:class_join-Join").click().run()
    assert [e.value for e in page.error] == ["too many wrong class codes from this page; try again in 10 s"]


def test_the_teacher_key_is_never_on_the_page_and_the_answers_download_after_the_end(class_database):
    teacher = teacher_on_quiz()
    code, key = teacher.session_state["class_code"], teacher.session_state["_class_key"]
    for page in (teacher, teacher.switch_page(VIEWS["Class"]).run()):
        shown = [
            e.value
            for kind in ("markdown", "code", "caption", "info", "text")
            for e in page.get(kind)
            if isinstance(getattr(e, "value", None), str)
        ]
        assert shown and not [v for v in shown if key in v]
    labels = [d.proto.label for d in teacher.get("download_button")]
    assert labels == ["Download the answers (CSV)", "Save the teacher key (file)"]
    assert teacher.get("download_button")[0].proto.deferred_file_id  # read when clicked (tests/test_class_browser.py)
    teacher.button(key="class_close").click().run()
    kept = [m.value for m in teacher.markdown if "has ended" in m.value]
    assert kept == [f"Class **{code}** has ended; its answers are kept for 7 days."]
    assert [d.proto.label for d in teacher.get("download_button")] == ["Download the answers (CSV)"]


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


def test_a_database_that_stops_answering_gives_one_line_and_the_class_goes_on_after(class_database, monkeypatch):
    monkeypatch.setattr(store_module, "SQLITE_BUSY_SECONDS", 0.3)  # before the app's store opens its database
    teacher = teacher_on_quiz()
    code = teacher.session_state["class_code"]
    student = start(**{"class": code})
    path = class_database.url.removeprefix("sqlite:///")
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process holds the write lock past the busy timeout
    try:
        teacher.text_input(key="sentence").input("She is tired.").run()
        student.session_state["quiz_guess"] = 1
        student.run().button(key="class_send").click().run()
        line = "the class database is not answering"
        assert len(student.error) == 1 and line in student.error[0].value  # one line, and still in the class
        assert student.query_params["class"] == code
        teacher.run()
        shown = [e.value for e in teacher.error] + [w.value for w in teacher.warning]
        assert len(shown) == 1 and line in shown[0], shown
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    teacher.run()  # the database is back: the pending slide goes out without a reload
    assert class_database.current(code).params["s"] == "She is tired."
    student.run()
    assert student.text_input(key="sentence").value == "She is tired."
