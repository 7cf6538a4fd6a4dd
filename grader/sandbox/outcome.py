"""What running a submission produced, as plain data: the limits it ran under, its load, each call's outcome.

A student's fault is never an exception in the grader: it is a ``Fault`` value inside these records.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Limits:
    """Resource limits for the child process that runs a submission."""

    call_timeout_s: float = 5.0
    """Wall-clock time one call of a graded function may take."""
    load_timeout_s: float = 10.0
    """Wall-clock time importing the submission may take."""
    memory_bytes: int = 2 * 1024**3
    """Address space of the child process."""
    max_result_bytes: int = 64 * 1024**2
    """Largest encoded result the parent accepts from one call."""


class FaultKind(str, enum.Enum):
    EXCEPTION = "exception"
    """The student's code raised (``SystemExit`` from ``sys.exit`` included)."""
    TIMEOUT = "timeout"
    MEMORY = "memory"
    """``MemoryError``, or the process died at the memory limit."""
    EXIT = "exit"
    """The process ended on its own (``os._exit``) in the middle of the work."""
    CRASH = "crash"
    """The process was killed by a signal (segmentation fault, abort, ...)."""
    BAD_RESULT = "bad_result"
    """The returned value cannot be sent back: an unsupported type, too large or too deeply nested."""


@dataclass(frozen=True)
class Fault:
    """Something the student's code did wrong, described in plain words."""

    kind: FaultKind
    message: str
    """One sentence, e.g. ``"ZeroDivisionError: division by zero"`` or ``"exceeded the 5 s time limit"``."""
    exception_type: str | None = None
    line: int | None = None
    """Line of the submission where it happened: the innermost traceback frame inside the submission."""
    function: str | None = None
    """The submission's function containing ``line``."""
    fatal: bool = False
    """The child process is gone: further calls need a new worker."""


@dataclass(frozen=True)
class LoadError:
    """A top-level part of the submission that could not be run; the rest still loaded."""

    kind: str
    """``"SyntaxError"``, or the exception type a top-level statement raised."""
    message: str
    line: int | None
    column: int | None
    defines: tuple[str, ...] = ()
    """Top-level names the failed part would have defined (``def``/``class``/assignment targets)."""


@dataclass(frozen=True)
class LoadResult:
    """What importing the submission gave: the callables it defines and what failed on the way."""

    functions: frozenset[str]
    errors: tuple[LoadError, ...] = ()
    fault: Fault | None = None
    """Set when loading failed as a whole (a hang, a crash, ``os._exit`` at top level)."""


@dataclass(frozen=True)
class CallResult:
    """One call of a student function: its decoded return value, or the fault it ended in."""

    value: Any
    fault: Fault | None
    duration_s: float
