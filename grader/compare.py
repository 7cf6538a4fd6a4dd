"""Structural comparison of a student's return value with the reference's, as mismatch records.

At every node the order is: structure (type family), then length or keys, then, for numbers and arrays,
shape, dtype kind and values within tolerance. Broadcasting never decides: shapes must be equal. A node that
mismatches is reported once and not descended into; sibling branches are still compared.

>>> import numpy as np
>>> from grader.assignment import Tolerance
>>> found = compare(np.zeros((5, 1)), np.zeros(5), outputs="db", tolerance_for=lambda path: Tolerance())
>>> found[0].kind, found[0].expected, found[0].got
(<MismatchKind.SHAPE: 'shape'>, 'ndarray of shape (5, 1), float64', 'ndarray of shape (5,), float64')
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from grader.assignment import Tolerance

MAX_MISMATCHES = 20
"""``compare`` stops after this many records, so a list of exactly this length may be incomplete."""

MAX_SHOWN_ELEMENTS = 5
"""How many differing elements a ``ValueDiff`` keeps."""

Array = npt.NDArray[Any]
Index = tuple[int, ...]
Element = bool | int | float | complex | str | bytes
"""One array element as a plain Python value."""

_EXACT = Tolerance(rtol=0.0, atol=0.0)
_EXACT_KINDS = "biuUS"
_NUMERIC_KINDS = "biufc"
_REAL_KINDS = "iuf"
_ACCEPTED_KINDS = {"f": "f", "c": "cf", "i": "iu", "u": "iu"}
"""The dtype kinds of ``got`` accepted for each kind of ``expected``; any other kind accepts only itself."""
_MAX_KEYS_SHOWN = 5
_MIN_FACTOR_GAP = 0.01


class MismatchKind(enum.Enum):
    """What is wrong at a node, in the order the checks run."""

    TYPE = "type"
    LENGTH = "length"
    MISSING_KEY = "missing"
    SHAPE = "shape"
    DTYPE = "dtype"
    VALUE = "values"


@dataclass(frozen=True)
class ValueDiff:
    """How the values of two equally shaped arrays (or two scalars, with index ``()``) differ.

    ``max_abs`` and ``max_rel`` are taken over the mismatched elements only (a NaN error counts as ``inf``,
    a relative error against an expected zero is ``inf``); both are ``None`` for strings.
    ``first`` holds up to ``MAX_SHOWN_ELEMENTS`` mismatched elements as ``(index, got, expected)``, in index
    order.
    """

    mismatched: int
    total: int
    max_abs: float | None
    max_abs_index: Index
    max_rel: float | None
    nonfinite: int
    """Elements that are NaN or infinite in ``got`` where ``expected`` is finite."""
    first: tuple[tuple[Index, Element, Element], ...]


@dataclass(frozen=True)
class Mismatch:
    """One wrong node of the output: where (``path``), what kind of wrong, short descriptions of both sides,
    the value differences for ``MismatchKind.VALUE`` and the likely causes the numbers show."""

    path: str
    kind: MismatchKind
    expected: str
    got: str
    values: ValueDiff | None = None
    hints: tuple[str, ...] = ()


class _Family(enum.Enum):
    NONE = enum.auto()
    BOOL = enum.auto()
    NUMBER = enum.auto()
    STR = enum.auto()
    ARRAY = enum.auto()
    SEQUENCE = enum.auto()
    DICT = enum.auto()
    OTHER = enum.auto()


_SCALAR_FAMILIES = {_Family.BOOL, _Family.NUMBER, _Family.STR}
_VALUE_FAMILIES = _SCALAR_FAMILIES | {_Family.ARRAY}


@dataclass
class _Walk:
    """The state of one comparison: the tolerance lookup, the records found so far in walk order (numbered),
    and the floating-point values whose comparison is deferred (see ``_compare_values``)."""

    tolerance_for: Callable[[str], Tolerance]
    found: list[tuple[int, Mismatch]] = field(default_factory=list)
    deferred: dict[Tolerance, list[tuple[int, Any, Any, str]]] = field(default_factory=dict)
    """``(number, expected, got, path)`` of equally shaped floating-point arrays or numbers, by tolerance."""
    visited: int = 0
    """Nodes numbered so far: the walk order of records, deferred ones included."""

    @property
    def full(self) -> bool:
        return len(self.found) >= MAX_MISMATCHES

    def add(self, mismatch: Mismatch) -> None:
        self.found.append((self.next_number(), mismatch))

    def next_number(self) -> int:
        self.visited += 1
        return self.visited

    def settle(self, detailed: int) -> list[Mismatch]:
        """Every record in walk order, at most ``MAX_MISMATCHES``: the deferred values are compared all at once
        per tolerance; in a group that does not match as a whole, the items that differ are found at once too,
        and only those among the first ``detailed`` records get their values and hints worked out."""
        records: list[tuple[int, Mismatch | tuple[Any, Any, str, Tolerance]]] = list(self.found)
        for tolerance, items in self.deferred.items():
            expected = np.concatenate([np.asarray(item[1]).ravel() for item in items])
            got = np.concatenate([np.asarray(item[2]).ravel() for item in items])
            if all_close(expected, got, tolerance):
                continue
            wrong_so_far = np.concatenate([[0], np.cumsum(~_matches(expected, got, tolerance))])
            sizes = np.array([np.size(item[1]) for item in items])
            ends = np.cumsum(sizes)
            wrong = wrong_so_far[ends] > wrong_so_far[ends - sizes]
            records += [(number, (expected_item, got_item, path, tolerance))
                        for (number, expected_item, got_item, path), differs in zip(items, wrong, strict=True)
                        if differs]
        records.sort(key=lambda record: record[0])
        found: list[Mismatch] = []
        for _, record in records:
            if isinstance(record, Mismatch):
                mismatch: Mismatch | None = record
            elif len(found) < detailed:
                mismatch = _compare_arrays(*record)
            else:
                expected_item, got_item, path, _ = record
                mismatch = Mismatch(path, MismatchKind.VALUE, _describe(expected_item), _describe(got_item))
            if mismatch is not None:
                found.append(mismatch)
            if len(found) == MAX_MISMATCHES:
                break
        return found


def compare(
    expected: Any,
    got: Any,
    *,
    outputs: tuple[str, ...] | str,
    tolerance_for: Callable[[str], Tolerance],
    detailed: int = MAX_MISMATCHES,
) -> list[Mismatch]:
    """The mismatches of ``got`` against ``expected``; empty when everything matches.

    ``outputs`` names the returned values: with a tuple of names, ``got`` must be a list or tuple of that
    length and paths start with those names (``cache[2]``); with one name, paths start with it
    (``gradients["dba"]``). ``tolerance_for(path)`` gives the tolerance of a floating-point output; integer,
    bool and string values are compared exactly. At most ``MAX_MISMATCHES`` records are returned, in output
    order; past the first ``detailed``, the records of wrong floating-point values carry neither ``values``
    nor ``hints``. Raises ``ValueError`` when ``expected`` does not have the shape ``outputs`` declares.

    >>> from grader.assignment import Tolerance
    >>> tolerance = lambda path: Tolerance()
    >>> compare((1.0, {"w": 2}), [1.0, {"w": 2, "extra": 0}], outputs=("loss", "cache"), tolerance_for=tolerance)
    []
    >>> [(m.path, m.kind.name) for m in compare((1.0, {"w": 2}), (1.5, {}), outputs=("loss", "cache"),
    ...                                         tolerance_for=tolerance)]
    [('loss', 'VALUE'), ('cache["w"]', 'MISSING_KEY')]
    """
    walk = _Walk(tolerance_for)
    if isinstance(outputs, str):
        _compare_node(expected, got, outputs, walk)
        return walk.settle(detailed)
    if not isinstance(expected, (list, tuple)) or len(expected) != len(outputs):
        raise ValueError(f"the reference returned {_describe(expected)}, not the {len(outputs)} outputs {outputs}")
    root = "(" + ", ".join(outputs) + ")"
    problem = _structure_mismatch(expected, got, root)
    if problem is not None:
        return [problem]
    for name, expected_item, got_item in zip(outputs, expected, got, strict=True):
        _compare_node(expected_item, got_item, name, walk)
    return walk.settle(detailed)


def same_values(first: Any, second: Any) -> bool:
    """Whether ``compare`` finds nothing between two values with no tolerance at all: the same structure, types
    and numbers."""
    return not compare(first, second, outputs="value", tolerance_for=lambda path: _EXACT)


def tolerances_used(
    expected: Any, *, outputs: tuple[str, ...] | str, tolerance_for: Callable[[str], Tolerance]
) -> set[Tolerance]:
    """The tolerances ``compare`` applies to the floating-point and complex values of ``expected`` (its
    arrays and numbers), for the same ``outputs`` and ``tolerance_for``."""
    if isinstance(outputs, str):
        named: Iterable[tuple[str, Any]] = [(outputs, expected)]
    else:
        named = zip(outputs, expected, strict=False)
    return {tolerance_for(path) for name, value in named for path in _inexact_paths(value, name)}


def _inexact_paths(value: Any, path: str) -> Iterable[str]:
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield from _inexact_paths(item, _child_path(path, key))
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            yield from _inexact_paths(item, f"{path}[{index}]")
    elif _family(value) in _VALUE_FAMILIES and np.asarray(value).dtype.kind in "fc":
        yield path


def _compare_node(expected: Any, got: Any, path: str, walk: _Walk) -> None:
    """Append the mismatches under ``path`` to ``walk`` (nothing once it is full)."""
    if walk.full:
        return
    if _plain_match(expected, got):  # the common cases, known without asking each side's family
        problem = None
    else:
        problem = _structure_mismatch(expected, got, path)
    if problem is not None:
        walk.add(problem)
    elif isinstance(expected, Mapping):
        _compare_dicts(expected, got, path, walk)
    elif isinstance(expected, (list, tuple)):
        for index, (expected_item, got_item) in enumerate(zip(expected, got, strict=True)):
            _compare_node(expected_item, got_item, f"{path}[{index}]", walk)
    elif isinstance(expected, np.ndarray) or _family(expected) in _VALUE_FAMILIES:
        _compare_values(expected, got, path, walk)


def _plain_match(expected: Any, got: Any) -> bool:
    """Whether both are arrays of at least one dimension, both plain dicts, or both lists or tuples of one
    length: then ``_structure_mismatch`` finds nothing."""
    kind, got_kind = type(expected), type(got)
    if kind is np.ndarray:
        return got_kind is np.ndarray and expected.ndim > 0 and got.ndim > 0
    if kind is dict:
        return got_kind is dict
    return kind in (list, tuple) and got_kind in (list, tuple) and len(expected) == len(got)


def _compare_dicts(expected: Mapping[Any, Any], got: Mapping[Any, Any], path: str, walk: _Walk) -> None:
    """Each key of ``expected`` must be in ``got``; keys only ``got`` has are ignored."""
    for key, expected_item in expected.items():
        child = _child_path(path, key)
        if key in got:
            _compare_node(expected_item, got[key], child, walk)
        elif not walk.full:
            walk.add(
                Mismatch(child, MismatchKind.MISSING_KEY, _describe(expected_item), f"no such key in {_describe(got)}")
            )


def _structure_mismatch(expected: Any, got: Any, path: str) -> Mismatch | None:
    """A TYPE or LENGTH mismatch at this node, if any."""
    expected_family, got_family = _family(expected), _family(got)
    if expected_family is not got_family:
        return Mismatch(path, MismatchKind.TYPE, _describe(expected), _describe(got), hints=_type_hints(expected, got))
    if expected_family is _Family.SEQUENCE and len(expected) != len(got):
        return Mismatch(path, MismatchKind.LENGTH, _describe(expected), _describe(got))
    return None


def _family(value: Any) -> _Family:
    """The type family of a value; 0-d arrays and numpy scalars belong to the family of their dtype."""
    if value is None:
        return _Family.NONE
    if isinstance(value, (bool, int, float, complex, str, bytes, np.generic)) or (
        isinstance(value, np.ndarray) and value.ndim == 0
    ):
        kind = np.asarray(value).dtype.kind
        return _Family.BOOL if kind == "b" else _Family.STR if kind in "US" else _Family.NUMBER
    if isinstance(value, np.ndarray):
        return _Family.ARRAY
    if isinstance(value, (list, tuple)):
        return _Family.SEQUENCE
    if isinstance(value, Mapping):
        return _Family.DICT
    return _Family.OTHER


def _child_path(path: str, key: Any) -> str:
    """``path`` followed by a subscript for ``key``: ``["dba"]`` for strings, ``[3]`` or ``[(0, 1)]`` else."""
    return f'{path}["{key}"]' if isinstance(key, str) else f"{path}[{key!r}]"


def _describe(value: Any) -> str:
    """A short description of a value's type and shape that never shows its numbers."""
    if isinstance(value, np.ndarray):
        return f"ndarray of shape {value.shape}, {value.dtype}"
    if isinstance(value, np.generic):
        return f"numpy {value.dtype}"
    if isinstance(value, (list, tuple)):
        return f"{type(value).__name__} of {len(value)}"
    if isinstance(value, Mapping):
        keys = [str(key) if isinstance(key, str) else repr(key) for key in value]
        if not keys:
            return "empty dict"
        more = ", ..." if len(keys) > _MAX_KEYS_SHOWN else ""
        return "dict with keys " + ", ".join(keys[:_MAX_KEYS_SHOWN]) + more
    return "None" if value is None else type(value).__name__


