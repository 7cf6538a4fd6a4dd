from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pytest

from grader.assignment import GradedFunction, Tolerance
from grader.compare import MAX_MISMATCHES, MAX_SHOWN_ELEMENTS, Mismatch, MismatchKind, compare

DEFAULT = Tolerance()


def check(
    expected: Any, got: Any, outputs: tuple[str, ...] | str = "x", tolerance: Tolerance = DEFAULT
) -> list[Mismatch]:
    return compare(expected, got, outputs=outputs, tolerance_for=lambda path: tolerance)


def only(expected: Any, got: Any, **kwargs: Any) -> Mismatch:
    found = check(expected, got, **kwargs)
    assert len(found) == 1, found
    return found[0]


def hint_text(mismatch: Mismatch) -> str:
    return " ".join(mismatch.hints)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)


# --- matching values ---------------------------------------------------------------------------------------


def test_identical_nested_structure_matches(rng: np.random.Generator) -> None:
    value = {"a": [rng.standard_normal((3, 2)), (1, "tanh", None)], "b": True, 3: np.arange(4)}
    assert check(value, value) == []


def test_values_within_tolerance_match() -> None:
    expected = np.array([1.0, 100.0, 0.0])
    got = expected + np.array([1e-6, 1e-4, 5e-8])
    assert check(expected, got) == []


def test_float32_result_is_accepted_for_float64_expected(rng: np.random.Generator) -> None:
    expected = rng.standard_normal((4, 3))
    assert check(expected, expected.astype(np.float32), tolerance=Tolerance(rtol=1e-6, atol=1e-6)) == []


@pytest.mark.parametrize("got", [2.5, np.float64(2.5), np.float32(2.5), np.array(2.5)])
@pytest.mark.parametrize("expected", [2.5, np.float64(2.5), np.array(2.5)])
def test_scalar_forms_are_interchangeable(expected: Any, got: Any) -> None:
    assert check(expected, got) == []


@pytest.mark.parametrize("got", [[1.0, (2, 3)], (1.0, [2, 3]), (1.0, (2, 3))])
def test_lists_and_tuples_are_interchangeable(got: Any) -> None:
    assert check([1.0, [2, 3]], got) == []


def test_extra_dict_keys_are_ignored() -> None:
    assert check({"dx": 1.0}, {"dx": 1.0, "scratch": np.zeros(3)}) == []


# --- structure ---------------------------------------------------------------------------------------------


def test_missing_dict_keys_are_reported_and_present_keys_still_compared() -> None:
    found = check({"dxt": 1.0, "dba": np.zeros((5, 1)), "dWax": 2.0}, {"dxt": 1.0, "dWax": 3.0}, outputs="gradients")
    assert [(m.path, m.kind) for m in found] == [
        ('gradients["dba"]', MismatchKind.MISSING_KEY),
        ('gradients["dWax"]', MismatchKind.VALUE),
    ]
    assert found[0].expected == "ndarray of shape (5, 1), float64"
    assert found[0].got == "no such key in dict with keys dxt, dWax"


@pytest.mark.parametrize(
    ("expected", "got", "expected_text", "got_text"),
    [
        (np.zeros((5, 1)), [0.0] * 5, "ndarray of shape (5, 1), float64", "list of 5"),
        (np.zeros(3), 0.0, "ndarray of shape (3,), float64", "float"),
        ((1, 2), {"a": 1}, "tuple of 2", "dict with keys a"),
        ({"a": 1}, None, "dict with keys a", "None"),
        (1.0, "1.0", "float", "str"),
        (1.0, True, "float", "bool"),
        (None, 0, "None", "int"),
        ("tanh", np.array(["tanh"]), "str", "ndarray of shape (1,), <U4"),
    ],
)
def test_type_family_mismatches(expected: Any, got: Any, expected_text: str, got_text: str) -> None:
    mismatch = only(expected, got)
    assert (mismatch.kind, mismatch.expected, mismatch.got) == (MismatchKind.TYPE, expected_text, got_text)


def test_dict_description_shortens_long_key_lists() -> None:
    mismatch = only({k: 0 for k in "abcdefg"}, [])
    assert mismatch.expected == "dict with keys a, b, c, d, e, ..."


