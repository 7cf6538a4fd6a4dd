"""Wheels of the grader, built with pip from its source checkout.

Two are built: the full wheel (``build_wheel``), which carries the course (the solutions and the student folders,
force-included as ``grader/_course``) and every assignment's suite, for where instructors grade; and the
engine-only wheel (``build_engine_wheel``), with neither, for students: it is built from a filtered copy of the
checkout, and checked afterwards to hold nothing of the course.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import click

from grader.course import course_root
from grader.setup_problems import EXIT_BROKEN_SETUP

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

PACKAGE = "grader"
PROJECT_FILE = "pyproject.toml"
README_FILE = "README.md"
COURSE_TABLE = ("tool", "hatch", "build", "targets", "wheel", "force-include")
"""Where ``pyproject.toml`` adds the course to the full wheel; the engine-only wheel's copy has no such table."""
ENGINE_SUITE = f"{PACKAGE}/suites/__init__.py"
"""The only module of ``grader/suites`` in the engine-only wheel: the registry then finds no assignment."""
_COURSE_HEADER = "[" + ".".join(COURSE_TABLE) + "]"
_LISTED_MEMBERS = 5
"""How many of the members an engine-only wheel must not hold an error names."""


class BundleError(click.ClickException):
    """A wheel or a bundle cannot be built (not a source checkout, an unexpected ``pyproject.toml``, the build
    failed): exit status 3."""

    exit_code = EXIT_BROKEN_SETUP


def source_checkout(project_root: Path | None = None) -> Path:
    """``project_root``, by default the checkout this grader runs from; raises ``BundleError`` when it is not a
    source checkout of the grader."""
    root = course_root() if project_root is None else project_root
    if not (root / PROJECT_FILE).is_file():
        raise BundleError(f"{root} is not a source checkout of the grader (no {PROJECT_FILE}): run grade-bundle "
                          "from one (pip install -e CHECKOUT)")
    return root


def build_wheel(destination: Path, project_root: Path | None = None) -> Path:
    """Build the full wheel of the grader from its source checkout (``project_root``, by default the one this
    grader runs from) into the folder ``destination`` with pip, and return its path. Raises ``BundleError`` when
    that is not a source checkout or the build fails."""
    root = source_checkout(project_root)
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--disable-pip-version-check",
               "--wheel-dir", str(destination), str(root)]
    built = subprocess.run(command, capture_output=True, text=True, errors="replace", check=False)
    wheels = sorted(destination.glob("*.whl"))
    if built.returncode != 0 or len(wheels) != 1:
        raise BundleError(f"cannot build the grader's wheel from {root}: {last_line(built.stderr, built.returncode)}")
    return wheels[0]


def build_engine_wheel(destination: Path, project_root: Path | None = None) -> Path:
    """Build the engine-only wheel (same name and version as the full one, the same console commands, but no
    ``grader/_course`` and no suite but ``grader/suites/__init__.py``) into the folder ``destination``, from a
    filtered copy of the source checkout (see ``copy_engine_source``), and return its path. Raises
    ``BundleError`` as ``build_wheel`` does, when ``pyproject.toml`` is not laid out as expected, or when the
    wheel holds anything of the course all the same."""
    root = source_checkout(project_root)
    with tempfile.TemporaryDirectory(prefix="grade-engine-") as folder:
        wheel = build_wheel(destination, copy_engine_source(root, Path(folder)))
    check_engine_wheel(wheel)
    return wheel


def copy_engine_source(root: Path, folder: Path) -> Path:
    """Copy of the checkout ``root`` into ``folder`` that builds the engine-only wheel, and return ``folder``:
    the package without its suites (but ``suites/__init__.py``), ``grader/_course``, caches and hidden files;
    ``README.md``; and ``pyproject.toml`` without the course's table (see ``engine_pyproject``)."""
    project = root / PROJECT_FILE
    try:
        text = project.read_bytes().decode("utf-8")
        shutil.copytree(root / PACKAGE, folder / PACKAGE, ignore=_outside_engine(root / PACKAGE))
        shutil.copyfile(root / README_FILE, folder / README_FILE)
    except (OSError, UnicodeDecodeError) as error:
        raise BundleError(f"cannot copy the grader's source from {root}: {error}") from error
    (folder / PROJECT_FILE).write_text(engine_pyproject(text, project), encoding="utf-8")
    return folder


