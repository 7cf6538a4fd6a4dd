"""The ``grade-check`` command: a student checks a submission on the public checks of its assignment, on their own
computer, before submitting it.

It grades from the assignment's public checks file (``grader.public_checks``) through the same ``Grader`` as
``grade``, so it needs no solution and no suite, and shows what passed, what failed with the grader's own
feedback, and the points each function is worth, over how many checks, of which the hidden ones run only when the
work is submitted.

Exit status: 0 when every public check passes, 1 when some fails (so that it can serve as a pre-commit hook),
2 for a usage error (a missing file, no public checks found), 3 when the checks file is damaged or the sandbox
cannot start, 130 when interrupted; each error is one line on standard error.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import NoReturn

import click

from grader import console, public_checks, setup_problems
from grader.course import course_path
from grader.formats.loading import problem_lines
from grader.grading import Grader
from grader.public_checks import PublicChecksError
from grader.report import Report, Status, TestResult
from grader.sandbox import levels
from grader.sandbox.outcome import Isolation, SandboxLevel

PROGRAM = "grade-check"
EXIT_ALL_PASSED = 0
EXIT_SOME_FAILED = 1
EXIT_BROKEN_SETUP = setup_problems.EXIT_BROKEN_SETUP

_MARKS = ("✓", "✗")
_PLAIN_MARKS = ("+", "x")
"""The marks of a passed and a failed function where the output cannot show ``_MARKS``."""
REMINDER = ("Hidden checks decide your score: they run when you submit, on other inputs and shapes, so passing "
            "the public checks is a good sign, not a guarantee.")


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("submission", type=click.Path(path_type=Path))
@click.option("--checks", "checks_file", type=click.Path(path_type=Path),
              help=f"The public checks file of the assignment (default: the {public_checks.FILE_NAME} next to "
              "SUBMISSION, else that of -a).")
@click.option("-a", "--assignment", "assignment_name",
              help="The assignment, to take its public checks from the installed course.")
def check(submission: Path, checks_file: Path | None, assignment_name: str | None) -> None:
    """Run the public checks of an assignment on SUBMISSION (a .py file or a notebook) and show what passes.

    Only the public checks run here; the hidden ones run when you submit.
    """
    if not submission.is_file():
        raise click.UsageError(f"{submission} is not a file")
    path = find_checks(submission, checks_file, assignment_name)
    try:
        checks = public_checks.load(path)
    except PublicChecksError as error:
        _stop(f"cannot use the public checks: {error}", EXIT_BROKEN_SETUP)
    name = checks.prepared.assignment.name
    if assignment_name is not None and name != assignment_name:
        raise click.UsageError(f"{path} holds the public checks of {name!r}, not of {assignment_name!r}")
    with _setup_errors(name):
        grader = Grader(checks.prepared)
        try:
            report = grader.grade(submission)
        except OSError as error:
            raise click.UsageError(f"cannot read {submission}: {error.strerror or error}") from error
    color = sys.stdout.isatty() and "NO_COLOR" not in os.environ
    click.echo(render(report, checks.hidden_checks, color=color, marks=_marks_for(sys.stdout)), nl=False)
    passed = all(test.status is Status.PASSED for test in report.tests)
    sys.exit(EXIT_ALL_PASSED if passed else EXIT_SOME_FAILED)


def find_checks(submission: Path, checks_file: Path | None, assignment_name: str | None) -> Path:
    """The public checks file to use: ``checks_file``, else the one next to ``submission``, else the one of the
    assignment ``assignment_name`` in the installed course. Raises ``click.UsageError`` when there is none."""
    if checks_file is not None:
        if not checks_file.is_file():
            raise click.UsageError(f"the public checks file {checks_file} does not exist")
        return checks_file
    beside = submission.parent / public_checks.FILE_NAME
    if beside.is_file():
        return beside
    if assignment_name is None:
        raise click.UsageError(f"no {public_checks.FILE_NAME} next to {submission}: put the one that comes with the "
                               "assignment there, or give --checks FILE or -a ASSIGNMENT")
    installed = course_path("assignments") / assignment_name / public_checks.FILE_NAME
    if not installed.is_file():
        available = ", ".join(_installed_assignments()) or "none"
        raise click.UsageError(f"no public checks of assignment {assignment_name!r} in the installed course "
                               f"(available: {available})")
    return installed


def _installed_assignments() -> list[str]:
    """The assignments of the installed course that have a public checks file."""
    folder = course_path("assignments")
    found = folder.glob(f"*/{public_checks.FILE_NAME}") if folder.is_dir() else iter(())
    return sorted(path.parent.name for path in found)


def render(
    report: Report, hidden_checks: Mapping[str, int], *, color: bool = False, marks: tuple[str, str] = _MARKS
) -> str:
    """The self-check's output for ``report``, graded on the public checks: a header (assignment, file, sandbox),
    what did not load, then each function with its mark, points and checks (``hidden_checks`` of each function
    besides) and, where it says anything, the grader's feedback; a closing count and a reminder that the hidden
    checks decide the score. ``marks`` are those of a passed and a failed function."""

    def style(text: str, **styles: object) -> str:
        return click.style(text, **styles) if color else text  # type: ignore[arg-type]

    lines = [style(f"Checking {report.submission.path} on the public checks of {report.assignment}", bold=True),
             f"Sandbox: {report.sandbox.describe()}"]
    note = sandbox_note(report.sandbox)
    if note is not None:
        lines.append(style(note, fg="yellow"))
    problems = problem_lines(report)
    lines += ["", *problems] + ([""] if problems else [])
    width = max((len(test.name) for test in report.tests), default=0)
    for test in report.tests:
        passed = test.status is Status.PASSED
        mark = style(marks[0], fg="green") if passed else style(marks[1], fg="red")
        lines.append(f"{mark} {test.name:<{width}}  {_verdict(test)}")
        lines.append(f"    {_stakes(test, hidden_checks[test.name])}")
        lines.extend(f"    {line}" for line in test.feedback.splitlines())
    passing = sum(test.status is Status.PASSED for test in report.tests)
    total = len(report.tests)
    closing = f"{passing} of {total} functions pass their public checks."
    lines += ["", style(closing, bold=True, fg="green" if passing == total else "red"), REMINDER]
    return "\n".join(lines) + "\n"


def sandbox_note(isolation: Isolation) -> str | None:
    """One friendly line when the strict sandbox is not in force here, saying why; None when it is."""
    if isolation.level is SandboxLevel.STRICT:
        return None
    missing = levels.kernel_support().strict_missing if levels.on_linux() else "it needs Linux"
    why = f" ({missing})" if missing else ""
    return (f"Note: the strict sandbox is not available on this computer{why}, so your code runs in the "
            f"{isolation.level.value} sandbox. That is fine for checking your own work.")


def _verdict(test: TestResult) -> str:
    """Whether the function passes its public checks, in words."""
    count = len(test.checks)
    passed = sum(check.passed for check in test.checks)
    if count == 0:
        return "has no public check"
    if count == 1:
        return "passes its public check" if passed else "fails its public check"
    if passed == count:
        return f"passes its {count} public checks"
    return f"fails {count - passed} of its {count} public checks"


def _stakes(test: TestResult, hidden: int) -> str:
    """The function's points and checks, e.g. ``10 points, graded on 5 checks: 1 public (run here) and 4 hidden
    (run when you submit)``."""
    public = len(test.checks)
    parts = ([f"{public} public (run here)"] if public else []) + (
        [f"{hidden} hidden (run when you submit)"] if hidden else [])
    return (f"{_count(test.max_score, 'point')}, graded on {_count(public + hidden, 'check')}: "
            + " and ".join(parts))


def _count(number: float, noun: str) -> str:
    return f"{number:g} {noun}" + ("" if number == 1 else "s")


def _marks_for(stream: object) -> tuple[str, str]:
    """``_MARKS`` where ``stream`` can encode them, else ``_PLAIN_MARKS`` (a console with a legacy code page)."""
    encoding = getattr(stream, "encoding", None) or "ascii"
    try:
        "".join(_MARKS).encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return _PLAIN_MARKS
    return _MARKS


def _stop(message: str, status: int) -> NoReturn:
    click.echo(f"{PROGRAM}: {message}", err=True)
    sys.exit(status)


@contextlib.contextmanager
def _setup_errors(assignment_name: str) -> Iterator[None]:
    """Exit with status 3 and one line when the sandbox cannot start."""
    try:
        yield
    except setup_problems.SETUP_ERRORS as error:
        _stop(setup_problems.describe(error, assignment_name), EXIT_BROKEN_SETUP)


def main() -> None:
    """Console entry point ``grade-check`` (see ``console.run``)."""
    if isinstance(sys.stdout, io.TextIOWrapper):
        sys.stdout.reconfigure(errors="replace")  # a character the console cannot show must not stop the output
    console.run(check, PROGRAM)
