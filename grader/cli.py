"""The ``grade`` command: parsing, exit codes and output, over the Python API in ``grader.grading``.

Exit status: 0 when grading completed (whatever the score), 1 when ``--fail-under`` is not met, 2 for a usage
error (one line on stderr), 3 when the assignment itself is broken, the sandbox cannot start (the strict
sandbox required where the kernel cannot provide it included) or the grader failed on some submission of a
batch, 130 when interrupted.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import click

from grader import __version__, console, setup_problems
from grader.assignment import Assignment
from grader.atomic import write_text_atomically
from grader.batch import default_jobs, find_submissions, grade_all
from grader.catalog import catalog, render_catalog_json, render_catalog_text
from grader.class_csv import write_class_csv
from grader.formats import BATCH_FORMATS, CSV, FORMATS, RENDERERS
from grader.formats.csv_format import SubmissionRow, render_csv
from grader.formats.github import STEP_SUMMARY, append_step_summary
from grader.gradebook import Gradebook, GradebookError, Policy, open_gradebook
from grader.grading import Grader
from grader.registry import UnknownAssignment, load_assignment
from grader.report import Report
from grader.sandbox.outcome import Limits, SandboxLevel
from grader.students import DEFAULT_ID_PATTERN, Roster, compile_id_pattern, load_roster
from grader.summary import render_batch

_DEFAULT_LIMITS = Limits()
EXIT_BELOW_THRESHOLD = 1
EXIT_USAGE = console.EXIT_USAGE
EXIT_BROKEN_SETUP = setup_problems.EXIT_BROKEN_SETUP
EXIT_INTERRUPTED = console.EXIT_INTERRUPTED
DEFAULT_GRADEBOOK = "gradebook.db"
CLASS_CSV = "class.csv"


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("submissions", nargs=-1, type=click.Path(path_type=Path))
@click.option("-a", "--assignment", "assignment_name", help="The assignment to grade against (required).")
@click.option("--list", "list_assignments", is_flag=True,
              help="List the assignments, their graded functions, points and checks (in --format), and exit.")
@click.option(
    "--format", "output_format", type=click.Choice(FORMATS), default="text", show_default=True,
    help="text for a person; json for machines (see the README for its schema); gradescope: Gradescope's "
    "results.json; junit: JUnit XML for CI test reports; github: GitHub Actions annotations, and a job summary "
    f"appended to ${STEP_SUMMARY} when set; csv: a row with the points of each function. A batch prints its "
    "class summary as text or json, or csv: a row per submission (gradescope, junit and github describe one "
    "submission).",
)
@click.option("-o", "--output", type=click.Path(path_type=Path),
              help="One submission: write its report to this file (atomically) instead of standard output. "
              "A batch: write each report, and the class CSV (class.csv), to this folder.")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=_DEFAULT_LIMITS.call_timeout_s,
              show_default=True, help="Seconds one call of a student function may take.")
@click.option("--memory-mb", type=click.IntRange(min=64), default=_DEFAULT_LIMITS.memory_bytes // 2**20,
              show_default=True, help="Memory limit of the process running the submission, in MiB.")
@click.option("--fail-under", type=float,
              help="One submission: exit with status 1 when the score is below this many points.")
@click.option(
    "--sandbox", type=click.Choice(["auto", *(level.value for level in SandboxLevel)]), default="auto",
    show_default=True,
    help="strict: Landlock, seccomp and namespaces (exit status 3 where the kernel lacks them); basic: a "
    "separate process with limits (strict and basic need Linux); portable: a separate Python process with time "
    "limits, on any platform (macOS, Windows), without file, network or process confinement; auto: strict where "
    "available, else basic with a warning, and portable off Linux.",
)
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=default_jobs(), show_default="twice the cores",
              help="Submissions graded at once.")
@click.option("--db", "database",
              help=f"The gradebook: a file or sqlite:/// URL. A batch records in {DEFAULT_GRADEBOOK} by default; "
              "one submission only when this is given.")
@click.option("--force", is_flag=True, help="Grade again what the gradebook already holds for the same content.")
@click.option("--policy", type=click.Choice(["best", "latest"]), default="best", show_default=True,
              help="Which attempt of a student the class CSV counts.")
@click.option("--id-pattern", default=DEFAULT_ID_PATTERN, show_default=True,
              help="Regular expression finding the student id, group (?P<student>...), in a file's path inside "
              "the folder given (or its name).")
@click.option("--roster", type=click.Path(path_type=Path, dir_okay=False),
              help="CSV with a student column (and optionally key, what --id-pattern finds): only its students "
              "are graded, under their roster ids; the class CSV lists them all.")
@click.version_option(__version__, prog_name="grade")
def grade(
    submissions: tuple[Path, ...],
    assignment_name: str | None,
    list_assignments: bool,
    output_format: str,
    output: Path | None,
    timeout: float,
    memory_mb: int,
    fail_under: float | None,
    sandbox: str,
    jobs: int,
    database: str | None,
    force: bool,
    policy: Policy,
    id_pattern: str,
    roster: Path | None,
) -> None:
    """Grade student files against an assignment and report their scores.

    One file: print its report. Several files or folders (searched for .py and .ipynb files): grade them all on every
    core, record each result in the gradebook (only what changed since the last run is graded again), and
    print a class summary.
    """
    if list_assignments:
        if output_format not in ("text", "json"):
            raise click.UsageError(f"--list is shown as text or json, not {output_format}")
        entries = catalog()
        click.echo(render_catalog_json(entries) if output_format == "json" else render_catalog_text(entries), nl=False)
        return
    if not submissions:
        raise click.UsageError("missing the SUBMISSIONS to grade (files or folders), or --list")
    if assignment_name is None:
        raise click.UsageError("missing option -a/--assignment (grade --list shows the assignments)")
    batch = len(submissions) > 1 or any(path.is_dir() for path in submissions)
    try:
        pattern = compile_id_pattern(id_pattern)
        class_list = None if roster is None else load_roster(roster)
    except ValueError as error:
        raise click.UsageError(str(error)) from error
    assignment = _assignment(assignment_name)
    limits = Limits(call_timeout_s=timeout, memory_bytes=memory_mb * 2**20)
    if batch:
        if fail_under is not None:
            raise click.UsageError("--fail-under applies to one submission, not to a batch")
        if output_format not in BATCH_FORMATS:
            raise click.UsageError(f"--format {output_format} describes one submission; a batch is reported as "
                                   f"{', '.join(BATCH_FORMATS)}")
        options = _BatchOptions(output, database or DEFAULT_GRADEBOOK, jobs, force, policy, output_format)
        _grade_batch(assignment, limits, sandbox, submissions, pattern, class_list, options)
        return
    submission = submissions[0]
    if not submission.is_file():
        raise click.UsageError(f"submission {submission} does not exist")
    if output is not None and not output.parent.is_dir():
        raise click.UsageError(f"cannot write the report to {output}: folder {output.parent} does not exist")
    if output is not None and output.is_dir():
        raise click.UsageError(f"cannot write the report to {output}: it is a folder (give a file)")
    found = find_submissions([submission], pattern, class_list)
    student = found.submissions[0].student if found.submissions else None
    if database is not None and student is None:
        raise click.UsageError(f"cannot record {submission}: {found.unmatched[0].reason}")
    gradebook = None if database is None else _open_gradebook(database)
    grader = _grader(assignment, limits, sandbox, prestart=True)
    with _setup_errors(assignment_name), contextlib.ExitStack() as stack:
        try:
            report = grader.grade(submission)
        except OSError as error:
            raise click.UsageError(f"cannot read {submission}: {error.strerror or error}") from error
        if gradebook is not None and student is not None:
            stack.enter_context(gradebook).record(student, report)
    if output is None:
        click.echo(_render(output_format, report, student, sys.stdout.isatty() and "NO_COLOR" not in os.environ),
                   nl=False)
    else:
        write_text_atomically(output, _render(output_format, report, student, False))
        click.echo(f"Wrote {output} (score {report.score:g} / {report.max_score:g})", err=True)
    if output_format == "github":
        _append_step_summary(report)
    if fail_under is not None and report.score < fail_under:
        sys.exit(EXIT_BELOW_THRESHOLD)


def _render(output_format: str, report: Report, student: str | None, color: bool) -> str:
    """The report in ``output_format``; ``student`` is its student id (or None) for the CSV row."""
    if output_format == CSV:
        return render_csv([SubmissionRow(student or "", report.to_dict())], [test.name for test in report.tests])
    return RENDERERS[output_format](report, color)


def _append_step_summary(report: Report) -> None:
    """Append the job summary where GitHub Actions reads it, if it does; a warning when that fails."""
    try:
        append_step_summary(report)
    except OSError as error:
        click.echo(f"grade: warning: cannot append the job summary to ${STEP_SUMMARY} ({error.filename}): "
                   f"{error.strerror or error}", err=True)


@dataclass(frozen=True)
class _BatchOptions:
    reports_folder: Path | None
    database: str
    jobs: int
    force: bool
    policy: Policy
    output_format: str


def _grade_batch(
    assignment: Assignment,
    limits: Limits,
    sandbox: str,
    paths: tuple[Path, ...],
    pattern: re.Pattern[str],
    roster: Roster | None,
    options: _BatchOptions,
) -> None:
    folder = options.reports_folder
    if folder is not None and (not folder.parent.is_dir() or (folder.exists() and not folder.is_dir())):
        raise click.UsageError(f"cannot write the reports to {folder}: give a folder (its parent must exist)")
    try:
        found = find_submissions(paths, pattern, roster)
    except FileNotFoundError as error:
        raise click.UsageError(f"submission {error}") from error
    for item in found.unmatched:
        click.echo(f"grade: warning: not grading {item.display_path}: {item.reason}", err=True)
    if not found.submissions:
        raise click.UsageError("no submission to grade (folders are searched for .py and .ipynb files)")
    if folder is not None:
        folder.mkdir(exist_ok=True)
    functions = [graded.name for graded in assignment.functions]
    with _open_gradebook(options.database) as gradebook:
        grader = _grader(assignment, limits, sandbox)
        with _progress(len(found.submissions)) as progress, _setup_errors(assignment.name):
            try:
                result = grade_all(grader, found.submissions, gradebook, jobs=options.jobs, force=options.force,
                                   reports_folder=folder, progress=progress)
            except KeyboardInterrupt:
                click.echo("\ngrade: interrupted; every submission graded so far is in the gradebook", err=True)
                sys.exit(EXIT_INTERRUPTED)
        if folder is not None:
            rows = gradebook.class_rows(assignment.name, functions, options.policy)
            write_class_csv(folder / CLASS_CSV, rows, functions, roster.students if roster else ())
    click.echo(render_batch(options.output_format, assignment.name, functions, found, result), nl=False)
    if folder is not None:
        click.echo(f"Wrote {len(result.graded)} reports and {CLASS_CSV} to {folder}", err=True)
    if result.failed:
        click.echo(f"grade: the grader could not grade {len(result.failed)} submissions (listed above)", err=True)
        sys.exit(EXIT_BROKEN_SETUP)


@contextlib.contextmanager
def _progress(total: int) -> Iterator[Callable[[int], None]]:
    """A progress bar on a terminal's standard error; nothing elsewhere."""
    if not sys.stderr.isatty():
        yield lambda done: None
        return
    with click.progressbar(length=total, label="Grading", file=sys.stderr, show_pos=True) as bar:
        yield bar.update


