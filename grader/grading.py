"""Grading one submission: run it in the sandbox on every prepared check, compare, score, explain.

This is the only module that ties the pieces together; each step (reference outputs, sandboxed calls,
comparison, feedback, the report) lives in a module of its own.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from grader import __version__
from grader.assignment import Assignment, GradedFunction, Tolerance, Visibility
from grader.compare import compare, same_values
from grader.feedback import (
    describe_argument_state,
    describe_failing_dependency,
    describe_fault,
    describe_missing,
    describe_unfilled,
)
from grader.feedback_values import MAX_DETAILED, describe_mismatches
from grader.notebook import NotebookError, Script, is_notebook, read_notebook
from grader.reference import PreparedAssignment, PreparedCheck, prepare
from grader.report import CheckResult, LoadProblem, Report, Status, SubmissionInfo, TestResult
from grader.sandbox import forkserver, levels
from grader.sandbox.outcome import CallResult, FaultKind, Isolation, Limits, LoadError, LoadResult, SandboxLevel
from grader.sandbox.worker import Worker
from grader.stubs import FunctionRegions, may_have_unfilled_regions, unfilled_regions

_SCORE_DIGITS = 4
NOT_RUN_AFTER_TIMEOUT = "not run: an earlier check of this function ran out of time"
"""The message of the checks that come after one that timed out: they would time out too."""
MALFORMED_ANSWER = "the process running your code sent back an answer without the arguments after the call"
"""A check's message when the answer of a function with watched arguments does not hold them (only a submission
tampering with the grader's process can cause it)."""
LOAD_FAILED = "your file could not be loaded: "
"""How the feedback of every function starts when the submission's file could not be loaded at all."""
UNREADABLE_NOTEBOOK = "NotebookError"
"""The kind of the load problem of a notebook that cannot be read."""


@dataclass(frozen=True)
class _Submission:
    """What the trusted side knows of a submission without running it."""

    path: Path
    display_path: str
    sha256: str
    script: Script
    """The code to load: the file's text, or a notebook's code cells."""
    regions: dict[str, FunctionRegions]
    unreadable: LoadProblem | None = None
    """Why the file cannot be loaded at all (a notebook that cannot be read); ``script`` is then empty."""


class _SandboxSession:
    """A worker holding the loaded submission (after ``start``), replaced by a fresh one after a fatal fault.
    ``close`` it, whatever happens after it is made."""

    def __init__(self, submission: _Submission, limits: Limits, sandbox: SandboxLevel, preamble: str) -> None:
        self._submission = submission
        self._limits = limits
        self._sandbox = sandbox
        self._preamble = preamble
        self._worker = Worker(limits, sandbox)
        self.load = LoadResult(frozenset())

    def start(self) -> None:
        """Load the submission in the worker; its load errors name notebook cells and lines in them."""
        script = self._submission.script
        load = self._worker.load(self._submission.path, self._preamble, script.cells())
        self.load = replace(load, errors=tuple(_located(error, script) for error in load.errors))

    def run(self, function: str, checks: Sequence[PreparedCheck]) -> list[CallResult]:
        """One result per check, or fewer: they stop at a time-out, as the checks after it would time out too.
        After any other fatal fault, the next checks run in a fresh worker."""
        results: list[CallResult] = []
        while len(results) < len(checks):
            if not self._worker.alive:
                self._worker.close()
                self._worker = Worker(self._limits, self._sandbox)
                self.start()
                if self.load.fault is not None:
                    fault = self.load.fault
                    return results + [CallResult(None, fault, 0.0) for _ in checks[len(results):]]
            rest = checks[len(results):]
            results += self._worker.call_many(function, [check.arguments for check in rest],
                                              [check.accept for check in rest])
            last = results[-1].fault
            if last is not None and last.kind is FaultKind.TIMEOUT:
                break
        return results

    def close(self) -> None:
        self._worker.close()


