"""The authoring guide (docs/authoring.md) is true: the assignment its code blocks define, alone, is
registered, gets its stub generated, and grades as the guide says."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

import grader.course
import grader.suites
from grader.assignment import Assignment
from grader.catalog import catalog
from grader.grading import Grader
from grader.registry import load_assignment
from grader.report import Status
from grader.stubs import write_stubs

GUIDE = Path(__file__).resolve().parent.parent / "docs" / "authoring.md"
_BLOCK = re.compile(r"^```python file=(?P<path>\S+)\n(?P<code>.*?)^```$", re.MULTILINE | re.DOTALL)


def guide_files() -> dict[str, str]:
    """Each code block of the guide that names a file: its path and contents."""
    return {match["path"]: match["code"] for match in _BLOCK.finditer(GUIDE.read_text(encoding="utf-8"))}


@pytest.fixture
def sgd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Assignment:
    """The guide's assignment in a fresh course folder, registered beside the real ones."""
    for relative, code in guide_files().items():
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text(code, encoding="utf-8")
    monkeypatch.setattr(grader.course, "course_root", lambda: tmp_path)
    monkeypatch.setattr(grader.suites, "__path__", [*grader.suites.__path__, str(tmp_path / "grader" / "suites")])
    monkeypatch.delitem(sys.modules, "grader.suites.sgd", raising=False)
    assignment = load_assignment("sgd")
    assert write_stubs([assignment]) == [tmp_path / "assignments" / "sgd" / "sgd.py"]
    return assignment


def test_the_guide_defines_a_solution_and_a_suite() -> None:
    assert sorted(guide_files()) == ["grader/suites/sgd.py", "solutions/sgd.py"]


def test_the_guides_assignment_is_listed(sgd: Assignment) -> None:
    listed = {entry["name"]: entry for entry in catalog()}
    assert listed["sgd"]["max_score"] == 30
    assert [function["name"] for function in listed["sgd"]["functions"]] == ["standardize", "sgd_step"]


def test_the_solution_gets_full_marks_and_the_stub_none(sgd: Assignment) -> None:
    grading = Grader(sgd)
    solution = grading.grade(sgd.solution)
    assert solution.score == solution.max_score == 30
    stub = grading.grade(sgd.stub)
    assert stub.score == 0
    assert all("is not implemented yet" in test.feedback for test in stub.tests), [test.feedback for test in stub.tests]


@pytest.mark.parametrize(("function", "old", "new", "feedback"), [
    ("sgd_step", "parameters[name] -= step", "parameters = {**parameters, name: parameters[name] - step}",
     "update the object you receive, in place"),
    ("standardize", "z = (x - mean) / std", "x -= mean\n    x /= std\n    z = x", "changed its argument `x`"),
    ("standardize", "std = x.std(axis=1, keepdims=True)", "std = x.std(axis=1, keepdims=True, ddof=1)",
     "has wrong values"),
])
def test_the_mistakes_the_guide_warns_of_lose_points(
    sgd: Assignment, tmp_path: Path, function: str, old: str, new: str, feedback: str
) -> None:
    source = sgd.solution.read_text(encoding="utf-8")
    assert old in source
    mutant = tmp_path / "mutant.py"
    mutant.write_text(source.replace(old, new), encoding="utf-8")
    results = {test.name: test for test in Grader(sgd).grade(mutant).tests}
    assert results[function].status is Status.FAILED
    assert feedback in results[function].feedback
    assert all(result.status is Status.PASSED for name, result in results.items() if name != function)
