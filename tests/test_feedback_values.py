from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from grader.assignment import Tolerance
from grader.compare import MAX_MISMATCHES, Mismatch, MismatchKind, ValueDiff, compare
from grader.feedback_values import MAX_DETAILED, describe_mismatches, format_number


def mismatches(expected: Any, got: Any, outputs: tuple[str, ...] | str = "x") -> list[Mismatch]:
    found = compare(expected, got, outputs=outputs, tolerance_for=lambda path: Tolerance())
    assert found
    return found


@pytest.fixture
def wrong_gradients() -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    rng = np.random.default_rng(7)
    expected = {"dxt": rng.standard_normal((3, 4)), "dba": rng.standard_normal((5, 1))}
    got = {"dxt": expected["dxt"].copy(), "dba": expected["dba"] + rng.standard_normal((5, 1))}
    got["dxt"][1, 2] += 0.25
    return expected, got


def test_public_value_mismatch_reads_like_a_mismatch_table() -> None:
    expected = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    got = expected.copy()
    got[0, 1] = 2.123456789
    got[2, 0] = -1.0
    text = describe_mismatches(mismatches({"W": expected}, {"W": got}, outputs="params"), reveal_values=True)
    assert text.splitlines() == [
        'params["W"] (ndarray of shape (3, 2), float64) has wrong values:',
        "  Mismatched elements: 2 / 6 (33.3%)",
        "  Max absolute difference: 6 at index [2, 0]",
        "  Max relative difference: 1.2",
        "  index  | obtained | expected",
        "  [0, 1] | 2.12346  | 2",
        "  [2, 0] | -1       | 5",
    ]


def test_hidden_value_mismatch_never_shows_expected_or_obtained_values(
    wrong_gradients: tuple[dict[str, np.ndarray], dict[str, np.ndarray]],
) -> None:
    expected, got = wrong_gradients
    found = mismatches(expected, got, outputs="gradients")
    text = describe_mismatches(found, reveal_values=False)
    for array in (*expected.values(), *got.values()):
        for value in array.ravel().tolist():
            assert format_number(value) not in text
            assert repr(value) not in text
    assert 'gradients["dxt"] (ndarray of shape (3, 4), float64) has wrong values:' in text
    assert "Mismatched elements: 1 / 12 (8.33%)" in text
    assert "Max absolute difference: 0.25 at index [1, 2]" in text
    assert 'gradients["dba"] (ndarray of shape (5, 1), float64) has wrong values:' in text
    assert "obtained" not in text and "Max relative" not in text


def test_public_mode_shows_the_values_hidden_mode_omits(
    wrong_gradients: tuple[dict[str, np.ndarray], dict[str, np.ndarray]],
) -> None:
    expected, got = wrong_gradients
    text = describe_mismatches(mismatches(expected, got, outputs="gradients"), reveal_values=True)
    assert format_number(float(expected["dxt"][1, 2])) in text
    assert format_number(float(got["dxt"][1, 2])) in text


def test_scalar_value_is_one_line() -> None:
    found = mismatches(0.693147180, 0.5, outputs="cost")
    revealed = describe_mismatches(found, reveal_values=True)
    assert revealed == "cost (float) is wrong: got 0.5, expected 0.693147, off by 0.193147."
    assert describe_mismatches(found, reveal_values=False) == "cost (float) is wrong: off by 0.193147."


def test_string_value() -> None:
    found = mismatches("tanh", "relu", outputs="activation")
    assert describe_mismatches(found, reveal_values=True) == "activation (str) is wrong: got 'relu', expected 'tanh'."
    assert describe_mismatches(found, reveal_values=False) == "activation (str) is wrong."


@pytest.mark.parametrize(
    ("expected", "got", "line"),
    [
        (np.zeros((5, 1)), np.zeros((1, 5)),
         "x has the wrong shape: expected ndarray of shape (5, 1), float64; got ndarray of shape (1, 5), float64."),
        (np.zeros(2), [0.0, 0.0], "x has the wrong type: expected ndarray of shape (2,), float64; got list of 2."),
        ([1, 2], [1], "x has the wrong length: expected list of 2; got list of 1."),
        ({"a": 1.0}, {"b": 1.0}, 'x["a"] is missing: expected float; got no such key in dict with keys b.'),
        (np.zeros(2), np.zeros(2, dtype=int),
         "x has the wrong dtype: expected ndarray of shape (2,), float64; got ndarray of shape (2,), int64."),
    ],
)
@pytest.mark.parametrize("reveal_values", [True, False])
def test_structural_mismatches_name_path_and_both_sides(
    expected: Any, got: Any, line: str, reveal_values: bool
) -> None:
    text = describe_mismatches(mismatches(expected, got), reveal_values=reveal_values)
    assert text.splitlines()[0] == line


