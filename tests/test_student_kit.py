"""``grade-bundle --for students``: the kit students get, built once, searched for anything only instructors may
have (a course file, a suite, a line of a solution, a hidden check's description), then installed as its
``INSTALL.md`` says in a fresh Python that sees this environment's packages but not the grader, where
``grade-check`` checks submissions from the kit's student folder and ``grade`` says that no assignment is
installed."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fresh_python import fresh_python, link_dependencies

from grader import gradescope_bundle, student_kit, wheels
from grader.assignment import Visibility
from grader.registry import NONE_INSTALLED, assignment_names, load_assignment
from grader.stubs import find_regions
from grader.wheels import BundleError, check_engine_wheel, engine_pyproject

ROOT = Path(__file__).resolve().parent.parent
NAME = "rnn_step_by_step"
STUDENT_FOLDER = ROOT / "assignments" / NAME
EXAMPLES = ROOT / "examples" / NAME
NOTEBOOKS = ROOT / "tests" / "submissions" / "notebooks"
GRADE_BUNDLE = Path(sys.executable).with_name("grade-bundle")
DISTINCTIVE = 30
"""Characters a solution line or a hidden check's description needs to count as distinctive: shorter ones, such
as ``dba += gradients["dba"]`` or ``n_x=4, n_a=6, n_y=3, m=1``, may be quoted elsewhere by chance (the README's
example report, a docstring's example)."""
CODE_BLOCK = re.compile(r"^```\n(?P<code>.*?)^```$", re.MULTILINE | re.DOTALL)


def grade_bundle(*arguments: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(GRADE_BUNDLE), *map(str, arguments)], capture_output=True, text=True, cwd=cwd,
                          timeout=300)


