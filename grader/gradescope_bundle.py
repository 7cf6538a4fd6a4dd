"""The ``grade-bundle`` command, and Gradescope's autograder.

``grade-bundle -a ASSIGNMENT -o autograder.zip`` (``--for gradescope``, the default) builds the autograder zip to
upload to Gradescope, and the zip's ``run_autograder`` calls ``run_autograder`` below inside Gradescope's
container; ``grade-bundle --for students -a ASSIGNMENT`` builds the kit students get instead
(``grader.student_kit``).

The autograder zip holds, at its root, what Gradescope's autograder specification asks for (``docs/specs.md`` of
gradescope/autograder_samples): ``setup.sh``, which Gradescope runs once, as root, when it builds the image (it
makes sure Python 3 and its ``venv`` module are there, installing them with apt-get only if missing, and installs
the bundled wheel in the virtual environment ``/autograder/venv``); ``run_autograder``, run for each submission,
which grades the student's file in ``/autograder/submission`` into ``/autograder/results/results.json`` and
always leaves one there; and the full wheel of this grader, built from its source checkout (``grader.wheels``: it
carries the reference solutions). Both scripts read every ``/autograder`` path below ``$AUTOGRADER_ROOT`` when
that is set, so that the bundle can be tried in a folder of one's own.
"""

from __future__ import annotations

import json
import re
import shlex
import stat
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import click

from grader import console, student_kit
from grader.assignment import Assignment
from grader.atomic import write_text_atomically, written_atomically
from grader.batch import SUBMISSION_SUFFIXES, find_submissions
from grader.formats.gradescope import PLAIN_TEXT
from grader.registry import UnknownAssignment, load_assignment
from grader.wheels import build_wheel, last_line

AUTOGRADER_ZIP = "autograder.zip"
SETUP_SCRIPT = "setup.sh"
RUN_SCRIPT = "run_autograder"
SCRIPT_MODE = 0o755
SUBMISSION_FOLDER = "submission"
RESULTS_FILE = Path("results") / "results.json"

_SETUP_SH = """\
#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image (Ubuntu 22.04 or later): Python 3 with
# its venv module (installed with apt-get only if missing), then the grader, from the wheel in this bundle, in the
# virtual environment $ROOT/venv. $ROOT is $AUTOGRADER_ROOT, /autograder unless set; pip honours its own PIP_*
# variables (PIP_INDEX_URL, PIP_FIND_LINKS, ...).
set -euo pipefail
ROOT="${AUTOGRADER_ROOT:-/autograder}"
WHEEL=@WHEEL@
if ! command -v python3 >/dev/null || ! python3 -c "import ensurepip, venv" 2>/dev/null; then
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends python3 python3-venv
fi
python3 -m venv --clear "$ROOT/venv"
"$ROOT/venv/bin/python" -m pip install --disable-pip-version-check --no-cache-dir --progress-bar off \\
    "$ROOT/source/$WHEEL"
"""

_RUN_AUTOGRADER = """\
#!/usr/bin/env bash
# Gradescope runs this for each submission, the student's files in $ROOT/submission: the grader writes
# $ROOT/results/results.json. Should the grader itself not start, a 0-point results.json says so: no submission
# goes without results. $ROOT is $AUTOGRADER_ROOT, /autograder unless set.
ROOT="${AUTOGRADER_ROOT:-/autograder}"
ASSIGNMENT=@ASSIGNMENT@
RESULTS="$ROOT/results/results.json"
mkdir -p "$ROOT/results"
rm -f "$RESULTS"
# -I: isolated mode, so that nothing in the working folder or the environment can stand in for the grader.
"$ROOT/venv/bin/python" -I -c \\
    "import sys; from grader.gradescope_bundle import run_autograder; run_autograder(sys.argv[1], sys.argv[2])" \\
    "$ASSIGNMENT" "$ROOT"
status=$?
if [ ! -s "$RESULTS" ]; then
    printf '{"score": 0, "output": "The autograder could not run (exit status %d). Please tell your instructor."}\\n' \\
        "$status" >"$RESULTS"
fi
"""

_ANY_PATH = re.compile(r"(?P<student>.+)")
"""Matches every relative path: a submission folder holds one student's files."""
_LISTED_FILES = 10
"""How many of the files found a student is told of, when none is the one expected."""


class SubmissionNotFound(LookupError):
    """No file to grade in the submission folder; the message tells the student what was expected."""


