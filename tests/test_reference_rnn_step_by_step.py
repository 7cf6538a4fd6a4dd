"""The reference solution of ``rnn_step_by_step`` is right, and its suite's fixtures are what they claim.

* On every public fixture the reference reproduces each value published in the notebook (exercises.md), to
  the printed precision.
* The four backward functions agree with central differences of a scalar loss built from the forward ones.
* Every fixture builds deterministically, has the dimensions its description claims, and the reference's
  outputs have the contract's structure, shapes and dtype.
* Every graded function, and nothing else, has START/END CODE HERE regions, and the student stub generated
  from the solution imports and runs.
"""

from __future__ import annotations

import importlib.util
import re
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
)

from grader.assignment import Fixture, GradedFunction, Visibility
from grader.reference import load_solution, run_reference
from grader.stubs import find_regions, make_stub
from grader.suites.rnn_step_by_step import ASSIGNMENT, Dims

FUNCTIONS = [graded.name for graded in ASSIGNMENT.functions]
FIXTURES = [(graded, fixture) for graded in ASSIGNMENT.functions for fixture in graded.fixtures]
FIXTURE_IDS = [f"{graded.name}-{fixture.name}" for graded, fixture in FIXTURES]


@pytest.fixture(scope="module")
def reference() -> ModuleType:
    return load_solution(ASSIGNMENT)


# --- Published values ------------------------------------------------------------------------------------------
# Copied verbatim from exercises.md: numbers as printed, shapes as tuples, lengths as ints.

PUBLISHED: dict[str, dict[str, str | tuple[int, ...] | int]] = {
    "rnn_cell_forward": {
        "a_next[4]": "[0.59584544 0.18141802 0.61311866 0.99808218 0.85016201 0.99980978 -0.18887155 0.99815551"
        " 0.6531151 0.82872037]",
        "yt_pred[1]": "[0.9888161 0.01682021 0.21140899 0.36817467 0.98988387 0.88945212 0.36920224 0.9966312"
        " 0.9982559 0.17746526]",
    },
    "rnn_forward": {
        "a[4][1]": "[-0.99999375 0.77911235 -0.99861469 -0.99833267]",
        "y_pred[1][3]": "[0.79560373 0.86224861 0.11118257 0.81515947]",
        "caches[1][1][3]": "[-1.1425182 -0.34934272 -0.20889423 0.58662319]",
        "len(caches)": 2,
    },
    "rnn_cell_backward": {
        "dxt[1][2]": "-1.3872130506",
        "da_prev[2][3]": "-0.152399493774",
        "dWax[3][1]": "0.410772824935",
        "dWaa[1][2]": "1.15034506685",
        "dba[4]": "[0.20023491]",
        "dba.shape": (5, 1),
    },
    "rnn_backward": {
        "dx[1][2]": "[-2.07101689 -0.59255627 0.02466855 0.01483317]",
        "da0[2][3]": "-0.314942375127",
        "dWax[3][1]": "11.2641044965",
        "dWaa[1][2]": "2.30333312658",
        "dba[4]": "[-0.74747722]",
    },
    "lstm_cell_forward": {
        "a_next[4]": "[-0.66408471 0.0036921 0.02088357 0.22834167 -0.85575339 0.00138482 0.76566531 0.34631421"
        " -0.00215674 0.43827275]",
        "c_next[2]": "[0.63267805 1.00570849 0.35504474 0.20690913 -1.64566718 0.11832942 0.76449811 -0.0981561"
        " -0.74348425 -0.26810932]",
        "yt_pred[1]": "[0.79913913 0.15986619 0.22412122 0.15606108 0.97057211 0.31146381 0.00943007 0.12666353"
        " 0.39380172 0.07828381]",
        "cache[1][3]": "[-0.16263996 1.03729328 0.72938082 -0.54101719 0.02752074 -0.30821874 0.07651101"
        " -1.03752894 1.41219977 -0.37647422]",
        "len(cache)": 10,
    },
    "lstm_forward": {
        "a[4][3][6]": "0.172117767533",
        "y[1][4][3]": "0.95087346185",
        "caches[1][1][1]": "[0.82797464 0.23009474 0.76201118 -0.22232814 -0.20075807 0.18656139 0.41005165]",
        "c[1][2][1]": "-0.855544916718",
        "len(caches)": 2,
    },
    "lstm_cell_backward": {
        "dxt[1][2]": "3.23055911511",
        "da_prev[2][3]": "-0.0639621419711",
        "dc_prev[2][3]": "0.797522038797",
        "dWf[3][1]": "-0.147954838164",
        "dWi[1][2]": "1.05749805523",
        "dWc[3][1]": "2.30456216369",
        "dWo[1][2]": "0.331311595289",
        "dbf[4]": "[0.18864637]",
        "dbi[4]": "[-0.40142491]",
        "dbc[4]": "[0.25587763]",
        "dbo[4]": "[0.13893342]",
    },
    "lstm_backward": {
        "dx[1][2]": "[0.00218254 0.28205375 -0.48292508 -0.43281115]",
        "dx.shape": (3, 10, 4),
        "da0[2][3]": "0.312770310257",
        "dWf[3][1]": "-0.0809802310938",
        "dWi[1][2]": "0.40512433093",
        "dWc[3][1]": "-0.0793746735512",
        "dWo[1][2]": "0.038948775763",
        "dbf[4]": "[-0.15745657]",
        "dbi[4]": "[-0.50848333]",
        "dbc[4]": "[-0.42510818]",
        "dbo[4]": "[-0.17958196]",
    },
}


