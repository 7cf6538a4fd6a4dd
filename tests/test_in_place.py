"""Arguments graded after the call: those a function must update in place, and those it must leave unchanged."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from functools import partial
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from grader.assignment import Assignment, Call, Fixture, GradedFunction, Visibility
from grader.grading import Grader
from grader.reference import AssignmentError, prepare_checks
from grader.report import Status
from grader.sandbox.worker import Worker
from grader.stubs import make_stub

DATA = Path(__file__).parent / "data" / "in_place"
SUBMISSIONS = Path(__file__).parent / "submissions" / "in_place"


def scale_inputs(seed: int, reference: ModuleType) -> Call:
    rng = np.random.RandomState(seed)
    return Call(args=({"W": rng.randn(3, 2), "b": rng.randn(3, 1)},), kwargs={"factor": 0.5 + seed})


def normalized_inputs(seed: int, reference: ModuleType) -> Call:
    return Call(args=(np.random.RandomState(seed).randn(4, 3),))


def accumulate_inputs(seed: int, reference: ModuleType) -> Call:
    rng = np.random.RandomState(seed)
    return Call(args=({"sum": rng.randn(2, 2)}, rng.randn(2, 2)))


def fixtures(build: Callable[[int, ModuleType], Call]) -> list[Fixture]:
    return [Fixture("public", Visibility.PUBLIC, partial(build, 1)),
            Fixture("hidden-1", Visibility.HIDDEN, partial(build, 2))]


@pytest.fixture(scope="module")
def assignment(tmp_path_factory: pytest.TempPathFactory) -> Assignment:
    stub = tmp_path_factory.mktemp("in_place") / "stub.py"
    stub.write_text(make_stub((DATA / "solution.py").read_text()))
    return Assignment(
        name="in_place", version="1", solution=DATA / "solution.py", stub=stub,
        functions=[
            GradedFunction("scale", points=1, outputs="count", fixtures=fixtures(scale_inputs),
                           updates_in_place=("parameters",)),
            GradedFunction("normalized", points=1, outputs="y", fixtures=fixtures(normalized_inputs),
                           leaves_unchanged=("x",)),
            GradedFunction("accumulate", points=1, outputs="totals", fixtures=fixtures(accumulate_inputs),
                           updates_in_place=("totals",)),
        ],
    )


def grade(assignment: Assignment, name: str) -> dict[str, tuple[Status, str]]:
    report = Grader(assignment).grade(SUBMISSIONS / f"{name}.py")
    return {test.name: (test.status, test.feedback) for test in report.tests}


def test_a_correct_submission_passes_and_its_results_are_accepted_from_their_encoding(assignment: Assignment) -> None:
    assert {status for status, _ in grade(assignment, "correct").values()} == {Status.PASSED}
    with Worker() as worker:
        worker.load(SUBMISSIONS / "correct.py")
        for name, checks in prepare_checks(assignment).items():
            results = worker.call_many(name, [check.arguments for check in checks], [check.accept for check in checks])
            assert all(result.matched for result in results), name


def test_updating_a_copy_fails_with_feedback_on_the_argument(assignment: Assignment) -> None:
    results = grade(assignment, "scale__updates_a_copy")
    status, feedback = results["scale"]
    assert status is Status.FAILED
    assert "`parameters` is not as it should be after the call" in feedback
    assert 'parameters["W"]' in feedback
    assert results["normalized"][0] is results["accumulate"][0] is Status.PASSED


def test_changing_an_input_fails_even_with_the_right_result(assignment: Assignment) -> None:
    results = grade(assignment, "normalized__changes_its_input")
    status, feedback = results["normalized"]
    assert status is Status.FAILED
    assert "changed its argument `x`" in feedback
    assert "has wrong values" in feedback and feedback.count("has wrong values") == 1  # the argument, not `y`
    assert results["scale"][0] is results["accumulate"][0] is Status.PASSED


def test_the_watched_arguments_come_back_after_the_call(assignment: Assignment) -> None:
    check = prepare_checks(assignment)["scale"][0]
    with Worker() as worker:
        worker.load(SUBMISSIONS / "scale__updates_a_copy.py")
        result = worker.call_many("scale", [check.arguments])[0]
    count, (parameters,) = result.value
    assert count == 2
    np.testing.assert_array_equal(parameters["W"], check.call.args[0]["W"])  # unchanged: a copy was scaled
    assert not np.array_equal(check.expected_after[0]["W"], check.call.args[0]["W"])  # as the reference does


def test_a_reference_that_changes_an_argument_it_should_leave_is_an_assignment_error(assignment: Assignment) -> None:
    broken = replace(assignment, functions=[replace(assignment.functions[0], updates_in_place=(),
                                                    leaves_unchanged=("parameters",))])
    with pytest.raises(AssignmentError, match="changes 'parameters'"):
        prepare_checks(broken)


def test_watching_an_argument_the_fixtures_do_not_pass_is_an_assignment_error(assignment: Assignment) -> None:
    broken = replace(assignment, functions=[replace(assignment.functions[1], leaves_unchanged=("z",))])
    with pytest.raises(AssignmentError, match="watches the argument 'z'"):
        prepare_checks(broken)


def test_a_wrong_update_of_what_the_function_returns_is_described_once(assignment: Assignment) -> None:
    results = grade(assignment, "accumulate__adds_twice")
    status, feedback = results["accumulate"]
    assert status is Status.FAILED
    assert feedback.count('totals["sum"]') == 1 and "after the call" not in feedback
