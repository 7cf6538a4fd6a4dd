"""A result is accepted from its encoding alone only when ``compare`` would find it equal to the expected one."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from grader.assignment import Tolerance
from grader.compare import compare, tolerances_used
from grader.expected import ExpectedEncoding
from grader.sandbox import wire

DEFAULT = Tolerance()
OUTPUTS = ("a", "y", "cache")


def expected_value(rng: np.random.Generator) -> tuple[Any, ...]:
    parameters = {"Wax": rng.standard_normal((5, 3)), "ba": rng.standard_normal((5, 1))}
    steps = [(rng.standard_normal((5, 10)), parameters) for _ in range(3)]  # shared, as in a cache
    return rng.standard_normal((5, 10, 3)), np.arange(4), (steps, "rnn", 2.5)


def accepted(expected: Any, got: Any, tolerance_for: Any = lambda path: DEFAULT) -> bool:
    tolerances = tolerances_used(expected, outputs=OUTPUTS, tolerance_for=tolerance_for)
    encoding = ExpectedEncoding.of(expected, tolerances)
    assert encoding is not None
    return encoding.matches(bytearray(wire.encode(got)))


def agrees_with_compare(expected: Any, got: Any) -> bool:
    return not compare(expected, got, outputs=OUTPUTS, tolerance_for=lambda path: DEFAULT)


def nudged(value: Any, factor: float) -> Any:
    """``value`` with every float64 array scaled by ``factor``, objects shared within it still shared."""
    memo: dict[int, Any] = {}

    def copy(item: Any) -> Any:
        if id(item) in memo:
            return memo[id(item)]
        if isinstance(item, np.ndarray):
            result = item * factor if item.dtype == np.float64 else item.copy()
        elif isinstance(item, dict):
            result = {key: copy(child) for key, child in item.items()}
        elif isinstance(item, (list, tuple)):
            result = type(item)(copy(child) for child in item)
        else:
            return item
        memo[id(item)] = result
        return result

    return copy(value)


def test_the_same_value_and_one_within_tolerance_are_accepted() -> None:
    expected = expected_value(np.random.default_rng(0))
    assert accepted(expected, expected)
    assert accepted(expected, nudged(expected, 1 + 1e-12))
    assert agrees_with_compare(expected, nudged(expected, 1 + 1e-12))


@pytest.mark.parametrize("factor", [1 + 1e-3, 1 - 1e-4, 2.0, -1.0])
def test_values_beyond_the_tolerance_are_not_accepted(factor: float) -> None:
    expected = expected_value(np.random.default_rng(1))
    assert not accepted(expected, nudged(expected, factor))
    assert not agrees_with_compare(expected, nudged(expected, factor))


def test_a_nan_is_never_accepted() -> None:
    expected = expected_value(np.random.default_rng(2))
    got = nudged(expected, 1.0)
    got[0][1, 2, 0] = np.nan
    assert not accepted(expected, got)


@pytest.mark.parametrize("change", ["list for tuple", "float32", "shape", "integers", "extra key", "unshared"])
def test_any_other_difference_is_left_to_compare(change: str) -> None:
    expected = expected_value(np.random.default_rng(3))
    a, y, (steps, name, number) = nudged(expected, 1 + 1e-12)
    if change == "list for tuple":
        got: Any = [a, y, (steps, name, number)]
    elif change == "float32":
        got = (a.astype(np.float32), y, (steps, name, number))
    elif change == "shape":
        got = (a.reshape(5, 3, 10), y, (steps, name, number))
    elif change == "integers":
        got = (a, y + 1, (steps, name, number))
    elif change == "extra key":
        steps[0][1]["extra"] = 1
        got = (a, y, (steps, name, number))
    else:
        got = (a, y, ([(step, dict(parameters)) for step, parameters in steps], name, number))
    assert not accepted(expected, got)


def test_only_the_exact_bytes_are_accepted_when_outputs_have_different_tolerances() -> None:
    expected = expected_value(np.random.default_rng(4))

    def tolerance_for(path: str) -> Tolerance:
        return Tolerance(rtol=1e-2) if path.startswith("a") else DEFAULT

    assert accepted(expected, expected, tolerance_for)
    assert not accepted(expected, nudged(expected, 1 + 1e-12), tolerance_for)


def test_an_acceptance_always_agrees_with_compare() -> None:
    rng = np.random.default_rng(5)
    expected = expected_value(rng)
    outcomes = []
    for _ in range(200):
        got = nudged(expected, 1 + rng.choice([-1, 1]) * 10 ** rng.uniform(-9, -3))
        got[0][tuple(rng.integers(0, size) for size in got[0].shape)] += rng.normal() * 10 ** rng.uniform(-9, -5)
        outcomes.append(accepted(expected, got))
        if outcomes[-1]:
            assert agrees_with_compare(expected, got)
    assert 0 < sum(outcomes) < len(outcomes)  # both sides of the tolerance were tried


def test_a_value_that_cannot_be_encoded_has_no_encoding() -> None:
    assert ExpectedEncoding.of({1, 2}, set()) is None
