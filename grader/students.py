"""Whose submission a file is: a student id taken from its path by a pattern, optionally mapped by a roster.

>>> pattern = compile_id_pattern(DEFAULT_ID_PATTERN)
>>> student_id("alice_attempt2.py", pattern), student_id("bob.py", pattern), student_id("_x.py", pattern)
('alice', 'bob', None)
>>> student_id("late/alice_2.py", pattern), student_id("carol_rnn.ipynb", pattern)
('alice', 'carol')
>>> student_id("alice/rnn.py", compile_id_pattern(r"^(?P<student>[^/]+)/"))
'alice'
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

DEFAULT_ID_PATTERN = r"(?:^|/)(?P<student>[^/_.]+)[^/]*$"
"""The file name up to its first underscore or dot, whatever folders it is in: ``alice_attempt2.py``,
``alice.py``, ``alice.ipynb`` and ``late/alice_2.py`` are ``alice``'s."""


def compile_id_pattern(pattern: str) -> re.Pattern[str]:
    """``pattern`` compiled; raises ``ValueError`` when it is not a valid regular expression or has no
    ``(?P<student>...)`` group."""
    try:
        compiled = re.compile(pattern)
    except re.error as error:
        raise ValueError(f"the student id pattern {pattern!r} is not a valid regular expression: {error}") from None
    if "student" not in compiled.groupindex:
        raise ValueError(f"the student id pattern {pattern!r} has no (?P<student>...) group")
    return compiled


def student_id(relative_path: str, pattern: re.Pattern[str]) -> str | None:
    """The student id that ``pattern`` finds (``re.search``) in ``relative_path``: the submission's path
    relative to the folder it was found in (for a file given directly, its name), with ``/`` separators.
    None when the pattern does not match or its ``student`` group is empty."""
    match = pattern.search(relative_path)
    return (match.group("student") or None) if match else None


@dataclass(frozen=True)
class Roster:
    """The class list: official student ids, and the key under which each one's files are named."""

    students: tuple[str, ...]
    """The official ids, in file order, each once."""
    by_key: Mapping[str, str]
    """Official id by case-folded key."""

    def student_for(self, key: str) -> str | None:
        """The official id of the student whose key is ``key``, compared case-insensitively; None if none."""
        return self.by_key.get(key.casefold())


def load_roster(path: Path) -> Roster:
    """Read a roster: UTF-8 CSV (a BOM allowed, as Excel writes it) whose header row names a ``student``
    column, the official id, and optionally a ``key`` column, what the id pattern extracts from file names;
    without that column, or where its cell is empty, the key is the student id. Column names are compared
    case-insensitively, blank lines skipped, cells stripped. Raises ``ValueError`` naming the file, and the
    line where there is one, for an unreadable file, text that is not UTF-8, a missing ``student`` column, an
    empty student id or a key used twice (case-insensitively)."""
    reader = csv.reader(io.StringIO(_read_text(path), newline=""))
    try:
        header = [name.strip().casefold() for name in next(reader, [])]
        if "student" not in header:
            raise ValueError(f"{path}, line 1: the first row must be a header naming a 'student' column")
        student_column = header.index("student")
        key_column = header.index("key") if "key" in header else student_column
        return _roster(path, ((reader.line_num, row) for row in reader), student_column, key_column)
    except csv.Error as error:
        raise ValueError(f"{path}, line {reader.line_num}: {error}") from None


def _read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ValueError(f"cannot read the roster {path}: {error.strerror}") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise ValueError(f"{path}, line {line}: not UTF-8 text; save the roster as CSV UTF-8") from None


def _roster(path: Path, rows: Iterable[tuple[int, list[str]]], student_column: int, key_column: int) -> Roster:
    """The roster from the rows after the header, each with its line number; ``csv.Error`` propagates."""
    students: dict[str, None] = {}
    by_key: dict[str, str] = {}
    key_lines: dict[str, int] = {}
    for line, row in rows:
        if not any(cell.strip() for cell in row):
            continue
        student = _cell(row, student_column)
        if not student:
            raise ValueError(f"{path}, line {line}: the student id is empty")
        written_key = _cell(row, key_column) or student
        key = written_key.casefold()
        if key in by_key:
            raise ValueError(
                f"{path}, line {line}: the key {written_key!r} is already on line {key_lines[key]}"
                " (keys are compared case-insensitively)"
            )
        students[student] = None
        by_key[key] = student
        key_lines[key] = line
    return Roster(tuple(students), by_key)


def _cell(row: list[str], column: int) -> str:
    return row[column].strip() if column < len(row) else ""
