"""The gradebook: what it stores, which grading counts, the class CSV, where it opens, and that a write is all
or nothing even when the writing process is killed."""

from __future__ import annotations

import contextlib
import csv
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from grader.class_csv import write_class_csv
from grader.gradebook import APPLICATION_ID, ClassRow, Gradebook, GradebookError, open_gradebook
from grader.report import Report, Status, SubmissionInfo
from grader.report import TestResult as FunctionResult  # not a pytest test class
from grader.sandbox.outcome import Isolation, SandboxLevel

ROOT = Path(__file__).resolve().parents[1]
FUNCTIONS = ("forward", "backward")
POINTS_EACH = 10.0
SANDBOX = Isolation(SandboxLevel.BASIC, None, "open", "open", "process-group")
T0 = "2024-05-01T10:00:00+00:00"
T1 = "2024-05-01T10:05:00+00:00"


def make_report(
    points: Sequence[tuple[str, float]] = (("forward", 10.0), ("backward", 5.0)),
    *,
    sha256: str = "0" * 64,
    started_at: str = T0,
    assignment: str = "rnn",
    grader_version: str = "0.1.0",
    assignment_version: str = "1",
) -> Report:
    """A report of a submission that got ``points`` (function name, score), each function out of 10."""
    tests = tuple(
        FunctionResult(name, score, POINTS_EACH, Status.PASSED if score == POINTS_EACH else Status.FAILED, "")
        for name, score in points
    )
    return Report(
        assignment=assignment,
        assignment_version=assignment_version,
        submission=SubmissionInfo(path=f"{sha256[:8]}.py", sha256=sha256),
        grader_version=grader_version,
        score=sum(score for _, score in points),
        max_score=POINTS_EACH * len(points),
        started_at=started_at,
        duration_s=0.5,
        sandbox=SANDBOX,
        tests=tests,
    )


def sha(text: str) -> str:
    return text.ljust(64, "0")


@pytest.fixture
def gradebook(tmp_path: Path) -> Iterator[Gradebook]:
    with open_gradebook(str(tmp_path / "grades.db")) as opened:
        yield opened


def query(path: Path, sql: str) -> list[tuple[Any, ...]]:
    """``sql``'s rows, read through a connection of its own, as another program would."""
    with contextlib.closing(sqlite3.connect(path)) as connection:
        return connection.execute(sql).fetchall()


# Recording and reading back


def test_a_recorded_report_is_graded_and_read_back_whole(gradebook: Gradebook) -> None:
    report = make_report(sha256=sha("a"))
    grading_id = gradebook.record("alice", report)
    assert grading_id >= 1
    assert gradebook.is_graded("alice", "rnn", sha("a"), "0.1.0", "1")
    assert gradebook.latest_report("alice", "rnn") == json.loads(json.dumps(report.to_dict()))
    assert gradebook.latest_report("bob", "rnn") is None
    assert gradebook.latest_report("alice", "other") is None


@pytest.mark.parametrize(
    ("student", "assignment", "sha256", "grader_version", "assignment_version"),
    [
        ("bob", "rnn", sha("a"), "0.1.0", "1"),
        ("alice", "cnn", sha("a"), "0.1.0", "1"),
        ("alice", "rnn", sha("b"), "0.1.0", "1"),
        ("alice", "rnn", sha("a"), "0.2.0", "1"),
        ("alice", "rnn", sha("a"), "0.1.0", "2"),
    ],
)
def test_any_difference_means_not_graded_yet(
    gradebook: Gradebook, student: str, assignment: str, sha256: str, grader_version: str, assignment_version: str
) -> None:
    gradebook.record("alice", make_report(sha256=sha("a")))
    assert not gradebook.is_graded(student, assignment, sha256, grader_version, assignment_version)


def test_each_graded_function_gets_a_row(gradebook: Gradebook) -> None:
    grading_id = gradebook.record("alice", make_report((("forward", 10.0), ("backward", 2.5))))
    columns = "grading_id, name, score, max_score, status"
    rows = query(gradebook.path, f"SELECT {columns} FROM function_results ORDER BY name")
    assert rows == [(grading_id, "backward", 2.5, 10.0, "failed"), (grading_id, "forward", 10.0, 10.0, "passed")]


