"""The ``grade`` command: parsing, exit codes and output, over the Python API in ``grader.grading``.

Exit status: 0 when grading completed (whatever the score), 1 when ``--fail-under`` is not met, 2 for a usage
error (one line on stderr), 3 when the assignment itself is broken or the sandbox cannot start (the strict
sandbox required where the kernel cannot provide it included).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from grader import __version__
from grader.atomic import write_text_atomically
from grader.formats import RENDERERS
from grader.grading import Grader
from grader.reference import AssignmentError
from grader.registry import UnknownAssignment, load_assignment
from grader.sandbox import levels
from grader.sandbox.outcome import Limits, SandboxLevel
from grader.sandbox.worker import WorkerStartError

_DEFAULT_LIMITS = Limits()
EXIT_BELOW_THRESHOLD = 1
EXIT_USAGE = 2
EXIT_BROKEN_SETUP = 3


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("submission", type=click.Path(path_type=Path))
@click.option("-a", "--assignment", "assignment_name", required=True, help="The assignment to grade against.")
@click.option(
    "--format", "output_format", type=click.Choice(sorted(RENDERERS)), default="text", show_default=True,
    help="text for a person, json for machines (see the README for its schema).",
)
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False),
              help="Write the report to this file (atomically) instead of standard output.")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=_DEFAULT_LIMITS.call_timeout_s,
              show_default=True, help="Seconds one call of a student function may take.")
@click.option("--memory-mb", type=click.IntRange(min=64), default=_DEFAULT_LIMITS.memory_bytes // 2**20,
              show_default=True, help="Memory limit of the process running the submission, in MiB.")
@click.option("--fail-under", type=float, help="Exit with status 1 when the score is below this many points.")
@click.option(
    "--sandbox", type=click.Choice(["auto", *(level.value for level in SandboxLevel)]), default="auto",
    show_default=True,
    help="strict: Landlock, seccomp and namespaces (exit status 3 where the kernel lacks them); basic: a "
    "separate process with limits; auto: strict where available, else basic with a warning.",
)
@click.version_option(__version__, prog_name="grade")
def grade(
    submission: Path,
    assignment_name: str,
    output_format: str,
    output: Path | None,
    timeout: float,
    memory_mb: int,
    fail_under: float | None,
    sandbox: str,
) -> None:
    """Grade the student file SUBMISSION against an assignment and print a score report."""
    if not submission.is_file():
        problem = "is a directory, not a file" if submission.is_dir() else "does not exist"
        raise click.UsageError(f"submission {submission} {problem}")
    if output is not None and not output.parent.is_dir():
        raise click.UsageError(f"cannot write the report to {output}: folder {output.parent} does not exist")
    try:
        assignment = load_assignment(assignment_name)
    except UnknownAssignment as error:
        raise click.UsageError(str(error)) from error
    limits = Limits(call_timeout_s=timeout, memory_bytes=memory_mb * 2**20)
    try:
        grader = Grader(assignment, limits, sandbox)
        if sandbox == "auto" and grader.isolation.level is SandboxLevel.BASIC:
            missing = levels.kernel_support().strict_missing
            click.echo(f"grade: warning: the strict sandbox is not available here ({missing}); "
                       "running submissions in the basic sandbox", err=True)
        report = grader.grade(submission)
    except levels.SandboxUnavailable as error:
        click.echo(f"grade: {error}", err=True)
        sys.exit(EXIT_BROKEN_SETUP)
    except AssignmentError as error:
        click.echo(f"grade: the assignment {assignment_name!r} is broken: {error}", err=True)
        sys.exit(EXIT_BROKEN_SETUP)
    except WorkerStartError as error:
        click.echo(f"grade: cannot start the sandbox: {error}", err=True)
        sys.exit(EXIT_BROKEN_SETUP)
    except OSError as error:
        raise click.UsageError(f"cannot read {submission}: {error.strerror or error}") from error
    render = RENDERERS[output_format]
    if output is None:
        click.echo(render(report, sys.stdout.isatty() and "NO_COLOR" not in os.environ), nl=False)
    else:
        write_text_atomically(output, render(report, False))
        click.echo(f"Wrote {output} (score {report.score:g} / {report.max_score:g})", err=True)
    if fail_under is not None and report.score < fail_under:
        sys.exit(EXIT_BELOW_THRESHOLD)


def main() -> None:
    """Console entry point: usage errors are one line on stderr, never a traceback."""
    try:
        grade.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("grade: interrupted", err=True)
        sys.exit(130)
    except click.ClickException as error:
        click.echo(f"grade: error: {error.format_message()}", err=True)
        sys.exit(EXIT_USAGE if isinstance(error, click.UsageError) else error.exit_code)
    except click.exceptions.Exit as done:
        sys.exit(done.exit_code)
