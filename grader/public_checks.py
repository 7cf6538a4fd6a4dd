"""The public checks file students get with an assignment: what grading needs to run its public checks, with
no solution and nothing of its hidden checks but how many there are.

``python -m grader.stubs`` writes it as ``assignments/<name>/public_checks.json`` next to the stub; ``grade-check``
grades a submission from it through the same ``Grader`` as ``grade``. The file is JSON: the assignment's
declaration (name, version, points, outputs, tolerances, watched arguments, the functions each one calls, the
number of public and hidden checks), the stub's text and the provided helpers' source, and for each public check
its name, description and values: its call's arguments, the expected output and the watched arguments after the
call, encoded together with ``grader.sandbox.wire`` (data only: loading runs no code) in base64. The same
assignment always gives the same file.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from grader.assignment import Assignment, Call, Fixture, GradedFunction, Tolerance, Visibility
from grader.compare import compare
from grader.reference import PreparedAssignment, PreparedCheck, prepare, prepared_check
from grader.sandbox import wire

FILE_NAME = "public_checks.json"
"""The name of the file, in the assignment's folder next to its stub."""
FORMAT = "numpy-grader public checks"
FORMAT_VERSION = 1
"""Bumped whenever a change of the file could make an older reader misread it; readers refuse other versions."""


class PublicChecksError(ValueError):
    """A file that is not a readable public checks file; the message, one line, names it and says why."""


@dataclass(frozen=True)
class PublicChecks:
    """An assignment's public checks: ``prepared`` holds only them (its assignment's functions list only their
    public fixtures once loaded), ``hidden_checks`` the number of hidden checks of each graded function."""

    prepared: PreparedAssignment
    hidden_checks: Mapping[str, int]


def path_for(assignment: Assignment) -> Path:
    """Where the public checks of ``assignment`` belong: next to its stub."""
    return assignment.stub.parent / FILE_NAME


def of(assignment: Assignment) -> PublicChecks:
    """The public checks of a declared assignment, prepared from its solution (``AssignmentError`` when broken)."""
    hidden = {graded.name: sum(fixture.visibility is Visibility.HIDDEN for fixture in graded.fixtures)
              for graded in assignment.functions}
    return PublicChecks(prepare(assignment, Visibility.PUBLIC), hidden)


def dumps(checks: PublicChecks) -> str:
    """``checks`` as the text of a public checks file."""
    return json.dumps(_document(checks, with_values=True), indent=1, ensure_ascii=False) + "\n"


def load(path: Path) -> PublicChecks:
    """The public checks in the file at ``path``; the stub is taken to be in the same folder. Raises
    ``PublicChecksError`` for a file that is missing, unreadable or malformed."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise PublicChecksError(f"{path}: cannot read it: {getattr(error, 'strerror', None) or error}") from None
    try:
        return loads(text, path)
    except PublicChecksError as error:
        raise PublicChecksError(f"{path}: {error}") from None


def loads(text: str, path: Path) -> PublicChecks:
    """The public checks in ``text``, the content of the file at ``path``; ``PublicChecksError`` says what is
    wrong with it."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise PublicChecksError(f"not a public checks file (not JSON: {error.msg}, line {error.lineno})") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise PublicChecksError("not a public checks file")
    version = document.get("format_version")
    if version != FORMAT_VERSION:
        raise PublicChecksError(f"written in format {version!r}, and this numpy-grader reads format "
                                f"{FORMAT_VERSION}: install the version of numpy-grader your course uses")
    return _Reader(path).checks(document)


def differences(stored: PublicChecks, fresh: PublicChecks) -> list[str]:
    """What differs between two sets of public checks, say a file's and the assignment's now; empty when
    nothing does. Their declarations must be equal; the values of the checks (arguments, expected outputs,
    watched arguments after the call) equal within ``fresh``'s tolerances, as BLAS may round differently from
    one machine to another."""
    stored_declaration = _document(stored, with_values=False)
    fresh_declaration = _document(fresh, with_values=False)
    if stored_declaration != fresh_declaration:
        return [f"{key!r} differs" for key in fresh_declaration
                if stored_declaration.get(key) != fresh_declaration[key]] or ["the declaration differs"]
    assignment = fresh.prepared.assignment
    found = []
    for graded in assignment.functions:
        pairs = zip(stored.prepared.checks[graded.name], fresh.prepared.checks[graded.name], strict=True)
        for old, new in pairs:
            paths = dict.fromkeys(_value_differences(graded, assignment.default_tolerance, old, new))
            found += [f"{graded.name} [{new.fixture.name}]: {path} differs" for path in paths]
    return found


