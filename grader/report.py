"""The score report: plain, versioned data that every output format is rendered from.

``Report.to_dict()`` is the JSON contract, described by ``grader/schemas/report.schema.json``; bump
``SCHEMA_VERSION`` whenever that contract changes.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, fields, is_dataclass
from pathlib import Path
from typing import Any

from grader.sandbox.outcome import Isolation

SCHEMA_VERSION = "1.3"
SCHEMA_PATH = Path(__file__).resolve().parent / "schemas" / "report.schema.json"


class Status(str, enum.Enum):
    """How a graded function fared: every check passed, some failed on values, or it could not run."""

    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"


@dataclass(frozen=True)
class CheckResult:
    """One fixture of one graded function."""

    name: str
    visibility: str
    passed: bool
    message: str
    description: str = ""
    duration_s: float = 0.0


@dataclass(frozen=True)
class TestResult:
    """One graded function: its points, status, feedback and checks."""

    name: str
    score: float
    max_score: float
    status: Status
    feedback: str
    checks: tuple[CheckResult, ...] = ()


@dataclass(frozen=True)
class SubmissionInfo:
    path: str
    sha256: str


@dataclass(frozen=True)
class LoadProblem:
    """A top-level part of the submission that failed to load (the rest was still graded)."""

    kind: str
    message: str
    line: int | None
    """The line of the file or, in a notebook, of code cell ``cell``."""
    column: int | None
    cell: int | None = None
    """The notebook's code cell holding the part (1-based, counting code cells only); None for a Python file,
    and for a problem of the whole notebook (one that cannot be read)."""


@dataclass(frozen=True)
class Report:
    """The result of grading one submission against one assignment."""

    assignment: str
    assignment_version: str
    submission: SubmissionInfo
    grader_version: str
    score: float
    max_score: float
    started_at: str
    duration_s: float
    sandbox: Isolation
    """The confinement the submission ran under."""
    tests: tuple[TestResult, ...]
    load_problems: tuple[LoadProblem, ...] = ()
    schema_version: str = field(default=SCHEMA_VERSION)

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data, shaped as the schema describes, keys in field order."""
        data: dict[str, Any] = _plain(self)
        return data


def _plain(value: Any) -> Any:
    """``value`` with dataclasses as dicts and enums as their values, recursively (``dataclasses.asdict``
    without its deep copies, which the report's plain values do not need)."""
    names = _field_names(type(value))
    if names is not None:
        return {name: _plain(getattr(value, name)) for name in names}
    if isinstance(value, tuple):
        return tuple(_plain(item) for item in value)
    if isinstance(value, enum.Enum):
        return value.value
    return value


def _field_names(kind: type) -> tuple[str, ...] | None:
    """The field names of a dataclass, in order; None for any other type."""
    if kind not in _FIELD_NAMES:
        _FIELD_NAMES[kind] = tuple(item.name for item in fields(kind)) if is_dataclass(kind) else None
    return _FIELD_NAMES[kind]


_FIELD_NAMES: dict[type, tuple[str, ...] | None] = {}
