"""Grading suite of ``adam``: initialising and taking one step of the Adam optimizer.

Both functions are checked first on the notebook's public check, then on hidden fixtures drawn with seed
``k + 1`` for ``hidden-k``, in the notebook's order: the parameters ``W1, b1, W2, b2, ...``, then the gradients
``dW1, db1, ...``, then (when they come in nonzero) the moments ``v`` and ``s``. The hidden networks have 1, 2
and 3 layers of other shapes; the hidden Adam steps vary ``t`` (1 to 10), the hyper-parameters (a large and a
tiny ``epsilon`` against the gradients' size, the defaults), and the incoming ``v`` and ``s`` (zeros as
``initialize_adam`` makes them, or moments of earlier steps).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from types import ModuleType

import numpy as np

from grader.assignment import Assignment, Call, Fixture, GradedFunction, public_then_hidden
from grader.course import course_path

PUBLIC_SEED = 1

Arrays = dict[str, np.ndarray]


@dataclass(frozen=True)
class Network:
    """The shape of each layer's weights ``W1, W2, ...``; the bias ``bl`` is ``(rows of Wl, 1)``.

    The notebook's check has ``W1 (2, 3)`` and ``W2 (3, 3)``, which no real network chains; Adam does not mind.
    """

    weights: tuple[tuple[int, int], ...]

    def shapes(self, prefix: str = "") -> dict[str, tuple[int, int]]:
        """``{prefix}W1, {prefix}b1, ...`` in the notebook's order, with their shapes."""
        shapes = {}
        for layer, (rows, columns) in enumerate(self.weights, start=1):
            shapes[f"{prefix}W{layer}"] = (rows, columns)
            shapes[f"{prefix}b{layer}"] = (rows, 1)
        return shapes

    def describe(self) -> str:
        """E.g. ``"L=2, W1 (2, 3), W2 (3, 3)"``."""
        weights = [f"W{layer} {shape}" for layer, shape in enumerate(self.weights, start=1)]
        return f"L={len(self.weights)}, " + ", ".join(weights)


@dataclass(frozen=True)
class Step:
    """One Adam step: ``t``, the hyper-parameters passed (``None`` leaves the function's default), whether
    ``v`` and ``s`` come in nonzero, and the size of the gradients (and moments) drawn."""

    t: int
    learning_rate: float | None = None
    beta1: float | None = None
    beta2: float | None = None
    epsilon: float | None = None
    moments: bool = False
    scale: float = 1.0

    def kwargs(self) -> dict[str, float]:
        """The keyword arguments of the call: ``t`` and the hyper-parameters passed."""
        passed = {name: getattr(self, name) for name in ("t", "learning_rate", "beta1", "beta2", "epsilon")}
        return {name: value for name, value in passed.items() if value is not None}

    def describe(self) -> str:
        """E.g. ``"t=10, default hyper-parameters, nonzero v and s"``."""
        parts = [f"{name}={value:g}" for name, value in self.kwargs().items()]
        if len(parts) == 1:
            parts.append("default hyper-parameters")
        if self.moments:
            parts.append("nonzero v and s")
        if self.scale != 1:
            parts.append(f"gradients of size ~{self.scale:g}")
        return ", ".join(parts)


NOTEBOOK_NETWORK = Network(((2, 3), (3, 3)))
NOTEBOOK_STEP = Step(t=2, learning_rate=0.02, beta1=0.8, beta2=0.888, epsilon=1e-2)

# The hidden checks: the notebook's again (another seed), then 3, 1 and 2 layers of other shapes with, in turn,
# the default hyper-parameters at t = 10 after earlier steps, a first step with a large epsilon, and gradients
# so small that the default epsilon is not negligible.
HIDDEN = (
    (NOTEBOOK_NETWORK, NOTEBOOK_STEP),
    (Network(((5, 4), (3, 5), (1, 3))), Step(t=10, moments=True)),
    (Network(((1, 6),)), Step(t=1, learning_rate=0.1, beta1=0.5, beta2=0.75, epsilon=0.5)),
    (Network(((4, 5), (7, 4))), Step(t=3, learning_rate=0.05, beta1=0.7, beta2=0.9, moments=True, scale=1e-4)),
)


def _draw(rng: np.random.RandomState, shapes: dict[str, tuple[int, int]], scale: float = 1.0) -> Arrays:
    return {name: scale * rng.randn(*shape) for name, shape in shapes.items()}


def _initialize_adam_call(network: Network, seed: int, reference: ModuleType) -> Call:
    """``initialize_adam(parameters)`` on drawn parameters."""
    return Call(args=(_draw(np.random.RandomState(seed), network.shapes()),))


def _update_call(network: Network, step: Step, seed: int, reference: ModuleType) -> Call:
    """``update_parameters_with_adam(parameters, grads, v, s, t=..., ...)``; zero moments come from the
    reference ``initialize_adam``, as in the notebook."""
    rng = np.random.RandomState(seed)
    parameters = _draw(rng, network.shapes())
    grads = _draw(rng, network.shapes("d"), step.scale)
    if step.moments:
        v = _draw(rng, network.shapes("d"), step.scale)
        s = {name: value**2 for name, value in _draw(rng, network.shapes("d"), step.scale).items()}
    else:
        v, s = reference.initialize_adam(parameters)
    return Call(args=(parameters, grads, v, s), kwargs=step.kwargs())


def _fixtures(public: partial[Call], hidden: list[tuple[partial[Call], str]]) -> list[Fixture]:
    """The public notebook check, built with seed 1, then ``hidden-k`` built with seed ``k + 1``."""
    return public_then_hidden([(partial(public, PUBLIC_SEED), "the notebook's check")]
                              + [(partial(build, k + 1), text) for k, (build, text) in enumerate(hidden, start=1)])


ASSIGNMENT = Assignment(
    name="adam",
    version="1",
    solution=course_path("solutions/adam.py"),
    stub=course_path("assignments/adam/adam.py"),
    functions=[
        GradedFunction(
            name="initialize_adam",
            points=10,
            outputs=("v", "s"),
            fixtures=_fixtures(
                partial(_initialize_adam_call, NOTEBOOK_NETWORK),
                [(partial(_initialize_adam_call, network), network.describe()) for network, _ in HIDDEN],
            ),
        ),
        GradedFunction(
            name="update_parameters_with_adam",
            points=20,
            outputs=("parameters", "v", "s"),
            fixtures=_fixtures(
                partial(_update_call, NOTEBOOK_NETWORK, NOTEBOOK_STEP),
                [(partial(_update_call, network, step), f"{network.describe()}; {step.describe()}")
                 for network, step in HIDDEN],
            ),
            leaves_unchanged=("grads",),
        ),
    ],
)