def test_length_mismatch_is_reported_once_without_children() -> None:
    mismatch = only([np.zeros(2)] * 10, [np.ones(2)] * 9, outputs="caches")
    assert (mismatch.path, mismatch.kind) == ("caches", MismatchKind.LENGTH)
    assert (mismatch.expected, mismatch.got) == ("list of 10", "list of 9")


def test_tuple_outputs_name_each_returned_value(rng: np.random.Generator) -> None:
    a = rng.standard_normal((3, 2))
    found = check((a, a, (a, a, a)), [a, a + 1, (a, a, a - 1)], outputs=("a_next", "yt_pred", "cache"))
    assert [(m.path, m.kind) for m in found] == [("yt_pred", MismatchKind.VALUE), ("cache[2]", MismatchKind.VALUE)]


def test_tuple_outputs_with_the_wrong_count_are_a_length_mismatch_at_the_root() -> None:
    mismatch = only((1.0, 2.0, 3.0), (1.0, 2.0), outputs=("a", "b", "c"))
    assert (mismatch.path, mismatch.kind, mismatch.got) == ("(a, b, c)", MismatchKind.LENGTH, "tuple of 2")


def test_returning_none_for_tuple_outputs_hints_at_a_missing_return() -> None:
    mismatch = only((1.0, 2.0), None, outputs=("a", "b"))
    assert mismatch.kind is MismatchKind.TYPE
    assert "missing return" in hint_text(mismatch)


def test_reference_not_matching_declared_outputs_is_an_error() -> None:
    with pytest.raises(ValueError, match="2 outputs"):
        check(1.0, (1.0, 2.0), outputs=("a", "b"))


# --- paths -------------------------------------------------------------------------------------------------


def test_paths_for_nested_tuples_lists_and_dicts() -> None:
    params = {"Wax": 1.0, "ba": 2.0}
    expected = ([0.0, 0.0, 0.0, params], {-1: 5.0, (0, 1): 6.0, "y": [1.0, [2.0, 3.0]]})
    got = ([0.0, 0.0, 0.0, {"Wax": 9.0, "ba": 2.0}], {-1: 4.0, (0, 1): 7.0, "y": [1.0, [2.0, 4.0]]})
    found = check(expected, got, outputs=("cache", "y_hat"))
    assert [m.path for m in found] == ['cache[3]["Wax"]', "y_hat[-1]", "y_hat[(0, 1)]", 'y_hat["y"][1][1]']


def test_single_output_paths_start_with_its_name() -> None:
    found = check([(0.0, 1.0, 2.0)], [(0.0, 1.0, 2.5)], outputs="caches")
    assert [m.path for m in found] == ["caches[0][2]"]


# --- shapes ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expected_shape", "got_shape"), [((3, 1), (1, 3)), ((5,), (5, 1)), ((5, 1), (5,)), ((2, 3), (3,))]
)
def test_shapes_must_match_exactly_even_when_broadcasting_would_agree(
    expected_shape: tuple[int, ...], got_shape: tuple[int, ...]
) -> None:
    expected, got = np.ones(expected_shape), np.ones(got_shape)
    assert np.allclose(expected, got)  # the trap: broadcasting calls these equal
    mismatch = only(expected, got)
    assert mismatch.kind is MismatchKind.SHAPE
    assert mismatch.expected == f"ndarray of shape {expected_shape}, float64"
    assert mismatch.got == f"ndarray of shape {got_shape}, float64"


@pytest.mark.parametrize(("expected_shape", "got_shape"), [((5, 1), (5,)), ((1, 5), (5,)), ((3, 1, 4), (3, 4))])
def test_dropped_size_one_axis_hints_keepdims(expected_shape: tuple[int, ...], got_shape: tuple[int, ...]) -> None:
    mismatch = only(np.ones(expected_shape), np.ones(got_shape))
    assert mismatch.hints and "keepdims=True" in hint_text(mismatch)


def test_extra_size_one_axis_hints_squeeze() -> None:
    mismatch = only(np.ones(5), np.ones((5, 1)))
    assert "extra size-1 axes" in hint_text(mismatch)
    assert "keepdims" not in hint_text(mismatch)


def test_unrelated_shape_gets_no_hint(rng: np.random.Generator) -> None:
    assert only(rng.standard_normal((4, 3)), rng.standard_normal((2, 6))).hints == ()


