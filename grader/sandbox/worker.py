"""The parent side of the sandbox: a child process that loads one submission and runs its functions.

The child (``grader.sandbox.runner``) is untrusted. Everything it sends is decoded by ``wire`` and checked
field by field; whatever it does (hangs, crashes, exits, garbles the pipe) becomes a ``Fault`` value. It runs
in a private scratch directory, its working directory, home and temporary directory, deleted at ``close``;
the sandbox level (``grader.sandbox.levels``) decides how closely it is confined, and how it starts: forked by a
fork server (``grader.sandbox.forked``: strict and basic, Linux) or as an interpreter of its own
(``grader.sandbox.portable``: any platform).

>>> with Worker(Limits(call_timeout_s=2)) as worker:  # doctest: +SKIP
...     loaded = worker.load(Path("submission.py"))
...     result = worker.call("add", Call(args=(1, 2)))
"""

from __future__ import annotations

import contextlib
import functools
import os
import pickle
import shutil
import signal
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol, TypeVar

from grader import interrupts
from grader.assignment import Call
from grader.sandbox import forked, levels, portable, runner, wire
from grader.sandbox.forkserver import ForkServer, ForkServerError, Usage
from grader.sandbox.outcome import CallResult, Fault, FaultKind, Isolation, Limits, LoadError, LoadResult, SandboxLevel
from grader.sandbox.process_setup import Setup

_START_TIMEOUT_S = 30.0
"""How long the child may take to confine itself (not charged to the submission)."""
_LOAD_MARGIN_S = 1.0
"""How much of the load's time limit is kept for what comes after a top-level statement stopped for running
too long: the definitions after it, and the answer."""
_EXIT_GRACE_S = 1.0
"""How long a child that closed its end of the pipe gets to finish exiting."""
_MEMORY_FRACTION = 0.75
"""A child killed by a signal with a peak resident size above this part of the memory limit ran out of it."""
_MAX_TEXT = 1000
_MAX_START_MESSAGE = 4096
_WINDOWS_EXCEPTIONS = {
    0xC0000005: "access violation",
    0xC000001D: "illegal instruction",
    0xC0000094: "integer division by zero",
    0xC00000FD: "stack overflow",
    0xC0000409: "stack buffer overrun",
}
"""The exit codes of a Windows process ended by a hardware or runtime exception (``NTSTATUS`` error codes), as
for a POSIX process killed by SIGSEGV, SIGILL, SIGFPE or SIGABRT."""
_WINDOWS_EXCEPTION_CODES = 0xC0000000
"""Every Windows exit code from here on is an ``NTSTATUS`` error: no process exits with it on its own."""

T = TypeVar("T")
Accept = Callable[[bytearray], bool]
"""Whether the encoding of a call's result is of the value expected (``Worker.call_many``)."""


class WorkerStartError(RuntimeError):
    """The child process could not start: a problem of the grader's installation, not of the submission."""


class _Malformed(Exception):
    """A response that decodes but does not have the expected shape."""


class _Ended(Exception):
    """The child is gone; ``fault`` says why."""

    def __init__(self, fault: Fault) -> None:
        super().__init__(fault.message)
        self.fault = fault


class _Child(Protocol):
    """A started child process running the runner, and the pipes to it: ``forked.ForkedChild`` (strict and
    basic) or ``portable.PortableChild``."""

    pid: int
    returncode: int | None
    """How it ended, once reaped: its exit status, or minus the signal that killed it."""
    usage: Usage
    """What it used, once reaped."""

    def send(self, payload: bytes, deadline: float) -> None:
        """Send one frame by ``deadline``: ``wire.FrameTimeout`` after it, ``wire.ConnectionClosed`` if the child
        closed its end."""

    def receive(self, max_bytes: int, deadline: float) -> bytearray:
        """Receive one frame of at most ``max_bytes`` by ``deadline`` (``wire.FrameTooLarge`` for a larger one)."""

    def exits_within(self, timeout: float) -> bool:
        """Whether the child exits within ``timeout`` seconds."""

    def stop(self) -> None:
        """Kill the child and what it started, and reap it, unless that is done."""

    def close(self) -> None:
        """Stop the child and release its pipes and whatever else it held; idempotent."""