def test_the_grading_row_holds_the_reports_facts(gradebook: Gradebook) -> None:
    gradebook.record("alice", make_report(sha256=sha("a"), started_at="2024-05-01T12:00:00+02:00"))
    columns = "student, assignment, submission_path, sha256, grader_version, assignment_version, graded_at, score"
    assert query(gradebook.path, f"SELECT {columns}, max_score FROM gradings") == [
        ("alice", "rnn", "a0000000.py", sha("a"), "0.1.0", "1", "2024-05-01T10:00:00+00:00", 15.0, 20.0)
    ]


@pytest.mark.parametrize("started_at", ["2024-05-01T10:00:00", "yesterday"])
def test_a_start_time_without_utc_offset_is_refused(gradebook: Gradebook, started_at: str) -> None:
    with pytest.raises(ValueError, match="UTC offset"):
        gradebook.record("alice", make_report(started_at=started_at))
    assert query(gradebook.path, "SELECT count(*) FROM gradings") == [(0,)]


def test_a_failed_write_leaves_nothing_behind(gradebook: Gradebook) -> None:
    """The second function row breaks the primary key after the grading row went in: all of it is undone."""
    broken = make_report((("forward", 10.0), ("forward", 5.0)))
    with pytest.raises(GradebookError, match="UNIQUE constraint failed"):
        gradebook.record("alice", broken)
    assert query(gradebook.path, "SELECT count(*) FROM gradings") == [(0,)]
    assert query(gradebook.path, "SELECT count(*) FROM function_results") == [(0,)]
    assert not gradebook.is_graded("alice", "rnn", "0" * 64, "0.1.0", "1")
    gradebook.record("alice", make_report())
    assert query(gradebook.path, "SELECT count(*) FROM function_results") == [(2,)]


def test_records_persist_across_openings(tmp_path: Path) -> None:
    location = str(tmp_path / "grades.db")
    with open_gradebook(location) as gradebook:
        gradebook.record("alice", make_report(sha256=sha("a")))
    with open_gradebook(location) as gradebook:
        assert gradebook.is_graded("alice", "rnn", sha("a"), "0.1.0", "1")
        assert query(gradebook.path, "PRAGMA journal_mode") == [("wal",)]


def test_close_is_idempotent_and_a_closed_gradebook_refuses_work(tmp_path: Path) -> None:
    gradebook = open_gradebook(str(tmp_path / "grades.db"))
    gradebook.close()
    gradebook.close()
    with pytest.raises(GradebookError, match="closed"):
        gradebook.record("alice", make_report())


# Which grading counts


@pytest.fixture
def attempts(gradebook: Gradebook) -> Gradebook:
    """alice: 15 points twice, the first recorded graded later (so best), then a worse one at that same time
    (latest), then one recorded last but graded earliest. bob: two 5-point gradings at the same time. carol:
    another assignment."""
    gradebook.record("alice", make_report((("forward", 5.0), ("backward", 10.0)), sha256=sha("a1"), started_at=T1))
    gradebook.record("alice", make_report((("forward", 10.0), ("backward", 5.0)), sha256=sha("a2"), started_at=T0))
    gradebook.record("alice", make_report((("forward", 2.0), ("backward", 0.0)), sha256=sha("a3"), started_at=T1))
    gradebook.record("alice", make_report((("forward", 0.0),), sha256=sha("a4"), started_at="2024-05-01T09:00:00Z"))
    gradebook.record("bob", make_report((("forward", 5.0), ("backward", 0.0)), sha256=sha("b1"), started_at=T0))
    gradebook.record("bob", make_report((("forward", 0.0), ("backward", 5.0)), sha256=sha("b2"), started_at=T0))
    gradebook.record("carol", make_report(sha256=sha("c1"), assignment="cnn"))
    return gradebook


def test_best_is_the_highest_score_and_ties_go_to_the_latest(attempts: Gradebook) -> None:
    assert attempts.class_rows("rnn", FUNCTIONS, "best") == [
        ClassRow("alice", {"forward": 5.0, "backward": 10.0}, 15.0, 20.0, T1, sha("a1"), 4),
        ClassRow("bob", {"forward": 0.0, "backward": 5.0}, 5.0, 20.0, T0, sha("b2"), 2),
    ]