def _value_differences(
    graded: GradedFunction, default_tolerance: Tolerance, old: PreparedCheck, new: PreparedCheck
) -> Iterator[str]:
    """The paths at which the values of two checks of ``graded`` differ, both ways round."""

    def tolerance_for(path: str) -> Tolerance:
        return graded.tolerance_for(path, default_tolerance)

    def inputs(check: PreparedCheck) -> tuple[Any, ...]:
        return tuple(check.call.args), dict(check.call.kwargs)

    compared: list[tuple[Any, Any, tuple[str, ...] | str, Callable[[str], Tolerance]]] = [
        (inputs(new), inputs(old), ("args", "kwargs"), lambda path: default_tolerance),
        (new.expected, old.expected, graded.outputs, tolerance_for),
        (new.expected_after, old.expected_after, graded.watched, tolerance_for),
    ]
    for first, second, outputs, tolerance in compared:
        for one, other in ((first, second), (second, first)):
            for mismatch in compare(one, other, outputs=outputs, tolerance_for=tolerance):
                yield mismatch.path


# --- Writing --------------------------------------------------------------------------------------------------


def _document(checks: PublicChecks, *, with_values: bool) -> dict[str, Any]:
    """The file's content as plain data; without the values of the checks, the declaration alone."""
    prepared = checks.prepared
    assignment = prepared.assignment
    functions = [_function_document(graded, prepared.checks[graded.name], checks.hidden_checks[graded.name],
                                    with_values) for graded in assignment.functions]
    document: dict[str, Any] = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "assignment": assignment.name,
        "version": assignment.version,
        "max_score": assignment.max_score,
        "stub_file": assignment.stub.name,
        "default_tolerance": _tolerance_document(assignment.default_tolerance),
        "provided": list(assignment.provided),
    }
    if with_values:
        document["wire_dtypes"] = _dtype_codes(prepared.checks.values())
    return {**document, "functions": functions, "preamble": prepared.preamble, "stub": prepared.stub_source}


def _function_document(
    graded: GradedFunction, checks: Sequence[PreparedCheck], hidden: int, with_values: bool
) -> dict[str, Any]:
    return {
        "name": graded.name,
        "points": graded.points,
        "outputs": graded.outputs if isinstance(graded.outputs, str) else list(graded.outputs),
        "calls": list(graded.calls),
        "tolerances": {prefix: _tolerance_document(tolerance) for prefix, tolerance in graded.tolerances.items()},
        "updates_in_place": list(graded.updates_in_place),
        "leaves_unchanged": list(graded.leaves_unchanged),
        "hidden_checks": hidden,
        "public_checks": [_check_document(check, with_values) for check in checks],
    }


def _check_document(check: PreparedCheck, with_values: bool) -> dict[str, Any]:
    document: dict[str, Any] = {
        "name": check.fixture.name,
        "description": check.fixture.description,
        "watched": list(check.watched_keys),
    }
    if with_values:
        encoded = wire.encode(_values(check), root=f"the values of check {check.fixture.name!r}")
        document["values"] = base64.b64encode(encoded).decode("ascii")
    return document


def _values(check: PreparedCheck) -> tuple[Any, ...]:
    """What the ``values`` of a check encode: its call's arguments and keyword arguments, the expected output
    and the watched arguments after the call (together, so that objects shared between them stay shared)."""
    return tuple(check.call.args), dict(check.call.kwargs), check.expected, check.expected_after


def _tolerance_document(tolerance: Tolerance) -> dict[str, float]:
    return {"rtol": tolerance.rtol, "atol": tolerance.atol}


