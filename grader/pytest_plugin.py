"""A pytest plugin: ``pytest --grade-submission FILE --grade-assignment NAME`` makes each check of the assignment
a test item, so that pytest's reports (``--junitxml``, ``--json-report``, ``-k``, ``--collect-only``) work on a
submission.

The items are graded by ``grader.grading.Grader``, the engine and sandbox of ``grade``: the submission is graded
once, when the first item runs, and each item passes or fails as its check did in that report. Without the two
options the plugin does nothing: it adds its options and imports nothing of the grader.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from _pytest._code.code import TerminalRepr, TracebackStyle

    from grader.assignment import Assignment
    from grader.report import CheckResult, Report, TestResult

PLUGIN_NAME = "numpy-grader-run"
"""The name the grading run is registered under when both options are given."""


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("numpy-grader", "numpy-grader: grade a submission, each check of the assignment a test")
    group.addoption("--grade-submission", metavar="FILE", help="The student file to grade; needs --grade-assignment.")
    group.addoption("--grade-assignment", metavar="NAME",
                    help="The assignment to grade it against (grade --list shows them); needs --grade-submission.")
    group.addoption("--grade-sandbox", choices=("auto", "strict", "basic", "portable"), default="auto",
                    help="strict: Landlock, seccomp and namespaces; basic: a separate process with limits; auto "
                    "(default): strict where available, else basic with a warning.")
    group.addoption("--grade-timeout", metavar="SECONDS", type=float, default=None,
                    help="Seconds one call of a student function may take (default: as for grade).")


def pytest_configure(config: pytest.Config) -> None:
    """With both options, register the grading run; with one only, or a bad value, a usage error."""
    submission: str | None = config.getoption("grade_submission")
    assignment_name: str | None = config.getoption("grade_assignment")
    if submission is None and assignment_name is None:
        return
    if submission is None or assignment_name is None:
        missing = "--grade-submission FILE" if submission is None else "--grade-assignment NAME"
        raise pytest.UsageError(f"--grade-submission and --grade-assignment go together: missing {missing}")
    config.pluginmanager.register(GradingRun(_settings(config, submission, assignment_name)), PLUGIN_NAME)


@dataclass(frozen=True)
class _Settings:
    """What to grade, and how, from the command line."""

    submission: Path
    """Absolute."""
    display_path: str
    """The submission's path as given."""
    assignment: Assignment
    sandbox: str
    timeout_s: float | None


def _settings(config: pytest.Config, submission: str, assignment_name: str) -> _Settings:
    from grader.registry import UnknownAssignment, load_assignment

    try:
        assignment = load_assignment(assignment_name)
    except UnknownAssignment as error:
        raise pytest.UsageError(f"--grade-assignment: {error}") from error
    path = _absolute(config, submission)
    if not path.is_file():
        raise pytest.UsageError(f"--grade-submission: {submission} is not a file")
    if any(_absolute(config, argument.split("::")[0]) == path for argument in config.args):
        raise pytest.UsageError(f"--grade-submission: {submission} is also a test path: its code runs only in the "
                                "sandbox (leave it out of the test paths)")
    timeout_s: float | None = config.getoption("grade_timeout")
    if timeout_s is not None and not timeout_s > 0:
        raise pytest.UsageError(f"--grade-timeout: give a number of seconds above 0, not {timeout_s:g}")
    return _Settings(path, submission, assignment, config.getoption("grade_sandbox"), timeout_s)


def _absolute(config: pytest.Config, path: str) -> Path:
    """``path``, given on the command line, as an absolute path."""
    return Path(os.path.abspath(config.invocation_params.dir / path))