class Grader:
    """Grades submissions against one assignment; fixtures and reference outputs are built once, here.

    ``assignment`` is either declared, its checks then prepared here from its solution (``AssignmentError``
    when it is broken), or already prepared, with no solution needed (``public_checks.load`` gives the public
    checks a student has). ``sandbox`` is the level to run submissions at (``"strict"``, ``"basic"``), or
    ``"auto"`` for the best this kernel offers (see ``levels.resolve``: requiring strict where it is missing
    raises ``levels.SandboxUnavailable``). ``limits.cpu_time_s`` is raised, if need be, to cover loading and every
    check at its time limit. With ``prestart``, a fork server for the submissions boots in the background while
    the reference outputs are computed (for one submission; a batch's processes start their own).
    """

    def __init__(
        self,
        assignment: Assignment | PreparedAssignment,
        limits: Limits = Limits(),
        sandbox: SandboxLevel | str = "auto",
        prestart: bool = False,
    ) -> None:
        self.isolation: Isolation = levels.isolation(levels.resolve(sandbox))
        """The confinement every submission runs under."""
        if prestart and self.isolation.level is not SandboxLevel.PORTABLE:
            forkserver.prestart(namespaces=self.isolation.own_pid_namespace)
        prepared = assignment if isinstance(assignment, PreparedAssignment) else prepare(assignment)
        self.assignment = prepared.assignment
        self._checks = prepared.checks
        self._stub_source = prepared.stub_source
        self._preamble = prepared.preamble
        calls = sum(len(checks) for checks in self._checks.values())
        cpu_time_s = max(limits.cpu_time_s, limits.load_timeout_s + calls * limits.call_timeout_s)
        self.limits = replace(limits, cpu_time_s=cpu_time_s)

    def grade(self, submission: Path, display_path: str | None = None) -> Report:
        """Grade the file at ``submission``, a Python file or a Jupyter notebook (``.ipynb``); ``display_path`` is
        how the report names it.

        Whatever the submission does, this returns a complete report: its faults are results, not errors, and so
        is a notebook that cannot be read. Raises ``OSError`` only when the file cannot be read.
        """
        started_at = datetime.now(timezone.utc)
        clock = time.perf_counter()
        info = self._inspect(submission, display_path or str(submission))
        if info.unreadable is None:
            results, problems = self._grade_loaded(info)
        else:
            results = [_not_run(graded, self._checks[graded.name], LOAD_FAILED + info.unreadable.message)
                       for graded in self.assignment.functions]
            problems = (info.unreadable,)
        score = round(sum(result.score for result in results), _SCORE_DIGITS)
        return Report(
            assignment=self.assignment.name,
            assignment_version=self.assignment.version,
            submission=SubmissionInfo(path=info.display_path, sha256=info.sha256),
            grader_version=__version__,
            score=score,
            max_score=self.assignment.max_score,
            started_at=started_at.isoformat(timespec="seconds"),
            duration_s=round(time.perf_counter() - clock, 3),
            sandbox=self.isolation,
            tests=tuple(results),
            load_problems=problems,
        )

    def _grade_loaded(self, info: _Submission) -> tuple[list[TestResult], tuple[LoadProblem, ...]]:
        """Each graded function's result, and the parts of the submission that failed to load."""
        session = _SandboxSession(info, self.limits, self.isolation.level, self._preamble)
        try:
            session.start()
            results = [self._grade_function(session, graded, info) for graded in self.assignment.functions]
        finally:
            session.close()
        results = _add_dependency_notes(self.assignment.functions, results)
        problems = tuple(LoadProblem(error.kind, error.message, error.line, error.column, error.cell)
                         for error in session.load.errors)
        return results, problems

    def _inspect(self, submission: Path, display_path: str) -> _Submission:
        data = submission.read_bytes()
        sha256 = hashlib.sha256(data).hexdigest()
        if is_notebook(submission):
            try:
                script = read_notebook(data)
            except NotebookError as error:
                unreadable = LoadProblem(UNREADABLE_NOTEBOOK, f"cannot read the notebook: {error}", None, None)
                return _Submission(submission, display_path, sha256, Script(""), {}, unreadable)
        else:
            script = Script(data.decode("utf-8", errors="replace"))
        source = script.text
        regions = (unfilled_regions(source, self._stub_source)
                   if may_have_unfilled_regions(source, self._stub_source) else {})
        return _Submission(submission, display_path, sha256, script, regions)

    def _grade_function(self, session: _SandboxSession, graded: GradedFunction, info: _Submission) -> TestResult:
        checks = self._checks[graded.name]
        load = session.load
        if load.fault is not None:
            reason = LOAD_FAILED + describe_fault(load.fault, info.script)
            return _not_run(graded, checks, reason)
        if graded.name not in load.functions:
            return _not_run(graded, checks, describe_missing(graded.name, load.functions, load.errors))
        regions = info.regions.get(graded.name)
        if regions is not None and regions.total and len(regions.unfilled) == regions.total:
            reason = describe_unfilled(graded.name, regions.unfilled, regions.total, info.script)
            return _not_run(graded, checks, reason)
        results = self._run_checks(session, graded, checks, info)
        notes = []
        if regions is not None and regions.unfilled:
            notes.append(describe_unfilled(graded.name, regions.unfilled, regions.total, info.script))
        return _score(graded, results, notes)

    def _run_checks(
        self, session: _SandboxSession, graded: GradedFunction, checks: Sequence[PreparedCheck], info: _Submission
    ) -> list[tuple[CheckResult, bool]]:
        """Each check's result, paired with whether it ended in a fault rather than wrong values."""
        results: list[tuple[CheckResult, bool]] = []
        outcomes = session.run(graded.name, checks)
        for check, outcome in zip(checks[: len(outcomes)], outcomes, strict=True):
            if outcome.fault is not None:
                message = describe_fault(outcome.fault, info.script)
                results.append((_check_result(check, message, outcome.duration_s), True))
                continue
            if outcome.matched:
                results.append((_check_result(check, "", outcome.duration_s), False))
                continue
            message = self._judge(graded, check, outcome.value)
            results.append((_check_result(check, message, outcome.duration_s), False))
        results.extend((_check_result(rest, NOT_RUN_AFTER_TIMEOUT), True) for rest in checks[len(outcomes):])
        return results

    def _judge(self, graded: GradedFunction, check: PreparedCheck, value: Any) -> str:
        """What is wrong with ``value``, a call's result (and its watched arguments after it), or ``""``."""
        def tolerance_for(path: str) -> Tolerance:
            return graded.tolerance_for(path, self.assignment.default_tolerance)

        reveal = check.fixture.visibility is Visibility.PUBLIC
        result = value
        after_state: tuple[Any, ...] = ()
        if graded.watched:
            if not (type(value) is tuple and len(value) == 2 and type(value[1]) is tuple
                    and len(value[1]) == len(graded.watched)):
                return MALFORMED_ANSWER
            result, after_state = value
        parts = []
        mismatches = compare(check.expected, result, outputs=graded.outputs, tolerance_for=tolerance_for,
                             detailed=MAX_DETAILED)
        if mismatches:
            parts.append(describe_mismatches(mismatches, reveal_values=reveal))
        for name, expected, got in zip(graded.watched, check.expected_after, after_state, strict=True):
            if parts and name in graded.updates_in_place and same_values(got, result):
                continue  # the argument updated is what the function returns: its mistakes are described above
            mismatches = compare(expected, got, outputs=name, tolerance_for=tolerance_for, detailed=MAX_DETAILED)
            if mismatches:
                parts += [describe_argument_state(name, must_update=name in graded.updates_in_place),
                          describe_mismatches(mismatches, reveal_values=reveal)]
        return "\n".join(parts)


