"""The reference solution of ``adam`` is right, and its suite's fixtures are what they claim.

* On the public fixture the reference reproduces each value published in the notebook (exercises.md), to the
  printed precision, and the student README's check prints them.
* The update agrees with Adam written independently on every fixture, and with the closed form of a constant
  gradient: from zero moments, every step moves a parameter by ``learning_rate * g / (|g| + epsilon)``.
* Every fixture builds deterministically, has the network and the step its description claims, the hidden ones
  cover what the mutants need, and the reference's outputs have the contract's keys, shapes and dtype.
"""

from __future__ import annotations

import copy
import inspect
import re
from types import ModuleType
from typing import Any

import numpy as np
import pytest
from reference_checks import (
    assert_builds_deterministically,
    assert_identical,
    assert_matches_printed,
    observe,
    output_roots,
    readme_public_check,
)

from grader.assignment import Call, Fixture, GradedFunction, Visibility
from grader.reference import load_solution, run_reference
from grader.stubs import find_regions
from grader.suites.adam import ASSIGNMENT

Arrays = dict[str, np.ndarray]

FUNCTIONS = [graded.name for graded in ASSIGNMENT.functions]
FIXTURES = [(graded, fixture) for graded in ASSIGNMENT.functions for fixture in graded.fixtures]
FIXTURE_IDS = [f"{graded.name}-{fixture.name}" for graded, fixture in FIXTURES]
UPDATE = ASSIGNMENT.function("update_parameters_with_adam")
HYPER_PARAMETERS = {"learning_rate": 0.01, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8}
"""The contract's defaults."""


@pytest.fixture(scope="module")
def reference() -> ModuleType:
    return load_solution(ASSIGNMENT)


# --- Published values ------------------------------------------------------------------------------------------
# Copied verbatim from exercises.md.

PUBLISHED = {
    'parameters["W1"]': "[[1.63942428 -0.6268425 -0.54320974] [-1.08782943 0.85036983 -2.2865723]]",
    'parameters["b1"]': "[[1.75854357] [-0.74616067]]",
    'parameters["W2"]': "[[0.33356139 -0.26425199 1.47707772] [-2.04538458 -0.30744933 -0.36903141]"
    " [1.14873036 -1.09256871 -0.15734651]]",
    'parameters["b2"]': "[[-0.89228024] [0.02707193] [0.56782561]]",
    'v["dW1"]': "[[-0.22012384 0.22894474 0.18031814] [0.10049887 0.18017119 -0.13674557]]",
    's["dW1"]': "[[0.13567261 0.14676395 0.09104097] [0.02828006 0.09089264 0.05235818]]",
}


def printed_rows(path: str, printed: str) -> dict[str, str]:
    """A printed matrix ``[[a b] [c d]]`` at ``path`` as its printed rows, ``path[0]: [a b]`` and so on."""
    rows = printed.removeprefix("[").removesuffix("]").split("] [")
    return {f"{path}[{index}]": f"[{row.strip('[]')}]" for index, row in enumerate(rows)}


def _public(graded: GradedFunction) -> Fixture:
    fixture = graded.fixtures[0]
    assert (fixture.name, fixture.visibility) == ("public", Visibility.PUBLIC)
    return fixture


def test_reference_reproduces_the_published_values(reference: ModuleType) -> None:
    outputs = output_roots(UPDATE, run_reference(reference, UPDATE.name, _public(UPDATE).build(reference)))
    for path, printed in PUBLISHED.items():
        assert np.shape(observe(outputs, path))[0] == len(printed_rows(path, printed)), path
        for row, printed_row in printed_rows(path, printed).items():
            assert_matches_printed(observe(outputs, row), printed_row, row)


def test_the_readme_public_check_prints_the_published_values() -> None:
    printed = readme_public_check(ASSIGNMENT)
    numbers = [float(number) for number in re.findall(r"-?\d+\.\d+", printed)]
    published = [float(number) for number in re.findall(r"-?\d+\.\d+", " ".join(PUBLISHED.values()))]
    assert numbers == published


# --- The update against independent computations ---------------------------------------------------------------


def adam_step(parameters: Arrays, grads: Arrays, v: Arrays, s: Arrays, t: int, **passed: float) -> tuple[Arrays, ...]:
    """One Adam step written independently: every parameter ``P`` at once, from its gradient ``dP``."""
    h = {**HYPER_PARAMETERS, **passed}
    new_v = {key: h["beta1"] * v[key] + (1 - h["beta1"]) * g for key, g in grads.items()}
    new_s = {key: h["beta2"] * s[key] + (1 - h["beta2"]) * np.square(g) for key, g in grads.items()}
    step = {key: (new_v[key] / (1 - h["beta1"] ** t)) / (np.sqrt(new_s[key] / (1 - h["beta2"] ** t)) + h["epsilon"])
            for key in grads}
    return {name: value - h["learning_rate"] * step[f"d{name}"] for name, value in parameters.items()}, new_v, new_s


