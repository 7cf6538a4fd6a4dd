"""The process of a submission at the portable level, on any platform: a fresh Python interpreter running
``grader.sandbox.portable_child``, talking over its standard input and output.

Nothing here needs Linux: no fork server, no ``select`` on pipes (POSIX only), no /proc. A thread of the
grader's reads and writes the pipes, and the caller waits for each step with a time limit
(``queue.get(timeout=...)``); a child that times out is killed, with its process group on POSIX
(``start_new_session``) and alone on Windows (``Popen.kill``). An interpreter start per submission costs a few
tenths of a second more than a fork.

>>> child = start(setup, environment(scratch))  # doctest: +SKIP
>>> child.send(request, time.monotonic() + 5)  # doctest: +SKIP
>>> child.close()  # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import io
import json
import os
import queue
import signal
import site
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from typing import IO, Any, TypeVar

from grader import interrupts
from grader.sandbox import forkserver, wire
from grader.sandbox.forkserver import Usage
from grader.sandbox.process_setup import Setup

T = TypeVar("T")

_BOOTSTRAP = (
    "import sys\n"
    "sys.path[0] = sys.argv[1]\n"
    "import grader.sandbox.portable_child as portable_child\n"
    "del sys.path[0]\n"
    "portable_child.main(sys.argv[2])\n"
)
"""Run as ``python -c`` (with ``-s`` unless the grader uses a user site-packages directory), as the fork server's
bootstrap is: not ``-I``, which would ignore ``PYTHONHASHSEED``."""
_POLL_S = 0.005
"""How often a POSIX child is checked for having exited, while waiting for it with a time limit."""
_GROUP_END_S = 1.0
"""How long the processes of a killed process group may take to be gone (reaped by their new parent)."""
_MAX_RSS_UNIT = 1 if sys.platform == "darwin" else 1024
"""Bytes per unit of ``ru_maxrss``: bytes on macOS, KiB elsewhere."""


def environment(scratch: str, platform: str = sys.platform, parent: Mapping[str, str] = os.environ) -> dict[str, str]:
    """The child's whole environment: the fork server's (fixed hashing, single-threaded BLAS), with ``scratch``
    as home and temporary directory, and the grader's user site-packages directory if it uses one (where a
    ``pip install --user`` put numpy, say); on Windows (``platform``), also with Windows' names for home and
    temporary directory, and the ``SYSTEMROOT`` and ``PATH`` of the ``parent`` environment, without which
    Windows cannot load Python's and numpy's libraries."""
    own = {**forkserver.ENVIRONMENT, "HOME": scratch, "TMPDIR": scratch}
    if site.ENABLE_USER_SITE:  # found from the home directory, which the child's is not
        own["PYTHONUSERBASE"] = site.getuserbase()
    if platform == "win32":
        own.update(USERPROFILE=scratch, TEMP=scratch, TMP=scratch)
        own.update({name: parent[name] for name in ("SYSTEMROOT", "PATH") if name in parent})
    return own


def start(setup: Setup, environment: Mapping[str, str]) -> PortableChild:
    """Start the interpreter that runs the submission of ``setup``, in its scratch directory, with exactly
    ``environment``, and the grader's site-packages directories (its user site too if it uses it); raises
    ``OSError`` when it cannot start."""
    no_user_site = [] if site.ENABLE_USER_SITE else ["-s"]
    process = subprocess.Popen(
        [sys.executable, *no_user_site, "-c", _BOOTSTRAP, forkserver.PACKAGE_PARENT,
         json.dumps(dataclasses.asdict(setup))],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        bufsize=0,
        env=dict(environment),
        cwd=setup.scratch,
        start_new_session=True,  # POSIX: a session and process group of its own, killed as one (not on Windows)
        creationflags=getattr(subprocess, "CREATE_NO_WINDOW", 0),  # Windows: no console window pops up
    )
    return PortableChild(process, _Pipes(_raw(process.stdin), _raw(process.stdout)))


class PortableChild:
    """A running child interpreter and the pipes to it (see ``_Pipes``)."""

    def __init__(self, process: subprocess.Popen[bytes], pipes: _Pipes) -> None:
        self.pid = process.pid
        self.returncode: int | None = None
        """How it ended, once reaped: its exit status, or minus the signal that killed it (POSIX)."""
        self.usage = Usage(0.0, 0)
        """What it used, once reaped (POSIX; nothing is measured on Windows)."""
        self._process = process
        self._pipes = pipes
        self._stopped = False

    def send(self, payload: bytes, deadline: float) -> None:
        """Send ``payload`` as one frame by ``deadline`` (``wire.FrameTimeout`` after it)."""
        self._pipes.run(functools.partial(wire.write_frame, self._pipes.requests, payload), deadline)

    def receive(self, max_bytes: int, deadline: float) -> bytearray:
        """Receive one frame of at most ``max_bytes`` by ``deadline`` (``wire.FrameTimeout`` after it)."""
        return self._pipes.run(functools.partial(wire.read_frame, self._pipes.responses, max_bytes), deadline)

    def exits_within(self, timeout: float) -> bool:
        """Whether the child exits within ``timeout`` seconds (it is reaped then)."""
        deadline = time.monotonic() + timeout
        while not self._reap(block=False):
            if time.monotonic() >= deadline:
                return False
            time.sleep(_POLL_S)
        return True

    def stop(self) -> None:
        """Kill the child, with its process group on POSIX, and reap it; idempotent."""
        if self._stopped:
            return
        self._stopped = True
        if os.name != "posix":
            if self.returncode is None:
                self._process.kill()
            self._reap(block=True)
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):  # the group may outlive its leader
            os.killpg(self.pid, signal.SIGKILL)
        self._reap(block=True)
        _await_group_end(self.pid)

    def close(self) -> None:
        """Stop the child and let go of the pipes; idempotent."""
        self.stop()
        self._pipes.close()

    def _reap(self, block: bool) -> bool:
        """Reap the child if it has ended (or, with ``block``, once it has), recording how and what it used;
        whether it is reaped."""
        if self.returncode is not None:
            return True
        if os.name != "posix":
            try:
                self.returncode = self._process.wait(None if block else 0)
            except subprocess.TimeoutExpired:
                return False
            return True
        pid, status, usage = os.wait4(self.pid, 0 if block else os.WNOHANG)
        if pid == 0:
            return False
        self.returncode = self._process.returncode = os.waitstatus_to_exitcode(status)
        self.usage = Usage(usage.ru_utime + usage.ru_stime, usage.ru_maxrss * _MAX_RSS_UNIT)
        return True


class _Pipes:
    """The child's standard input and output, used by one thread of the grader's, which owns them: each step
    (writing or reading a frame) is handed to it, and the caller waits for its outcome with a time limit. After
    a step that timed out, the child must be stopped: no other step can be run (the thread may still be in it).
    """

    def __init__(self, requests: io.RawIOBase, responses: io.RawIOBase) -> None:
        self.requests = requests
        self.responses = responses
        self._steps: queue.SimpleQueue[Callable[[], Any] | None] = queue.SimpleQueue()
        self._outcomes: queue.SimpleQueue[tuple[bool, Any]] = queue.SimpleQueue()
        with interrupts.kept_from_new_threads():
            threading.Thread(target=self._serve, name=f"sandbox-pipes-{id(self)}", daemon=True).start()

    def run(self, step: Callable[[], T], deadline: float) -> T:
        """``step()``, run by the thread; ``wire.FrameTimeout`` if it has not ended by ``deadline``."""
        self._steps.put(step)
        try:
            succeeded, outcome = self._outcomes.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            raise wire.FrameTimeout("the deadline passed") from None
        if not succeeded:
            raise outcome
        result: T = outcome
        return result

    def close(self) -> None:
        """Have the thread close the pipes and end, once its current step (if any) has ended: once the child is
        killed, it reads the end of file, or a descendant that outlived it holds the pipes until it ends."""
        self._steps.put(None)

    def _serve(self) -> None:
        try:
            while (step := self._steps.get()) is not None:
                try:
                    self._outcomes.put((True, step()))
                except Exception as error:
                    self._outcomes.put((False, error))
        finally:
            for stream in (self.requests, self.responses):
                with contextlib.suppress(OSError):
                    stream.close()


def _await_group_end(group: int) -> None:
    """Wait, a second at most, until no process of the killed process group ``group`` is left."""
    deadline = time.monotonic() + _GROUP_END_S
    with contextlib.suppress(ProcessLookupError, PermissionError):  # gone (or, the number reused, not ours)
        while time.monotonic() < deadline:
            os.killpg(group, 0)
            time.sleep(_POLL_S)


def _raw(stream: IO[bytes] | None) -> io.RawIOBase:
    """A pipe of ``Popen(bufsize=0)``: an unbuffered binary stream."""
    assert isinstance(stream, io.RawIOBase)
    return stream
