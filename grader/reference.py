"""The trusted side of every check: fixture inputs and the reference solution's outputs, computed once.

Nothing here ever runs student code; the solution module is loaded only into the grader's own process.
"""

from __future__ import annotations

import copy
import importlib.util
import inspect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np

from grader.assignment import Assignment, Call, Fixture, GradedFunction, Tolerance, Visibility
from grader.compare import same_values, tolerances_used
from grader.expected import ExpectedEncoding
from grader.provided import ProvidedHelperError, provided_source
from grader.sandbox import runner
from grader.sandbox.worker import encode_call

CALL_SEED = 0
"""``np.random`` is seeded with this before every call, on both sides, so that results are reproducible."""


class AssignmentError(Exception):
    """The assignment itself is broken (the instructor's fault): its solution or a fixture fails."""


@dataclass(frozen=True)
class PreparedCheck:
    """A fixture with its built inputs and the reference output for them."""

    fixture: Fixture
    call: Call
    expected: Any
    arguments: bytes
    """``call``'s arguments encoded for the sandbox, once for every submission."""
    expected_encoding: ExpectedEncoding | None
    """The expected result as the sandbox encodes it (``expected``, or ``(expected, expected_after)`` when the
    function has watched arguments), or None where it cannot: a result whose encoding it accepts is right,
    with no need to decode and compare it."""
    expected_after: tuple[Any, ...] = ()
    """The function's watched arguments (``GradedFunction.watched``) as the reference left them, in order."""
    watched_keys: tuple[int | str, ...] = ()
    """Where each watched argument is in ``call``: its position in the arguments, or its keyword."""

    @property
    def accept(self) -> Callable[[bytearray], bool] | None:
        """What tells from a result's encoding that it is right (see ``ExpectedEncoding.matches``), if anything."""
        return None if self.expected_encoding is None else self.expected_encoding.matches


def load_solution(assignment: Assignment) -> ModuleType:
    """Import the assignment's reference solution under a private module name."""
    name = f"_grader_reference_{assignment.name}"
    spec = importlib.util.spec_from_file_location(name, assignment.solution)
    if spec is None or spec.loader is None:
        raise AssignmentError(f"cannot load the solution of {assignment.name!r} from {assignment.solution}")
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as error:
        raise AssignmentError(f"the solution {assignment.solution} fails to import: {error!r}") from error
    return module


def run_reference(solution: ModuleType, function: str, call: Call) -> Any:
    """Call the reference ``function`` on a private copy of ``call``'s inputs, as the child would."""
    return _reference_call(solution, function, call, ())[0]


def _reference_call(
    solution: ModuleType, function: str, call: Call, watched: Sequence[int | str]
) -> tuple[Any, tuple[Any, ...]]:
    """``run_reference``'s result, and the ``watched`` arguments (positions, keyword names) after the call."""
    args = copy.deepcopy(call.args)
    kwargs = copy.deepcopy(dict(call.kwargs))
    np.random.seed(CALL_SEED)
    result = getattr(solution, function)(*args, **kwargs)
    return result, runner.picked(args, kwargs, tuple(watched))


@dataclass(frozen=True)
class PreparedAssignment:
    """Everything grading needs of an assignment, and nothing of its solution: its declaration, the prepared
    checks of each graded function (by name, in fixture order), the stub's text (to tell the regions a
    submission left unfilled) and the source of the helpers the course provides (run before a submission)."""

    assignment: Assignment
    checks: Mapping[str, tuple[PreparedCheck, ...]]
    stub_source: str
    preamble: str


def prepare(assignment: Assignment, visibility: Visibility | None = None) -> PreparedAssignment:
    """Prepare ``assignment`` from its solution and stub: the checks of every fixture, or only of those of
    ``visibility``. Raises ``AssignmentError``, and ``OSError`` when the stub cannot be read."""
    checks = prepare_checks(assignment, visibility)
    stub_source = assignment.stub.read_text(encoding="utf-8")
    try:
        preamble = provided_source(stub_source, assignment.provided)
    except ProvidedHelperError as error:
        raise AssignmentError(f"{assignment.stub}: {error}") from error
    return PreparedAssignment(assignment, checks, stub_source, preamble)


