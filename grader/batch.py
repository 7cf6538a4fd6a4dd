"""Grading a class: finding the submissions, grading them on every core, keeping each result as it comes.

``find_submissions`` turns the files and folders an instructor names into submissions with student ids;
``grade_all`` grades them in parallel (``pool``) and records every report in the gradebook the moment it
arrives, skipping what the gradebook already holds for the same content, grader and assignment version.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader import __version__, interrupts
from grader.atomic import write_text_atomically
from grader.formats.json_format import dump_report
from grader.gradebook import Gradebook
from grader.grading import Grader
from grader.notebook import NOTEBOOK_SUFFIX
from grader.pool import grade_in_parallel
from grader.report import Report
from grader.students import Roster, student_id

SUBMISSION_SUFFIXES = (".py", NOTEBOOK_SUFFIX)
"""The files a folder is searched for: Python files and Jupyter notebooks."""


@dataclass(frozen=True)
class Submission:
    """One student file to grade."""

    path: Path
    display_path: str
    """How reports name it: the path as given, or the folder as given joined with the path inside it."""
    relative_path: str
    """Its path inside the folder it was found in (for a file given directly, its name), ``/``-separated."""
    student: str


@dataclass(frozen=True)
class Unmatched:
    """A file that is not graded because it cannot be tied to a student."""

    display_path: str
    reason: str


@dataclass(frozen=True)
class Found:
    submissions: list[Submission]
    unmatched: list[Unmatched]


def find_submissions(paths: Sequence[Path], pattern: re.Pattern[str], roster: Roster | None = None) -> Found:
    """The submissions among ``paths`` (files, and the ``SUBMISSION_SUFFIXES`` files anywhere below folders,
    hidden ones aside, Jupyter's ``.ipynb_checkpoints`` among them), each once, in the order given (a folder's
    files sorted), with the student id that ``pattern`` finds in its relative path, mapped through ``roster``
    when given. Raises ``FileNotFoundError`` for a path that does not exist."""
    submissions: list[Submission] = []
    unmatched: list[Unmatched] = []
    seen: set[Path] = set()
    for path, display_path, relative_path in _files(paths):
        if path.resolve() in seen:
            continue
        seen.add(path.resolve())
        key = student_id(relative_path, pattern)
        student = key if roster is None or key is None else roster.student_for(key)
        if student is None:
            reason = (f"no student id in its name (pattern {pattern.pattern!r})" if key is None
                      else f"{key!r} is not on the roster")
            unmatched.append(Unmatched(display_path, reason))
        else:
            submissions.append(Submission(path, display_path, relative_path, student))
    return Found(submissions, unmatched)


def _files(paths: Sequence[Path]) -> Iterator[tuple[Path, str, str]]:
    """``(path, display path, relative path)`` of each file given or found below a folder given."""
    for given in paths:
        if given.is_file():
            yield given, str(given), given.name
        elif given.is_dir():
            for path in sorted(given.rglob("*")):
                relative = path.relative_to(given)
                if (path.suffix in SUBMISSION_SUFFIXES and path.is_file()
                        and not any(part.startswith((".", "__")) for part in relative.parts)):
                    yield path, str(path), relative.as_posix()
        else:
            raise FileNotFoundError(f"{given} does not exist")


@dataclass(frozen=True)
class Graded:
    """The report of one submission: graded now, or the gradebook's for the same content and versions."""

    submission: Submission
    report: dict[str, Any]
    """As ``Report.to_dict()`` gives it."""
    regraded: bool


@dataclass(frozen=True)
class Failed:
    """A submission the grader could not grade (its own problem, not the student's): nothing was recorded."""

    submission: Submission
    error: str


@dataclass
class BatchResult:
    graded: list[Graded] = field(default_factory=list)
    failed: list[Failed] = field(default_factory=list)


def grade_all(
    grader: Grader,
    submissions: Sequence[Submission],
    gradebook: Gradebook,
    *,
    jobs: int,
    force: bool = False,
    reports_folder: Path | None = None,
    progress: Callable[[int], None] = lambda done: None,
) -> BatchResult:
    """Grade ``submissions`` on ``jobs`` processes; record each new report in ``gradebook`` as soon as it comes
    (one transaction each), and write it to ``reports_folder`` when given (atomically, see ``report_names``).

    A submission whose content was already graded by this grader against this version of the assignment is
    not graded again, unless ``force``: its stored report stands. A student's new reports are recorded in the
    order of ``submissions``, whatever order they are graded in, so that the gradebook's ``latest`` is the last
    attempt. A file that cannot be read is a ``Failed``. ``progress(n)`` is told of every ``n`` submissions
    finished. Whatever stops the batch (Ctrl-C included), every report received is recorded.
    """
    assignment = grader.assignment
    names = report_names(submissions)
    result = BatchResult()
    pending: list[Submission] = []

    def keep(graded: Graded) -> None:
        result.graded.append(graded)
        if reports_folder is not None:
            write_text_atomically(reports_folder / names[graded.submission.display_path], dump_report(graded.report))

    for submission in submissions:
        try:
            sha256 = _sha256(submission.path)
        except OSError as error:
            result.failed.append(Failed(submission, f"cannot read the file: {error.strerror or error}"))
            progress(1)
            continue
        stored = None if force else gradebook.stored_report(
            submission.student, assignment.name, sha256, __version__, assignment.version)
        if stored is None:
            pending.append(submission)
        else:  # the same content, maybe under another name: the report names the file as it is now
            stored["submission"] = {**stored["submission"], "path": submission.display_path}
            keep(Graded(submission, stored, regraded=False))
            progress(1)
    by_path = {submission.display_path: submission for submission in pending}
    queues: dict[str, deque[Submission]] = {}
    """Each student's submissions being graded, in order: a report waits in ``arrived`` for those before it."""
    for submission in pending:
        queues.setdefault(submission.student, deque()).append(submission)
    arrived: dict[str, Report | None] = {}

    def record(submission: Submission, report: Report | None) -> None:
        if report is not None:
            with interrupts.held():  # recorded and written out, or neither
                gradebook.record(submission.student, report)
                keep(Graded(submission, report.to_dict(), regraded=True))

    jobs_list = [(submission.path, submission.display_path) for submission in pending]
    try:
        for display_path, report, problem in grade_in_parallel(grader, jobs_list, jobs):
            submission = by_path[display_path]
            if report is None:
                result.failed.append(Failed(submission, problem or "unknown error"))
            arrived[display_path] = report
            queue = queues[submission.student]
            while queue and queue[0].display_path in arrived:
                first = queue.popleft()
                record(first, arrived.pop(first.display_path))
            progress(1)
    finally:  # stopped early: the reports still waiting for an earlier attempt's are recorded all the same
        for display_path, report in arrived.items():
            record(by_path[display_path], report)
    return result


def report_names(submissions: Sequence[Submission]) -> dict[str, str]:
    """The JSON report file name of each submission, by display path: its relative path with ``/`` as ``__``
    and ``.json`` for its suffix, numbered (``-2``, ``-3``) where two would be the same."""
    names: dict[str, str] = {}
    taken: set[str] = set()
    for submission in submissions:
        stem = Path(submission.relative_path).with_suffix("").as_posix().replace("/", "__")
        name, number = f"{stem}.json", 1
        while name in taken:
            number += 1
            name = f"{stem}-{number}.json"
        taken.add(name)
        names[submission.display_path] = name
    return names


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def default_jobs() -> int:
    """Twice the cores this process may run on: a submission spinning until its time limit then takes a core
    from one other grading process, not from all of them, and the cores stay busy while processes wait."""
    return 2 * len(os.sched_getaffinity(0))