def _located(error: LoadError, script: Script) -> LoadError:
    """``error`` with its line as a line of its notebook cell, and the cell; unchanged for a Python file."""
    if error.line is None or not script.is_notebook:
        return error
    cell, line = script.locate(error.line)
    return replace(error, line=line, cell=cell)


def _check_result(check: PreparedCheck, message: str, duration_s: float = 0.0) -> CheckResult:
    fixture = check.fixture
    return CheckResult(
        name=fixture.name,
        visibility=fixture.visibility.value,
        passed=not message,
        message=message,
        description=fixture.description,
        duration_s=round(duration_s, 4),
    )


def _not_run(graded: GradedFunction, checks: Sequence[PreparedCheck], reason: str) -> TestResult:
    """A function none of whose checks could run: every check carries the reason."""
    return TestResult(
        name=graded.name,
        score=0.0,
        max_score=float(graded.points),
        status=Status.ERROR,
        feedback=reason,
        checks=tuple(_check_result(check, reason) for check in checks),
    )


def _score(graded: GradedFunction, results: list[tuple[CheckResult, bool]], notes: list[str]) -> TestResult:
    """Points split evenly over the checks; the feedback leads with the most telling failure."""
    checks = tuple(result for result, _ in results)
    passed = sum(check.passed for check in checks)
    score = round(graded.points * passed / len(checks), _SCORE_DIGITS) if checks else 0.0
    if passed == len(checks):
        status = Status.PASSED
    elif any(faulted for _, faulted in results):
        status = Status.ERROR
    else:
        status = Status.FAILED
    return TestResult(
        name=graded.name,
        score=score,
        max_score=float(graded.points),
        status=status,
        feedback="\n".join(notes + ([_summarize_failures(checks)] if passed < len(checks) else [])),
        checks=checks,
    )


def _summarize_failures(checks: Sequence[CheckResult]) -> str:
    """How many checks failed, the first failure in full (a public one if any), the names of the other checks
    that failed, and of those not run after a time-out."""
    failed = [check for check in checks if not check.passed and check.message != NOT_RUN_AFTER_TIMEOUT]
    not_run = [check.name for check in checks if check.message == NOT_RUN_AFTER_TIMEOUT]
    first = next((check for check in failed if check.visibility == Visibility.PUBLIC.value), failed[0])
    label = f"{first.name} check" + (f" ({first.description})" if first.description else "")
    lines = [f"{len(failed) + len(not_run)} of {len(checks)} checks failed. In the {label}:", _indent(first.message)]
    others = [check.name for check in failed if check is not first]
    if others:
        same = all(check.message == first.message for check in failed)
        lines.append(("The same happens in: " if same else "Also failing: ") + ", ".join(others))
    if not_run:
        lines.append("Not run after the time-out: " + ", ".join(not_run))
    return "\n".join(lines)


def _indent(text: str) -> str:
    return "\n".join("  " + line for line in text.splitlines())


def _add_dependency_notes(functions: Sequence[GradedFunction], results: list[TestResult]) -> list[TestResult]:
    """Prefix the feedback of each failing function that calls a failing graded function."""
    status = {result.name: result.status for result in results}
    noted = []
    for graded, result in zip(functions, results, strict=True):
        notes = [
            describe_failing_dependency(graded.name, dependency)
            for dependency in graded.calls
            if result.status is not Status.PASSED and status.get(dependency, Status.PASSED) is not Status.PASSED
        ]
        if notes:
            result = replace(result, feedback="\n".join(notes + [result.feedback]))
        noted.append(result)
    return noted

