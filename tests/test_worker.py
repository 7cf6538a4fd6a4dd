"""The worker runs real submission files in a child process; whatever they do comes back as plain data."""

from __future__ import annotations

import dataclasses
import pickle
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from grader.assignment import Call
from grader.sandbox import forkserver, wire
from grader.sandbox.outcome import Fault, FaultKind, Limits, LoadError, SandboxLevel
from grader.sandbox.worker import Worker, WorkerStartError, encode_call

SUBMISSIONS = Path(__file__).parent / "submissions" / "worker"
LIMITS = Limits(call_timeout_s=1.0, load_timeout_s=5.0, memory_bytes=512 * 1024**2, max_result_bytes=1024**2)

Start = Callable[..., Worker]


@pytest.fixture
def start() -> Iterator[Start]:
    """Start a worker (at the best sandbox level, unless told) on a submission of ``tests/submissions/worker``
    that loads cleanly; closed afterwards."""
    workers: list[Worker] = []

    def start_worker(name: str, sandbox: SandboxLevel | str = "auto") -> Worker:
        worker = Worker(LIMITS, sandbox)
        workers.append(worker)
        loaded = worker.load(SUBMISSIONS / f"{name}.py")
        assert loaded.fault is None and loaded.errors == ()
        return worker

    yield start_worker
    for worker in workers:
        worker.close()


def fault_of(worker: Worker, function: str, *args: Any) -> Fault:
    result = worker.call(function, Call(args=args))
    assert result.value is None and result.fault is not None
    return result.fault