def build_bundle(assignment: Assignment, output: Path) -> str:
    """Write the autograder zip of ``assignment`` to ``output`` (atomically) and return the name of the wheel it
    holds. Raises ``OSError`` when ``output`` cannot be written (before building anything), ``BundleError`` when
    the wheel cannot be built."""
    with written_atomically(output) as stream, tempfile.TemporaryDirectory(prefix="grade-bundle-") as folder:
        wheel = build_wheel(Path(folder))
        with zipfile.ZipFile(stream, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
            scripts = {
                SETUP_SCRIPT: _SETUP_SH.replace("@WHEEL@", shlex.quote(wheel.name)),
                RUN_SCRIPT: _RUN_AUTOGRADER.replace("@ASSIGNMENT@", shlex.quote(assignment.name)),
            }
            for name, text in scripts.items():
                entry = zipfile.ZipInfo(name)
                entry.external_attr = (stat.S_IFREG | SCRIPT_MODE) << 16
                bundle.writestr(entry, text, compress_type=zipfile.ZIP_DEFLATED)
            bundle.write(wheel, wheel.name)
    return wheel.name


def run_autograder(assignment_name: str, root: str | Path) -> None:
    """Grade the student's file in ``root/submission`` (see ``find_submission``) against the assignment into
    ``root/results/results.json``, with the grader's messages on standard error (Gradescope's log). When there is
    no file to grade, or the grader fails on it, the results give 0 points and say why."""
    root = Path(root)
    results = (root / RESULTS_FILE).resolve()
    results.parent.mkdir(parents=True, exist_ok=True)
    folder = root / SUBMISSION_FOLDER
    try:
        submission = find_submission(folder, load_assignment(assignment_name).stub)
    except SubmissionNotFound as missing:
        _write_zero_results(results, str(missing))
        return
    relative = submission.relative_to(folder)
    command = [sys.executable, "-I", "-m", "grader", str(relative), "-a", assignment_name,
               "--format", "gradescope", "-o", str(results)]
    graded = subprocess.run(command, cwd=folder, stderr=subprocess.PIPE, text=True, errors="replace", check=False)
    sys.stderr.write(graded.stderr)
    if graded.returncode != 0:
        _write_zero_results(results, f"The autograder could not grade {relative}: "
                                     f"{last_line(graded.stderr, graded.returncode)}")


def find_submission(folder: Path, stub: Path) -> Path:
    """The file to grade in ``folder``, searched with its subfolders (hidden files and folders, and those
    starting with ``__``, aside): one named as the ``stub`` with a ``.py`` or ``.ipynb`` suffix (the shallowest;
    at the same depth, the stub's own suffix first); else the only ``.py`` or ``.ipynb`` file. Raises
    ``SubmissionNotFound`` saying what was expected and what was found."""
    expected = [stub.stem + suffix for suffix in sorted(SUBMISSION_SUFFIXES, key=lambda suffix: suffix != stub.suffix)]
    found = find_submissions([folder], _ANY_PATH).submissions if folder.is_dir() else []
    named = [item for item in found if item.path.name in expected]
    if named:
        best = min(named, key=lambda item: (item.relative_path.count("/"), expected.index(item.path.name)))
        return best.path
    if len(found) == 1:
        return found[0].path
    kinds = " or ".join(SUBMISSION_SUFFIXES)
    listing = ", ".join(item.relative_path for item in found[:_LISTED_FILES]) or f"no {kinds} file"
    if len(found) > _LISTED_FILES:
        listing += f" and {len(found) - _LISTED_FILES} more"
    raise SubmissionNotFound(f"Expected your file {' or '.join(expected)} (or a single {kinds} file) in your "
                             f"submission; found {listing}.")


def _write_zero_results(results: Path, reason: str) -> None:
    """Gradescope's ``results.json`` giving 0 points, with ``reason`` as its output."""
    data = {"score": 0, "output": reason, "output_format": PLAIN_TEXT}
    write_text_atomically(results, json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    print(reason, file=sys.stderr)


@dataclass(frozen=True)
class _Target:
    """What ``grade-bundle --for`` builds: how, into which file by default, and what to do with it."""

    build: Callable[[Assignment, Path], str]
    """Writes the zip of an assignment to a path and returns the name of the wheel it holds."""
    default_output: Callable[[Assignment], Path]
    next_step: str


TARGETS = {
    "gradescope": _Target(build_bundle, lambda assignment: Path(AUTOGRADER_ZIP),
                          "upload it as the assignment's autograder on Gradescope"),
    "students": _Target(student_kit.build_student_kit, student_kit.default_output,
                        "hand it to students: it holds no solution and no hidden check"),
}


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--for", "target", type=click.Choice(list(TARGETS)), default="gradescope", show_default=True,
              help="gradescope: the autograder to upload to Gradescope (it carries the reference solutions); "
              "students: the kit students get (the assignment's folder, a wheel of the grading engine alone, "
              f"{student_kit.INSTALL_FILE}).")
@click.option("-a", "--assignment", "assignment_name", required=True,
              help="The assignment to bundle (grade --list shows them).")
@click.option("-o", "--output", type=click.Path(path_type=Path),
              help=f"The zip to write (atomically); by default {AUTOGRADER_ZIP} for gradescope, ASSIGNMENT-kit.zip "
              "for students.")
def grade_bundle(target: str, assignment_name: str, output: Path | None) -> None:
    """Build what an assignment needs outside this checkout, from this source checkout.

    --for gradescope (the default): Gradescope's autograder, a zip to upload as the assignment's autograder (base
    image Ubuntu 22.04 or later) holding setup.sh, run_autograder and a wheel of this grader; the wheel carries the
    reference solutions, so keep the zip where only instructors can read it.

    --for students: the student kit, a zip holding the assignment's student folder (stub, README, public checks,
    data files), a wheel of the grading engine without any solution or suite, and INSTALL.md, which tells students
    how to run grade-check.
    """
    try:
        assignment = load_assignment(assignment_name)
    except UnknownAssignment as error:
        raise click.UsageError(str(error)) from error
    chosen = TARGETS[target]
    output = chosen.default_output(assignment) if output is None else output
    if not output.parent.is_dir():
        raise click.UsageError(f"cannot write {output}: folder {output.parent} does not exist")
    if output.is_dir():
        raise click.UsageError(f"cannot write {output}: it is a folder (give a file)")
    try:
        wheel = chosen.build(assignment, output)
    except OSError as error:
        raise click.UsageError(f"cannot write {output}: {error.strerror or error}") from error
    click.echo(f"Wrote {output} ({assignment.name}, {wheel}): {chosen.next_step}", err=True)


def main() -> None:
    """Console entry point ``grade-bundle`` (see ``console.run``): exit status 2 for a bad option, 3 when the
    bundle cannot be built, 130 when interrupted."""
    console.run(grade_bundle, "grade-bundle")