def _assignment(name: str) -> Assignment:
    try:
        return load_assignment(name)
    except UnknownAssignment as error:
        raise click.UsageError(str(error)) from error


def _open_gradebook(location: str) -> Gradebook:
    try:
        return open_gradebook(location)
    except GradebookError as error:
        raise click.UsageError(str(error)) from error


def _grader(assignment: Assignment, limits: Limits, sandbox: str, prestart: bool = False) -> Grader:
    """The grader of ``assignment``; warns when ``auto`` falls back to the basic sandbox. With ``prestart``, a
    fork server boots while the reference outputs are computed."""
    with _setup_errors(assignment.name):
        grader = Grader(assignment, limits, sandbox, prestart=prestart)
    warning = setup_problems.fallback_warning(grader, sandbox)
    if warning is not None:
        click.echo(f"grade: warning: {warning}", err=True)
    return grader


@contextlib.contextmanager
def _setup_errors(assignment_name: str) -> Iterator[None]:
    """Exit with status 3 and one line for a broken assignment, a sandbox that cannot run or a gradebook that
    cannot be used."""
    try:
        yield
    except setup_problems.SETUP_ERRORS as error:
        click.echo(f"grade: {setup_problems.describe(error, assignment_name)}", err=True)
        sys.exit(EXIT_BROKEN_SETUP)


def main() -> None:
    """Console entry point ``grade`` (see ``console.run``)."""
    console.run(grade, "grade")