def _public(graded: GradedFunction) -> Fixture:
    fixture = graded.fixtures[0]
    assert (fixture.name, fixture.visibility) == ("public", Visibility.PUBLIC)
    return fixture


@pytest.mark.parametrize("function", FUNCTIONS)
def test_reference_reproduces_the_published_values(reference: ModuleType, function: str) -> None:
    graded = ASSIGNMENT.function(function)
    call = _public(graded).build(reference)
    outputs = output_roots(graded, run_reference(reference, function, call))
    for expression, published in PUBLISHED[function].items():
        got = observe(outputs, expression)
        if isinstance(published, str):
            assert_matches_printed(got, published, expression)
        else:
            assert got == published, expression


# --- Gradient checks -------------------------------------------------------------------------------------------

N_X, N_A, N_Y, M, T_X = 2, 3, 4, 5, 3


def rnn_parameter_shapes(n_x: int, n_a: int, n_y: int) -> dict[str, tuple[int, int]]:
    return {"Wax": (n_a, n_x), "Waa": (n_a, n_a), "Wya": (n_y, n_a), "ba": (n_a, 1), "by": (n_y, 1)}


def lstm_parameter_shapes(n_x: int, n_a: int, n_y: int) -> dict[str, tuple[int, int]]:
    gates = {f"{kind}{gate}": shape for gate in "fico" for kind, shape in (("W", (n_a, n_a + n_x)), ("b", (n_a, 1)))}
    return {**gates, "Wy": (n_y, n_a), "by": (n_y, 1)}


def _randn(rng: np.random.Generator, *shape: int) -> np.ndarray:
    return rng.standard_normal(shape)


def _weights(rng: np.random.Generator, shapes: Mapping[str, tuple[int, int]]) -> dict[str, np.ndarray]:
    return {name: _randn(rng, *shape) for name, shape in shapes.items()}


