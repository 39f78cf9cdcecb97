"""The class store: a teacher's class session, its questions, its students and their answers, in a real database.

Behind SQLAlchemy: a SQLite file by default (WAL journal, so several processes on one machine share it) and
PostgreSQL when ``ATTNVIZ_DATABASE_URL`` names one (replicas on several machines then share a class). The
schema carries a version (table ``attnviz_schema``), created or migrated at start under a lock (SQLite's
``BEGIN IMMEDIATE``, PostgreSQL's advisory lock), so replicas starting at once on a fresh database agree.

Who may do what (docs/security.md has the table of threats):

- ``start`` returns a join code (6 characters of a 25-letter alphabet) for the students and a teacher key
  kept only by the teacher's browser (the database keeps its SHA-256); advancing, revealing, closing and
  exporting need that key.
- A student is an id the server issues (``join``) and signs with HMAC-SHA-256 under a secret of the
  server's (``ATTNVIZ_SECRET``, or one generated at the first start and kept in the database): an id the
  client invents, or one signed for another class, is not a student of this class. A class holds at most
  ``MAX_STUDENTS`` students; a student's answers closer together than ``MIN_ANSWER_SECONDS`` are refused,
  and answering again replaces the answer (one per student per question), so a class's answers are bounded.
- Every write that depends on a read runs in one transaction that holds the class: ``BEGIN IMMEDIATE`` on
  SQLite, ``SELECT … FOR UPDATE`` of the class row on PostgreSQL.
- A code that does not lead to a live class gets one message, whatever the reason. An ended or expired
  class keeps its answers for its teacher ``RETENTION_DAYS`` days, then is deleted with them (``purge``).
- A database that does not answer (SQLite locked past its busy timeout, PostgreSQL restarting) raises
  ``StoreUnavailable``: one line, and the same call works again once the database is back.
"""

from __future__ import annotations

import base64
import csv
import functools
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

