"""The usual way of grading a notebook assignment, as the baseline of ``bench/batch.py``: pytest imports the
student's file and the reference solution into one process and compares their outputs with ``np.allclose``,
one test per check of the assignment (the same checks ``grade`` runs).

    pytest bench/baseline/test_rnn_step_by_step.py --submission FILE --json-report
"""

from __future__ import annotations

import copy
import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest

from grader.registry import load_assignment

ASSIGNMENT = load_assignment("rnn_step_by_step")
CHECKS = [(graded.name, fixture) for graded in ASSIGNMENT.functions for fixture in graded.fixtures]


def _module(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def solution() -> ModuleType:
    return _module(ASSIGNMENT.solution, "solution")


@pytest.fixture(scope="session")
def student(request: pytest.FixtureRequest) -> ModuleType:
    return _module(Path(request.config.getoption("--submission")), "student")


def _close(expected: Any, got: Any) -> bool:
    if isinstance(expected, dict):
        return isinstance(got, dict) and all(key in got and _close(value, got[key]) for key, value in expected.items())
    if isinstance(expected, (list, tuple)):
        return (isinstance(got, (list, tuple)) and len(got) == len(expected)
                and all(_close(e, g) for e, g in zip(expected, got, strict=True)))
    return bool(np.shape(expected) == np.shape(got) and np.allclose(expected, got, rtol=1e-5, atol=1e-7))


@pytest.mark.parametrize(("function", "fixture"), CHECKS, ids=[f"{name}[{fixture.name}]" for name, fixture in CHECKS])
def test_check(function: str, fixture: Any, solution: ModuleType, student: ModuleType) -> None:
    call = fixture.build(solution)
    np.random.seed(0)
    expected = getattr(solution, function)(*copy.deepcopy(call.args), **copy.deepcopy(dict(call.kwargs)))
    np.random.seed(0)
    got = getattr(student, function)(*copy.deepcopy(call.args), **copy.deepcopy(dict(call.kwargs)))
    assert _close(expected, got)