def _compare_values(expected: Any, got: Any, path: str, walk: _Walk) -> None:
    """Compare two arrays or scalars; the common case, real values of the same shape, is deferred to
    ``_Walk.settle``, which compares them all at once."""
    e, g = np.asarray(expected), np.asarray(got)
    if e.dtype.kind == "f" and g.dtype.kind == "f" and e.shape == g.shape:
        walk.deferred.setdefault(walk.tolerance_for(path), []).append((walk.next_number(), expected, got, path))
        return
    mismatch = _compare_arrays(expected, got, path, walk.tolerance_for(path) if e.dtype.kind in "fc" else _EXACT)
    if mismatch is not None:
        walk.add(mismatch)


def _compare_arrays(expected: Any, got: Any, path: str, tolerance: Tolerance) -> Mismatch | None:
    """Shape, then dtype kind, then values of two arrays or scalars of the same family."""
    e, g = np.asarray(expected), np.asarray(got)
    if e.shape != g.shape:
        return Mismatch(path, MismatchKind.SHAPE, _describe(expected), _describe(got),
                        hints=_shape_hints(e, g, tolerance))
    if g.dtype.kind not in _ACCEPTED_KINDS.get(e.dtype.kind, e.dtype.kind):
        return Mismatch(path, MismatchKind.DTYPE, _describe(expected), _describe(got),
                        hints=_dtype_hints(e.dtype.kind, g.dtype.kind))
    if e.dtype.kind in _EXACT_KINDS:
        wrong = e != g
    elif all_close(e, g, tolerance):
        return None
    else:
        wrong = ~_matches(e, g, tolerance)
    if not wrong.any():
        return None
    diff = _value_diff(e, g, wrong)
    return Mismatch(path, MismatchKind.VALUE, _describe(expected), _describe(got), values=diff,
                    hints=_value_hints(e, g, wrong, diff, tolerance))


