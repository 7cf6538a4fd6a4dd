"""``--format csv``: one row per graded submission, read back with the csv module, for one file and a batch.

The command runs as a user runs it (a real process), its working directory in ``tmp_path`` so that a batch's
``gradebook.db`` stays out of the repository.
"""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
import sys
from pathlib import Path

from grader.formats.csv_format import SubmissionRow, render_csv
from grader.registry import load_assignment

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "rnn_step_by_step"
FUNCTIONS = [graded.name for graded in load_assignment("rnn_step_by_step").functions]
HEADER = ["student", "file", "score", "max_score", *FUNCTIONS, "status"]
PARTLY_WRONG_POINTS = ["10", "10", "0", "0", "10", "0", "0", "3"]


def grade(*arguments: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run ``grade ARGUMENTS -a rnn_step_by_step --format csv`` in ``cwd``; its output decoded, line ends kept."""
    command = [sys.executable, "-m", "grader", *map(str, arguments), "-a", "rnn_step_by_step", "--format", "csv"]
    done = subprocess.run(command, capture_output=True, cwd=cwd, timeout=120)
    return subprocess.CompletedProcess(done.args, done.returncode, done.stdout.decode(), done.stderr.decode())


def read_csv(text: str) -> list[list[str]]:
    """The rows of ``text``, header first; lines must end in CRLF, as the csv module writes them."""
    assert text.endswith("\r\n")
    return list(csv.reader(io.StringIO(text, newline="")))


def test_one_file_is_a_header_and_one_row(tmp_path: Path) -> None:
    submission = shutil.copyfile(EXAMPLES / "partly_wrong.py", tmp_path / "dave_attempt2.py")
    done = grade(submission.name, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert read_csv(done.stdout) == [HEADER, ["dave", "dave_attempt2.py", "33", "100", *PARTLY_WRONG_POINTS, "error"]]


def test_a_batch_is_a_row_per_submission_in_order_quoted_where_needed(tmp_path: Path) -> None:
    folder = tmp_path / 'class, "A"'
    folder.mkdir()
    shutil.copyfile(EXAMPLES / "correct.py", folder / "alice_1.py")
    shutil.copyfile(EXAMPLES / "partly_wrong.py", folder / "bob, jr_1.py")
    shutil.copyfile(EXAMPLES / "correct.py", folder / "_no_student_id.py")
    done = grade(folder.name, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert '"class, ""A""/bob, jr_1.py"' in done.stdout
    assert read_csv(done.stdout) == [
        HEADER,
        ["alice", 'class, "A"/alice_1.py', "100", "100", "10", "10", "15", "15", "10", "10", "15", "15", "passed"],
        ["bob, jr", 'class, "A"/bob, jr_1.py', "33", "100", *PARTLY_WRONG_POINTS, "error"],
    ]


def test_rows_report_the_worst_status_and_leave_functions_not_graded_empty() -> None:
    def report(*statuses: str) -> dict[str, object]:
        tests = [{"name": f"f{index}", "score": 1.0, "status": status} for index, status in enumerate(statuses)]
        return {"submission": {"path": "x.py"}, "score": 2.5, "max_score": 10.0, "tests": tests}

    text = render_csv([SubmissionRow("a", report("passed", "failed")), SubmissionRow("", report("error", "failed")),
                       SubmissionRow("c", report("passed"))], ["f0", "f1"])
    assert read_csv(text)[1:] == [["a", "x.py", "2.5", "10", "1", "1", "failed"],
                                  ["", "x.py", "2.5", "10", "1", "1", "error"],
                                  ["c", "x.py", "2.5", "10", "1", "", "passed"]]
