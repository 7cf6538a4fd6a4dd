"""The portable sandbox level: a Python process of its own per submission, on any platform.

It runs here on Linux when requested; what differs on macOS and Windows is simulated: the platform's name for
choosing levels, and the modules and functions Windows lacks for the process itself.
"""

from __future__ import annotations

import json
import resource
import signal
import site
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from test_worker import assert_reaped, fault_of, is_running

from grader.assignment import Call
from grader.grading import Grader
from grader.registry import load_assignment
from grader.report import SCHEMA_PATH, Report
from grader.sandbox import forkserver, levels, portable, process_setup, worker
from grader.sandbox.forkserver import Usage
from grader.sandbox.levels import SandboxUnavailable
from grader.sandbox.outcome import Fault, FaultKind, Isolation, Limits, LoadError, SandboxLevel
from grader.sandbox.worker import Worker, WorkerStartError

ROOT = Path(__file__).resolve().parent.parent
SUBMISSIONS = Path(__file__).parent / "submissions"
WORKER_SUBMISSIONS = SUBMISSIONS / "worker"
EXAMPLES = ROOT / "examples" / "rnn_step_by_step"
FAULTS = SUBMISSIONS / "rnn_step_by_step" / "faults"
GRADING_LIMITS = Limits(call_timeout_s=1.0, load_timeout_s=10.0, memory_bytes=1024 * 2**20)
LIMITS = Limits(call_timeout_s=1.0, load_timeout_s=5.0, memory_bytes=512 * 1024**2, max_result_bytes=1024**2)
PORTABLE = SandboxLevel.PORTABLE
DESCRIPTION = "portable (a separate Python process with time and CPU limits; no file, network or process confinement)"
AS_ON_WINDOWS = (
    "import ctypes, os, signal, sys\n"
    "sys.modules['resource'] = None\n"
    "del os.register_at_fork, os.fork, signal.setitimer, signal.SIGALRM\n"
    "def no_c_library(*arguments, **options):\n"
    "    raise TypeError('no CDLL(None) on Windows')\n"
    "ctypes.CDLL = no_c_library\n"
)
"""Python code that takes away from this interpreter what Windows lacks: ``resource``, forks, ``SIGALRM``, a C
library to load by the name None."""


@pytest.fixture(scope="module")
def graders() -> tuple[Grader, Grader]:
    """A grader at the portable level and one at the best Linux level (strict where the kernel allows it)."""
    assignment = load_assignment("rnn_step_by_step")
    return Grader(assignment, GRADING_LIMITS, PORTABLE), Grader(assignment, GRADING_LIMITS, "auto")


def graded(report: Report) -> dict[str, Any]:
    """What a report says of the submission: everything but when, how long, and in which sandbox."""
    data = report.to_dict()
    for key in ("started_at", "duration_s", "sandbox"):
        del data[key]
    for test in data["tests"]:
        for check in test["checks"]:
            del check["duration_s"]
    return data


@pytest.mark.parametrize(
    "path",
    [EXAMPLES / "correct.py", EXAMPLES / "partly_wrong.py", EXAMPLES / "broken.py",
     FAULTS / "lstm_cell_forward__infinite_loop.py", FAULTS / "rnn_forward__sys_exit.py",
     FAULTS / "rnn_cell_backward__os_exit.py", FAULTS / "rnn_backward__segfault.py",
     FAULTS / "lstm_forward__memory_hog.py", FAULTS / "rnn_forward__prints_a_lot.py"],
    ids=lambda path: path.stem,
)
def test_a_submission_gets_the_same_report_as_at_the_linux_levels(graders: tuple[Grader, Grader], path: Path) -> None:
    portable_grader, linux_grader = graders
    report = portable_grader.grade(path)
    assert report.sandbox.level is PORTABLE and linux_grader.isolation.level is not PORTABLE
    assert graded(report) == graded(linux_grader.grade(path))


