"""What kept a submission from loading cleanly, in lines a student can read: the heading and lines of its load
problems (the text report), and the same with the reason a file did not load at all, stated once for the whole
submission (Gradescope's top-level output, the JUnit suite's ``system-err``, the GitHub job summary)."""

from __future__ import annotations

from grader.feedback import describe_load_error
from grader.grading import LOAD_FAILED
from grader.report import Report

NOT_LOADED = "Your file could not be loaded:"
PARTLY_LOADED = "Parts of your file could not be loaded (the rest was graded):"


def problem_lines(report: Report) -> list[str]:
    """A heading (``NOT_LOADED`` when no function could run because of them, else ``PARTLY_LOADED``), then one
    indented line per load problem; empty when there is none."""
    if not report.load_problems:
        return []
    heading = NOT_LOADED if _load_failure(report) is not None else PARTLY_LOADED
    return [heading, *(f"  {describe_load_error(problem)}" for problem in report.load_problems)]


def load_summary(report: Report) -> list[str]:
    """``problem_lines``, or, when the file could not be loaded at all without a load problem to show (the
    process running it crashed while loading), that reason (which every function's feedback carries too);
    empty when the file loaded cleanly."""
    lines = problem_lines(report)
    reason = _load_failure(report)
    if not lines and reason is not None:
        lines.append(reason[0].upper() + reason[1:])
    return lines


def _load_failure(report: Report) -> str | None:
    """The feedback line saying the file could not be loaded at all, if any."""
    return next((line for test in report.tests for line in test.feedback.splitlines()
                 if line.startswith(LOAD_FAILED)), None)
