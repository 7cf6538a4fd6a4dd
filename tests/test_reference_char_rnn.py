"""The reference solution of ``char_rnn`` is right, and its suite's fixtures are what they claim.

* On the notebook's public checks the reference reproduces each value published in exercises.md (``clip``,
  ``sample``, ``optimize``), to the printed precision, and so does the README's snippet.
* ``rnn_step_backward`` and ``rnn_backward`` agree with central differences of the loss they differentiate.
* Every fixture builds deterministically and the reference's outputs have the contract's structure and shapes;
  the hidden fixtures reach the cases the contract singles out (clipping of every gradient, 50 sampled
  characters, a training run through the examples more than once), and ``model``'s stay fast.
* The names file is what ``model`` expects; every graded function, and nothing else, has regions, and the stub
  generated from the solution runs.
"""

from __future__ import annotations

import importlib.util
import re
import string
from collections.abc import Callable, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest
from reference_checks import (
    GradientCase,
    assert_builds_deterministically,
    assert_gradients_match,
    assert_matches_printed,
    input_roots,
    observe,
    output_roots,
    readme_public_check,
)

from grader.assignment import Fixture, GradedFunction, Visibility
from grader.reference import load_solution, run_reference
from grader.stubs import find_regions, make_stub
from grader.suites.char_rnn import ASSIGNMENT, NAMES_FILE

FUNCTIONS = [graded.name for graded in ASSIGNMENT.functions]
FIXTURES = [(graded, fixture) for graded in ASSIGNMENT.functions for fixture in graded.fixtures]
FIXTURE_IDS = [f"{graded.name}-{fixture.name}" for graded, fixture in FIXTURES]
PARAMETERS = ("Wax", "Waa", "Wya", "b", "by")
CLIPPED = ("dWax", "dWaa", "dWya", "db", "dby")
MAX_MODEL_ITERATIONS = 1000
MAX_MODEL_HIDDEN_UNITS = 20


@pytest.fixture(scope="module")
def reference() -> ModuleType:
    return load_solution(ASSIGNMENT)


# --- Published values ------------------------------------------------------------------------------------------
# Copied verbatim from exercises.md: numbers as printed, the sampled indices and argmax as ints.

PUBLISHED: dict[str, dict[str, str | int | list[int]]] = {
    "clip": {
        'gradients["dWaa"][1][2]': "10.0",
        'gradients["dWax"][3][1]': "-10.0",
        'gradients["dWya"][1][2]': "0.29713815361",
        'gradients["db"][4]': "[10.]",
        'gradients["dby"][1]': "[8.45833407]",
    },
    "sample": {
        "indices": [23, 16, 26, 26, 24, 3, 21, 1, 7, 24, 15, 3, 25, 20, 6, 13, 10, 8, 20, 12, 2, 0],
    },
    "optimize": {
        "loss": "126.503975722",
        'gradients["dWaa"][1][2]': "0.194709315347",
        'argmax(gradients["dWax"])': 93,
        'gradients["dWya"][1][2]': "-0.007773876032",
        'gradients["db"][4]': "[-0.06809825]",
        'gradients["dby"][1]': "[0.01538192]",
        "a_last[4]": "[-1.]",
    },
}


def named_outputs(graded: GradedFunction, result: Any) -> dict[str, Any]:
    """The outputs by name: a tuple's by its names, a single output under its own name."""
    return {graded.outputs: result} if isinstance(graded.outputs, str) else output_roots(graded, result)


def read(outputs: Mapping[str, Any], expression: str) -> Any:
    """``argmax(path)``, or what ``observe`` reads."""
    argmax = re.fullmatch(r"argmax\((.+)\)", expression)
    return int(np.argmax(observe(outputs, argmax[1]))) if argmax else observe(outputs, expression)


@pytest.mark.parametrize("function", sorted(PUBLISHED))
def test_reference_reproduces_the_published_values(reference: ModuleType, function: str) -> None:
    graded = ASSIGNMENT.function(function)
    public = graded.fixtures[0]
    assert (public.name, public.visibility, public.description) == ("public", Visibility.PUBLIC, "the notebook's check")
    outputs = named_outputs(graded, run_reference(reference, function, public.build(reference)))
    for expression, published in PUBLISHED[function].items():
        got = read(outputs, expression)
        if isinstance(published, str):
            assert_matches_printed(got, published, expression)
        else:
            assert got == published, expression


def test_the_readme_public_check_prints_the_published_values() -> None:
    printed = readme_public_check(ASSIGNMENT)
    for line in printed.splitlines():
        expression, _, value = line.partition(" = ")
        assert_matches_printed(float(value.strip("[]")), PUBLISHED["clip"][expression].strip("[]"), expression)