def test_transposed_result_is_detected(rng: np.random.Generator) -> None:
    expected = rng.standard_normal((4, 3))
    assert "transposed" in hint_text(only(expected, expected.T.copy()))


def test_reversed_shape_with_other_values_is_not_called_transposed(rng: np.random.Generator) -> None:
    mismatch = only(rng.standard_normal((4, 3)), rng.standard_normal((3, 4)))
    assert mismatch.kind is MismatchKind.SHAPE
    assert "transposed" not in hint_text(mismatch)


def test_transposed_square_array_is_a_value_mismatch_with_a_hint(rng: np.random.Generator) -> None:
    expected = rng.standard_normal((4, 4))
    mismatch = only(expected, expected.T.copy())
    assert mismatch.kind is MismatchKind.VALUE
    assert mismatch.hints == (
        "Your array is the expected one transposed: check the order of the factors in your matrix products and "
        "the shape you created it with.",
    )


def test_unsummed_array_is_detected_from_its_values(rng: np.random.Generator) -> None:
    dz = rng.standard_normal((5, 10))
    mismatch = only(dz.sum(axis=1, keepdims=True), dz)
    assert mismatch.hints == ("Your array still has to be summed over axis 1: use np.sum(..., axis=1, keepdims=True).",)


def test_unreduced_shape_with_other_values_suggests_a_sum_or_a_broadcast(rng: np.random.Generator) -> None:
    expected = rng.standard_normal((5, 1))
    mismatch = only(expected, expected + rng.standard_normal(5))  # (5, 1) + (5,) broadcasts to (5, 5)
    assert "Size 1 is expected along axis 1" in hint_text(mismatch)
    assert "broadcasts" in hint_text(mismatch)


def test_unreduced_over_several_axes_names_them_all(rng: np.random.Generator) -> None:
    values = rng.standard_normal((3, 4))
    assert "axes (0, 1)" in hint_text(only(values.sum(keepdims=True), values))


# --- dtypes ------------------------------------------------------------------------------------------------


def test_integers_where_floats_are_expected_are_a_dtype_mismatch() -> None:
    mismatch = only(np.array([1.0, 2.0]), np.array([1, 2]))
    assert (mismatch.kind, mismatch.got) == (MismatchKind.DTYPE, "ndarray of shape (2,), int64")
    assert "integers where floats are expected" in hint_text(mismatch)


def test_python_int_where_float_is_expected_is_a_dtype_mismatch() -> None:
    mismatch = only(3.0, 3)
    assert (mismatch.kind, mismatch.expected, mismatch.got) == (MismatchKind.DTYPE, "float", "int")


@pytest.mark.parametrize(("got", "hint"), [(np.array([True, False]), "booleans"), (np.array([1 + 0j, 2]), "")])
def test_other_kinds_where_floats_are_expected(got: np.ndarray, hint: str) -> None:
    mismatch = only(np.array([1.0, 0.0]), got)
    assert mismatch.kind is MismatchKind.DTYPE
    assert hint in hint_text(mismatch)
    assert bool(mismatch.hints) == bool(hint)


def test_floats_where_integers_are_expected() -> None:
    mismatch = only(np.array([3, 1, 4]), np.array([3.0, 1.0, 4.0]))
    assert mismatch.kind is MismatchKind.DTYPE
    assert "integers (such as indices)" in hint_text(mismatch)


def test_integer_expected_values_are_compared_exactly_whatever_the_tolerance() -> None:
    mismatch = only([3, 1, 4], [3, 1, 5], outputs="indices", tolerance=Tolerance(rtol=1.0, atol=10.0))
    assert (mismatch.path, mismatch.kind) == ("indices[2]", MismatchKind.VALUE)
    assert check(np.array([3, 1, 4], dtype=np.int64), np.array([3, 1, 4], dtype=np.int32)) == []


def test_strings_and_bools_are_compared_exactly() -> None:
    mismatch = only("tanh", "relu")
    assert mismatch.values is not None
    assert (mismatch.values.max_abs, mismatch.values.first) == (None, (((), "relu", "tanh"),))
    assert only(True, np.bool_(False)).kind is MismatchKind.VALUE
    assert check(["tanh", True], ("tanh", np.bool_(True))) == []


# --- values ------------------------------------------------------------------------------------------------


