"""``--format junit``: JUnit XML, validated against the Jenkins xUnit plugin's published ``junit-10.xsd``
(``tests/data/junit/``), the dialect the test reports of GitLab, Jenkins and GitHub read."""

from __future__ import annotations

import dataclasses
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import xmlschema

from grader.formats.junit import render_junit
from grader.grading import Grader
from grader.registry import load_assignment
from grader.report import Report, Status
from grader.sandbox.outcome import Limits

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "rnn_step_by_step"
SCHEMA = xmlschema.XMLSchema(ROOT / "tests" / "data" / "junit" / "junit-10.xsd")
EXAMPLE_NAMES = ("correct", "partly_wrong", "broken")


@pytest.fixture(scope="module")
def reports() -> dict[str, Report]:
    """The example submissions' reports, by name (a one-second time limit keeps ``broken``'s loops short)."""
    grader = Grader(load_assignment("rnn_step_by_step"), Limits(call_timeout_s=1.0))
    return {name: grader.grade(EXAMPLES / f"{name}.py") for name in EXAMPLE_NAMES}


def suite_of(report: Report) -> ET.Element:
    """The one ``<testsuite>`` of the report's JUnit XML, which the schema accepts."""
    document = render_junit(report)
    SCHEMA.validate(document)
    root = ET.fromstring(document.encode("utf-8"))
    assert root.tag == "testsuites"
    (suite,) = root
    assert {key: root.get(key) for key in ("tests", "failures", "errors")} == {
        key: suite.get(key) for key in ("tests", "failures", "errors")}
    return suite


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_each_example_is_valid_junit_with_one_testcase_per_check(reports: dict[str, Report], name: str) -> None:
    report = reports[name]
    suite = suite_of(report)
    cases = suite.findall("testcase")
    checks = [(test, check) for test in report.tests for check in test.checks]
    assert [(case.get("classname"), case.get("name")) for case in cases] == [
        (f"rnn_step_by_step.{test.name}", f"{test.name}[{check.name}]") for test, check in checks]
    failed = [test for test, check in checks if not check.passed]
    errors = sum(test.status is Status.ERROR for test in failed)
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == (
        str(len(checks)), str(len(failed) - errors), str(errors))
    assert suite.get("timestamp") == report.started_at
    assert float(suite.get("time", "")) == pytest.approx(report.duration_s, abs=1e-3)


def test_the_schema_rejects_a_suite_without_its_counts(reports: dict[str, Report]) -> None:
    root = ET.fromstring(render_junit(reports["correct"]).encode("utf-8"))
    del root[0].attrib["tests"]
    with pytest.raises(xmlschema.XMLSchemaValidationError):
        SCHEMA.validate(root)


def test_wrong_values_are_failures_carrying_the_feedback(reports: dict[str, Report]) -> None:
    report = reports["partly_wrong"]
    cell_backward = next(test for test in report.tests if test.name == "rnn_cell_backward")
    assert cell_backward.status is Status.FAILED
    case = suite_of(report).find("testcase[@name='rnn_cell_backward[public]']")
    assert case is not None
    (failure,) = case
    assert failure.tag == "failure" and failure.get("type") == "failed"
    assert failure.text == cell_backward.checks[0].message
    assert failure.get("message") == cell_backward.checks[0].message.splitlines()[0]


def test_a_function_that_could_not_run_gives_errors(reports: dict[str, Report]) -> None:
    case = suite_of(reports["broken"]).find("testcase[@name='rnn_cell_backward[hidden-2]']")
    assert case is not None
    (error,) = case
    assert error.tag == "error" and error.get("type") == "error"
    assert error.get("message") == "rnn_cell_backward could not be defined: SyntaxError at line 139, column 35: " \
                                   "unmatched ')'"


def test_passed_checks_have_no_outcome_element(reports: dict[str, Report]) -> None:
    suite = suite_of(reports["correct"])
    assert suite.get("failures") == suite.get("errors") == "0"
    assert all(len(case) == 0 for case in suite.iter("testcase"))


def test_what_did_not_load_is_the_suites_system_err(reports: dict[str, Report]) -> None:
    assert "SyntaxError at line 139" in (suite_of(reports["broken"]).findtext("system-err") or "")
    assert suite_of(reports["correct"]).find("system-err") is None


def test_any_feedback_text_stays_well_formed_and_valid(reports: dict[str, Report]) -> None:
    """Markup, quotes and control characters (an exception message may hold any) survive as text."""
    report = reports["partly_wrong"]
    message = 'got <b>"x" & y</b> ]]> \x1b[31mred\x1b[0m\x00\nsecond line'
    test = next(test for test in report.tests if test.status is Status.FAILED)
    check = dataclasses.replace(test.checks[0], passed=False, message=message)
    test = dataclasses.replace(test, checks=(check,))
    case = suite_of(dataclasses.replace(report, tests=(test,))).find("testcase")
    assert case is not None
    (failure,) = case
    assert failure.text == 'got <b>"x" & y</b> ]]> \\x1b[31mred\\x1b[0m\\x00\nsecond line'
    assert failure.get("message") == 'got <b>"x" & y</b> ]]> \\x1b[31mred\\x1b[0m\\x00'
