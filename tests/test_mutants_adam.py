"""The grader scores ``adam`` submissions end to end: the solution gets full marks, the stub none, and every
realistic wrong submission loses points in the function it breaks and only there.

Every file in ``tests/submissions/adam/mutants/`` is a complete student submission: the solution with one bug
in one graded function, named by the file's prefix (``<function>__<bug>.py``) and described by its ``# Bug:``
comment. The two graded functions do not call each other, so every other function gets full marks.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from mutant_catalog import Results, assert_catalog_covers, broken_function, cached_grading

from grader.registry import load_assignment
from grader.report import Status

ASSIGNMENT = load_assignment("adam")
FUNCTIONS = [graded.name for graded in ASSIGNMENT.functions]
MUTANTS_DIR = Path(__file__).parent / "submissions" / "adam" / "mutants"
MUTANTS = sorted(MUTANTS_DIR.glob("*.py"))

# Mutants whose numbers show a classic cause, and a word of the hint the feedback should then give.
CAUSE_HINTS = {
    "update_parameters_with_adam__gradient_not_squared_in_s": "nan",
    "update_parameters_with_adam__squares_grads_in_place": "must leave as it was",
}



@pytest.fixture(scope="module")
def grade() -> Callable[[Path], Results]:
    return cached_grading(ASSIGNMENT)


def test_the_solution_scores_full_marks(grade: Callable[[Path], Results]) -> None:
    results = grade(ASSIGNMENT.solution)
    assert {name: (result.score, result.status) for name, result in results.items()} == {
        graded.name: (graded.points, Status.PASSED) for graded in ASSIGNMENT.functions
    }
    assert ASSIGNMENT.max_score == 30


def test_the_stub_scores_zero_with_not_implemented_feedback(grade: Callable[[Path], Results]) -> None:
    results = grade(ASSIGNMENT.stub)
    assert set(results) == set(FUNCTIONS)
    for name, result in results.items():
        assert (result.score, result.status) == (0, Status.ERROR)
        assert f"{name} is not implemented yet" in result.feedback
        assert all(not check.passed for check in result.checks)


def test_catalog_covers_every_graded_function() -> None:
    assert_catalog_covers(ASSIGNMENT, MUTANTS)

def test_every_named_mutant_exists() -> None:
    assert set(CAUSE_HINTS) <= {mutant.stem for mutant in MUTANTS}


@pytest.mark.parametrize("mutant", MUTANTS, ids=[mutant.stem for mutant in MUTANTS])
def test_mutant_fails_in_the_function_it_breaks_only(grade: Callable[[Path], Results], mutant: Path) -> None:
    results = grade(mutant)
    assert set(results) == set(FUNCTIONS)
    for name, result in results.items():
        if name == broken_function(mutant):
            assert result.score < result.max_score, f"{name} got full marks"
            assert result.feedback.strip(), f"{name} lost points without feedback"
        else:
            assert (result.score, result.status) == (result.max_score, Status.PASSED), (name, result.feedback)


@pytest.mark.parametrize("stem", sorted(CAUSE_HINTS))
def test_feedback_names_the_likely_cause(grade: Callable[[Path], Results], stem: str) -> None:
    mutant = MUTANTS_DIR / f"{stem}.py"
    feedback = grade(mutant)[broken_function(mutant)].feedback
    assert CAUSE_HINTS[stem] in feedback.lower(), feedback