def all_close(expected: Array, got: Array, tolerance: Tolerance) -> bool:
    """Whether every element is finite and within tolerance: the common case, decided with few operations
    (a NaN on either side, an infinity in ``got``, or an infinite bound from ``expected`` make it false)."""
    if expected.dtype.kind == "c" or got.dtype.kind == "c":
        return False
    with np.errstate(invalid="ignore", over="ignore"):
        bound = tolerance.atol + tolerance.rtol * np.abs(expected)
        return bool((np.abs(got - expected) <= bound).all() and np.isfinite(bound).all())


def _as_numbers(e: Array, g: Array) -> tuple[Array, Array]:
    """Both arrays as float64, or complex128 when either is complex."""
    common = np.complex128 if "c" in (e.dtype.kind, g.dtype.kind) else np.float64
    return e.astype(common), g.astype(common)


def _matches(expected: Array, got: Array, tolerance: Tolerance) -> npt.NDArray[np.bool_]:
    """Element-wise: finite and within tolerance, or NaN where NaN is expected, or the expected infinity."""
    e, g = _as_numbers(expected, got)
    with np.errstate(invalid="ignore", over="ignore"):
        close = np.abs(g - e) <= tolerance.atol + tolerance.rtol * np.abs(e)
    finite = np.isfinite(e) & np.isfinite(g)
    matches: npt.NDArray[np.bool_] = (finite & close) | (np.isnan(e) & np.isnan(g)) | (np.isinf(e) & (g == e))
    return matches


