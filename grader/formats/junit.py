"""JUnit XML, as the test reports of GitLab, Jenkins and GitHub read it (the dialect of the Jenkins xUnit plugin's
``junit-10.xsd``): one ``<testsuite>`` for the submission, one ``<testcase>`` per check.

A failed check of a function whose checks all ran is a ``<failure>``; one of a function that could not run
(status ``error``: an exception, a time-out, a missing or unfilled function, a file that did not load) is an
``<error>``. Each carries the check's first feedback line as its ``message`` and the whole feedback as its text.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from grader.formats.loading import load_summary
from grader.report import CheckResult, Report, Status, TestResult

_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
"""Characters XML 1.0 cannot hold, even escaped (control characters an exception message may carry)."""


def render_junit(report: Report, color: bool = False) -> str:
    """The report as a JUnit XML document (``<testsuites>`` holding one ``<testsuite>``), indented, ending in a
    newline."""
    suite = _suite(report)
    root = ET.Element("testsuites", {key: suite.attrib[key] for key in ("name", "tests", "failures", "errors", "time")})
    root.append(suite)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def _suite(report: Report) -> ET.Element:
    checks = [(test, check) for test in report.tests for check in test.checks]
    failed = [test.status for test, check in checks if not check.passed]
    errors = failed.count(Status.ERROR)
    suite = ET.Element("testsuite", {
        "name": report.assignment,
        "tests": str(len(checks)),
        "failures": str(len(failed) - errors),
        "errors": str(errors),
        "skipped": "0",
        "time": _seconds(report.duration_s),
        "timestamp": report.started_at,
        "file": _xml_safe(report.submission.path),
    })
    properties = ET.SubElement(suite, "properties")
    for name, value in (("submission", report.submission.path), ("sha256", report.submission.sha256),
                        ("score", f"{report.score:g}"), ("max_score", f"{report.max_score:g}"),
                        ("assignment_version", report.assignment_version),
                        ("grader_version", report.grader_version), ("sandbox", report.sandbox.describe())):
        ET.SubElement(properties, "property", name=name, value=_xml_safe(value))
    for test, check in checks:
        suite.append(_case(report.assignment, test, check))
    problems = load_summary(report)
    if problems:
        ET.SubElement(suite, "system-err").text = _xml_safe("\n".join(problems))
    return suite


def _case(assignment: str, test: TestResult, check: CheckResult) -> ET.Element:
    case = ET.Element("testcase", classname=f"{assignment}.{test.name}", name=f"{test.name}[{check.name}]",
                      time=_seconds(check.duration_s))
    if not check.passed:
        kind = "error" if test.status is Status.ERROR else "failure"
        message = _xml_safe(check.message)
        outcome = ET.SubElement(case, kind, message=message.partition("\n")[0], type=test.status.value)
        outcome.text = message
    return case


def _seconds(value: float) -> str:
    return f"{value:.3f}"


def _xml_safe(text: str) -> str:
    """``text`` with each character XML cannot hold written as a ``\\xNN`` (or ``\\uNNNN``) escape.

    >>> _xml_safe("colour \\x1b[31mred\\x1b[0m, tab\\there")
    'colour \\\\x1b[31mred\\\\x1b[0m, tab\\there'
    """
    return _NOT_XML.sub(lambda found: ascii(found.group())[1:-1], text)
