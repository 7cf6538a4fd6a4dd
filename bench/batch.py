"""How fast a class is graded, against the usual way: one pytest process per submission.

Generates N submissions of ``rnn_step_by_step`` (60 % correct, 25 % with a bug, 15 % broken: syntax errors,
exceptions, crashes, missing functions; no time-outs), then prints, in one run:

Half the correct submissions are the reference code; the other half compute the same with the operations in
another order (``ROUNDING_VARIANTS``), so that their results differ from the reference's in the last bits, as
many real students' do, and take the grader's slower path of decoding and comparing within tolerance.


- submissions per second for ``grade DIR -a rnn_step_by_step`` (default isolation, all cores, a fresh
  gradebook), for each size asked (default 100, 1,000 and 10,000), and the time per submission at each size;
- the same for one ``pytest --json-report`` process per submission (``bench/baseline/``), as many at once as
  there are cores, on the first ``--baseline`` submissions of the set, and the ratio between the two;
- the same for 1,000 submissions of which ``--hangs`` (default 5) loop forever in one function, each costing
  that function's checks the 5 s time limit;
- the wall time of one cold ``grade`` of one file (median of 5);
- the peak memory of one grading worker: its process, its fork server and the submission's processes, as
  proportional set sizes summed (what the worker costs) and resident set sizes summed (shared pages counted in
  each process), sampled every 10 ms.

    python bench/batch.py [--sizes 100,1000,10000] [--baseline 100] [--hangs 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from grader.batch import default_jobs

ROOT = Path(__file__).resolve().parent.parent
CORRECT = ROOT / "examples" / "rnn_step_by_step" / "correct.py"
MUTANTS = sorted((ROOT / "tests" / "submissions" / "rnn_step_by_step" / "mutants").glob("*.py"))
FAULTS = ROOT / "tests" / "submissions" / "rnn_step_by_step" / "faults"
BROKEN = [FAULTS / f"{name}.py" for name in (
    "lstm_cell_backward__syntax_error", "lstm_backward__missing", "rnn_forward__misspelled_name",
    "rnn_cell_forward__shape_error", "rnn_forward__sys_exit", "rnn_cell_backward__os_exit", "rnn_backward__segfault",
    "rnn_cell_backward__returns_list", "rnn_cell_forward__returns_generator", "top_level__notebook_leftovers",
    "partly_filled__only_rnn_cell_forward", "rnn_cell_backward__mutates_inputs")]
HANGS = FAULTS / "lstm_cell_forward__infinite_loop.py"
BASELINE = ROOT / "bench" / "baseline" / "test_rnn_step_by_step.py"
ASSIGNMENT = "rnn_step_by_step"
MEMORY_SAMPLE_S = 0.01
HANGS_SET = 1000


ROUNDING_VARIANTS = {
    "return e / e.sum(axis=0)": "return e * (1 / e.sum(axis=0))",
    "a_next = np.tanh(Waa @ a_prev + Wax @ xt + ba)": "a_next = np.tanh(ba + (Wax @ xt + Waa @ a_prev))",
    "dz = (1 - a_next**2) * da_next": "dz = da_next - da_next * a_next**2",
    "dc = dc_next + da_next * ot * (1 - np.tanh(c_next) ** 2)":
        "dc = dc_next + da_next * (ot * (1 - np.tanh(c_next) ** 2))",
}
"""Rewrites of the correct example that keep it correct but round differently: softmax (every forward
function), the RNN cell forward and backward, the LSTM cell backward."""


def rounding_variant() -> bytes:
    source = CORRECT.read_text(encoding="utf-8")
    for old, new in ROUNDING_VARIANTS.items():
        assert old in source, old
        source = source.replace(old, new)
    return source.encode("utf-8")


def generate(folder: Path, count: int, timeouts: int) -> list[Path]:
    """``count`` submission files in ``folder``, each with distinct content (a trailing comment), the
    ``timeouts`` that hang spread evenly among them."""
    folder.mkdir(parents=True)
    sources = [CORRECT] * 12 + MUTANTS[:5] + BROKEN[:3]
    hang_every = count // timeouts if timeouts else 0
    variant = rounding_variant()
    paths = []
    for index in range(count):
        if hang_every and index % hang_every == hang_every - 1:
            source = HANGS
        else:
            source = sources[(index * 7) % len(sources)] if index % 20 else CORRECT
            source = MUTANTS[(index // 20) % len(MUTANTS)] if index % 20 in (3, 11) else source
        content = source.read_bytes()
        if source == CORRECT and index % 2:
            source, content = Path("variant.py"), variant
        path = folder / f"s{index:05d}_{source.stem[:20]}.py"
        path.write_bytes(content + f"\n# submission {index}\n".encode())
        paths.append(path)
    return paths


def run_grade(folder: Path, work: Path, jobs: int | None, memory: _MemoryProbe | None = None) -> float:
    """Seconds for ``grade`` to grade ``folder`` into a fresh gradebook."""
    database = work / f"gradebook-{time.monotonic_ns()}.db"
    command = [sys.executable, "-m", "grader", str(folder), "-a", ASSIGNMENT, "--db", str(database), "--format", "json",
               *(["-j", str(jobs)] if jobs else [])]
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=work)
    if memory is not None:
        memory.watch(process.pid)
    _, stderr = process.communicate()
    elapsed = time.perf_counter() - started
    if memory is not None:
        memory.stop()
    if process.returncode != 0:
        raise SystemExit(f"grade failed with status {process.returncode}: {stderr.decode()[-2000:]}")
    return elapsed


def run_baseline(paths: list[Path], work: Path, jobs: int) -> float:
    """Seconds for one ``pytest --json-report`` process per submission, ``jobs`` at a time."""
    def one(path: Path) -> int:
        report = work / f"{path.stem}.json"
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(BASELINE),
                   "--json-report", f"--json-report-file={report}", "--submission", str(path)]
        done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=work)
        if not report.exists():
            raise SystemExit(f"pytest wrote no report for {path} (status {done.returncode})")
        return done.returncode

    started = time.perf_counter()
    with ThreadPoolExecutor(jobs) as pool:
        list(pool.map(one, paths))
    return time.perf_counter() - started


def cold_grade(path: Path, work: Path, runs: int = 5) -> float:
    """Median seconds of a whole ``grade`` command on one file, interpreter start included."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "grader", str(path), "-a", ASSIGNMENT, "--format", "json"],
                       stdout=subprocess.DEVNULL, check=True, cwd=work)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


