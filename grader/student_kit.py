"""What students get for an assignment: ``grade-bundle --for students -a NAME -o NAME-kit.zip`` builds a zip
holding the assignment's student folder ``NAME/`` (everything in ``assignments/NAME/``: the stub, its README, its
``public_checks.json`` and its data files), the engine-only wheel of the grader (``grader.wheels``: no solution, no
suite, so no hidden check) and ``INSTALL.md``, which tells students how to install it and run ``grade-check``.
"""

from __future__ import annotations

import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

from grader.assignment import Assignment
from grader.atomic import written_atomically
from grader.course import course_root
from grader.public_checks import FILE_NAME as PUBLIC_CHECKS
from grader.reference import AssignmentError
from grader.stubs import StubError, outdated_public_checks, outdated_stubs
from grader.wheels import BundleError, build_engine_wheel

INSTALL_FILE = "INSTALL.md"
_CACHE = "__pycache__"

_INSTALL_MD = """\
# @ASSIGNMENT@: installing the self-check

This kit holds

- `@ASSIGNMENT@/`, your assignment: `@STUB@` to complete, its `README.md`, and `public_checks.json`, the
  assignment's public checks;
- `@WHEEL@`, the grader's `grade-check` command, which runs those checks on your file.

It holds no solution and none of the hidden checks.

## Install (once)

You need Python 3.10 or later, on Linux, macOS or Windows. In a terminal, in the folder where you unzipped the kit
(a virtual environment is a good idea: `python -m venv .venv`, then activate it):

```
python -m pip install @WHEEL@
```

(`python3` rather than `python` where that is how Python 3 is called.) pip also installs what the grader needs:
numpy, click and nbformat.

## Check your work

```
cd @ASSIGNMENT@
grade-check @STUB@
```

A notebook works too:

```
grade-check @NOTEBOOK@
```

Keep `public_checks.json` next to the file you check. Your code runs on your computer, in a separate process;
nothing is sent anywhere.

## What the output means

For each function: `✓` when it passes its public checks, `✗` when it does not (`+` and `x` where the terminal
cannot show these), then the points the function is worth and how many checks grade it, public (run here) and
hidden, and for a failure what is wrong: which output, its shape or its values, and a hint. The last lines count
the functions that pass. `grade-check` exits with status 0 when every public check passes and 1 otherwise
(usable as a pre-commit hook).

## Hidden checks

The hidden checks run when you submit, on other inputs and other shapes, and they decide your score: passing the
public checks here is a good sign, not a guarantee.
"""


def default_output(assignment: Assignment) -> Path:
    """The kit's file name when none is given: ``NAME-kit.zip``."""
    return Path(f"{assignment.name}-kit.zip")


def build_student_kit(assignment: Assignment, output: Path) -> str:
    """Write the student kit of ``assignment`` to ``output`` (atomically) and return the name of the wheel it
    holds. Raises ``OSError`` when ``output`` cannot be written (before building anything), ``BundleError`` when
    the student folder lacks its public checks or is out of date with the solution, or the wheel cannot be
    built."""
    with written_atomically(output) as stream, tempfile.TemporaryDirectory(prefix="grade-bundle-") as folder:
        check_student_folder(assignment)
        wheel = build_engine_wheel(Path(folder))
        with zipfile.ZipFile(stream, "w", compression=zipfile.ZIP_DEFLATED) as kit:
            student_folder = assignment.stub.parent
            for path in student_files(student_folder):
                kit.write(path, f"{assignment.name}/{path.relative_to(student_folder).as_posix()}")
            kit.write(wheel, wheel.name)
            kit.writestr(INSTALL_FILE, install_notes(assignment, wheel.name))
    return wheel.name


def check_student_folder(assignment: Assignment) -> None:
    """Raise ``BundleError`` when the assignment's stub or public checks file is missing, or out of date with its
    solution and suite."""
    try:
        stale = outdated_stubs([assignment]) + outdated_public_checks([assignment])
    except (StubError, AssignmentError, OSError) as error:
        raise BundleError(f"cannot check the student folder of {assignment.name}: {error}") from error
    if stale:
        root = course_root()
        listed = ", ".join(str(path.relative_to(root)) if path.is_relative_to(root) else str(path) for path in stale)
        raise BundleError(f"the student folder of {assignment.name} is not ready: {listed} missing or out of date "
                          f"(python -m grader.stubs writes the stub and {PUBLIC_CHECKS})")


def student_files(folder: Path) -> Iterator[Path]:
    """Every file below ``folder``, sorted, caches and hidden files and folders aside."""
    for path in sorted(folder.rglob("*")):
        parts = path.relative_to(folder).parts
        if path.is_file() and not any(part == _CACHE or part.startswith(".") for part in parts):
            yield path


def install_notes(assignment: Assignment, wheel: str) -> str:
    """The kit's ``INSTALL.md`` for ``assignment``, whose engine wheel is named ``wheel``."""
    replacements = {"@ASSIGNMENT@": assignment.name, "@STUB@": assignment.stub.name, "@WHEEL@": wheel,
                    "@NOTEBOOK@": assignment.stub.with_suffix(".ipynb").name}
    text = _INSTALL_MD
    for placeholder, value in replacements.items():
        text = text.replace(placeholder, value)
    return text
