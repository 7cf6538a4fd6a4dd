"""Submissions as CSV, for spreadsheets and scripts: one row per graded submission with its points by function.

Unlike the class table (``grader.class_csv``: one row per student, the attempt that counts), this lists every
submission graded, as graded.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from grader.class_csv import format_points
from grader.report import Status

_WORST_FIRST = (Status.ERROR.value, Status.FAILED.value)


@dataclass(frozen=True)
class SubmissionRow:
    student: str
    """The student id, or ``""`` when none is known."""
    report: Mapping[str, Any]
    """As ``Report.to_dict()`` gives it, or as the gradebook stored it."""


def render_csv(rows: Sequence[SubmissionRow], functions: Sequence[str]) -> str:
    """A header ``student, file, score, max_score, <each of functions>, status``, then one line per row, in order:
    a function's cell holds its points (empty when the report does not grade it), ``status`` the worst status of
    the report's functions (``error``, ``failed``, or ``passed`` when every one passed). Quoted as the csv module
    quotes (minimally), lines ending in CRLF."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["student", "file", "score", "max_score", *functions, "status"])
    for row in rows:
        report = row.report
        points = {test["name"]: format_points(test["score"]) for test in report["tests"]}
        writer.writerow([row.student, report["submission"]["path"], format_points(report["score"]),
                         format_points(report["max_score"]), *(points.get(name, "") for name in functions),
                         _worst_status(report)])
    return buffer.getvalue()


def _worst_status(report: Mapping[str, Any]) -> str:
    statuses = {test["status"] for test in report["tests"]}
    return next((status for status in _WORST_FIRST if status in statuses), Status.PASSED.value)
