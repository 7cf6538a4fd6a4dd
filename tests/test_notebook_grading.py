"""Jupyter notebooks are graded as Python files are: the same results for the same code, each cell loaded on its
own so that a failing cell costs only itself, and every place named as a code cell and a line in it.

The notebooks under ``submissions/notebooks/`` were written with nbformat; ``correct`` and ``partly_wrong`` hold
the code of their ``.py`` twins in ``examples/rnn_step_by_step/`` split into cells, with magics, shell commands
and test calls around it.
"""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import jsonschema
import nbformat
import pytest

from grader.assignment import Call
from grader.batch import find_submissions
from grader.formats.text import render_text
from grader.grading import LOAD_FAILED, Grader
from grader.notebook import read_notebook
from grader.registry import load_assignment
from grader.report import SCHEMA_PATH, Report, Status
from grader.sandbox.outcome import Limits, LoadError
from grader.sandbox.worker import Worker
from grader.students import DEFAULT_ID_PATTERN, compile_id_pattern

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "tests" / "submissions" / "notebooks"
EXAMPLES = ROOT / "examples" / "rnn_step_by_step"
"""Where the notebooks' ``.py`` twins are: the example submissions."""
LIMITS = Limits(call_timeout_s=1.0, load_timeout_s=10.0, memory_bytes=1024 * 2**20)
SCHEMA = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def grader() -> Grader:
    return Grader(load_assignment("rnn_step_by_step"), LIMITS)


def code_cells(notebook: Path) -> list[str]:
    """The source of each code cell of ``notebook``, as nbformat reads it."""
    return [cell.source for cell in nbformat.read(notebook, as_version=4).cells if cell.cell_type == "code"]


def place_of(notebook: Path, text: str) -> tuple[int, int]:
    """(code cell, line in it), both 1-based, of the first line of ``notebook`` holding ``text``."""
    for cell, source in enumerate(code_cells(notebook), 1):
        for line, content in enumerate(source.split("\n"), 1):
            if text in content:
                return cell, line
    raise AssertionError(f"{text!r} is in no code cell of {notebook.name}")


def as_json(report: Report) -> dict[str, object]:
    """The report as ``--format json`` prints it, parsed, after checking it against the schema."""
    data: dict[str, object] = json.loads(json.dumps(report.to_dict()))
    jsonschema.validate(data, SCHEMA)
    return data


def results(report: Report) -> tuple[float, list[tuple[str, Status, float, list[tuple[str, bool]]]]]:
    """The score, and each function's status and points and each of its checks' pass or fail."""
    return report.score, [(test.name, test.status, test.score, [(check.name, check.passed) for check in test.checks])
                          for test in report.tests]


# --- a notebook grades as the same code in a Python file --------------------------------------------------------


@pytest.mark.parametrize("name", ["correct", "partly_wrong"])
def test_a_notebook_gets_the_results_of_its_python_twin(grader: Grader, name: str) -> None:
    notebook = NOTEBOOKS / f"{name}.ipynb"
    sources = "\n".join(code_cells(notebook))
    for ipython_syntax in ("%matplotlib inline", "!pip install", "%%time", "%%bash", "files = !ls", "np.dot?",
                           "    %time softmax"):
        assert ipython_syntax in sources
    from_notebook, from_python = grader.grade(notebook), grader.grade(EXAMPLES / f"{name}.py")
    assert results(from_notebook) == results(from_python)
    assert from_notebook.load_problems == from_python.load_problems == ()
    assert 0 < from_notebook.score <= from_notebook.max_score
    assert (from_notebook.score == from_notebook.max_score) is (name == "correct")


def test_the_report_names_the_notebook_and_hashes_its_bytes(grader: Grader) -> None:
    notebook = NOTEBOOKS / "correct.ipynb"
    report = grader.grade(notebook, display_path="alice/correct.ipynb")
    assert report.submission.path == "alice/correct.ipynb"
    assert report.submission.sha256 == hashlib.sha256(notebook.read_bytes()).hexdigest()
    assert as_json(report)["load_problems"] == []


# --- a failing cell costs only itself ---------------------------------------------------------------------------


