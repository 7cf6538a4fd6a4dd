"""Batch grading: finding a class's submissions, grading them on several processes, the gradebook, incremental
reruns, the class summary and CSV, and surviving hanging submissions, dying pool processes and ``kill -9``.

The command runs as a user runs it (a real process), always with its working directory in ``tmp_path``, so
that no ``gradebook.db`` lands in the repository.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path

import jsonschema
import pytest

from grader import pool
from grader.batch import Submission, find_submissions, grade_all, report_names
from grader.gradebook import open_gradebook
from grader.grading import Grader
from grader.registry import load_assignment
from grader.report import SCHEMA_PATH, Report
from grader.students import DEFAULT_ID_PATTERN, compile_id_pattern, load_roster

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "rnn_step_by_step"
CORRECT = EXAMPLES / "correct.py"
PARTLY_WRONG = EXAMPLES / "partly_wrong.py"
STUB = ROOT / "assignments" / "rnn_step_by_step" / "rnn_step_by_step.py"
LOOPS_FOREVER = ROOT / "tests" / "submissions" / "batch" / "lstm_backward__loops_forever.py"
SCHEMA = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
ASSIGNMENT = "rnn_step_by_step"
FUNCTIONS = [graded.name for graded in load_assignment(ASSIGNMENT).functions]
DEFAULT_PATTERN = compile_id_pattern(DEFAULT_ID_PATTERN)
CLASS = {"alice_1.py": CORRECT, "bob_1.py": CORRECT, "dave_1.py": PARTLY_WRONG, "erin_1.py": STUB, "_x.py": CORRECT}
"""A small class: two full marks, one partly wrong (33), the stub (0), and a file without a student id."""
SCORES = {"alice": 100, "bob": 100, "dave": 33, "erin": 0}
SUMMARY_LINE = re.compile(r"^rnn_step_by_step: (\d+) submissions graded \((\d+) now, (\d+) unchanged", re.MULTILINE)


def grade(*arguments: str | Path, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run ``python -m grader`` with ``arguments`` in ``cwd``."""
    command = [sys.executable, "-m", "grader", *map(str, arguments)]
    return subprocess.run(command, capture_output=True, text=True, cwd=cwd, timeout=timeout)


def make_folder(folder: Path, files: Mapping[str, Path | str]) -> Path:
    """``folder`` holding a copy of each source under its name (or the text given), parents created."""
    for name, source in files.items():
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(source, Path):
            shutil.copyfile(source, target)
        else:
            target.write_text(source, encoding="utf-8")
    return folder


def counts(stdout: str) -> tuple[int, int, int]:
    """(graded, graded now, unchanged) from the text summary."""
    match = SUMMARY_LINE.search(stdout)
    assert match, stdout
    graded, now, unchanged = (int(group) for group in match.groups())
    return graded, now, unchanged


def class_csv(path: Path) -> dict[str, dict[str, str]]:
    """The rows of a class CSV by student; checks the header."""
    with path.open(newline="", encoding="utf-8") as file:
        reader = csv.DictReader(file)
        assert reader.fieldnames == ["student", *FUNCTIONS, "total", "max_score", "attempts", "graded_at", "sha256"]
        rows = list(reader)
    assert len({row["student"] for row in rows}) == len(rows), "one row per student"
    return {row["student"]: row for row in rows}


def gradings(database: Path) -> list[tuple[str, str, str, float]]:
    """(student, submission path, sha256, score) of every grading, in the order recorded."""
    with sqlite3.connect(database) as connection:
        rows = connection.execute("SELECT student, submission_path, sha256, score FROM gradings ORDER BY id")
        return [tuple(row) for row in rows]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- finding the submissions ---------------------------------------------------------------------------------


