"""Tests of ``grade-check``: a student's self-check on the public checks file, without solutions or suites."""

from __future__ import annotations

import functools
import importlib.metadata
import io
import os
import pty
import re
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

from grader import public_checks
from grader.grading import Grader
from grader.registry import load_assignment
from grader.report import Report, Status
from grader.sandbox import levels
from grader.sandbox.outcome import Limits, SandboxLevel
from grader.selfcheck import REMINDER, check, render, sandbox_note

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "rnn_step_by_step"
SUBMISSIONS = Path(__file__).resolve().parent / "submissions"
LIMITS = Limits(call_timeout_s=1.0)
"""Short enough that the examples' endless loops cost little, the same for both graders compared."""
ANSI = re.compile(r"\x1b\[[0-9;]*m")

BOOTSTRAP = """\
import os, sys
solutions, *arguments = sys.argv[1:]
sys.modules["grader.suites"] = None
sys.modules["grader.registry"] = None

def refuse(event, args):
    if event == "open" and isinstance(args[0], (str, bytes, os.PathLike)):
        if os.path.abspath(os.fsdecode(args[0])).startswith(solutions):
            raise PermissionError("the solutions are out of reach")

sys.addaudithook(refuse)
try:
    import grader.suites
except ImportError:
    pass
else:
    sys.exit(98)
try:
    open(os.path.join(solutions, "rnn_step_by_step.py")).close()
except PermissionError:
    pass
else:
    sys.exit(99)
from grader.selfcheck import main
sys.argv = ["grade-check", *arguments]
main()
"""
"""Runs ``grade-check`` where neither the suites nor any file of the solutions can be reached (it checks first
that this holds)."""


def student_folder(folder: Path, submission: Path, assignment: str, with_checks: bool = True) -> Path:
    """A student's folder: ``submission`` under the stub's name, and the public checks file unless told not to;
    returns the submission's path there."""
    declared = load_assignment(assignment)
    folder.mkdir(exist_ok=True)
    target = folder / declared.stub.name
    shutil.copyfile(submission, target)
    if with_checks:
        shutil.copyfile(public_checks.path_for(declared), folder / public_checks.FILE_NAME)
    return target


def run_isolated(submission: Path, *options: str, tty: bool = False,
                 environment: dict[str, str] | None = None) -> tuple[int, str, str]:
    """``grade-check SUBMISSION OPTIONS`` in a process that cannot reach the suites or the solutions, from the
    submission's folder: its exit status, standard output and standard error."""
    command = [sys.executable, "-c", BOOTSTRAP, str(ROOT / "solutions"), submission.name, *options]
    env = {key: value for key, value in os.environ.items() if key != "NO_COLOR"} | (environment or {})
    if not tty:
        done = subprocess.run(command, capture_output=True, text=True, cwd=submission.parent, env=env, timeout=120)
        return done.returncode, done.stdout, done.stderr
    primary, secondary = pty.openpty()
    with subprocess.Popen(command, stdout=secondary, stderr=subprocess.PIPE, cwd=submission.parent, env=env) as process:
        os.close(secondary)
        output = b""
        while chunk := _read(primary):
            output += chunk
        stderr = process.stderr.read().decode() if process.stderr else ""
        process.wait(timeout=120)
    os.close(primary)
    return process.returncode, output.decode().replace("\r\n", "\n"), stderr


def _read(descriptor: int) -> bytes:
    try:
        return os.read(descriptor, 65536)
    except OSError:  # the terminal's other side closed
        return b""


# --- the same verdicts as the full grader ---------------------------------------------------------------------


@functools.cache
def graders(assignment: str) -> tuple[Grader, Grader]:
    """The full grader of the assignment (from its solution) and the one of its public checks file."""
    declared = load_assignment(assignment)
    public = public_checks.load(public_checks.path_for(declared)).prepared
    return Grader(declared, LIMITS), Grader(public, LIMITS)


CASES = [
    ("rnn_step_by_step", EXAMPLES / "correct.py"),
    ("rnn_step_by_step", EXAMPLES / "partly_wrong.py"),
    ("rnn_step_by_step", EXAMPLES / "broken.py"),
    ("rnn_step_by_step", ROOT / "assignments" / "rnn_step_by_step" / "rnn_step_by_step.py"),
    ("char_rnn", SUBMISSIONS / "char_rnn" / "correct_variant.py"),
    ("char_rnn", SUBMISSIONS / "char_rnn" / "mutants" / "clip__biases_not_clipped.py"),
    ("char_rnn", SUBMISSIONS / "char_rnn" / "mutants" / "sample__not_reseeded.py"),
    ("char_rnn", ROOT / "assignments" / "char_rnn" / "char_rnn.py"),
    ("adam", SUBMISSIONS / "adam" / "mutants" / "update_parameters_with_adam__epsilon_inside_sqrt.py"),
]


