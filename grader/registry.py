"""Finding assignments: every module of ``grader.suites`` that defines ``ASSIGNMENT``."""

from __future__ import annotations

import importlib
import pkgutil

from grader import suites
from grader.assignment import Assignment

NONE_INSTALLED = ("no assignment is installed with this grader, which holds the grading engine alone (grade-check "
                  "checks a file on the public_checks.json next to it)")
"""Why no assignment can be used, when no suite is registered: a grader installed from a student kit."""


class UnknownAssignment(LookupError):
    """No suite of that name; ``known`` lists the names there are (when there is none, the message says so)."""

    def __init__(self, name: str, known: list[str]) -> None:
        available = f"available: {', '.join(known)}" if known else NONE_INSTALLED
        super().__init__(f"unknown assignment {name!r}; {available}")
        self.name = name
        self.known = known


def assignment_names() -> list[str]:
    """The names of all registered assignments, sorted."""
    return sorted(info.name for info in pkgutil.iter_modules(suites.__path__) if not info.name.startswith("_"))


def load_assignment(name: str) -> Assignment:
    """The assignment declared by ``grader/suites/<name>.py``; raises ``UnknownAssignment``."""
    known = assignment_names()
    if name not in known:
        raise UnknownAssignment(name, known)
    module = importlib.import_module(f"{suites.__name__}.{name}")
    assignment: Assignment = module.ASSIGNMENT
    return assignment
