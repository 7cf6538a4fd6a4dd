"""``grade --list``: the registered assignments with their graded functions, points and checks."""

from __future__ import annotations

import json

import pytest
from test_cli import grade

import grader.catalog
from grader.assignment import Assignment, Visibility
from grader.catalog import catalog, render_catalog_text
from grader.registry import assignment_names, load_assignment


def test_list_shows_every_assignment_with_its_functions_and_points() -> None:
    done = grade("--list")
    assert done.returncode == 0, done.stderr
    for name in assignment_names():
        assignment = load_assignment(name)
        assert f"{name} (version {assignment.version}): {assignment.max_score:g} points" in done.stdout
        for graded in assignment.functions:
            assert any(line.split()[:3] == [graded.name, f"{graded.points:g}", "points"]
                       for line in done.stdout.splitlines()), graded.name


def test_list_as_json_matches_the_suites() -> None:
    done = grade("--list", "--format", "json")
    listed = {entry["name"]: entry for entry in json.loads(done.stdout)["assignments"]}
    assert sorted(listed) == assignment_names()
    for name, entry in listed.items():
        assignment = load_assignment(name)
        assert entry["max_score"] == assignment.max_score
        assert [(function["name"], function["points"], function["public_checks"], function["hidden_checks"])
                for function in entry["functions"]] == [
            (graded.name, graded.points,
             sum(fixture.visibility is Visibility.PUBLIC for fixture in graded.fixtures),
             sum(fixture.visibility is Visibility.HIDDEN for fixture in graded.fixtures))
            for graded in assignment.functions]


def test_a_suite_that_fails_to_load_is_listed_with_its_error(monkeypatch: pytest.MonkeyPatch) -> None:
    real = grader.catalog.load_assignment

    def load(name: str) -> Assignment:
        if name == "rnn_step_by_step":
            raise ImportError("no module named scipy")
        return real(name)

    monkeypatch.setattr(grader.catalog, "load_assignment", load)
    text = render_catalog_text(catalog())
    assert "rnn_step_by_step: cannot be loaded (ImportError: no module named scipy)" in text


def test_grading_without_submissions_is_a_usage_error() -> None:
    done = grade("-a", "rnn_step_by_step")
    assert done.returncode == 2
    assert done.stderr == "grade: error: missing the SUBMISSIONS to grade (files or folders), or --list\n"
