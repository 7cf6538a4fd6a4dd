"""What running a submission produced, as plain data: the limits and isolation it ran under, its load, each
call's outcome.

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
    cpu_time_s: float = 300.0
    """CPU time each process of the submission may use over its whole life (``RLIMIT_CPU``): a backstop beside
    the wall-clock limits, e.g. for threads. The grader raises it to cover every call at its time limit."""
    file_size_bytes: int = 16 * 1024**2
    """Largest file the submission may write (``RLIMIT_FSIZE``)."""
    open_files: int = 256
    """Open file descriptors per process (``RLIMIT_NOFILE``)."""
    processes: int = 64
    """Processes and threads of the submission together; enforced in the strict sandbox, by ``RLIMIT_NPROC`` in
    the submission's own user namespace or, for root (whom ``RLIMIT_NPROC`` never binds), by a pids cgroup."""


class SandboxLevel(str, enum.Enum):
    """How closely the submission's process is confined (see ``grader.sandbox.levels``)."""

    STRICT = "strict"
    """Landlock, seccomp, namespaces where the system permits them, and the limits."""
    BASIC = "basic"
    """A separate process with the limits, in a process group of its own."""
    PORTABLE = "portable"
    """A separate Python interpreter per submission with the wall-time limits, on any platform; where the
    ``resource`` module exists (not on Windows), the limits the system accepts; in a process group of its own
    on POSIX."""


@dataclass(frozen=True)
class Isolation:
    """The confinement actually in force for a submission, as the report states it."""

    level: SandboxLevel
    landlock_abi: int | None
    """The Landlock ABI version enforced, or None when the filesystem is open."""
    network: str
    """``"blocked"`` (a network namespace of its own), ``"tcp-blocked"`` (Landlock refuses TCP; UDP is open),
    or ``"open"``."""
    filesystem: str
    """``"confined"`` (Landlock) or ``"open"`` (the user's own permissions)."""
    processes: str
    """``"pid-namespace"`` (everything the submission starts dies with it), ``"process-group"`` (its process
    group dies with it), or ``"process"`` (only the process itself is killed: the portable level on Windows,
    which has no resource limits either)."""

    @property
    def own_pid_namespace(self) -> bool:
        """Whether submissions run in a PID namespace of their fork server's, apart from the grader's."""
        return self.processes == "pid-namespace"

    def describe(self) -> str:
        """One line for people, e.g. ``"strict (Landlock ABI 7, no network, own PID namespace)"``."""
        if self.level is SandboxLevel.BASIC:
            return "basic (a separate process with limits; files and network are not confined)"
        if self.level is SandboxLevel.PORTABLE:
            limits = "time limits" if self.processes == "process" else "time and CPU limits"
            return f"portable (a separate Python process with {limits}; no file, network or process confinement)"
        network = {"blocked": "no network", "tcp-blocked": "no TCP, UDP open"}.get(self.network, "network open")
        processes = "own PID namespace" if self.processes == "pid-namespace" else "own process group"
        return f"{self.level.value} (Landlock ABI {self.landlock_abi}, {network}, {processes})"


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
    """Line of the submission where it happened: the innermost traceback frame inside the submission (of a
    notebook, a line of its code cells joined: see ``grader.notebook.Script``)."""
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
    """The line of the file; of a notebook, the line of its code cells joined as the sandbox reports it, or,
    once the grader has located it, the line in code cell ``cell``."""
    column: int | None
    defines: tuple[str, ...] = ()
    """Top-level names the failed part would have defined (``def``/``class``/assignment targets)."""
    cell: int | None = None
    """The notebook's code cell holding ``line`` (1-based, counting code cells only), once located."""


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
    matched: bool = False
    """The caller accepted the value's encoding as that of the value it expected: the value was not decoded
    (``value`` is None)."""