def assert_close_arrays(got: Arrays, expected: Arrays) -> None:
    assert got.keys() == expected.keys()
    for key, value in expected.items():
        np.testing.assert_allclose(got[key], value, rtol=1e-12, atol=1e-300, err_msg=key)


def test_the_signature_has_the_contract_defaults(reference: ModuleType) -> None:
    parameters = inspect.signature(reference.update_parameters_with_adam).parameters
    assert list(parameters) == ["parameters", "grads", "v", "s", "t", *HYPER_PARAMETERS]
    assert {name: parameters[name].default for name in HYPER_PARAMETERS} == HYPER_PARAMETERS


@pytest.mark.parametrize("fixture", UPDATE.fixtures, ids=[fixture.name for fixture in UPDATE.fixtures])
def test_update_matches_adam_written_independently(reference: ModuleType, fixture: Fixture) -> None:
    call = fixture.build(reference)
    got = run_reference(reference, UPDATE.name, call)
    expected = adam_step(*copy.deepcopy(call.args), **copy.deepcopy(dict(call.kwargs)))
    assert isinstance(got, tuple) and len(got) == 3
    for got_dict, expected_dict in zip(got, expected, strict=True):
        assert_close_arrays(got_dict, expected_dict)


@pytest.mark.parametrize(("beta1", "beta2", "epsilon"), [(0.9, 0.999, 1e-8), (0.5, 0.75, 0.5), (0.99, 0.5, 1e-3)])
def test_a_constant_gradient_moves_each_step_by_its_closed_form(
    reference: ModuleType, beta1: float, beta2: float, epsilon: float
) -> None:
    """From zero moments, bias correction makes ``v_corrected = g`` and ``s_corrected = g**2`` at every ``t``."""
    rng = np.random.default_rng(7)
    parameters = {"W1": rng.standard_normal((3, 4)), "b1": rng.standard_normal((3, 1)),
                  "W2": rng.standard_normal((2, 3)), "b2": rng.standard_normal((2, 1))}
    grads = {f"d{name}": rng.standard_normal(value.shape) for name, value in parameters.items()}
    v, s = reference.initialize_adam(parameters)
    for t in range(1, 11):
        before = copy.deepcopy(parameters)
        parameters, v, s = reference.update_parameters_with_adam(
            parameters, grads, v, s, t, learning_rate=0.02, beta1=beta1, beta2=beta2, epsilon=epsilon)
        moved = {name: before[name] - parameters[name] for name in parameters}
        step = {name: 0.02 * grads[f"d{name}"] / (np.abs(grads[f"d{name}"]) + epsilon) for name in parameters}
        for name in parameters:
            np.testing.assert_allclose(moved[name], step[name], rtol=1e-9, atol=1e-15, err_msg=f"{name}, t={t}")


@pytest.mark.parametrize("fixture", UPDATE.fixtures, ids=[fixture.name for fixture in UPDATE.fixtures])
def test_the_reference_leaves_grads_unchanged(reference: ModuleType, fixture: Fixture) -> None:
    assert UPDATE.leaves_unchanged == ("grads",)
    call = fixture.build(reference)
    grads = copy.deepcopy(call.args[1])
    reference.update_parameters_with_adam(*call.args, **call.kwargs)
    assert_identical(call.args[1], grads)


# --- Fixtures: determinism, claimed network and step, coverage, output contract ---------------------------------


def claimed_weights(fixture: Fixture) -> list[tuple[int, int]]:
    """The shapes of ``W1, W2, ...`` the description states; the notebook's for the public check."""
    if fixture.visibility is Visibility.PUBLIC:
        assert fixture.description == "the notebook's check"
        return [(2, 3), (3, 3)]
    layers = re.match(r"L=(\d+), ", fixture.description)
    weights = re.findall(r"W(\d+) \((\d+), (\d+)\)", fixture.description)
    assert layers and [int(layer) for layer, _, _ in weights] == list(range(1, int(layers[1]) + 1))
    return [(int(rows), int(columns)) for _, rows, columns in weights]


def claimed_step(fixture: Fixture) -> dict[str, float]:
    """The keyword arguments the description states (``t`` and the hyper-parameters passed)."""
    if fixture.visibility is Visibility.PUBLIC:
        return {"t": 2, "learning_rate": 0.02, "beta1": 0.8, "beta2": 0.888, "epsilon": 1e-2}
    return {name: float(value) for name, value in re.findall(r"(\w+)=([\d.e-]+)", fixture.description)
            if name != "L"}


