"""The grader's side of the fork server (``grader.sandbox.zygote``): one clean interpreter, started once, with
numpy already imported, that forks the process of each submission.

A worker takes a server for its submission alone (``acquire``) and gives it back (``release``); a grading
process keeps its idle servers for the next submissions. ``prestart`` boots one in the background, so that
the boot overlaps the grader's own preparation. Forking from it rather than from the grader keeps every reference
output out of the submission's memory; forking rather than starting an interpreter makes a submission cost
milliseconds. A server that dies is replaced at the next request.

>>> server = acquire()  # doctest: +SKIP
>>> pid = server.spawn(setup, {"HOME": scratch}, (request_read, response_write))  # doctest: +SKIP
>>> status, usage = server.wait(pid)  # doctest: +SKIP
>>> release(server)  # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, NamedTuple

from grader import interrupts
from grader.sandbox import cgroup, levels, zygote
from grader.sandbox.process_setup import Setup

PACKAGE_PARENT = str(Path(__file__).resolve().parents[2])
"""The directory holding the ``grader`` package, which a fresh interpreter puts first on ``sys.path``."""
_BOOTSTRAP = (
    "import sys\n"
    "sys.path[0] = sys.argv[1]\n"
    "import grader.sandbox.zygote as zygote\n"
    "del sys.path[0]\n"
    "zygote.main(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4] == 'namespaces')\n"
)
"""Run as ``python -s -c``. Not ``-I``: that would ignore ``PYTHONHASHSEED``. The environment is entirely ours
and the bootstrap replaces the current directory's ``sys.path`` entry, so ``-s`` isolates as much."""
ENVIRONMENT = {
    "PATH": os.defpath,
    "LANG": "C.UTF-8",
    "PYTHONHASHSEED": "0",
    "PYTHONUTF8": "1",
    "PYTHONDONTWRITEBYTECODE": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}
"""The server's whole environment, and so its children's (with their own ``HOME`` and ``TMPDIR``): none of the
grader's variables, fixed hashing, single-threaded BLAS."""
START_TIMEOUT_S = 30.0
"""How long the server may take to start (import numpy) and to answer a request."""
_IDLE_TASKS = 8
"""The server's pids cgroup limit until its first spawn sets the submission's."""


class ForkServerError(RuntimeError):
    """The fork server could not start, or failed a request: a problem of the grader's installation or of the
    machine (no memory, no processes left), never of a submission."""


class Usage(NamedTuple):
    """What an ended process used, its waited-for descendants included."""

    cpu_s: float
    max_rss_bytes: int