def public_results(report: Report) -> dict[str, list[tuple[str, bool, str, str]]]:
    """Each function's public checks: name, whether passed, message and description."""
    return {test.name: [(check.name, check.passed, check.message, check.description)
                        for check in test.checks if check.visibility == "public"] for test in report.tests}


@pytest.mark.parametrize(("assignment", "submission"), CASES, ids=[f"{a}-{path.stem}" for a, path in CASES])
def test_grading_from_the_public_checks_gives_each_public_check_the_full_graders_verdict(
    assignment: str, submission: Path
) -> None:
    full, public = graders(assignment)
    expected = full.grade(submission)
    got = public.grade(submission)
    assert public_results(got) == public_results(expected)
    assert got.load_problems == expected.load_problems
    assert all(check.visibility == "public" for test in got.tests for check in test.checks)
    assert any(not check.passed for test in expected.tests for check in test.checks) == (
        "correct" not in submission.stem)


# --- the command, as a student runs it -------------------------------------------------------------------------


def test_the_self_check_needs_neither_suites_nor_solutions_and_shows_no_hidden_check(tmp_path: Path) -> None:
    submission = student_folder(tmp_path / "work", EXAMPLES / "partly_wrong.py", "rnn_step_by_step")
    status, output, errors = run_isolated(submission)
    assert (status, errors) == (1, "")
    lines = output.splitlines()
    assert lines[0] == "Checking rnn_step_by_step.py on the public checks of rnn_step_by_step"
    assert lines[1].startswith("Sandbox: ")
    assert "✓ rnn_cell_forward    passes its public check" in lines
    assert "✗ rnn_cell_backward   fails its public check" in lines
    assert output.count("10 points, graded on 5 checks: 1 public (run here) and 4 hidden (run when you submit)") == 4
    assert output.count("15 points, graded on 5 checks: 1 public (run here) and 4 hidden (run when you submit)") == 4
    assert 'gradients["dba"] has the wrong shape: expected ndarray of shape (5, 1)' in output
    assert "rnn_backward calls your rnn_cell_backward, which fails its own checks" in output
    assert lines[-2:] == ["3 of 8 functions pass their public checks.", REMINDER]
    assert not ANSI.search(output)
    assert "hidden-" not in output and "Traceback" not in output and "{" not in output


def test_every_public_check_passing_exits_0(tmp_path: Path) -> None:
    submission = student_folder(tmp_path, SUBMISSIONS / "char_rnn" / "correct_variant.py", "char_rnn")
    result = CliRunner().invoke(check, [str(submission)])
    assert result.exit_code == 0, result.output
    assert "10 of 10 functions pass their public checks." in result.output
    assert "✗" not in result.output


def test_colours_on_a_terminal_unless_no_color(tmp_path: Path) -> None:
    submission = student_folder(tmp_path, ROOT / "assignments" / "adam" / "adam.py", "adam")
    status, output, _ = run_isolated(submission, tty=True)
    assert status == 1
    assert "\x1b[31m✗\x1b[0m initialize_adam" in output
    assert "is not implemented yet" in output
    status, output, _ = run_isolated(submission, tty=True, environment={"NO_COLOR": "1"})
    assert status == 1 and "✗ initialize_adam" in output and not ANSI.search(output)


def test_a_missing_checks_file_is_one_clear_line(tmp_path: Path) -> None:
    submission = student_folder(tmp_path, EXAMPLES / "correct.py", "rnn_step_by_step", with_checks=False)
    assert run_isolated(submission) == (
        2, "", f"grade-check: error: no public_checks.json next to {submission.name}: put the one that comes with "
        "the assignment there, or give --checks FILE or -a ASSIGNMENT\n")


def test_the_assignment_option_takes_the_checks_of_the_installed_course(tmp_path: Path) -> None:
    submission = student_folder(tmp_path, EXAMPLES / "correct.py", "rnn_step_by_step", with_checks=False)
    result = CliRunner().invoke(check, [str(submission), "-a", "rnn_step_by_step"])
    assert result.exit_code == 0, result.output
    assert "8 of 8 functions pass their public checks." in result.output