def _close(expected: Array, got: Array, tolerance: Tolerance) -> bool:
    return expected.shape == got.shape and bool(_matches(expected, got, tolerance).all())


def _value_diff(e: Array, g: Array, wrong: npt.NDArray[np.bool_]) -> ValueDiff:
    """The summary of the mismatched elements of two equally shaped arrays."""
    first = tuple(
        (index, g[index].item(), e[index].item())
        for index in map(_as_index, np.argwhere(wrong)[:MAX_SHOWN_ELEMENTS])
    )
    max_abs: float | None = None
    max_rel: float | None = None
    max_index, nonfinite = first[0][0], 0
    if e.dtype.kind in _NUMERIC_KINDS:
        en, gn = _as_numbers(e, g)
        with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
            errors = _nan_as_inf(np.abs(gn - en))
            relative = _nan_as_inf(errors / np.abs(en))
        max_index = _as_index(np.unravel_index(int(np.argmax(np.where(wrong, errors, -1.0))), e.shape))
        max_abs, max_rel = float(errors[max_index]), float(relative[wrong].max())
        nonfinite = int(np.count_nonzero(~np.isfinite(gn) & np.isfinite(en)))
    return ValueDiff(
        mismatched=int(np.count_nonzero(wrong)),
        total=int(e.size),
        max_abs=max_abs,
        max_abs_index=max_index,
        max_rel=max_rel,
        nonfinite=nonfinite,
        first=first,
    )


