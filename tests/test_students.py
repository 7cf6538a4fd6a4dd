"""Whose submission a file is: id patterns and rosters."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from grader.students import DEFAULT_ID_PATTERN, Roster, compile_id_pattern, load_roster, student_id

# Id patterns


@pytest.mark.parametrize(
    ("relative_path", "expected"),
    [
        ("alice_attempt2.py", "alice"),
        ("bob.py", "bob"),
        ("Carol.Smith_v3.py", "Carol"),
        ("dave", "dave"),
        ("_anonymous.py", None),
        (".py", None),
    ],
)
def test_the_default_id_is_the_name_up_to_an_underscore_or_dot(relative_path: str, expected: str | None) -> None:
    assert student_id(relative_path, compile_id_pattern(DEFAULT_ID_PATTERN)) == expected


@pytest.mark.parametrize(
    ("relative_path", "expected"), [("alice/rnn.py", "alice"), ("alice/week2/rnn.py", "alice"), ("rnn.py", None)]
)
def test_a_pattern_can_take_the_id_from_the_folder(relative_path: str, expected: str | None) -> None:
    assert student_id(relative_path, compile_id_pattern(r"^(?P<student>[^/]+)/")) == expected


def test_the_pattern_is_searched_anywhere_in_the_path() -> None:
    assert student_id("week2/late/s1234567_rnn.py", compile_id_pattern(r"(?P<student>s\d{7})")) == "s1234567"


@pytest.mark.parametrize("pattern", [r"^(?P<student>\d*)", r"^(?:x(?P<student>\w+))?"])
def test_an_empty_or_unmatched_group_is_no_id(pattern: str) -> None:
    assert student_id("alice.py", compile_id_pattern(pattern)) is None


@pytest.mark.parametrize(
    ("pattern", "problem"),
    [
        ("(?P<student>[a-z", "is not a valid regular expression"),
        (r"^(\w+)_", r"has no \(\?P<student>...\) group"),
        (r"^(?P<name>\w+)_", r"has no \(\?P<student>...\) group"),
    ],
)
def test_a_bad_pattern_is_refused_clearly(pattern: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        compile_id_pattern(pattern)


# Rosters


def write_roster(tmp_path: Path, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / "roster.csv"
    path.write_bytes(text.encode(encoding))
    return path


def test_a_roster_maps_keys_to_official_ids_case_insensitively(tmp_path: Path) -> None:
    roster = load_roster(write_roster(tmp_path, "student,name,key\ns002,Bob,BobGH\ns001,Alice,alice-gh\n"))
    assert roster.students == ("s002", "s001")
    assert roster.student_for("bobgh") == "s002"
    assert roster.student_for("ALICE-GH") == "s001"
    assert roster.student_for("s001") is None
    assert roster.student_for("carol") is None


def test_without_a_key_column_the_key_is_the_student_id(tmp_path: Path) -> None:
    roster = load_roster(write_roster(tmp_path, "Name,Student\nAlice,alice\nBob,Bob\n"))
    assert roster == Roster(("alice", "Bob"), {"alice": "alice", "bob": "Bob"})
    assert roster.student_for("BOB") == "Bob"


def test_an_empty_key_cell_falls_back_to_the_student_id(tmp_path: Path) -> None:
    roster = load_roster(write_roster(tmp_path, "student,key\ns001,alice\ns002,\n"))
    assert (roster.student_for("alice"), roster.student_for("s002")) == ("s001", "s002")


def test_excel_csv_with_a_bom_crlf_blank_lines_and_padding_is_read(tmp_path: Path) -> None:
    text = "\ufeff Student , Key \r\n s001 , alice \r\n\r\n,\r\n\"s002\",\"bob\"\r\n"
    roster = load_roster(write_roster(tmp_path, text))
    assert roster == Roster(("s001", "s002"), {"alice": "s001", "bob": "s002"})


def test_a_student_with_two_keys_is_listed_once(tmp_path: Path) -> None:
    roster = load_roster(write_roster(tmp_path, "student,key\ns001,alice\ns002,bob\ns001,alice-old\n"))
    assert roster.students == ("s001", "s002")
    assert roster.student_for("alice-old") == "s001"


def test_non_ascii_ids_are_kept(tmp_path: Path) -> None:
    roster = load_roster(write_roster(tmp_path, "student,key\nZoë,ZOË\n"))
    assert (roster.students, roster.student_for("zoë")) == (("Zoë",), "Zoë")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "line 1: the first row must be a header naming a 'student' column"),
        ("name,key\nAlice,alice\n", "line 1: the first row must be a header naming a 'student' column"),
        ("student,key\ns001,alice\n,bob\n", "line 3: the student id is empty"),
        ("student,key\ns001,alice\n\ns002,ALICE\n", "line 4: the key 'ALICE' is already on line 2"),
        ("student\nalice\nAlice\n", "line 3: the key 'Alice' is already on line 2"),
        ('student\nalice\n"' + "x" * 200_000 + '"\n', "line 3: field larger than field limit"),
    ],
)
def test_a_bad_roster_is_refused_with_its_line(tmp_path: Path, text: str, problem: str) -> None:
    path = write_roster(tmp_path, text)
    with pytest.raises(ValueError, match=f"^{re.escape(str(path))}, {problem}"):
        load_roster(path)


def test_a_roster_that_is_not_utf8_is_refused_with_its_line(tmp_path: Path) -> None:
    path = write_roster(tmp_path, "student\nalice\nzoë\n", encoding="latin-1")
    with pytest.raises(ValueError, match=f"^{re.escape(str(path))}, line 3: not UTF-8 text"):
        load_roster(path)


@pytest.mark.parametrize("name", ["missing.csv", "."])
def test_an_unreadable_roster_is_refused(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    with pytest.raises(ValueError, match="^cannot read the roster "):
        load_roster(path)