def test_a_time_out_costs_only_its_function(graders: tuple[Grader, Grader]) -> None:
    report = graders[0].grade(FAULTS / "lstm_cell_forward__infinite_loop.py")
    scores = {test.name: (test.score, test.max_score) for test in report.tests}
    assert scores.pop("lstm_cell_forward")[0] == 0
    assert scores.pop("lstm_forward")[0] == 0  # it calls lstm_cell_forward
    assert all(score == maximum for score, maximum in scores.values())


def test_what_the_submission_writes_to_its_standard_streams_goes_nowhere() -> None:
    with Worker(LIMITS, PORTABLE) as sandboxed:
        loaded = sandboxed.load(SUBMISSIONS / "portable" / "standard_streams.py")
        assert loaded.fault is None and loaded.errors == ()
        assert sandboxed.call("shout", Call(args=(2000,))).value == 2000
        assert sandboxed.call("ask", Call()).value == "end of file"
        assert sandboxed.call("read_standard_input", Call()).value == 0
        assert sandboxed.alive


def test_scratch_is_cwd_home_and_tmp_and_is_deleted_at_close() -> None:
    with Worker(LIMITS, PORTABLE) as sandboxed:
        sandboxed.load(SUBMISSIONS / "sandbox" / "probes.py")
        scratch = sandboxed.scratch
        assert scratch is not None
        cwd, home, tmpdir, gettempdir, listing = sandboxed.call("where", Call()).value
        assert cwd == home == tmpdir == gettempdir == str(scratch)
        assert listing == ["folder", "note.txt"]
    assert not scratch.exists()


def test_the_grader_is_hidden_and_the_environment_is_the_fork_servers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRADER_SECRET", "hunter2")
    with Worker(LIMITS, PORTABLE) as sandboxed:
        sandboxed.load(WORKER_SUBMISSIONS / "import_solution.py")
        assert sandboxed.call("importable", Call()).value == {
            "solutions": False, "solutions.rnn_step_by_step": False, "grader": False, "grader.sandbox.wire": False,
            "numpy": True}
        names = sandboxed.call("environment", Call()).value
    assert set(names) == set(portable.environment("scratch")) >= {*forkserver.ENVIRONMENT, "HOME", "TMPDIR"}
    assert "GRADER_SECRET" not in names