def _lstm_weight_gradients(parameters: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """``dWf``, ``dbf``, ... mapped to the gate weights they are the gradients of."""
    return {f"d{kind}{gate}": parameters[f"{kind}{gate}"] for gate in "fico" for kind in "Wb"}


def rnn_cell_case(reference: ModuleType, rng: np.random.Generator) -> GradientCase:
    """L = sum(a_next * da_next)."""
    xt, a_prev, da_next = _randn(rng, N_X, M), _randn(rng, N_A, M), _randn(rng, N_A, M)
    parameters = _weights(rng, rnn_parameter_shapes(N_X, N_A, N_Y))
    return GradientCase(
        loss=lambda: float(np.sum(reference.rnn_cell_forward(xt, a_prev, parameters)[0] * da_next)),
        analytic=reference.rnn_cell_backward(da_next, reference.rnn_cell_forward(xt, a_prev, parameters)[2]),
        wrt={"dxt": xt, "da_prev": a_prev, "dWax": parameters["Wax"], "dWaa": parameters["Waa"],
             "dba": parameters["ba"]},
    )


def rnn_sequence_case(reference: ModuleType, rng: np.random.Generator) -> GradientCase:
    """L = sum(a * da)."""
    x, a0, da = _randn(rng, N_X, M, T_X), _randn(rng, N_A, M), _randn(rng, N_A, M, T_X)
    parameters = _weights(rng, rnn_parameter_shapes(N_X, N_A, N_Y))
    return GradientCase(
        loss=lambda: float(np.sum(reference.rnn_forward(x, a0, parameters)[0] * da)),
        analytic=reference.rnn_backward(da, reference.rnn_forward(x, a0, parameters)[2]),
        wrt={"dx": x, "da0": a0, "dWax": parameters["Wax"], "dWaa": parameters["Waa"], "dba": parameters["ba"]},
    )


def lstm_cell_case(reference: ModuleType, rng: np.random.Generator) -> GradientCase:
    """L = sum(a_next * da_next) + sum(c_next * dc_next)."""
    xt, a_prev, c_prev = _randn(rng, N_X, M), _randn(rng, N_A, M), _randn(rng, N_A, M)
    da_next, dc_next = _randn(rng, N_A, M), _randn(rng, N_A, M)
    parameters = _weights(rng, lstm_parameter_shapes(N_X, N_A, N_Y))

    def loss() -> float:
        a_next, c_next, _, _ = reference.lstm_cell_forward(xt, a_prev, c_prev, parameters)
        return float(np.sum(a_next * da_next) + np.sum(c_next * dc_next))

    cache = reference.lstm_cell_forward(xt, a_prev, c_prev, parameters)[3]
    return GradientCase(
        loss=loss,
        analytic=reference.lstm_cell_backward(da_next, dc_next, cache),
        wrt={"dxt": xt, "da_prev": a_prev, "dc_prev": c_prev, **_lstm_weight_gradients(parameters)},
    )


def lstm_sequence_case(reference: ModuleType, rng: np.random.Generator) -> GradientCase:
    """L = sum(a * da) over the T_x = da.shape[2] first steps; the caches come from one step more, as in the
    notebook's check where the forward pass is longer than ``da``."""
    x, a0, da = _randn(rng, N_X, M, T_X + 1), _randn(rng, N_A, M), _randn(rng, N_A, M, T_X)
    parameters = _weights(rng, lstm_parameter_shapes(N_X, N_A, N_Y))
    first_steps = x[:, :, :T_X]
    return GradientCase(
        loss=lambda: float(np.sum(reference.lstm_forward(first_steps, a0, parameters)[0] * da)),
        analytic=reference.lstm_backward(da, reference.lstm_forward(x, a0, parameters)[3]),
        wrt={"dx": first_steps, "da0": a0, **_lstm_weight_gradients(parameters)},
    )


@pytest.mark.parametrize("case", [rnn_cell_case, rnn_sequence_case, lstm_cell_case, lstm_sequence_case])
def test_backward_matches_central_differences(
    reference: ModuleType, case: Callable[[ModuleType, np.random.Generator], GradientCase]
) -> None:
    assert_gradients_match(case(reference, np.random.default_rng(2024)))


# --- Fixtures: determinism, claimed dimensions, output contract ------------------------------------------------

PUBLIC_DIMS = {
    "rnn_cell_forward": Dims(n_x=3, n_a=5, n_y=2, m=10),
    "rnn_forward": Dims(n_x=3, n_a=5, n_y=2, m=10, T_x=4),
    "rnn_cell_backward": Dims(n_x=3, n_a=5, n_y=2, m=10),
    "rnn_backward": Dims(n_x=3, n_a=5, n_y=2, m=10, T_x=4),
    "lstm_cell_forward": Dims(n_x=3, n_a=5, n_y=2, m=10),
    "lstm_forward": Dims(n_x=3, n_a=5, n_y=2, m=10, T_x=7),
    "lstm_cell_backward": Dims(n_x=3, n_a=5, n_y=2, m=10),
    "lstm_backward": Dims(n_x=3, n_a=5, n_y=2, m=10, T_x=7, T_da=4),
}


def claimed_dims(function: str, fixture: Fixture) -> Dims:
    """The notebook's dimensions for the public check, else those the description states."""
    if fixture.visibility is Visibility.PUBLIC:
        assert fixture.description == "the notebook's check"
        return PUBLIC_DIMS[function]
    sizes = {name: int(value) for name, value in re.findall(r"(\w+)=(\d+)", fixture.description)}
    steps_back = re.search(r"\(da: (\d+) steps\)", fixture.description)
    return Dims(**sizes, T_da=int(steps_back[1]) if steps_back else None)


def _parameters_at(root: str, shapes: Mapping[str, tuple[int, int]]) -> dict[str, tuple[int, int]]:
    return {f'{root}["{name}"].shape': shape for name, shape in shapes.items()}


def input_contract(function: str, d: Dims) -> dict[str, tuple[int, ...] | int]:
    """Shapes and lengths of a call's arguments with dimensions ``d``."""
    state, xt = (d.n_a, d.m), (d.n_x, d.m)
    rnn, lstm = rnn_parameter_shapes(d.n_x, d.n_a, d.n_y), lstm_parameter_shapes(d.n_x, d.n_a, d.n_y)
    contracts: dict[str, Callable[[], dict[str, tuple[int, ...] | int]]] = {
        "rnn_cell_forward": lambda: {"xt.shape": xt, "a_prev.shape": state, **_parameters_at("parameters", rnn)},
        "rnn_forward": lambda: {"x.shape": (d.n_x, d.m, d.steps), "a0.shape": state,
                                **_parameters_at("parameters", rnn)},
        "rnn_cell_backward": lambda: {"da_next.shape": state, "len(cache)": 4, "cache[1].shape": state,
                                      "cache[2].shape": xt, **_parameters_at("cache[3]", rnn)},
        "rnn_backward": lambda: {"da.shape": (d.n_a, d.m, d.steps_back), "len(caches[0])": d.steps,
                                 "caches[1].shape": (d.n_x, d.m, d.steps), **_parameters_at("caches[0][0][3]", rnn)},
        "lstm_cell_forward": lambda: {"xt.shape": xt, "a_prev.shape": state, "c_prev.shape": state,
                                      **_parameters_at("parameters", lstm)},
        "lstm_forward": lambda: {"x.shape": (d.n_x, d.m, d.steps), "a0.shape": state,
                                 **_parameters_at("parameters", lstm)},
        "lstm_cell_backward": lambda: {"da_next.shape": state, "dc_next.shape": state, "len(cache)": 10,
                                       "cache[3].shape": state, "cache[8].shape": xt,
                                       **_parameters_at("cache[9]", lstm)},
        "lstm_backward": lambda: {"da.shape": (d.n_a, d.m, d.steps_back), "len(caches[0])": d.steps,
                                  "caches[1].shape": (d.n_x, d.m, d.steps), **_parameters_at("caches[0][0][9]", lstm)},
    }
    return contracts[function]()


def output_contract(function: str, d: Dims) -> dict[str, tuple[int, ...] | int]:
    """Shapes and lengths of the outputs for dimensions ``d``; for a dict of gradients, all of its keys."""
    state, xt, yt, bias, gate = (d.n_a, d.m), (d.n_x, d.m), (d.n_y, d.m), (d.n_a, 1), (d.n_a, d.n_a + d.n_x)
    lstm_weights = {f"d{kind}{gate_name}.shape": shape for gate_name in "fico"
                    for kind, shape in (("W", gate), ("b", bias))}
    contracts: dict[str, Callable[[], dict[str, tuple[int, ...] | int]]] = {
        "rnn_cell_forward": lambda: {"a_next.shape": state, "yt_pred.shape": yt, "len(cache)": 4,
                                     "cache[0].shape": state, "cache[1].shape": state, "cache[2].shape": xt},
        "rnn_forward": lambda: {"a.shape": (d.n_a, d.m, d.steps), "y_pred.shape": (d.n_y, d.m, d.steps),
                                "len(caches)": 2, "len(caches[0])": d.steps, "caches[1].shape": (d.n_x, d.m, d.steps)},
        "rnn_cell_backward": lambda: {"dxt.shape": xt, "da_prev.shape": state, "dWax.shape": (d.n_a, d.n_x),
                                      "dWaa.shape": (d.n_a, d.n_a), "dba.shape": bias},
        "rnn_backward": lambda: {"dx.shape": (d.n_x, d.m, d.steps_back), "da0.shape": state,
                                 "dWax.shape": (d.n_a, d.n_x), "dWaa.shape": (d.n_a, d.n_a), "dba.shape": bias},
        "lstm_cell_forward": lambda: {"a_next.shape": state, "c_next.shape": state, "yt_pred.shape": yt,
                                      "len(cache)": 10, **{f"cache[{i}].shape": state for i in range(8)},
                                      "cache[8].shape": xt},
        "lstm_forward": lambda: {"a.shape": (d.n_a, d.m, d.steps), "y.shape": (d.n_y, d.m, d.steps),
                                 "c.shape": (d.n_a, d.m, d.steps), "len(caches)": 2, "len(caches[0])": d.steps,
                                 "caches[1].shape": (d.n_x, d.m, d.steps)},
        "lstm_cell_backward": lambda: {"dxt.shape": xt, "da_prev.shape": state, "dc_prev.shape": state,
                                       **lstm_weights},
        "lstm_backward": lambda: {"dx.shape": (d.n_x, d.m, d.steps_back), "da0.shape": state, **lstm_weights},
    }
    return contracts[function]()


def assert_contract(roots: Mapping[str, Any], contract: Mapping[str, tuple[int, ...] | int]) -> None:
    """Every shape and length of ``contract``; every array it names is float64."""
    for expression, expected in contract.items():
        assert observe(roots, expression) == expected, expression
        if expression.endswith(".shape"):
            assert observe(roots, expression.removesuffix(".shape")).dtype == np.float64, expression


def test_suite_declares_the_contract() -> None:
    assert FUNCTIONS == ["rnn_cell_forward", "rnn_forward", "rnn_cell_backward", "rnn_backward",
                         "lstm_cell_forward", "lstm_forward", "lstm_cell_backward", "lstm_backward"]
    assert ASSIGNMENT.max_score == 100
    for graded in ASSIGNMENT.functions:
        hidden = graded.fixtures[1:]
        assert len(hidden) >= 4 and all(fixture.visibility is Visibility.HIDDEN for fixture in hidden)
        assert [fixture.name for fixture in hidden] == [f"hidden-{k}" for k in range(1, len(hidden) + 1)]


@pytest.mark.parametrize(("graded", "fixture"), FIXTURES, ids=FIXTURE_IDS)
def test_fixture_has_its_claimed_dims_and_outputs_follow_the_contract(
    reference: ModuleType, graded: GradedFunction, fixture: Fixture
) -> None:
    dims = claimed_dims(graded.name, fixture)
    call = fixture.build(reference)
    assert_contract(input_roots(reference, graded.name, call.args), input_contract(graded.name, dims))
    outputs = output_roots(graded, run_reference(reference, graded.name, call))
    contract = output_contract(graded.name, dims)
    if isinstance(graded.outputs, str):
        assert set(outputs) == {expression.removesuffix(".shape") for expression in contract}
    assert_contract(outputs, contract)


@pytest.mark.parametrize("function", FUNCTIONS)
def test_hidden_fixtures_cover_other_shapes(function: str) -> None:
    """Another seed with the notebook's shape, sizes all different, m = 1, and T_x = 1 for sequences."""
    graded = ASSIGNMENT.function(function)
    hidden = [claimed_dims(function, fixture) for fixture in graded.fixtures[1:]]
    public = PUBLIC_DIMS[function]
    assert hidden[0] == public
    assert any(len({d.n_x, d.n_a, d.n_y, public.n_x, public.n_a, public.n_y}) == 6 for d in hidden)
    assert any(d.m == 1 for d in hidden)
    if public.T_x is not None:
        assert any(d.T_x == 1 for d in hidden)


@pytest.mark.parametrize(("graded", "fixture"), FIXTURES, ids=FIXTURE_IDS)
def test_fixture_builds_deterministically(reference: ModuleType, graded: GradedFunction, fixture: Fixture) -> None:
    assert_builds_deterministically(fixture, reference)


# --- Regions -------------------------------------------------------------------------------------------------


def test_regions_lie_in_every_graded_function_and_only_there() -> None:
    regions = find_regions(ASSIGNMENT.solution.read_text(encoding="utf-8"))
    assert {region.function for region in regions} == set(FUNCTIONS)


def test_the_stub_imports_and_runs(reference: ModuleType, tmp_path: Path) -> None:
    """With every region replaced by ``name = None`` lines, each graded function still runs on its public check."""
    stub_path = tmp_path / "stub.py"
    stub_path.write_text(make_stub(ASSIGNMENT.solution.read_text(encoding="utf-8")), encoding="utf-8")
    spec = importlib.util.spec_from_file_location("rnn_step_by_step_stub", stub_path)
    assert spec is not None and spec.loader is not None
    stub = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(stub)
    for graded in ASSIGNMENT.functions:
        run_reference(stub, graded.name, _public(graded).build(reference))