class Worker:
    """A child process running one submission. Use it as a context manager, one per submission; not thread-safe.

    ``sandbox`` is the level to run at, ``"auto"`` for the best available (see ``levels.resolve``; strict where
    this kernel is not up to it raises ``levels.SandboxUnavailable``). At the strict and basic levels, ``server``
    forks the child; by default, the worker takes one of this process's fork servers for its lifetime. At the
    portable level, the child is an interpreter of its own (``grader.sandbox.portable``). The child starts at
    the first ``load``; in the strict sandbox, the only file outside Python's own it can read is that
    submission. Every fault of the student's code comes back as a ``Fault`` value; a fatal one ends the child,
    ``alive`` turns False and later requests answer at once with a fault. Only the grader's own problems raise:
    a child that cannot start (``WorkerStartError``), a request after ``close()``, a ``call`` before any
    ``load``, arguments that cannot be pickled.
    """

    def __init__(
        self, limits: Limits = Limits(), sandbox: SandboxLevel | str = "auto", server: ForkServer | None = None
    ) -> None:
        self.limits = limits
        self.isolation: Isolation = levels.isolation(levels.resolve(sandbox))
        """The confinement the child runs under."""
        self.scratch: Path | None = None
        """The child's private directory, while it exists."""
        self._server = server
        self._child: _Child | None = None
        self._ended: Fault | None = None
        self._closed = False

    def __enter__(self) -> Worker:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def alive(self) -> bool:
        """Whether requests can still run: not closed, and no fatal fault ended the child."""
        return not self._closed and self._ended is None

    @property
    def in_pid_namespace(self) -> bool:
        """Whether the child runs in the PID namespace of its fork server, which ends all its processes."""
        return self.isolation.own_pid_namespace

    @property
    def pid(self) -> int | None:
        """The child's process id, once started."""
        return None if self._child is None else self._child.pid

    def load(
        self, submission: Path, preamble: str = "", cells: Sequence[tuple[int, str]] | None = None
    ) -> LoadResult:
        """Import ``submission`` in the child (started now if need be) within ``limits.load_timeout_s``, after
        running ``preamble`` (trusted code, e.g. the helpers a course gives students) in its namespace. A
        top-level statement still running a second before the limit is stopped, and only the definitions and
        imports after it run: what the file defines is graded all the same.

        For a notebook, ``cells`` is the code of each code cell with the line where it starts in the code of all
        of them joined (``grader.notebook.Script.cells``): they are loaded in place of the file's text, each on
        its own, and every line reported, in load errors and faults, is a line of that joined code."""
        self._check_open()
        path = Path(submission).resolve()
        if self._child is None:
            self._start(path)
        seconds = max(self.limits.load_timeout_s - _LOAD_MARGIN_S, self.limits.load_timeout_s / 2)
        code = None if cells is None else tuple((first_line, text) for first_line, text in cells)
        request = runner.LOAD + wire.encode((str(path), preamble, seconds, code))
        try:
            max_bytes = wire.DEFAULT_MAX_BYTES + runner.KIND_BYTES
            return self._exchange(request, self.limits.load_timeout_s, max_bytes, _parse_load)
        except _Ended as ended:
            return LoadResult(frozenset(), fault=ended.fault)

    def call(self, function: str, call: Call) -> CallResult:
        """Call the submission's ``function`` on ``call``'s arguments within ``limits.call_timeout_s``."""
        return self.call_many(function, [encode_call(call)])[0]

    def call_many(
        self, function: str, calls: Sequence[bytes], accepts: Sequence[Accept | None] = ()
    ) -> list[CallResult]:
        """Call the submission's ``function`` once per item of ``calls`` (arguments from ``encode_call``), in
        order, each within ``limits.call_timeout_s``: one request for them all. The results, one per call, or
        fewer when a fatal fault ended the child (the last result then holds it, and the rest were not run).

        ``accepts[i]``, when given, tells from a result's encoding (``wire.encode``) whether it is right: a
        result it accepts is not decoded, and is marked ``matched``."""
        self._check_open()
        if self._child is None:
            raise RuntimeError("load a submission before calling its functions")
        child = self._child
        request = runner.CALL + pickle.dumps((function, list(calls)), protocol=pickle.HIGHEST_PROTOCOL)
        max_bytes = self.limits.max_result_bytes + runner.KIND_BYTES
        timeout = self.limits.call_timeout_s
        results: list[CallResult] = []
        started = time.perf_counter()
        try:
            self._guarded(timeout, functools.partial(child.send, request))
            for index in range(len(calls)):
                frame = self._guarded(timeout, functools.partial(child.receive, max_bytes))
                matched = index < len(accepts) and _accepted(frame, accepts[index])
                value, fault = (None, None) if matched else self._guarded(timeout, functools.partial(
                    _parse_response, frame))
                results.append(CallResult(value, fault, time.perf_counter() - started, matched))
                started = time.perf_counter()
        except _Ended as ended:
            results.append(CallResult(None, ended.fault, time.perf_counter() - started))
        return results

    def close(self) -> None:
        """Kill the child and every process it started, reap it, release the pipes and delete the scratch
        directory; idempotent."""
        if self._closed:
            return
        with interrupts.held():
            self._close()

    def _close(self) -> None:
        self._closed = True
        if self._child is not None:
            self._child.close()
        if self.scratch is not None:
            _remove_tree(self.scratch)
            self.scratch = None

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError("the worker is closed")

    def _start(self, submission: Path) -> None:
        with interrupts.held():  # the scratch directory is known to ``close`` as soon as it exists
            self.scratch = Path(tempfile.mkdtemp(prefix="grade-scratch-"))
        try:
            self._child = self._spawn(self._setup(submission, self.scratch), str(self.scratch))
        except BaseException:
            self.close()
            raise
        try:
            ready = self._child.receive(_MAX_START_MESSAGE, time.monotonic() + _START_TIMEOUT_S)
        except (wire.WireError, OSError):
            ready = bytearray()
        if ready != runner.READY:
            self.close()
            if ready[:1] == runner.UNCONFINED:
                raise WorkerStartError(f"the sandbox process could not confine itself: {_start_message(ready)}")
            raise WorkerStartError(f"the sandbox process did not start (exit status {self._child.returncode})")

    def _spawn(self, setup: Setup, scratch: str) -> _Child:
        """Start the child of ``setup`` as the level says: forked by a fork server, or an interpreter of its own."""
        if self.isolation.level is SandboxLevel.PORTABLE:
            try:
                return portable.start(setup, portable.environment(scratch))
            except OSError as error:
                raise WorkerStartError(f"cannot start the sandbox process: {error}") from error
        try:
            return forked.start(self._server, setup, {"HOME": scratch, "TMPDIR": scratch}, self.in_pid_namespace)
        except ForkServerError as error:
            raise WorkerStartError(str(error)) from error

    def _setup(self, submission: Path, scratch: Path) -> Setup:
        limits, isolation = self.limits, self.isolation
        return Setup(
            memory_bytes=limits.memory_bytes,
            max_result_bytes=limits.max_result_bytes,
            cpu_time_s=limits.cpu_time_s,
            file_size_bytes=limits.file_size_bytes,
            open_files=limits.open_files,
            processes=limits.processes,
            scratch=str(scratch),
            submission=str(submission),
            landlock_abi=isolation.landlock_abi,
            namespaces=isolation.network == "blocked",
            pid_namespace=self.in_pid_namespace,
            enter_namespaces=isolation.network == "blocked" and not self.in_pid_namespace,
        )

    def _exchange(self, request: bytes, timeout: float, max_bytes: int, parse: Callable[[bytearray], T]) -> T:
        """Send ``request`` and parse the response, both within ``timeout``; see ``_guarded``."""
        child = self._child
        assert child is not None

        def exchange(deadline: float) -> T:
            child.send(request, deadline)
            return parse(child.receive(max_bytes, deadline))

        return self._guarded(timeout, exchange)

    def _guarded(self, timeout: float, action: Callable[[float], T]) -> T:
        """``action(deadline)``, a step of talking to the child, ``timeout`` seconds from now; raise ``_Ended``
        if the child is or goes away meanwhile, times out or sends malformed data (it is then stopped)."""
        if self._ended is not None:
            raise _Ended(_not_run(self._ended))
        try:
            return action(time.monotonic() + timeout)
        except wire.FrameTimeout:
            self._stop()
            fault = Fault(FaultKind.TIMEOUT, f"exceeded the {timeout:g} s time limit", fatal=True)
        except wire.ConnectionClosed:
            fault = self._ended_fault()
        except (wire.FrameTooLarge, wire.DecodeError, _Malformed) as error:
            self._stop()
            fault = Fault(FaultKind.BAD_RESULT, f"the process sent back malformed data: {error}", fatal=True)
        except BaseException:
            self.close()
            raise
        self._ended = fault
        raise _Ended(fault)

    def _stop(self) -> None:
        """Kill the child with everything it started, and reap it (if it is still running)."""
        assert self._child is not None
        self._child.stop()

    def _ended_fault(self) -> Fault:
        """The fault of a child that closed its end of the pipe: how it exited, once it has."""
        assert self._child is not None
        exited = self._child.exits_within(_EXIT_GRACE_S)
        self._child.stop()
        if not exited:
            return Fault(FaultKind.BAD_RESULT, "the process closed its connection to the grader", fatal=True)
        assert self._child.returncode is not None
        return _exit_fault(self._child.returncode, self._child.usage, self.limits)


