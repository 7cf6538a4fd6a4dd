"""The fork server's own process: a clean interpreter with numpy and the runner imported, forking one process
per submission on request, so that a submission costs a fork rather than an interpreter start.

``grader.sandbox.forkserver`` starts ``main`` in a fresh interpreter (never a fork of the grader: nothing of
the grader's memory, no reference output, is here to inherit). It never runs student code. It talks to the
grader on one ``SOCK_SEQPACKET`` socket, one JSON message per request and one per answer:

    {"spawn": Setup fields, "environment": {...}} + two fds (request read, response write)
                                 -> {"pid": pid}            a process running ``child.main`` on those fds
    {"wait": pid}                -> {"status": wait status, "cpu_s": ..., "max_rss_bytes": ...}
    {"end": pid}                 -> the same, once every process of the namespace but the server has been
                                    killed and reaped (in a PID namespace only)
    (any request that fails)     -> {"error": "why"}

Pids are the grader's (the host's). It first sends ``{"ready": true}`` once its imports are done. It exits
when the grader closes the socket, and dies with the grader (``PR_SET_PDEATHSIG``); the processes it forked
die with it in turn. It is the subreaper of their descendants, and reaps the orphans among them before each
fork, so that no zombie of one submission counts against the process limit of the next.

With ``namespaces``, the server first enters user, network and PID namespaces of its own and forks: the
process that serves is the namespace's init, and every submission runs in the namespace without creating
one; the first process stays outside, waits, and ends as the server ends.
"""

from __future__ import annotations

import gc
import json
import os
import signal
import socket
import struct
import sys
from collections.abc import Callable, Mapping
from typing import Any

from grader.sandbox import confine
from grader.sandbox.process_setup import Setup

_Run = Callable[[int, int, Setup, Mapping[str, str], int], None]
"""``child.main``: what a forked process runs."""
MAX_MESSAGE_BYTES = 1 << 16
SPAWN_FDS = 2
_PID = struct.Struct("=q")


class _Children:
    """The processes this server forked for the grader, by the grader's pid, and the statuses of those reaped
    early."""

    def __init__(self, namespaced: bool) -> None:
        self.namespaced = namespaced
        self.running: dict[int, int] = {}
        """Our pid of each running process, by the grader's."""
        self.ended: dict[int, tuple[int, Any]] = {}
        """The wait status and usage of each ended process, by our pid."""

    def spawn(self, start: Callable[[Callable[[], None]], None]) -> int:
        """Fork; the child runs ``start(report)``, where ``report()`` sends the grader's pid of it back here
        (a no-op outside a PID namespace). The grader's pid of the child."""
        reader, writer = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(reader)

            def report() -> None:
                if self.namespaced:
                    os.write(writer, _PID.pack(int(os.readlink("/proc/self"))))  # /proc is the host's
                os.close(writer)

            start(report)
        os.close(writer)
        try:
            reported = os.read(reader, _PID.size)
        finally:
            os.close(reader)
        if not self.namespaced:
            host = pid
        elif len(reported) == _PID.size:
            host = _PID.unpack(reported)[0]
        else:  # it died first; reap_orphans will reap it
            raise ChildProcessError("the forked process ended before it started")
        self.running[host] = pid
        return host

    def reap_orphans(self) -> None:
        """Reap every ended child without waiting: orphans are dropped, forked processes' statuses kept."""
        while self._reap(os.WNOHANG):
            pass

    def wait(self, host: int) -> dict[str, Any]:
        """Wait for forked process ``host`` (unless reaped already): its status and resource usage."""
        pid = self.running[host]
        while pid not in self.ended:
            if not self._reap(0):
                raise ChildProcessError(f"process {host} is not the server's")
        del self.running[host]
        status, usage = self.ended.pop(pid)
        return {"status": status, "cpu_s": usage.ru_utime + usage.ru_stime, "max_rss_bytes": usage.ru_maxrss * 1024}

    def end(self, host: int) -> dict[str, Any]:
        """Kill every process of the namespace but this one, reap them all, and answer as ``wait``."""
        if not self.namespaced:
            raise ValueError("only a server in a PID namespace of its own can end all its processes")
        while True:
            try:
                os.kill(-1, signal.SIGKILL)  # every process of the namespace but its init, which is this one
            except ProcessLookupError:
                pass
            if not self._reap(0):
                return self.wait(host)

    def _reap(self, options: int) -> bool:
        """Reap one ended child (waiting for one unless ``options`` says not to); whether there was one."""
        try:
            pid, status, usage = os.wait4(-1, options)
        except ChildProcessError:
            return False
        if pid == 0:
            return False
        if pid in self.running.values():
            self.ended[pid] = (status, usage)
        return True


def main(control_fd: int, parent: int, namespaces: bool) -> None:
    """Serve the grader process ``parent`` on the socket ``control_fd`` until it closes it or dies; first enter
    namespaces of its own if asked to."""
    confine.die_with_parent(parent)
    if namespaces:
        _enter_namespaces(control_fd)
    confine.become_subreaper()
    from grader.sandbox import child, runner  # and with them numpy: imported once, here

    children = _Children(namespaces)
    control = socket.socket(fileno=control_fd)
    runner.hide_packages()
    confine.readable_paths()  # cached: computed once here rather than in every process forked
    gc.collect()
    gc.freeze()  # the forked processes' collections then leave these objects, and their shared pages, alone
    control.send(json.dumps({"ready": True}).encode())
    while True:
        message, fds, _, _ = socket.recv_fds(control, MAX_MESSAGE_BYTES, SPAWN_FDS)
        if not message:
            os._exit(0)
        try:
            answer = _serve(json.loads(message), fds, control, children, child.main)
        except (OSError, ValueError, TypeError, KeyError) as error:
            answer = {"error": str(error)}
        finally:
            for fd in fds:
                os.close(fd)
        control.send(json.dumps(answer).encode())


def _enter_namespaces(control_fd: int) -> None:
    """Enter user, network and PID namespaces, then fork the namespace's init, which returns and serves; this
    process stays outside, waits for it and ends as it ended."""
    confine.enter_namespaces(pid_namespace=True)
    init = os.fork()
    if init != 0:
        os.close(control_fd)
        confine.end_as(os.waitpid(init, 0)[1])
    confine.die_with_parent(None)  # the parent is outside the namespace: its pid cannot be seen from within
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _serve(
    request: dict[str, Any], fds: list[int], control: socket.socket, children: _Children, run: _Run
) -> dict[str, Any]:
    if "spawn" in request:
        if len(fds) != SPAWN_FDS:
            raise ValueError(f"a spawn request needs {SPAWN_FDS} file descriptors, got {len(fds)}")
        setup = Setup(**request["spawn"])
        environment = {str(name): str(value) for name, value in request["environment"].items()}
        children.reap_orphans()
        server = os.getpid()
        return {"pid": children.spawn(lambda report: _run_child(control, fds, setup, environment, server, report,
                                                                 run))}
    if "end" in request:
        return children.end(int(request["end"]))
    return children.wait(int(request["wait"]))


def _run_child(
    control: socket.socket, fds: list[int], setup: Setup, environment: dict[str, str], server: int,
    report: Callable[[], None], run: _Run,
) -> None:
    """In the forked process: drop the server's socket first of all, tell the server who it is, then become
    the submission's process (``child.main``)."""
    try:
        control.close()
        report()
        sys.argv[:] = [setup.submission]
        run(fds[0], fds[1], setup, environment, server)
    finally:
        os._exit(1)
