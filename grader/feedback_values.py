"""Mismatch records as plain-language text a student can act on.

Each wrong output is named by its path, with the shapes, how many elements differ, the largest error and where,
the first differing values (public checks only) and the likely causes. Hidden checks never show expected
values.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from grader.compare import MAX_MISMATCHES, Element, Index, Mismatch, MismatchKind, ValueDiff

MAX_DETAILED = 2
"""How many mismatches are described in full; the others are named on one line, grouped by output."""

_HEADLINES = {
    MismatchKind.TYPE: "has the wrong type",
    MismatchKind.LENGTH: "has the wrong length",
    MismatchKind.MISSING_KEY: "is missing",
    MismatchKind.SHAPE: "has the wrong shape",
    MismatchKind.DTYPE: "has the wrong dtype",
}
_INDENT = "  "
_OUTPUT = re.compile(r"""[^\[]*(?:\["[^"]*"\]|\['[^']*'\])*""")
"""The part of a path that names one output: its root and any dictionary keys right after it."""


def describe_mismatches(mismatches: Sequence[Mismatch], *, reveal_values: bool) -> str:
    """Multi-line text describing ``mismatches`` (as ``grader.compare.compare`` returns them).

    The first ``MAX_DETAILED`` are described in full, hints last; the others are named on one line, one name
    per output with a count of the further wrong parts inside it. With
    ``reveal_values=False`` no element value is printed, only counts, shapes and the size and place of the
    largest error.

    >>> import numpy as np
    >>> from grader.assignment import Tolerance
    >>> from grader.compare import compare
    >>> expected = {"db": np.array([[0.5], [1.0], [-2.0]]), "dW": np.ones((3, 2))}
    >>> got = {"db": np.array([[1.0], [2.0], [-4.0]])}
    >>> found = compare(expected, got, outputs="grads", tolerance_for=lambda path: Tolerance())
    >>> print(describe_mismatches(found, reveal_values=True))
    grads["db"] (ndarray of shape (3, 1), float64) has wrong values:
      Mismatched elements: 3 / 3 (100%)
      Max absolute difference: 2 at index [2, 0]
      Max relative difference: 1
      index  | obtained | expected
      [0, 0] | 1        | 0.5
      [1, 0] | 2        | 1
      [2, 0] | -4       | -2
      Hint: Your values are 2 times the expected ones: look for a missing or extra constant factor (such as 2 or 1/m).
    grads["dW"] is missing: expected ndarray of shape (3, 2), float64; got no such key in dict with keys db.
    >>> print(describe_mismatches(found[:1], reveal_values=False))
    grads["db"] (ndarray of shape (3, 1), float64) has wrong values:
      Mismatched elements: 3 / 3 (100%)
      Max absolute difference: 2 at index [2, 0]
      Hint: Your values are 2 times the expected ones: look for a missing or extra constant factor (such as 2 or 1/m).
    """
    lines: list[str] = []
    for mismatch in mismatches[:MAX_DETAILED]:
        lines.extend(_describe_one(mismatch, reveal_values))
    rest = mismatches[MAX_DETAILED:]
    if rest:
        lines.append(_also_wrong(rest))
    if len(mismatches) >= MAX_MISMATCHES:
        lines.append(f"(The comparison stops after {MAX_MISMATCHES} problems; there may be more.)")
    return "\n".join(lines)


def _also_wrong(mismatches: Sequence[Mismatch]) -> str:
    """One line naming the first wrong part of each output and how many more there are inside it.

    >>> from grader.compare import MismatchKind
    >>> found = [Mismatch(f"caches[0][{i}]", MismatchKind.VALUE, "", "") for i in range(3)]
    >>> _also_wrong([Mismatch('grads["db"]', MismatchKind.SHAPE, "", "")] + found)
    'Also wrong: grads["db"] (shape); caches[0][0] (values) and 2 more in caches'
    """
    groups: dict[str, list[Mismatch]] = {}
    for mismatch in mismatches:
        output = _OUTPUT.match(mismatch.path)
        groups.setdefault(output.group(0) if output else mismatch.path, []).append(mismatch)
    parts = []
    for root, members in groups.items():
        first = members[0]
        more = f" and {len(members) - 1} more in {root}" if len(members) > 1 else ""
        parts.append(f"{first.path} ({first.kind.value}){more}")
    return "Also wrong: " + "; ".join(parts)


def format_number(value: Element) -> str:
    """A value as shown in feedback: floats and complex numbers to 6 significant digits, strings quoted.

    >>> [format_number(v) for v in (3.14159265, 1e-12, 2, True, float("nan"), 1 + 2j, "tanh")]
    ['3.14159', '1e-12', '2', 'True', 'nan', '1+2j', "'tanh'"]
    """
    return f"{value:.6g}" if isinstance(value, (float, complex)) else repr(value)


def _describe_one(mismatch: Mismatch, reveal_values: bool) -> list[str]:
    """The lines of one mismatch: what is wrong, then its hints."""
    if mismatch.values is None:
        headline = _HEADLINES[mismatch.kind]
        lines = [f"{mismatch.path} {headline}: expected {mismatch.expected}; got {mismatch.got}."]
    elif mismatch.values.max_abs_index == ():
        lines = [_scalar_line(mismatch.path, mismatch.got, mismatch.values, reveal_values)]
    else:
        lines = [f"{mismatch.path} ({mismatch.got}) has wrong values:"]
        lines.extend(_INDENT + line for line in _array_lines(mismatch.values, reveal_values))
    lines.extend(f"{_INDENT}Hint: {hint}" for hint in mismatch.hints)
    return lines


def _scalar_line(path: str, described: str, diff: ValueDiff, reveal_values: bool) -> str:
    """One line for a wrong single value."""
    _, got, expected = diff.first[0]
    parts = [f"got {format_number(got)}, expected {format_number(expected)}"] if reveal_values else []
    if diff.max_abs is not None:
        parts.append(f"off by {format_number(diff.max_abs)}")
    return f"{path} ({described}) is wrong" + (": " + ", ".join(parts) if parts else "") + "."


def _array_lines(diff: ValueDiff, reveal_values: bool) -> list[str]:
    """The pytest-approx-style summary of a wrong array; the table of values only when revealed."""
    lines = [f"Mismatched elements: {diff.mismatched} / {diff.total} ({100 * diff.mismatched / diff.total:.3g}%)"]
    if diff.max_abs is not None:
        where = _format_index(diff.max_abs_index)
        lines.append(f"Max absolute difference: {format_number(diff.max_abs)} at index {where}")
    if diff.max_rel is not None and reveal_values:
        lines.append(f"Max relative difference: {format_number(diff.max_rel)}")
    if diff.nonfinite:
        lines.append(f"NaN or inf elements where finite values are expected: {diff.nonfinite}")
    if reveal_values:
        lines.extend(_table(diff))
    return lines


def _table(diff: ValueDiff) -> list[str]:
    """``index | obtained | expected`` rows for the first differing elements, columns aligned."""
    rows = [("index", "obtained", "expected")] + [
        (_format_index(index), format_number(got), format_number(expected)) for index, got, expected in diff.first
    ]
    widths = [max(len(row[column]) for row in rows) for column in range(2)]
    return [f"{row[0].ljust(widths[0])} | {row[1].ljust(widths[1])} | {row[2]}" for row in rows]


def _format_index(index: Index) -> str:
    return "[" + ", ".join(map(str, index)) + "]"