def test_cells_that_fail_cost_only_themselves_and_are_named(grader: Grader) -> None:
    notebook = NOTEBOOKS / "broken_cells.ipynb"
    report = grader.grade(notebook)
    statuses = {test.name: test.status for test in report.tests}
    assert statuses.pop("lstm_backward") is Status.ERROR
    assert set(statuses.values()) == {Status.PASSED}
    assert report.score == report.max_score - grader.assignment.function("lstm_backward").points

    helper = place_of(notebook, "def plot_costs(costs:")
    test_call = place_of(notebook, "rnn_forward(x_tmp, a0_tmp, parameters_tmp)")
    graded = place_of(notebook, "def lstm_backward(da, caches)")
    assert [(problem.kind, problem.cell, problem.line) for problem in report.load_problems] == [
        ("SyntaxError", *helper), ("NameError", *test_call), ("SyntaxError", *graded)]
    assert report.load_problems[1].message == "name 'x_tmp' is not defined"
    lstm_backward = next(test for test in report.tests if test.name == "lstm_backward")
    assert lstm_backward.feedback.startswith(
        f"lstm_backward could not be defined: SyntaxError at code cell {graded[0]}, line {graded[1]}, column ")

    text = render_text(report)
    assert "Parts of your file could not be loaded (the rest was graded):" in text
    assert f"  NameError at code cell {test_call[0]}, line 1: name 'x_tmp' is not defined" in text
    assert as_json(report)["load_problems"][1] == {  # type: ignore[index]
        "kind": "NameError", "message": "name 'x_tmp' is not defined", "line": 1, "column": None,
        "cell": test_call[0]}


def test_a_fault_inside_a_function_names_its_cell_and_line(grader: Grader) -> None:
    notebook = NOTEBOOKS / "rnn_cell_forward__shape_error.ipynb"
    report = grader.grade(notebook)
    cell, line = place_of(notebook, "np.dot(Wax, a_prev)")
    excerpt = code_cells(notebook)[cell - 1].split("\n")[line - 1].strip()
    feedback = {test.name: test.feedback for test in report.tests}
    assert "ValueError: shapes (5,3) and (5,10) not aligned" in feedback["rnn_cell_forward"]
    assert f"at code cell {cell}, line {line}, in rnn_cell_forward: {excerpt}" in feedback["rnn_cell_forward"]
    assert f"at code cell {cell}, line {line}, in rnn_cell_forward" in feedback["rnn_forward"]
    assert report.score == report.max_score - 20


def test_unfilled_regions_of_a_notebook_are_not_implemented_yet_with_their_cell(grader: Grader) -> None:
    notebook = NOTEBOOKS / "stub.ipynb"
    report = grader.grade(notebook)
    assert report.score == 0
    for test in report.tests:
        cell, _ = place_of(notebook, f"def {test.name}(")
        assert test.status is Status.ERROR
        assert f"{test.name} is not implemented yet: fill in" in test.feedback
        assert f"END CODE HERE (code cell {cell}, lines " in test.feedback


# --- a file that is not a notebook -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("python_not_json", "it is not JSON (Extra data: line 1 column 3 (char 2))"),
        ("nbformat_3", "it is in notebook format 3, not 4: open it in Jupyter and save it again"),
        ("code_cell_without_source", "its cell 1, a code cell, has no source text"),
    ],
)
def test_a_notebook_that_cannot_be_read_scores_zero_and_says_why(grader: Grader, name: str, reason: str) -> None:
    report = grader.grade(NOTEBOOKS / "invalid" / f"{name}.ipynb")
    message = f"cannot read the notebook: {reason}"
    assert [(problem.kind, problem.message, problem.line, problem.cell) for problem in report.load_problems] == [
        ("NotebookError", message, None, None)]
    assert report.score == 0 and len(report.tests) == len(grader.assignment.functions)
    for test in report.tests:
        assert (test.status, test.score, test.feedback) == (Status.ERROR, 0, LOAD_FAILED + message)
        assert all(check.message == LOAD_FAILED + message for check in test.checks)
    assert render_text(report).splitlines()[2:4] == ["Your file could not be loaded:", f"  NotebookError: {message}"]
    as_json(report)


# --- loading cells in the sandbox ---------------------------------------------------------------------------------


def load(notebook: Path, limits: Limits = LIMITS) -> tuple[Worker, list[LoadError], frozenset[str]]:
    """A worker with ``notebook`` loaded, and its load errors located in cells, with the functions defined."""
    script = read_notebook(notebook.read_bytes())
    worker = Worker(limits)
    loaded = worker.load(notebook, cells=script.cells())
    assert loaded.fault is None
    errors = []
    for error in loaded.errors:
        assert error.line is not None and error.cell is None
        cell, line = script.locate(error.line)
        errors.append(LoadError(error.kind, error.message, line, error.column, error.defines, cell))
    return worker, errors, loaded.functions


