"""Grading suite of ``char_rnn``: a character-level language model trained on dinosaur names.

``clip``, ``sample`` and ``optimize`` are checked first on the notebook's public checks (their published
values); every other function first on a public check drawn the same way (seed 1, the parameters
``Wax, Waa, Wya, b, by`` in that order; ``rnn_forward`` and ``rnn_backward`` on the inputs of the notebook's
``optimize`` check). Hidden checks then vary the seed, the hidden size ``n_a``,
the vocabulary's size where the contract allows it, the example and the hyper-parameters. Inputs that come
from a forward pass (a hidden state, a cache) come from the *reference* solution; ``model`` trains on the
names file that ships with the assignment.
"""

from __future__ import annotations

import string
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from types import ModuleType
from typing import Any

import numpy as np

from grader.assignment import Assignment, Call, Fixture, GradedFunction, public_then_hidden
from grader.course import course_path

VOCABULARY = "\n" + string.ascii_lowercase
"""The characters of the vocabulary, by index: the newline (the end of a name), then 'a'..'z'."""
NAMES_FILE = course_path("assignments/char_rnn/names.txt")
NOTEBOOK = "the notebook's check"

Example = tuple[list[int | None], list[int]]
"""``(X, Y)``: the inputs of every time step (``None`` for the zero vector) and the indices to predict."""
Builder = Callable[[ModuleType], Call]


def char_to_ix(vocab_size: int = len(VOCABULARY)) -> dict[str, int]:
    """The index of each of the first ``vocab_size`` characters of the vocabulary."""
    return {char: index for index, char in enumerate(VOCABULARY[:vocab_size])}


def ix_to_char(vocab_size: int = len(VOCABULARY)) -> dict[int, str]:
    """The character at each index of the first ``vocab_size`` of the vocabulary."""
    return dict(enumerate(VOCABULARY[:vocab_size]))


def example(name: str) -> Example:
    """The training example of a name: ``X = [None] + indices``, ``Y = X[1:] + [newline]``."""
    indices = [VOCABULARY.index(char) for char in name]
    return [None, *indices], [*indices, 0]


def names_file_lines() -> list[str]:
    """The lines of the names file, newlines kept: ``model``'s ``data_x``."""
    return NAMES_FILE.read_text(encoding="utf-8").splitlines(keepends=True)


# --- Drawing inputs: every builder draws from its own RandomState(seed), in the notebook's order ----------------


@dataclass(frozen=True)
class Case:
    """The seed and sizes of one check (``n_x = n_y = vocab_size``).

    ``scale`` multiplies the drawn weights: below 1 it keeps ``tanh`` away from saturation, where the
    gradients through it vanish.
    """

    seed: int
    n_a: int
    vocab_size: int = len(VOCABULARY)
    scale: float = 1.0

    def parameters(self, rng: np.random.RandomState) -> dict[str, np.ndarray]:
        """``Wax, Waa, Wya, b, by``, drawn in that order."""
        v = self.vocab_size
        shapes = {"Wax": (self.n_a, v), "Waa": (self.n_a, self.n_a), "Wya": (v, self.n_a), "b": (self.n_a, 1),
                  "by": (v, 1)}
        return {name: rng.randn(*shape) * self.scale for name, shape in shapes.items()}

    def describe(self) -> str:
        text = f"n_a={self.n_a}, vocab_size={self.vocab_size}"
        return text + (f", weights scaled by {self.scale:g}" if self.scale != 1 else "")


def _one_hot(index: int | None, size: int) -> np.ndarray:
    vector = np.zeros((size, 1))
    if index is not None:
        vector[index] = 1
    return vector


def _step_inputs(case: Case, index: int | None, rng: np.random.RandomState) -> tuple[Any, ...]:
    """``(parameters, a_prev, x)``: the parameters, then ``a_prev``; ``x`` is the one-hot vector of ``index``."""
    parameters = case.parameters(rng)
    return parameters, rng.randn(case.n_a, 1), _one_hot(index, case.vocab_size)


def initialize_call(n_a: int, n_x: int, n_y: int, reference: ModuleType) -> Call:
    """``initialize_parameters(n_a, n_x, n_y)``."""
    return Call(args=(n_a, n_x, n_y))


def step_forward_call(case: Case, index: int | None, target: int, reference: ModuleType) -> Call:
    """``rnn_step_forward(parameters, a_prev, x)`` (``target`` is for the backward step)."""
    return Call(args=_step_inputs(case, index, np.random.RandomState(case.seed)))