def test_a_folder_is_walked_sorted_with_nested_python_files_only(tmp_path: Path) -> None:
    folder = make_folder(tmp_path / "class", {
        "bob_1.py": "", "alice_1.py": "", "notes.txt": "", "alice_1.pyc": "", "group/carol_1.py": "",
        ".hidden/dave_1.py": "", ".eve_1.py": "", "__pycache__/frank_1.py": "", "group/__pycache__/gil_1.py": "",
        "group/.git/hank_1.py": "",
    })
    (folder / "ivan_1.py").mkdir()  # a folder, not a file

    found = find_submissions([folder], DEFAULT_PATTERN)

    assert [item.relative_path for item in found.submissions] == ["alice_1.py", "bob_1.py", "group/carol_1.py"]
    assert [item.student for item in found.submissions] == ["alice", "bob", "carol"]
    assert [item.display_path for item in found.submissions] == [
        str(folder / "alice_1.py"), str(folder / "bob_1.py"), str(folder / "group" / "carol_1.py")]
    assert found.submissions[2].path == folder / "group" / "carol_1.py"
    assert found.unmatched == []


def test_a_file_given_directly_is_known_by_its_name_and_counts_once(tmp_path: Path) -> None:
    folder = make_folder(tmp_path / "class", {"alice_2.py": "", "bob_1.py": ""})
    (folder / "sub").mkdir()
    alice = folder / "alice_2.py"

    found = find_submissions([alice, folder, folder / "sub" / ".." / "alice_2.py", alice], DEFAULT_PATTERN)

    assert [(item.display_path, item.relative_path, item.student) for item in found.submissions] == [
        (str(alice), "alice_2.py", "alice"), (str(folder / "bob_1.py"), "bob_1.py", "bob")]


def test_the_default_pattern_takes_the_name_up_to_its_first_underscore_or_dot(tmp_path: Path) -> None:
    folder = make_folder(tmp_path / "class", {"alice_attempt2.py": "", "bob.py": "", "_x.py": ""})

    found = find_submissions([folder], DEFAULT_PATTERN)

    assert [item.student for item in found.submissions] == ["alice", "bob"]
    assert [item.display_path for item in found.unmatched] == [str(folder / "_x.py")]
    assert found.unmatched[0].reason == f"no student id in its name (pattern {DEFAULT_ID_PATTERN!r})"


def test_a_custom_pattern_is_matched_on_the_path_inside_the_folder(tmp_path: Path) -> None:
    folder = make_folder(tmp_path / "class", {"alice/rnn.py": "", "bob/v2/rnn.py": "", "loose.py": ""})

    found = find_submissions([folder], compile_id_pattern(r"^(?P<student>[^/]+)/"))

    assert [(item.relative_path, item.student) for item in found.submissions] == [
        ("alice/rnn.py", "alice"), ("bob/v2/rnn.py", "bob")]
    assert [item.display_path for item in found.unmatched] == [str(folder / "loose.py")]


def test_a_roster_maps_keys_to_official_ids(tmp_path: Path) -> None:
    roster_file = tmp_path / "roster.csv"
    roster_file.write_text("student,key\nS001,alice\nS002,Bob\n", encoding="utf-8")
    folder = make_folder(tmp_path / "class", {"alice_1.py": "", "bob_1.py": "", "mallory_1.py": "", "_x.py": ""})

    found = find_submissions([folder], DEFAULT_PATTERN, load_roster(roster_file))

    assert [(item.relative_path, item.student) for item in found.submissions] == [
        ("alice_1.py", "S001"), ("bob_1.py", "S002")]
    reasons = {Path(item.display_path).name: item.reason for item in found.unmatched}
    assert reasons["mallory_1.py"] == "'mallory' is not on the roster"
    assert reasons["_x.py"].startswith("no student id in its name")


def test_a_missing_path_raises_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="nowhere.py does not exist"):
        find_submissions([tmp_path / "nowhere.py"], DEFAULT_PATTERN)


