"""Gradescope's ``results.json``, as its autograder specification describes it (``docs/specs.md`` of
gradescope/autograder_samples, published as "Autograder Specifications" on gradescope-autograders.readthedocs.io).

One Gradescope test per check, named ``function [check]``; a function's points are split over its checks so that
the scores add up exactly to the function's score, and the top-level score is the report's. Hidden checks are
shown to students only after the due date; Gradescope then hides the total too, so nothing else (the top-level
output included) reveals how they fared before it.
"""

from __future__ import annotations

import json
from decimal import ROUND_DOWN, Decimal
from typing import Any

from grader.formats.loading import load_summary
from grader.report import CheckResult, Report, TestResult

HIDDEN_UNTIL = "after_due_date"
"""Gradescope's visibility of a hidden check (and of a check of any visibility this module does not know)."""
VISIBILITY = {"public": "visible", "hidden": HIDDEN_UNTIL}
"""Gradescope's visibility of a check, by the check's visibility."""
PLAIN_TEXT = "text"
"""Gradescope's output format that renders no HTML, Markdown or ANSI: feedback quotes student code verbatim."""
_QUANTUM = Decimal("0.0001")
"""The precision of a check's share of its function's points, that of the report's scores."""


def render_gradescope(report: Report, color: bool = False) -> str:
    """The report as Gradescope's ``results.json``, indented, ending in a newline."""
    results: dict[str, Any] = {
        "score": report.score,
        "execution_time": report.duration_s,
        "output_format": PLAIN_TEXT,
        "test_output_format": PLAIN_TEXT,
        "test_name_format": PLAIN_TEXT,
        "extra_data": {
            "assignment": report.assignment,
            "assignment_version": report.assignment_version,
            "grader_version": report.grader_version,
            "submission_sha256": report.submission.sha256,
        },
        "tests": [test for number, function in enumerate(report.tests, start=1)
                  for test in _check_tests(number, function)],
    }
    output = "\n".join(load_summary(report))
    if output:
        results["output"] = output
    return json.dumps(results, indent=2, ensure_ascii=False) + "\n"


def _check_tests(number: int, function: TestResult) -> list[dict[str, Any]]:
    """One Gradescope test per check of ``function``, the ``number``-th graded function. The function's score is
    split evenly over its passed checks and the points it lost over its failed ones, so that each check's
    ``max_score`` is its share of the points (to ``_QUANTUM``) and the scores add up to the function's score."""
    score = Decimal(str(function.score))
    passed = sum(check.passed for check in function.checks)
    passed_shares = iter(split(score, passed))
    failed_shares = iter(split(Decimal(str(function.max_score)) - score, len(function.checks) - passed))
    return [_check_test(f"{number}.{index}", function.name, check,
                        next(passed_shares) if check.passed else next(failed_shares))
            for index, check in enumerate(function.checks, start=1)]


def _check_test(number: str, function: str, check: CheckResult, share: Decimal) -> dict[str, Any]:
    return {
        "name": f"{function} [{check.name}]",
        "number": number,
        "score": float(share) if check.passed else 0.0,
        "max_score": float(share),
        "status": "passed" if check.passed else "failed",
        "visibility": VISIBILITY.get(check.visibility, HIDDEN_UNTIL),
        "tags": [function, check.visibility],
        "output": "\n\n".join(part for part in (check.description, check.message) if part),
    }


def split(total: Decimal, parts: int) -> list[Decimal]:
    """``total`` in ``parts`` shares, all but the last rounded down to ``_QUANTUM``, the last taking what remains,
    so that they add up to ``total`` exactly and none is negative.

    >>> split(Decimal("10"), 3), split(Decimal("6.6667"), 2), split(Decimal("5"), 0)
    ([Decimal('3.3333'), Decimal('3.3333'), Decimal('3.3334')], [Decimal('3.3333'), Decimal('3.3334')], [])
    """
    if parts == 0:
        return []
    share = (total / parts).quantize(_QUANTUM, rounding=ROUND_DOWN)
    return [share] * (parts - 1) + [total - share * (parts - 1)]
