"""The gradebook: every grading of every submission, kept in one SQLite file that survives crashes.

``open_gradebook("grades.db")`` (or ``"sqlite:///grades.db"``, ``"sqlite:////srv/course/grades.db"``) creates
the file on first use. Each write is one transaction: a crash, Ctrl-C or ``kill -9`` at any moment leaves the
whole grading or nothing of it, and a committed grading survives the death of the process (WAL journal with
``synchronous=NORMAL``: a power cut may lose the last few commits, never corrupt the file).

The schema uses only standard SQL types and constraints; everything SQLite-specific is a PRAGMA (journal mode,
synchronous, busy timeout, foreign keys, ``application_id`` marking the file as a gradebook, ``user_version``
numbering the schema) or lives in the few helpers that open the file and start transactions. A PostgreSQL
backend can thus be added behind the same ``Gradebook`` class later: it would declare ``gradings.id`` an
identity column (SQLite numbers it as the rowid) and keep the queries, in its driver's placeholder style.
"""

from __future__ import annotations

import contextlib
import json
import re
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, NamedTuple, get_args

from grader.report import Report

SCHEMA_VERSION = 1
"""Stored in ``PRAGMA user_version``; bump it, with a migration, whenever the tables change."""
APPLICATION_ID = 0x4E504752
"""Stored in ``PRAGMA application_id`` (``"NPGR"``): what tells a gradebook from any other SQLite file."""
BUSY_TIMEOUT_S = 5.0
"""How long a write waits for another process's write to finish before giving up."""

Policy = Literal["best", "latest"]
"""Which grading of a student counts: the highest score (ties: the latest), or the latest (ties: the last
recorded)."""

_SCHEMA = (
    """CREATE TABLE gradings (
        id INTEGER PRIMARY KEY,
        student TEXT NOT NULL,
        assignment TEXT NOT NULL,
        submission_path TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        grader_version TEXT NOT NULL,
        assignment_version TEXT NOT NULL,
        graded_at TEXT NOT NULL,
        score REAL NOT NULL,
        max_score REAL NOT NULL,
        report TEXT NOT NULL
    )""",
    """CREATE TABLE function_results (
        grading_id INTEGER NOT NULL REFERENCES gradings(id),
        name TEXT NOT NULL,
        score REAL,
        max_score REAL,
        status TEXT,
        PRIMARY KEY (grading_id, name)
    )""",
    "CREATE INDEX gradings_by_student ON gradings (assignment, student)",
    "CREATE INDEX gradings_by_content ON gradings (assignment, student, sha256, grader_version, assignment_version)",
)


class GradebookError(Exception):
    """The gradebook cannot be opened or used: a bad location, a file that is not a gradebook, a schema newer
    than this grader, or the database refusing an operation. The message is one line, fit for a user."""


@dataclass(frozen=True)
class ClassRow:
    """The grading of one student that counts for an assignment, under a policy."""

    student: str
    points: dict[str, float]
    """Points per graded function asked for; 0 for a function that grading has no result for."""
    total: float
    max_score: float
    graded_at: str
    sha256: str
    attempts: int
    """How many gradings of this assignment the student has, the chosen one included."""


class _Grading(NamedTuple):
    id: int
    student: str
    score: float
    max_score: float
    graded_at: str
    sha256: str


_POLICY_KEYS: dict[Policy, Callable[[_Grading], tuple[Any, ...]]] = {
    "best": lambda grading: (grading.score, grading.graded_at, grading.id),
    "latest": lambda grading: (grading.graded_at, grading.id),
}


def open_gradebook(location: str) -> Gradebook:
    """Open, creating it if needed, the gradebook at ``location``: a file path, ``sqlite:///relative/path.db``
    or ``sqlite:////absolute/path.db``. Raises ``GradebookError`` for another kind of URL, a missing folder, a
    file that is not a gradebook, or a gradebook with a newer schema."""
    return Gradebook(_sqlite_path(location))


def _sqlite_path(location: str) -> Path:
    scheme = re.match(r"([A-Za-z][A-Za-z0-9+.-]*)://", location)
    if scheme is None:
        return Path(location)
    if scheme.group(1).lower() != "sqlite":
        raise GradebookError(
            f"unsupported gradebook URL scheme {scheme.group(1)!r}: only SQLite gradebooks are supported so far "
            "(a file path, sqlite:///relative/path.db or sqlite:////absolute/path.db)"
        )
    path = location[scheme.end() :]
    if not path.startswith("/") or path == "/":
        raise GradebookError(
            f"bad SQLite URL {location!r}: write sqlite:///relative/path.db or sqlite:////absolute/path.db"
        )
    return Path(path[1:])


