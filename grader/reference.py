"""The trusted side of every check: fixture inputs and the reference solution's outputs, computed once.

Nothing here ever runs student code; the solution module is loaded only into the grader's own process.
"""

from __future__ import annotations

import copy
import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np

from grader.assignment import Assignment, Call, Fixture, GradedFunction, Tolerance
from grader.compare import tolerances_used
from grader.expected import ExpectedEncoding
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
    """``expected`` as the sandbox encodes it, or None where it cannot: a result whose encoding it accepts
    equals ``expected``, with no need to decode and compare it."""

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
    args = copy.deepcopy(call.args)
    kwargs = copy.deepcopy(dict(call.kwargs))
    np.random.seed(CALL_SEED)
    return getattr(solution, function)(*args, **kwargs)


def prepare_checks(assignment: Assignment) -> dict[str, tuple[PreparedCheck, ...]]:
    """Build every fixture and its expected output, keyed by graded function name."""
    solution = load_solution(assignment)
    return {graded.name: _prepare_function(solution, graded, assignment.default_tolerance)
            for graded in assignment.functions}


def _prepare_function(
    solution: ModuleType, graded: GradedFunction, default_tolerance: Tolerance
) -> tuple[PreparedCheck, ...]:
    if not callable(getattr(solution, graded.name, None)):
        raise AssignmentError(f"the solution does not define {graded.name}()")
    prepared = []
    for fixture in graded.fixtures:
        try:
            call = fixture.build(solution)
            expected = run_reference(solution, graded.name, call)
            arguments = encode_call(call)
        except Exception as error:
            raise AssignmentError(f"fixture {fixture.name!r} of {graded.name} fails: {error!r}") from error
        tolerances = tolerances_used(expected, outputs=graded.outputs,
                                     tolerance_for=lambda path: graded.tolerance_for(path, default_tolerance))
        prepared.append(PreparedCheck(fixture, call, expected, arguments, ExpectedEncoding.of(expected, tolerances)))
    return tuple(prepared)