def _nan_as_inf(values: Array) -> Array:
    return np.where(np.isnan(values), np.inf, values)


def _as_index(row: Iterable[Any]) -> Index:
    return tuple(int(i) for i in row)


# Hints: one short sentence each, computed only when the numbers show the cause; never the expected numbers.

_HINT_KEEPDIMS = ("Your array lost a size-1 axis, as np.sum or np.mean do without keepdims=True: "
                  "keep it (keepdims=True) or reshape.")
_HINT_EXTRA_AXES = "Your array has extra size-1 axes: check the reshape that added them, or use np.squeeze."
_HINT_TRANSPOSED = ("Your array is the expected one transposed: check the order of the factors in your "
                    "matrix products and the shape you created it with.")
_HINT_SIGN = "Your values have the wrong sign everywhere: check the signs in your formula."
_HINT_ZEROS = "Your result is all zeros: it looks like it was created but never filled in."
_HINT_PARTLY_ZEROS = ("Every element that differs is still zero in your array: part of it was never written "
                      "(check your loop's range).")
_HINT_NONFINITE = ("Your result has NaN or inf where finite values are expected: look for a division by zero, "
                   "a log of zero or an overflowing np.exp.")
_HINT_NONE = "Got None: check that your function returns this value (a missing return statement gives None)."
_HINT_PLAIN_NUMBER = "You returned an array where a single number is expected: use float(...) or .item()."
_DTYPE_HINTS = {
    ("f", "i"): ("Your values are integers where floats are expected: start from a float array "
                 "(np.zeros(shape), not dtype=int) and avoid integer division (//)."),
    ("f", "b"): "Your values are True/False booleans where numbers are expected: convert them (.astype(float)).",
    ("i", "b"): "Your values are True/False booleans where numbers are expected: convert them (.astype(int)).",
    ("i", "f"): ("Your values are floats where integers (such as indices) are expected: convert them "
                 "(int(...) or .astype(int))."),
}


def _type_hints(expected: Any, got: Any) -> tuple[str, ...]:
    if got is None:
        return (_HINT_NONE,)
    if isinstance(expected, np.ndarray) and isinstance(got, (list, tuple)):
        try:
            same_shape = np.asarray(got).shape == expected.shape
        except ValueError:
            same_shape = False
        if same_shape:
            return (f"You returned a {type(got).__name__} where an array is expected: convert it with np.array(...).",)
    if _family(expected) in _SCALAR_FAMILIES and isinstance(got, np.ndarray) and got.ndim and got.size == 1:
        return (_HINT_PLAIN_NUMBER,)
    return ()


def _dtype_hints(expected_kind: str, got_kind: str) -> tuple[str, ...]:
    def family(kind: str) -> str:
        return "i" if kind in "iu" else kind

    hint = _DTYPE_HINTS.get((family(expected_kind), family(got_kind)))
    return (hint,) if hint else ()


