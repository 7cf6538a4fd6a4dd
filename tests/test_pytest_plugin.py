"""The pytest plugin as a user runs it: pytest in a real process on a submission, and the reports it writes."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path
from typing import Any

import pytest

from grader.grading import Grader
from grader.registry import load_assignment

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "rnn_step_by_step"
FAULTS = ROOT / "tests" / "submissions" / "rnn_step_by_step" / "faults"
ASSIGNMENT = "rnn_step_by_step"
EXIT_TESTS_FAILED = 1
EXIT_USAGE_ERROR = 4


def run_pytest(folder: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *arguments]
    return subprocess.run(command, capture_output=True, text=True, cwd=folder, timeout=120)


def grade_with_pytest(
    folder: Path, source: Path, *options: str
) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    """Copy ``source`` into ``folder`` as submission.py and grade it there with pytest: the process and its JSON
    report."""
    shutil.copy(source, folder / "submission.py")
    done = run_pytest(folder, "--grade-submission", "submission.py", "--grade-assignment", ASSIGNMENT,
                      "--json-report", "--json-report-file=report.json", *options)
    return done, json.loads((folder / "report.json").read_text(encoding="utf-8"))


def check_names() -> list[str]:
    """Every check of the assignment, as the plugin names its items."""
    return [f"{graded.name}[{fixture.name}]" for graded in load_assignment(ASSIGNMENT).functions
            for fixture in graded.fixtures]


def outcomes(report: dict[str, Any]) -> dict[str, str]:
    return {test["nodeid"]: test["outcome"] for test in report["tests"]}


def test_each_check_is_a_test_and_the_correct_submission_passes_them_all(tmp_path: Path) -> None:
    done, report = grade_with_pytest(tmp_path, EXAMPLES / "correct.py", "--junitxml=junit.xml")
    assert done.returncode == 0, done.stdout + done.stderr
    names = check_names()
    assert outcomes(report) == {f"submission.py::{name}": "passed" for name in names}
    assert [test["nodeid"] for test in report["tests"]] == [f"submission.py::{name}" for name in names]
    properties = [{key: value for entry in test["user_properties"] for key, value in entry.items()}
                  for test in report["tests"]]
    assignment = load_assignment(ASSIGNMENT)
    assert sum(entry["points"] for entry in properties) == pytest.approx(assignment.max_score)
    visibilities = [fixture.visibility.value for graded in assignment.functions for fixture in graded.fixtures]
    assert [entry["visibility"] for entry in properties] == visibilities
    cases = ElementTree.parse(tmp_path / "junit.xml").getroot().iter("testcase")
    assert [case.get("name") for case in cases if not list(case.iter("failure"))] == names
    assert "score 100 / 100" in done.stdout


def test_the_failing_checks_are_the_graders_with_its_feedback(tmp_path: Path) -> None:
    submission = EXAMPLES / "partly_wrong.py"
    graded = Grader(load_assignment(ASSIGNMENT)).grade(submission)
    done, report = grade_with_pytest(tmp_path, submission)
    assert done.returncode == EXIT_TESTS_FAILED, done.stdout + done.stderr
    expected = {f"submission.py::{test.name}[{check.name}]": ("passed" if check.passed else "failed")
                for test in graded.tests for check in test.checks}
    assert outcomes(report) == expected
    assert "failed" in expected.values() and "passed" in expected.values()
    failures = {test["nodeid"]: test["call"]["longrepr"] for test in report["tests"] if test["outcome"] == "failed"}
    for test in graded.tests:
        for check in test.checks:
            if not check.passed:
                failure = failures[f"submission.py::{test.name}[{check.name}]"]
                assert failure.startswith(check.message)
                assert all(line in failure for line in test.feedback.splitlines())
                assert "Traceback" not in failure and "pytest_plugin" not in failure
    assert f"score {graded.score:g} / {graded.max_score:g}" in done.stdout


def test_a_function_that_cannot_be_defined_fails_its_checks_and_k_selects_them(tmp_path: Path) -> None:
    done, report = grade_with_pytest(tmp_path, FAULTS / "lstm_cell_backward__syntax_error.py", "-k",
                                     "lstm_cell_backward")
    assert done.returncode == EXIT_TESTS_FAILED, done.stdout + done.stderr
    selected = [name for name in check_names() if name.startswith("lstm_cell_backward[")]
    assert outcomes(report) == {f"submission.py::{name}": "failed" for name in selected}
    assert report["summary"]["deselected"] == len(check_names()) - len(selected)
    for test in report["tests"]:
        assert test["call"]["longrepr"].startswith("lstm_cell_backward could not be defined: SyntaxError at line 373")


def test_the_time_limit_option_reaches_the_grader(tmp_path: Path) -> None:
    done, report = grade_with_pytest(tmp_path, FAULTS / "lstm_cell_forward__infinite_loop.py",
                                     "--grade-timeout", "0.3", "-k", "lstm_cell_forward and public")
    assert done.returncode == EXIT_TESTS_FAILED, done.stdout + done.stderr
    [test] = report["tests"]
    assert test["nodeid"] == "submission.py::lstm_cell_forward[public]"
    assert test["call"]["longrepr"].startswith("exceeded the 0.3 s time limit")


def test_collect_only_lists_the_checks_without_grading(tmp_path: Path) -> None:
    shutil.copy(EXAMPLES / "correct.py", tmp_path / "submission.py")
    done = run_pytest(tmp_path, "--grade-submission", "submission.py", "--grade-assignment", ASSIGNMENT,
                      "--collect-only", "-q", "-k", "rnn_forward")
    assert done.returncode == 0, done.stdout + done.stderr
    selected = [name for name in check_names() if name.startswith("rnn_forward[")]
    listed = [line for line in done.stdout.splitlines() if "::" in line]
    assert listed == [f"submission.py::{name}" for name in selected]
    assert "numpy-grader" not in done.stdout


def test_a_submission_named_like_a_test_module_is_not_imported_by_pytest(tmp_path: Path) -> None:
    source = (EXAMPLES / "correct.py").read_text(encoding="utf-8")
    (tmp_path / "test_alice.py").write_text(source + "\n\ndef test_extra():\n    pass\n", encoding="utf-8")
    done = run_pytest(tmp_path, "--grade-submission", "test_alice.py", "--grade-assignment", ASSIGNMENT,
                      "--collect-only", "-q")
    assert done.returncode == 0, done.stdout + done.stderr
    listed = [line for line in done.stdout.splitlines() if "::" in line]
    assert listed == [f"test_alice.py::{name}" for name in check_names()]


@pytest.mark.parametrize(("options", "message"), [
    (["--grade-submission", "submission.py"], "--grade-submission and --grade-assignment go together: "
                                              "missing --grade-assignment NAME"),
    (["--grade-assignment", ASSIGNMENT], "missing --grade-submission FILE"),
    (["--grade-submission", "submission.py", "--grade-assignment", "nope"], "unknown assignment 'nope'"),
    (["--grade-submission", "missing.py", "--grade-assignment", ASSIGNMENT], "missing.py is not a file"),
    (["--grade-submission", "submission.py", "--grade-assignment", ASSIGNMENT, "--grade-timeout", "0"],
     "--grade-timeout: give a number of seconds above 0"),
    (["--grade-submission", "submission.py", "--grade-assignment", ASSIGNMENT, "submission.py"],
     "submission.py is also a test path"),
])
def test_bad_options_are_a_one_line_usage_error(tmp_path: Path, options: list[str], message: str) -> None:
    shutil.copy(EXAMPLES / "correct.py", tmp_path / "submission.py")
    done = run_pytest(tmp_path, *options)
    assert done.returncode == EXIT_USAGE_ERROR
    [line] = [line for line in done.stderr.splitlines() if line.strip()]
    assert line.startswith("ERROR: ") and message in line


def test_a_grader_that_cannot_start_ends_the_session_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "conftest.py").write_text(
        "from grader.sandbox import levels\n\n\n"
        "def refuse(level):\n"
        "    raise levels.SandboxUnavailable(f'the {level} sandbox is not available here')\n\n\n"
        "levels.resolve = refuse\n", encoding="utf-8")
    shutil.copy(EXAMPLES / "correct.py", tmp_path / "submission.py")
    done = run_pytest(tmp_path, "--grade-submission", "submission.py", "--grade-assignment", ASSIGNMENT,
                      "--grade-sandbox", "basic")
    assert done.returncode == 3
    assert "numpy-grader: the basic sandbox is not available here" in done.stdout
    assert "Traceback" not in done.stdout + done.stderr


def test_auto_falls_back_to_the_basic_sandbox_with_a_warning(tmp_path: Path) -> None:
    (tmp_path / "conftest.py").write_text(
        "from grader.sandbox import levels\n\n"
        "levels.kernel_support = lambda: levels.KernelSupport(None, False, False, False)\n", encoding="utf-8")
    shutil.copy(EXAMPLES / "correct.py", tmp_path / "submission.py")
    done = run_pytest(tmp_path, "--grade-submission", "submission.py", "--grade-assignment", ASSIGNMENT,
                      "-k", "rnn_cell_forward and public")
    assert done.returncode == 0, done.stdout + done.stderr
    assert ("numpy-grader: the strict sandbox is not available here (Landlock is not enabled in this kernel); "
            "running submissions in the basic sandbox") in done.stdout
    assert "sandbox: basic" in done.stdout


def test_without_its_options_the_plugin_adds_nothing(tmp_path: Path) -> None:
    (tmp_path / "test_trivial.py").write_text("def test_trivial():\n    pass\n", encoding="utf-8")
    done = run_pytest(tmp_path, "--collect-only")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "numpy-grader" in done.stdout  # loaded, through its entry point
    assert "collected 1 item" in done.stdout