def test_value_diff_summarises_the_mismatched_elements() -> None:
    expected = np.arange(12, dtype=float).reshape(3, 4) + 1
    got = expected.copy()
    got[0, 1] += 0.5
    got[2, 3] -= 3.0
    got[1, 0] = 0.0
    mismatch = only(expected, got)
    diff = mismatch.values
    assert diff is not None and mismatch.kind is MismatchKind.VALUE
    assert (diff.mismatched, diff.total, diff.nonfinite) == (3, 12, 0)
    assert (diff.max_abs, diff.max_abs_index) == (5.0, (1, 0))
    assert diff.max_rel == pytest.approx(1.0)
    assert diff.first == (((0, 1), 2.5, 2.0), ((1, 0), 0.0, 5.0), ((2, 3), 9.0, 12.0))


def test_value_diff_keeps_only_the_first_elements_in_index_order() -> None:
    diff = only(np.zeros((4, 4)), np.ones((4, 4))).values
    assert diff is not None
    assert [index for index, _, _ in diff.first] == [(0, 0), (0, 1), (0, 2), (0, 3), (1, 0)][:MAX_SHOWN_ELEMENTS]
    assert diff.mismatched == 16


def test_relative_difference_against_an_expected_zero_is_infinite() -> None:
    diff = only(np.array([0.0, 1.0]), np.array([1.0, 1.0])).values
    assert diff is not None and diff.max_rel == np.inf


def test_nan_in_result_where_finite_expected_is_a_mismatch_with_a_hint() -> None:
    mismatch = only(np.array([1.0, 2.0, 3.0]), np.array([1.0, np.nan, np.inf]))
    assert mismatch.values is not None
    assert (mismatch.values.mismatched, mismatch.values.nonfinite) == (2, 2)
    assert mismatch.values.max_abs == np.inf
    assert "NaN or inf" in hint_text(mismatch)


def test_nan_matches_only_an_expected_nan() -> None:
    assert check(np.array([np.nan, 1.0]), np.array([np.nan, 1.0])) == []
    diff = only(np.array([np.nan, 1.0]), np.array([0.5, 1.0])).values
    assert diff is not None and (diff.mismatched, diff.nonfinite, diff.max_abs_index) == (1, 0, (0,))


def test_infinities_match_only_the_same_infinity() -> None:
    assert check(np.array([np.inf, -np.inf]), np.array([np.inf, -np.inf])) == []
    assert only(np.array([np.inf, 1.0]), np.array([-np.inf, 1.0])).kind is MismatchKind.VALUE
    assert only(np.array([np.inf, 1.0]), np.array([1e308, 1.0])).kind is MismatchKind.VALUE


def test_tolerance_is_looked_up_by_path() -> None:
    expected = {"loose": np.array([1.0]), "tight": np.array([1.0])}
    got = {"loose": np.array([1.001]), "tight": np.array([1.001])}
    seen: list[str] = []

    def tolerance_for(path: str) -> Tolerance:
        seen.append(path)
        return Tolerance(rtol=1e-2) if path.startswith('d["loose"]') else DEFAULT

    found = compare(expected, got, outputs="d", tolerance_for=tolerance_for)
    assert [m.path for m in found] == ['d["tight"]']
    assert seen == ['d["loose"]', 'd["tight"]']


def test_graded_function_tolerance_overrides_apply_to_nested_paths() -> None:
    graded = GradedFunction(
        name="f", points=1, outputs=("a", "caches"), fixtures=(), tolerances={"caches": Tolerance(rtol=1e-2)}
    )
    found = compare(
        (np.ones(2), [np.ones(2)]),
        (np.full(2, 1.001), [np.full(2, 1.001)]),
        outputs=graded.outputs,
        tolerance_for=lambda path: graded.tolerance_for(path, DEFAULT),
    )
    assert [m.path for m in found] == ["a"]


# --- value hints -------------------------------------------------------------------------------------------


def test_random_wrong_values_get_no_hint(rng: np.random.Generator) -> None:
    for shape in [(5,), (4, 4), (3, 2, 6)]:
        mismatch = only(rng.standard_normal(shape), rng.standard_normal(shape))
        assert mismatch.kind is MismatchKind.VALUE and mismatch.hints == ()


