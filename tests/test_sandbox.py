"""The sandbox levels: what the kernel offers, what strict enforces, and how the levels are chosen and reported."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from test_worker import fault_of, is_running

from grader import cli
from grader.assignment import Call
from grader.report import SCHEMA_PATH
from grader.sandbox import confine, levels
from grader.sandbox.levels import KernelSupport, SandboxUnavailable
from grader.sandbox.outcome import Fault, FaultKind, Isolation, Limits, SandboxLevel
from grader.sandbox.worker import Worker

ROOT = Path(__file__).resolve().parent.parent
PROBES = Path(__file__).parent / "submissions" / "sandbox" / "probes.py"
CORRECT = ROOT / "examples" / "rnn_step_by_step" / "correct.py"
LIMITS = Limits(call_timeout_s=3.0, load_timeout_s=5.0, memory_bytes=512 * 1024**2, max_result_bytes=1024**2)

STRICT_MISSING = levels.kernel_support().strict_missing
needs_strict = pytest.mark.skipif(STRICT_MISSING is not None, reason=f"no strict sandbox here: {STRICT_MISSING}")
NO_LANDLOCK = KernelSupport(landlock_abi=None, namespaces=True, pid_namespace=True, seccomp=True)


@pytest.fixture
def strict() -> Iterator[Worker]:
    """A strict worker with the probes loaded; closed afterwards."""
    with Worker(LIMITS, SandboxLevel.STRICT) as worker:
        loaded = worker.load(PROBES)
        assert loaded.fault is None and loaded.errors == ()
        yield worker


def call(worker: Worker, function: str, *args: Any) -> Any:
    result = worker.call(function, Call(args=args))
    assert result.fault is None, result.fault
    return result.value


def host_pids(marker: str) -> dict[int, int]:
    """The live processes whose command line holds ``marker``: their pid in their own namespace -> on the host."""
    found = {}
    for entry in Path("/proc").iterdir():
        try:
            if marker.encode() in (entry / "cmdline").read_bytes() and is_running(int(entry.name)):
                status = (entry / "status").read_text().splitlines()
                nspid = next(line for line in status if line.startswith("NSpid:"))
                found[int(nspid.split()[-1])] = int(entry.name)
        except (OSError, ValueError, StopIteration):
            continue
    return found


@pytest.mark.parametrize(
    ("support", "missing"),
    [
        (NO_LANDLOCK, "Landlock is not enabled"),
        (KernelSupport(2, True, True, True), "cannot control file truncation"),
        (KernelSupport(3, False, False, True), "no way to block the network"),
        (KernelSupport(5, False, False, True), "no way to stop signals to the grader"),
        (KernelSupport(7, True, True, False), "no seccomp filter"),
        (KernelSupport(6, False, False, True), None),
        (KernelSupport(3, True, True, True), None),
    ],
)
def test_what_strict_needs(support: KernelSupport, missing: str | None) -> None:
    if missing is None:
        assert support.strict_missing is None
    else:
        assert missing in (support.strict_missing or "")


def test_detection_is_cached_and_leaves_this_process_unconfined(tmp_path: Path) -> None:
    support = levels.kernel_support()
    assert levels.kernel_support() is support
    assert support.landlock_abi is None or support.landlock_abi >= 1
    assert support.namespaces or not support.pid_namespace
    (tmp_path / "still-writable").write_text("yes")
    assert os.listdir("/proc/self/fd")


def test_a_directory_holding_the_grader_is_opened_entry_by_entry(tmp_path: Path) -> None:
    for directory in ("bin", "lib/numpy", "lib/grader/_course"):
        (tmp_path / directory).mkdir(parents=True)
    (tmp_path / "lib" / "six.py").write_text("")
    hidden = [str(tmp_path / "lib" / "grader")]
    assert sorted(confine._outside(str(tmp_path), hidden)) == [
        str(tmp_path / "bin"), str(tmp_path / "lib" / "numpy"), str(tmp_path / "lib" / "six.py")]
    assert list(confine._outside(hidden[0], hidden)) == []
    assert list(confine._outside(str(tmp_path / "bin"), hidden)) == [str(tmp_path / "bin")]


def test_levels_are_resolved_and_described(monkeypatch: pytest.MonkeyPatch) -> None:
    assert levels.resolve("basic") is SandboxLevel.BASIC
    with pytest.raises(ValueError):
        levels.resolve("paranoid")
    monkeypatch.setattr(levels, "kernel_support", lambda: NO_LANDLOCK)
    assert levels.resolve("auto") is SandboxLevel.BASIC
    with pytest.raises(SandboxUnavailable, match="^the strict sandbox is not available here: Landlock is not"):
        levels.resolve(SandboxLevel.STRICT)
    monkeypatch.setattr(levels, "kernel_support", lambda: KernelSupport(6, False, False, True))
    assert levels.isolation(levels.resolve("auto")) == Isolation(
        SandboxLevel.STRICT, 6, network="tcp-blocked", filesystem="confined", processes="process-group")
    assert levels.isolation(SandboxLevel.BASIC).describe().startswith("basic (a separate process")


@needs_strict
def test_strict_is_the_default_where_available() -> None:
    isolation = Worker(LIMITS).isolation
    assert isolation.level is SandboxLevel.STRICT and isolation.filesystem == "confined"
    assert isolation.describe().startswith(f"strict (Landlock ABI {isolation.landlock_abi}, ")


@needs_strict
def test_files_outside_are_denied_as_permission_errors(strict: Worker, tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("instructor's")
    outside.chmod(0o600)
    for path in (outside, ROOT / "solutions" / "rnn_step_by_step.py", Path(__file__), Path.home() / ".bashrc"):
        fault = fault_of(strict, "read", str(path))
        assert fault.exception_type == "PermissionError" and not fault.fatal
        assert fault.message == f"PermissionError: [Errno 13] Permission denied: '{path}'"
    assert fault_of(strict, "write", str(tmp_path / "planted.txt"), "x").exception_type == "PermissionError"
    assert fault_of(strict, "write", str(outside), "overwritten").exception_type == "PermissionError"
    assert fault_of(strict, "change_mode", str(outside)).exception_type == "PermissionError"
    assert not (tmp_path / "planted.txt").exists()
    assert outside.read_text() == "instructor's" and outside.stat().st_mode & 0o777 == 0o600
    assert call(strict, "read", str(PROBES)) == PROBES.stat().st_size


@needs_strict
def test_scratch_is_cwd_home_and_tmp_and_is_deleted_at_close() -> None:
    with Worker(LIMITS, SandboxLevel.STRICT) as worker:
        worker.load(PROBES)
        scratch = worker.scratch
        assert scratch is not None and scratch.stat().st_mode & 0o777 == 0o700
        cwd, home, tmpdir, gettempdir, listing = call(worker, "where")
        assert cwd == home == tmpdir == gettempdir == str(scratch)
        assert listing == ["folder", "note.txt"]
        assert (scratch / "folder" / "inner.txt").read_text() == "nested"
    assert worker.scratch is None and not scratch.exists()


def test_the_scratch_directory_goes_even_with_a_locked_folder_inside() -> None:
    with Worker(LIMITS, SandboxLevel.BASIC) as worker:
        worker.load(PROBES)
        scratch = Path(call(worker, "lock_a_folder"))
        assert (scratch / "locked").exists()
    assert not scratch.exists()


@needs_strict
def test_no_network(strict: Worker, tmp_path: Path) -> None:
    with socket.socket() as tcp, socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        tcp.bind(("127.0.0.1", 0))
        tcp.listen()
        tcp.setblocking(False)
        udp.bind(("127.0.0.1", 0))
        udp.setblocking(False)
        assert fault_of(strict, "connect_tcp", tcp.getsockname()[1]).exception_type == "PermissionError"
        assert fault_of(strict, "send_udp", udp.getsockname()[1]).exception_type == "OSError"
        with pytest.raises(BlockingIOError):
            tcp.accept()
        with pytest.raises(BlockingIOError):
            udp.recv(100)
    with socket.socket(socket.AF_UNIX) as unix:
        unix.bind(str(tmp_path / "listener.sock"))
        unix.listen()
        unix.setblocking(False)
        fault = fault_of(strict, "connect_unix", str(tmp_path / "listener.sock"))
        assert fault.message == "PermissionError: [Errno 13] Permission denied"
        with pytest.raises(BlockingIOError):
            unix.accept()


@needs_strict
def test_the_grader_cannot_be_signalled_or_inspected(strict: Worker) -> None:
    bystander = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        assert fault_of(strict, "kill", bystander.pid).exception_type in ("PermissionError", "ProcessLookupError")
        assert fault_of(strict, "kill", os.getpid()).exception_type in ("PermissionError", "ProcessLookupError")
        assert bystander.poll() is None
    finally:
        bystander.kill()
        bystander.wait()
    if strict.isolation.processes == "pid-namespace":  # the parent is the namespace's init: refused or ignored
        parent = strict.call("kill_parent", Call())
        assert parent.value == 1 or parent.fault is not None and parent.fault.exception_type == "PermissionError"
    assert fault_of(strict, "parent_environ").exception_type == "PermissionError"
    assert fault_of(strict, "read", f"/proc/{os.getpid()}/environ").exception_type == "PermissionError"
    assert strict.alive and call(strict, "read", str(PROBES)) > 0


@needs_strict
def test_every_process_started_is_gone_after_close(strict: Worker) -> None:
    marker = f"sandbox-test-{os.getpid()}-{id(strict)}"
    spawned = call(strict, "spawn", marker)
    running = host_pids(marker)
    assert sorted(running) == sorted(spawned)
    assert all(is_running(pid) for pid in running.values())
    strict.close()
    assert not host_pids(marker)
    assert not any(is_running(pid) for pid in running.values())


@needs_strict
@pytest.mark.parametrize(
    ("limits", "function", "args", "message"),
    [
        (Limits(open_files=64), "open_files", (), "OSError: [Errno 24] Too many open files: '/dev/null' "
                                                     "(exceeded the limit of 64 open files)"),
        (Limits(file_size_bytes=2**20), "big_file", (4,), "OSError: [Errno 27] File too large "
                                                          "(exceeded the 1 MiB file size limit)"),
        (Limits(processes=8), "fork_many", (20,), "BlockingIOError: [Errno 11] Resource temporarily unavailable "
                                                  "(exceeded the limit of 8 processes)"),
    ],
    ids=["open-files", "file-size", "processes"],
)
def test_limits_are_named_in_plain_words(limits: Limits, function: str, args: tuple[Any, ...], message: str) -> None:
    with Worker(limits, SandboxLevel.STRICT) as worker:
        worker.load(PROBES)
        fault = fault_of(worker, function, *args)
        assert (fault.kind, fault.message, fault.fatal) == (FaultKind.EXCEPTION, message, False)
        assert worker.alive


LEVELS = [SandboxLevel.BASIC, pytest.param(SandboxLevel.STRICT, marks=needs_strict)]


@pytest.mark.parametrize(
    ("level", "ignore_cpu_signal"),
    [(SandboxLevel.BASIC, False), pytest.param(SandboxLevel.STRICT, False, marks=needs_strict),
     pytest.param(SandboxLevel.STRICT, True, marks=needs_strict)],
    ids=["basic-SIGXCPU", "strict-SIGXCPU", "strict-SIGKILL"],
)
def test_the_cpu_time_limit_is_named(level: SandboxLevel, ignore_cpu_signal: bool) -> None:
    """SIGXCPU at the limit, or SIGKILL a second later when the submission ignores SIGXCPU."""
    with Worker(Limits(call_timeout_s=10, cpu_time_s=1), level) as worker:
        worker.load(PROBES)
        fault = fault_of(worker, "spin", ignore_cpu_signal)
        assert fault == Fault(FaultKind.TIMEOUT, "exceeded the 1 s CPU time limit", fatal=True)


@pytest.mark.parametrize("level", LEVELS)
def test_death_by_the_file_size_signal_is_named(level: SandboxLevel) -> None:
    with Worker(Limits(file_size_bytes=2**20), level) as worker:
        worker.load(PROBES)
        assert fault_of(worker, "die_of_file_size", 4) == Fault(
            FaultKind.CRASH, "the process was killed by SIGXFSZ: exceeded the 1 MiB file size limit", fatal=True)


def run_cli(monkeypatch: pytest.MonkeyPatch, *arguments: str) -> int:
    monkeypatch.setattr(sys, "argv", ["grade", str(CORRECT), "-a", "rnn_step_by_step", *arguments])
    try:
        cli.main()
    except SystemExit as done:
        return int(done.code or 0)
    return 0


def test_requiring_strict_where_it_is_missing_fails_in_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(levels, "kernel_support", lambda: NO_LANDLOCK)
    assert run_cli(monkeypatch, "--sandbox", "strict") == cli.EXIT_BROKEN_SETUP
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == "grade: the strict sandbox is not available here: Landlock is not enabled in this kernel\n"


@pytest.mark.parametrize(("missing", "level", "why"), [
    ("kernel_support", "basic", "the strict sandbox is not available here (Landlock is not enabled in this kernel)"),
    ("on_linux", "portable", "the strict and basic sandboxes need Linux"),
])
def test_auto_falls_back_with_a_warning(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], missing: str, level: str, why: str
) -> None:
    """Without Landlock, ``auto`` runs the basic sandbox; off Linux, the portable one; either way it says why."""
    monkeypatch.setattr(levels, missing, {"kernel_support": lambda: NO_LANDLOCK, "on_linux": lambda: False}[missing])
    assert run_cli(monkeypatch) == 0
    captured = capsys.readouterr()
    assert captured.err == f"grade: warning: {why}; running submissions in the {level} sandbox\n"
    assert captured.out.splitlines()[1].startswith(f"sandbox: {level} (")
    assert "Score: 100 / 100" in captured.out


@pytest.mark.parametrize("level", ["basic", pytest.param("strict", marks=needs_strict)])
def test_the_report_states_the_sandbox_in_force(level: str) -> None:
    command = [sys.executable, "-m", "grader", str(CORRECT), "-a", "rnn_step_by_step", "--sandbox", level]
    text = subprocess.run(command, capture_output=True, text=True, timeout=120, check=True)
    assert text.stderr == "" and text.stdout.splitlines()[1].startswith(f"sandbox: {level} (")
    done = subprocess.run([*command, "--format", "json"], capture_output=True, text=True, timeout=120, check=True)
    report = json.loads(done.stdout)
    jsonschema.validate(report, json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))
    assert report["score"] == report["max_score"]
    sandbox = report["sandbox"]
    assert sandbox["level"] == level
    if level == "basic":
        assert sandbox == {"level": "basic", "landlock_abi": None, "network": "open", "filesystem": "open",
                           "processes": "process-group"}
    else:
        support = levels.kernel_support()
        assert sandbox["landlock_abi"] == support.landlock_abi and sandbox["filesystem"] == "confined"
        assert sandbox["network"] == ("blocked" if support.namespaces else "tcp-blocked")
