"""The class store: a teacher's class session, its questions and the students' answers, in a real database.

Behind SQLAlchemy: a SQLite file by default (WAL journal, so several processes on one machine share it) and
PostgreSQL when ``ATTNVIZ_DATABASE_URL`` names one (replicas on several machines then share a class). The
schema carries a version (table ``attnviz_schema``) checked at start.

Who may do what: ``start`` returns a join code for the students and a teacher key kept only in the
teacher's session (the database keeps its SHA-256); advancing, revealing, closing and exporting need that
key. A student is a random id in the student's own address; answering again replaces the answer in one
statement (one answer per student per question), and answers closer together than ``MIN_ANSWER_SECONDS``
are refused (a flood from one browser).
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import os
import re
import secrets
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import (Boolean, Column, Float, ForeignKey, Integer, MetaData, String, Table, Text, create_engine,
                        event, func, select)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from ..data.tatoeba import REPO

DATABASE_ENV = "ATTNVIZ_DATABASE_URL"
DEFAULT_DATABASE = REPO / "var" / "classes.sqlite"
SCHEMA_VERSION = 1
# join codes: no 0/O, 1/I/L, 2/Z, 5/S, 8/B, so a code read off a projector is typed right
CODE_ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
CODE_LENGTH = 4
CLASS_HOURS = 6.0  # a code expires this long after the class started
MIN_ANSWER_SECONDS = 0.5  # one student's answers closer together than this are refused
MAX_NICKNAME = 30
MAX_TEXT = 2000  # a question's sentence, a slide's title and parameters are cut to this many characters

metadata = MetaData()
schema_table = Table("attnviz_schema", metadata, Column("version", Integer, nullable=False))
classes = Table(
    "class_sessions", metadata,
    Column("code", String(8), primary_key=True),
    Column("teacher_key_sha256", String(64), nullable=False),
    Column("view", String(64), nullable=False),
    Column("params", Text, nullable=False),  # the slide's URL parameters, JSON {name: value}
    Column("title", String(MAX_TEXT), nullable=False),
    Column("revision", Integer, nullable=False),  # +1 whenever the slide changes: students re-read on a change
    Column("revealed", String(64)),  # the question whose answer the students see, or NULL
    Column("created", Float, nullable=False),  # Unix seconds
    Column("expires", Float, nullable=False),
    Column("closed", Boolean, nullable=False),
)
questions = Table(
    "class_questions", metadata,
    Column("code", String(8), ForeignKey("class_sessions.code"), primary_key=True),
    Column("question", String(64), primary_key=True),  # the key: SHA-1 of (model, sentence, target step)
    Column("model", String(200), nullable=False),
    Column("sentence", Text, nullable=False),
    Column("step", Integer, nullable=False),
    Column("target_word", String(200), nullable=False),
    Column("source_words", Text, nullable=False),  # JSON list
    Column("weights", Text, nullable=False),  # JSON list: the model's attention weights over source_words
    Column("asked", Float, nullable=False),
)
answers = Table(
    "class_answers", metadata,
    Column("code", String(8), primary_key=True),
    Column("question", String(64), primary_key=True),
    Column("student", String(32), primary_key=True),
    Column("choice", Integer, nullable=False),  # a position in the question's source_words
    Column("confidence", Integer),  # 0–100 %, or NULL when not given
    Column("nickname", String(MAX_NICKNAME)),
    Column("answered", Float, nullable=False),
)


class ClassError(ValueError):
    """A request the class store refuses; the message is one line naming what was wrong."""


class NotTeacher(ClassError):
    """Advancing, revealing, closing or exporting without the class's teacher key."""


class TooFast(ClassError):
    """A student's answers arrive closer together than ``MIN_ANSWER_SECONDS``."""