def _dtype_codes(checks: Iterable[tuple[PreparedCheck, ...]]) -> dict[str, int]:
    """The code the wire encoding gives each numpy dtype the values hold, by dtype (``"<f8"``): the codes
    depend on the platform's numpy types, so that a reader checks them against its own."""
    dtypes = {dtype.str: wire.DTYPES.index(dtype)
              for group in checks for check in group for dtype in _dtypes(_values(check))}
    return dict(sorted(dtypes.items()))


def _dtypes(value: Any) -> Iterator[np.dtype[Any]]:
    """The dtype of every numpy array and scalar in ``value``."""
    if isinstance(value, (np.ndarray, np.generic)):
        yield value.dtype
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _dtypes(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _dtypes(item)


# --- Reading --------------------------------------------------------------------------------------------------


class _Reader:
    """Reads a decoded document into ``PublicChecks``, checking every field; ``PublicChecksError`` names the
    first field that is wrong."""

    def __init__(self, path: Path) -> None:
        self._path = path

    def checks(self, document: dict[str, Any]) -> PublicChecks:
        stub_file = _field(document, "stub_file", str, "the file")
        if not stub_file or Path(stub_file).name != stub_file:
            raise PublicChecksError(f"stub_file is not a file name: {stub_file!r}")
        self._check_dtypes(_field(document, "wire_dtypes", dict, "the file"))
        default_tolerance = _tolerance(_field(document, "default_tolerance", dict, "the file"), "default_tolerance")
        functions: list[GradedFunction] = []
        prepared: dict[str, tuple[PreparedCheck, ...]] = {}
        hidden: dict[str, int] = {}
        for index, record in enumerate(_field(document, "functions", list, "the file")):
            graded, checks, hidden_count = self._function(record, f"functions[{index}]", default_tolerance)
            if graded.name in prepared:
                raise PublicChecksError(f"the function {graded.name} is declared twice")
            functions.append(graded)
            prepared[graded.name] = checks
            hidden[graded.name] = hidden_count
        assignment = Assignment(
            name=_field(document, "assignment", str, "the file"),
            version=_field(document, "version", str, "the file"),
            solution=self._path,  # there is no solution: the expected values come from this file
            stub=self._path.parent / stub_file,
            functions=functions,
            default_tolerance=default_tolerance,
            provided=_strings(_field(document, "provided", list, "the file"), "provided"),
        )
        max_score = _field(document, "max_score", (int, float), "the file")
        if max_score != assignment.max_score:
            raise PublicChecksError(f"max_score {max_score} is not the sum of the functions' points")
        stub_source = _field(document, "stub", str, "the file")
        preamble = _field(document, "preamble", str, "the file")
        return PublicChecks(PreparedAssignment(assignment, prepared, stub_source, preamble), hidden)

    def _check_dtypes(self, codes: dict[str, Any]) -> None:
        """Every dtype code the values use must stand for the same dtype here as where the file was written."""
        for dtype, code in codes.items():
            if not (type(code) is int and 0 <= code < len(wire.DTYPES) and wire.DTYPES[code].str == dtype):
                raise PublicChecksError(f"its values hold numpy {dtype} values, which this platform encodes "
                                        "differently; ask for a public checks file written on a platform like yours")

    def _function(
        self, record: Any, where: str, default_tolerance: Tolerance
    ) -> tuple[GradedFunction, tuple[PreparedCheck, ...], int]:
        outputs = _field(record, "outputs", (str, list), where)
        tolerances = _field(record, "tolerances", dict, where)
        check_records = _field(record, "public_checks", list, where)
        stored = [self._check(check, f"{where}.public_checks[{index}]") for index, check in enumerate(check_records)]
        graded = GradedFunction(
            name=_field(record, "name", str, where),
            points=_field(record, "points", (int, float), where),
            outputs=outputs if isinstance(outputs, str) else _strings(outputs, f"{where}.outputs"),
            fixtures=[fixture for fixture, *_ in stored],
            calls=_strings(_field(record, "calls", list, where), f"{where}.calls"),
            tolerances={prefix: _tolerance(value, f"{where}.tolerances") for prefix, value in tolerances.items()},
            updates_in_place=_strings(_field(record, "updates_in_place", list, where), f"{where}.updates_in_place"),
            leaves_unchanged=_strings(_field(record, "leaves_unchanged", list, where), f"{where}.leaves_unchanged"),
        )
        hidden = _field(record, "hidden_checks", int, where)
        if hidden < 0:
            raise PublicChecksError(f"{where}.hidden_checks is negative")
        checks = []
        for index, (fixture, call, keys, expected, after) in enumerate(stored):
            _check_shapes(graded, call, keys, expected, after, f"{where}.public_checks[{index}]")
            checks.append(prepared_check(graded, fixture, call, keys, expected, after, default_tolerance))
        return graded, tuple(checks), hidden

    def _check(self, record: Any, where: str) -> tuple[Fixture, Call, tuple[int | str, ...], Any, tuple[Any, ...]]:
        name = _field(record, "name", str, where)
        description = _field(record, "description", str, where)
        keys = _field(record, "watched", list, where)
        if not all(type(key) in (int, str) for key in keys):
            raise PublicChecksError(f"{where}.watched holds something other than positions and names")
        try:
            encoded = base64.b64decode(_field(record, "values", str, where), validate=True)
            values = wire.decode(encoded)
        except (binascii.Error, wire.DecodeError) as error:
            raise PublicChecksError(f"{where}.values is damaged ({error})") from None
        if not (type(values) is tuple and len(values) == 4 and type(values[0]) is tuple
                and type(values[1]) is dict and all(type(key) is str for key in values[1])
                and type(values[3]) is tuple):
            raise PublicChecksError(f"{where}.values is not (arguments, keyword arguments, expected, after)")
        args, kwargs, expected, after = values
        call = Call(args=args, kwargs=kwargs)
        fixture = Fixture(name, Visibility.PUBLIC, partial(_stored_call, call), description)
        return fixture, call, tuple(keys), expected, after


def _stored_call(call: Call, reference: ModuleType) -> Call:
    """A loaded fixture's inputs: the call stored in the file."""
    return call


def _check_shapes(
    graded: GradedFunction, call: Call, keys: tuple[int | str, ...], expected: Any, after: tuple[Any, ...],
    where: str,
) -> None:
    """A check's values must fit its function's declaration: the declared outputs, a watched argument found at
    each key, and each watched argument's state after the call."""
    outputs = graded.outputs
    if not isinstance(outputs, str) and not (isinstance(expected, (list, tuple)) and len(expected) == len(outputs)):
        raise PublicChecksError(f"{where}: the expected value is not the {len(outputs)} outputs {outputs}")
    if len(keys) != len(graded.watched) or len(after) != len(keys):
        raise PublicChecksError(f"{where}: not one watched key and one value after the call per watched argument")
    for key in keys:
        if not (key in call.kwargs if isinstance(key, str) else 0 <= key < len(call.args)):
            raise PublicChecksError(f"{where}: the watched argument {key!r} is not in the call")


def _field(record: Any, key: str, kind: type | tuple[type, ...], where: str) -> Any:
    """``record[key]``, which must be of ``kind`` (a bool is no number here)."""
    if not isinstance(record, dict) or key not in record:
        raise PublicChecksError(f"{where} has no {key!r}")
    value = record[key]
    if not isinstance(value, kind) or isinstance(value, bool):
        raise PublicChecksError(f"{where}: {key!r} is {type(value).__name__}, not as expected")
    return value


def _strings(values: list[Any], where: str) -> tuple[str, ...]:
    if not all(isinstance(value, str) for value in values):
        raise PublicChecksError(f"{where} must hold only strings")
    return tuple(values)


def _tolerance(record: Any, where: str) -> Tolerance:
    rtol, atol = (_field(record, key, (int, float), where) for key in ("rtol", "atol"))
    if not (rtol >= 0 and atol >= 0):
        raise PublicChecksError(f"{where}: a tolerance must not be negative")
    return Tolerance(rtol=float(rtol), atol=float(atol))