def test_report_names_are_numbered_where_they_would_collide() -> None:
    def submission(relative_path: str, folder: str) -> Submission:
        return Submission(Path(folder, relative_path), f"{folder}/{relative_path}", relative_path, "s")

    names = report_names([
        submission("alice_1.py", "a"), submission("alice_1.py", "b"), submission("alice_1.py", "c"),
        submission("group/x.py", "a"), submission("group__x.py", "a"), submission("bob_1.py", "a"),
    ])

    assert names == {
        "a/alice_1.py": "alice_1.json", "b/alice_1.py": "alice_1-2.json", "c/alice_1.py": "alice_1-3.json",
        "a/group/x.py": "group__x.json", "a/group__x.py": "group__x-2.json", "a/bob_1.py": "bob_1.json",
    }


# --- a whole batch through the command ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    """A folder of the small class graded once, with ``-o out`` and ``--db grades.db``: (cwd, the run)."""
    cwd = tmp_path_factory.mktemp("graded_class")
    make_folder(cwd / "class", CLASS)
    done = grade("class", "-a", ASSIGNMENT, "-o", "out", "--db", "grades.db", "-j", "2", cwd=cwd)
    return cwd, done


def test_a_batch_prints_the_class_summary(graded_class: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    cwd, done = graded_class
    assert done.returncode == 0, done.stderr
    assert counts(done.stdout) == (4, 4, 0)
    assert "Score: mean 58.25, median 66.5 (out of 100)" in done.stdout
    dave = json.loads((cwd / "out" / "dave_1.json").read_text(encoding="utf-8"))
    dave_passed = {test["name"] for test in dave["tests"] if test["status"] == "passed"}
    assert dave_passed and dave_passed != set(FUNCTIONS)
    for name in FUNCTIONS:  # alice and bob pass everything, erin nothing
        passed = 2 + (name in dave_passed)
        assert re.search(rf"^  {name} +{100 * passed / 4:5.1f}%  \({passed}/4\)$", done.stdout, re.MULTILINE), name
    assert "Not graded (1):\n  class/_x.py: no student id in its name" in done.stdout


def test_a_batch_warns_of_a_file_it_does_not_grade(graded_class: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    _, done = graded_class
    assert "grade: warning: not grading class/_x.py: no student id in its name" in done.stderr
    assert "Wrote 4 reports and class.csv to out" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_batch_writes_one_valid_json_report_per_submission(
    graded_class: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    cwd, _ = graded_class
    out = cwd / "out"
    assert sorted(path.name for path in out.iterdir()) == [
        "alice_1.json", "bob_1.json", "class.csv", "dave_1.json", "erin_1.json"]
    for student, score in SCORES.items():
        report = json.loads((out / f"{student}_1.json").read_text(encoding="utf-8"))
        jsonschema.validate(report, SCHEMA)
        assert report["score"] == score
        assert report["submission"]["path"] == f"class/{student}_1.py"
        assert report["submission"]["sha256"] == sha256(cwd / "class" / f"{student}_1.py")


def test_a_batch_writes_the_class_csv(graded_class: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    cwd, _ = graded_class
    rows = class_csv(cwd / "out" / "class.csv")
    assert list(rows) == ["alice", "bob", "dave", "erin"]
    for student, row in rows.items():
        report = json.loads((cwd / "out" / f"{student}_1.json").read_text(encoding="utf-8"))
        points = {test["name"]: test["score"] for test in report["tests"]}
        assert {name: float(row[name]) for name in FUNCTIONS} == points
        assert float(row["total"]) == SCORES[student] == sum(float(row[name]) for name in FUNCTIONS)
        assert (row["max_score"], row["attempts"]) == ("100", "1")
        assert row["sha256"] == sha256(cwd / "class" / f"{student}_1.py")


def test_a_batch_records_every_submission_in_the_gradebook(
    graded_class: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    cwd, _ = graded_class
    assert sorted((student, score) for student, _, _, score in gradings(cwd / "grades.db")) == sorted(
        (student, float(score)) for student, score in SCORES.items())
    assert not (ROOT / "gradebook.db").exists()


def test_the_json_summary_has_the_counts(tmp_path: Path) -> None:
    make_folder(tmp_path / "class", CLASS)

    done = grade("class", "-a", ASSIGNMENT, "--format", "json", "--db", "grades.db", cwd=tmp_path)

    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert (summary["graded"], summary["graded_now"], summary["unchanged"]) == (4, 4, 0)
    assert (summary["max_score"], summary["mean_score"], summary["median_score"]) == (100, 58.25, 66.5)
    assert [rate["name"] for rate in summary["pass_rates"]] == FUNCTIONS
    assert all(rate["total"] == 4 and 2 <= rate["passed"] <= 3 for rate in summary["pass_rates"])
    assert len(summary["slowest"]) == 4 and summary["not_loaded"] == []
    assert [problem["path"] for problem in summary["not_graded"]] == ["class/_x.py"]


# --- incremental runs -----------------------------------------------------------------------------------------


def test_a_second_run_grades_nothing_again_but_writes_every_report(tmp_path: Path) -> None:
    make_folder(tmp_path / "class", CLASS)
    arguments = ("class", "-a", ASSIGNMENT, "-o", "out", "--db", "grades.db")
    assert grade(*arguments, cwd=tmp_path).returncode == 0
    first = {path.name: path.read_text(encoding="utf-8") for path in (tmp_path / "out").iterdir()}
    shutil.rmtree(tmp_path / "out")

    done = grade(*arguments, cwd=tmp_path)

    assert done.returncode == 0, done.stderr
    assert counts(done.stdout) == (4, 0, 4)
    assert "Slowest" not in done.stdout
    assert {path.name: path.read_text(encoding="utf-8") for path in (tmp_path / "out").iterdir()} == first
    assert len(gradings(tmp_path / "grades.db")) == 4


def test_a_renamed_unchanged_file_keeps_its_grading_under_its_new_name(tmp_path: Path) -> None:
    make_folder(tmp_path / "class", {"alice_1.py": CORRECT})
    arguments = ("class", "-a", ASSIGNMENT, "-o", "out", "--db", "grades.db")
    assert grade(*arguments, cwd=tmp_path).returncode == 0
    (tmp_path / "class" / "alice_1.py").rename(tmp_path / "class" / "alice_final.py")

    done = grade(*arguments, cwd=tmp_path)

    assert done.returncode == 0, done.stderr
    assert counts(done.stdout) == (1, 0, 1)
    report = json.loads((tmp_path / "out" / "alice_final.json").read_text(encoding="utf-8"))
    assert report["submission"]["path"] == str(Path("class") / "alice_final.py")


def test_changing_one_file_regrades_exactly_that_one(tmp_path: Path) -> None:
    make_folder(tmp_path / "class", CLASS)
    arguments = ("class", "-a", ASSIGNMENT, "-o", "out", "--db", "grades.db")
    assert grade(*arguments, cwd=tmp_path).returncode == 0
    bob = tmp_path / "class" / "bob_1.py"
    bob.write_text(bob.read_text(encoding="utf-8") + "# one more comment\n", encoding="utf-8")

    done = grade(*arguments, cwd=tmp_path)

    assert done.returncode == 0, done.stderr
    assert counts(done.stdout) == (4, 1, 3)
    assert re.search(r"^Slowest \(1\):\n  class/bob_1\.py: ", done.stdout, re.MULTILINE)
    recorded = gradings(tmp_path / "grades.db")
    assert [student for student, _, _, _ in recorded[4:]] == ["bob"]
    assert recorded[4][2] == sha256(bob)
    rows = class_csv(tmp_path / "out" / "class.csv")
    assert {student: row["attempts"] for student, row in rows.items()} == {
        "alice": "1", "bob": "2", "dave": "1", "erin": "1"}
    assert rows["bob"]["sha256"] == sha256(bob)


def test_force_regrades_everything(tmp_path: Path) -> None:
    make_folder(tmp_path / "class", CLASS)
    arguments = ("class", "-a", ASSIGNMENT, "--db", "grades.db")
    assert grade(*arguments, cwd=tmp_path).returncode == 0

    done = grade(*arguments, "--force", cwd=tmp_path)

    assert done.returncode == 0, done.stderr
    assert counts(done.stdout) == (4, 4, 0)
    assert len(gradings(tmp_path / "grades.db")) == 8


def test_the_policy_chooses_between_a_students_attempts(tmp_path: Path) -> None:
    def total(policy: str) -> tuple[str, str, str]:
        done = grade("class", "-a", ASSIGNMENT, "-o", "out", "--db", "grades.db", "--policy", policy, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        row = class_csv(tmp_path / "out" / "class.csv")["carol"]
        return row["total"], row["attempts"], row["sha256"]

    folder = make_folder(tmp_path / "class", {"carol_1.py": PARTLY_WRONG})
    assert total("best") == ("33", "1", sha256(folder / "carol_1.py"))
    make_folder(folder, {"carol_2.py": CORRECT})  # a better attempt
    assert total("best") == total("latest") == ("100", "2", sha256(CORRECT))
    make_folder(folder, {"carol_3.py": STUB})  # a worse one: best and latest part ways
    assert total("latest") == ("0", "3", sha256(STUB))
    assert total("best") == ("100", "3", sha256(CORRECT))
    assert len(gradings(tmp_path / "grades.db")) == 3


def test_latest_is_the_last_attempt_even_when_an_earlier_one_finishes_last(tmp_path: Path) -> None:
    # carol_1 takes over a second (a time-out), carol_2 a fraction: carol_2's report comes first
    make_folder(tmp_path / "class", {"carol_1.py": LOOPS_FOREVER, "carol_2.py": CORRECT})

    done = grade("class", "-a", ASSIGNMENT, "-o", "out", "--db", "grades.db", "--policy", "latest",
                 "--timeout", "1", "-j", "2", cwd=tmp_path)

    assert done.returncode == 0, done.stderr
    row = class_csv(tmp_path / "out" / "class.csv")["carol"]
    assert (row["total"], row["attempts"], row["sha256"]) == ("100", "2", sha256(CORRECT))
    assert [path for _, path, _, _ in gradings(tmp_path / "grades.db")] == ["class/carol_1.py", "class/carol_2.py"]


# --- robustness -----------------------------------------------------------------------------------------------


def test_a_hanging_submission_times_out_and_the_others_get_full_marks(tmp_path: Path) -> None:
    make_folder(tmp_path / "class", {
        "alice_1.py": CORRECT, "bob_1.py": CORRECT, "carl_1.py": CORRECT, "zed_1.py": LOOPS_FOREVER})
    started = time.monotonic()

    done = grade("class", "-a", ASSIGNMENT, "-o", "out", "--db", "grades.db", "--timeout", "1", "-j", "2",
                 cwd=tmp_path, timeout=60)

    assert time.monotonic() - started < 30
    assert done.returncode == 0, done.stderr
    assert counts(done.stdout) == (4, 4, 0)
    scores = {row["student"]: row["total"] for row in class_csv(tmp_path / "out" / "class.csv").values()}
    assert scores == {"alice": "100", "bob": "100", "carl": "100", "zed": "85"}
    zed = json.loads((tmp_path / "out" / "zed_1.json").read_text(encoding="utf-8"))
    lstm_backward = next(test for test in zed["tests"] if test["name"] == "lstm_backward")
    assert lstm_backward["status"] == "error"
    assert "exceeded the 1 s time limit" in lstm_backward["feedback"]


@pytest.fixture(scope="module")
def grader() -> Grader:
    return Grader(load_assignment(ASSIGNMENT))


def test_a_dead_pool_process_costs_only_its_submission(
    tmp_path: Path, grader: Grader, monkeypatch: pytest.MonkeyPatch,
) -> None:
    names = ["ann_1.py", "bob_1.py", "cid_1.py", "dan_1.py", "eve_1.py"]
    folder = make_folder(tmp_path / "class", dict.fromkeys(names, CORRECT))
    grade_file = Grader.grade

    def dies_on_bob(self: Grader, submission: Path, display_path: str | None = None) -> Report:
        if submission.name == "bob_1.py":
            os._exit(9)
        return grade_file(self, submission, display_path)

    monkeypatch.setattr(Grader, "grade", dies_on_bob)  # inherited by the forked pool processes

    outcomes = {path: (report, error) for path, report, error in
                pool.grade_in_parallel(grader, [(folder / name, name) for name in names], 2)}

    assert sorted(outcomes) == names
    report, error = outcomes.pop("bob_1.py")
    assert report is None and error is not None
    assert "grading process died" in error and "exit status 9" in error
    for report, error in outcomes.values():
        assert error is None and report is not None and report.score == 100


def test_no_job_is_lost_when_every_pool_process_died_while_idle(tmp_path: Path, grader: Grader) -> None:
    names = ["ann_1.py", "bob_1.py", "cid_1.py"]
    folder = make_folder(tmp_path / "class", dict.fromkeys(names, CORRECT))
    workers = pool._Pool(grader, 2)
    try:
        for member in workers._members:
            member.process.kill()
            member.process.join()
        outcomes = list(workers.run([(folder / name, name) for name in names]))
    finally:
        workers.stop()

    assert sorted(path for path, _, _ in outcomes) == names
    assert all(report is not None and report.score == 100 for _, report, _ in outcomes)


def test_a_file_that_cannot_be_read_fails_alone(tmp_path: Path, grader: Grader) -> None:
    folder = make_folder(tmp_path / "class", {"ann_1.py": CORRECT, "bob_1.py": CORRECT})
    submissions = find_submissions([folder], DEFAULT_PATTERN).submissions
    (folder / "ann_1.py").unlink()  # gone between finding and grading

    with open_gradebook(str(tmp_path / "grades.db")) as gradebook:
        result = grade_all(grader, submissions, gradebook, jobs=1)

    assert [(failed.submission.student, failed.error) for failed in result.failed] == [
        ("ann", "cannot read the file: No such file or directory")]
    assert [graded.submission.student for graded in result.graded] == ["bob"]
    assert [student for student, _, _, _ in gradings(tmp_path / "grades.db")] == ["bob"]


# --- kill -9 --------------------------------------------------------------------------------------------------


def _children(pid: int) -> list[int]:
    """The processes whose parent is ``pid``."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _descendants(pid: int) -> list[int]:
    children = _children(pid)
    return children + [grandchild for child in children for grandchild in _descendants(child)]


def _running(pid: int) -> bool:
    """Whether ``pid`` is a process that has not ended (a zombie has)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _committed(database: Path) -> int:
    """How many gradings ``database`` holds; 0 while it has no table yet."""
    if not database.exists():
        return 0
    try:
        with contextlib.closing(sqlite3.connect(database, timeout=5)) as connection:
            count: int = connection.execute("SELECT count(*) FROM gradings").fetchone()[0]
            return count
    except sqlite3.OperationalError:
        return 0


@pytest.fixture
def many_copies(tmp_path: Path) -> Path:
    """40 copies of the correct solution, each with a distinct comment, and so a distinct hash."""
    text = CORRECT.read_text(encoding="utf-8")
    copies = {f"s{number:03d}_1.py": f"{text}# copy {number}\n" for number in range(1, 41)}
    return make_folder(tmp_path / "class", copies)


def test_kill_9_leaves_a_consistent_gradebook_that_a_rerun_completes(tmp_path: Path, many_copies: Path) -> None:
    command = [sys.executable, "-m", "grader", "class", "-a", ASSIGNMENT, "-j", "2", "--db", "grades.db"]
    database = tmp_path / "grades.db"
    process = subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while _committed(database) < 5:
            assert process.poll() is None, "the batch ended before it could be killed"
            assert time.monotonic() < deadline, "no grading committed in time"
            time.sleep(0.02)
        helpers = _descendants(process.pid)  # the pool processes and their sandboxes' fork servers
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.kill()
        process.wait()
    assert helpers

    deadline = time.monotonic() + 10
    while any(_running(pid) for pid in helpers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [pid for pid in helpers if _running(pid)], "processes of the killed grader are left running"

    with open_gradebook(str(database)):
        pass
    with contextlib.closing(sqlite3.connect(database)) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        per_grading = connection.execute(
            "SELECT count(f.name) FROM gradings g LEFT JOIN function_results f ON f.grading_id = g.id GROUP BY g.id"
        ).fetchall()
    before = len(per_grading)
    assert 5 <= before < 40, "the kill came after the batch"
    assert per_grading == [(len(FUNCTIONS),)] * before

    done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=120)

    assert done.returncode == 0, done.stderr
    assert counts(done.stdout) == (40, 40 - before, before)
    recorded = gradings(database)
    assert len(recorded) == 40
    assert sorted(path for _, path, _, _ in recorded) == [f"class/s{number:03d}_1.py" for number in range(1, 41)]
    assert len({digest for _, _, digest, _ in recorded}) == 40
    assert all(score == 100 for _, _, _, score in recorded)


def test_ctrl_c_stops_the_batch_cleanly_and_keeps_what_was_graded(tmp_path: Path, many_copies: Path) -> None:
    command = [sys.executable, "-m", "grader", "class", "-a", ASSIGNMENT, "-j", "2", "--db", "grades.db",
               "-o", "reports"]
    database = tmp_path / "grades.db"
    scratch_before = set(Path(tempfile.gettempdir()).glob("grade-scratch-*"))
    process = subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while _committed(database) < 5:
        assert process.poll() is None, "the batch ended before it could be interrupted"
        assert time.monotonic() < deadline, "no grading committed in time"
        time.sleep(0.02)
    helpers = _descendants(process.pid)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=30)

    assert process.returncode == 130
    assert stderr.strip().splitlines()[-1] == "grade: interrupted; every submission graded so far is in the gradebook"
    assert "Traceback" not in stderr
    assert not [pid for pid in helpers if _running(pid)], "processes of the interrupted grader are left running"
    assert set(Path(tempfile.gettempdir()).glob("grade-scratch-*")) <= scratch_before, "scratch folders were left"
    recorded = gradings(database)
    assert 5 <= len(recorded) < 40
    reports = sorted(path.name for path in (tmp_path / "reports").glob("*.json"))
    assert reports == sorted(f"{Path(path).stem}.json" for _, path, _, _ in recorded)


# --- usage errors ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("files", "options", "message"),
    [
        ({}, (), "no submission to grade (folders are searched for .py and .ipynb files)"),
        ({"notes.txt": "", "__pycache__/alice_1.py": ""}, (), "no submission to grade"),
        ({"alice_1.py": CORRECT, "_x.py": CORRECT}, ("-o", "report.txt"), "cannot write the reports to report.txt"),
        ({"alice_1.py": CORRECT}, ("-o", "no/such/folder"), "give a folder (its parent must exist)"),
    ],
)
def test_usage_errors_of_a_batch_are_one_line_with_status_2(
    tmp_path: Path, files: dict[str, Path | str], options: tuple[str, ...], message: str,
) -> None:
    make_folder(tmp_path / "class", files).mkdir(exist_ok=True)
    (tmp_path / "report.txt").write_text("not a folder\n", encoding="utf-8")

    done = grade("class", "-a", ASSIGNMENT, "--db", "grades.db", *options, cwd=tmp_path)

    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("grade: error: ")
    assert message in done.stderr
    assert not (tmp_path / "grades.db").exists()
    assert (tmp_path / "report.txt").read_text(encoding="utf-8") == "not a folder\n"