def test_an_explicit_checks_file_wins(tmp_path: Path) -> None:
    submission = student_folder(tmp_path, EXAMPLES / "correct.py", "rnn_step_by_step", with_checks=False)
    checks = public_checks.path_for(load_assignment("rnn_step_by_step"))
    result = CliRunner().invoke(check, [str(submission), "--checks", str(checks)])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(("options", "message"), [
    (["--checks", "nowhere.json"], "the public checks file nowhere.json does not exist"),
    (["-a", "no_such_assignment"], "no public checks of assignment 'no_such_assignment' in the installed course "
                                   "(available: adam, char_rnn, rnn_step_by_step)"),
    (["-a", "adam"], "holds the public checks of 'rnn_step_by_step', not of 'adam'"),
])
def test_usage_errors_exit_2(options: list[str], message: str, tmp_path: Path) -> None:
    submission = student_folder(tmp_path, EXAMPLES / "correct.py", "rnn_step_by_step",
                                with_checks=options[0] == "-a" and options[1] == "adam")
    result = CliRunner().invoke(check, [str(submission), *options])
    assert result.exit_code == 2
    assert message in result.output


def test_a_missing_submission_exits_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(check, [str(tmp_path / "nothing.py")])
    assert result.exit_code == 2 and "is not a file" in result.output


def test_a_damaged_checks_file_is_a_setup_problem(tmp_path: Path) -> None:
    submission = student_folder(tmp_path, EXAMPLES / "correct.py", "rnn_step_by_step")
    (tmp_path / public_checks.FILE_NAME).write_text('{"format": "numpy-grader public checks", "format_version": 9}')
    result = CliRunner().invoke(check, [str(submission)])
    assert result.exit_code == 3
    assert result.stderr.startswith("grade-check: cannot use the public checks: ")
    assert "written in format 9" in result.stderr and result.stderr.count("\n") == 1


def test_grade_check_is_a_console_script() -> None:
    scripts = importlib.metadata.entry_points(group="console_scripts", name="grade-check")
    assert [script.value for script in scripts] == ["grader.selfcheck:main"]


# --- the output's pieces ---------------------------------------------------------------------------------------


def test_colour_and_marks_are_asked_for() -> None:
    _, public = graders("adam")
    submission = ROOT / "assignments" / "adam" / "adam.py"
    report = public.grade(submission)
    hidden = {"initialize_adam": 4, "update_parameters_with_adam": 4}
    coloured = render(report, hidden, color=True)
    assert ANSI.search(coloured) and ANSI.sub("", coloured) == render(report, hidden)
    assert "x initialize_adam" in render(report, hidden, marks=("+", "x"))


def test_a_function_without_public_check_says_so() -> None:
    _, public = graders("adam")
    report = public.grade(ROOT / "assignments" / "adam" / "adam.py")
    unchecked = replace(report.tests[0], checks=(), status=Status.PASSED, feedback="")
    lines = render(replace(report, tests=(unchecked, *report.tests[1:])),
                   {"initialize_adam": 4, "update_parameters_with_adam": 4}).splitlines()
    assert lines[lines.index("✓ initialize_adam              has no public check") + 1] == (
        "    10 points, graded on 4 checks: 4 hidden (run when you submit)")
    assert "1 of 2 functions pass their public checks." in lines


def test_marks_fall_back_where_the_output_cannot_show_them() -> None:
    from grader.selfcheck import _marks_for

    assert _marks_for(io.TextIOWrapper(io.BytesIO(), encoding="cp1252")) == ("+", "x")
    assert _marks_for(io.TextIOWrapper(io.BytesIO(), encoding="utf-8")) == ("✓", "✗")


def test_the_sandbox_note_says_in_one_line_why_strict_is_not_in_force(monkeypatch: pytest.MonkeyPatch) -> None:
    basic = levels.isolation(SandboxLevel.BASIC)
    assert sandbox_note(replace(basic, level=SandboxLevel.STRICT)) is None
    monkeypatch.setattr(sys, "platform", "darwin")
    note = sandbox_note(basic)
    assert note == ("Note: the strict sandbox is not available on this computer (it needs Linux), so your code runs "
                    "in the basic sandbox. That is fine for checking your own work.")
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setattr(levels, "kernel_support", lambda: levels.KernelSupport(None, True, True, True))
    assert "(Landlock is not enabled in this kernel)" in (sandbox_note(basic) or "")