def parameter_shapes(weights: list[tuple[int, int]], prefix: str = "") -> dict[str, tuple[int, int]]:
    shapes = {}
    for layer, (rows, columns) in enumerate(weights, start=1):
        shapes[f"{prefix}W{layer}"], shapes[f"{prefix}b{layer}"] = (rows, columns), (rows, 1)
    return shapes


def assert_shapes(arrays: Any, shapes: dict[str, tuple[int, int]], what: str) -> None:
    """``arrays`` is a dict with exactly these keys, in this order, of float64 arrays of these shapes."""
    assert isinstance(arrays, dict) and list(arrays) == list(shapes), what
    for key, shape in shapes.items():
        assert isinstance(arrays[key], np.ndarray), f"{what}[{key!r}]"
        assert (arrays[key].shape, arrays[key].dtype) == (shape, np.float64), f"{what}[{key!r}]"


@pytest.mark.parametrize(("graded", "fixture"), FIXTURES, ids=FIXTURE_IDS)
def test_fixture_has_its_claimed_network_and_step(reference: ModuleType, graded: GradedFunction,
                                                  fixture: Fixture) -> None:
    weights = claimed_weights(fixture)
    call = fixture.build(reference)
    assert_shapes(call.args[0], parameter_shapes(weights), "parameters")
    if graded is UPDATE:
        for position, name in enumerate(("grads", "v", "s"), start=1):
            assert_shapes(call.args[position], parameter_shapes(weights, "d"), name)
        assert len(call.args) == 4 and dict(call.kwargs) == claimed_step(fixture)
        assert all(np.all(value >= 0) for value in call.args[3].values()), "s is a moving average of squares"
    else:
        assert len(call.args) == 1 and not call.kwargs


@pytest.mark.parametrize(("graded", "fixture"), FIXTURES, ids=FIXTURE_IDS)
def test_outputs_follow_the_contract(reference: ModuleType, graded: GradedFunction, fixture: Fixture) -> None:
    weights = claimed_weights(fixture)
    outputs = output_roots(graded, run_reference(reference, graded.name, fixture.build(reference)))
    if graded is UPDATE:
        assert_shapes(outputs["parameters"], parameter_shapes(weights), "parameters")
    for moment in ("v", "s"):
        assert_shapes(outputs[moment], parameter_shapes(weights, "d"), moment)
        if graded is not UPDATE:
            assert not any(np.any(value) for value in outputs[moment].values()), f"{moment} is zeros"


@pytest.mark.parametrize(("graded", "fixture"), FIXTURES, ids=FIXTURE_IDS)
def test_fixture_builds_deterministically(reference: ModuleType, graded: GradedFunction, fixture: Fixture) -> None:
    assert_builds_deterministically(fixture, reference)

def test_suite_declares_the_contract() -> None:
    assert FUNCTIONS == ["initialize_adam", "update_parameters_with_adam"]
    assert [graded.points for graded in ASSIGNMENT.functions] == [10, 20]
    for graded in ASSIGNMENT.functions:
        hidden = graded.fixtures[1:]
        assert len(hidden) >= 4 and all(fixture.visibility is Visibility.HIDDEN for fixture in hidden)
        assert [fixture.name for fixture in hidden] == [f"hidden-{k}" for k in range(1, len(hidden) + 1)]
        assert claimed_weights(hidden[0]) == claimed_weights(graded.fixtures[0])


def test_hidden_fixtures_cover_what_the_mutants_need(reference: ModuleType) -> None:
    """1, 2 and 3 layers; t = 1 and t >= 10; the defaults; a large epsilon, and the default one against tiny
    gradients; nonzero incoming v and s."""
    calls: list[Call] = [fixture.build(reference) for fixture in UPDATE.fixtures[1:]]
    assert {len(call.args[0]) // 2 for call in calls} == {1, 2, 3}
    assert {1, 10} <= {call.kwargs["t"] for call in calls}
    assert any(set(call.kwargs) == {"t"} for call in calls)
    assert any(call.kwargs.get("epsilon", 0) >= 0.1 for call in calls)
    assert any("epsilon" not in call.kwargs and max(np.abs(g).max() for g in call.args[1].values()) < 1e-3
               for call in calls)
    assert any(all(np.any(value) for value in call.args[2].values()) for call in calls)


# --- Regions -------------------------------------------------------------------------------------------------


def test_regions_lie_in_every_graded_function_and_only_there() -> None:
    regions = find_regions(ASSIGNMENT.solution.read_text(encoding="utf-8"))
    assert {region.function for region in regions} == set(FUNCTIONS)
