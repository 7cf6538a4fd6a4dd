"""Per-submission cost of the strict sandbox over the basic one.

Grades the correct example submission ``--runs`` times at each level through the Python API, alternating the
levels so that both see the same machine load, after one warm-up grading each, and prints the median wall
time per submission at each level and their difference.

    python bench/sandbox_overhead.py [--runs 30]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from grader.grading import Grader
from grader.registry import load_assignment
from grader.sandbox.levels import kernel_support
from grader.sandbox.outcome import SandboxLevel

SUBMISSION = Path(__file__).resolve().parent.parent / "examples" / "rnn_step_by_step" / "correct.py"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30, help="gradings per level (default 30)")
    runs = parser.parse_args().runs
    missing = kernel_support().strict_missing
    if missing is not None:
        raise SystemExit(f"the strict sandbox is not available here: {missing}")
    assignment = load_assignment("rnn_step_by_step")
    graders = {level: Grader(assignment, sandbox=level) for level in SandboxLevel}
    times: dict[SandboxLevel, list[float]] = {level: [] for level in SandboxLevel}
    for grader in graders.values():
        grader.grade(SUBMISSION)
    for _ in range(runs):
        for level, grader in graders.items():
            started = time.perf_counter()
            report = grader.grade(SUBMISSION)
            times[level].append(time.perf_counter() - started)
            assert report.score == report.max_score, f"{level.value}: {report.score} / {report.max_score}"
    medians = {level: statistics.median(values) * 1000 for level, values in times.items()}
    for level, grader in graders.items():
        print(f"{level.value:>6}: median {medians[level]:7.1f} ms per submission   "
              f"sandbox: {grader.isolation.describe()}")
    overhead = medians[SandboxLevel.STRICT] - medians[SandboxLevel.BASIC]
    print(f"strict - basic: {overhead:+.1f} ms per submission ({runs} runs each, {SUBMISSION.name})")


if __name__ == "__main__":
    main()
