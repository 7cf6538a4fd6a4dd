"""Hostile submissions: under the strict sandbox every attack is contained, and the report says so.

Each file under ``submissions/hostile/`` is the reference solution with one attack or fault, named
``<function>__<attack>.py`` after the graded function it lives in (``top_level__`` for module-level attacks).
For each file, the attack has no effect outside the submission's process (canary files, listeners, the
environment's secret, the grader's process, leftover processes), the function it lives in scores 0 with a
clear message, or full marks when its values are honestly right, and every other function keeps full marks,
except those that call the attacked one and fail through it, with a note saying so.

The attack files name the same fixed places as this module: ``CANARIES``, ``PORT``, ``ABSTRACT_SOCKET`` and the
``hostile-`` and ``grader-hostile`` markers of the processes they start.
"""

from __future__ import annotations

import fcntl
import hashlib
import inspect
import json
import os
import re
import secrets
import select
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from grader.assignment import Assignment
from grader.grading import Grader
from grader.registry import load_assignment
from grader.report import Status
from grader.sandbox.outcome import Limits

HOSTILE = Path(__file__).parent / "submissions" / "hostile"
REPOSITORY = Path(__file__).resolve().parent.parent
ASSIGNMENT = "rnn_step_by_step"
LIMITS = Limits(call_timeout_s=2.0, load_timeout_s=10.0, memory_bytes=1024 * 2**20)
CLI_LIMITS = ("--timeout", "2", "--memory-mb", "1024")

CANARIES = Path("/tmp/grader-hostile-canaries")
"""Outside any scratch directory: attacks try to create, overwrite and connect to files here."""
PORT = 62713
"""TCP and UDP port of the loopback listener; above Linux's ephemeral range, so never taken by chance."""
TURN_LOCK = Path("/tmp/grader-hostile-canaries.lock")
UNIX_SOCKET = CANARIES / "listener.sock"
ABSTRACT_SOCKET = "\0grader-hostile-listener"
COMM_MARKER = b"hostile-"
"""Prefix of the name (``/proc/<pid>/comm``) of every process or thread an attack starts."""
CMDLINE_MARKER = b"grader-hostile"
SECRET_VARIABLE = "GRADER_HOSTILE_SECRET"
PLANTED_IN_REPOSITORY = REPOSITORY / "hostile_was_here.txt"

HAS_SANDBOX_OPTION = "sandbox" in inspect.signature(Grader.__init__).parameters
needs_sandbox_option = pytest.mark.skipif(
    not HAS_SANDBOX_OPTION, reason="Grader has no sandbox= option yet: the strict sandbox is not in the engine"
)


@dataclass(frozen=True)
class Expected:
    """How the function an attack lives in must fare.

    ``status`` is ``PASSED`` (full marks) when the attack leaves the values honestly right; otherwise the
    function scores 0 and its feedback matches the regular expression ``says``.
    """

    status: Status
    says: str = ""
    cli: bool = False
    """Grade through the ``grade`` command (report written with ``-o``), not the Python API: for attacks on
    the grading process itself or on its output."""


def refused(says: str, cli: bool = False) -> Expected:
    """The attack fails in the student's code, or the function's process ends, with ``says`` in the feedback."""
    return Expected(Status.ERROR, says, cli)


def wrong(says: str, cli: bool = False) -> Expected:
    """The function returns wrong values however it tries to pass them off as right."""
    return Expected(Status.FAILED, says, cli)


def honest(cli: bool = False) -> Expected:
    """The attack does not touch the values, which are right: full marks, and no effect outside."""
    return Expected(Status.PASSED, cli=cli)


DENIED = "Permission denied"
NO_NETWORK = "Network is unreachable|Permission denied|Operation not permitted|Connection refused"
NO_UNIX_SOCKET = "Permission denied|Operation not permitted|Connection refused"
TIME_LIMIT = "exceeded the 2 s time limit"
LEFT_IN_SCRATCH = r"left files in (/\S+)"
"""The attack's words naming its scratch directory, which must be gone after grading."""
SURVIVED = r"the parent process \(\d+\) survived SIGKILL"
"""The attack's own words when its signal had no effect (the parent is the sandbox's, not the grader)."""
WRONG_VALUES = "has wrong values"
NOT_SENDABLE = "can be sent"