# --- Gradient checks -------------------------------------------------------------------------------------------

N_A, VOCAB = 4, 6
X_SMALL: list[int | None] = [None, 3, 1, 5, 2]
Y_SMALL = [3, 1, 5, 2, 0]


def small_parameters(rng: np.random.Generator) -> dict[str, np.ndarray]:
    shapes = {"Wax": (N_A, VOCAB), "Waa": (N_A, N_A), "Wya": (VOCAB, N_A), "b": (N_A, 1), "by": (VOCAB, 1)}
    return {name: 0.5 * rng.standard_normal(shape) for name, shape in shapes.items()}


def step_case(reference: ModuleType, rng: np.random.Generator) -> GradientCase:
    """L = sum(dy * (Wya a + by)) + sum(da_next * a), with a = rnn_step_forward(...)'s hidden state:
    ``dy`` is the gradient of the logits, ``da_next`` that of the hidden state from later steps."""
    parameters = small_parameters(rng)
    a_prev, x = rng.standard_normal((N_A, 1)), rng.standard_normal((VOCAB, 1))
    dy, da_next = rng.standard_normal((VOCAB, 1)), rng.standard_normal((N_A, 1))

    def loss() -> float:
        a, _ = reference.rnn_step_forward(parameters, a_prev, x)
        return float(np.sum(dy * (parameters["Wya"] @ a + parameters["by"])) + np.sum(da_next * a))

    gradients = {f"d{name}": np.zeros_like(value) for name, value in parameters.items()}
    gradients["da_next"] = da_next.copy()
    a, _ = reference.rnn_step_forward(parameters, a_prev, x)
    analytic = reference.rnn_step_backward(dy, gradients, parameters, x, a, a_prev)
    wrt = {f"d{name}": parameters[name] for name in PARAMETERS}
    return GradientCase(loss=loss, analytic=analytic, wrt={**wrt, "da_next": a_prev})


def sequence_case(reference: ModuleType, rng: np.random.Generator) -> GradientCase:
    """L = rnn_forward's cross-entropy loss; ``da_next`` is its gradient with respect to ``a0``."""
    parameters = small_parameters(rng)
    a0 = rng.standard_normal((N_A, 1))

    def loss() -> float:
        return float(reference.rnn_forward(X_SMALL, Y_SMALL, a0, parameters, vocab_size=VOCAB)[0])

    _, cache = reference.rnn_forward(X_SMALL, Y_SMALL, a0, parameters, vocab_size=VOCAB)
    analytic, _ = reference.rnn_backward(X_SMALL, Y_SMALL, parameters, cache)
    wrt = {f"d{name}": parameters[name] for name in PARAMETERS}
    return GradientCase(loss=loss, analytic=analytic, wrt={**wrt, "da_next": a0})


@pytest.mark.parametrize("case", [step_case, sequence_case])
def test_backward_matches_central_differences(
    reference: ModuleType, case: Callable[[ModuleType, np.random.Generator], GradientCase]
) -> None:
    assert_gradients_match(case(reference, np.random.default_rng(2024)))


# --- Fixtures: the declared contract, determinism, output structure, what the hidden ones reach ------------------


def test_suite_declares_the_contract() -> None:
    assert FUNCTIONS == ["initialize_parameters", "rnn_step_forward", "rnn_step_backward", "update_parameters",
                         "rnn_forward", "rnn_backward", "clip", "sample", "optimize", "model"]
    assert ASSIGNMENT.max_score == 100
    assert ASSIGNMENT.provided == ("softmax", "get_initial_loss", "smooth", "get_sample")
    in_place = {graded.name: graded.updates_in_place for graded in ASSIGNMENT.functions if graded.updates_in_place}
    assert in_place == {"rnn_step_backward": ("gradients",), "update_parameters": ("parameters",),
                        "optimize": ("parameters",)}
    assert {"X", "Y", "a0", "parameters"} <= set(ASSIGNMENT.function("rnn_forward").leaves_unchanged)
    assert {"parameters", "cache"} <= set(ASSIGNMENT.function("rnn_backward").leaves_unchanged)
    assert "parameters" in ASSIGNMENT.function("sample").leaves_unchanged
    for graded in ASSIGNMENT.functions:
        public, *hidden = graded.fixtures
        assert (public.name, public.visibility) == ("public", Visibility.PUBLIC)
        assert len(hidden) >= 2 and all(fixture.visibility is Visibility.HIDDEN for fixture in hidden)
        assert [fixture.name for fixture in hidden] == [f"hidden-{k}" for k in range(1, len(hidden) + 1)]
        assert all(fixture.description for fixture in graded.fixtures)