def step_backward_call(case: Case, index: int | None, target: int, reference: ModuleType) -> Call:
    """``rnn_step_backward(dy, gradients, parameters, x, a, a_prev)``: ``a`` and the prediction come from the
    reference step, ``dy`` is the prediction minus the one-hot ``target``; the gradients accumulated so far are
    drawn after the step's inputs, ``dWax, dWaa, dWya, db, dby`` then ``da_next``."""
    rng = np.random.RandomState(case.seed)
    parameters, a_prev, x = _step_inputs(case, index, rng)
    a, p_t = reference.rnn_step_forward(parameters, a_prev, x)
    gradients = {f"d{name}": rng.randn(*value.shape) for name, value in parameters.items()}
    gradients["da_next"] = rng.randn(case.n_a, 1)
    return Call(args=(p_t - _one_hot(target, case.vocab_size), gradients, parameters, x, a, a_prev))


def update_call(case: Case, lr: float, reference: ModuleType) -> Call:
    """``update_parameters(parameters, gradients, lr)``: the parameters, then their gradients in the same order."""
    rng = np.random.RandomState(case.seed)
    parameters = case.parameters(rng)
    gradients = {f"d{name}": rng.randn(*value.shape) for name, value in parameters.items()}
    return Call(args=(parameters, gradients, lr))


def sequence_call(case: Case, X: Sequence[int | None], Y: Sequence[int], reference: ModuleType) -> Call:
    """``rnn_forward(X, Y, a0, parameters)`` as the notebook's optimize check draws it: ``a0``, then the
    parameters; ``vocab_size`` is passed when it is not the default."""
    rng = np.random.RandomState(case.seed)
    a0 = rng.randn(case.n_a, 1)
    kwargs = {} if case.vocab_size == len(VOCABULARY) else {"vocab_size": case.vocab_size}
    return Call(args=(list(X), list(Y), a0, case.parameters(rng)), kwargs=kwargs)


def backward_call(case: Case, X: Sequence[int | None], Y: Sequence[int], reference: ModuleType) -> Call:
    """``rnn_backward(X, Y, parameters, cache)`` on the cache of the reference ``rnn_forward``."""
    forward = sequence_call(case, X, Y, reference)
    parameters = forward.args[3]
    _, cache = reference.rnn_forward(*forward.args, **forward.kwargs)
    return Call(args=(list(X), list(Y), parameters, cache))


def optimize_call(
    case: Case, X: Sequence[int | None], Y: Sequence[int], zero_state: bool, learning_rate: float | None,
    reference: ModuleType,
) -> Call:
    """``optimize(X, Y, a_prev, parameters)``, drawn like ``rnn_forward``'s inputs; ``a_prev`` zeroed if asked."""
    forward = sequence_call(case, X, Y, reference)
    X_, Y_, a_prev, parameters = forward.args
    kwargs = {} if learning_rate is None else {"learning_rate": learning_rate}
    return Call(args=(X_, Y_, np.zeros_like(a_prev) if zero_state else a_prev, parameters), kwargs=kwargs)


def clip_call(seed: int, n_a: int, n_x: int, n_y: int, max_value: float, reference: ModuleType) -> Call:
    """``clip(gradients, maxValue)`` with gradients drawn as the notebook does: dWax, dWaa, dWya, db, dby, times 10."""
    rng = np.random.RandomState(seed)
    shapes = {"dWax": (n_a, n_x), "dWaa": (n_a, n_a), "dWya": (n_y, n_a), "db": (n_a, 1), "dby": (n_y, 1)}
    return Call(args=({name: rng.randn(*shape) * 10 for name, shape in shapes.items()}, max_value))


def sample_call(case: Case, seed: int, newline_bias: float | None, reference: ModuleType) -> Call:
    """``sample(parameters, char_to_ix, seed)``; a ``newline_bias`` replaces ``by``'s newline entry (a very
    negative one makes the sampler run to 50 characters)."""
    parameters = case.parameters(np.random.RandomState(case.seed))
    if newline_bias is not None:
        parameters["by"][0] = newline_bias
    return Call(args=(parameters, char_to_ix(case.vocab_size), seed))


