"""Finding assignments: every module of ``grader.suites`` that defines ``ASSIGNMENT``."""

from __future__ import annotations

import importlib
import pkgutil

from grader import suites
from grader.assignment import Assignment


class UnknownAssignment(LookupError):
    """No suite of that name; ``known`` lists the names there are."""

    def __init__(self, name: str, known: list[str]) -> None:
        super().__init__(f"unknown assignment {name!r}; available: {', '.join(known) or 'none'}")
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