class ForkServer:
    """A connection to one fork server process; thread-safe, one request at a time.

    With ``namespaces``, the server runs in user, network and PID namespaces of its own, as their init, and so
    does every process it forks: ``end`` then kills all of them at once."""

    def __init__(self, namespaces: bool = False) -> None:
        self.namespaces = namespaces
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._control: socket.socket | None = None
        self._ready = False
        self._cgroup: Path | None = None

    def start(self) -> None:
        """Start the server process if none runs, without waiting for it to be ready."""
        with self._lock:
            self._start()

    def spawn(self, setup: Setup, environment: Mapping[str, str], fds: Sequence[int]) -> int:
        """Fork a process that runs ``child.main`` on ``fds`` (the read end of its request pipe, the write end of
        its response pipe), confined as ``setup`` says, with ``ENVIRONMENT`` and ``environment``; its pid.

        The process is the server's child, not the caller's: ``wait`` reaps it."""
        with self._lock:
            self._ensure_running()
            request = {"spawn": self._limit_processes(setup), "environment": {**ENVIRONMENT, **environment}}
            return int(self._exchange(request, fds)["pid"])

    def wait(self, pid: int) -> tuple[int, Usage]:
        """Wait for the process ``pid`` that ``spawn`` started to end (kill it first, or know that it has ended),
        and reap it: its wait status and usage."""
        return _usage(self._request({"wait": pid}))

    def end(self, pid: int) -> tuple[int, Usage]:
        """Kill every process in the server's namespace but the server, the process ``pid`` that ``spawn``
        started and all it started included, reap them, and give ``pid``'s wait status and usage (a server with
        ``namespaces`` only)."""
        return _usage(self._request({"end": pid}))

    def close(self) -> None:
        """Stop the server (the processes it forked die with it); idempotent."""
        with self._lock:
            self._stop()

    def _request(self, request: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            self._ensure_running()
            return self._exchange(request)

    def _ensure_running(self) -> None:
        """Start a server if none runs, or the last one ended (the lock held)."""
        if self._control is None or self._process is None or self._process.poll() is not None:
            self._stop()
            self._start()

    def _exchange(self, request: dict[str, Any], fds: Sequence[int] = ()) -> dict[str, Any]:
        """Send ``request`` (with ``fds``) to the running server and give its answer (the lock held)."""
        assert self._control is not None
        try:
            if not self._ready:
                self._receive()
                self._ready = True
            socket.send_fds(self._control, [json.dumps(request).encode()], list(fds))
            answer = self._receive()
        except (OSError, ValueError) as error:
            self._stop()
            raise ForkServerError(f"the fork server failed: {error}") from error
        if "error" in answer:
            raise ForkServerError(f"the fork server could not serve the request: {answer['error']}")
        return answer

    def _limit_processes(self, setup: Setup) -> dict[str, Any]:
        """The setup to send, with the cgroup's limit set for it: its processes and this server."""
        if self._cgroup is None:
            return dataclasses.asdict(setup)
        try:  # the submission's processes, and the server's (two with namespaces: one stays outside)
            cgroup.set_limit(self._cgroup, setup.processes + (2 if self.namespaces else 1))
        except OSError as error:
            raise ForkServerError(f"cannot limit the processes of the fork server's cgroup: {error}") from error
        return dataclasses.asdict(dataclasses.replace(setup, process_cgroup=True))

    def _receive(self) -> dict[str, Any]:
        assert self._control is not None
        message = self._control.recv(zygote.MAX_MESSAGE_BYTES)
        if not message:
            status = self._process.wait() if self._process is not None else None
            raise ForkServerError(f"the fork server ended (exit status {status})")
        answer: dict[str, Any] = json.loads(message)
        return answer

    def _start(self) -> None:
        if self._process is not None:
            return
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        command = [sys.executable, "-s", "-c", _BOOTSTRAP, PACKAGE_PARENT, str(theirs.fileno()), str(os.getpid()),
                   "namespaces" if self.namespaces else "plain"]
        try:
            self._process = _launch(command, theirs.fileno())
        except OSError as error:
            ours.close()
            raise ForkServerError(f"cannot start the fork server: {error}") from error
        finally:
            theirs.close()
        ours.settimeout(START_TIMEOUT_S)
        self._control, self._ready = ours, False
        self._cgroup = cgroup.create(_IDLE_TASKS)
        if self._cgroup is not None:  # before the server forks anything: it waits for a request
            try:
                cgroup.add(self._cgroup, self._process.pid)
            except OSError as error:
                self._stop()
                raise ForkServerError(f"cannot move the fork server into a pids cgroup: {error}") from error

    def _stop(self) -> None:
        if self._control is not None:
            self._control.close()
            self._control = None
        if self._process is not None:
            if self._process.poll() is None:
                self._process.kill()
            self._process.wait()
            self._process = None
        if self._cgroup is not None:
            cgroup.remove(self._cgroup)
            self._cgroup = None


def _usage(answer: dict[str, Any]) -> tuple[int, Usage]:
    return int(answer["status"]), Usage(float(answer["cpu_s"]), int(answer["max_rss_bytes"]))


def _launch(command: list[str], control_fd: int) -> subprocess.Popen[bytes]:
    """Start a server process running ``command`` with ``control_fd``, from ``_launcher``'s thread: a server dies
    with the thread that started it (``PR_SET_PDEATHSIG`` follows the thread, not the process), and that thread
    lives as long as this process."""
    global _launcher
    with _idle_lock:
        if _launcher is None:
            _launcher = ThreadPoolExecutor(max_workers=1, thread_name_prefix="fork-server-launcher")
        launcher = _launcher
    with interrupts.kept_from_new_threads():  # the first submit starts the thread
        started = launcher.submit(
            subprocess.Popen, command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, pass_fds=(control_fd,), env=ENVIRONMENT, cwd="/", start_new_session=True,
        )
    return started.result()


_launcher: ThreadPoolExecutor | None = None
"""The thread that starts this process's fork servers, once one is started."""
_idle: list[ForkServer] = []
"""This process's fork servers that no worker is using."""
_idle_lock = threading.Lock()
"""Guards ``_idle`` and ``_launcher``."""


def acquire(namespaces: bool = False) -> ForkServer:
    """A fork server (in namespaces of its own or not) for the caller alone until it gives it back with
    ``release``: an idle one of this process, or a new one. A server serves one submission at a time, so that
    its pids cgroup caps just that one, and ``end`` ends just that one's processes."""
    with _idle_lock:
        for server in _idle:
            if server.namespaces == namespaces:
                _idle.remove(server)
                return server
    server = ForkServer(namespaces)
    server.start()
    return server


def release(server: ForkServer) -> None:
    """Give back a server from ``acquire`` once every process it forked for the caller has been reaped."""
    with _idle_lock:
        _idle.append(server)


def prestart(namespaces: bool = False) -> None:
    """Have an idle server of that kind booting now, so that it is ready when the first submission comes. Off
    Linux, where no fork server runs (see ``levels.on_linux``), nothing."""
    if not levels.on_linux():
        return
    with _idle_lock:
        if any(server.namespaces == namespaces for server in _idle):
            return
    release(acquire(namespaces))


def _forget_in_child() -> None:
    """In a fork of this process: the servers belong to the parent; close this copy of their sockets (the
    parent's stay open) and start afresh."""
    global _idle_lock, _launcher
    _launcher = None  # its thread was not forked
    for server in _idle:
        if server._control is not None:
            server._control.close()
    _idle.clear()
    _idle_lock = threading.Lock()


if hasattr(os, "register_at_fork"):  # not on Windows, where no process forks
    os.register_at_fork(after_in_child=_forget_in_child)