class Gradebook:
    """An open gradebook; close it with ``close()`` or by using it as a context manager. Use it from the thread
    that opened it. Several processes may share one gradebook file: a write waits up to ``BUSY_TIMEOUT_S`` for
    another's to finish. Every method raises ``GradebookError`` when the database fails."""

    def __init__(self, path: Path) -> None:
        """Open the gradebook file at ``path``, creating it and its tables if the file is new or empty."""
        self.path = path
        self._connection = _connect(path)
        try:
            with self._database_errors("cannot open"):
                _prepare(self._connection, path)
        except BaseException:
            self._connection.close()
            raise

    def __enter__(self) -> Gradebook:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection; closing again does nothing."""
        self._connection.close()

    def record(self, student: str, report: Report) -> int:
        """Store ``report`` as a grading of ``student``'s submission, with one row per graded function, in one
        transaction: the gradebook then holds all of it or, after any failure or crash, none of it. Returns the
        grading's id. ``graded_at`` is ``report.started_at``, stored in UTC; raises ``ValueError`` when it is not
        an ISO 8601 time with a UTC offset."""
        graded_at = _utc_timestamp(report.started_at)
        with self._database_errors("cannot record in"), _transaction(self._connection):
            cursor = self._connection.execute(
                "INSERT INTO gradings (student, assignment, submission_path, sha256, grader_version,"
                " assignment_version, graded_at, score, max_score, report) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    student, report.assignment, report.submission.path, report.submission.sha256,
                    report.grader_version, report.assignment_version, graded_at, report.score, report.max_score,
                    json.dumps(report.to_dict()),
                ),
            )
            grading_id = cursor.lastrowid
            assert grading_id is not None  # always set by an INSERT into a table with a rowid
            self._connection.executemany(
                "INSERT INTO function_results (grading_id, name, score, max_score, status) VALUES (?, ?, ?, ?, ?)",
                [(grading_id, test.name, test.score, test.max_score, test.status.value) for test in report.tests],
            )
        return grading_id

    def is_graded(
        self, student: str, assignment: str, sha256: str, grader_version: str, assignment_version: str
    ) -> bool:
        """Whether this student's submission with this content was already graded by this grader version
        against this assignment version: a regrade would give the same report."""
        return self.stored_report(student, assignment, sha256, grader_version, assignment_version) is not None

    def stored_report(
        self, student: str, assignment: str, sha256: str, grader_version: str, assignment_version: str
    ) -> dict[str, Any] | None:
        """The report (as ``Report.to_dict()`` gave it) of the latest grading of this student's submission with
        this content by this grader version against this assignment version; None when there is none."""
        with self._database_errors("cannot read"):
            row = self._connection.execute(
                "SELECT report FROM gradings WHERE assignment = ? AND student = ? AND sha256 = ?"
                " AND grader_version = ? AND assignment_version = ? ORDER BY graded_at DESC, id DESC LIMIT 1",
                (assignment, student, sha256, grader_version, assignment_version),
            ).fetchone()
        return None if row is None else _parse_report(row[0])

    def latest_report(self, student: str, assignment: str) -> dict[str, Any] | None:
        """The report (as ``Report.to_dict()`` gave it) of the student's most recent grading of the assignment,
        the last recorded among equally recent ones; None when there is none."""
        with self._database_errors("cannot read"):
            row = self._connection.execute(
                "SELECT report FROM gradings WHERE student = ? AND assignment = ?"
                " ORDER BY graded_at DESC, id DESC LIMIT 1",
                (student, assignment),
            ).fetchone()
        return None if row is None else _parse_report(row[0])

    def class_rows(self, assignment: str, functions: Sequence[str], policy: Policy) -> list[ClassRow]:
        """One row per student graded on ``assignment``, sorted by student: the grading that counts under
        ``policy``, its points for each of ``functions`` and the student's number of attempts. Raises
        ``ValueError`` for an unknown policy."""
        if policy not in get_args(Policy):
            raise ValueError(f"unknown policy {policy!r}: expected one of {', '.join(get_args(Policy))}")
        attempts: dict[str, list[_Grading]] = {}
        for grading in self._gradings(assignment):
            attempts.setdefault(grading.student, []).append(grading)
        chosen = {student: max(gradings, key=_POLICY_KEYS[policy]) for student, gradings in attempts.items()}
        points = self._points(assignment, {grading.id for grading in chosen.values()})
        return [
            ClassRow(
                student=student,
                points={name: points.get((grading.id, name)) or 0.0 for name in functions},
                total=grading.score,
                max_score=grading.max_score,
                graded_at=grading.graded_at,
                sha256=grading.sha256,
                attempts=len(attempts[student]),
            )
            for student, grading in sorted(chosen.items())
        ]

    def _gradings(self, assignment: str) -> list[_Grading]:
        with self._database_errors("cannot read"):
            rows = self._connection.execute(
                "SELECT id, student, score, max_score, graded_at, sha256 FROM gradings WHERE assignment = ?",
                (assignment,),
            ).fetchall()
        return [_Grading(*row) for row in rows]

    def _points(self, assignment: str, grading_ids: set[int]) -> dict[tuple[int, str], float | None]:
        """Each function's score in the given gradings of ``assignment``, by (grading id, function name)."""
        with self._database_errors("cannot read"):
            rows = self._connection.execute(
                "SELECT f.grading_id, f.name, f.score FROM function_results f"
                " JOIN gradings g ON g.id = f.grading_id WHERE g.assignment = ?",
                (assignment,),
            ).fetchall()
        return {(grading_id, name): score for grading_id, name, score in rows if grading_id in grading_ids}

    @contextlib.contextmanager
    def _database_errors(self, doing: str) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as error:
            raise GradebookError(f"{doing} the gradebook {self.path}: {error}") from error


