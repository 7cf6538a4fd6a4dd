"""Where the course content (solutions, student stubs) lives."""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def course_root() -> Path:
    """The folder holding ``solutions/`` and ``assignments/``.

    In a source checkout (editable install) that is the repository root; an installed wheel carries a copy
    of both folders inside the package.
    """
    checkout = _PACKAGE_DIR.parent
    if (checkout / "solutions").is_dir():
        return checkout
    return _PACKAGE_DIR / "_course"


def course_path(relative: str) -> Path:
    """Resolve a path such as ``"solutions/adam.py"`` against the course root."""
    return course_root() / relative