from sqlalchemy import (
    Boolean,
    Column,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    delete,
    event,
    func,
    select,
    text,
    update,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, IntegrityError

from ..data.tatoeba import REPO

DATABASE_ENV = "ATTNVIZ_DATABASE_URL"
SECRET_ENV = "ATTNVIZ_SECRET"  # signs student ids; every replica of a class must share it (or leave it unset)
DEFAULT_DATABASE = REPO / "var" / "classes.sqlite"
SCHEMA_VERSION = 2
MIGRATION_LOCK = 0x61747476  # PostgreSQL advisory lock id held while the schema is created or migrated
# join codes: no 0/O, 1/I/L, 2/Z, 5/S, 8/B, so a code read off a projector is typed right; 25^6 ≈ 244 million codes
CODE_ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
CODE_LENGTH = 6
CLASS_HOURS = 6.0  # a code expires this long after the class started
RETENTION_DAYS = 7.0  # an ended or expired class keeps its answers for its teacher this long, then is deleted
SQLITE_BUSY_SECONDS = 10.0  # a SQLite write waits this long for another's lock, then StoreUnavailable
MIN_ANSWER_SECONDS = 0.5  # one student's answers closer together than this are refused
MAX_STUDENTS = 300  # students one class may issue ids to
MAX_LIVE_CLASSES = 1000  # classes open at once in one database
MAX_NICKNAME = 30
MAX_TEXT = 2000  # a question's sentence, a slide's title and parameters are cut to this many characters
NO_CLASS = "no live class has the code {code}; check the code on the teacher's screen"
# a cell starting with one of these is a formula to a spreadsheet (OWASP, "CSV Injection")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

metadata = MetaData()
schema_table = Table("attnviz_schema", metadata, Column("version", Integer, nullable=False))
settings = Table(
    "attnviz_settings",
    metadata,
    Column("name", String(40), primary_key=True),
    Column("value", Text, nullable=False),
)
classes = Table(
    "class_sessions",
    metadata,
    Column("code", String(8), primary_key=True),
    Column("teacher_key_sha256", String(64), nullable=False),
    Column("view", String(64), nullable=False),
    Column("params", Text, nullable=False),  # the slide's URL parameters, JSON {name: value}
    Column("title", String(MAX_TEXT), nullable=False),
    Column("revision", Integer, nullable=False),  # +1 whenever the slide changes: students re-read on a change
    Column("revealed", String(64)),  # the question whose answer the students see, or NULL
    Column("created", Float, nullable=False),  # Unix seconds
    Column("expires", Float, nullable=False),  # live until then; ``close`` sets it to the time of the end
    Column("closed", Boolean, nullable=False),
)
students = Table(
    "class_students",
    metadata,
    Column("code", String(8), ForeignKey("class_sessions.code"), primary_key=True),
    Column("student", String(32), primary_key=True),  # the random part of the id the server issued
    Column("number", Integer, nullable=False),  # 1, 2, … in order of joining: the export's "student N"
    Column("joined", Float, nullable=False),
)
questions = Table(
    "class_questions",
    metadata,
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
    "class_answers",
    metadata,
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


class StoreUnavailable(ClassError):
    """The database did not answer (locked past its busy timeout, a server restarting); try again later."""


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


def _sha256(text_: str) -> str:
    return hashlib.sha256(text_.encode("utf-8")).hexdigest()


def _clean(text_: str, limit: int) -> str:
    """Text cut to ``limit`` characters with control characters removed (shown as text, never as markup)."""
    return "".join(ch for ch in str(text_) if unicodedata.category(ch) != "Cc")[:limit]


def clean_nickname(raw: str) -> str:
    """A typed nickname as stored: control and format characters (Unicode Cc, Cf: bidi overrides, zero-width
    joiners) and line separators removed, spaces trimmed, cut to ``MAX_NICKNAME`` characters."""
    kept = "".join(ch for ch in str(raw) if unicodedata.category(ch) not in ("Cc", "Cf", "Zl", "Zp"))
    return " ".join(kept.split())[:MAX_NICKNAME]


def spreadsheet_safe(cell):
    """A CSV cell a spreadsheet shows as text: one starting with ``=``, ``+``, ``-``, ``@``, tab or CR gets a
    leading apostrophe (OWASP, "CSV Injection"); other values are returned unchanged."""
    if isinstance(cell, str) and cell.startswith(FORMULA_STARTS):
        return "'" + cell
    return cell


def normalise_code(raw: str) -> str:
    """A typed join code in its stored form: upper case, spaces and dashes dropped.

    Raises:
        ClassError: not ``CODE_LENGTH`` characters of the code alphabet.
    """
    code = re.sub(r"[\s\-]", "", str(raw)).upper()
    if len(code) != CODE_LENGTH or any(ch not in CODE_ALPHABET for ch in code):
        raise ClassError(f"{str(raw)[:20]!r} is not a class code ({CODE_LENGTH} letters and digits, e.g. K7Q4MX)")
    return code


def _answering(method):
    """Turn a database that does not answer into ``StoreUnavailable`` (one line); other errors pass."""

    @functools.wraps(method)
    def guarded(*args, **kwargs):
        try:
            return method(*args, **kwargs)
        except IntegrityError:
            raise
        except DBAPIError as err:
            reason = type(err.orig).__name__ if err.orig is not None else type(err).__name__
            raise StoreUnavailable(f"the class database is not answering ({reason}); trying again") from err

    return guarded


class ClassStore:
    """Class sessions, students, questions and answers in one database (see the module docstring).

    Args:
        url: a SQLAlchemy database URL (``sqlite:///path``, ``postgresql+psycopg://user@host/db``); None:
            ``database_url()``.

    Raises:
        ClassError: the database's schema has a version this attnviz cannot migrate from.
        StoreUnavailable: the database does not answer.
    """

    @_answering
    def __init__(self, url: str | None = None):
        self.url = url or database_url()
        self.engine = self._connect(self.url)
        # write transactions: BEGIN IMMEDIATE on SQLite (the ``begin`` listener reads this option)
        self._writer = self.engine.execution_options(immediate=True)
        self._key = self._migrate()

    @staticmethod
    def _connect(url: str) -> Engine:
        if not url.startswith("sqlite"):
            return create_engine(url, pool_pre_ping=True)
        path = url.removeprefix("sqlite:///")
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_SECONDS})

        @event.listens_for(engine, "connect")
        def _pragmas(connection, _record):  # readers never wait for the writer; several processes share the file
            connection.isolation_level = None  # the driver leaves BEGIN to the listener below
            connection.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_SECONDS * 1000)}")
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA foreign_keys=ON")

        @event.listens_for(engine, "begin")
        def _begin(connection):  # a write takes the database's write lock before its first read
            immediate = connection.get_execution_options().get("immediate")
            connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine

    def _migrate(self) -> bytes:
        """Create or migrate the schema under a lock; return the key that signs student ids."""
        with self._writer.begin() as db:
            if self.engine.dialect.name == "postgresql":
                db.execute(text("SELECT pg_advisory_xact_lock(:lock)"), {"lock": MIGRATION_LOCK})
            metadata.create_all(db)  # only the tables missing (version 1 lacked students and settings)
            versions = set(db.execute(select(schema_table.c.version)).scalars())
            if versions == {1}:
                self._migrate_1_to_2(db)
            elif versions - {SCHEMA_VERSION}:
                raise ClassError(
                    f"the class database has schema version {max(versions)}; this attnviz needs "
                    f"{SCHEMA_VERSION} (use another ATTNVIZ_DATABASE_URL or a new file)"
                )
            db.execute(delete(schema_table))
            db.execute(schema_table.insert().values(version=SCHEMA_VERSION))
            secret = (
                os.environ.get(SECRET_ENV)
                or db.execute(select(settings.c.value).where(settings.c.name == "student_secret")).scalar()
            )
            if secret is None:
                secret = secrets.token_hex(32)
                db.execute(settings.insert().values(name="student_secret", value=secret))
        return secret.encode("utf-8")

    @staticmethod
    def _migrate_1_to_2(db) -> None:
        """Version 1 kept any student id as given: its students are registered, numbered by first answer."""
        firsts = db.execute(
            select(answers.c.code, answers.c.student, func.min(answers.c.answered).label("first"))
            .group_by(answers.c.code, answers.c.student)
            .order_by("first")
        ).all()
        numbers: dict[str, int] = {}
        for row in firsts:
            numbers[row.code] = numbers.get(row.code, 0) + 1
            db.execute(
                students.insert().values(code=row.code, student=row.student, number=numbers[row.code], joined=row.first)
            )

    # the teacher

    @_answering
    def start(self, view: str, params: dict[str, str], title: str, now: float | None = None) -> tuple[str, str]:
        """Open a class on the given slide; return (join code, teacher key).

        The code is random among the codes not in the database (classes past their retention are purged
        first); the key is 16 random bytes (URL-safe text) that only the teacher's browser keeps.

        Raises:
            ClassError: ``MAX_LIVE_CLASSES`` classes are open already.
        """
        now = time.time() if now is None else now
        self.purge(now)
        key = secrets.token_urlsafe(16)
        with self._writer.begin() as db:
            live = db.execute(
                select(func.count()).select_from(classes).where(classes.c.closed.is_(False), classes.c.expires > now)
            ).scalar()
            if live >= MAX_LIVE_CLASSES:
                raise ClassError(f"{MAX_LIVE_CLASSES} classes are open on this server; end one first")
            for _ in range(100):
                code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
                if db.execute(select(classes.c.code).where(classes.c.code == code)).first() is None:
                    break
            else:
                raise ClassError("no free class code left; use a new database")
            db.execute(
                classes.insert().values(
                    code=code,
                    teacher_key_sha256=_sha256(key),
                    view=_clean(view, 64),
                    params=self._params_json(params),
                    title=_clean(title, MAX_TEXT),
                    revision=1,
                    revealed=None,
                    created=now,
                    expires=now + CLASS_HOURS * 3600,
                    closed=False,
                )
            )
        return code, key

    @_answering
    def publish(self, code: str, key: str, view: str, params: dict[str, str], title: str) -> int:
        """Make (view, params, title) the class's current slide; return its revision (unchanged: same revision).

        The revision is read and increased in one transaction holding the class: two publishes at once give
        two revisions.

        Raises:
            ClassError: no such live class. NotTeacher: a wrong key.
        """
        encoded, view, title = self._params_json(params), _clean(view, 64), _clean(title, MAX_TEXT)
        with self._writer.begin() as db:
            row = self._teacher_row(db, code, key)
            if (row.view, row.params, row.title) == (view, encoded, title):
                return row.revision
            db.execute(
                update(classes)
                .where(classes.c.code == row.code)
                .values(view=view, params=encoded, title=title, revision=classes.c.revision + 1, revealed=None)
            )
            return row.revision + 1

    @_answering
    def ask(self, code: str, key: str, question: Question) -> None:
        """Record a question the class may answer (asking it again changes nothing).

        Raises:
            ClassError: no such live class, or weights that do not match the source words. NotTeacher: a wrong key.
        """
        if len(question.weights) != len(question.source_words) or not question.source_words:
            raise ClassError("a question needs one weight per source word")
        with self._writer.begin() as db:
            row = self._teacher_row(db, code, key)
            if self._question_row(db, row.code, question.key) is None:
                db.execute(
                    questions.insert().values(
                        code=row.code,
                        question=question.key,
                        model=_clean(question.model, 200),
                        sentence=_clean(question.sentence, MAX_TEXT),
                        step=question.step,
                        target_word=_clean(question.target_word, 200),
                        source_words=json.dumps([_clean(w, 200) for w in question.source_words], ensure_ascii=False),
                        weights=json.dumps([float(w) for w in question.weights]),
                        asked=time.time(),
                    )
                )

    @_answering
    def reveal(self, code: str, key: str, question: str | None) -> None:
        """Show the students the answer to question key ``question`` (None: hide it again); answers to a
        revealed question are refused.

        Raises:
            ClassError: no such live class, or a question never asked. NotTeacher: a wrong key.
        """
        with self._writer.begin() as db:
            row = self._teacher_row(db, code, key)
            if question is not None and self._question_row(db, row.code, question) is None:
                raise ClassError("that question was not asked in this class")
            db.execute(update(classes).where(classes.c.code == row.code).values(revealed=question))

    @_answering
    def close(self, code: str, key: str, now: float | None = None) -> None:
        """End the class: its code stops working; its answers stay for the teacher ``RETENTION_DAYS`` days.

        Raises:
            ClassError: no such live class. NotTeacher: a wrong key.
        """
        now = time.time() if now is None else now
        with self._writer.begin() as db:
            row = self._teacher_row(db, code, key)
            db.execute(
                update(classes).where(classes.c.code == row.code).values(closed=True, expires=min(row.expires, now))
            )

    @_answering
    def is_teacher(self, code: str, key: str, live: bool = True) -> bool:
        """Whether ``key`` is the teacher key of class ``code`` — a live one, or with ``live=False`` also one
        that ended within ``RETENTION_DAYS`` (its answers can still be exported)."""
        try:
            with self.engine.connect() as db:
                self._teacher_row(db, code, key, live=live, lock=False)
            return True
        except ClassError:
            return False

    @_answering
    def export_csv(self, code: str, key: str) -> str:
        """The class's answers as CSV text, one row per answer, every cell quoted and safe to open in a
        spreadsheet (``spreadsheet_safe``). Works during the class and ``RETENTION_DAYS`` days after it.

        Columns: question_asked (ISO time, UTC), model, sentence, target_word, student ("student N", numbered
        by the server in order of joining), nickname (as typed, or empty), answer, model_answer, right (0/1),
        confidence (%, empty when not given), answered (ISO time, UTC).

        Raises:
            ClassError: no such class. NotTeacher: a wrong key.
        """
        with self.engine.connect() as db:
            row = self._teacher_row(db, code, key, live=False)
            rows = db.execute(
                select(
                    questions,
                    students.c.number,
                    answers.c.choice,
                    answers.c.confidence,
                    answers.c.nickname,
                    answers.c.answered,
                )
                .join(answers, (answers.c.code == questions.c.code) & (answers.c.question == questions.c.question))
                .join(students, (students.c.code == answers.c.code) & (students.c.student == answers.c.student))
                .where(questions.c.code == row.code)
                .order_by(questions.c.asked, answers.c.answered)
            ).all()
        columns = [
            "question_asked",
            "model",
            "sentence",
            "target_word",
            "student",
            "nickname",
            "answer",
            "model_answer",
            "right",
            "confidence",
            "answered",
        ]
        buffer = io.StringIO()
        writer = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\n")
        writer.writerow(columns)
        for r in rows:
            words, weights = json.loads(r.source_words), json.loads(r.weights)
            model_answer = max(range(len(weights)), key=weights.__getitem__)
            cells = [
                _iso(r.asked),
                r.model,
                r.sentence,
                r.target_word,
                f"student {r.number}",
                r.nickname or "",
                words[r.choice],
                words[model_answer],
                int(r.choice == model_answer),
                "" if r.confidence is None else r.confidence,
                _iso(r.answered),
            ]
            writer.writerow([spreadsheet_safe(cell) for cell in cells])
        return buffer.getvalue()

    @_answering
    def purge(self, now: float | None = None) -> int:
        """Delete the classes that ended or expired more than ``RETENTION_DAYS`` days ago, with their students,
        questions and answers; return how many classes went."""
        now = time.time() if now is None else now
        limit = now - RETENTION_DAYS * 86400
        with self._writer.begin() as db:
            gone = select(classes.c.code).where(classes.c.expires < limit).scalar_subquery()
            for table in (answers, questions, students):
                db.execute(delete(table).where(table.c.code.in_(gone)))
            return db.execute(delete(classes).where(classes.c.expires < limit)).rowcount

    # everyone

    @_answering
    def current(self, code: str, now: float | None = None) -> ClassState:
        """The class's current slide.

        Raises:
            ClassError: not a code, or no live class has it (one message for never, ended and expired).
        """
        code = normalise_code(code)
        with self.engine.connect() as db:
            row = self._live_row(db, code, now)
        return ClassState(
            row.code, row.view, json.loads(row.params), row.title, row.revision, row.revealed, row.expires
        )

    @_answering
    def question(self, code: str, question: str) -> Question | None:
        """The question with key ``question`` in class ``code``, or None if it was not asked there."""
        with self.engine.connect() as db:
            row = self._question_row(db, normalise_code(code), question)
        if row is None:
            return None
        return Question(
            row.model,
            row.sentence,
            row.step,
            row.target_word,
            tuple(json.loads(row.source_words)),
            tuple(json.loads(row.weights)),
        )

    @_answering
    def tally(self, code: str, question: str) -> Tally:
        """The class's answers to question key ``question`` (zero counts when it was not asked)."""
        asked = self.question(code, question)
        if asked is None:
            return Tally((), 0, 0, None)
        with self.engine.connect() as db:
            rows = db.execute(
                select(answers.c.choice, answers.c.confidence).where(
                    answers.c.code == normalise_code(code), answers.c.question == question
                )
            ).all()
        counts = [0] * len(asked.source_words)
        for r in rows:
            counts[r.choice] += 1
        confidences = [r.confidence for r in rows if r.confidence is not None]
        return Tally(
            tuple(counts),
            len(rows),
            counts[asked.answer] if rows else 0,
            sum(confidences) / len(confidences) if confidences else None,
        )

    # a student

    @_answering
    def join(self, code: str, now: float | None = None) -> str:
        """Issue a new student id for live class ``code``: random, signed by the server, numbered in order.

        Returns:
            the id the student's page keeps (``token.signature``, 28 URL-safe characters).

        Raises:
            ClassError: no live class has the code, or it has ``MAX_STUDENTS`` students already.
        """
        now = time.time() if now is None else now
        code = normalise_code(code)
        token = secrets.token_urlsafe(8)
        with self._writer.begin() as db:
            row = self._live_row(db, code, now, lock=True)
            count = db.execute(select(func.count()).select_from(students).where(students.c.code == row.code)).scalar()
            if count >= MAX_STUDENTS:
                raise ClassError(f"class {row.code} is full ({MAX_STUDENTS} students)")
            db.execute(students.insert().values(code=row.code, student=token, number=count + 1, joined=now))
        return f"{token}.{self._sign(code, token)}"

    def student(self, code: str, sid: str) -> str | None:
        """The student behind id ``sid`` if the server issued it for class ``code``, else None (an invented,
        altered or malformed id, or one of another class). Does not read the database."""
        match = re.fullmatch(r"([A-Za-z0-9_-]{11})\.([A-Za-z0-9_-]{16})", str(sid))
        try:
            code = normalise_code(code)
        except ClassError:
            return None
        if match is None or not hmac.compare_digest(match.group(2), self._sign(code, match.group(1))):
            return None
        return match.group(1)

    @_answering
    def answer(
        self,
        code: str,
        sid: str,
        question: str,
        choice: int,
        confidence: int | None = None,
        nickname: str = "",
        now: float | None = None,
    ) -> None:
        """Record (or replace) the answer of student ``sid`` to question key ``question``.

        Args:
            sid: an id ``join`` issued for this class. choice: a position in the question's source words.
            confidence: 0–100 (%), or None. nickname: shown in the export beside the student's number ('' none).

        Raises:
            ClassError: no live class, a question not asked there or already revealed, a choice or confidence
                out of range, an id the server did not issue for this class. TooFast: this student answered
                less than MIN_ANSWER_SECONDS ago.
        """
        student = self.student(code, sid)
        if student is None:
            raise ClassError("this page's student id was not issued for this class; open the class link again")
        if confidence is not None and not (isinstance(confidence, int) and 0 <= confidence <= 100):
            raise ClassError(f"confidence must be a whole number from 0 to 100, got {confidence!r}")
        nickname = clean_nickname(nickname) or None
        with self._writer.begin() as db:
            row = self._live_row(db, normalise_code(code), now, lock=True)
            now = time.time() if now is None else now  # read once the class is held: the last answer is older
            asked = self._question_row(db, row.code, question)
            if asked is None:
                raise ClassError("that question is not asked in this class")
            if row.revealed == question:
                raise ClassError("the answer to this question is revealed: answers are closed")
            if not (isinstance(choice, int) and 0 <= choice < len(json.loads(asked.source_words))):
                raise ClassError(f"answer {choice!r} is not one of the sentence's word positions")
            if (
                db.execute(
                    select(students.c.number).where(students.c.code == row.code, students.c.student == student)
                ).first()
                is None
            ):
                raise ClassError("this page's student id was not issued for this class; open the class link again")
            last = db.execute(
                select(func.max(answers.c.answered)).where(answers.c.code == row.code, answers.c.student == student)
            ).scalar()
            if last is not None and abs(now - last) < MIN_ANSWER_SECONDS:
                raise TooFast(f"answers from one student at most every {MIN_ANSWER_SECONDS:g} s; try again")
            values = {
                "code": row.code,
                "question": question,
                "student": student,
                "choice": choice,
                "confidence": confidence,
                "nickname": nickname,
                "answered": now,
            }
            db.execute(self._upsert(values))

    @_answering
    def student_answer(self, code: str, question: str, sid: str) -> int | None:
        """The choice student ``sid`` sent for question key ``question``, or None."""
        student = self.student(code, sid)
        if student is None:
            return None
        with self.engine.connect() as db:
            return db.execute(
                select(answers.c.choice).where(
                    answers.c.code == normalise_code(code), answers.c.question == question, answers.c.student == student
                )
            ).scalar()

    # internals

    def _sign(self, code: str, token: str) -> str:
        """16 URL-safe characters: HMAC-SHA-256 of (class, token) under the server's secret, cut to 96 bits."""
        digest = hmac.new(self._key, f"{code}:{token}".encode(), hashlib.sha256).digest()[:12]
        return base64.urlsafe_b64encode(digest).decode("ascii")

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
    def _live_row(db, code: str, now: float | None, lock: bool = False):
        """The class row of a live class (locked for the transaction with ``lock`` on PostgreSQL).

        Raises:
            ClassError: ``NO_CLASS``, whether the code never existed, ended or expired.
        """
        now = time.time() if now is None else now
        statement = select(classes).where(classes.c.code == code)
        row = db.execute(statement.with_for_update() if lock else statement).first()
        if row is None or row.closed or now > row.expires:
            raise ClassError(NO_CLASS.format(code=code))
        return row

    def _teacher_row(self, db, code: str, key: str, live: bool = True, lock: bool = True):
        """The class row once ``key`` is its teacher's: a live class (its row locked for a write transaction on
        PostgreSQL with ``lock``), or with ``live=False`` any class still kept.

        Raises:
            ClassError: no live (or kept) class has the code. NotTeacher: a wrong key.
        """
        code = normalise_code(code)
        if live:
            row = self._live_row(db, code, None, lock=lock)
        else:
            row = db.execute(select(classes).where(classes.c.code == code)).first()
            if row is None:
                raise ClassError(f"no class with the code {code} is kept (answers go after {RETENTION_DAYS:g} days)")
        if not hmac.compare_digest(row.teacher_key_sha256, _sha256(str(key))):
            raise NotTeacher("only the teacher of this class can do that")
        return row

    @staticmethod
    def _question_row(db, code: str, question: str):
        return db.execute(select(questions).where(questions.c.code == code, questions.c.question == question)).first()


def _iso(seconds: float) -> str:
    """Unix seconds as ISO 8601 UTC to the second (``2026-12-07T08:00:00``)."""
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))