def encode_call(call: Call, watched: Sequence[int | str] = ()) -> bytes:
    """The arguments of ``call`` as ``call_many`` takes them: pickled (the child trusts what the grader sends,
    and unpickles quickly), objects shared within them shared in the copy. Encode a call made many times
    once.

    With ``watched`` (positions in ``call.args``, names in ``call.kwargs``), the call's result is
    ``(return value, (each watched argument as it is after the call, ...))``: how the function left them."""
    return pickle.dumps((tuple(call.args), dict(call.kwargs), tuple(watched)), protocol=pickle.HIGHEST_PROTOCOL)


def _parse_load(frame: bytearray) -> LoadResult:
    functions, errors = _fields(_body(frame, runner.LOADED), (tuple, tuple))
    return LoadResult(
        functions=frozenset(_clip(name) for name in _strings(functions)),
        errors=tuple(_load_error(error) for error in errors),
    )


def _load_error(value: Any) -> LoadError:
    kind, message, line, column, defines = _fields(value, (str, str, _OPTIONAL_INT, _OPTIONAL_INT, tuple))
    return LoadError(_clip(kind), _clip(message), line, column, tuple(_clip(name) for name in _strings(defines)))


def _parse_response(frame: bytearray, deadline: float) -> tuple[Any, Fault | None]:
    """``_parse_call`` as a step of ``Worker._guarded`` (the frame is already in: the deadline is moot)."""
    return _parse_call(frame)


