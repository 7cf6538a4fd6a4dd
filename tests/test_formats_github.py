"""``--format github``: workflow commands read back by a port of the Actions runner's own parser, and the job
summary read by a CommonMark parser with GitHub's table extension."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from markdown_it import MarkdownIt
from markdown_it.token import Token

from grader.formats.github import append_step_summary, render_github, render_step_summary, workflow_command
from grader.grading import Grader
from grader.registry import load_assignment
from grader.report import Report, Status
from grader.sandbox.outcome import Limits

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "rnn_step_by_step"
MISSING_FUNCTION = ROOT / "tests" / "submissions" / "rnn_step_by_step" / "faults" / "lstm_backward__missing.py"
SUBMISSIONS = {"correct": EXAMPLES / "correct.py", "partly_wrong": EXAMPLES / "partly_wrong.py",
               "broken": EXAMPLES / "broken.py", "missing_function": MISSING_FUNCTION}


@pytest.fixture(scope="module")
def reports() -> dict[str, Report]:
    """The reports of the examples and of a file without ``lstm_backward``, by name (a one-second time limit
    keeps ``broken``'s loops short)."""
    grader = Grader(load_assignment("rnn_step_by_step"), Limits(call_timeout_s=1.0))
    return {name: grader.grade(path) for name, path in SUBMISSIONS.items()}


@dataclass
class ActionCommand:
    command: str
    properties: dict[str, str] = field(default_factory=dict)
    data: str = ""


RUNNER_COMMANDS = frozenset({"error", "warning", "notice", "debug", "group", "endgroup", "add-mask", "echo",
                             "stop-commands", "add-matcher", "remove-matcher", "set-output", "save-state"})
"""Commands the runner registers (its command extensions in ActionCommandManager.cs)."""
_UNESCAPE_DATA = (("%0D", "\r"), ("%0A", "\n"), ("%25", "%"))
_UNESCAPE_PROPERTY = (("%0D", "\r"), ("%0A", "\n"), ("%3A", ":"), ("%2C", ","), ("%25", "%"))


def parse_command(line: str) -> ActionCommand | None:
    """The workflow command on one line of a step's output, or None: a port of ``ActionCommand.TryParseV2`` of
    actions/runner (``src/Runner.Common/ActionCommand.cs``), with its ``UnescapeProperty`` and ``UnescapeData``
    replacement tables applied in their order. ``ActionCommandManager.TryProcessCommand``
    (``src/Runner.Worker/ActionCommandManager.cs``) hands it each line; command names are matched ignoring case,
    and so are property names (its dictionary is ``OrdinalIgnoreCase``: here they are kept lower-cased)."""
    message = line.lstrip()
    if not message.startswith("::"):
        return None
    end = message.find("::", 2)
    if end < 0:
        return None
    info = message[2:end]
    space = info.find(" ")
    name = info if space < 0 else info[:space]
    if name.lower() not in RUNNER_COMMANDS:
        return None
    command = ActionCommand(name)
    if space > 0:
        for text in info[space + 1:].strip().split(","):
            pair = [part for part in text.split("=", 1) if part]  # Split('=', count: 2, RemoveEmptyEntries)
            if len(pair) == 2:
                command.properties[pair[0].lower()] = _unescape(pair[1], _UNESCAPE_PROPERTY)
    command.data = _unescape(message[end + 2:], _UNESCAPE_DATA)
    return command


def _unescape(text: str, table: tuple[tuple[str, str], ...]) -> str:
    for escaped, character in table:
        text = text.replace(escaped, character)
    return text


def commands_of(report: Report) -> list[ActionCommand]:
    """The commands ``render_github`` prints: every line of its output is one."""
    commands = [parse_command(line) for line in render_github(report).splitlines()]
    assert None not in commands
    return [command for command in commands if command is not None]


def def_line(path: Path, function: str) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(number for number, line in enumerate(lines, start=1) if line.startswith(f"def {function}("))


def test_each_function_that_did_not_pass_is_an_error_on_its_def_line(reports: dict[str, Report]) -> None:
    report = reports["partly_wrong"]
    errors = [command for command in commands_of(report) if command.command == "error"]
    failing = [test for test in report.tests if test.status is not Status.PASSED]
    assert {test.status for test in failing} == {Status.FAILED, Status.ERROR}
    assert [error.properties for error in errors] == [
        {"file": report.submission.path, "line": str(def_line(SUBMISSIONS["partly_wrong"], test.name)),
         "title": f"{test.name}: {test.score:g} / {test.max_score:g} points"} for test in failing]
    assert [error.data for error in errors] == [test.feedback for test in failing]


def test_the_score_is_a_notice(reports: dict[str, Report]) -> None:
    *_, notice = commands_of(reports["partly_wrong"])
    assert (notice.command, notice.properties, notice.data) == (
        "notice", {"title": "rnn_step_by_step"}, "Score: 33 / 100")
    assert [command.command for command in commands_of(reports["correct"])] == ["notice"]


def test_what_did_not_load_is_an_error_where_python_stopped(reports: dict[str, Report]) -> None:
    report = reports["broken"]
    commands = commands_of(report)
    assert (commands[0].properties, commands[0].data) == (
        {"file": report.submission.path, "line": "139", "col": "35", "title": "SyntaxError: not loaded"},
        "unmatched ')'")
    undefined = next(command for command in commands if command.properties.get("title", "").startswith(
        "rnn_cell_backward:"))
    assert undefined.properties["line"] == str(def_line(SUBMISSIONS["broken"], "rnn_cell_backward"))


def test_no_line_when_the_function_is_not_in_the_file(reports: dict[str, Report]) -> None:
    (error,) = [command for command in commands_of(reports["missing_function"]) if command.command == "error"]
    assert error.properties == {"file": reports["missing_function"].submission.path,
                                "title": "lstm_backward: 0 / 15 points"}


def test_no_lines_when_the_file_is_not_what_was_graded(reports: dict[str, Report]) -> None:
    report = reports["broken"]
    changed = dataclasses.replace(report, submission=dataclasses.replace(report.submission, sha256="0" * 64))
    assert all("line" not in command.properties or command.properties["title"].endswith("not loaded")
               for command in commands_of(changed))
    notebook = dataclasses.replace(report, submission=dataclasses.replace(report.submission, path="broken.ipynb"))
    assert all("line" not in command.properties for command in commands_of(notebook))


def test_escaping_round_trips_through_the_runners_parser() -> None:
    properties = {"file": "class, 2024/o'neil: 100%.py", "line": "7", "title": "m::f: 1,5 / 2 %0A points"}
    message = "50% wrong:\r\nexpected a, b\n%0A stays literal :: even here"
    parsed = parse_command(workflow_command("error", properties, message))
    assert parsed == ActionCommand("error", properties, message)


def markdown_tokens(text: str) -> list[Token]:
    return MarkdownIt("commonmark").enable("table").parse(text)


def table_rows(tokens: list[Token]) -> list[list[str]]:
    """The text of each cell of each body row of the one table in ``tokens``."""
    assert [token.type for token in tokens].count("table_open") == 1
    types = [token.type for token in tokens]
    body = tokens[types.index("tbody_open"):types.index("tbody_close")]
    rows: list[list[str]] = []
    for token in body:
        if token.type == "tr_open":
            rows.append([])
        elif token.type == "inline" and rows:
            rows[-1].append(token.content)
    return rows


def test_the_job_summary_has_a_table_row_per_function(reports: dict[str, Report]) -> None:
    report = reports["partly_wrong"]
    rows = table_rows(markdown_tokens(render_step_summary(report)))
    assert rows == [[f"`{test.name}`", f"{test.score:g} / {test.max_score:g}",
                     {"passed": "✅ passed", "failed": "❌ failed", "error": "⚠️ error"}[test.status.value]]
                    for test in report.tests]


def test_the_job_summary_quotes_feedback_verbatim_whatever_it_holds(reports: dict[str, Report]) -> None:
    report = reports["partly_wrong"]
    feedback = "a | b\n```\n# not a heading\n<b>not bold</b>"
    tests = tuple(dataclasses.replace(test, feedback=feedback) if test.status is Status.FAILED else test
                  for test in report.tests)
    tokens = markdown_tokens(render_step_summary(dataclasses.replace(report, tests=tests)))
    fences = [token.content for token in tokens if token.type == "fence"]
    assert fences == [feedback + "\n" if test.status is Status.FAILED else test.feedback + "\n"
                      for test in tests if test.status is not Status.PASSED]
    assert len(table_rows(tokens)) == len(tests)


def test_the_job_summary_is_appended_only_where_github_asks(reports: dict[str, Report], tmp_path: Path) -> None:
    assert append_step_summary(reports["correct"], environ={}) is None
    summary = tmp_path / "summary.md"
    summary.write_text("# An earlier step\n", encoding="utf-8")
    assert append_step_summary(reports["correct"], environ={"GITHUB_STEP_SUMMARY": str(summary)}) == summary
    assert summary.read_text(encoding="utf-8") == "# An earlier step\n" + render_step_summary(reports["correct"])


def grade_for_github(submission: Path, summary: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "grader", submission, "-a", "rnn_step_by_step", "--format", "github"]
    return subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=120,
                          env={**os.environ, "GITHUB_STEP_SUMMARY": str(summary)})


def test_the_command_annotates_and_summarises_with_an_unchanged_exit_status(tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    done = grade_for_github(EXAMPLES / "partly_wrong.py", summary)
    assert done.returncode == 0, done.stderr
    commands = [parse_command(line) for line in done.stdout.splitlines()]
    assert [command.command for command in commands if command] == ["error"] * 5 + ["notice"]
    assert len(table_rows(markdown_tokens(summary.read_text(encoding="utf-8")))) == 8


def test_a_summary_that_cannot_be_written_is_a_warning(tmp_path: Path) -> None:
    done = grade_for_github(EXAMPLES / "correct.py", tmp_path / "no_such_folder" / "summary.md")
    assert done.returncode == 0
    assert done.stderr.startswith("grade: warning: cannot append the job summary to $GITHUB_STEP_SUMMARY")
    assert done.stdout.endswith("::Score: 100 / 100\n")