def test_latest_is_the_last_graded_and_ties_go_to_the_last_recorded(attempts: Gradebook) -> None:
    assert attempts.class_rows("rnn", FUNCTIONS, "latest") == [
        ClassRow("alice", {"forward": 2.0, "backward": 0.0}, 2.0, 20.0, T1, sha("a3"), 4),
        ClassRow("bob", {"forward": 0.0, "backward": 5.0}, 5.0, 20.0, T0, sha("b2"), 2),
    ]
    assert attempts.latest_report("alice", "rnn") == json.loads(
        json.dumps(make_report((("forward", 2.0), ("backward", 0.0)), sha256=sha("a3"), started_at=T1).to_dict())
    )


def test_a_function_without_a_result_counts_zero(attempts: Gradebook) -> None:
    [carol] = attempts.class_rows("cnn", ["forward", "renamed"], "best")
    assert (carol.student, carol.points, carol.attempts) == ("carol", {"forward": 10.0, "renamed": 0.0}, 1)


def test_an_assignment_nobody_did_has_no_rows(attempts: Gradebook) -> None:
    assert attempts.class_rows("lstm", FUNCTIONS, "latest") == []


def test_an_unknown_policy_is_refused(attempts: Gradebook) -> None:
    with pytest.raises(ValueError, match="unknown policy 'first'"):
        attempts.class_rows("rnn", FUNCTIONS, "first")  # type: ignore[arg-type]


# The class CSV


def read_csv(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as stream:
        return list(csv.reader(stream))


def test_the_class_csv_lists_the_roster_then_the_others(tmp_path: Path) -> None:
    rows = [
        ClassRow("alice", {"forward": 7.5, "backward": 5.0}, 12.5, 20.0, T1, sha("a"), 3),
        ClassRow("bob", {"forward": 0.1 + 0.2, "backward": 100.0}, 100.3, 200.0, T0, sha("b"), 1),
    ]
    target = tmp_path / "class.csv"
    write_class_csv(target, rows, FUNCTIONS, students=["carol", "alice"])
    assert read_csv(target) == [
        ["student", "forward", "backward", "total", "max_score", "attempts", "graded_at", "sha256"],
        ["carol", "", "", "", "", "", "", ""],
        ["alice", "7.5", "5", "12.5", "20", "3", T1, sha("a")],
        ["bob", "0.3", "100", "100.3", "200", "1", T0, sha("b")],
    ]


def test_the_class_csv_replaces_the_old_file_and_leaves_no_temporary(attempts: Gradebook, tmp_path: Path) -> None:
    target = tmp_path / "out" / "class.csv"
    target.parent.mkdir()
    target.write_text("old\n", encoding="utf-8")
    write_class_csv(target, attempts.class_rows("rnn", FUNCTIONS, "best"), FUNCTIONS)
    assert [row[0] for row in read_csv(target)] == ["student", "alice", "bob"]
    assert [path.name for path in target.parent.iterdir()] == ["class.csv"]


# Where a gradebook opens


def test_a_relative_sqlite_url_is_relative_to_the_working_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "course").mkdir()
    with open_gradebook("sqlite:///course/grades.db") as gradebook:
        gradebook.record("alice", make_report())
    assert query(tmp_path / "course" / "grades.db", "SELECT student FROM gradings") == [("alice",)]


def test_an_absolute_sqlite_url_and_a_plain_path_name_the_same_file(tmp_path: Path) -> None:
    assert tmp_path.is_absolute()
    with open_gradebook(f"sqlite:///{tmp_path}/grades.db") as gradebook:
        gradebook.record("alice", make_report(sha256=sha("a")))
    with open_gradebook(str(tmp_path / "grades.db")) as gradebook:
        assert gradebook.is_graded("alice", "rnn", sha("a"), "0.1.0", "1")


def test_another_database_is_not_supported_yet() -> None:
    with pytest.raises(GradebookError) as raised:
        open_gradebook("postgresql://teacher:secret@db.example.org/grades")
    message = str(raised.value)
    assert "only SQLite" in message and "postgresql" in message
    assert "secret" not in message and "\n" not in message


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///", "sqlite://host/grades.db"])
def test_a_malformed_sqlite_url_is_refused(url: str) -> None:
    with pytest.raises(GradebookError, match="sqlite:////absolute/path.db"):
        open_gradebook(url)


def test_a_missing_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(GradebookError, match="does not exist"):
        open_gradebook(str(tmp_path / "missing" / "grades.db"))
    assert not (tmp_path / "missing").exists()


def test_a_folder_is_not_a_gradebook(tmp_path: Path) -> None:
    with pytest.raises(GradebookError, match="is a folder"):
        open_gradebook(str(tmp_path))


