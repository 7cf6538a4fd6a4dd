"""``--format gradescope``: Gradescope's ``results.json``, validated against a JSON Schema written from the field
list of Gradescope's autograder specification (``tests/data/gradescope/results.schema.json``)."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from grader import report as model
from grader.formats.gradescope import render_gradescope
from grader.grading import Grader
from grader.registry import load_assignment
from grader.report import Report
from grader.sandbox.outcome import Limits

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "rnn_step_by_step"
SCHEMA = json.loads((ROOT / "tests" / "data" / "gradescope" / "results.schema.json").read_text(encoding="utf-8"))
EXAMPLE_NAMES = ("correct", "partly_wrong", "broken")


@pytest.fixture(scope="module")
def reports() -> dict[str, Report]:
    """The example submissions' reports, by name (a one-second time limit keeps ``broken``'s loops short)."""
    grader = Grader(load_assignment("rnn_step_by_step"), Limits(call_timeout_s=1.0))
    return {name: grader.grade(EXAMPLES / f"{name}.py") for name in EXAMPLE_NAMES}


def results(report: Report) -> dict[str, Any]:
    """The report's ``results.json``, valid against the schema, its numbers read as decimals (as written)."""
    data: dict[str, Any] = json.loads(render_gradescope(report), parse_float=Decimal)
    jsonschema.validate(json.loads(render_gradescope(report)), SCHEMA)
    return data


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_each_example_gives_valid_results_with_one_test_per_check(reports: dict[str, Report], name: str) -> None:
    report = reports[name]
    data = results(report)
    checks = [(test, check) for test in report.tests for check in test.checks]
    assert [test["name"] for test in data["tests"]] == [f"{test.name} [{check.name}]" for test, check in checks]
    assert [test["status"] for test in data["tests"]] == [
        "passed" if check.passed else "failed" for _, check in checks]
    assert data["score"] == Decimal(str(report.score))


def test_the_schema_rejects_what_the_specification_does_not_allow(reports: dict[str, Report]) -> None:
    valid = json.loads(render_gradescope(reports["partly_wrong"]))
    for mistake in ({"status": "error"}, {"visibility": "before_due_date"}, {"points": 1}, {"number": 1.1}):
        data = json.loads(json.dumps(valid))
        data["tests"][0].update(mistake)
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(data, SCHEMA)


def test_hidden_checks_are_shown_after_the_due_date_and_public_ones_always(reports: dict[str, Report]) -> None:
    report = reports["partly_wrong"]
    data = results(report)
    visibilities = [check.visibility for test in report.tests for check in test.checks]
    assert {"public", "hidden"} <= set(visibilities)
    assert [test["visibility"] for test in data["tests"]] == [
        "visible" if visibility == "public" else "after_due_date" for visibility in visibilities]
    assert "visibility" not in data  # the submission as a whole keeps Gradescope's default


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_scores_add_up_exactly_by_function_and_in_total(reports: dict[str, Report], name: str) -> None:
    report = reports[name]
    data = results(report)
    for function in report.tests:
        tests = [test for test in data["tests"] if test["tags"][0] == function.name]
        assert sum(test["score"] for test in tests) == Decimal(str(function.score))
        assert sum(test["max_score"] for test in tests) == Decimal(str(function.max_score))
        assert all(test["score"] in (0, test["max_score"]) for test in tests)
    assert sum(test["score"] for test in data["tests"]) == data["score"]
    assert sum(test["max_score"] for test in data["tests"]) == Decimal(str(report.max_score))


def test_points_that_do_not_divide_evenly_still_add_up(reports: dict[str, Report]) -> None:
    """10 points over 3 checks, 2 passed: the report says 6.6667; the shares are 3.3333 and 3.3334, and the
    failed check is worth what remains of the 10."""
    check = model.CheckResult("public", "public", passed=True, message="")
    function = model.TestResult("f", 6.6667, 10.0, model.Status.FAILED, "1 of 3 checks failed.",
                          (check, dataclasses.replace(check, name="hidden-1", passed=False, message="wrong"),
                           dataclasses.replace(check, name="hidden-2")))
    data = results(dataclasses.replace(reports["correct"], tests=(function,), score=6.6667, max_score=10.0))
    assert [(test["score"], test["max_score"]) for test in data["tests"]] == [
        (Decimal("3.3333"), Decimal("3.3333")), (Decimal("0.0"), Decimal("3.3333")),
        (Decimal("3.3334"), Decimal("3.3334"))]


def test_a_failed_check_carries_its_feedback_in_plain_text(reports: dict[str, Report]) -> None:
    report = reports["partly_wrong"]
    data = results(report)
    failed = next(check for test in report.tests for check in test.checks if not check.passed)
    test = next(test for test in data["tests"] if test["status"] == "failed")
    assert failed.message in test["output"]
    assert data["test_output_format"] == data["test_name_format"] == data["output_format"] == "text"


def test_the_top_level_output_states_what_did_not_load_and_never_the_score(reports: dict[str, Report]) -> None:
    assert results(reports["broken"])["output"] == ("Parts of your file could not be loaded (the rest was graded):\n"
                                                    "  SyntaxError at line 139, column 35: unmatched ')'")
    assert "output" not in results(reports["correct"])


def test_output_file_is_written_for_the_gradescope_harness(tmp_path: Path) -> None:
    target = tmp_path / "results" / "results.json"
    target.parent.mkdir()
    command = [sys.executable, "-m", "grader", EXAMPLES / "correct.py", "-a", "rnn_step_by_step",
               "--format", "gradescope", "-o", target]
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    data = json.loads(target.read_text(encoding="utf-8"))
    jsonschema.validate(data, SCHEMA)
    assert data["score"] == 100
    assert [path.name for path in target.parent.iterdir()] == ["results.json"]
