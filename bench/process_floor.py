"""The floor of a submission's cost: a sandboxed process that loads a one-line file and ends.

Loads a file holding only ``import numpy as np`` ``--runs`` times, in one ``Worker`` after another, from as
many threads as there are cores (each thread with its own fork server, as each grading process has), after a
warm-up, and prints the loads per second and the core time each costs: the fork, the confinement, the load
request and answer, the process's end and the reaping, on both sides. No grading can cost less per submission.

    python bench/process_floor.py [--runs 400] [--sandbox auto]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from grader.sandbox.outcome import Limits
from grader.sandbox.worker import Worker


def load_many(submission: Path, runs: int, sandbox: str) -> None:
    """Load ``submission`` ``runs`` times, each in a fresh sandboxed process."""
    for _ in range(runs):
        with Worker(Limits(), sandbox=sandbox) as worker:
            worker.load(submission)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=400, help="loads in all (default 400)")
    parser.add_argument("--sandbox", default="auto", help="sandbox level (default auto)")
    options = parser.parse_args()
    cores = os.cpu_count() or 1
    each = options.runs // cores
    with tempfile.TemporaryDirectory() as folder, ThreadPoolExecutor(cores) as threads:
        submission = Path(folder) / "empty.py"
        submission.write_text("import numpy as np\n", encoding="utf-8")
        list(threads.map(load_many, [submission] * cores, [3] * cores, [options.sandbox] * cores))  # warm-up
        started = time.perf_counter()
        list(threads.map(load_many, [submission] * cores, [each] * cores, [options.sandbox] * cores))
        elapsed = time.perf_counter() - started
    loads = each * cores
    print(f"{loads} loads of a one-line file, {cores} at once, sandbox {options.sandbox}: "
          f"{loads / elapsed:.0f} per second, {elapsed * cores / loads * 1000:.2f} ms of core time each")


if __name__ == "__main__":
    main()