@dataclass(frozen=True)
class ClassState:
    """What a student's page shows: the teacher's current slide.

    Attributes:
        code: the join code; view: the slide's view address (``compare``, ``quiz`` …); params: its URL
        parameters {name: value}; title: the slide's title; revision: increases with every change of slide;
        revealed: the key of the question whose answer is shown, or None; expires: Unix seconds.
    """

    code: str
    view: str
    params: dict[str, str]
    title: str
    revision: int
    revealed: str | None
    expires: float


@dataclass(frozen=True)
class Question:
    """A quiz question: which source word does ``model`` attend to most when writing target word ``step``?

    Attributes:
        model, sentence, step: what the question is about (``step``: 0-based target position).
        target_word: the target word asked about; source_words: the choices, in source order.
        weights: the model's attention weights over source_words (len S, sums to 1).
    """

    model: str
    sentence: str
    step: int
    target_word: str
    source_words: tuple[str, ...]
    weights: tuple[float, ...]

    @property
    def key(self) -> str:
        """40 hex digits naming the question: the same model, sentence and step give the same key."""
        return hashlib.sha1(json.dumps([self.model, self.sentence, self.step]).encode("utf-8")).hexdigest()

    @property
    def answer(self) -> int:
        """The source position the model attends to most (the argmax of ``weights``)."""
        return max(range(len(self.weights)), key=self.weights.__getitem__)


@dataclass(frozen=True)
class Tally:
    """The class's answers to one question.

    Attributes:
        counts: answers per source position (len S); total: students who answered; right: of them, those who
        chose the model's argmax; mean_confidence: mean of the confidences given (0–100), None if none.
    """

    counts: tuple[int, ...]
    total: int
    right: int
    mean_confidence: float | None

    @property
    def shares(self) -> tuple[float, ...]:
        """Fraction of the answers per source position (zeros when nobody answered)."""
        return tuple(c / self.total if self.total else 0.0 for c in self.counts)


def database_url() -> str:
    """``ATTNVIZ_DATABASE_URL`` if set, else the SQLite file ``var/classes.sqlite`` in the repository."""
    return os.environ.get(DATABASE_ENV) or f"sqlite:///{DEFAULT_DATABASE}"


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _clean(text: str, limit: int) -> str:
    """Text cut to ``limit`` characters with control characters removed (shown as text, never as markup)."""
    return "".join(ch for ch in str(text) if unicodedata.category(ch) != "Cc")[:limit]


def normalise_code(raw: str) -> str:
    """A typed join code in its stored form: upper case, spaces and dashes dropped.

    Raises:
        ClassError: not ``CODE_LENGTH`` characters of the code alphabet.
    """
    code = re.sub(r"[\s\-]", "", str(raw)).upper()
    if len(code) != CODE_LENGTH or any(ch not in CODE_ALPHABET for ch in code):
        raise ClassError(f"{str(raw)[:20]!r} is not a class code ({CODE_LENGTH} letters and digits, e.g. K7Q4)")
    return code


