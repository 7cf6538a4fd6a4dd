"""The ``grade`` command as a user runs it: a real process, its output, files and exit status."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from grader.report import SCHEMA_PATH, SCHEMA_VERSION

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "rnn_step_by_step"
SOLUTION = ROOT / "solutions" / "rnn_step_by_step.py"
STUB = ROOT / "assignments" / "rnn_step_by_step" / "rnn_step_by_step.py"
SCHEMA = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def grade(*arguments: str | Path, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "grader", *map(str, arguments)]
    return subprocess.run(command, capture_output=True, text=True, cwd=cwd, timeout=120)


def grade_json(submission: Path, *options: str) -> dict:
    done = grade(submission, "-a", "rnn_step_by_step", "--format", "json", *options)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    jsonschema.validate(report, SCHEMA)
    return report


def test_the_solution_scores_full_marks_in_a_valid_json_report() -> None:
    report = grade_json(SOLUTION)
    assert report["score"] == report["max_score"] == 100
    assert report["assignment"] == "rnn_step_by_step"
    assert len(report["tests"]) == 8
    assert all(test["status"] == "passed" and test["feedback"] == "" for test in report["tests"])
    checks = [check for test in report["tests"] for check in test["checks"]]
    assert {check["visibility"] for check in checks} == {"public", "hidden"}


def test_the_stub_scores_zero_and_says_not_implemented() -> None:
    report = grade_json(STUB)
    assert report["score"] == 0
    for test in report["tests"]:
        assert test["status"] == "error"
        assert "not implemented yet" in test["feedback"]


def test_the_report_identifies_the_submission() -> None:
    import hashlib

    report = grade_json(EXAMPLES / "partly_wrong.py")
    assert report["submission"]["sha256"] == hashlib.sha256((EXAMPLES / "partly_wrong.py").read_bytes()).hexdigest()
    assert report["schema_version"] == SCHEMA_VERSION
    assert 0 < report["score"] < report["max_score"]
    assert report["score"] == sum(test["score"] for test in report["tests"])


def test_the_schema_rejects_a_report_missing_a_field() -> None:
    report = grade_json(EXAMPLES / "correct.py")
    del report["tests"][0]["status"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(report, SCHEMA)


def test_hidden_checks_never_show_expected_values() -> None:
    report = grade_json(EXAMPLES / "partly_wrong.py")
    hidden = [check for test in report["tests"] for check in test["checks"] if check["visibility"] == "hidden"]
    failed = [check for check in hidden if not check["passed"]]
    assert failed
    for check in failed:
        assert "expected" not in check["message"].split("Hint:")[0].replace("expected ndarray", "")
        assert "| obtained" not in check["message"]


def test_text_report_shows_points_and_feedback() -> None:
    done = grade(EXAMPLES / "partly_wrong.py", "-a", "rnn_step_by_step")
    assert done.returncode == 0
    assert "rnn_cell_backward" in done.stdout
    assert "keepdims=True" in done.stdout
    assert "Score: " in done.stdout
    assert "\x1b[" not in done.stdout  # no colour codes when not writing to a terminal


def test_output_file_is_written_and_stdout_stays_empty(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    done = grade(EXAMPLES / "correct.py", "-a", "rnn_step_by_step", "--format", "json", "-o", target)
    assert done.returncode == 0
    assert done.stdout == ""
    assert json.loads(target.read_text())["score"] == 100
    assert [path.name for path in tmp_path.iterdir()] == ["report.json"]


@pytest.mark.parametrize(("threshold", "status"), [("60", 1), ("30", 0)])
def test_fail_under_sets_the_exit_status(threshold: str, status: int) -> None:
    done = grade(EXAMPLES / "partly_wrong.py", "-a", "rnn_step_by_step", "--fail-under", threshold)
    assert done.returncode == status
    assert "Score: 33 / 100" in done.stdout


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (("missing.py", "-a", "rnn_step_by_step"), "submission missing.py does not exist"),
        ((SOLUTION, "-a", "rnn_step_by_step", "-o", "tests"), "tests: it is a folder (give a file)"),
        ((SOLUTION, "-a", "rnn_step_by_step", "--id-pattern", "("), "is not a valid regular expression"),
        ((SOLUTION, "-a", "rnn_step_by_step", "--id-pattern", "x"), "has no (?P<student>...) group"),
        ((SOLUTION, "-a", "rnn_step_by_step", "--roster", "no_roster.csv"), "no_roster.csv"),
        ((SOLUTION, "-a", "rnn_step_by_step", "--db", "postgresql://db/grades"), "only SQLite"),
        ((SOLUTION, "-a", "rnn_step_by_step", "--db", "/no/such/folder/g.db"), "folder /no/such/folder does"),
        ((SOLUTION, EXAMPLES, "-a", "rnn_step_by_step", "--fail-under", "5"), "--fail-under applies to one"),
        ((SOLUTION, "missing.py", "-a", "rnn_step_by_step"), "submission missing.py does not exist"),
        ((SOLUTION, EXAMPLES, "-a", "rnn_step_by_step", "-o", "README.md"), "give a folder"),
        ((SOLUTION, EXAMPLES, "-a", "rnn_step_by_step", "-j", "0"), "--jobs"),
        ((SOLUTION, "-a", "no_such_assignment"), "unknown assignment 'no_such_assignment'; available: "),
        ((SOLUTION,), "missing option -a/--assignment"),
        ((SOLUTION, "-a", "rnn_step_by_step", "--format", "xml"), "'xml' is not one of"),
        ((SOLUTION, EXAMPLES, "-a", "rnn_step_by_step", "--format", "junit"),
         "--format junit describes one submission; a batch is reported as text, json, csv"),
        ((EXAMPLES, "-a", "rnn_step_by_step", "--format", "gradescope"), "--format gradescope describes one"),
        (("--list", "--format", "csv"), "--list is shown as text or json, not csv"),
        ((SOLUTION, "-a", "rnn_step_by_step", "--timeout", "0"), "--timeout"),
        ((SOLUTION, "-a", "rnn_step_by_step", "-o", "/no/such/folder/r.json"), "folder /no/such/folder does not"),
        ((SOLUTION, "-a", "rnn_step_by_step", "--bogus"), "No such option '--bogus'"),
    ],
)
def test_usage_errors_are_one_line_with_status_2(arguments: tuple[str | Path, ...], message: str) -> None:
    done = grade(*arguments)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("grade: error: ")
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def test_help_and_version_exit_zero() -> None:
    help_text = grade("--help").stdout
    assert "--fail-under" in help_text
    assert "--format [text|json|gradescope|junit|github|csv]" in help_text
    version = grade("--version")
    assert version.returncode == 0 and "grade, version" in version.stdout


def test_runs_from_any_directory(tmp_path: Path) -> None:
    done = grade(SOLUTION, "-a", "rnn_step_by_step", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Score: 100 / 100" in done.stdout