def _parse_report(text: str) -> dict[str, Any]:
    report: dict[str, Any] = json.loads(text)
    return report


def _connect(path: Path) -> sqlite3.Connection:
    """A connection to ``path`` in autocommit mode: transactions are begun explicitly by ``_transaction``."""
    if not path.parent.is_dir():
        raise GradebookError(f"cannot open the gradebook {path}: the folder {path.parent} does not exist")
    if path.is_dir():
        raise GradebookError(f"cannot open the gradebook {path}: it is a folder")
    try:
        return sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
    except sqlite3.Error as error:
        raise GradebookError(f"cannot open the gradebook {path}: {error}") from error


def _prepare(connection: sqlite3.Connection, path: Path) -> None:
    """Check that ``path`` is a gradebook this code can read, or make it one if it is empty, then set the
    connection up. The file is checked before anything is changed in it."""
    connection.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
    connection.execute("PRAGMA foreign_keys = ON")
    with _transaction(connection):
        application_id = _pragma(connection, "application_id")
        if application_id == 0 and not connection.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
            _create_schema(connection)
        elif application_id != APPLICATION_ID:
            raise GradebookError(f"{path} is an SQLite database of something else, not a gradebook")
        version = _pragma(connection, "user_version")
        if version != SCHEMA_VERSION:
            raise GradebookError(
                f"the gradebook {path} has schema version {version}, this grader reads version {SCHEMA_VERSION}"
                + (": upgrade the grader" if version > SCHEMA_VERSION else "")
            )
    connection.execute("PRAGMA journal_mode = WAL")
    connection.execute("PRAGMA synchronous = NORMAL")


def _create_schema(connection: sqlite3.Connection) -> None:
    for statement in _SCHEMA:
        connection.execute(statement)
    connection.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


def _pragma(connection: sqlite3.Connection, name: str) -> int:
    value: int = connection.execute(f"PRAGMA {name}").fetchone()[0]
    return value


@contextlib.contextmanager
def _transaction(connection: sqlite3.Connection) -> Iterator[None]:
    """One write transaction, holding the write lock from its start (so that concurrent writers queue instead
    of failing): committed when the block ends, rolled back when it raises, ``KeyboardInterrupt`` included."""
    connection.execute("BEGIN IMMEDIATE")
    with connection:
        yield


def _utc_timestamp(text: str) -> str:
    """``text``, an ISO 8601 time with a UTC offset (``Z`` included), in UTC as ``datetime.isoformat`` writes
    it (``2024-05-01T10:00:00+00:00``), so that such stamps sort as text in time order."""
    problem = f"the report's started_at {text!r} is not an ISO 8601 time with a UTC offset"
    try:
        moment = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
    except ValueError:
        raise ValueError(problem) from None
    if moment.tzinfo is None:
        raise ValueError(problem)
    return moment.astimezone(timezone.utc).isoformat()
