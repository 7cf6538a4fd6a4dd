"""The class table: one CSV row per student with the points of the grading that counts, for spreadsheets."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path

from grader.atomic import write_text_atomically
from grader.gradebook import ClassRow

_DECIMALS = 6
"""Points are written rounded to this many decimals, which hides float noise (``0.30000000000000004``)."""


def write_class_csv(
    path: Path, rows: Sequence[ClassRow], functions: Sequence[str], students: Sequence[str] = ()
) -> None:
    """Write the class table to ``path`` atomically (readers see the old file or the new one): a header
    ``student, <each of functions>, total, max_score, attempts, graded_at, sha256``, then one row per student:
    first those of ``students`` (a roster) in its order, with empty cells for a student with no row, then the
    students of ``rows`` not on it, in the order of ``rows``. The folder must exist."""
    by_student = {row.student: row for row in rows}
    order = list(dict.fromkeys([*students, *by_student]))
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    header = ["student", *functions, "total", "max_score", "attempts", "graded_at", "sha256"]
    writer.writerow(header)
    for student in order:
        row = by_student.get(student)
        writer.writerow([student, *[""] * (len(header) - 1)] if row is None else _cells(row, functions))
    write_text_atomically(path, buffer.getvalue())


def _cells(row: ClassRow, functions: Sequence[str]) -> list[str]:
    points = [format_points(row.points.get(name, 0.0)) for name in functions]
    totals = [format_points(row.total), format_points(row.max_score), str(row.attempts)]
    return [row.student, *points, *totals, row.graded_at, row.sha256]


def format_points(value: float) -> str:
    """``value`` without float noise or a needless fraction: ``12.5``, ``100``, ``0.3``, ``0``.

    >>> [format_points(v) for v in (12.5, 100.0, 0.1 + 0.2, -1e-9, 2 / 3)]
    ['12.5', '100', '0.3', '0', '0.666667']
    """
    text = f"{round(value, _DECIMALS) + 0.0:.{_DECIMALS}f}"
    return text.rstrip("0").rstrip(".")
