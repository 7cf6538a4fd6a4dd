"""The class summary of a batch: how many, how well, which functions trip students up, what went wrong.

Built from report dictionaries (``Report.to_dict()`` or as the gradebook stored them), so that submissions
graded now and those unchanged since an earlier run count alike. ``render_batch`` prints a batch in the format
asked for: this summary, or one CSV row per submission.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from grader.batch import BatchResult, Found, Unmatched
from grader.feedback import describe_place
from grader.formats import CSV
from grader.formats.csv_format import SubmissionRow, render_csv
from grader.grading import LOAD_FAILED

SLOWEST_SHOWN = 5


@dataclass(frozen=True)
class FunctionPassRate:
    name: str
    passed: int
    """Submissions in which every check of the function passed."""
    total: int


@dataclass(frozen=True)
class Problem:
    path: str
    message: str


@dataclass(frozen=True)
class ClassSummary:
    assignment: str
    graded: int
    graded_now: int
    unchanged: int
    """Not graded again: the gradebook held a report for the same content, grader and assignment version."""
    max_score: float | None
    mean_score: float | None
    median_score: float | None
    pass_rates: tuple[FunctionPassRate, ...]
    slowest: tuple[Problem, ...]
    """The submissions graded now that took longest, slowest first; ``message`` is the duration."""
    not_loaded: tuple[Problem, ...]
    """Submissions whose file could not be loaded at all, or only in part."""
    not_graded: tuple[Problem, ...]
    """Files that got no report: no student id, or the grader's own failure (then retried by the next run)."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def summarize(assignment: str, result: BatchResult, unmatched: list[Unmatched]) -> ClassSummary:
    reports = [graded.report for graded in result.graded]
    scores = [float(report["score"]) for report in reports]
    now = [graded for graded in result.graded if graded.regraded]
    slowest = sorted(now, key=lambda graded: -float(graded.report["duration_s"]))[:SLOWEST_SHOWN]
    return ClassSummary(
        assignment=assignment,
        graded=len(reports),
        graded_now=len(now),
        unchanged=len(reports) - len(now),
        max_score=float(reports[0]["max_score"]) if reports else None,
        mean_score=round(statistics.fmean(scores), 2) if scores else None,
        median_score=statistics.median(scores) if scores else None,
        pass_rates=_pass_rates(reports),
        slowest=tuple(Problem(g.submission.display_path, f"{g.report['duration_s']:.2f} s") for g in slowest),
        not_loaded=tuple(problem for graded in result.graded
                         if (problem := _load_problem(graded.submission.display_path, graded.report))),
        not_graded=tuple([Problem(item.display_path, item.reason) for item in unmatched]
                         + [Problem(item.submission.display_path, item.error) for item in result.failed]),
    )


def _pass_rates(reports: list[dict[str, Any]]) -> tuple[FunctionPassRate, ...]:
    passed: dict[str, int] = {}
    total: dict[str, int] = {}
    for report in reports:
        for test in report["tests"]:
            total[test["name"]] = total.get(test["name"], 0) + 1
            passed[test["name"]] = passed.get(test["name"], 0) + (test["status"] == "passed")
    return tuple(FunctionPassRate(name, passed[name], count) for name, count in total.items())


def _load_problem(path: str, report: dict[str, Any]) -> Problem | None:
    """Why the submission's file did not load, wholly or in part; None when it loaded cleanly."""
    for test in report["tests"]:
        if test["feedback"].startswith(LOAD_FAILED):
            return Problem(path, test["feedback"].splitlines()[0])
    problems = report.get("load_problems") or []
    if problems:
        first = problems[0]
        where = f" ({describe_place(first['line'], first.get('cell'))})" if first.get("line") else ""
        more = f", and {len(problems) - 1} more" if len(problems) > 1 else ""
        return Problem(path, f"partly: {first['kind']}: {first['message']}{where}{more}")
    return None


def render_summary_text(summary: ClassSummary) -> str:
    """The summary for a person: counts, scores, pass rate per function, then what needs a look."""
    lines = [f"{summary.assignment}: {summary.graded} submissions graded "
             f"({summary.graded_now} now, {summary.unchanged} unchanged since an earlier run)"]
    if summary.mean_score is not None:
        lines.append(f"Score: mean {summary.mean_score:g}, median {summary.median_score:g} "
                     f"(out of {summary.max_score:g})")
    if summary.pass_rates:
        lines.append("Passed every check, by function:")
        width = max(len(rate.name) for rate in summary.pass_rates)
        for rate in summary.pass_rates:
            percent = 100 * rate.passed / rate.total
            lines.append(f"  {rate.name:<{width}}  {percent:5.1f}%  ({rate.passed}/{rate.total})")
    for title, problems in (("Slowest", summary.slowest), ("Could not be loaded", summary.not_loaded),
                            ("Not graded", summary.not_graded)):
        if problems:
            lines.append(f"{title} ({len(problems)}):")
            lines.extend(f"  {problem.path}: {problem.message}" for problem in problems)
    return "\n".join(lines) + "\n"


def render_summary_json(summary: ClassSummary) -> str:
    return json.dumps(summary.to_dict(), indent=2, ensure_ascii=False) + "\n"


def render_batch(output_format: str, assignment: str, functions: Sequence[str], found: Found,
                 result: BatchResult) -> str:
    """What a batch prints in ``output_format`` (one of ``grader.formats.BATCH_FORMATS``): the class summary as
    text or JSON, or, for ``csv``, one row per graded submission (``render_csv``), in the order ``found`` lists
    them."""
    if output_format == CSV:
        position = {submission.display_path: index for index, submission in enumerate(found.submissions)}
        graded = sorted(result.graded, key=lambda item: position[item.submission.display_path])
        return render_csv([SubmissionRow(item.submission.student, item.report) for item in graded], functions)
    summary = summarize(assignment, result, found.unmatched)
    return render_summary_json(summary) if output_format == "json" else render_summary_text(summary)