def _accepted(frame: bytearray, accept: Accept | None) -> bool:
    """Whether ``frame`` is a ``VALUE`` response whose encoding ``accept`` accepts."""
    return accept is not None and frame.startswith(runner.VALUE) and accept(frame[runner.KIND_BYTES:])


def _parse_call(frame: bytearray) -> tuple[Any, Fault | None]:
    kind = bytes(frame[:1])
    if kind == runner.VALUE:
        return _body(frame, runner.VALUE), None
    kind_name, message, exception_type, line, function = _fields(
        _body(frame, runner.FAULT), (str, str, _OPTIONAL_STR, _OPTIONAL_INT, _OPTIONAL_STR)
    )
    if kind_name not in runner.FAULT_KINDS:
        raise _Malformed(f"unknown fault kind {kind_name[:40]!r}")
    return None, Fault(
        FaultKind(kind_name), _clip(message), _clip_optional(exception_type), line, _clip_optional(function)
    )


_OPTIONAL_INT = (int, type(None))
_OPTIONAL_STR = (str, type(None))


def _body(frame: bytearray, kind: bytes) -> Any:
    if frame[:1] != kind:
        raise _Malformed(f"a response of kind {bytes(frame[:1])!r} where {kind!r} was expected")
    return wire.decode(memoryview(frame)[1:], max_bytes=len(frame))