def _outside_engine(package: Path) -> Callable[[str, list[str]], set[str]]:
    """``shutil.copytree``'s ``ignore`` for the package at ``package``: what the engine-only wheel leaves out."""
    def ignored(directory: str, names: list[str]) -> set[str]:
        left_out = {name for name in names if name.startswith(".") or name == "__pycache__" or name.endswith(".pyc")}
        if Path(directory) == package:
            left_out.add("_course")
        if Path(directory) == package / "suites":
            left_out.update(name for name in names if name != Path(ENGINE_SUITE).name)
        return left_out
    return ignored


def engine_pyproject(text: str, source: Path = Path(PROJECT_FILE)) -> str:
    """``pyproject.toml``'s ``text`` without its ``[tool.hatch.build.targets.wheel.force-include]`` table (the
    header line and every line up to the next table). Raises ``BundleError`` naming ``source`` unless the text
    has that table exactly once, as a header of its own, and what is left parses as the same TOML but that table
(and the tables it leaves empty).

    >>> engine_pyproject('[a]\\nb = 1\\n\\n[tool.hatch.build.targets.wheel.force-include]\\n"x" = "y"\\n\\n[c]\\n')
    '[a]\\nb = 1\\n\\n[c]\\n'
    """
    lines = text.splitlines(keepends=True)
    headers = [number for number, line in enumerate(lines) if line.strip() == _COURSE_HEADER]
    if len(headers) != 1:
        raise BundleError(f"{source} is not laid out as expected: it should have one {_COURSE_HEADER} table, "
                          f"found {len(headers)}")
    start = headers[0]
    end = next((number for number in range(start + 1, len(lines)) if lines[number].lstrip().startswith("[")),
               len(lines))
    engine = "".join(lines[:start] + lines[end:])
    expected = _parse(text, source)
    wheel_target: dict[str, Any] = expected
    for key in COURSE_TABLE[:-1]:
        wheel_target = wheel_target.get(key, {})
    wheel_target.pop(COURSE_TABLE[-1], None)
    if _pruned(_parse(engine, source)) != _pruned(expected) or COURSE_TABLE[-1] in _keys(expected):
        raise BundleError(f"{source} is not laid out as expected: removing its {_COURSE_HEADER} table changes "
                          f"more than that table, or leaves a {COURSE_TABLE[-1]}")
    return engine


def _parse(text: str, source: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise BundleError(f"{source} is not valid TOML: {error}") from error


def _pruned(value: Any) -> Any:
    """The TOML ``value`` without its empty tables, at any depth: such a table configures nothing (the tables
    holding only the course's table are left empty without it)."""
    if not isinstance(value, dict):
        return value
    kept = {key: _pruned(item) for key, item in value.items()}
    return {key: item for key, item in kept.items() if item != {}}


def _keys(value: object) -> Iterator[str]:
    """Every key of every table in the TOML ``value``, nested ones and those of arrays of tables included."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _keys(item)
    elif isinstance(value, list):
        for item in value:
            yield from _keys(item)


def check_engine_wheel(wheel: Path) -> None:
    """Raise ``BundleError`` when the engine-only ``wheel`` holds a member of ``grader/_course`` or a suite other
    than ``grader/suites/__init__.py``, or a file outside the package and its metadata."""
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    metadata = wheel.name.split("-")[0] + "-"
    forbidden = [name for name in names if _course_member(name) or not name.startswith((f"{PACKAGE}/", metadata))]
    if forbidden:
        listed = ", ".join(forbidden[:_LISTED_MEMBERS]) + (" ..." if len(forbidden) > _LISTED_MEMBERS else "")
        raise BundleError(f"the engine-only wheel {wheel.name} holds what only instructors may have: {listed}")


def _course_member(name: str) -> bool:
    """Whether the wheel member ``name`` is part of the course: in ``grader/_course``, or a suite.

    >>> [_course_member(name) for name in ("grader/suites/__init__.py", "grader/suites/adam.py", "grader/cli.py")]
    [False, True, False]
    """
    return name.startswith(f"{PACKAGE}/_course/") or (name.startswith(f"{PACKAGE}/suites/") and name != ENGINE_SUITE)


def last_line(stderr: str, returncode: int) -> str:
    """The last line a failed command wrote on standard error, else its exit status.

    >>> last_line("Processing x\\nERROR: no such file\\n\\n", 1), last_line("", -9)
    ('ERROR: no such file', 'exit status -9')
    """
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    return lines[-1] if lines else f"exit status {returncode}"
