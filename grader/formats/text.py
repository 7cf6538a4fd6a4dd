"""The human-readable report, for a person at a terminal."""

from __future__ import annotations

import click

from grader.formats.loading import problem_lines
from grader.report import Report, Status, TestResult

_MARKS = {Status.PASSED: ("✓", "green"), Status.FAILED: ("✗", "red"), Status.ERROR: ("!", "red")}


def render_text(report: Report, color: bool = False) -> str:
    """One line per graded function with its points, the feedback of each lost point below it, the total."""

    def style(text: str, **styles: object) -> str:
        return click.style(text, **styles) if color else text  # type: ignore[arg-type]

    lines = [style(f"{report.assignment}: {report.submission.path}", bold=True),
             f"sandbox: {report.sandbox.describe()}"]
    lines.extend(problem_lines(report))
    width = max((len(test.name) for test in report.tests), default=0)
    for test in report.tests:
        mark, colour = _MARKS[test.status]
        points = f"{_points(test.score)}/{_points(test.max_score)}"
        lines.append(f"{style(mark, fg=colour)} {test.name:<{width}}  {points:>9}  {_checks_summary(test)}")
        lines.extend(f"    {line}" for line in test.feedback.splitlines())
    total = f"Score: {_points(report.score)} / {_points(report.max_score)}"
    lines.append(style(total, bold=True) + f"  ({report.duration_s:.2f} s)")
    return "\n".join(lines) + "\n"


def _checks_summary(test: TestResult) -> str:
    passed = sum(check.passed for check in test.checks)
    return f"{passed}/{len(test.checks)} checks passed"


def _points(value: float) -> str:
    return f"{value:g}"
