"""Problems of the grading setup rather than of a submission, in the words every front end (``grade``, the pytest
plugin) reports them: a broken assignment, a sandbox that cannot start or is missing, an unusable gradebook."""

from __future__ import annotations

from grader.gradebook import GradebookError
from grader.grading import Grader
from grader.reference import AssignmentError
from grader.sandbox import levels
from grader.sandbox.outcome import SandboxLevel
from grader.sandbox.worker import WorkerStartError

EXIT_BROKEN_SETUP = 3
"""The exit status of a front end stopped by a setup problem."""

SETUP_ERRORS = (levels.SandboxUnavailable, AssignmentError, WorkerStartError, GradebookError)
"""The exceptions that are setup problems (see ``describe``)."""


def describe(error: Exception, assignment_name: str) -> str:
    """One line saying what ``error``, one of ``SETUP_ERRORS``, means for grading ``assignment_name``."""
    if isinstance(error, AssignmentError):
        return f"the assignment {assignment_name!r} is broken: {error}"
    if isinstance(error, WorkerStartError):
        return f"cannot start the sandbox: {error}"
    return str(error)


def fallback_warning(grader: Grader, requested: str) -> str | None:
    """What to warn of when ``auto`` (``requested``) left ``grader`` short of the strict sandbox: why, and what
    runs submissions instead; None when no warning is due."""
    if requested != "auto" or grader.isolation.level is SandboxLevel.STRICT:
        return None
    level = grader.isolation.level.value
    if not levels.on_linux():
        return f"the strict and basic sandboxes need Linux; running submissions in the {level} sandbox"
    missing = levels.kernel_support().strict_missing
    return f"the strict sandbox is not available here ({missing}); running submissions in the {level} sandbox"