CATALOG: dict[str, Expected] = {
    # Peeking: reading the solution, the grader, the instructor's files or secrets.
    "rnn_forward__reads_solution_by_absolute_path": refused(DENIED),
    "rnn_backward__reads_solution_by_relative_path": refused(DENIED),
    "lstm_forward__imports_solution_with_importlib": refused(DENIED),
    "rnn_cell_backward__imports_solution_past_the_import_guard": refused(f"No module named 'solutions'|{DENIED}"),
    "lstm_backward__reads_grader_suite": refused(DENIED),
    "lstm_cell_forward__lists_instructor_home": refused(DENIED),
    "rnn_cell_backward__lists_repository": refused(DENIED),
    "rnn_cell_forward__reads_environment_secrets": refused(r"found secrets: \{\}"),
    "rnn_backward__reads_grader_environ": refused(DENIED),
    "rnn_cell_backward__reads_grader_cmdline": refused(DENIED),
    "lstm_cell_backward__reads_grader_memory": refused(f"{DENIED}|Operation not permitted"),
    # Tampering: with the grader's process, its output, its report, the comparison.
    "rnn_backward__writes_grader_memory": refused(f"{DENIED}|Operation not permitted"),
    "rnn_backward__kills_grader": refused(f"Operation not permitted|{SURVIVED}", cli=True),
    "rnn_forward__prints_fake_json_report": wrong(WRONG_VALUES, cli=True),
    "top_level__prints_fake_text_report": honest(cli=True),
    "top_level__atexit_fake_report": honest(cli=True),
    "lstm_forward__overwrites_report_file": refused(DENIED, cli=True),
    "rnn_cell_forward__patches_numpy_allclose": wrong(WRONG_VALUES),
    "lstm_cell_backward__patches_ndarray_methods": wrong(WRONG_VALUES),
    "lstm_backward__patches_builtins": refused("the process exited with status 1"),
    "top_level__patches_numpy_at_import": honest(),
    "top_level__sys_exit": honest(),
    # Escaping: files outside scratch, the network.
    "rnn_cell_backward__writes_outside_scratch": refused(DENIED),
    "rnn_forward__writes_into_repository": refused(DENIED),
    "lstm_forward__connects_tcp_listener": refused(NO_NETWORK),
    "lstm_backward__sends_udp": refused(NO_NETWORK),
    "rnn_cell_backward__connects_unix_socket": refused(NO_UNIX_SOCKET),
    "lstm_cell_forward__connects_abstract_socket": refused(NO_UNIX_SOCKET),
    # Processes that outlive the call, and the limits.
    "lstm_forward__double_fork_daemon": honest(),
    "rnn_forward__thread_keeps_running": honest(),
    "lstm_cell_backward__child_ignores_sigterm": honest(),
    "rnn_forward__fork_bomb": refused(r"exceeded the limit of \d+ processes"),
    "rnn_forward__renices_fork_server": refused("PermissionError: \\[Errno 13\\] Permission denied"),
    "lstm_backward__burns_cpu": refused(TIME_LIMIT),
    "lstm_backward__ignores_signals_and_loops": refused(TIME_LIMIT),
    "rnn_backward__memory_hog": refused("1024 MiB memory limit"),
    "lstm_cell_forward__writes_huge_file": refused(r"exceeded the \d+ MiB file size limit"),
    "lstm_backward__exhausts_open_files": refused(r"exceeded the limit of \d+ open files"),
    "rnn_forward__floods_output": honest(),
    "lstm_forward__floods_output_forever": refused(TIME_LIMIT),
    "lstm_backward__leaves_files_in_scratch": refused(LEFT_IN_SCRATCH),
    # Odd results.
    "lstm_cell_backward__returns_huge_value": refused("larger than the 64 MiB limit"),
    "rnn_cell_backward__returns_huge_broadcast_view": refused("larger than the 64 MiB limit"),
    "rnn_cell_backward__returns_deeply_nested": refused("nested more than 100 levels deep"),
    "rnn_cell_forward__returns_nan_inf": wrong("NaN or inf"),
    "rnn_forward__returns_object_array": refused("dtype object"),
    "lstm_forward__returns_ndarray_subclass": refused(f"subclass of numpy.ndarray.*{NOT_SENDABLE}"),
    "lstm_cell_forward__returns_eq_always_true": refused(f"EqualToEverything.*{NOT_SENDABLE}"),
    "rnn_cell_forward__returns_generator": refused(f"generator.*{NOT_SENDABLE}"),
    "rnn_cell_backward__returns_reduce_payload": refused(f"Payload.*{NOT_SENDABLE}"),
    # Crashes and the protocol between the grader and the submission's process.
    "rnn_cell_backward__os_exit": refused("the process exited with status 0"),
    "rnn_backward__segfaults": refused("SIGSEGV"),
    "lstm_forward__closes_protocol_fds": refused("the process exited with status 1|closed its connection"),
    "lstm_cell_backward__writes_garbage_to_fds": refused("malformed data"),
}