def _fields(value: Any, types: tuple[type | tuple[type, ...], ...]) -> tuple[Any, ...]:
    """``value`` if it is a tuple whose items have exactly the given types (``bool`` is no ``int`` here)."""
    if type(value) is not tuple or len(value) != len(types):
        raise _Malformed(f"expected a tuple of {len(types)} fields")
    for item, expected in zip(value, types, strict=True):
        if type(item) not in (expected if isinstance(expected, tuple) else (expected,)):
            raise _Malformed(f"a field of type {type(item).__name__}")
    return value


def _strings(value: tuple[Any, ...]) -> tuple[str, ...]:
    if any(type(item) is not str for item in value):
        raise _Malformed("expected a tuple of strings")
    return value


def _clip(text: str) -> str:
    return text if len(text) <= _MAX_TEXT else text[: _MAX_TEXT - 1] + "…"


def _clip_optional(text: str | None) -> str | None:
    return None if text is None else _clip(text)


def _not_run(fault: Fault) -> Fault:
    return Fault(fault.kind, f"not run: the process had already ended ({fault.message})", fatal=True)


def _exit_fault(returncode: int, usage: Usage, limits: Limits) -> Fault:
    """The fault of a child that ended on its own with ``returncode`` (negative: killed by that signal), given
    its resource usage (its waited-for descendants included) and the limits it ran under."""
    if returncode >= _WINDOWS_EXCEPTION_CODES:
        description = _WINDOWS_EXCEPTIONS.get(returncode, "an exception")
        return Fault(FaultKind.CRASH, f"the process crashed with {description} (exception code 0x{returncode:08X})",
                     fatal=True)
    if returncode >= 0:
        return Fault(FaultKind.EXIT, f"the process exited with status {returncode} (os._exit?)", fatal=True)
    number = -returncode
    name, description = _signal_names(number)
    if number == signal.SIGXCPU or (number == signal.SIGKILL and usage.cpu_s >= limits.cpu_time_s):
        return Fault(FaultKind.TIMEOUT, f"exceeded the {limits.cpu_time_s:g} s CPU time limit", fatal=True)
    if number == signal.SIGXFSZ:
        limit = f"{limits.file_size_bytes / 1024**2:g} MiB"
        return Fault(FaultKind.CRASH, f"the process was killed by {name}: exceeded the {limit} file size limit",
                     fatal=True)
    if usage.max_rss_bytes >= _MEMORY_FRACTION * limits.memory_bytes:
        limit = f"{limits.memory_bytes / 1024**2:g} MiB"
        return Fault(FaultKind.MEMORY, f"the process was killed by {name} at its {limit} memory limit", fatal=True)
    return Fault(FaultKind.CRASH, f"the process crashed with {name} ({description})", fatal=True)


def _start_message(frame: bytearray) -> str:
    """The text of an ``UNCONFINED`` frame (sent before any student code ran, but checked all the same)."""
    try:
        message = wire.decode(memoryview(frame)[1:], max_bytes=len(frame))
    except wire.DecodeError:
        return "(unreadable)"
    return _clip(message) if type(message) is str else "(unreadable)"


def _remove_tree(path: Path) -> None:
    """Delete ``path`` and all within, whatever permissions the submission gave its directories."""
    directories = [str(path)]
    while directories:
        directory = directories.pop()
        with contextlib.suppress(OSError):
            os.chmod(directory, 0o700)
            directories += [entry.path for entry in os.scandir(directory) if entry.is_dir(follow_symlinks=False)]
    shutil.rmtree(path, ignore_errors=True)


def _signal_names(number: int) -> tuple[str, str]:
    """``("SIGSEGV", "segmentation fault")``."""
    try:
        name = signal.Signals(number).name
    except ValueError:
        name = f"signal {number}"
    description = signal.strsignal(number) or "unknown signal"
    return name, description[:1].lower() + description[1:]