class _MemoryProbe:
    """Samples the memory of each grading worker's process tree while a batch runs: the resident set sizes
    summed (pages shared between the processes counted in each) and the proportional set sizes summed (each
    shared page divided among the processes sharing it: what the tree costs the machine)."""

    def __init__(self) -> None:
        self.peak_rss = 0
        self.peak_pss = 0
        self._done = threading.Event()
        self._thread: threading.Thread | None = None

    def watch(self, root: int) -> None:
        self._thread = threading.Thread(target=self._sample, args=(root,), daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._done.set()
        if self._thread is not None:
            self._thread.join()

    def _sample(self, root: int) -> None:
        while not self._done.wait(MEMORY_SAMPLE_S):
            for worker in _children(root):
                tree = list(_tree(worker))
                self.peak_rss = max(self.peak_rss, sum(_memory(pid, "/proc/{}/status", "VmRSS:") for pid in tree))
                self.peak_pss = max(self.peak_pss, sum(_memory(pid, "/proc/{}/smaps_rollup", "Pss:") for pid in tree))


def _children(pid: int) -> list[int]:
    """The processes ``pid`` started, from any of its threads (each thread lists its own children)."""
    found = []
    try:
        for task in Path(f"/proc/{pid}/task").glob("*/children"):
            found += [int(child) for child in task.read_text().split()]
    except OSError:  # it ended meanwhile
        pass
    return found


def _tree(pid: int) -> Iterator[int]:
    yield pid
    for child in _children(pid):
        yield from _tree(child)


def _memory(pid: int, path: str, field: str) -> int:
    """The size in bytes that the line starting with ``field`` of a /proc file about ``pid`` gives; 0 if gone."""
    try:
        with open(path.format(pid)) as file:
            for line in file:
                if line.startswith(field):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000,10000", help="batch sizes to time (default 100,1000,10000)")
    parser.add_argument("--baseline", type=int, default=100, help="submissions for the pytest baseline")
    parser.add_argument("--hangs", type=int, default=5, help="submissions that hang, among 1,000 (default 5)")
    parser.add_argument("--jobs", type=int, help="grading processes (default: grade's own, twice the cores)")
    arguments = parser.parse_args()
    sizes = [int(size) for size in arguments.sizes.split(",")]
    jobs = arguments.jobs
    cores = len(os.sched_getaffinity(0))
    print(f"rnn_step_by_step, {jobs or default_jobs()} grading processes, {cores} cores, "
          f"Python {sys.version.split()[0]}")
    with tempfile.TemporaryDirectory(prefix="grade-bench-") as temporary:
        work = Path(temporary)
        memory = _MemoryProbe()
        rates = {}
        for size in sizes:
            folder = work / f"set-{size}"
            generate(folder, size, 0)
            elapsed = run_grade(folder, work, jobs, memory if size == max(sizes) else None)
            rates[size] = size / elapsed
            print(f"grade, {size:>6} submissions: {elapsed:8.2f} s  {size / elapsed:7.1f} submissions/s  "
                  f"{1000 * elapsed / size:6.2f} ms per submission")
        if arguments.hangs:
            folder = work / "set-hangs"
            generate(folder, HANGS_SET, arguments.hangs)
            elapsed = run_grade(folder, work, jobs)
            print(f"grade, {HANGS_SET} submissions, {arguments.hangs} of which hang: {elapsed:8.2f} s  "
                  f"{HANGS_SET / elapsed:7.1f} submissions/s")
        largest = max(sizes)
        sample = sorted((work / f"set-{largest}").glob("*.py"))[: arguments.baseline]
        baseline = run_baseline(sample, work, cores)
        baseline_rate = len(sample) / baseline
        grade_rate = rates[largest]
        print(f"pytest --json-report, one process per submission, {len(sample)} submissions: {baseline:.2f} s  "
              f"{baseline_rate:.2f} submissions/s")
        print(f"grade / pytest baseline: {grade_rate / baseline_rate:.1f}x faster")
        print(f"one cold grade of one file: {cold_grade(CORRECT, work):.3f} s (median of 5)")
        print(f"peak memory per grading worker (its process, fork server and sandbox): "
              f"{memory.peak_pss / 2**20:.0f} MiB proportional (PSS), {memory.peak_rss / 2**20:.0f} MiB resident "
              "summed (shared pages counted in each process)")
        if len(sizes) > 1:
            smallest = min(sizes)
            growth = (1 / rates[largest]) / (1 / rates[smallest])
            print(f"time per submission at {largest} vs {smallest}: x{growth:.2f} (1.00 is perfectly linear)")


if __name__ == "__main__":
    main()