def _attacked_function(name: str) -> str | None:
    """The graded function an attack file's name says the attack lives in; None for a top-level attack."""
    function = name.split("__")[0]
    return None if function == "top_level" else function


# --- What an attack might reach ---------------------------------------------------------------------------------


class Listeners:
    """Loopback TCP and UDP on ``PORT``, a Unix socket file and an abstract Unix socket, each recording who gets
    through; the UDP listener answers, so that an attack can tell it got through."""

    def __init__(self) -> None:
        self.contacts: list[str] = []
        self._sockets: dict[socket.socket, str] = {}
        self._stop_read, self._stop_write = os.pipe()
        self._listen(socket.AF_INET, socket.SOCK_STREAM, ("127.0.0.1", PORT), "tcp")
        self._listen(socket.AF_INET, socket.SOCK_DGRAM, ("127.0.0.1", PORT), "udp")
        self._listen(socket.AF_UNIX, socket.SOCK_STREAM, str(UNIX_SOCKET), "unix")
        self._listen(socket.AF_UNIX, socket.SOCK_STREAM, ABSTRACT_SOCKET, "abstract")
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _listen(self, family: int, kind: int, address: Any, label: str) -> None:
        server = socket.socket(family, kind)
        if family == socket.AF_INET:
            server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(address)
        if kind == socket.SOCK_STREAM:
            server.listen()
        self._sockets[server] = label

    def _serve(self) -> None:
        while True:
            ready, _, _ = select.select([*(server.fileno() for server in self._sockets), self._stop_read], [], [])
            if self._stop_read in ready:
                return
            for server, label in self._sockets.items():
                if server.fileno() not in ready:
                    continue
                if server.type == socket.SOCK_DGRAM:
                    data, sender = server.recvfrom(4096)
                    server.sendto(b"ack", sender)
                    self.contacts.append(f"{label}: {data[:40]!r}")
                else:
                    connection, _ = server.accept()
                    connection.close()
                    self.contacts.append(f"{label}: a connection")

    def close(self) -> None:
        os.write(self._stop_write, b"x")
        self._thread.join()
        for server in self._sockets:
            server.close()
        os.close(self._stop_read)
        os.close(self._stop_write)


@dataclass
class Canaries:
    """Files outside any scratch directory whose contents must survive grading, and secrets that must not leak."""

    files: dict[Path, str]
    tokens: tuple[str, ...]
    """The canary files' token and the grader's secret environment variable."""

    def leaked_into(self, text: str) -> list[str]:
        return [token for token in self.tokens if token in text]

    def changes(self) -> list[str]:
        """What differs from how the test left things: canary files changed, files created beside them or in the
        repository."""
        found = [f"{path} was changed" for path, text in self.files.items() if path.read_text() != text]
        expected = {path.name for path in self.files} | {UNIX_SOCKET.name}
        found += [f"{path} was created" for path in CANARIES.iterdir() if path.name not in expected]
        if PLANTED_IN_REPOSITORY.exists():
            found.append(f"{PLANTED_IN_REPOSITORY} was created")
        return found