class GradingRun:
    """The grading of one submission in a pytest session: its collector, and its report once graded."""

    def __init__(self, settings: _Settings) -> None:
        self.settings = settings
        self._report: Report | None = None
        self._results: dict[tuple[str, str], tuple[TestResult, CheckResult]] = {}

    @pytest.hookimpl(wrapper=True)
    def pytest_make_collect_report(self, collector: pytest.Collector) -> Generator[None, pytest.CollectReport,
                                                                                    pytest.CollectReport]:
        """Add the submission's collector beside whatever the session collects from its arguments."""
        report = yield
        if isinstance(collector, pytest.Session) and report.passed:
            path = _node_path(self.settings, collector.config.rootpath)
            report.result.append(
                SubmissionFile.from_parent(collector, path=self.settings.submission, name=path, nodeid=path, run=self))
        return report

    def pytest_ignore_collect(self, collection_path: Path) -> bool | None:
        """Never collect the submission as a test module: its code runs only in the sandbox."""
        return True if collection_path == self.settings.submission else None

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        """Once graded: the score, and the sandbox the submission ran in."""
        if self._report is None:
            return
        report = self._report
        terminalreporter.write_sep("-", "numpy-grader")
        terminalreporter.write_line(f"{report.assignment}: {report.submission.path}: "
                                    f"score {report.score:g} / {report.max_score:g}")
        terminalreporter.write_line(f"sandbox: {report.sandbox.describe()}")

    def result(self, function: str, check: str) -> tuple[TestResult, CheckResult]:
        """The result of one check and of its function; the submission is graded on the first call."""
        if self._report is None:
            self._report = self._grade()
            self._results = {(test.name, result.name): (test, result)
                             for test in self._report.tests for result in test.checks}
        return self._results[function, check]

    def _grade(self) -> Report:
        """Grade the submission as ``grade`` does; end the session with one line when the grader cannot."""
        from grader import setup_problems
        from grader.grading import Grader
        from grader.sandbox.outcome import Limits

        settings = self.settings
        limits = Limits() if settings.timeout_s is None else Limits(call_timeout_s=settings.timeout_s)
        try:
            grader = Grader(settings.assignment, limits, settings.sandbox, prestart=True)
            warning = setup_problems.fallback_warning(grader, settings.sandbox)
            if warning is not None:
                warnings.warn(pytest.PytestWarning(f"numpy-grader: {warning}"), stacklevel=1)
            return grader.grade(settings.submission, settings.display_path)
        except setup_problems.SETUP_ERRORS as error:
            reason = setup_problems.describe(error, settings.assignment.name)
        except OSError as error:
            reason = f"cannot read {error.filename or settings.display_path}: {error.strerror or error}"
        pytest.exit(f"numpy-grader: {reason}", returncode=setup_problems.EXIT_BROKEN_SETUP)


def _node_path(settings: _Settings, rootpath: Path) -> str:
    """How node ids name the submission: relative to pytest's root folder when inside it (as pytest names test
    files), else as given."""
    try:
        return settings.submission.relative_to(rootpath).as_posix()
    except ValueError:
        return Path(settings.display_path).as_posix()


class SubmissionFile(pytest.File):
    """The submission: one item per check of each graded function, named ``function[check]``."""

    def __init__(self, *, run: GradingRun, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.run = run

    def collect(self) -> Iterator[CheckItem]:
        for graded in self.run.settings.assignment.functions:
            for fixture in graded.fixtures:
                points = round(graded.points / len(graded.fixtures), 4)
                item = CheckItem.from_parent(self, name=f"{graded.name}[{fixture.name}]", run=self.run,
                                             function_name=graded.name, check_name=fixture.name)
                item.user_properties += [("points", points), ("visibility", fixture.visibility.value)]
                yield item


class CheckFailed(Exception):
    """A check the submission failed; its argument is the grader's feedback."""


class CheckItem(pytest.Item):
    """One check of one graded function: passes or fails as the grader's report says."""

    def __init__(self, *, run: GradingRun, function_name: str, check_name: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.run = run
        self.function_name = function_name
        self.check_name = check_name

    def runtest(self) -> None:
        test, result = self.run.result(self.function_name, self.check_name)
        if not result.passed:
            raise CheckFailed(_failure_text(test, result))

    def repr_failure(
        self, excinfo: pytest.ExceptionInfo[BaseException], style: TracebackStyle | None = None
    ) -> str | TerminalRepr:
        if isinstance(excinfo.value, CheckFailed):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style)

    def reportinfo(self) -> tuple[Path, None, str]:
        return self.path, None, self.name


def _failure_text(test: TestResult, result: CheckResult) -> str:
    """The check's message (its first line is what pytest's short summary shows), which check it is, then its
    function's feedback when that says more."""
    about = f" ({result.description})" if result.description else ""
    lines = [result.message, f"{result.visibility} check{about} of {test.name}"]
    if test.feedback and test.feedback != result.message:
        lines += [f"feedback on {test.name} ({test.score:g} / {test.max_score:g} points):", _indent(test.feedback)]
    return "\n".join(lines)


def _indent(text: str) -> str:
    return "\n".join("  " + line for line in text.splitlines())