def _shape_hints(e: Array, g: Array, tolerance: Tolerance) -> tuple[str, ...]:
    if _drops_size_one_axes(e.shape, g.shape):
        return (_HINT_KEEPDIMS,)
    if _drops_size_one_axes(g.shape, e.shape):
        return (_HINT_EXTRA_AXES,)
    hint = _transposed_hint(e, g, tolerance) or _unreduced_hint(e, g, tolerance)
    return (hint,) if hint else ()


def _drops_size_one_axes(longer: tuple[int, ...], shorter: tuple[int, ...]) -> bool:
    """Whether ``shorter`` is ``longer`` with some of its size-1 axes removed."""
    if len(longer) <= len(shorter):
        return False
    matched = 0
    for size in longer:
        if matched < len(shorter) and size == shorter[matched]:
            matched += 1
        elif size != 1:
            return False
    return matched == len(shorter)


def _unreduced_hint(e: Array, g: Array, tolerance: Tolerance) -> str | None:
    """Size 1 expected along some axes where ``got`` is larger: a missing sum, or a broadcast gone wrong."""
    if e.ndim != g.ndim:
        return None
    differing = [axis for axis in range(e.ndim) if e.shape[axis] != g.shape[axis]]
    if not all(e.shape[axis] == 1 for axis in differing):
        return None
    axes = differing[0] if len(differing) == 1 else tuple(differing)
    label = f"axis {axes}" if len(differing) == 1 else f"axes {axes}"
    if _is_real(e, g) and _close(e, g.sum(axis=tuple(differing), keepdims=True), tolerance):
        return f"Your array still has to be summed over {label}: use np.sum(..., axis={axes}, keepdims=True)."
    return (f"Size 1 is expected along {label}: did you forget to sum over it, or add an (n,) array to an "
            "(n, 1) one, which broadcasts?")


def _transposed_hint(e: Array, g: Array, tolerance: Tolerance) -> str | None:
    if e.ndim >= 2 and _is_real(e, g) and _close(e.T, g, tolerance):
        return _HINT_TRANSPOSED
    return None


def _value_hints(
    e: Array, g: Array, wrong: npt.NDArray[np.bool_], diff: ValueDiff, tolerance: Tolerance
) -> tuple[str, ...]:
    hints = [_HINT_NONFINITE] if diff.nonfinite else []
    if _is_real(e, g):
        zeros = _zeros_hint(g, wrong)
        candidates = [zeros] if zeros else [_transposed_hint(e, g, tolerance), _factor_hint(e, g, tolerance),
                                            _shift_hint(e, g, tolerance)]
        hints.extend(hint for hint in candidates if hint)
    return tuple(hints)


def _zeros_hint(g: Array, wrong: npt.NDArray[np.bool_]) -> str | None:
    if not g.any():
        return _HINT_ZEROS
    if not g[wrong].any():
        return _HINT_PARTLY_ZEROS
    return None


def _factor_hint(e: Array, g: Array, tolerance: Tolerance) -> str | None:
    """``got`` is a constant multiple of ``expected`` (at least two nonzero expected elements needed)."""
    en, gn = _as_numbers(e, g)
    nonzero = en != 0
    if np.count_nonzero(nonzero) < 2 or not np.isfinite(en).all() or not np.isfinite(gn).all():
        return None
    factor = float(np.dot(gn[nonzero], en[nonzero]) / np.dot(en[nonzero], en[nonzero]))
    if abs(factor - 1) < _MIN_FACTOR_GAP or not _close(factor * en, gn, tolerance):
        return None
    if abs(factor + 1) < _MIN_FACTOR_GAP:
        return _HINT_SIGN
    return (f"Your values are {factor:.3g} times the expected ones: look for a missing or extra constant factor "
            "(such as 2 or 1/m).")


def _shift_hint(e: Array, g: Array, tolerance: Tolerance) -> str | None:
    """``got`` at step t equals ``expected`` at step t+1 or t-1 along the last axis (3 steps or more)."""
    if e.ndim == 0 or e.shape[-1] < 3 or _close(e[..., 1:], e[..., :-1], tolerance):
        return None
    for step, ours, theirs in ((1, g[..., :-1], e[..., 1:]), (-1, g[..., 1:], e[..., :-1])):
        if theirs.any() and _close(theirs, ours, tolerance):
            return (f"Your values at time step t are the ones expected at step t{step:+d} (last axis): "
                    "check your loop index.")
    return None


def _is_real(*arrays: Array) -> bool:
    return all(array.dtype.kind in _REAL_KINDS for array in arrays)