def model_call(every: int, num_iterations: int, n_a: int, dino_names: int, reference: ModuleType) -> Call:
    """``model`` on every ``every``-th line of the names file (all of them for 1)."""
    data_x = names_file_lines()[::every]
    return Call(args=(data_x, ix_to_char(), char_to_ix()),
                kwargs={"num_iterations": num_iterations, "n_a": n_a, "dino_names": dino_names})


# --- The checks of each function ------------------------------------------------------------------------------
# Each list holds the arguments of a recipe, the public check's first.

NOTEBOOK_X: list[int | None] = [12, 3, 5, 11, 22, 3]
NOTEBOOK_Y = [4, 14, 11, 22, 25, 26]

INITIALIZE_CHECKS = ((50, 27, 27), (7, 4, 3), (100, 27, 27), (3, 10, 10))
STEP_CHECKS: tuple[tuple[Case, int | None, int], ...] = (
    (Case(1, 5), 3, 7),
    (Case(2, 5), 20, 20),
    (Case(3, 7, scale=0.5), 0, 0),
    (Case(4, 4, vocab_size=10, scale=0.7), 9, 2),
    (Case(5, 3, vocab_size=5), None, 4),
)
"""``(case, index of x or None for zeros, index of the character to predict)``."""
UPDATE_CHECKS = ((Case(1, 5), 0.01), (Case(2, 5), 0.01), (Case(3, 7), 0.5), (Case(4, 4, vocab_size=10), 1.3))
SEQUENCE_CHECKS: tuple[tuple[Case, list[int | None], list[int]], ...] = (
    (Case(1, 100), NOTEBOOK_X, NOTEBOOK_Y),
    (Case(2, 100), *example("velociraptor")),
    (Case(3, 7, vocab_size=10, scale=0.5), *example("bigheaded")),
    (Case(4, 5, scale=0.6), [None, 0, 5, 0, 26], [0, 5, 0, 26, 0]),
    (Case(5, 6, scale=0.4), *example("tyrannosaurus")),
    (Case(6, 3, vocab_size=5), *example("")),
)
"""The inputs of ``rnn_forward`` and ``rnn_backward``; the public one is that of the notebook's optimize check."""
CLIP_CHECKS = ((3, 5, 3, 2, 10.0), (8, 5, 3, 2, 5.0), (5, 100, 27, 27, 10.0), (6, 7, 27, 27, 0.5), (7, 4, 10, 10, 3.7))
"""``(seed, n_a, n_x, n_y, maxValue)``."""
SAMPLE_CHECKS: tuple[tuple[Case, int, float | None], ...] = (
    (Case(24, 100), 0, None),
    (Case(25, 100), 0, None),
    (Case(3, 10), 5, None),
    (Case(4, 6, vocab_size=10), 13, None),
    (Case(5, 8, scale=0.5), 2, -30.0),
)
"""``(case, seed, newline bias or None)``."""
OPTIMIZE_CHECKS: tuple[tuple[Case, list[int | None], list[int], bool, float | None], ...] = (
    (Case(1, 100), NOTEBOOK_X, NOTEBOOK_Y, False, None),
    (Case(2, 100), *example("velociraptor"), False, None),
    (Case(3, 10, scale=0.5), *example("zuul"), False, 0.05),
    (Case(4, 30, scale=0.8), *example("tyrannosaurus"), True, None),
    (Case(5, 6), *example("a"), False, 1.5),
)
"""``(case, X, Y, a_prev zeroed, learning_rate or None for the default)``."""
MODEL_CHECKS = ((1, 300, 10, 3), (4, 700, 12, 4), (1, 300, 20, 7))
"""``(every, num_iterations, n_a, dino_names)``: the second runs through its 152 names more than four times."""


def _step_forward(case: Case, index: int | None, target: int) -> str:
    return f"{case.describe()}, x={'zeros' if index is None else f'one-hot of {index}'}"


def _step_backward(case: Case, index: int | None, target: int) -> str:
    return f"{_step_forward(case, index, target)}, dy for the target {target}"


def _sequence(case: Case, X: Sequence[int | None], Y: Sequence[int]) -> str:
    name = "".join(VOCABULARY[index] for index in X[1:] if index is not None)
    if (list(X), list(Y)) == example(name):
        return f"{case.describe()}, the example {name!r}"
    return f"{case.describe()}, X={list(X)}, Y={list(Y)}"