def test_a_user_site_packages_directory_the_grader_uses_stays_in_reach(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(site, "ENABLE_USER_SITE", True)
    assert portable.environment("scratch")["PYTHONUSERBASE"] == site.getuserbase()
    monkeypatch.setattr(site, "ENABLE_USER_SITE", False)
    assert "PYTHONUSERBASE" not in portable.environment("scratch")


def test_on_windows_the_environment_keeps_what_windows_needs_and_nothing_else() -> None:
    parent = {"SYSTEMROOT": r"C:\Windows", "PATH": r"C:\Python", "GRADER_SECRET": "hunter2"}
    environment = portable.environment(r"C:\scratch", platform="win32", parent=parent)
    assert environment == {**portable.environment(r"C:\scratch", platform="linux"), "SYSTEMROOT": r"C:\Windows",
                           "PATH": r"C:\Python", "USERPROFILE": r"C:\scratch", "TEMP": r"C:\scratch",
                           "TMP": r"C:\scratch"}


def test_a_hang_times_out_and_the_process_is_reaped() -> None:
    with Worker(LIMITS, PORTABLE) as sandboxed:
        sandboxed.load(WORKER_SUBMISSIONS / "hang.py")
        pid = sandboxed.pid
        result = sandboxed.call("sleep", Call())
        assert result.fault == Fault(FaultKind.TIMEOUT, "exceeded the 1 s time limit", fatal=True)
        assert result.duration_s >= 1.0 and not sandboxed.alive and pid is not None
        assert_reaped(pid)
        later = sandboxed.call("quick", Call()).fault
        assert later is not None and later.message.startswith("not run: the process had already ended")


def test_the_process_group_left_behind_by_an_exiting_child_is_killed(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    with Worker(LIMITS, PORTABLE) as sandboxed:
        sandboxed.load(WORKER_SUBMISSIONS / "setsid_child.py")
        assert fault_of(sandboxed, "orphan_then_exit", str(pid_file)) == Fault(
            FaultKind.EXIT, "the process exited with status 0 (os._exit?)", fatal=True)
    assert not is_running(int(pid_file.read_text()))


@pytest.mark.parametrize(
    ("function", "message"),
    [("garbage", "the process sent back malformed data: unknown tag"),
     ("huge_header", "the process sent back malformed data: a frame of"),
     ("hang_up", "the process closed its connection to the grader")],
)
def test_tampering_with_the_protocol_is_a_fatal_fault(function: str, message: str) -> None:
    with Worker(LIMITS, PORTABLE) as sandboxed:
        sandboxed.load(WORKER_SUBMISSIONS / "writes_protocol_fd.py")
        fault = fault_of(sandboxed, function)
        assert (fault.kind, fault.fatal, fault.message.startswith(message)) == (FaultKind.BAD_RESULT, True, True)
        assert sandboxed.pid is not None
        assert_reaped(sandboxed.pid)


def test_a_process_that_cannot_start_is_the_graders_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(portable, "_BOOTSTRAP", "import sys; sys.exit(5)")
    with Worker(LIMITS, PORTABLE) as sandboxed, pytest.raises(WorkerStartError, match=r"\(exit status 5\)"):
        sandboxed.load(WORKER_SUBMISSIONS / "ok.py")
    monkeypatch.setattr(sys, "executable", str(ROOT / "no-such-python"))
    with Worker(LIMITS, PORTABLE) as sandboxed, pytest.raises(WorkerStartError, match="cannot start the sandbox"):
        sandboxed.load(WORKER_SUBMISSIONS / "ok.py")


def test_the_process_runs_as_on_windows(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without ``resource`` (no limits) and ``SIGALRM``: a top-level loop is still stopped at the time for
    loading, by a timer thread, and a hanging call by the grader."""
    monkeypatch.setattr(portable, "_BOOTSTRAP", AS_ON_WINDOWS + portable._BOOTSTRAP)
    with Worker(Limits(call_timeout_s=1.0, load_timeout_s=2.0), PORTABLE) as sandboxed:
        loaded = sandboxed.load(WORKER_SUBMISSIONS / "trains_forever_on_load.py")
        assert loaded.fault is None and {"add", "later"} <= loaded.functions
        stopped = "still running after 1 s, the time for loading the file: stopped there"
        assert (loaded.errors[0].kind, loaded.errors[0].message) == ("TimeoutError", stopped)
        skipped = "not run: the time for loading the file was up"
        assert loaded.errors[1:] == (LoadError("TimeoutError", skipped, 17, None, ("history",)),
                                     LoadError("TimeoutError", skipped, 18, None))
        assert sandboxed.call("later", Call(args=(4,))).value == 8
        assert sandboxed.call("add", Call(args=(1, 2))).value == 3


def test_limits_the_system_refuses_are_left_as_they_are_only_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    applied: dict[int, tuple[int, int]] = {}

    def setrlimit(limit: int, values: tuple[int, int]) -> None:
        if limit == resource.RLIMIT_AS:
            raise ValueError("current limit exceeds maximum limit")  # as macOS answers
        applied[limit] = values

    monkeypatch.setattr(resource, "setrlimit", setrlimit)
    setup = process_setup.Setup(2**30, 2**20, 2.5, 2**24, 256, 64, "/scratch", "/submission.py", None, False, False)
    process_setup.limit_resources(setup, best_effort=True)
    assert set(applied) == {resource.RLIMIT_CORE, resource.RLIMIT_FSIZE, resource.RLIMIT_NOFILE, resource.RLIMIT_CPU}
    assert applied[resource.RLIMIT_CPU] == (3, 4)
    with pytest.raises(ValueError, match="exceeds maximum"):
        process_setup.limit_resources(setup)


def test_the_child_side_and_the_grader_import_without_what_windows_lacks() -> None:
    check = AS_ON_WINDOWS + (
        "import grader.sandbox.portable_child\n"
        "from grader.sandbox import process_setup, runner\n"
        "assert 'grader.sandbox.confine' not in sys.modules\n"
        "assert not process_setup.HAS_RESOURCE_LIMITS and runner._alarm is runner._thread_alarm\n"
        "import grader.cli, grader.grading, grader.sandbox.worker\n"
        "print('imported')\n"
    )
    done = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert (done.returncode, done.stdout, done.stderr) == (0, "imported\n", "")


@pytest.mark.parametrize(("platform", "system"), [("darwin", "macOS"), ("win32", "Windows")])
def test_off_linux_auto_is_portable_and_the_linux_levels_are_unavailable(
    monkeypatch: pytest.MonkeyPatch, platform: str, system: str
) -> None:
    monkeypatch.setattr(sys, "platform", platform)
    assert levels.resolve("auto") is levels.resolve("portable") is PORTABLE
    for level in ("strict", "basic"):
        with pytest.raises(SandboxUnavailable, match=(
                f"^the {level} sandbox is not available here: it needs Linux, and this is {system}; the portable "
                "sandbox runs anywhere$")):
            levels.resolve(level)
    assert levels.kernel_support.__wrapped__() == levels.KernelSupport(None, False, False, False)


def test_off_linux_no_fork_server_is_started(monkeypatch: pytest.MonkeyPatch) -> None:
    def acquire(namespaces: bool = False) -> forkserver.ForkServer:
        raise AssertionError("a fork server was started")

    monkeypatch.setattr(forkserver, "acquire", acquire)
    monkeypatch.setattr(sys, "platform", "darwin")
    forkserver.prestart()


@pytest.mark.parametrize(
    ("platform", "processes", "description"),
    [("linux", "process-group", DESCRIPTION), ("darwin", "process-group", DESCRIPTION),
     ("win32", "process", DESCRIPTION.replace("time and CPU limits", "time limits"))],
)
def test_what_the_portable_level_puts_in_force(
    monkeypatch: pytest.MonkeyPatch, platform: str, processes: str, description: str
) -> None:
    monkeypatch.setattr(sys, "platform", platform)
    isolation = levels.isolation(PORTABLE)
    assert isolation == Isolation(PORTABLE, None, network="open", filesystem="open", processes=processes)
    assert isolation.describe() == description and not isolation.own_pid_namespace


@pytest.mark.parametrize(
    ("returncode", "message"),
    [(0xC0000005, "the process crashed with access violation (exception code 0xC0000005)"),
     (0xC0000135, "the process crashed with an exception (exception code 0xC0000135)")],
)
def test_a_windows_exception_exit_code_is_a_crash(returncode: int, message: str) -> None:
    assert worker._exit_fault(returncode, Usage(0.0, 0), LIMITS) == Fault(FaultKind.CRASH, message, fatal=True)


def test_the_report_states_the_portable_sandbox() -> None:
    command = [sys.executable, "-m", "grader", str(EXAMPLES / "correct.py"), "-a", "rnn_step_by_step",
               "--sandbox", "portable"]
    text = subprocess.run(command, capture_output=True, text=True, timeout=120, check=True)
    assert text.stderr == "" and text.stdout.splitlines()[1] == f"sandbox: {DESCRIPTION}"
    done = subprocess.run([*command, "--format", "json"], capture_output=True, text=True, timeout=120, check=True)
    report = json.loads(done.stdout)
    jsonschema.validate(report, json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))
    assert report["score"] == report["max_score"]
    assert report["sandbox"] == {"level": "portable", "landlock_abi": None, "network": "open", "filesystem": "open",
                                 "processes": "process-group"}


def test_the_grader_side_runs_without_signal_masks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Windows has no ``pthread_sigmask``: interruptions are then held back by handlers, and grading works."""
    monkeypatch.delattr(signal, "pthread_sigmask")
    report = Grader(load_assignment("rnn_step_by_step"), GRADING_LIMITS, PORTABLE).grade(EXAMPLES / "correct.py")
    assert report.score == report.max_score
