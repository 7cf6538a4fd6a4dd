"""Grading suite of ``rnn_step_by_step``: forward and backward passes of a basic RNN and an LSTM.

Every function is checked first on the notebook's public check (seed 1, the notebook's draw order), then on
hidden fixtures drawn the same way with seed ``k + 1`` for ``hidden-k``: the notebook's dimensions again, then
other shapes. A backward function's cache always comes from the *reference* forward function, so a student's
backward pass is judged on reference inputs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from types import ModuleType
from typing import Any

import numpy as np

from grader.assignment import Assignment, Call, Fixture, GradedFunction, public_then_hidden
from grader.course import course_path

PUBLIC_SEED = 1


@dataclass(frozen=True)
class Dims:
    """The dimensions of one fixture; ``T_x`` is ``None`` for a single cell.

    ``T_da`` is the number of steps of the upstream gradient ``da`` when it is shorter than the forward pass.
    """

    n_x: int
    n_a: int
    n_y: int
    m: int
    T_x: int | None = None
    T_da: int | None = None

    @property
    def steps(self) -> int:
        """Number of time steps of the forward pass."""
        assert self.T_x is not None, "a single cell has no time steps"
        return self.T_x

    @property
    def steps_back(self) -> int:
        """Number of time steps the backward pass runs over."""
        return self.T_da if self.T_da is not None else self.steps

    def describe(self) -> str:
        """E.g. ``"n_x=4, n_a=6, n_y=3, m=7, T_x=5"``."""
        text = f"n_x={self.n_x}, n_a={self.n_a}, n_y={self.n_y}, m={self.m}"
        if self.T_x is not None:
            text += f", T_x={self.T_x}"
        if self.T_da is not None:
            text += f" (da: {self.T_da} steps)"
        return text


# The notebook's dimensions, and the hidden ones: the notebook's again, other sizes all different from each
# other and from the notebook's, m = 1, and an odd shape (with a single time step for the sequence functions).
NOTEBOOK_CELL = Dims(n_x=3, n_a=5, n_y=2, m=10)
NOTEBOOK_RNN = Dims(n_x=3, n_a=5, n_y=2, m=10, T_x=4)
NOTEBOOK_LSTM = Dims(n_x=3, n_a=5, n_y=2, m=10, T_x=7)
NOTEBOOK_LSTM_BACKWARD = Dims(n_x=3, n_a=5, n_y=2, m=10, T_x=7, T_da=4)
HIDDEN_CELLS = (
    NOTEBOOK_CELL,
    Dims(n_x=4, n_a=6, n_y=3, m=7),
    Dims(n_x=4, n_a=6, n_y=3, m=1),
    Dims(n_x=9, n_a=4, n_y=6, m=2),
)


def _hidden_sequences(notebook: Dims) -> tuple[Dims, ...]:
    """The hidden dimensions of a sequence function whose notebook check has dimensions ``notebook``."""
    return (
        notebook,
        Dims(n_x=4, n_a=6, n_y=3, m=7, T_x=5),
        Dims(n_x=4, n_a=6, n_y=3, m=1, T_x=5),
        Dims(n_x=9, n_a=4, n_y=6, m=2, T_x=1),
    )


# --- Drawing inputs --------------------------------------------------------------------------------------------
# Each drawer takes the generator the notebook's ``np.random.seed(seed)`` sets up, ``RandomState(seed)``, and
# draws from it in the notebook's order, leaving numpy's global random state alone.

Inputs = Callable[[np.random.RandomState, Dims], tuple[Any, ...]]
"""Draws the positional arguments of a function (or the upstream gradients of a backward one)."""

# The notebook draws the RNN parameters in one order for its forward checks and in another for its backward
# ones; lstm_backward's check leaves the output layer at zero instead of drawing it.
RNN_FORWARD_ORDER = ("Waa", "Wax", "Wya", "ba", "by")
RNN_BACKWARD_ORDER = ("Wax", "Waa", "Wya", "ba", "by")
LSTM_GATES_ORDER = ("Wf", "bf", "Wi", "bi", "Wo", "bo", "Wc", "bc")
LSTM_OUTPUT = ("Wy", "by")


def _parameter_shapes(dims: Dims) -> dict[str, tuple[int, int]]:
    gate = (dims.n_a, dims.n_a + dims.n_x)
    bias = (dims.n_a, 1)
    return {
        "Wax": (dims.n_a, dims.n_x), "Waa": (dims.n_a, dims.n_a), "Wya": (dims.n_y, dims.n_a), "ba": bias,
        "Wf": gate, "bf": bias, "Wi": gate, "bi": bias, "Wo": gate, "bo": bias, "Wc": gate, "bc": bias,
        "Wy": (dims.n_y, dims.n_a), "by": (dims.n_y, 1),
    }


def _parameters(
    drawn: Sequence[str], zeros: Sequence[str], rng: np.random.RandomState, dims: Dims
) -> dict[str, np.ndarray]:
    """Draws the ``drawn`` parameters in order, then adds the ``zeros`` ones (not drawn)."""
    shapes = _parameter_shapes(dims)
    parameters = {name: rng.randn(*shapes[name]) for name in drawn}
    parameters.update({name: np.zeros(shapes[name]) for name in zeros})
    return parameters


def _state_like(count: int, rng: np.random.RandomState, dims: Dims) -> tuple[np.ndarray, ...]:
    """``count`` arrays shaped like a state, ``(n_a, m)``: previous states, or their upstream gradients."""
    return tuple(rng.randn(dims.n_a, dims.m) for _ in range(count))


def _cell_inputs(
    states: int, drawn: Sequence[str], zeros: Sequence[str], rng: np.random.RandomState, dims: Dims
) -> tuple[Any, ...]:
    """``(xt, *previous states, parameters)``."""
    xt = rng.randn(dims.n_x, dims.m)
    return (xt, *_state_like(states, rng, dims), _parameters(drawn, zeros, rng, dims))


def _sequence_inputs(
    drawn: Sequence[str], zeros: Sequence[str], rng: np.random.RandomState, dims: Dims
) -> tuple[Any, ...]:
    """``(x, a0, parameters)``."""
    x = rng.randn(dims.n_x, dims.m, dims.steps)
    a0 = rng.randn(dims.n_a, dims.m)
    return (x, a0, _parameters(drawn, zeros, rng, dims))


def _sequence_gradient(rng: np.random.RandomState, dims: Dims) -> tuple[np.ndarray]:
    """``da`` of shape ``(n_a, m, T_da)``."""
    return (rng.randn(dims.n_a, dims.m, dims.steps_back),)


# The inputs of each check, in the notebook's draw order.
RNN_CELL = partial(_cell_inputs, 1, RNN_FORWARD_ORDER, ())
RNN_SEQUENCE = partial(_sequence_inputs, RNN_FORWARD_ORDER, ())
RNN_CELL_FOR_BACKWARD = partial(_cell_inputs, 1, RNN_BACKWARD_ORDER, ())
RNN_SEQUENCE_FOR_BACKWARD = partial(_sequence_inputs, RNN_BACKWARD_ORDER, ())
LSTM_CELL = partial(_cell_inputs, 2, LSTM_GATES_ORDER + LSTM_OUTPUT, ())
LSTM_SEQUENCE = partial(_sequence_inputs, LSTM_GATES_ORDER + LSTM_OUTPUT, ())
LSTM_SEQUENCE_FOR_BACKWARD = partial(_sequence_inputs, LSTM_GATES_ORDER, LSTM_OUTPUT)


# --- Fixture recipes -------------------------------------------------------------------------------------------

Recipe = Callable[[int, Dims, ModuleType], Call]
"""Builds a call from a seed and dimensions; ``partial(recipe, seed, dims)`` is a fixture's builder."""