def _optimize(case: Case, X: Sequence[int | None], Y: Sequence[int], zero_state: bool, lr: float | None) -> str:
    return (_sequence(case, X, Y) + (", a_prev=zeros" if zero_state else "")
            + (f", learning_rate={lr:g}" if lr is not None else ""))


def _clip(seed: int, n_a: int, n_x: int, n_y: int, max_value: float) -> str:
    return f"n_a={n_a}, n_x={n_x}, n_y={n_y}, maxValue={max_value:g}"


def _sample(case: Case, seed: int, newline_bias: float | None) -> str:
    return f"{case.describe()}, seed={seed}" + (", the newline almost never drawn" if newline_bias is not None else "")


def _model(every: int, num_iterations: int, n_a: int, dino_names: int) -> str:
    names = "every name" if every == 1 else f"every {every}th name"
    return f"num_iterations={num_iterations}, n_a={n_a}, dino_names={dino_names}, {names} of the names file"


def _checks(
    recipe: Callable[..., Call], arguments: Sequence[tuple[Any, ...]], describe: Callable[..., str],
    notebook: bool = False,
) -> list[Fixture]:
    """One check per tuple of ``arguments``; the first public, described as the notebook's if ``notebook``."""
    return public_then_hidden([(partial(recipe, *args), NOTEBOOK if notebook and k == 0 else describe(*args))
                      for k, args in enumerate(arguments)])


ASSIGNMENT = Assignment(
    name="char_rnn",
    version="1",
    solution=course_path("solutions/char_rnn.py"),
    stub=course_path("assignments/char_rnn/char_rnn.py"),
    provided=("softmax", "get_initial_loss", "smooth", "get_sample"),
    functions=[
        GradedFunction(
            name="initialize_parameters",
            points=5,
            outputs="parameters",
            fixtures=_checks(initialize_call, INITIALIZE_CHECKS, "n_a={}, n_x={}, n_y={}".format),
        ),
        GradedFunction(
            name="rnn_step_forward",
            points=10,
            outputs=("a_next", "p_t"),
            fixtures=_checks(step_forward_call, STEP_CHECKS, _step_forward),
            leaves_unchanged=("parameters", "a_prev", "x"),
        ),
        GradedFunction(
            name="rnn_step_backward",
            points=15,
            outputs="gradients",
            fixtures=_checks(step_backward_call, STEP_CHECKS, _step_backward),
            updates_in_place=("gradients",),
            leaves_unchanged=("dy", "parameters", "x", "a", "a_prev"),
        ),
        GradedFunction(
            name="update_parameters",
            points=5,
            outputs="parameters",
            fixtures=_checks(update_call, UPDATE_CHECKS, lambda case, lr: f"{case.describe()}, lr={lr:g}"),
            updates_in_place=("parameters",),
            leaves_unchanged=("gradients",),
        ),
        GradedFunction(
            name="rnn_forward",
            points=10,
            outputs=("loss", "cache"),
            fixtures=_checks(sequence_call, SEQUENCE_CHECKS, _sequence),
            calls=("rnn_step_forward",),
            leaves_unchanged=("X", "Y", "a0", "parameters"),
        ),
        GradedFunction(
            name="rnn_backward",
            points=10,
            outputs=("gradients", "a"),
            fixtures=_checks(backward_call, SEQUENCE_CHECKS, _sequence),
            calls=("rnn_step_backward",),
            leaves_unchanged=("X", "Y", "parameters", "cache"),
        ),
        GradedFunction(
            name="clip",
            points=10,
            outputs="gradients",
            fixtures=_checks(clip_call, CLIP_CHECKS, _clip, notebook=True),
        ),
        GradedFunction(
            name="sample",
            points=15,
            outputs="indices",
            fixtures=_checks(sample_call, SAMPLE_CHECKS, _sample, notebook=True),
            leaves_unchanged=("parameters",),
        ),
        GradedFunction(
            name="optimize",
            points=10,
            outputs=("loss", "gradients", "a_last"),
            fixtures=_checks(optimize_call, OPTIMIZE_CHECKS, _optimize, notebook=True),
            calls=("rnn_forward", "rnn_backward", "clip", "update_parameters"),
            updates_in_place=("parameters",),
        ),
        GradedFunction(
            name="model",
            points=10,
            outputs=("parameters", "last_sampled_name"),
            fixtures=_checks(model_call, MODEL_CHECKS, _model),
            calls=("initialize_parameters", "optimize", "sample"),
        ),
    ],
)
