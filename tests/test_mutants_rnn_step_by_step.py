"""The grader catches realistic wrong submissions of ``rnn_step_by_step``, each in the function it breaks.

Every file in ``tests/submissions/rnn_step_by_step/mutants/`` is a complete student submission: the stub with
every region filled correctly except for one bug in one graded function, named by the file's prefix
(``<function>__<bug>.py``) and described by its ``# Bug:`` comment. Graded end to end, that function loses
points and explains why, and every other function gets full marks, except the graded functions that call the
broken one (``GradedFunction.calls``): they fail too, with a note pointing at it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from mutant_catalog import Results, assert_catalog_covers, broken_function, cached_grading, callers

from grader.feedback import describe_failing_dependency
from grader.reference import PreparedCheck, prepare_checks
from grader.registry import load_assignment
from grader.report import Status
from grader.sandbox.worker import Worker

ASSIGNMENT = load_assignment("rnn_step_by_step")
FUNCTIONS = [graded.name for graded in ASSIGNMENT.functions]
MUTANTS_DIR = Path(__file__).parent / "submissions" / "rnn_step_by_step" / "mutants"
MUTANTS = sorted(MUTANTS_DIR.glob("*.py"))

# Mutants whose numbers show a classic cause, and a word of the hint the feedback should then give.
CAUSE_HINTS = {
    "rnn_cell_backward__dba_without_keepdims": "keepdims",
    "lstm_cell_backward__dbf_without_keepdims": "keepdims",
    "rnn_cell_backward__dwaa_transposed": "transpose",
    "rnn_cell_backward__dwax_transposed": "transpose",
    "lstm_cell_backward__dwf_transposed": "transpose",
    "rnn_cell_backward__dba_mean_instead_of_sum": "factor",
    "rnn_forward__y_pred_only_last_step": "never written",
    "rnn_forward__a_saved_before_update": "loop index",
    "rnn_backward__dx_one_step_early": "loop index",
}



@pytest.fixture(scope="module")
def grade() -> Callable[[Path], Results]:
    return cached_grading(ASSIGNMENT)


def test_catalog_covers_every_graded_function() -> None:
    assert_catalog_covers(ASSIGNMENT, MUTANTS)

def test_every_hinted_mutant_exists() -> None:
    assert set(CAUSE_HINTS) <= {mutant.stem for mutant in MUTANTS}


@pytest.mark.parametrize("mutant", MUTANTS, ids=[mutant.stem for mutant in MUTANTS])
def test_mutant_fails_in_the_function_it_breaks_only(grade: Callable[[Path], Results], mutant: Path) -> None:
    results = grade(mutant)
    assert set(results) == set(FUNCTIONS)
    target = broken_function(mutant)
    dependents = callers(ASSIGNMENT, target)
    for name, result in results.items():
        if name == target or name in dependents:
            assert result.score < result.max_score, f"{name} got full marks"
            assert result.feedback.strip(), f"{name} lost points without feedback"
        else:
            assert (result.score, result.status) == (result.max_score, Status.PASSED), (name, result.feedback)
        if name in dependents:
            assert describe_failing_dependency(name, target) in result.feedback


@pytest.mark.parametrize("stem", sorted(CAUSE_HINTS))
def test_feedback_names_the_likely_cause(grade: Callable[[Path], Results], stem: str) -> None:
    mutant = MUTANTS_DIR / f"{stem}.py"
    feedback = grade(mutant)[broken_function(mutant)].feedback
    assert CAUSE_HINTS[stem] in feedback.lower(), feedback


ROUNDING_VARIANT = MUTANTS_DIR.parent / "correct_rounding_variant.py"
"""The correct example with operations reordered (softmax, the RNN cell both ways, the LSTM cell backward):
correct, but its results differ from the reference's in the last bits."""


def test_a_correct_submission_that_rounds_differently_gets_full_marks(grade: Callable[[Path], Results]) -> None:
    checks = prepare_checks(ASSIGNMENT)["rnn_forward"]
    with Worker() as worker:
        worker.load(ROUNDING_VARIANT)
        arguments = [check.arguments for check in checks]
        exact = worker.call_many("rnn_forward", arguments, [_same_bytes(check) for check in checks])
        within_tolerance = worker.call_many("rnn_forward", arguments, [check.accept for check in checks])
    assert not any(result.matched for result in exact)  # its results are not the reference's bytes...
    assert all(result.matched for result in within_tolerance)  # ...but are accepted from their encoding alone
    assert all(result.status is Status.PASSED for result in grade(ROUNDING_VARIANT).values())


def _same_bytes(check: PreparedCheck) -> Callable[[bytearray], bool]:
    assert check.expected_encoding is not None
    encoding = check.expected_encoding.encoding
    return lambda got: got == encoding