def is_running(pid: int) -> bool:
    """Whether ``pid`` exists and is not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return False
    return stat.rpartition(b")")[2].split()[0] not in (b"Z", b"X")


def assert_reaped(pid: int) -> None:
    """Not even a zombie is left: the process table has no entry for ``pid`` (pids are not reused this soon)."""
    assert not Path(f"/proc/{pid}").exists()


def test_a_result_whose_encoding_is_accepted_is_marked_matched_and_not_decoded(start: Start) -> None:
    worker = start("ok")
    calls = [encode_call(Call(args=(1, 2))), encode_call(Call(args=(1.5, 2)))]
    seen: list[bytes] = []

    def is_three(encoding: bytearray) -> bool:
        seen.append(bytes(encoding))
        return encoding == wire.encode(3)

    same, other = worker.call_many("add", calls, [is_three, is_three])
    assert seen == [wire.encode(3), wire.encode(3.5)]
    assert (same.matched, same.value, same.fault) == (True, None, None)
    assert (other.matched, other.value) == (False, 3.5)
    unexpected = worker.call_many("add", calls[:1])[0]
    assert (unexpected.matched, unexpected.value) == (False, 3)


def test_values_come_back_with_their_types(start: Start) -> None:
    worker = start("ok")
    result = worker.call("add", Call(args=(1, 2)))
    assert result.fault is None and result.value == 3 and type(result.value) is int
    assert result.duration_s > 0
    assert worker.call("add", Call(kwargs={"a": 1.5, "b": 2})).value == 3.5

    x = np.arange(6.0).reshape(2, 3)
    shape, transposed, summary = worker.call("shapes", Call(args=(x,))).value
    assert shape == (2, 3)
    np.testing.assert_array_equal(transposed, x.T)
    assert transposed.flags.writeable
    assert list(summary) == ["sum", "rows"] and summary["sum"] == np.float64(15.0)
    assert [row.tolist() for row in summary["rows"]] == x.tolist()
    assert worker.alive


def test_load_reports_the_callables() -> None:
    with Worker(LIMITS) as worker:
        loaded = worker.load(SUBMISSIONS / "ok.py")
    assert loaded.functions == frozenset({"add", "shapes", "draw"})
    assert loaded.errors == () and loaded.fault is None


def test_every_call_is_seeded_the_same(start: Start) -> None:
    worker = start("ok")
    first, second = (worker.call("draw", Call()).value for _ in range(2))
    np.testing.assert_array_equal(first, np.random.RandomState(0).rand(3))
    np.testing.assert_array_equal(first, second)


def test_mutating_an_argument_does_not_leak_into_the_next_call(start: Start) -> None:
    worker = start("mutates_input")
    x = np.ones(3)
    call = Call(args=(x,))
    assert worker.call("scale", call).value.tolist() == [2.0, 2.0, 2.0]
    assert worker.call("scale", call).value.tolist() == [2.0, 2.0, 2.0]
    assert x.tolist() == [1.0, 1.0, 1.0]


@pytest.mark.parametrize(
    ("function", "message", "exception_type", "line", "where"),
    [
        ("divide", "ZeroDivisionError: division by zero", "ZeroDivisionError", 2, "helper"),
        ("recurse", "RecursionError: maximum recursion depth exceeded", "RecursionError", 10, "recurse"),
        ("unprintable", "Loud", "Loud", 19, "unprintable"),
    ],
)
def test_exceptions_are_faults_with_their_location(
    start: Start, function: str, message: str, exception_type: str, line: int, where: str
) -> None:
    worker = start("raises")
    fault = fault_of(worker, function, 1)
    assert fault == Fault(FaultKind.EXCEPTION, message, exception_type, line, where, fatal=False)
    assert worker.alive


def test_unknown_function_is_a_name_error(start: Start) -> None:
    fault = fault_of(start("ok"), "missing")
    assert (fault.kind, fault.message, fault.fatal) == (
        FaultKind.EXCEPTION, "NameError: name 'missing' is not defined", False)


def test_sys_exit_is_an_exception_and_the_worker_lives_on(start: Start) -> None:
    worker = start("sys_exit")
    assert fault_of(worker, "leave", 3) == Fault(
        FaultKind.EXCEPTION, "called sys.exit(3)", "SystemExit", 5, "leave", fatal=False)
    assert worker.alive
    assert fault_of(worker, "leave", None).message == "called sys.exit()"


def test_os_exit_is_fatal(start: Start) -> None:
    worker = start("os_exit")
    pid = worker.pid
    assert pid is not None
    assert fault_of(worker, "leave", 3) == Fault(
        FaultKind.EXIT, "the process exited with status 3 (os._exit?)", fatal=True)
    assert not worker.alive
    assert_reaped(pid)


def test_segfault_is_a_crash(start: Start) -> None:
    assert fault_of(start("segfault"), "crash") == Fault(
        FaultKind.CRASH, "the process crashed with SIGSEGV (segmentation fault)", fatal=True)


@pytest.mark.parametrize("function", ["spin", "sleep"])
def test_hang_times_out_and_later_calls_answer_at_once(start: Start, function: str) -> None:
    worker = start("hang")
    result = worker.call(function, Call())
    assert result.fault == Fault(FaultKind.TIMEOUT, "exceeded the 1 s time limit", fatal=True)
    assert 1.0 <= result.duration_s < 2.0
    assert not worker.alive

    began = time.perf_counter()
    later = worker.call("quick", Call())
    assert time.perf_counter() - began < 0.05
    assert later.fault is not None and later.fault.fatal and later.fault.kind == FaultKind.TIMEOUT
    assert later.fault.message == "not run: the process had already ended (exceeded the 1 s time limit)"
    assert worker.load(SUBMISSIONS / "ok.py").fault == later.fault


@pytest.mark.parametrize(("function", "line"), [("hog", 8), ("hog_list", 12)])
def test_memory_error_is_a_memory_fault_and_the_worker_lives_on(start: Start, function: str, line: int) -> None:
    worker = start("memory_hog")
    fault = fault_of(worker, function)
    assert (fault.kind, fault.exception_type, fault.line, fault.function, fault.fatal) == (
        FaultKind.MEMORY, "MemoryError", line, function, False)
    assert fault.message.startswith("MemoryError")
    assert fault.message.endswith("(over the 512 MiB memory limit)")
    assert worker.call("small", Call()).value.tolist() == [0.0, 0.0, 0.0]


def test_death_near_the_memory_limit_is_a_memory_fault(start: Start) -> None:
    assert fault_of(start("memory_hog"), "fill_then_die") == Fault(
        FaultKind.MEMORY, "the process was killed by SIGKILL at its 512 MiB memory limit", fatal=True)


def test_syntax_error_costs_only_the_function_holding_it() -> None:
    with Worker(LIMITS) as worker:
        loaded = worker.load(SUBMISSIONS / "syntax_error_in_one_function.py")
        assert loaded.fault is None
        assert loaded.functions == frozenset({"before", "decorated", "after"})
        assert loaded.errors == (
            LoadError("SyntaxError", "invalid syntax", 9, 12, ("broken",)),
            LoadError("SyntaxError", "'(' was never closed", 19, 18, ("unclosed",)),
        )
        assert worker.call("before", Call(args=(1,))).value == 2
        assert worker.call("after", Call(args=(2,))).value == 4
        assert worker.call("decorated", Call(args=(5,))).value == 5
        fault = worker.call("broken", Call(args=(1,))).fault
        assert fault is not None and fault.exception_type == "NameError"


def test_failing_top_level_statements_are_load_errors_and_the_rest_loads() -> None:
    with Worker(LIMITS) as worker:
        loaded = worker.load(SUBMISSIONS / "top_level_error.py")
        assert loaded.fault is None and loaded.functions == frozenset({"later"})
        assert loaded.errors == (
            LoadError("ZeroDivisionError", "division by zero", 4, None, ("ratio",)),
            LoadError("SystemExit", "called sys.exit(4)", 6, None, ()),
            LoadError("NameError", "name 'undefined_decorator' is not defined", 13, None, ("decorated",)),
        )
        assert worker.call("later", Call()).value == 3


@pytest.mark.parametrize(
    ("source", "functions", "errors"),
    [
        (
            "def a():\n    return 1\n\ndef b(:\n    pass\n\ndef c():\n    return 3\n",
            {"a", "c"},
            [LoadError("SyntaxError", "invalid syntax", 4, 7, ("b",))],
        ),
        (
            'x = 1\nif x:\n    def a():\n        return (1,\n\n# comment\n    2)\nelse:\n    pass\n'
            'text = """\ndef not_a_function(:\n"""\ndef broken(\n',
            {"a"},
            [LoadError("SyntaxError", "'(' was never closed", 13, 11, ("broken",))],
        ),
        (
            "  indented = 1\ndef fine():\n    return 1\nvalue = fine(\n",
            {"fine"},
            [
                LoadError("SyntaxError", "unexpected indent", 1, 2, ()),
                LoadError("SyntaxError", "'(' was never closed", 4, 13, ("value",)),
            ],
        ),
        (
            "from __future__ import annotations\ndef f(x: Undefined) -> Missing:\n    return x\nreturn 1\n",
            {"f"},
            [LoadError("SyntaxError", "'return' outside function", 4, 1, ())],
        ),
    ],
    ids=["bad-signature", "brackets-strings-else", "indent-and-unclosed-call", "future-and-compile-error"],
)
def test_chunks_of_a_file_that_does_not_parse(
    tmp_path: Path, source: str, functions: set[str], errors: list[LoadError]
) -> None:
    path = tmp_path / "submission.py"
    path.write_text(source)
    with Worker(LIMITS) as worker:
        loaded = worker.load(path)
    assert loaded.functions == frozenset(functions)
    assert list(loaded.errors) == errors


def test_a_file_that_is_not_utf8_is_a_load_error(tmp_path: Path) -> None:
    path = tmp_path / "submission.py"
    path.write_bytes(b"x = 1\ny = '\xff'\n")
    with Worker(LIMITS) as worker:
        loaded = worker.load(path)
    assert loaded.functions == frozenset()
    assert [(error.kind, error.line) for error in loaded.errors] == [("UnicodeDecodeError", 2)]


def test_exit_during_load_is_a_fatal_load_fault() -> None:
    with Worker(LIMITS) as worker:
        loaded = worker.load(SUBMISSIONS / "exits_on_load.py")
        assert loaded.functions == frozenset()
        assert loaded.fault == Fault(FaultKind.EXIT, "the process exited with status 7 (os._exit?)", fatal=True)
        assert not worker.alive


def test_a_top_level_statement_running_too_long_is_stopped_and_the_rest_defined() -> None:
    limits = Limits(load_timeout_s=2.0, memory_bytes=LIMITS.memory_bytes)
    with Worker(limits) as worker:
        started = time.monotonic()
        loaded = worker.load(SUBMISSIONS / "trains_forever_on_load.py")
        assert time.monotonic() - started < limits.load_timeout_s
        assert loaded.fault is None and {"add", "later"} <= loaded.functions
        stopped = "still running after 1 s, the time for loading the file: stopped there"
        skipped = "not run: the time for loading the file was up"
        assert loaded.errors[1:] == (
            LoadError("TimeoutError", skipped, 17, None, ("history",)),
            LoadError("TimeoutError", skipped, 18, None),
        )
        loop = loaded.errors[0]  # stopped on the loop's test or in its body, wherever the alarm found it
        assert (loop.kind, loop.message, loop.line in (9, 10)) == ("TimeoutError", stopped, True)
        assert worker.call("later", Call(args=(4,))).value == 8


def test_a_file_that_only_hangs_loads_nothing_but_says_why() -> None:
    limits = Limits(load_timeout_s=1.0, memory_bytes=LIMITS.memory_bytes)
    with Worker(limits) as worker:
        loaded = worker.load(SUBMISSIONS / "hangs_on_load.py")
    assert loaded.fault is None and not loaded.functions
    assert [(error.kind, error.line) for error in loaded.errors] == [("TimeoutError", 1)]


def test_a_hang_that_cannot_be_stopped_fails_the_load() -> None:
    limits = Limits(load_timeout_s=1.0, memory_bytes=LIMITS.memory_bytes)
    with Worker(limits) as worker:
        loaded = worker.load(SUBMISSIONS / "ignores_alarm_on_load.py")
    assert loaded.fault == Fault(FaultKind.TIMEOUT, "exceeded the 1 s time limit", fatal=True)


def test_printing_does_not_disturb_the_protocol(start: Start) -> None:
    assert start("prints_a_lot").call("chatty", Call(args=(5000,))).value == 5000


@pytest.mark.parametrize(
    ("name", "function", "args", "message"),
    [
        ("returns_generator", "gen", (), 'result["cache"][3] is a generator; only None, bool, int'),
        ("returns_matrix", "matrix", (), "result is a numpy.matrix (a subclass of numpy.ndarray); only None"),
        ("returns_matrix", "big", (200_000,), "result is larger than the 1 MiB limit when encoded"),
    ],
)
def test_unsendable_results_are_bad_results(
    start: Start, name: str, function: str, args: tuple[Any, ...], message: str
) -> None:
    worker = start(name)
    fault = fault_of(worker, function, *args)
    assert (fault.kind, fault.fatal) == (FaultKind.BAD_RESULT, False)
    assert fault.message.startswith(message)
    assert worker.alive


@pytest.mark.parametrize(
    ("function", "kind", "message"),
    [
        ("garbage", FaultKind.BAD_RESULT, "the process sent back malformed data: unknown tag"),
        ("huge_header", FaultKind.BAD_RESULT, "the process sent back malformed data: a frame of"),
        ("half_frame", FaultKind.TIMEOUT, "exceeded the 1 s time limit"),
        ("hang_up", FaultKind.BAD_RESULT, "the process closed its connection to the grader"),
    ],
)
def test_tampering_with_the_protocol_is_a_fatal_fault(
    start: Start, function: str, kind: FaultKind, message: str
) -> None:
    worker = start("writes_protocol_fd")
    pid = worker.pid
    fault = fault_of(worker, function)
    assert (fault.kind, fault.fatal) == (kind, True)
    assert fault.message.startswith(message)
    assert not worker.alive and pid is not None
    assert_reaped(pid)


def test_the_solutions_and_the_grader_cannot_be_imported(start: Start) -> None:
    assert start("import_solution").call("importable", Call()).value == {
        "solutions": False,
        "solutions.rnn_step_by_step": False,
        "grader": False,
        "grader.sandbox.wire": False,
        "numpy": True,
    }


def test_the_child_sees_none_of_the_parents_environment(start: Start, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRADER_SECRET", "hunter2")
    names = start("import_solution").call("environment", Call()).value
    assert "GRADER_SECRET" not in names and {"HOME", "TMPDIR"} <= set(names)
    assert "OPENBLAS_NUM_THREADS" in names


def test_close_kills_every_process_the_submission_started(start: Start, tmp_path: Path) -> None:
    """In the basic sandbox, by the process tree and group (tests/test_sandbox.py covers the strict one)."""
    worker = start("setsid_child", SandboxLevel.BASIC)
    pid_file = tmp_path / "pids"
    spawned = worker.call("spawn", Call(args=(str(pid_file),))).value
    assert spawned == [int(pid) for pid in pid_file.read_text().split()]
    assert all(is_running(pid) for pid in spawned)
    child = worker.pid
    assert child is not None
    worker.close()
    assert not any(is_running(pid) for pid in [child, *spawned])
    assert_reaped(child)


def test_processes_left_behind_by_an_exiting_child_are_killed(start: Start, tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    assert fault_of(start("setsid_child", SandboxLevel.BASIC), "orphan_then_exit", str(pid_file)) == Fault(
        FaultKind.EXIT, "the process exited with status 0 (os._exit?)", fatal=True)
    assert not is_running(int(pid_file.read_text()))

def test_misuse_raises_and_close_is_idempotent(start: Start) -> None:
    with pytest.raises(RuntimeError, match="load a submission"):
        Worker(LIMITS).call("add", Call())
    worker = start("ok")
    with pytest.raises((TypeError, AttributeError, pickle.PicklingError), match="pickle"):
        worker.call("add", Call(args=(lambda: 1, 2)))
    assert worker.alive and worker.call("add", Call(args=(1, 2))).value == 3
    worker.close()
    worker.close()
    assert not worker.alive
    with pytest.raises(RuntimeError, match="closed"):
        worker.call("add", Call(args=(1, 2)))


def test_a_fork_server_that_cannot_start_is_the_graders_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(forkserver, "_BOOTSTRAP", "import sys; sys.exit(5)")
    server = forkserver.ForkServer()
    with Worker(LIMITS, server=server) as worker:
        with pytest.raises(WorkerStartError, match=r"the fork server ended \(exit status 5\)"):
            worker.load(SUBMISSIONS / "ok.py")
        assert not worker.alive
    server.close()


def test_a_fork_server_outlives_the_thread_that_started_it() -> None:
    server = forkserver.ForkServer()

    def load_once() -> None:
        with Worker(LIMITS, server=server) as worker:
            assert worker.load(SUBMISSIONS / "ok.py").fault is None

    starter = threading.Thread(target=load_once)  # starts the server, which is ready once the load is answered
    starter.start()
    starter.join()
    process = server._process
    assert process is not None
    load_once()
    assert server._process is process and process.poll() is None  # neither killed nor replaced
    server.close()


HOLDS_INTERRUPTIONS = """
import os, signal, time
from grader import interrupts
from grader.sandbox import forkserver

caught = []
signal.signal(signal.SIGTERM, lambda number, frame: caught.append(number))
forkserver.release(forkserver.acquire())  # a fork server, and so the thread that starts them
with interrupts.held():
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(0.2)  # time enough for a thread that does not block it to take it
    held = not caught
print(held, caught == [signal.SIGTERM])
"""


def test_interruptions_stay_held_back_once_a_fork_server_is_started() -> None:
    """The thread starting fork servers blocks SIGTERM and Ctrl-C, which only the main thread may take (where
    ``interrupts.held`` holds them back while the scratch directory is created, for one)."""
    done = subprocess.run([sys.executable, "-c", HOLDS_INTERRUPTIONS], capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout) == (0, "True True\n"), done.stderr


def test_a_child_that_cannot_start_is_the_graders_error(monkeypatch: pytest.MonkeyPatch) -> None:
    setup = Worker._setup
    monkeypatch.setattr(Worker, "_setup", lambda self, *arguments: dataclasses.replace(
        setup(self, *arguments), scratch="/nonexistent/scratch"))
    with Worker(LIMITS) as worker:
        with pytest.raises(WorkerStartError, match=r"did not start \(exit status 1\)"):
            worker.load(SUBMISSIONS / "ok.py")
        assert not worker.alive