def prepare_checks(
    assignment: Assignment, visibility: Visibility | None = None
) -> dict[str, tuple[PreparedCheck, ...]]:
    """Build every fixture (or those of ``visibility``) and its expected output, keyed by graded function name."""
    solution = load_solution(assignment)
    return {graded.name: _prepare_function(solution, graded, assignment.default_tolerance, visibility)
            for graded in assignment.functions}


def prepared_check(
    graded: GradedFunction,
    fixture: Fixture,
    call: Call,
    watched_keys: tuple[int | str, ...],
    expected: Any,
    expected_after: tuple[Any, ...],
    default_tolerance: Tolerance,
) -> PreparedCheck:
    """The check of ``fixture``, whose reference outputs for ``call`` are ``expected`` and ``expected_after``
    (the watched arguments, found in ``call`` at ``watched_keys``): its arguments encoded for the sandbox and
    its expected encoding, once for every submission."""

    def tolerance_for(path: str) -> Tolerance:
        return graded.tolerance_for(path, default_tolerance)

    tolerances = tolerances_used(expected, outputs=graded.outputs, tolerance_for=tolerance_for)
    if watched_keys:
        tolerances |= tolerances_used(expected_after, outputs=graded.watched, tolerance_for=tolerance_for)
    encoding = ExpectedEncoding.of((expected, expected_after) if watched_keys else expected, tolerances)
    return PreparedCheck(fixture, call, expected, encode_call(call, watched_keys), encoding, expected_after,
                         watched_keys)


def _prepare_function(
    solution: ModuleType, graded: GradedFunction, default_tolerance: Tolerance, visibility: Visibility | None
) -> tuple[PreparedCheck, ...]:
    if not callable(getattr(solution, graded.name, None)):
        raise AssignmentError(f"the solution does not define {graded.name}()")
    prepared = []
    for fixture in graded.fixtures:
        if visibility is not None and fixture.visibility is not visibility:
            continue
        try:
            call = fixture.build(solution)
            watched = _watched_keys(solution, graded, call)
            expected, after = _reference_call(solution, graded.name, call, watched)
            check = prepared_check(graded, fixture, call, watched, expected, after, default_tolerance)
        except AssignmentError:
            raise
        except Exception as error:
            raise AssignmentError(f"fixture {fixture.name!r} of {graded.name} fails: {error!r}") from error
        _check_left_unchanged(graded, fixture, call, watched, after)
        prepared.append(check)
    return tuple(prepared)


def _watched_keys(solution: ModuleType, graded: GradedFunction, call: Call) -> tuple[int | str, ...]:
    """Where each watched argument of ``graded`` is in ``call``: its position in the arguments, or its keyword."""
    parameters = list(inspect.signature(getattr(solution, graded.name)).parameters)
    keys: list[int | str] = []
    for name in graded.watched:
        if name in call.kwargs:
            keys.append(name)
        elif name in parameters and parameters.index(name) < len(call.args):
            keys.append(parameters.index(name))
        else:
            raise AssignmentError(f"{graded.name}() watches the argument {name!r}, which its fixtures do not pass")
    return tuple(keys)


def _check_left_unchanged(
    graded: GradedFunction, fixture: Fixture, call: Call, watched: Sequence[int | str], after: Sequence[Any]
) -> None:
    """Raise unless the reference left each argument of ``graded.leaves_unchanged`` exactly as it was."""
    before = runner.picked(tuple(call.args), dict(call.kwargs), tuple(watched))
    for name, old, new in zip(graded.watched, before, after, strict=True):
        if name in graded.leaves_unchanged and not same_values(old, new):
            raise AssignmentError(f"the reference {graded.name}() changes {name!r} in fixture {fixture.name!r}, "
                                  "which the suite says it leaves unchanged")
