"""The authoring API: what an assignment suite declares.

A suite module in ``grader/suites/`` defines ``ASSIGNMENT = Assignment(...)``. The engine reads only these
declarations; it knows nothing of any particular exercise.

>>> def inputs(reference):
...     return Call(args=(1.0,))
>>> square = GradedFunction(
...     name="square", points=2, outputs="y",
...     fixtures=[Fixture("public-1", Visibility.PUBLIC, inputs)])
>>> square.tolerance_for('y', Tolerance())
Tolerance(rtol=1e-05, atol=1e-07)
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any


class Visibility(str, enum.Enum):
    """Whether a check's inputs and expected values may be shown to the student."""

    PUBLIC = "public"
    HIDDEN = "hidden"


@dataclass(frozen=True)
class Call:
    """The arguments of one call of a graded function."""

    args: tuple[Any, ...] = ()
    kwargs: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Tolerance:
    """Element-wise closeness: ``|got - expected| <= atol + rtol * |expected|``."""

    rtol: float = 1e-5
    atol: float = 1e-7


InputBuilder = Callable[[ModuleType], Call]
"""Builds one call's inputs. It receives the reference solution module, so that a backward function's inputs
can come from the reference forward pass. It must be deterministic (seed any randomness it draws)."""


@dataclass(frozen=True)
class Fixture:
    """One check of a graded function: a named, seeded set of inputs."""

    name: str
    visibility: Visibility
    build: InputBuilder
    description: str = ""
    """Shown to students with the check's result, e.g. ``"n_x=2, n_a=7, n_y=5, m=1"``."""


def public_then_hidden(checks: Sequence[tuple[InputBuilder, str]]) -> list[Fixture]:
    """Fixtures from ``(build, description)`` pairs, in order: the first is the public check, named ``public``;
    the others are hidden, named ``hidden-1``, ``hidden-2``, ..."""
    (public, public_text), *hidden = checks
    return [Fixture("public", Visibility.PUBLIC, public, public_text)] + [
        Fixture(f"hidden-{k}", Visibility.HIDDEN, build, text) for k, (build, text) in enumerate(hidden, start=1)
    ]


@dataclass(frozen=True)
class GradedFunction:
    """A function students implement, its points and the fixtures it is checked on.

    ``outputs`` names what the function returns: a tuple of names when it returns a tuple
    (``("a_next", "yt_pred", "cache")``), a single name otherwise (``"gradients"``). Feedback uses these names
    as the roots of output paths (``cache[2]``, ``gradients["dba"]``).
    ``calls`` lists the other graded functions this one uses, so that its feedback can point at them.
    ``tolerances`` overrides the assignment's default tolerance for outputs whose path starts with a key
    (``{"caches": Tolerance(rtol=1e-4)}``); an argument graded after the call (``updates_in_place``,
    ``leaves_unchanged``) is an output named after its parameter.
    """

    name: str
    points: float
    outputs: tuple[str, ...] | str
    fixtures: Sequence[Fixture]
    calls: tuple[str, ...] = ()
    tolerances: Mapping[str, Tolerance] = field(default_factory=dict)
    updates_in_place: tuple[str, ...] = ()
    """Arguments (parameter names of the reference solution) the function must update in place, such as
    ``("gradients",)``: after every call, their state is graded against the reference's after its call."""
    leaves_unchanged: tuple[str, ...] = ()
    """Arguments the function must not change: after every call, they are graded against their value before
    it. The reference solution must leave them as they were."""

    @property
    def watched(self) -> tuple[str, ...]:
        """The arguments graded after each call: those updated in place, then those left unchanged."""
        return self.updates_in_place + self.leaves_unchanged

    def tolerance_for(self, path: str, default: Tolerance) -> Tolerance:
        """The tolerance of the output at ``path``: the longest matching override, else ``default``."""
        best: tuple[int, Tolerance] = (-1, default)
        for prefix, tolerance in self.tolerances.items():
            if _path_starts_with(path, prefix) and len(prefix) > best[0]:
                best = (len(prefix), tolerance)
        return best[1]


def _path_starts_with(path: str, prefix: str) -> bool:
    return path == prefix or (path.startswith(prefix) and path[len(prefix)] in "[.")


@dataclass(frozen=True)
class Assignment:
    """A gradable assignment: its reference solution, its student stub and its graded functions."""

    name: str
    version: str
    solution: Path
    stub: Path
    functions: Sequence[GradedFunction]
    default_tolerance: Tolerance = Tolerance()
    provided: tuple[str, ...] = ()
    """Top-level helpers of the stub that the course gives students (not graded). They are defined before the
    submission runs, so that a file importing them from a course module the grader does not have, or leaving
    them out, still works; the submission's own definitions take precedence."""

    @property
    def max_score(self) -> float:
        return float(sum(function.points for function in self.functions))

    def function(self, name: str) -> GradedFunction:
        for graded in self.functions:
            if graded.name == name:
                return graded
        raise KeyError(name)
