"""What every assignment's reference tests share: reading published values by path, checking gradients by
central differences, comparing fixture builds bit for bit, and running a student README's public check."""

from __future__ import annotations

import inspect
import re
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np

from grader.assignment import Assignment, Fixture, GradedFunction

EPSILON = 1e-6
"""The step of the central differences."""
MAX_GRADIENT_ERROR = 1e-6
"""The largest relative error between a backward function's gradient and its central differences."""


# --- Reading values by path, e.g. ``cache[1][3]``, ``len(caches)``, ``dba.shape`` ---------------------------------

_PATH = re.compile(r"^(?:len\((?P<len_of>.+)\)|(?P<shape_of>.+)\.shape|(?P<value_of>.+))$")
_STEP = re.compile(r"\[(\d+|\"\w+\")\]")


def _resolve(roots: Mapping[str, Any], path: str) -> Any:
    """The value at ``path`` (a root name followed by ``[int]`` or ``["key"]`` steps)."""
    root, bracket, rest = path.partition("[")
    steps = _STEP.findall(bracket + rest)
    assert "".join(f"[{step}]" for step in steps) == bracket + rest, f"malformed path {path!r}"
    value = roots[root]
    for step in steps:
        value = value[step.strip('"')] if step.startswith('"') else value[int(step)]
    return value


def observe(roots: Mapping[str, Any], expression: str) -> Any:
    """``len(path)``, ``path.shape`` or the value at ``path``."""
    match = _PATH.match(expression)
    assert match is not None, expression
    if match["len_of"]:
        return len(_resolve(roots, match["len_of"]))
    if match["shape_of"]:
        return np.shape(_resolve(roots, match["shape_of"]))
    return _resolve(roots, match["value_of"])


def output_roots(graded: GradedFunction, result: Any) -> dict[str, Any]:
    """A function's outputs by name; a dictionary of gradients is addressed by its keys (``dxt[1][2]``)."""
    if isinstance(graded.outputs, str):
        assert isinstance(result, dict), f"{graded.name} must return a dict"
        return result
    assert isinstance(result, tuple) and len(result) == len(graded.outputs), f"{graded.name} returns a tuple"
    return dict(zip(graded.outputs, result, strict=True))


def input_roots(reference: ModuleType, function: str, args: tuple[Any, ...]) -> dict[str, Any]:
    """A call's arguments by parameter name."""
    return dict(inspect.signature(getattr(reference, function)).bind(*args).arguments)



def assert_matches_printed(got: Any, printed: str, what: str) -> None:
    """``got`` rounds to ``printed``: equal within half a unit of its last printed decimal.

    numpy drops trailing zeros per element, so an array's precision is that of its longest element.
    """
    tokens = printed.strip("[]").split()
    decimals = max(len(token.partition(".")[2]) for token in tokens)
    expected = np.array([float(token) for token in tokens])
    got = np.asarray(got, dtype=float)
    assert got.shape == (expected.shape if printed.startswith("[") else ()), what
    np.testing.assert_allclose(got.reshape(-1), expected, rtol=0, atol=0.5 * 10.0**-decimals + 1e-15, err_msg=what)



@dataclass(frozen=True)
class GradientCase:
    """A scalar loss of some arrays, and the gradients a backward function returns for it.

    ``wrt`` maps each gradient's key to the array the loss reads, which is perturbed in place.
    """

    loss: Callable[[], float]
    analytic: Mapping[str, np.ndarray]
    wrt: Mapping[str, np.ndarray]



def numerical_gradient(loss: Callable[[], float], array: np.ndarray) -> np.ndarray:
    """Central differences of ``loss`` with respect to every element of ``array`` (restored afterwards)."""
    gradient = np.zeros_like(array)
    for index in np.ndindex(array.shape):
        original = array[index]
        array[index] = original + EPSILON
        plus = loss()
        array[index] = original - EPSILON
        minus = loss()
        array[index] = original
        gradient[index] = (plus - minus) / (2 * EPSILON)
    return gradient


def relative_error(numerical: np.ndarray, analytic: np.ndarray) -> float:
    assert numerical.shape == analytic.shape
    return float(np.linalg.norm(numerical - analytic) / (np.linalg.norm(numerical) + np.linalg.norm(analytic)))



def assert_identical(first: Any, second: Any) -> None:
    """Same structure, same types, bit-identical arrays."""
    assert type(first) is type(second)
    if isinstance(first, np.ndarray):
        assert first.dtype == second.dtype and np.array_equal(first, second)
    elif isinstance(first, dict):
        assert first.keys() == second.keys()
        for key in first:
            assert_identical(first[key], second[key])
    elif isinstance(first, (tuple, list)):
        assert len(first) == len(second)
        for one, other in zip(first, second, strict=True):
            assert_identical(one, other)
    else:
        assert first == second




def assert_gradients_match(case: GradientCase) -> None:
    """Every gradient of ``case`` is checked, and agrees with central differences of its loss."""
    assert set(case.wrt) == set(case.analytic), "every returned gradient is checked"
    errors = {key: relative_error(numerical_gradient(case.loss, array), case.analytic[key])
              for key, array in case.wrt.items()}
    assert max(errors.values()) < MAX_GRADIENT_ERROR, errors


def assert_builds_deterministically(fixture: Fixture, reference: ModuleType) -> None:
    """Two builds of ``fixture`` are bit-identical, whatever numpy's global random state between them."""
    first = fixture.build(reference)
    np.random.seed(12345)
    second = fixture.build(reference)
    assert_identical(first.args, second.args)
    assert_identical(dict(first.kwargs), dict(second.kwargs))


def readme_public_check(assignment: Assignment) -> str:
    """What the public check in the assignment's student README prints, asserted to be exactly the output the
    README shows after it (its first Python code block and the code block after that), run beside the reference
    solution."""
    readme = (assignment.stub.parent / "README.md").read_text(encoding="utf-8")
    blocks = readme.split("```")[1::2]
    first = next(index for index, block in enumerate(blocks) if block.startswith("python\n"))
    snippet, printed = (block.split("\n", 1)[1] for block in blocks[first : first + 2])
    run = subprocess.run(
        [sys.executable, "-c", snippet], cwd=assignment.solution.parent, capture_output=True, text=True, timeout=60
    )
    assert (run.returncode, run.stdout) == (0, printed), run.stderr
    return printed