def _read_proc(path: str) -> bytes:
    try:
        with open(path, "rb") as file:
            return file.read()
    except OSError:
        return b""


def marked_processes() -> dict[int, str]:
    """Running processes (and processes with a running thread) that an attack started, found by their markers."""
    found: dict[int, str] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        stat = _read_proc(f"/proc/{entry.name}/stat").rpartition(b")")[2].split()
        if not stat or stat[0] in (b"Z", b"X"):
            continue
        command = _read_proc(f"/proc/{entry.name}/cmdline")
        try:
            tasks = os.listdir(f"/proc/{entry.name}/task")
        except OSError:
            continue
        names = [_read_proc(f"/proc/{entry.name}/task/{task}/comm") for task in tasks]
        if CMDLINE_MARKER in command or any(name.startswith(COMM_MARKER) for name in names):
            found[int(entry.name)] = (command.replace(b"\0", b" ") or b"".join(names)).decode(errors="replace")
    return found


def _kill(pids: Iterable[int]) -> None:
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


# --- Fixtures ---------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def assignment() -> Assignment:
    return load_assignment(ASSIGNMENT)


@pytest.fixture(scope="module")
def grader(assignment: Assignment) -> Grader:
    return Grader(assignment, LIMITS, sandbox="strict")


@pytest.fixture(scope="module")
def secret() -> Iterator[str]:
    """A secret in the grader's environment (and so in the ``grade`` command's)."""
    token = f"hostile-secret-{secrets.token_hex(8)}"
    previous = os.environ.get(SECRET_VARIABLE)
    os.environ[SECRET_VARIABLE] = token
    yield token
    if previous is None:
        del os.environ[SECRET_VARIABLE]
    else:
        os.environ[SECRET_VARIABLE] = previous


@pytest.fixture(scope="module")
def listeners() -> Iterator[Listeners]:
    """The listeners, in a fresh ``CANARIES``; concurrent runs of this module take turns, as the places the
    attack files name are fixed."""
    with open(TURN_LOCK, "w") as turn:
        fcntl.flock(turn, fcntl.LOCK_EX)
        shutil.rmtree(CANARIES, ignore_errors=True)
        CANARIES.mkdir()
        started = Listeners()
        yield started
        started.close()
        shutil.rmtree(CANARIES, ignore_errors=True)


@pytest.fixture
def canaries(listeners: Listeners, secret: str) -> Iterator[Canaries]:
    """Fresh canary files for one test; afterwards they, the listeners' silence and the missing processes are
    checked, and whatever an attack left behind is removed."""
    for path in CANARIES.iterdir():
        if path != UNIX_SOCKET:
            path.unlink()
    token = secrets.token_hex(8)
    files = {
        CANARIES / "existing.txt": f"canary {token}\n",
        CANARIES / "report.json": json.dumps({"score": 12.5, "canary": token}),
    }
    for path, text in files.items():
        path.write_text(text)
    listeners.contacts.clear()
    yield Canaries(files, (token, secret))
    _kill(list(marked_processes()))
    PLANTED_IN_REPOSITORY.unlink(missing_ok=True)


# --- Grading ----------------------------------------------------------------------------------------------------


def grade_with_the_api(grader: Grader, submission: Path) -> dict[str, Any]:
    return grader.grade(submission).to_dict()


