"""The grader catches realistic wrong submissions of ``char_rnn``, each in the function it breaks.

Every file in ``tests/submissions/char_rnn/mutants/`` is a complete student submission: the solution with one
bug in one graded function, named by the file's prefix (``<function>__<bug>.py``) and described by its
``# Bug:`` comment. Graded end to end, that function loses points, on a hidden check too, and explains why;
every other function gets full marks, except the graded functions that call the broken one, directly or not
(``GradedFunction.calls``): they may fail too, and then their feedback points at the graded function they
call on the way to it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from mutant_catalog import Results, assert_catalog_covers, broken_function, cached_grading, callers

from grader.assignment import Visibility
from grader.feedback import describe_failing_dependency
from grader.registry import load_assignment
from grader.report import Status

ASSIGNMENT = load_assignment("char_rnn")
FUNCTIONS = [graded.name for graded in ASSIGNMENT.functions]
SUBMISSIONS = Path(__file__).parent / "submissions" / "char_rnn"
MUTANTS = sorted((SUBMISSIONS / "mutants").glob("*.py"))

CAUGHT_BY_ARGUMENTS_AFTER_THE_CALL = {
    "update_parameters__returns_a_new_dict": "`parameters` is not as it should be after the call",
    "rnn_backward__dy_without_copy": "changed its argument `cache`",
}
"""Mutants whose return values are right: only grading the arguments after the call (``updates_in_place``,
``leaves_unchanged``) catches them in their own function, and the feedback says so."""

# Mutants whose numbers show a classic cause, and a word the feedback should then give.
CAUSE_HINTS = {
    "rnn_forward__loss_keeps_shape": "single number",
    "sample__no_newline_after_50": "wrong length",
    "model__index_without_modulo": "indexerror",
    "optimize__last_state_one_step_late": "keyerror",
}



@pytest.fixture(scope="module")
def grade() -> Callable[[Path], Results]:
    return cached_grading(ASSIGNMENT)


def test_catalog_covers_every_graded_function() -> None:
    assert_catalog_covers(ASSIGNMENT, MUTANTS)

def test_every_named_mutant_exists() -> None:
    assert set(CAUSE_HINTS) | set(CAUGHT_BY_ARGUMENTS_AFTER_THE_CALL) <= {mutant.stem for mutant in MUTANTS}


def test_the_solution_gets_full_marks_and_the_stub_none(grade: Callable[[Path], Results]) -> None:
    assert all(result.status is Status.PASSED for result in grade(ASSIGNMENT.solution).values())
    stub = grade(ASSIGNMENT.stub)
    assert set(stub) == set(FUNCTIONS) and all(result.score == 0 for result in stub.values())


@pytest.mark.parametrize("mutant", MUTANTS, ids=[mutant.stem for mutant in MUTANTS])
def test_mutant_fails_in_the_function_it_breaks_only(grade: Callable[[Path], Results], mutant: Path) -> None:
    results = grade(mutant)
    assert set(results) == set(FUNCTIONS)
    target = broken_function(mutant)
    dependents = callers(ASSIGNMENT, target)
    for name, result in results.items():
        if name in dependents and result.score < result.max_score:
            on_the_way = set(ASSIGNMENT.function(name).calls) & (dependents | {target})
            assert any(describe_failing_dependency(name, callee) in result.feedback for callee in on_the_way), name
        elif name not in dependents | {target}:
            assert (result.score, result.status) == (result.max_score, Status.PASSED), (name, result.feedback)
    broken = results[target]
    assert broken.score < broken.max_score, f"{target} got full marks"
    assert broken.feedback.strip(), f"{target} lost points without feedback"
    assert any(not check.passed for check in broken.checks if check.visibility == Visibility.HIDDEN.value)


@pytest.mark.parametrize("stem", sorted(CAUGHT_BY_ARGUMENTS_AFTER_THE_CALL))
def test_feedback_names_the_argument_left_in_the_wrong_state(grade: Callable[[Path], Results], stem: str) -> None:
    mutant = SUBMISSIONS / "mutants" / f"{stem}.py"
    assert CAUGHT_BY_ARGUMENTS_AFTER_THE_CALL[stem] in grade(mutant)[broken_function(mutant)].feedback


@pytest.mark.parametrize("stem", sorted(CAUSE_HINTS))
def test_feedback_names_the_likely_cause(grade: Callable[[Path], Results], stem: str) -> None:
    mutant = SUBMISSIONS / "mutants" / f"{stem}.py"
    feedback = grade(mutant)[broken_function(mutant)].feedback
    assert CAUSE_HINTS[stem] in feedback.lower(), feedback


CORRECT_VARIANT = SUBMISSIONS / "correct_variant.py"
"""The solution written differently: operations reordered, dictionary entries replaced rather than updated in
place, Python numbers where the reference returns numpy ones."""


def test_a_correct_submission_written_differently_gets_full_marks(grade: Callable[[Path], Results]) -> None:
    assert all(result.status is Status.PASSED for result in grade(CORRECT_VARIANT).values())