@pytest.fixture(scope="module")
def kit(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The kit, built with the default output name in an empty folder."""
    folder = tmp_path_factory.mktemp("kit")
    built = grade_bundle("--for", "students", "-a", NAME, cwd=folder)
    assert built.returncode == 0, built.stderr
    assert built.stderr.startswith(f"Wrote {NAME}-kit.zip ({NAME}, numpy_grader-")
    assert [path.name for path in folder.iterdir()] == [f"{NAME}-kit.zip"]
    return folder / f"{NAME}-kit.zip"


def members(archive: zipfile.ZipFile) -> dict[str, bytes]:
    return {name: archive.read(name) for name in archive.namelist()}


def wheel_name(kit: Path) -> str:
    with zipfile.ZipFile(kit) as archive:
        (name,) = [name for name in archive.namelist() if name.endswith(".whl")]
    return name


def all_files(kit: Path) -> Iterator[tuple[str, str]]:
    """Every file of the kit, the wheel's members among them, as (path, text)."""
    with zipfile.ZipFile(kit) as archive:
        for name, data in members(archive).items():
            if name.endswith(".whl"):
                with zipfile.ZipFile(io.BytesIO(data)) as wheel:
                    yield from ((f"{name}/{member}", text.decode("utf-8")) for member, text in members(wheel).items())
            else:
                yield name, data.decode("utf-8")


def filled_lines(solution: Path, stub: Path) -> set[str]:
    """The distinctive lines a student writes: inside a START/END CODE HERE region of ``solution``, not a comment,
    not in ``stub``."""
    source = solution.read_text(encoding="utf-8")
    lines = source.splitlines()
    given = {line.strip() for line in stub.read_text(encoding="utf-8").splitlines()}
    inside = (lines[number].strip() for region in find_regions(source)
              for number in range(region.start, region.end - 1))
    return {line for line in inside if len(line) >= DISTINCTIVE and not line.startswith("#") and line not in given}


# --- what the kit holds --------------------------------------------------------------------------------------


def test_the_kit_holds_the_student_folder_the_engine_wheel_and_install_notes(kit: Path) -> None:
    with zipfile.ZipFile(kit) as archive:
        held = members(archive)
    folder = {f"{NAME}/{path.name}": path.read_bytes() for path in STUDENT_FOLDER.iterdir() if path.is_file()}
    assert {name: data for name, data in held.items() if name.startswith(f"{NAME}/")} == folder
    assert f"{NAME}/public_checks.json" in folder and f"{NAME}/{NAME}.py" in folder
    wheel = wheel_name(kit)
    assert set(held) == {*folder, wheel, "INSTALL.md"}
    notes = held["INSTALL.md"].decode("utf-8")
    assert [block["code"] for block in CODE_BLOCK.finditer(notes)] == [
        f"python -m pip install {wheel}\n", f"cd {NAME}\ngrade-check {NAME}.py\n", f"grade-check {NAME}.ipynb\n"]
    assert "Python 3.10 or later" in notes and "The hidden checks run when you submit" in notes


def test_the_data_files_of_a_student_folder_come_with_it() -> None:
    char_rnn = load_assignment("char_rnn")
    names = [path.relative_to(char_rnn.stub.parent).as_posix() for path in student_kit.student_files(
        char_rnn.stub.parent)]
    assert names == ["README.md", "char_rnn.py", "names.txt", "public_checks.json"]


def test_the_wheel_holds_the_engine_with_its_commands_and_no_course_nor_suite(kit: Path) -> None:
    with zipfile.ZipFile(kit) as archive, zipfile.ZipFile(io.BytesIO(archive.read(wheel_name(kit)))) as wheel:
        names = wheel.namelist()
        metadata = wheel.read("numpy_grader-0.1.0.dist-info/METADATA").decode("utf-8")
        entry_points = wheel.read("numpy_grader-0.1.0.dist-info/entry_points.txt").decode("utf-8")
    assert {"grader/selfcheck.py", "grader/cli.py", "grader/suites/__init__.py"} <= set(names)
    assert not [name for name in names if "_course/" in name or "solutions" in name]
    assert [name for name in names if name.startswith("grader/suites/")] == ["grader/suites/__init__.py"]
    assert not [name for name in names if "__pycache__" in name or name.endswith(".pyc")]
    assert "\nName: numpy-grader\n" in metadata and "\nVersion: 0.1.0\n" in metadata
    for command in ("grade = grader.cli:main", "grade-check = grader.selfcheck:main",
                    "grade-bundle = grader.gradescope_bundle:main"):
        assert command in entry_points


def test_no_file_of_the_kit_holds_a_solution_line_or_a_hidden_checks_description(kit: Path) -> None:
    secrets = set()
    for name in assignment_names():
        assignment = load_assignment(name)
        secrets |= filled_lines(assignment.solution, assignment.stub)
        secrets |= {fixture.description for graded in assignment.functions for fixture in graded.fixtures
                    if fixture.visibility is Visibility.HIDDEN and len(fixture.description) >= DISTINCTIVE}
    own = filled_lines(ROOT / "solutions" / f"{NAME}.py", STUDENT_FOLDER / f"{NAME}.py")
    assert len(own) > 20 and "a_next = np.tanh(np.dot(Waa, a_prev) + np.dot(Wax, xt) + ba)" in own
    assert "n_x=9, n_a=4, n_y=6, m=2, T_x=1" in secrets
    leaks = [(path, secret) for path, text in all_files(kit) for secret in secrets if secret in text]
    assert leaks == []


# --- the kit installed as INSTALL.md says ------------------------------------------------------------------


@dataclass(frozen=True)
class Installed:
    """The kit unzipped in ``folder``, installed as INSTALL.md says; ``environment`` is that of a shell there."""

    folder: Path
    environment: dict[str, str]


@pytest.fixture(scope="module")
def installed(kit: Path, tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """The kit unzipped and installed with INSTALL.md's first command, in a shell whose ``PATH`` starts with a
    fresh Python's, with nothing to download (``PIP_NO_INDEX``) and no ``PYTHONPATH``."""
    unzipped = tmp_path_factory.mktemp("unzipped")
    with zipfile.ZipFile(kit) as archive:
        archive.extractall(unzipped)
    python = fresh_python(tmp_path_factory.mktemp("python") / "venv",
                          link_dependencies(tmp_path_factory.mktemp("dependencies")))
    environment = {name: value for name, value in os.environ.items() if name not in ("PYTHONPATH", "NO_COLOR")}
    environment.update(PATH=f"{python}{os.pathsep}{environment['PATH']}", PIP_NO_INDEX="1")
    install, *_ = install_notes_commands(unzipped)
    done = shell(install, unzipped, environment)
    assert done.returncode == 0, done.stderr
    located = shell("python -c 'import grader; print(grader.__file__)'", unzipped, environment)
    assert located.stdout.startswith(str(python.parent)), located.stdout
    return Installed(unzipped, environment)


def install_notes_commands(unzipped: Path) -> list[str]:
    return [block["code"] for block in CODE_BLOCK.finditer((unzipped / "INSTALL.md").read_text(encoding="utf-8"))]


def shell(script: str, cwd: Path, environment: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", "-eo", "pipefail", "-c", script], cwd=cwd, env=environment, capture_output=True,
                          text=True, timeout=120)


def check_as_the_notes_say(installed: Installed, tmp_path: Path, submission: Path,
                           notebook: bool = False) -> subprocess.CompletedProcess[str]:
    """INSTALL.md's command checking a file (its notebook's with ``notebook``), from the folder holding a copy of
    the kit's student folder where ``submission`` has the name the command gives."""
    _, check_file, check_notebook = install_notes_commands(installed.folder)
    command = f"cd {NAME}\n{check_notebook}" if notebook else check_file
    shutil.copytree(installed.folder / NAME, tmp_path / NAME)
    shutil.copyfile(submission, tmp_path / NAME / command.split()[-1])
    return shell(command, tmp_path, installed.environment)


def test_a_correct_file_passes_every_public_check(installed: Installed, tmp_path: Path) -> None:
    done = check_as_the_notes_say(installed, tmp_path, EXAMPLES / "correct.py")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "8 of 8 functions pass their public checks." in done.stdout


def test_a_partly_wrong_file_fails_with_feedback(installed: Installed, tmp_path: Path) -> None:
    done = check_as_the_notes_say(installed, tmp_path, EXAMPLES / "partly_wrong.py")
    assert done.returncode == 1, done.stderr
    assert "✗ rnn_cell_backward   fails its public check" in done.stdout
    assert 'gradients["dba"] has the wrong shape: expected ndarray of shape (5, 1)' in done.stdout
    assert "hidden-" not in done.stdout and "Traceback" not in done.stdout + done.stderr


def test_a_notebook_is_checked_too(installed: Installed, tmp_path: Path) -> None:
    done = check_as_the_notes_say(installed, tmp_path, NOTEBOOKS / "correct.ipynb", notebook=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"Checking {NAME}.ipynb on the public checks of {NAME}" in done.stdout


def test_grade_lists_no_assignment(installed: Installed, tmp_path: Path) -> None:
    done = shell("grade --list", tmp_path, installed.environment)
    assert (done.returncode, done.stdout, done.stderr) == (0, f"N{NONE_INSTALLED[1:]}.\n", "")
    done = shell("grade --list --format json", tmp_path, installed.environment)
    assert json.loads(done.stdout) == {"assignments": []}


@pytest.mark.parametrize("command", [f"grade {NAME}.py -a {NAME}", f"grade-bundle --for students -a {NAME}"])
def test_commands_needing_an_assignment_say_none_is_installed(
        command: str, installed: Installed, tmp_path: Path) -> None:
    shutil.copyfile(EXAMPLES / "correct.py", tmp_path / f"{NAME}.py")
    done = shell(command, tmp_path, installed.environment)
    assert done.returncode == 2
    assert done.stderr == f"{command.split()[0]}: error: unknown assignment {NAME!r}; {NONE_INSTALLED}\n"


# --- options and failures ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("arguments", "message"), [
    (["--for", "teachers", "-a", NAME], "Invalid value for '--for': 'teachers' is not one of 'gradescope', "
                                        "'students'"),
    (["--for", "students", "-a", "no_such_assignment"], "unknown assignment 'no_such_assignment'; available: "),
    (["--for", "students", "-a", NAME, "-o", "missing/kit.zip"], "folder missing does not exist"),
    (["--for", "students", "-a", NAME, "-o", "."], "it is a folder"),
])
def test_a_bad_option_is_one_line_and_status_2(arguments: list[str], message: str, tmp_path: Path) -> None:
    done = grade_bundle(*arguments, cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.startswith("grade-bundle: error: ") and message in done.stderr
    assert done.stderr.count("\n") == 1
    assert not list(tmp_path.iterdir())


def test_an_out_of_date_student_folder_is_a_build_failure_leaving_no_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    checks = STUDENT_FOLDER / "public_checks.json"
    monkeypatch.setattr(student_kit, "outdated_public_checks", lambda assignments: [checks])
    monkeypatch.setattr(sys, "argv", ["grade-bundle", "--for", "students", "-a", NAME, "-o", str(tmp_path / "k.zip")])
    with pytest.raises(SystemExit) as stopped:
        gradescope_bundle.main()
    assert stopped.value.code == 3
    assert capsys.readouterr().err == (
        f"grade-bundle: error: the student folder of {NAME} is not ready: assignments/{NAME}/public_checks.json "
        "missing or out of date (python -m grader.stubs writes the stub and public_checks.json)\n")
    assert not list(tmp_path.iterdir())


def test_the_engine_pyproject_is_the_projects_without_the_course() -> None:
    original = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    engine = wheels.tomllib.loads(engine_pyproject(original))
    expected = wheels.tomllib.loads(original)
    assert "force-include" in expected["tool"]["hatch"]["build"]["targets"]["wheel"]
    del expected["tool"]["hatch"]["build"]["targets"]["wheel"]["force-include"]
    assert engine == expected


@pytest.mark.parametrize(("text", "message"), [
    ('[project]\nname = "x"\n', r"should have one \[tool\.hatch\.build\.targets\.wheel\.force-include\] table, "
                                r"found 0"),
    ('[tool.hatch.build]\nforce-include = {"a" = "b"}\n\n[tool.hatch.build.targets.wheel.force-include]\n'
     '"solutions" = "grader/_course/solutions"\n', "leaves a force-include"),
    ('[tool.hatch.build.targets.wheel.force-include]\n"a" = \n', "is not valid TOML"),
])
def test_an_unexpected_pyproject_is_refused_clearly(text: str, message: str) -> None:
    with pytest.raises(BundleError, match=rf"^pyproject\.toml .*{message}"):
        engine_pyproject(text)


def test_a_wheel_holding_a_suite_or_the_course_is_refused(tmp_path: Path) -> None:
    wheel = tmp_path / "numpy_grader-0.1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for name in ("grader/cli.py", "grader/suites/__init__.py", "grader/suites/adam.py",
                     "grader/_course/solutions/adam.py", "numpy_grader-0.1.0.dist-info/METADATA", "solutions/x.py"):
            archive.writestr(name, "")
    with pytest.raises(BundleError, match=r"holds what only instructors may have: grader/suites/adam\.py, "
                                          r"grader/_course/solutions/adam\.py, solutions/x\.py$"):
        check_engine_wheel(wheel)
