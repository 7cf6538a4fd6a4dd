"""GitHub Actions: workflow commands on standard output, and a Markdown job summary.

The commands annotate the submission: an ``::error`` per function that did not pass, on the line of its ``def``
(found in the file's text, which is never run or compiled here), an ``::error`` per top-level part of the file
that failed to load, and a ``::notice`` with the score. They are escaped as the Actions toolkit escapes them
(``packages/core/src/command.ts`` of actions/toolkit): ``%``, CR and LF in the message, and ``:`` and ``,`` too
in property values. The summary (a table of the functions, then the feedback of those that did not pass) is
appended to the file ``$GITHUB_STEP_SUMMARY`` names, where GitHub shows it on the run's page.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Mapping
from pathlib import Path

from grader.class_csv import format_points
from grader.formats.loading import load_summary
from grader.report import Report, Status

STEP_SUMMARY = "GITHUB_STEP_SUMMARY"
"""The environment variable naming the file a step appends its Markdown summary to."""
_STATUS = {Status.PASSED: "✅ passed", Status.FAILED: "❌ failed", Status.ERROR: "⚠️ error"}
_LINE_NUMBERED = (".py",)
"""The suffixes of submissions whose line numbers are lines of the file itself (a notebook's are lines of a
cell)."""


def render_github(report: Report, color: bool = False) -> str:
    """The workflow commands annotating ``report``'s submission, one per line."""
    path = report.submission.path
    lines = _def_lines(report)
    commands = []
    for problem in report.load_problems:
        where = {"line": problem.line, "col": problem.column} if _lines_are_the_files(path) else {}
        commands.append(workflow_command("error", {"file": path, **where, "title": f"{problem.kind}: not loaded"},
                                         problem.message))
    for test in report.tests:
        if test.status is not Status.PASSED:
            title = f"{test.name}: {format_points(test.score)} / {format_points(test.max_score)} points"
            commands.append(workflow_command("error", {"file": path, "line": lines.get(test.name), "title": title},
                                             test.feedback))
    score = f"Score: {format_points(report.score)} / {format_points(report.max_score)}"
    commands.append(workflow_command("notice", {"title": report.assignment}, score))
    return "".join(command + "\n" for command in commands)


def workflow_command(name: str, properties: Mapping[str, object], message: str) -> str:
    """``::name key=value,...::message``, leaving out the properties that are None, empty or 0, as the toolkit
    does (it skips JavaScript's false values).

    >>> workflow_command("error", {"file": "a,b.py", "line": 3, "col": None, "title": "f: 0%"}, "50%\\nwrong")
    '::error file=a%2Cb.py,line=3,title=f%3A 0%25::50%25%0Awrong'
    """
    pairs = ",".join(f"{key}={_escape_property(str(value))}" for key, value in properties.items()
                     if value not in (None, "", 0))
    return f"::{name}{' ' + pairs if pairs else ''}::{_escape_data(message)}"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _def_lines(report: Report) -> dict[str, int]:
    """The line of the ``def`` of each graded function in the submission's file, read again here: the last
    top-level one (the definition Python keeps). Empty when the file is not a ``.py`` file, cannot be read, or is
    no longer the content graded."""
    path = Path(report.submission.path)
    try:
        data = path.read_bytes() if _lines_are_the_files(report.submission.path) else b""
    except OSError:
        return {}
    if hashlib.sha256(data).hexdigest() != report.submission.sha256:
        return {}
    names = "|".join(re.escape(test.name) for test in report.tests)
    definition = re.compile(rf"(?:async\s+)?def\s+({names})\s*\(")
    lines = {}
    for number, line in enumerate(data.decode("utf-8", errors="replace").splitlines(), start=1):
        found = definition.match(line)
        if found:
            lines[found.group(1)] = number
    return lines


def _lines_are_the_files(path: str) -> bool:
    return Path(path).suffix in _LINE_NUMBERED


def render_step_summary(report: Report) -> str:
    """The job summary in Markdown: the score, a table of the functions with their points and status, what did
    not load, and the feedback of each function that did not pass."""
    lines = [f"### {report.assignment}: {format_points(report.score)} / {format_points(report.max_score)} points", "",
             f"Submission: {_code_span(report.submission.path)}", "",
             "| Function | Points | Status |", "| --- | ---: | --- |"]
    lines += [f"| {_code_span(test.name)} | {format_points(test.score)} / {format_points(test.max_score)} "
              f"| {_STATUS[test.status]} |" for test in report.tests]
    problems = load_summary(report)
    if problems:
        lines += ["", _fenced("\n".join(problems))]
    for test in report.tests:
        if test.status is not Status.PASSED:
            lines += ["", f"#### {_code_span(test.name)}", "", _fenced(test.feedback)]
    return "\n".join(lines) + "\n\n"


def append_step_summary(report: Report, environ: Mapping[str, str] = os.environ) -> Path | None:
    """Append the job summary to the file ``$GITHUB_STEP_SUMMARY`` names, in one write, and return its path;
    None, writing nothing, when the variable is not set. Raises ``OSError`` when the file cannot be written."""
    target = environ.get(STEP_SUMMARY)
    if not target:
        return None
    with open(target, "a", encoding="utf-8") as summary:
        summary.write(render_step_summary(report))
    return Path(target)


def _code_span(text: str) -> str:
    """``text`` as a Markdown code span, whatever backticks it holds.

    >>> _code_span("rnn_forward"), _code_span("a`b.py")
    ('`rnn_forward`', '`` a`b.py ``')
    """
    fence = "`" * (_longest_run(text, "`") + 1)
    padding = " " if "`" in text else ""
    return f"{fence}{padding}{text}{padding}{fence}"


def _fenced(text: str) -> str:
    """``text`` as a fenced code block, its fence longer than any run of backticks in it."""
    fence = "`" * max(3, _longest_run(text, "`") + 1)
    return f"{fence}text\n{text}\n{fence}"


def _longest_run(text: str, character: str) -> int:
    return max((len(run) for run in re.findall(f"{re.escape(character)}+", text)), default=0)