def test_a_syntax_error_costs_only_its_cell_and_keeps_its_column() -> None:
    worker, errors, functions = load(NOTEBOOKS / "syntax_errors_in_cells.ipynb")
    with worker:
        assert functions == frozenset({"a", "c"})
        assert errors == [
            LoadError("SyntaxError", "invalid syntax", 1, 71, ("value",), cell=2),
            LoadError("SyntaxError", "'return' outside function", 2, 1, (), cell=3),
            LoadError("SyntaxError", "invalid syntax", 4, 7, ("d",), cell=4),
        ]
        assert worker.call("c", Call()).value == 3


def test_future_imports_of_a_cell_hold_in_the_cells_after_it() -> None:
    worker, errors, functions = load(NOTEBOOKS / "future_imports_in_cells.ipynb")
    with worker:
        assert errors == [] and {"f", "g"} <= functions
        assert worker.call("f", Call(args=(4,))).value == 4


def test_a_cell_running_too_long_is_stopped_and_the_cells_after_it_define_their_functions() -> None:
    limits = Limits(load_timeout_s=2.0, memory_bytes=LIMITS.memory_bytes)
    started = time.monotonic()
    worker, errors, functions = load(NOTEBOOKS / "trains_forever_in_a_cell.ipynb", limits)
    with worker:
        assert time.monotonic() - started < limits.load_timeout_s
        assert {"add", "later"} <= functions
        stopped = "still running after 1 s, the time for loading the file: stopped there"
        skipped = "not run: the time for loading the file was up"
        loop = errors[0]
        assert (loop.kind, loop.message, loop.cell, loop.line in (2, 3)) == ("TimeoutError", stopped, 2, True)
        assert errors[1:] == [LoadError("TimeoutError", skipped, 1, None, ("history",), cell=4),
                              LoadError("TimeoutError", skipped, 2, None, cell=4)]
        assert worker.call("later", Call(args=(4,))).value == 8


# --- a class's notebooks ------------------------------------------------------------------------------------------


CLASS = {
    "alice_rnn.ipynb": NOTEBOOKS / "correct.ipynb",
    ".ipynb_checkpoints/alice_rnn-checkpoint.ipynb": NOTEBOOKS / "partly_wrong.ipynb",
    "bob.py": EXAMPLES / "correct.py",
    "late/carol.ipynb": NOTEBOOKS / "partly_wrong.ipynb",
}
"""A class folder: alice's notebook (and its Jupyter checkpoint), bob's Python file, carol's partly wrong notebook
in a subfolder."""


def make_class(folder: Path) -> Path:
    """``folder`` holding ``CLASS``."""
    for name, source in CLASS.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, folder / name)
    return folder


def test_a_class_folder_holds_notebooks_and_checkpoints_are_skipped(tmp_path: Path) -> None:
    folder = make_class(tmp_path / "class")
    found = find_submissions([folder], compile_id_pattern(DEFAULT_ID_PATTERN))
    assert [(item.relative_path, item.student) for item in found.submissions] == [
        ("alice_rnn.ipynb", "alice"), ("bob.py", "bob"), ("late/carol.ipynb", "carol")]
    assert found.unmatched == []


def grade_command(*arguments: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "grader", *map(str, arguments)]
    return subprocess.run(command, capture_output=True, text=True, cwd=cwd, timeout=120)


def test_the_grade_command_grades_a_notebook_alone_and_in_a_class(tmp_path: Path) -> None:
    alone = grade_command(NOTEBOOKS / "correct.ipynb", "-a", "rnn_step_by_step", cwd=tmp_path)
    assert alone.returncode == 0, alone.stderr
    assert "Score: 100 / 100" in alone.stdout

    folder = make_class(tmp_path / "class")
    batch = grade_command(folder, "-a", "rnn_step_by_step", "-o", tmp_path / "reports", cwd=tmp_path)
    assert batch.returncode == 0, batch.stderr
    with (tmp_path / "reports" / "class.csv").open(newline="", encoding="utf-8") as file:
        totals = {row["student"]: float(row["total"]) for row in csv.DictReader(file)}
    assert totals == {"alice": 100, "bob": 100, "carol": 33}
    report = json.loads((tmp_path / "reports" / "alice_rnn.json").read_text(encoding="utf-8"))
    assert report["submission"]["sha256"] == hashlib.sha256((folder / "alice_rnn.ipynb").read_bytes()).hexdigest()
    jsonschema.validate(report, SCHEMA)