@pytest.mark.parametrize(("graded", "fixture"), FIXTURES, ids=FIXTURE_IDS)
def test_fixture_builds_deterministically(reference: ModuleType, graded: GradedFunction, fixture: Fixture) -> None:
    assert_builds_deterministically(fixture, reference)

def shapes_of(parameters: Mapping[str, np.ndarray], prefix: str = "") -> dict[str, tuple[int, ...]]:
    return {f"{prefix}{name}": parameters[name].shape for name in PARAMETERS}


def assert_shapes(arrays: Mapping[str, Any], expected: Mapping[str, tuple[int, ...]]) -> None:
    """Exactly the keys of ``expected``, float64 arrays of those shapes."""
    assert set(arrays) == set(expected)
    for key, shape in expected.items():
        assert isinstance(arrays[key], np.ndarray) and arrays[key].dtype == np.float64, key
        assert arrays[key].shape == shape, key


def check_sequence_cache(cache: Any, steps: int, n_a: int, vocab: int) -> None:
    y_hat, a, x = cache
    assert list(y_hat) == list(x) == list(range(steps)) and list(a) == list(range(-1, steps))
    assert all(y_hat[t].shape == x[t].shape == (vocab, 1) and a[t].shape == (n_a, 1) for t in range(steps))
    assert a[-1].shape == (n_a, 1)
    assert all(np.isclose(y_hat[t].sum(), 1.0) and x[t].sum() in (0.0, 1.0) for t in range(steps))


def assert_output_contract(function: str, inputs: Mapping[str, Any], outputs: Mapping[str, Any]) -> None:
    """The outputs' structure and shapes, from the call's inputs."""
    if function == "initialize_parameters":
        n_a, n_x, n_y = inputs["n_a"], inputs["n_x"], inputs["n_y"]
        assert_shapes(outputs["parameters"], {"Wax": (n_a, n_x), "Waa": (n_a, n_a), "Wya": (n_y, n_a),
                                              "b": (n_a, 1), "by": (n_y, 1)})
        return
    parameters = inputs.get("parameters")
    if function == "rnn_step_forward":
        assert outputs["a_next"].shape == inputs["a_prev"].shape
        assert outputs["p_t"].shape == parameters["by"].shape and np.isclose(outputs["p_t"].sum(), 1.0)
    elif function == "rnn_step_backward":
        assert outputs["gradients"] is inputs["gradients"]
        assert_shapes(outputs["gradients"], {**shapes_of(parameters, "d"), "da_next": inputs["a_prev"].shape})
    elif function == "update_parameters":
        assert outputs["parameters"] is inputs["parameters"]
        assert_shapes(outputs["parameters"], shapes_of(parameters))
    elif function == "rnn_forward":
        assert isinstance(outputs["loss"], np.float64) and outputs["loss"] > 0
        vocab = inputs.get("vocab_size", 27)
        check_sequence_cache(outputs["cache"], len(inputs["X"]), inputs["a0"].shape[0], vocab)
    elif function == "rnn_backward":
        n_a = parameters["Waa"].shape[0]
        assert_shapes(outputs["gradients"], {**shapes_of(parameters, "d"), "da_next": (n_a, 1)})
        assert outputs["a"] is inputs["cache"][1]
    elif function == "clip":
        assert_shapes(outputs["gradients"], {key: inputs["gradients"][key].shape for key in CLIPPED})
        limit = inputs["maxValue"]
        assert all(np.abs(outputs["gradients"][key]).max() <= limit for key in CLIPPED)
    elif function == "sample":
        indices, newline = outputs["indices"], inputs["char_to_ix"]["\n"]
        vocab = parameters["by"].shape[0]
        assert 1 <= len(indices) <= 51 and indices[-1] == newline and newline not in indices[:-1]
        assert all(isinstance(index, (int, np.integer)) and 0 <= index < vocab for index in indices)
    elif function == "optimize":
        assert isinstance(outputs["loss"], np.float64)
        assert_shapes(outputs["gradients"], shapes_of(parameters, "d"))
        assert all(np.abs(outputs["gradients"][key]).max() <= 5 for key in CLIPPED)
        assert outputs["a_last"].shape == inputs["a_prev"].shape
    else:
        n_a, vocab = inputs["n_a"], len(inputs["char_to_ix"])
        assert_shapes(outputs["parameters"], {"Wax": (n_a, vocab), "Waa": (n_a, n_a), "Wya": (vocab, n_a),
                                              "b": (n_a, 1), "by": (vocab, 1)})
        name = outputs["last_sampled_name"]
        assert isinstance(name, str) and name and set(name.lower()) <= set(string.ascii_lowercase)