def _forward(inputs: Inputs, seed: int, dims: Dims, reference: ModuleType) -> Call:
    """A forward function's call: its inputs, drawn with ``seed`` (no reference output is needed)."""
    return Call(args=inputs(np.random.RandomState(seed), dims))


def _backward(
    inputs: Inputs, forward: str, upstream: Inputs, seed: int, dims: Dims, reference: ModuleType
) -> Call:
    """A backward function's call: the reference ``forward``'s cache on drawn inputs, then upstream gradients."""
    rng = np.random.RandomState(seed)
    cache = getattr(reference, forward)(*inputs(rng, dims))[-1]
    return Call(args=(*upstream(rng, dims), cache))


def _fixtures(recipe: Recipe, notebook: Dims, hidden: Sequence[Dims]) -> list[Fixture]:
    """The public notebook check, then ``hidden-k`` drawn with seed ``k + 1`` for each of ``hidden``."""
    hidden_checks = [(partial(recipe, k + 1, dims), dims.describe()) for k, dims in enumerate(hidden, start=1)]
    return public_then_hidden([(partial(recipe, PUBLIC_SEED, notebook), "the notebook's check"), *hidden_checks])


ASSIGNMENT = Assignment(
    name="rnn_step_by_step",
    version="1",
    solution=course_path("solutions/rnn_step_by_step.py"),
    stub=course_path("assignments/rnn_step_by_step/rnn_step_by_step.py"),
    provided=("softmax", "sigmoid"),
    functions=[
        GradedFunction(
            name="rnn_cell_forward",
            points=10,
            outputs=("a_next", "yt_pred", "cache"),
            fixtures=_fixtures(partial(_forward, RNN_CELL), NOTEBOOK_CELL, HIDDEN_CELLS),
        ),
        GradedFunction(
            name="rnn_forward",
            points=10,
            outputs=("a", "y_pred", "caches"),
            fixtures=_fixtures(partial(_forward, RNN_SEQUENCE), NOTEBOOK_RNN, _hidden_sequences(NOTEBOOK_RNN)),
            calls=("rnn_cell_forward",),
        ),
        GradedFunction(
            name="rnn_cell_backward",
            points=15,
            outputs="gradients",
            fixtures=_fixtures(
                partial(_backward, RNN_CELL_FOR_BACKWARD, "rnn_cell_forward", partial(_state_like, 1)),
                NOTEBOOK_CELL,
                HIDDEN_CELLS,
            ),
        ),
        GradedFunction(
            name="rnn_backward",
            points=15,
            outputs="gradients",
            fixtures=_fixtures(
                partial(_backward, RNN_SEQUENCE_FOR_BACKWARD, "rnn_forward", _sequence_gradient),
                NOTEBOOK_RNN,
                _hidden_sequences(NOTEBOOK_RNN),
            ),
            calls=("rnn_cell_backward",),
        ),
        GradedFunction(
            name="lstm_cell_forward",
            points=10,
            outputs=("a_next", "c_next", "yt_pred", "cache"),
            fixtures=_fixtures(partial(_forward, LSTM_CELL), NOTEBOOK_CELL, HIDDEN_CELLS),
        ),
        GradedFunction(
            name="lstm_forward",
            points=10,
            outputs=("a", "y", "c", "caches"),
            fixtures=_fixtures(partial(_forward, LSTM_SEQUENCE), NOTEBOOK_LSTM, _hidden_sequences(NOTEBOOK_LSTM)),
            calls=("lstm_cell_forward",),
        ),
        GradedFunction(
            name="lstm_cell_backward",
            points=15,
            outputs="gradients",
            fixtures=_fixtures(
                partial(_backward, LSTM_CELL, "lstm_cell_forward", partial(_state_like, 2)),
                NOTEBOOK_CELL,
                HIDDEN_CELLS,
            ),
        ),
        GradedFunction(
            name="lstm_backward",
            points=15,
            outputs="gradients",
            fixtures=_fixtures(
                partial(_backward, LSTM_SEQUENCE_FOR_BACKWARD, "lstm_forward", _sequence_gradient),
                NOTEBOOK_LSTM_BACKWARD,
                _hidden_sequences(NOTEBOOK_LSTM_BACKWARD),
            ),
            calls=("lstm_cell_backward",),
        ),
    ],
)