def test_a_text_file_is_not_a_gradebook(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("student,score\nalice,10\n" * 50, encoding="utf-8")
    with pytest.raises(GradebookError, match="file is not a database"):
        open_gradebook(str(notes))
    assert notes.read_text(encoding="utf-8") == "student,score\nalice,10\n" * 50


def test_another_programs_database_is_refused_and_left_untouched(tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    with contextlib.closing(sqlite3.connect(other)) as connection, connection:
        connection.execute("CREATE TABLE inventory (item TEXT)")
    with pytest.raises(GradebookError, match="not a gradebook"):
        open_gradebook(str(other))
    assert query(other, "SELECT name FROM sqlite_master") == [("inventory",)]
    assert query(other, "PRAGMA journal_mode") == [("delete",)]


def test_an_empty_sqlite_file_of_another_application_is_refused(tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    with contextlib.closing(sqlite3.connect(other)) as connection:
        connection.execute("PRAGMA application_id = 42")
    with pytest.raises(GradebookError, match="not a gradebook"):
        open_gradebook(str(other))


def test_an_empty_file_becomes_a_gradebook(tmp_path: Path) -> None:
    empty = tmp_path / "grades.db"
    empty.touch()
    with open_gradebook(str(empty)) as gradebook:
        gradebook.record("alice", make_report())
    assert query(empty, "PRAGMA application_id") == [(APPLICATION_ID,)]
    assert query(empty, "PRAGMA user_version") == [(1,)]


def test_a_gradebook_from_a_newer_grader_is_refused(tmp_path: Path) -> None:
    location = tmp_path / "grades.db"
    open_gradebook(str(location)).close()
    with contextlib.closing(sqlite3.connect(location)) as connection:
        connection.execute("PRAGMA user_version = 99")
    with pytest.raises(GradebookError, match="schema version 99, this grader reads version 1: upgrade the grader"):
        open_gradebook(str(location))


# Killed mid-write

KILLED_WRITER = """
import sys
from grader.gradebook import open_gradebook
from test_gradebook import make_report

points = [(f"f{index}", 1.0) for index in range(20)]
with open_gradebook(sys.argv[1]) as gradebook:
    for count in range(1, 100_000):
        gradebook.record(f"student{count % 7}", make_report(points, sha256=f"{count:064x}"))
        print(count, flush=True)
"""
COMMITTED_BEFORE_KILL = 50
KILLS = 3


def kill_a_writer(location: Path) -> int:
    """Start a process that records 20-function gradings into ``location`` one after another, SIGKILL it once it
    has committed a few, and return how many it said it committed."""
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "tests")])}
    command = [sys.executable, "-c", KILLED_WRITER, str(location)]
    writer = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environment)
    watchdog = threading.Timer(60, writer.kill)
    watchdog.start()
    try:
        assert writer.stdout is not None
        reported = 0
        for line in writer.stdout:
            reported = int(line)
            if reported >= COMMITTED_BEFORE_KILL:
                time.sleep(0.01)  # let it go on a little, to strike at any point of a write, not just after one
                os.kill(writer.pid, signal.SIGKILL)
                break
        rest, errors = writer.communicate()
    finally:
        watchdog.cancel()
    assert reported >= COMMITTED_BEFORE_KILL, errors
    assert writer.returncode == -signal.SIGKILL
    return max([reported, *map(int, rest.split())])


def test_writers_killed_mid_way_leave_whole_gradings_only(tmp_path: Path) -> None:
    location = tmp_path / "grades.db"
    reported = 0
    for kill in range(1, KILLS + 1):
        reported += kill_a_writer(location)
        with open_gradebook(str(location)) as gradebook:
            count = query(location, "SELECT count(*) FROM gradings")[0][0]
            assert reported <= count <= reported + kill  # a writer may die between a commit and its report
            incomplete = "SELECT g.id FROM gradings g LEFT JOIN function_results f ON f.grading_id = g.id"
            assert query(location, f"{incomplete} GROUP BY g.id HAVING count(f.name) != 20") == []
            orphans = "SELECT count(*) FROM function_results WHERE grading_id NOT IN (SELECT id FROM gradings)"
            assert query(location, orphans) == [(0,)]
            assert query(location, "PRAGMA integrity_check") == [("ok",)]
            assert gradebook.is_graded("student1", "rnn", f"{1:064x}", "0.1.0", "1")