@pytest.mark.parametrize(("graded", "fixture"), FIXTURES, ids=FIXTURE_IDS)
def test_outputs_follow_the_contract(reference: ModuleType, graded: GradedFunction, fixture: Fixture) -> None:
    """Called on the fixture's own inputs, so that an output can be checked to be an input updated in place."""
    call = fixture.build(reference)
    inputs = input_roots(reference, graded.name, call.args) | dict(call.kwargs)
    result = getattr(reference, graded.name)(*call.args, **call.kwargs)
    assert_output_contract(graded.name, inputs, named_outputs(graded, result))


def test_every_hidden_clip_fixture_clips_every_gradient_on_both_sides(reference: ModuleType) -> None:
    for fixture in ASSIGNMENT.function("clip").fixtures[1:]:
        gradients, limit = fixture.build(reference).args
        for key in CLIPPED:
            assert gradients[key].max() > limit and gradients[key].min() < -limit, (fixture.name, key)


def test_the_hidden_fixtures_reach_the_edge_cases(reference: ModuleType) -> None:
    """A sample runs to 50 characters; optimize clips some gradient at 5 and uses another learning rate; a
    sequence holds the newline's index 0 and another vocabulary's size; a step starts from the zero input."""
    graded = ASSIGNMENT.function("sample")
    lengths = [len(run_reference(reference, "sample", fixture.build(reference))) for fixture in graded.fixtures[1:]]
    assert 51 in lengths and any(length < 51 for length in lengths)
    clipped = []
    for fixture in ASSIGNMENT.function("optimize").fixtures[1:]:
        call = fixture.build(reference)
        X, Y, a_prev, parameters = call.args
        gradients, _ = reference.rnn_backward(X, Y, parameters, reference.rnn_forward(X, Y, a_prev, parameters)[1])
        clipped.append(any(np.abs(gradients[key]).max() > 5 for key in CLIPPED))
    assert any(clipped)
    assert any("learning_rate" in fixture.build(reference).kwargs
               for fixture in ASSIGNMENT.function("optimize").fixtures)
    sequences = [fixture.build(reference) for fixture in ASSIGNMENT.function("rnn_forward").fixtures[1:]]
    assert any(0 in call.args[0] for call in sequences) and any("vocab_size" in call.kwargs for call in sequences)
    steps = [fixture.build(reference).args[2] for fixture in ASSIGNMENT.function("rnn_step_forward").fixtures]
    assert any(not x.any() for x in steps)


@pytest.mark.parametrize("fixture", ASSIGNMENT.function("model").fixtures, ids=lambda fixture: fixture.name)
def test_model_fixtures_train_a_small_network_briefly(reference: ModuleType, fixture: Fixture) -> None:
    """What keeps grading ``model`` fast (a tenth of a second per check here): few iterations of a small
    network, before the first sampling round after the start (every 2000 iterations)."""
    kwargs = fixture.build(reference).kwargs
    assert kwargs["num_iterations"] <= MAX_MODEL_ITERATIONS and kwargs["n_a"] <= MAX_MODEL_HIDDEN_UNITS


def test_a_model_fixture_runs_through_its_examples_more_than_once(reference: ModuleType) -> None:
    calls = [fixture.build(reference) for fixture in ASSIGNMENT.function("model").fixtures[1:]]
    assert any(call.kwargs["num_iterations"] > len(call.args[0]) for call in calls)


# --- The names file, regions and the stub ----------------------------------------------------------------------


def test_the_names_file_holds_a_few_hundred_distinct_lowercase_names() -> None:
    text = NAMES_FILE.read_text(encoding="utf-8")
    names = text.splitlines()
    assert text.endswith("\n") and len(names) >= 300 and len(set(names)) == len(names)
    assert all(re.fullmatch("[a-z]+", name) for name in names)
    assert set("".join(names)) == set(string.ascii_lowercase)


def test_regions_lie_in_every_graded_function_and_only_there() -> None:
    regions = find_regions(ASSIGNMENT.solution.read_text(encoding="utf-8"))
    assert {region.function for region in regions} == set(FUNCTIONS)


def test_the_stub_imports_and_runs(reference: ModuleType, tmp_path: Path) -> None:
    """With every region replaced by ``name = None`` lines, each graded function runs on its public check, but
    ``model``: its given code uses the loss and parameters its regions compute."""
    stub_path = tmp_path / "stub.py"
    stub_path.write_text(make_stub(ASSIGNMENT.solution.read_text(encoding="utf-8")), encoding="utf-8")
    spec = importlib.util.spec_from_file_location("char_rnn_stub", stub_path)
    assert spec is not None and spec.loader is not None
    stub = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(stub)
    for graded in ASSIGNMENT.functions:
        call = graded.fixtures[0].build(reference)
        if graded.name == "model":
            with pytest.raises(TypeError):
                run_reference(stub, graded.name, call)
        else:
            run_reference(stub, graded.name, call)
