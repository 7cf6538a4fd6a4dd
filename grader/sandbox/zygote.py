"""The fork server's own process: a clean interpreter with numpy and the runner imported, forking one process
per submission on request, so that a submission costs a fork rather than an interpreter start.

``grader.sandbox.forkserver`` starts ``main`` in a fresh interpreter (never a fork of the grader: nothing of
the grader's memory, no reference output, is here to inherit). It never runs student code. It talks to the
grader on one ``SOCK_SEQPACKET`` socket, one JSON message per request and one per answer:

    {"spawn": Setup fields, "environment": {...}} + two fds (request read, response write)
                                 -> {"pid": pid}            a process running ``child.main`` on those fds
    {"wait": pid}                -> {"status": wait status, "cpu_s": ..., "max_rss_bytes": ...}
    (any request that fails)     -> {"error": "why"}

It first sends ``{"ready": true}`` once its imports are done. It exits when the grader closes the socket,
and dies with the grader (``PR_SET_PDEATHSIG``); the processes it forked die with it in turn. It is the
subreaper of their descendants, and reaps the orphans among them before each fork, so that no zombie of one
submission counts against the process limit of the next.
"""

from __future__ import annotations

import gc
import json
import os
import socket
import sys
from typing import Any

from grader.sandbox import child, confine, runner  # noqa: F401  (runner: numpy, imported once, here)

MAX_MESSAGE_BYTES = 1 << 16
SPAWN_FDS = 2


class _Children:
    """The processes this server forked for the grader, and the statuses of those reaped early."""

    def __init__(self) -> None:
        self.running: set[int] = set()
        self.ended: dict[int, tuple[int, Any]] = {}

    def reap_orphans(self) -> None:
        """Reap every ended child without waiting: orphans are dropped, forked processes' statuses kept."""
        while True:
            try:
                pid, status, usage = os.wait4(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            if pid in self.running:
                self.running.discard(pid)
                self.ended[pid] = (status, usage)

    def wait(self, pid: int) -> dict[str, Any]:
        """Wait for forked process ``pid`` (unless reaped already): its status and resource usage."""
        if pid in self.ended:
            status, usage = self.ended.pop(pid)
        else:
            _, status, usage = os.wait4(pid, 0)
            self.running.discard(pid)
        return {"status": status, "cpu_s": usage.ru_utime + usage.ru_stime, "max_rss_bytes": usage.ru_maxrss * 1024}


def main(control_fd: int, parent: int) -> None:
    """Serve the grader process ``parent`` on the socket ``control_fd`` until it closes it or dies."""
    confine.die_with_parent(parent)
    confine.become_subreaper()
    children = _Children()
    control = socket.socket(fileno=control_fd)
    confine.readable_paths()  # cached: computed once here rather than in every process forked
    gc.collect()
    gc.freeze()  # the forked processes' collections then leave these objects, and their shared pages, alone
    control.send(json.dumps({"ready": True}).encode())
    while True:
        message, fds, _, _ = socket.recv_fds(control, MAX_MESSAGE_BYTES, SPAWN_FDS)
        if not message:
            os._exit(0)
        try:
            answer = _serve(json.loads(message), fds, control, children)
        except (OSError, ValueError, TypeError, KeyError) as error:
            answer = {"error": str(error)}
        finally:
            for fd in fds:
                os.close(fd)
        control.send(json.dumps(answer).encode())


def _serve(request: dict[str, Any], fds: list[int], control: socket.socket, children: _Children) -> dict[str, Any]:
    if "spawn" in request:
        children.reap_orphans()
        if len(fds) != SPAWN_FDS:
            raise ValueError(f"a spawn request needs {SPAWN_FDS} file descriptors, got {len(fds)}")
        setup = confine.Setup(**request["spawn"])
        environment = {str(name): str(value) for name, value in request["environment"].items()}
        server = os.getpid()
        pid = os.fork()
        if pid == 0:
            _run_child(control, fds, setup, environment, server)
        children.running.add(pid)
        return {"pid": pid}
    return children.wait(int(request["wait"]))


def _run_child(
    control: socket.socket, fds: list[int], setup: confine.Setup, environment: dict[str, str], server: int
) -> None:
    """In the forked process: drop the server's socket first of all, then become the submission's process."""
    try:
        control.close()
        sys.argv[:] = [setup.submission]
        child.main(fds[0], fds[1], setup, environment, server)
    finally:
        os._exit(1)
