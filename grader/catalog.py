"""What ``grade --list`` shows: every registered assignment, its graded functions, their points and checks."""

from __future__ import annotations

import json
from typing import Any

from grader.assignment import Assignment, Visibility
from grader.registry import NONE_INSTALLED, assignment_names, load_assignment


def catalog() -> list[dict[str, Any]]:
    """Each registered assignment as plain data, sorted by name; a suite that fails to import is listed with
    the error instead of its functions."""
    entries: list[dict[str, Any]] = []
    for name in assignment_names():
        try:
            assignment = load_assignment(name)
        except Exception as error:  # a broken suite must not hide the others
            entries.append({"name": name, "error": f"{type(error).__name__}: {error}"})
            continue
        entries.append(_describe(assignment))
    return entries


def _describe(assignment: Assignment) -> dict[str, Any]:
    return {
        "name": assignment.name,
        "version": assignment.version,
        "max_score": assignment.max_score,
        "functions": [
            {
                "name": graded.name,
                "points": float(graded.points),
                "public_checks": sum(fixture.visibility is Visibility.PUBLIC for fixture in graded.fixtures),
                "hidden_checks": sum(fixture.visibility is Visibility.HIDDEN for fixture in graded.fixtures),
            }
            for graded in assignment.functions
        ],
    }


def render_catalog_json(entries: list[dict[str, Any]]) -> str:
    return json.dumps({"assignments": entries}, indent=2) + "\n"


def render_catalog_text(entries: list[dict[str, Any]]) -> str:
    """One block per assignment: its name, version and total, then one line per graded function; without any
    assignment, a line saying that none is installed.

    >>> print(render_catalog_text([{"name": "adam", "version": "1", "max_score": 30.0, "functions": [
    ...     {"name": "initialize_adam", "points": 10.0, "public_checks": 1, "hidden_checks": 3}]}]), end="")
    adam (version 1): 30 points
      initialize_adam    10 points  1 public check, 3 hidden
    """
    if not entries:
        return f"{NONE_INSTALLED[0].upper()}{NONE_INSTALLED[1:]}.\n"
    lines = []
    for entry in entries:
        if "error" in entry:
            lines.append(f"{entry['name']}: cannot be loaded ({entry['error']})")
            continue
        lines.append(f"{entry['name']} (version {entry['version']}): {entry['max_score']:g} points")
        width = max((len(function["name"]) for function in entry["functions"]), default=0)
        for function in entry["functions"]:
            public = function["public_checks"]
            lines.append(f"  {function['name']:<{width}}  {function['points']:>4g} points  "
                         f"{public} public check{'' if public == 1 else 's'}, {function['hidden_checks']} hidden")
    return "\n".join(lines) + "\n"