def grade_with_the_command(submission: Path, directory: Path) -> dict[str, Any]:
    """Grade through ``grade -o``: the command must succeed quietly and leave the report it computed."""
    output = directory / "report.json"
    command = [sys.executable, "-m", "grader", str(submission), "-a", ASSIGNMENT, "--format", "json",
               "-o", str(output), "--sandbox", "strict", *CLI_LIMITS]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=directory)
    assert done.returncode == 0, f"the grade command ended with status {done.returncode}: {done.stderr[-2000:]}"
    assert done.stdout == ""
    assert done.stderr.startswith(f"Wrote {output} (score ") and done.stderr.count("\n") == 1, done.stderr
    report: dict[str, Any] = json.loads(output.read_text())
    assert f"(score {report['score']:g} / {report['max_score']:g})" in done.stderr
    return report


def assert_genuine(report: dict[str, Any], submission: Path, assignment: Assignment) -> None:
    """The report is the grader's: of this file, one entry per graded function, scores that add up."""
    assert report["assignment"] == assignment.name
    assert report["submission"]["sha256"] == hashlib.sha256(submission.read_bytes()).hexdigest()
    assert [test["name"] for test in report["tests"]] == [graded.name for graded in assignment.functions]
    assert report["score"] == pytest.approx(sum(test["score"] for test in report["tests"]))
    assert report["max_score"] == assignment.max_score
    assert report["sandbox"]["level"] == "strict"


def assert_scores(report: dict[str, Any], name: str, assignment: Assignment) -> None:
    """The attacked function fares as the catalog says; the others keep full marks, but for its callers that
    fail through it and say so."""
    expected = CATALOG[name]
    attacked = _attacked_function(name)
    tests = {test["name"]: test for test in report["tests"]}
    passed = Status.PASSED.value
    for graded in assignment.functions:
        test = tests[graded.name]
        through = attacked in graded.calls and tests[attacked]["status"] != passed and test["status"] != passed
        if graded.name == attacked and expected.status is not Status.PASSED:
            assert (test["status"], test["score"]) == (expected.status.value, 0), test["feedback"]
            assert re.search(expected.says, test["feedback"], re.DOTALL), test["feedback"]
        elif through:
            assert f"calls your {attacked}, which fails its own checks" in test["feedback"]
        else:
            assert (test["status"], test["score"]) == (Status.PASSED.value, test["max_score"]), (
                graded.name, test["feedback"])


def traces(canaries: Canaries, listeners: Listeners) -> list[str]:
    """Every effect an attack had outside its process: files, connections, processes still running."""
    running = [f"process {pid} is still running: {command}" for pid, command in marked_processes().items()]
    return canaries.changes() + [f"reached the {contact}" for contact in listeners.contacts] + running


# --- Tests ------------------------------------------------------------------------------------------------------


def test_the_catalog_covers_every_file_and_each_names_its_attack(assignment: Assignment) -> None:
    files = {path.stem: path for path in HOSTILE.glob("*.py")}
    assert len(files) >= 32
    assert set(files) == set(CATALOG)
    functions = {graded.name for graded in assignment.functions}
    for name, path in files.items():
        assert _attacked_function(name) in functions | {None}, name
        assert "\n# Attack: " in path.read_text(encoding="utf-8"), name


@needs_sandbox_option
@pytest.mark.parametrize("name", sorted(CATALOG))
def test_the_attack_is_contained(
    grader: Grader, assignment: Assignment, canaries: Canaries, listeners: Listeners, name: str, tmp_path: Path
) -> None:
    submission = HOSTILE / f"{name}.py"
    if CATALOG[name].cli:
        report = grade_with_the_command(submission, tmp_path)
    else:
        report = grade_with_the_api(grader, submission)
    assert_genuine(report, submission, assignment)
    assert_scores(report, name, assignment)
    assert canaries.leaked_into(json.dumps(report)) == []
    feedback = "\n".join(test["feedback"] for test in report["tests"])
    assert [scratch for scratch in re.findall(LEFT_IN_SCRATCH, feedback) if Path(scratch).exists()] == []
    assert traces(canaries, listeners) == []
    time.sleep(0.3)  # a thread or process that outlived grading would write, connect or show up by now
    assert traces(canaries, listeners) == []
