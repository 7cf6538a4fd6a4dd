"""Tests of ``grader.public_checks``: the public checks file students get, its contents, staleness and loading."""

from __future__ import annotations

import base64
import json
import pickle
import re
import shutil
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from grader import public_checks
from grader.assignment import Assignment, Visibility
from grader.public_checks import PublicChecksError
from grader.reference import prepare_checks
from grader.registry import assignment_names, load_assignment
from grader.sandbox import wire
from grader.stubs import outdated_public_checks, write_public_checks

NAMES = assignment_names()


def stored(name: str) -> public_checks.PublicChecks:
    assignment = load_assignment(name)
    return public_checks.load(public_checks.path_for(assignment))


@pytest.mark.parametrize("name", NAMES)
def test_the_file_holds_the_public_checks_of_the_assignment_as_prepared_from_its_solution(name: str) -> None:
    assignment = load_assignment(name)
    loaded = stored(name)
    reference = prepare_checks(assignment, Visibility.PUBLIC)
    assert public_checks.differences(loaded, public_checks.of(assignment)) == []
    assert [graded.name for graded in loaded.prepared.assignment.functions] == list(reference)
    for graded in assignment.functions:
        for check, expected in zip(loaded.prepared.checks[graded.name], reference[graded.name], strict=True):
            assert (check.fixture.name, check.fixture.description, check.fixture.visibility) == (
                expected.fixture.name, expected.fixture.description, Visibility.PUBLIC)
            assert check.watched_keys == expected.watched_keys
            assert wire.encode(pickle.loads(check.arguments)) == wire.encode(pickle.loads(expected.arguments))
        assert loaded.hidden_checks[graded.name] == sum(
            fixture.visibility is Visibility.HIDDEN for fixture in graded.fixtures)
    declared = loaded.prepared.assignment
    assert (declared.name, declared.version, declared.max_score) == (name, assignment.version, assignment.max_score)
    assert loaded.prepared.stub_source == assignment.stub.read_text(encoding="utf-8")


@pytest.mark.parametrize("name", NAMES)
def test_every_public_value_round_trips_exactly_with_its_expected_encoding(name: str) -> None:
    fresh = public_checks.of(load_assignment(name))
    loaded = public_checks.loads(public_checks.dumps(fresh), Path("public_checks.json"))
    for function, checks in fresh.prepared.checks.items():
        for check, again in zip(checks, loaded.prepared.checks[function], strict=True):
            assert wire.encode((check.call.args, dict(check.call.kwargs), check.expected, check.expected_after)) \
                == wire.encode((again.call.args, dict(again.call.kwargs), again.expected, again.expected_after))
            assert check.expected_encoding is not None and again.expected_encoding is not None
            assert check.expected_encoding.encoding == again.expected_encoding.encoding
    assert public_checks.dumps(loaded) == public_checks.dumps(fresh)


def test_char_rnn_values_keep_their_types() -> None:
    checks = stored("char_rnn").prepared.checks
    model = checks["model"][0]
    data_x, ix_to_char, char_to_ix = model.call.args
    assert type(data_x) is list and all(type(line) is str for line in data_x)
    assert ix_to_char[0] == "\n" and char_to_ix["a"] == 1
    assert type(model.call.kwargs["num_iterations"]) is int
    X = checks["rnn_forward"][0].call.args[0]
    assert type(X) is list and all(type(index) is int for index in X)
    update = checks["update_parameters"][0]
    assert type(update.expected) is dict and update.watched_keys == (0, 1)


@pytest.mark.parametrize("name", NAMES)
def test_the_file_tells_nothing_of_hidden_checks_but_their_number(name: str) -> None:
    assignment = load_assignment(name)
    text = public_checks.path_for(assignment).read_text(encoding="utf-8")
    public = {fixture.description for graded in assignment.functions for fixture in graded.fixtures
              if fixture.visibility is Visibility.PUBLIC}
    hidden_only = {fixture.description for graded in assignment.functions for fixture in graded.fixtures
                   if fixture.visibility is Visibility.HIDDEN} - public
    assert hidden_only
    assert not re.search(r'"hidden-\d+"', text)
    assert not [description for description in hidden_only if json.dumps(description) in text]
    loaded = public_checks.load(public_checks.path_for(assignment))
    for graded in loaded.prepared.assignment.functions:
        assert {fixture.visibility for fixture in graded.fixtures} == {Visibility.PUBLIC}


def test_writing_is_deterministic() -> None:
    assignment = load_assignment("rnn_step_by_step")
    written = public_checks.dumps(public_checks.of(assignment))
    assert written == public_checks.dumps(public_checks.of(assignment))
    assert written == public_checks.path_for(assignment).read_text(encoding="utf-8")


# --- staleness, within tolerance ------------------------------------------------------------------------------


@pytest.fixture
def adam_copy(tmp_path: Path) -> Assignment:
    """The adam assignment with its stub (and so its public checks file) in a temporary folder."""
    assignment = load_assignment("adam")
    stub = tmp_path / "adam" / assignment.stub.name
    stub.parent.mkdir()
    shutil.copyfile(assignment.stub, stub)
    return replace(assignment, stub=stub)


