"""The process of a submission at the strict and basic levels (Linux): forked by a fork server, talking over two
pipes with deadlines (``poll``), and killed with everything it started.

>>> child = start(None, setup, {"HOME": scratch, "TMPDIR": scratch}, in_pid_namespace=True)  # doctest: +SKIP
>>> child.send(request, time.monotonic() + 5)  # doctest: +SKIP
>>> child.close()  # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import time
from collections.abc import Callable, Mapping

from grader.sandbox import forkserver, wire
from grader.sandbox.forkserver import ForkServer, ForkServerError, Usage
from grader.sandbox.process_setup import Setup

_KILL_ROUNDS = 50
_DEAD_STATES = ("Z", "X")
"""/proc states of a process that runs no more: zombie, dead."""


def start(
    server: ForkServer | None, setup: Setup, environment: Mapping[str, str], in_pid_namespace: bool
) -> ForkedChild:
    """Have ``server`` fork the process of ``setup`` with ``environment`` (beside the server's own); with no
    server, one of this process's is taken for the child's lifetime (one in a PID namespace of its own if
    ``in_pid_namespace``). Raises ``ForkServerError`` when the server fails."""
    acquired = server is None
    if server is None:
        server = forkserver.acquire(in_pid_namespace)
    request_read, request_write = os.pipe()
    response_read, response_write = os.pipe()
    try:
        pid = server.spawn(setup, environment, (request_read, response_write))
    except BaseException:
        for fd in (request_write, response_read):
            os.close(fd)
        if acquired:
            forkserver.release(server)
        raise
    finally:
        os.close(request_read)
        os.close(response_write)
    os.set_blocking(request_write, False)
    os.set_blocking(response_read, False)
    return ForkedChild(server, acquired, pid, request_write, response_read, in_pid_namespace)


class ForkedChild:
    """A running child forked by ``server`` and the write end of its request pipe and read end of its response
    pipe (non-blocking). With ``in_pid_namespace``, it runs in the server's PID namespace, which the server ends
    as a whole; else it runs in a process group of its own, as the subreaper of its descendants."""

    def __init__(self, server: ForkServer, acquired: bool, pid: int, request_fd: int, response_fd: int,
                 in_pid_namespace: bool) -> None:
        self.pid = pid
        self.returncode: int | None = None
        """How it ended, once reaped: its exit status, or minus the signal that killed it."""
        self.usage = Usage(0.0, 0)
        """What it used, its waited-for descendants included, once reaped."""
        self._server = server
        self._acquired = acquired
        self._request_fd = request_fd
        self._response_fd = response_fd
        self._in_pid_namespace = in_pid_namespace
        self._closed = False

    def send(self, payload: bytes, deadline: float) -> None:
        """Send ``payload`` as one frame by ``deadline`` (see ``wire.send_frame``)."""
        wire.send_frame(self._request_fd, payload, deadline)

    def receive(self, max_bytes: int, deadline: float) -> bytearray:
        """Receive one frame of at most ``max_bytes`` by ``deadline`` (see ``wire.recv_frame``)."""
        return wire.recv_frame(self._response_fd, max_bytes, deadline)

    def exits_within(self, timeout: float) -> bool:
        """Whether the child exits (becomes waitable) within ``timeout`` seconds."""
        fd = os.pidfd_open(self.pid)
        try:
            poller = select.poll()
            poller.register(fd, select.POLLIN)
            return bool(poller.poll(timeout * 1000))
        finally:
            os.close(fd)

    def stop(self) -> None:
        """Kill the child with its process group and descendants, and reap it (if it is still running)."""
        if self.returncode is not None:
            return
        if self._in_pid_namespace:  # the server kills and reaps everything of the submission
            self._collect(lambda server, pid: server.end(pid))
        else:
            _kill_tree(self.pid)
            self._collect(lambda server, pid: server.wait(pid))

    def close(self) -> None:
        """Stop the child, close the pipes and give back the server taken for it; idempotent."""
        if self._closed:
            return
        self._closed = True
        self.stop()
        os.close(self._request_fd)
        os.close(self._response_fd)
        if self._acquired:
            forkserver.release(self._server)

    def _collect(self, reap: Callable[[ForkServer, int], tuple[int, Usage]]) -> None:
        """Record how the child ended, as ``reap`` gives it (``wait``, or ``end``)."""
        try:
            status, self.usage = reap(self._server, self.pid)
        except ForkServerError:  # the server is gone, and the child died with it: nothing is left to reap
            self.returncode, self.usage = -signal.SIGKILL, Usage(0.0, 0)
            return
        self.returncode = os.waitstatus_to_exitcode(status)


def _kill_tree(pid: int) -> None:
    """SIGKILL ``pid``, its descendants and its process group, each stopped first so none can fork away, and
    wait until none of them runs.

    The runner makes itself the subreaper of its descendants, so even those that left its session stay below
    it while it lives. Of a child that already died, only the process group can still be found.
    """
    _signal(pid, signal.SIGSTOP)
    stopped = {pid}
    for _ in range(_KILL_ROUNDS):
        found = _members(pid) - stopped
        if not found:
            break
        for member in found:
            _signal(member, signal.SIGSTOP)
        stopped |= found
    for member in stopped:
        _signal(member, signal.SIGKILL)
    _await_death(stopped - {pid})


def _members(root: int) -> set[int]:
    """The live processes below ``root`` or in its process group, from one scan of /proc."""
    children: dict[int, list[int]] = {}
    found: set[int] = set()
    for entry in os.scandir("/proc"):
        stat = _read_stat(entry.name) if entry.name.isdigit() else None
        if stat is not None and stat[0] not in _DEAD_STATES:
            children.setdefault(int(stat[1]), []).append(int(entry.name))
            if int(stat[2]) == root:
                found.add(int(entry.name))
    pending = [root]
    while pending:
        below = children.get(pending.pop(), [])
        found.update(below)
        pending += below
    return found


def _read_stat(pid: str) -> list[str] | None:
    """The fields of /proc/<pid>/stat after the command name (state, parent, ...), or None if it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as file:
            return file.read().rpartition(b")")[2].decode().split()
    except OSError:
        return None


def _await_death(pids: set[int], timeout: float = 1.0) -> None:
    """Wait until each killed process has exited (a zombie at most), so that nothing of it runs any more."""
    poller = select.poll()
    fds = []
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            fds.append(os.pidfd_open(pid))
            poller.register(fds[-1], select.POLLIN)
    try:
        deadline = time.monotonic() + timeout
        remaining = len(fds)
        while remaining and time.monotonic() < deadline:
            ready = poller.poll(max(0.0, deadline - time.monotonic()) * 1000)
            for fd, _ in ready:
                poller.unregister(fd)
            remaining -= len(ready)
    finally:
        for fd in fds:
            os.close(fd)


def _signal(pid: int, number: int) -> None:
    try:
        os.kill(pid, number)
    except ProcessLookupError:
        pass