@pytest.mark.parametrize(("factor", "text"), [(2.0, "2 times"), (0.5, "0.5 times"), (-3.0, "-3 times")])
def test_constant_factor_is_detected(rng: np.random.Generator, factor: float, text: str) -> None:
    expected = rng.standard_normal((3, 4))
    mismatch = only(expected, factor * expected)
    assert mismatch.hints == (
        f"Your values are {text} the expected ones: look for a missing or extra constant factor (such as 2 or 1/m).",
    )


def test_flipped_sign_is_detected(rng: np.random.Generator) -> None:
    expected = rng.standard_normal((3, 4))
    sign = "Your values have the wrong sign everywhere: check the signs in your formula."
    assert only(expected, -expected).hints == (sign,)


def test_factor_needs_proportional_values_everywhere(rng: np.random.Generator) -> None:
    expected = rng.standard_normal(6)
    got = 2 * expected
    got[3] += 0.1
    assert only(expected, got).hints == ()
    assert only(2.0, 4.0).hints == ()  # one number is always a multiple of another


def test_all_zeros_result_is_detected(rng: np.random.Generator) -> None:
    mismatch = only(rng.standard_normal((3, 5)), np.zeros((3, 5)))
    assert mismatch.hints == ("Your result is all zeros: it looks like it was created but never filled in.",)


def test_partly_unwritten_result_is_detected(rng: np.random.Generator) -> None:
    expected = rng.standard_normal((2, 3, 5))
    got = expected.copy()
    got[..., -1] = 0.0
    assert "never written" in hint_text(only(expected, got))


@pytest.mark.parametrize(("shift", "text"), [(1, "step t+1"), (-1, "step t-1")])
def test_time_step_off_by_one_is_detected(rng: np.random.Generator, shift: int, text: str) -> None:
    expected = rng.standard_normal((2, 3, 6))
    got = np.zeros_like(expected)
    if shift == 1:
        got[..., :-1] = expected[..., 1:]
    else:
        got[..., 1:] = expected[..., :-1]
    mismatch = only(expected, got)
    assert len(mismatch.hints) == 1 and text in mismatch.hints[0]


def test_time_shift_is_not_claimed_for_values_constant_in_time() -> None:
    expected = np.ones((2, 5))
    got = expected.copy()
    got[:, -1] = 3.0
    assert only(expected, got).hints == ()


def test_correct_array_has_no_mismatch_at_all(rng: np.random.Generator) -> None:
    expected = rng.standard_normal((4, 4))
    assert check(expected, expected.copy()) == []
    assert check(np.zeros(3), np.zeros(3)) == []


def test_array_returned_where_a_number_is_expected() -> None:
    mismatch = only(0.5, np.array([[0.5]]), outputs="cost")
    assert mismatch.kind is MismatchKind.TYPE
    assert "single number" in hint_text(mismatch)


def test_list_returned_where_an_array_is_expected() -> None:
    mismatch = only(np.zeros((2, 3)), [[0.0] * 3] * 2)
    assert "convert it with np.array" in hint_text(mismatch)
    assert only(np.zeros((2, 3)), [[0.0] * 3]).hints == ()


# --- caps --------------------------------------------------------------------------------------------------


def test_number_of_records_is_capped() -> None:
    found = check([float(i) for i in range(50)], [i + 0.5 for i in range(50)], outputs="y")
    assert len(found) == MAX_MISMATCHES
    assert [m.path for m in found[:2]] == ["y[0]", "y[1]"]


def test_missing_keys_respect_the_cap() -> None:
    found = check({f"k{i}": 1.0 for i in range(30)}, {}, outputs="d")
    assert len(found) == MAX_MISMATCHES


def test_records_are_frozen() -> None:
    mismatch = only(1.0, 2.0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        mismatch.path = "y"  # type: ignore[misc]


def test_only_the_first_records_asked_for_are_detailed() -> None:
    expected = {name: np.arange(1.0, 7.0).reshape(2, 3) for name in "abc"}
    got = {name: value * 2 for name, value in expected.items()}
    full = compare(expected, got, outputs="grads", tolerance_for=lambda path: Tolerance())
    brief = compare(expected, got, outputs="grads", tolerance_for=lambda path: Tolerance(), detailed=1)
    assert [(m.path, m.kind) for m in brief] == [(m.path, m.kind) for m in full]
    assert brief[0] == full[0] and full[1].values is not None and full[1].hints
    assert all(m.values is None and not m.hints for m in brief[1:])