def test_hints_follow_their_mismatch() -> None:
    expected = np.arange(1.0, 7.0).reshape(2, 3)
    lines = describe_mismatches(mismatches(expected, 2 * expected), reveal_values=True).splitlines()
    assert lines[-1].startswith("  Hint: Your values are 2 times the expected ones")
    assert sum(line.startswith("  Hint:") for line in lines) == 1


def test_nonfinite_elements_are_counted() -> None:
    text = describe_mismatches(mismatches(np.ones(4), np.array([1.0, np.nan, np.inf, 1.0])), reveal_values=False)
    assert "NaN or inf elements where finite values are expected: 2" in text
    assert "Max absolute difference: inf at index [1]" in text
    assert "Hint: Your result has NaN or inf" in text


def test_only_the_first_mismatches_are_detailed_and_the_rest_named() -> None:
    found = mismatches([np.ones(2)] * 5, [np.zeros(2)] * 4 + [np.ones(3)], outputs="caches")
    lines = describe_mismatches(found, reveal_values=True).splitlines()
    assert sum(line.endswith("has wrong values:") for line in lines) == MAX_DETAILED
    assert lines[-1] == "Also wrong: caches[2] (values) and 2 more in caches"


def test_capped_comparisons_say_there_may_be_more() -> None:
    found = mismatches([1.0] * 40, [2.0] * 40, outputs="y")
    assert len(found) == MAX_MISMATCHES
    assert describe_mismatches(found, reveal_values=False).splitlines()[-1] == (
        f"(The comparison stops after {MAX_MISMATCHES} problems; there may be more.)"
    )
    assert "may be more" not in describe_mismatches(found[:-1], reveal_values=False)


def test_compact_output_stays_a_few_lines_per_mismatch() -> None:
    found = mismatches(np.zeros((100, 100)), np.ones((100, 100)))
    text = describe_mismatches(found, reveal_values=True)
    assert "Mismatched elements: 10000 / 10000 (100%)" in text
    assert len(text.splitlines()) <= 1 + 3 + 1 + 5


def test_percentages_keep_small_fractions_visible() -> None:
    expected = np.zeros(1000)
    got = expected.copy()
    got[999] = 1.0
    assert "Mismatched elements: 1 / 1000 (0.1%)" in describe_mismatches(mismatches(expected, got), reveal_values=False)


def test_records_built_by_hand_are_described() -> None:
    diff = ValueDiff(mismatched=1, total=2, max_abs=0.5, max_abs_index=(1,), max_rel=0.25, nonfinite=0,
                     first=(((1,), 2.5, 2.0),))
    record = Mismatch('cache[3]["Wax"]', MismatchKind.VALUE, "ndarray of shape (2,), float64",
                      "ndarray of shape (2,), float32", values=diff, hints=("Check it.",))
    assert describe_mismatches([record], reveal_values=False).splitlines() == [
        'cache[3]["Wax"] (ndarray of shape (2,), float32) has wrong values:',
        "  Mismatched elements: 1 / 2 (50%)",
        "  Max absolute difference: 0.5 at index [1]",
        "  Hint: Check it.",
    ]


@pytest.mark.parametrize(
    ("value", "text"),
    [(0.1234567891, "0.123457"), (123456789.0, "1.23457e+08"), (-0.0, "-0"), (7, "7"), (False, "False"),
     (float("inf"), "inf"), (2.5 - 1j, "2.5-1j"), (b"ab", "b'ab'")],
)
def test_format_number(value: Any, text: str) -> None:
    assert format_number(value) == text


def test_no_mismatches_describe_to_nothing() -> None:
    assert describe_mismatches([], reveal_values=True) == ""
