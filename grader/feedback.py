"""Plain-language feedback for what is not a wrong value: faults, missing or unfilled functions, dependencies.

Wrong values are described by ``grader.feedback_values``. Every function here returns text a student can act
on and never includes expected outputs.
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Sequence
from typing import Protocol

from grader.notebook import Script
from grader.sandbox.outcome import Fault, FaultKind, LoadError

_MAX_SOURCE_LINE = 160


def source_excerpt(source_lines: Sequence[str], line: int | None) -> str:
    """The submission's ``line`` (1-based), stripped and shortened, or ``""`` when unknown.

    >>> source_excerpt(["x = 1", "  y = x / 0"], 2)
    'y = x / 0'
    """
    if line is None or not 1 <= line <= len(source_lines):
        return ""
    text = source_lines[line - 1].strip()
    return text if len(text) <= _MAX_SOURCE_LINE else text[: _MAX_SOURCE_LINE - 3] + "..."


def describe_place(line: int, cell: int | None = None) -> str:
    """Where a line is, in a file or in a notebook's code cell.

    >>> describe_place(12), describe_place(5, cell=3)
    ('line 12', 'code cell 3, line 5')
    """
    return f"line {line}" if cell is None else f"code cell {cell}, line {line}"


def describe_fault(fault: Fault, script: Script) -> str:
    """What the student's code did, where in ``script`` (the code loaded), and in their own words when it raised.

    >>> fault = Fault(FaultKind.EXCEPTION, "ZeroDivisionError: division by zero",
    ...               exception_type="ZeroDivisionError", line=2, function="f")
    >>> print(describe_fault(fault, Script("def f():\\n    return 1 / 0")))
    ZeroDivisionError: division by zero
      at line 2, in f: return 1 / 0
    >>> print(describe_fault(fault, Script("import numpy\\ndef f():\\n    return 1 / 0", cell_starts=(1, 2))))
    ZeroDivisionError: division by zero
      at code cell 2, line 1, in f: def f():
    """
    text = fault.message
    if fault.kind is FaultKind.TIMEOUT:
        text += " (an endless loop, or far more work than the exercise needs?)"
    if fault.line is not None:
        cell, line = script.locate(fault.line)
        where = f"at {describe_place(line, cell)}" + (f", in {fault.function}" if fault.function else "")
        excerpt = source_excerpt(script.lines, fault.line)
        text += f"\n  {where}" + (f": {excerpt}" if excerpt else "")
    return text


class LocatedProblem(Protocol):
    """A load problem as the sandbox reports it or as the report stores it."""

    @property
    def kind(self) -> str: ...
    @property
    def message(self) -> str: ...
    @property
    def line(self) -> int | None: ...
    @property
    def column(self) -> int | None: ...
    @property
    def cell(self) -> int | None: ...


def describe_load_error(error: LocatedProblem) -> str:
    """One line for a top-level part of the file that failed to load.

    >>> describe_load_error(LoadError("SyntaxError", "invalid syntax", line=12, column=8))
    'SyntaxError at line 12, column 8: invalid syntax'
    >>> describe_load_error(LoadError("NameError", "name 'x' is not defined", line=2, column=None, cell=4))
    "NameError at code cell 4, line 2: name 'x' is not defined"
    """
    where = ""
    if error.line is not None:
        where = f" at {describe_place(error.line, error.cell)}"
        where += f", column {error.column}" if error.column is not None else ""
    return f"{error.kind}{where}: {error.message}"


def describe_missing(function: str, defined: Collection[str], load_errors: Sequence[LoadError]) -> str:
    """Why ``function`` is not there: the load error that swallowed it, or the closest name defined.

    >>> describe_missing("rnn_forward", {"rnn_foward", "softmax"}, [])
    'rnn_forward is not defined in your file. Did you mean rnn_foward? Keep the name the stub gives.'
    """
    for error in load_errors:
        if function in error.defines:
            return f"{function} could not be defined: {describe_load_error(error)}"
    text = f"{function} is not defined in your file."
    close = difflib.get_close_matches(function, list(defined), n=1, cutoff=0.6)
    if close:
        text += f" Did you mean {close[0]}? Keep the name the stub gives."
    return text


def describe_unfilled(function: str, regions: Sequence[tuple[int, int]], total: int, script: Script) -> str:
    """The regions of ``function`` still as the stub has them: their first and last lines in ``script``.

    >>> describe_unfilled("rnn_forward", [(30, 33)], 1, Script(""))
    'rnn_forward is not implemented yet: fill in the region between START CODE HERE and END CODE HERE (lines 30-33).'
    >>> describe_unfilled("rnn_backward", [(50, 52)], 2, Script(""))
    'rnn_backward: 1 of its 2 regions is still unfilled (lines 50-52).'
    >>> describe_unfilled("f", [(50, 52), (60, 61)], 3, Script("", cell_starts=(1, 41)))
    'f: 2 of its 3 regions are still unfilled (code cell 2, lines 10-12, 20-21).'
    """
    spans = _describe_spans(regions, script)
    if len(regions) == total:
        noun = "the region" if total == 1 else f"the {total} regions"
        return (f"{function} is not implemented yet: fill in {noun} between START CODE HERE and "
                f"END CODE HERE ({spans}).")
    verb = "is" if len(regions) == 1 else "are"
    return f"{function}: {len(regions)} of its {total} regions {verb} still unfilled ({spans})."


def _describe_spans(spans: Sequence[tuple[int, int]], script: Script) -> str:
    """``"lines 30-33, 40-41"`` for spans of lines of ``script``; in a notebook, ``"code cell 2, lines 4-7"``."""
    by_cell: dict[int | None, list[str]] = {}
    for start, end in spans:
        cell, first = script.locate(start)
        by_cell.setdefault(cell, []).append(f"{first}-{first + end - start}")
    return "; ".join(("lines " if cell is None else f"code cell {cell}, lines ") + ", ".join(ranges)
                     for cell, ranges in by_cell.items())


def describe_failing_dependency(function: str, dependency: str) -> str:
    """The note for a function that calls another graded function which fails.

    >>> describe_failing_dependency("rnn_forward", "rnn_cell_forward")
    'rnn_forward calls your rnn_cell_forward, which fails its own checks: fix rnn_cell_forward first.'
    """
    return f"{function} calls your {dependency}, which fails its own checks: fix {dependency} first."


def describe_argument_state(argument: str, must_update: bool) -> str:
    """The first line of the feedback on an argument left in the wrong state by a call: one the function must
    update in place, or one it must leave unchanged.

    >>> describe_argument_state("gradients", must_update=True).split(":")[0]
    '`gradients` is not as it should be after the call'
    """
    if must_update:
        return (f"`{argument}` is not as it should be after the call: update the object you receive, in place "
                "(a copy, or a new object you return, does not change it). After the call:")
    return (f"Your function changed its argument `{argument}`, which it must leave as it was: work on a copy "
            "(np.copy, .copy()) instead of changing it in place. After the call:")
