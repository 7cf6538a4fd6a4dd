"""Every ``>>>`` example in the grader's docstrings holds."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import grader

MODULES = sorted(
    info.name for info in pkgutil.walk_packages(grader.__path__, "grader.") if not info.name.endswith("__main__")
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_hold(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name))
    assert result.failed == 0


def test_the_main_modules_have_examples() -> None:
    examples = {name: doctest.testmod(importlib.import_module(name)).attempted for name in MODULES}
    for name in ("grader.assignment", "grader.compare", "grader.feedback", "grader.feedback_values",
                 "grader.provided", "grader.stubs"):
        assert examples[name] > 0, name