class ClassStore:
    """Class sessions, questions and answers in one database (see the module docstring).

    Args:
        url: a SQLAlchemy database URL (``sqlite:///path``, ``postgresql+psycopg://user@host/db``); None:
            ``database_url()``.

    Raises:
        ClassError: the database's schema has another version than ``SCHEMA_VERSION``.
    """

    def __init__(self, url: str | None = None):
        self.url = url or database_url()
        self.engine = self._connect(self.url)
        metadata.create_all(self.engine)
        with self.engine.begin() as db:
            versions = db.execute(select(schema_table.c.version)).scalars().all()
            if not versions:
                db.execute(schema_table.insert().values(version=SCHEMA_VERSION))
            elif versions != [SCHEMA_VERSION]:
                raise ClassError(f"the class database has schema version {versions[0]}; this attnviz needs "
                                 f"{SCHEMA_VERSION} (use another ATTNVIZ_DATABASE_URL or a new file)")

    @staticmethod
    def _connect(url: str) -> Engine:
        if not url.startswith("sqlite"):
            return create_engine(url, pool_pre_ping=True)
        path = url.removeprefix("sqlite:///")
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 10})

        @event.listens_for(engine, "connect")
        def _wal(connection, _record):  # readers never wait for the writer, and several processes share the file
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA busy_timeout=10000")
            connection.execute("PRAGMA foreign_keys=ON")

        return engine

    # the teacher

    def start(self, view: str, params: dict[str, str], title: str, now: float | None = None) -> tuple[str, str]:
        """Open a class on the given slide; return (join code, teacher key).

        The code is random among the codes never used in this database; the key is 16 random bytes
        (URL-safe text) that only the teacher's session keeps.
        """
        now = time.time() if now is None else now
        key = secrets.token_urlsafe(16)
        for _ in range(100):
            code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
            try:
                with self.engine.begin() as db:
                    db.execute(classes.insert().values(
                        code=code, teacher_key_sha256=_sha256(key), view=_clean(view, 64),
                        params=self._params_json(params), title=_clean(title, MAX_TEXT), revision=1, revealed=None,
                        created=now, expires=now + CLASS_HOURS * 3600, closed=False))
                return code, key
            except IntegrityError:  # that code was used before: draw again
                continue
        raise ClassError("no free class code left; use a new database")

    def publish(self, code: str, key: str, view: str, params: dict[str, str], title: str) -> int:
        """Make (view, params, title) the class's current slide; return its revision (unchanged: same revision).

        Raises:
            ClassError: no such open class. NotTeacher: a wrong key.
        """
        encoded, view, title = self._params_json(params), _clean(view, 64), _clean(title, MAX_TEXT)
        with self.engine.begin() as db:
            row = self._teacher_row(db, code, key)
            if (row.view, row.params, row.title) == (view, encoded, title):
                return row.revision
            db.execute(classes.update().where(classes.c.code == row.code).values(
                view=view, params=encoded, title=title, revision=row.revision + 1, revealed=None))
            return row.revision + 1

    def ask(self, code: str, key: str, question: Question) -> None:
        """Record a question the class may answer (asking it again changes nothing).

        Raises:
            ClassError: no such open class, or weights that do not match the source words. NotTeacher: a wrong key.
        """
        if len(question.weights) != len(question.source_words) or not question.source_words:
            raise ClassError("a question needs one weight per source word")
        with self.engine.begin() as db:
            row = self._teacher_row(db, code, key)
            exists = db.execute(select(questions.c.question).where(
                questions.c.code == row.code, questions.c.question == question.key)).first()
            if exists is None:
                db.execute(questions.insert().values(
                    code=row.code, question=question.key, model=_clean(question.model, 200),
                    sentence=_clean(question.sentence, MAX_TEXT), step=question.step,
                    target_word=_clean(question.target_word, 200),
                    source_words=json.dumps([_clean(w, 200) for w in question.source_words], ensure_ascii=False),
                    weights=json.dumps([float(w) for w in question.weights]), asked=time.time()))

    def reveal(self, code: str, key: str, question: str | None) -> None:
        """Show the students the answer to question key ``question`` (None: hide it again).

        Raises:
            ClassError: no such open class, or a question never asked. NotTeacher: a wrong key.
        """
        with self.engine.begin() as db:
            row = self._teacher_row(db, code, key)
            if question is not None and self._question_row(db, row.code, question) is None:
                raise ClassError("that question was not asked in this class")
            db.execute(classes.update().where(classes.c.code == row.code).values(revealed=question))

    def close(self, code: str, key: str) -> None:
        """End the class: its code stops working; its answers stay for the export.

        Raises:
            ClassError: no such open class. NotTeacher: a wrong key.
        """
        with self.engine.begin() as db:
            row = self._teacher_row(db, code, key)
            db.execute(classes.update().where(classes.c.code == row.code).values(closed=True))

    def is_teacher(self, code: str, key: str) -> bool:
        """Whether ``key`` is the teacher key of open class ``code`` (a teacher reclaiming a class after a reload)."""
        try:
            with self.engine.connect() as db:
                self._teacher_row(db, code, key)
            return True
        except ClassError:
            return False

    def export_csv(self, code: str, key: str) -> str:
        """The class's answers as CSV text, one row per answer, students numbered in order of first answer
        (anonymous) unless they typed a nickname.

        Columns: question_asked (ISO time), model, sentence, target_word, student, answer, model_answer,
        right (0/1), confidence (%, empty when not given), answered (ISO time).

        Raises:
            ClassError: no such class. NotTeacher: a wrong key.
        """
        import pandas as pd  # only the export needs pandas

        with self.engine.connect() as db:
            row = self._teacher_row(db, code, key, open_only=False)
            rows = db.execute(
                select(questions, answers.c.student, answers.c.choice, answers.c.confidence, answers.c.nickname,
                       answers.c.answered)
                .join(answers, (answers.c.code == questions.c.code) & (answers.c.question == questions.c.question))
                .where(questions.c.code == row.code).order_by(questions.c.asked, answers.c.answered)).all()
        numbers: dict[str, int] = {}
        records = []
        for r in rows:
            words, weights = json.loads(r.source_words), json.loads(r.weights)
            model_answer = max(range(len(weights)), key=weights.__getitem__)
            number = numbers.setdefault(r.student, len(numbers) + 1)
            records.append({
                "question_asked": pd.Timestamp(r.asked, unit="s").isoformat(timespec="seconds"),
                "model": r.model, "sentence": r.sentence, "target_word": r.target_word,
                "student": r.nickname or f"student {number}", "answer": words[r.choice],
                "model_answer": words[model_answer], "right": int(r.choice == model_answer),
                "confidence": r.confidence, "answered": pd.Timestamp(r.answered, unit="s").isoformat(timespec="seconds")})
        columns = ["question_asked", "model", "sentence", "target_word", "student", "answer", "model_answer", "right",
                   "confidence", "answered"]
        buffer = io.StringIO()
        pd.DataFrame(records, columns=columns).astype({"confidence": "Int64"}).to_csv(buffer, index=False)
        return buffer.getvalue()

    # everyone

    def current(self, code: str, now: float | None = None) -> ClassState:
        """The class's current slide.

        Raises:
            ClassError: not a code, no such class, or it ended or expired (one line each).
        """
        code = normalise_code(code)
        with self.engine.connect() as db:
            row = db.execute(select(classes).where(classes.c.code == code)).first()
        self._check_open(row, code, now)
        return ClassState(row.code, row.view, json.loads(row.params), row.title, row.revision, row.revealed,
                          row.expires)

    def question(self, code: str, question: str) -> Question | None:
        """The question with key ``question`` in class ``code``, or None if it was not asked there."""
        with self.engine.connect() as db:
            row = self._question_row(db, normalise_code(code), question)
        if row is None:
            return None
        return Question(row.model, row.sentence, row.step, row.target_word, tuple(json.loads(row.source_words)),
                        tuple(json.loads(row.weights)))

    def tally(self, code: str, question: str) -> Tally:
        """The class's answers to question key ``question`` (zero counts when it was not asked)."""
        asked = self.question(code, question)
        if asked is None:
            return Tally((), 0, 0, None)
        with self.engine.connect() as db:
            rows = db.execute(select(answers.c.choice, answers.c.confidence).where(
                answers.c.code == normalise_code(code), answers.c.question == question)).all()
        counts = [0] * len(asked.source_words)
        for r in rows:
            counts[r.choice] += 1
        confidences = [r.confidence for r in rows if r.confidence is not None]
        return Tally(tuple(counts), len(rows), counts[asked.answer] if rows else 0,
                     sum(confidences) / len(confidences) if confidences else None)

    # a student

    def answer(self, code: str, student: str, question: str, choice: int, confidence: int | None = None,
               nickname: str = "", now: float | None = None) -> None:
        """Record (or replace) ``student``'s answer to question key ``question``, in one statement.

        Args:
            choice: a position in the question's source words. confidence: 0–100 (%), or None.
            nickname: shown in the export instead of a number ('' stays anonymous; cut to MAX_NICKNAME).

        Raises:
            ClassError: a closed or unknown class, a question not asked there, a choice or confidence out of
                range, a malformed student id. TooFast: this student answered less than MIN_ANSWER_SECONDS ago.
        """
        now = time.time() if now is None else now
        if not re.fullmatch(r"[A-Za-z0-9_-]{8,32}", str(student)):
            raise ClassError("a student id is 8 to 32 letters, digits, '-' or '_'")
        if confidence is not None and not (isinstance(confidence, int) and 0 <= confidence <= 100):
            raise ClassError(f"confidence must be a whole number from 0 to 100, got {confidence!r}")
        nickname = _clean(nickname, MAX_NICKNAME).strip() or None
        with self.engine.begin() as db:
            row = db.execute(select(classes).where(classes.c.code == normalise_code(code))).first()
            self._check_open(row, code, now)
            asked = self._question_row(db, row.code, question)
            if asked is None:
                raise ClassError("that question is not asked in this class")
            if not (isinstance(choice, int) and 0 <= choice < len(json.loads(asked.source_words))):
                raise ClassError(f"answer {choice!r} is not one of the sentence's word positions")
            last = db.execute(select(func.max(answers.c.answered)).where(
                answers.c.code == row.code, answers.c.student == student)).scalar()
            if last is not None and 0 <= now - last < MIN_ANSWER_SECONDS:
                raise TooFast(f"answers from one student at most every {MIN_ANSWER_SECONDS:g} s; try again")
            values = {"code": row.code, "question": question, "student": student, "choice": choice,
                      "confidence": confidence, "nickname": nickname, "answered": now}
            db.execute(self._upsert(values))

    def student_answer(self, code: str, question: str, student: str) -> int | None:
        """The choice ``student`` sent for question key ``question``, or None."""
        with self.engine.connect() as db:
            return db.execute(select(answers.c.choice).where(
                answers.c.code == normalise_code(code), answers.c.question == question,
                answers.c.student == student)).scalar()

    # internals

    def _upsert(self, values: dict):
        """INSERT … ON CONFLICT DO UPDATE in the database's dialect: a concurrent second answer cannot add a row."""
        if self.engine.dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert  # the dialect in use decides which insert is right
        else:
            from sqlalchemy.dialects.sqlite import insert  # the dialect in use decides which insert is right
        statement = insert(answers).values(**values)
        changed = {k: statement.excluded[k] for k in ("choice", "confidence", "nickname", "answered")}
        return statement.on_conflict_do_update(index_elements=["code", "question", "student"], set_=changed)

    @staticmethod
    def _params_json(params: dict[str, str]) -> str:
        return json.dumps({_clean(k, 40): _clean(v, MAX_TEXT) for k, v in sorted(params.items())}, ensure_ascii=False)

    @staticmethod
    def _check_open(row, code: str, now: float | None) -> None:
        now = time.time() if now is None else now
        if row is None:
            raise ClassError(f"no class has the code {str(code)[:20]}; check the code on the teacher's screen")
        if row.closed:
            raise ClassError(f"class {row.code} has ended")
        if now > row.expires:
            raise ClassError(f"class {row.code} has expired (codes last {CLASS_HOURS:g} hours)")

    def _teacher_row(self, db, code: str, key: str, open_only: bool = True):
        row = db.execute(select(classes).where(classes.c.code == normalise_code(code))).first()
        if open_only:
            self._check_open(row, code, None)
        elif row is None:
            raise ClassError(f"no class has the code {str(code)[:20]}")
        if not hmac.compare_digest(row.teacher_key_sha256, _sha256(str(key))):
            raise NotTeacher("only the teacher of this class can do that")
        return row

    @staticmethod
    def _question_row(db, code: str, question: str):
        return db.execute(select(questions).where(questions.c.code == code, questions.c.question == question)).first()