def edit_values(path: Path, edit: Callable[[tuple[Any, ...]], None]) -> None:
    """Rewrite the values of the first public check of the file's second function through ``edit``."""
    document = json.loads(path.read_text(encoding="utf-8"))
    record = document["functions"][1]["public_checks"][0]
    values = wire.decode(base64.b64decode(record["values"]))
    edit(values)
    record["values"] = base64.b64encode(wire.encode(values)).decode("ascii")
    path.write_text(json.dumps(document), encoding="utf-8")


def scale_expected(factor: float) -> Callable[[tuple[Any, ...]], None]:
    def edit(values: tuple[Any, ...]) -> None:
        parameters = values[2][0]
        parameters["W1"] *= factor
    return edit


def test_write_then_outdated_lists_missing_damaged_and_changed_files(adam_copy: Assignment) -> None:
    path = public_checks.path_for(adam_copy)
    assert outdated_public_checks([adam_copy]) == [path]
    assert write_public_checks([adam_copy]) == [path]
    assert outdated_public_checks([adam_copy]) == []
    assert write_public_checks([adam_copy]) == []
    edit_values(path, scale_expected(1 + 1e-12))  # another BLAS, the last bits
    assert outdated_public_checks([adam_copy]) == []
    edit_values(path, scale_expected(1.001))
    assert outdated_public_checks([adam_copy]) == [path]
    assert write_public_checks([adam_copy]) == [path]
    path.write_text("{", encoding="utf-8")
    assert outdated_public_checks([adam_copy]) == [path]


def test_differences_name_the_check_and_the_output(adam_copy: Assignment) -> None:
    path = public_checks.path_for(adam_copy)
    write_public_checks([adam_copy])
    edit_values(path, scale_expected(1.001))
    found = public_checks.differences(public_checks.load(path), public_checks.of(adam_copy))
    assert found == ['update_parameters_with_adam [public]: parameters["W1"] differs']


def test_a_changed_declaration_is_a_difference(adam_copy: Assignment) -> None:
    write_public_checks([adam_copy])
    changed = replace(adam_copy, version="2")
    assert public_checks.differences(public_checks.load(public_checks.path_for(adam_copy)),
                                     public_checks.of(changed)) == ["'version' differs"]
    assert outdated_public_checks([changed]) == [public_checks.path_for(adam_copy)]


# --- loading a damaged file -----------------------------------------------------------------------------------


def _set(key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    return lambda document: document.__setitem__(key, value)


def _set_check(key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    return lambda document: document["functions"][0]["public_checks"][0].__setitem__(key, value)


DAMAGES: dict[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    "another format": (_set("format", "something else"), "not a public checks file"),
    "a newer format": (_set("format_version", 2), "written in format 2"),
    "no functions": (lambda document: document.pop("functions"), "has no 'functions'"),
    "points as text": (lambda document: document["functions"][0].__setitem__("points", "ten"), "'points' is str"),
    "a path as stub": (_set("stub_file", "../solutions/adam.py"), "stub_file is not a file name"),
    "a wrong total": (_set("max_score", 31), "max_score 31 is not the sum"),
    "values not base64": (_set_check("values", "!!"), "values is damaged"),
    "values not wire": (_set_check("values", base64.b64encode(b"zz").decode()), "values is damaged"),
    "values of another shape": (_set_check("values", base64.b64encode(wire.encode((1, 2))).decode()),
                                "is not (arguments, keyword arguments, expected, after)"),
    "too few outputs": (_set_check("values", base64.b64encode(wire.encode(((), {}, (1,), ()))).decode()),
                        "the expected value is not the 2 outputs"),
    "a dtype coded otherwise": (_set("wire_dtypes", {"<f8": 0}), "encodes differently"),
    "a negative tolerance": (_set("default_tolerance", {"rtol": -1, "atol": 0}), "must not be negative"),
}


@pytest.mark.parametrize("damage", DAMAGES, ids=list(DAMAGES))
def test_a_damaged_file_is_one_line_naming_the_file_and_the_problem(damage: str, tmp_path: Path) -> None:
    edit, fragment = DAMAGES[damage]
    document = json.loads(public_checks.dumps(public_checks.of(load_assignment("adam"))))
    edit(document)
    path = tmp_path / public_checks.FILE_NAME
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(PublicChecksError) as raised:
        public_checks.load(path)
    message = str(raised.value)
    assert message.startswith(f"{path}: ") and fragment in message and "\n" not in message


@pytest.mark.parametrize("content", [b"", b"\xff\xfe", b"[1, 2]", b"not json"])
def test_files_that_are_not_public_checks_are_refused(content: bytes, tmp_path: Path) -> None:
    path = tmp_path / public_checks.FILE_NAME
    path.write_bytes(content)
    with pytest.raises(PublicChecksError, match="public checks file|cannot read"):
        public_checks.load(path)


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(PublicChecksError, match="cannot read it"):
        public_checks.load(tmp_path / public_checks.FILE_NAME)


def test_loaded_fixtures_build_the_stored_call() -> None:
    check = stored("adam").prepared.checks["initialize_adam"][0]
    assert check.fixture.build(ModuleType("no_solution")) is check.call
