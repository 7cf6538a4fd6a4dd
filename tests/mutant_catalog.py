"""What every assignment's mutant tests share: reading a catalog of mutants, and grading each file once.

A mutant is a complete student file, ``<function>__<bug>.py``: the reference solution with one realistic bug in
the graded function its name starts with, described by a ``# Bug:`` comment.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from grader.assignment import Assignment
from grader.grading import Grader
from grader.report import TestResult as FunctionResult  # not a pytest test class
from grader.sandbox.outcome import Limits

Results = dict[str, FunctionResult]
"""A graded submission's results, by function name."""

MIN_MUTANTS_PER_FUNCTION = 3


def broken_function(mutant: Path) -> str:
    """The graded function a mutant's bug is in: its file name's prefix."""
    return mutant.stem.split("__", 1)[0]


def callers(assignment: Assignment, function: str) -> set[str]:
    """The graded functions that call ``function``, directly or through other graded functions."""
    found: set[str] = set()
    frontier = {function}
    while frontier:
        frontier = {graded.name for graded in assignment.functions
                    if set(graded.calls) & frontier and graded.name not in found}
        found |= frontier
    return found


def cached_grading(assignment: Assignment) -> Callable[[Path], Results]:
    """Grades a submission once (later calls reuse the report): its results by function name."""
    grader = Grader(assignment, Limits(call_timeout_s=10))
    reports: dict[Path, Results] = {}

    def results(submission: Path) -> Results:
        if submission not in reports:
            reports[submission] = {test.name: test for test in grader.grade(submission).tests}
        return reports[submission]

    return results


def assert_catalog_covers(assignment: Assignment, mutants: Sequence[Path]) -> None:
    """Every mutant names a graded function and says what its bug is; every function has enough mutants."""
    counts = {graded.name: 0 for graded in assignment.functions}
    for mutant in mutants:
        assert broken_function(mutant) in counts, f"{mutant.name} does not name a graded function"
        assert "\n# Bug: " in mutant.read_text(encoding="utf-8"), f"{mutant.name} does not say what its bug is"
        counts[broken_function(mutant)] += 1
    assert all(count >= MIN_MUTANTS_PER_FUNCTION for count in counts.values()), counts
