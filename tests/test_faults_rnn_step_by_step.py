"""Faulty submissions: every fault is contained, reported for the function it hit, and costs nothing else.

Each file under ``submissions/rnn_step_by_step/faults/`` is a whole submission with one fault. A function
that calls the faulty one may fail through it; then its feedback must point at the faulty function.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from grader.grading import Grader
from grader.registry import load_assignment
from grader.report import Report, Status
from grader.sandbox.outcome import Limits

FAULTS = Path(__file__).parent / "submissions" / "rnn_step_by_step" / "faults"
LIMITS = Limits(call_timeout_s=1.0, load_timeout_s=10.0, memory_bytes=1024 * 2**20)


@dataclass(frozen=True)
class Expected:
    """What grading a fault file must show: the function hit, its status, words its feedback must contain."""

    function: str | None
    status: Status
    says: tuple[str, ...]
    through: tuple[str, ...] = ()
    """Graded functions that call ``function`` and fail because of it."""


CATALOG = {
    "rnn_cell_forward__shape_error": Expected(
        "rnn_cell_forward", Status.ERROR, ("ValueError", "line 51", "np.dot(Wax, a_prev)"), ("rnn_forward",)),
    "rnn_cell_forward__returns_generator": Expected("rnn_cell_forward", Status.ERROR, ("generator",)),
    "rnn_forward__sys_exit": Expected("rnn_forward", Status.ERROR, ("sys.exit(3)",)),
    "rnn_forward__misspelled_name": Expected("rnn_forward", Status.ERROR, ("not defined", "rnn_foward")),
    "rnn_cell_backward__os_exit": Expected("rnn_cell_backward", Status.ERROR, ("status 7",), ("rnn_backward",)),
    "rnn_cell_backward__returns_list": Expected(
        "rnn_cell_backward", Status.FAILED, ("gradients", "list"), ("rnn_backward",)),
    "rnn_backward__segfault": Expected("rnn_backward", Status.ERROR, ("SIGSEGV",)),
    "lstm_cell_forward__infinite_loop": Expected(
        "lstm_cell_forward", Status.ERROR, ("1 s time limit",), ("lstm_forward",)),
    "lstm_cell_forward__endless_recursion": Expected(
        "lstm_cell_forward", Status.ERROR, ("RecursionError",), ("lstm_forward",)),
    "lstm_forward__memory_hog": Expected("lstm_forward", Status.ERROR, ("memory",)),
    "lstm_cell_backward__syntax_error": Expected(
        "lstm_cell_backward", Status.ERROR, ("SyntaxError", "line 373"), ("lstm_backward",)),
    "lstm_backward__missing": Expected("lstm_backward", Status.ERROR, ("lstm_backward is not defined",)),
    # Each call gets fresh inputs, shared within them as in the reference's: a cache holds the same parameters
    # at every time step, so clearing them in rnn_cell_backward breaks rnn_backward, as it would in the notebook.
    "rnn_cell_backward__mutates_inputs": Expected(
        "rnn_backward", Status.ERROR, ("KeyError: 'Wax'", "in rnn_cell_backward")),
    "rnn_forward__prints_a_lot": Expected(None, Status.PASSED, ()),
    "top_level__notebook_leftovers": Expected(None, Status.PASSED, ()),
    "top_level__helpers_from_course_module": Expected(None, Status.PASSED, ()),
}


@pytest.fixture(scope="module")
def grader() -> Grader:
    return Grader(load_assignment("rnn_step_by_step"), LIMITS)


def test_the_catalog_is_complete() -> None:
    assert {path.stem for path in FAULTS.glob("*.py")} >= set(CATALOG)


@pytest.mark.parametrize("name", sorted(CATALOG))
def test_fault_is_contained_and_reported_where_it_happened(grader: Grader, name: str) -> None:
    expected = CATALOG[name]
    report = grader.grade(FAULTS / f"{name}.py")
    tests = {test.name: test for test in report.tests}
    for test in report.tests:
        if test.name == expected.function:
            assert test.status is expected.status
            assert test.score < test.max_score
            for words in expected.says:
                assert words in test.feedback
        elif test.name in expected.through:
            assert test.score < test.max_score
            assert f"calls your {expected.function}, which fails its own checks" in test.feedback
        else:
            assert (test.status, test.score) == (Status.PASSED, test.max_score), (test.name, test.feedback)
    assert set(tests) == {graded.name for graded in grader.assignment.functions}


def test_notebook_leftovers_are_listed_but_cost_nothing(grader: Grader) -> None:
    report = grader.grade(FAULTS / "top_level__notebook_leftovers.py")
    assert report.score == report.max_score
    problems = [(problem.kind, problem.message) for problem in report.load_problems]
    kinds = [kind for kind, _ in problems]
    assert kinds.count("ModuleNotFoundError") == 2
    assert kinds.count("NameError") == 2
    assert "SystemExit" in kinds


def _statuses(report: Report) -> dict[str, Status]:
    return {test.name: test.status for test in report.tests}


def test_the_stub_scores_zero_with_not_implemented_feedback(grader: Grader) -> None:
    report = grader.grade(grader.assignment.stub)
    assert report.score == 0
    for test in report.tests:
        assert test.status is Status.ERROR
        assert f"{test.name} is not implemented yet" in test.feedback
        assert all(not check.passed for check in test.checks)


def test_a_partly_filled_stub_earns_the_filled_function(grader: Grader) -> None:
    report = grader.grade(FAULTS / "partly_filled__only_rnn_cell_forward.py")
    statuses = _statuses(report)
    assert statuses.pop("rnn_cell_forward") is Status.PASSED
    assert set(statuses.values()) == {Status.ERROR}
    assert report.score == grader.assignment.function("rnn_cell_forward").points


def test_the_solution_scores_full_marks(grader: Grader) -> None:
    report = grader.grade(grader.assignment.solution)
    assert report.score == report.max_score == 100
    assert set(_statuses(report).values()) == {Status.PASSED}
    assert report.load_problems == ()


def _without_timings(report: Report) -> dict[str, object]:
    data = report.to_dict()
    for key in ("started_at", "duration_s"):
        data.pop(key)
    for test in data["tests"]:
        for check in test["checks"]:
            check.pop("duration_s")
    return data


def test_the_same_submission_always_gets_the_same_report(grader: Grader) -> None:
    partly_wrong = Path(__file__).parent.parent / "examples" / "rnn_step_by_step" / "partly_wrong.py"
    first, second = grader.grade(partly_wrong), grader.grade(partly_wrong)
    assert 0 < first.score < first.max_score
    assert _without_timings(first) == _without_timings(second)


ENCODINGS = {
    "bom-and-crlf": lambda source: b"\xef\xbb\xbf" + source.replace("\n", "\r\n").encode("utf-8"),
    "latin-1-with-cookie": lambda source: ("# -*- coding: latin-1 -*-\n# café\n" + source).encode("latin-1"),
    "cp1252-comment-without-cookie": lambda source: "# café\n".encode("cp1252") + source.encode("utf-8"),
}


@pytest.mark.parametrize("variant", sorted(ENCODINGS))
def test_files_from_other_editors_load(grader: Grader, variant: str, tmp_path: Path) -> None:
    source = (Path(__file__).parent.parent / "examples" / "rnn_step_by_step" / "correct.py").read_text()
    submission = tmp_path / "submission.py"
    submission.write_bytes(ENCODINGS[variant](source.replace("≈", "~")))
    report = grader.grade(submission)
    assert report.score == report.max_score
    kinds = {problem.kind for problem in report.load_problems}
    assert kinds == ({"UnicodeDecodeError"} if variant.endswith("without-cookie") else set())


def test_checks_after_a_time_out_are_said_not_run(grader: Grader) -> None:
    report = grader.grade(FAULTS / "lstm_cell_forward__infinite_loop.py")
    feedback = next(test.feedback for test in report.tests if test.name == "lstm_cell_forward")
    assert "5 of 5 checks failed. In the public check" in feedback
    assert "exceeded the 1 s time limit" in feedback
    assert "Not run after the time-out: hidden-1, hidden-2, hidden-3, hidden-4" in feedback
    assert "Also failing" not in feedback


def test_a_training_loop_left_at_the_end_is_stopped_and_costs_nothing() -> None:
    grader = Grader(load_assignment("rnn_step_by_step"), replace(LIMITS, load_timeout_s=2.0))
    report = grader.grade(FAULTS / "top_level__training_loop_never_ends.py")
    assert report.score == report.max_score
    assert [(problem.kind, problem.message) for problem in report.load_problems] == [
        ("TimeoutError", "still running after 1 s, the time for loading the file: stopped there")]
