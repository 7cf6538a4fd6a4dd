"""``grade-bundle``: Gradescope's autograder zip, built once, unzipped into a folder standing for ``/autograder``
(``AUTOGRADER_ROOT``), its ``setup.sh`` run for real (pip installs the bundled wheel and its dependencies from the
configured index), then its ``run_autograder`` run on submissions, each ``results.json`` validated against the
schema of Gradescope's documented fields."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from grader import gradescope_bundle
from grader.gradescope_bundle import find_submission
from grader.wheels import BundleError, build_wheel

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "rnn_step_by_step"
NOTEBOOKS = ROOT / "tests" / "submissions" / "notebooks"
SCHEMA = json.loads((ROOT / "tests" / "data" / "gradescope" / "results.schema.json").read_text(encoding="utf-8"))
GRADE_BUNDLE = Path(sys.executable).with_name("grade-bundle")
STUB = Path("rnn_step_by_step.py")


def grade_bundle(*arguments: str | Path, command: Path = GRADE_BUNDLE, cwd: Path | None = None
                 ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(command), *map(str, arguments)], capture_output=True, text=True, cwd=cwd, timeout=300)


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    output = tmp_path_factory.mktemp("bundle") / "autograder.zip"
    built = grade_bundle("-a", "rnn_step_by_step", "-o", output)
    assert built.returncode == 0, built.stderr
    return output


@pytest.fixture(scope="module")
def autograder(bundle: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder standing for ``/autograder``: the bundle unzipped into ``source/`` with the modes it records, as
    Gradescope unzips it, then ``setup.sh`` run (with an ``apt-get`` that fails: Python here has ``venv``)."""
    root = tmp_path_factory.mktemp("autograder")
    with zipfile.ZipFile(bundle) as archive:
        for entry in archive.infolist():
            os.chmod(archive.extract(entry, root / "source"), entry.external_attr >> 16 & 0o777)
    never = tmp_path_factory.mktemp("never")
    write_script(never / "apt-get", 'echo "apt-get must not run: python3 has venv" >&2; exit 1')
    path = f"{never}{os.pathsep}{os.environ['PATH']}"
    setup = subprocess.run([str(root / "source" / "setup.sh")],
                           env={**os.environ, "AUTOGRADER_ROOT": str(root), "PATH": path},
                           capture_output=True, text=True, timeout=600)
    assert setup.returncode == 0, setup.stdout + setup.stderr
    return root


def write_script(path: Path, body: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!/bin/sh\n{body}\n", encoding="utf-8")
    path.chmod(0o755)


def run_autograder(root: Path, files: dict[str, Path]) -> dict[str, Any]:
    """Run the unzipped ``run_autograder`` on a submission of ``files`` (name in the submission: file to copy) and
    return its ``results.json``, checked valid against the schema."""
    submission = root / "submission"
    shutil.rmtree(submission, ignore_errors=True)
    submission.mkdir()
    for name, source in files.items():
        (submission / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, submission / name)
    done = subprocess.run([str(root / "source" / "run_autograder")], env={**os.environ, "AUTOGRADER_ROOT": str(root)},
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    results: dict[str, Any] = json.loads((root / "results" / "results.json").read_text(encoding="utf-8"))
    jsonschema.validate(results, SCHEMA)
    return results


def test_the_bundle_holds_both_scripts_executable_and_the_wheel(bundle: Path) -> None:
    with zipfile.ZipFile(bundle) as archive:
        modes = {entry.filename: stat.S_IMODE(entry.external_attr >> 16) for entry in archive.infolist()}
    wheels = [name for name in modes if name.endswith(".whl")]
    assert len(wheels) == 1 and wheels[0].startswith("numpy_grader-")
    assert set(modes) == {"setup.sh", "run_autograder", *wheels}
    assert modes["setup.sh"] == modes["run_autograder"] == 0o755
    assert [path.name for path in bundle.parent.iterdir()] == [bundle.name]


def test_setup_installs_python_with_venv_through_apt_only_when_missing(bundle: Path, tmp_path: Path) -> None:
    with zipfile.ZipFile(bundle) as archive:
        setup = Path(archive.extract("setup.sh", tmp_path / "source"))
        (wheel,) = [name for name in archive.namelist() if name.endswith(".whl")]
    log, fake = tmp_path / "commands.log", tmp_path / "bin"
    write_script(fake / "apt-get", 'echo "apt-get $*" >>"$LOG"')
    write_script(fake / "python3", """echo "$(basename "$0") $*" >>"$LOG"
case "$1 $2" in
    -c*) exit 1 ;;
    "-m venv") mkdir -p "$4/bin" && ln -s "$0" "$4/bin/python" ;;
esac""")
    environment = {**os.environ, "AUTOGRADER_ROOT": str(tmp_path), "LOG": str(log),
                   "PATH": f"{fake}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(["bash", str(setup)], env=environment, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert log.read_text(encoding="utf-8").splitlines() == [
        "python3 -c import ensurepip, venv",
        "apt-get update -q",
        "apt-get install -y -q --no-install-recommends python3 python3-venv",
        f"python3 -m venv --clear {tmp_path}/venv",
        f"python -m pip install --disable-pip-version-check --no-cache-dir --progress-bar off "
        f"{tmp_path}/source/{wheel}",
    ]


def test_a_correct_submission_gets_full_marks_with_hidden_checks_shown_after_the_due_date(autograder: Path) -> None:
    results = run_autograder(autograder, {STUB.name: EXAMPLES / "correct.py"})
    assert results["score"] == 100
    assert {test["status"] for test in results["tests"]} == {"passed"}
    visibility = {(test["tags"][1], test["visibility"]) for test in results["tests"]}
    assert visibility == {("public", "visible"), ("hidden", "after_due_date")}


def test_a_notebook_is_graded_too(autograder: Path) -> None:
    results = run_autograder(autograder, {"rnn_step_by_step.ipynb": NOTEBOOKS / "correct.ipynb"})
    assert results["score"] == 100


def test_a_broken_submission_gets_zero_points_and_the_reason(autograder: Path) -> None:
    results = run_autograder(autograder, {"rnn_step_by_step.ipynb": NOTEBOOKS / "invalid" / "python_not_json.ipynb"})
    assert results["score"] == 0
    assert "it is not JSON" in results["output"]


def test_a_missing_submission_gets_zero_points_saying_what_was_expected(autograder: Path) -> None:
    results = run_autograder(autograder, {"notes.txt": EXAMPLES / "correct.py"})
    assert results == {"score": 0, "output_format": "text", "output": (
        "Expected your file rnn_step_by_step.py or rnn_step_by_step.ipynb (or a single .py or .ipynb file) in your "
        "submission; found no .py or .ipynb file.")}


def test_the_only_python_file_is_graded_whatever_its_name(autograder: Path) -> None:
    results = run_autograder(autograder, {"homework/my_rnn.py": EXAMPLES / "partly_wrong.py"})
    assert 0 < results["score"] < 100
    assert {test["status"] for test in results["tests"]} == {"passed", "failed"}


def test_the_autograder_leaves_zero_points_when_the_grader_was_never_installed(bundle: Path, tmp_path: Path) -> None:
    with zipfile.ZipFile(bundle) as archive:
        script = Path(archive.extract("run_autograder", tmp_path / "source"))
    script.chmod(0o755)
    done = subprocess.run([str(script)], env={**os.environ, "AUTOGRADER_ROOT": str(tmp_path)}, capture_output=True,
                          text=True, timeout=60)
    results = json.loads((tmp_path / "results" / "results.json").read_text(encoding="utf-8"))
    jsonschema.validate(results, SCHEMA)
    assert results["score"] == 0 and "could not run (exit status 127)" in results["output"]
    assert "venv/bin/python" in done.stderr


def test_the_autograder_gives_zero_points_with_the_reason_when_the_grader_fails(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    failing = tmp_path / "failing-python"
    failing.write_text("#!/bin/sh\necho 'grade: the sandbox cannot start here' >&2\nexit 3\n", encoding="utf-8")
    failing.chmod(0o755)
    (tmp_path / "submission").mkdir()
    shutil.copyfile(EXAMPLES / "correct.py", tmp_path / "submission" / STUB.name)
    monkeypatch.setattr(sys, "executable", str(failing))
    gradescope_bundle.run_autograder("rnn_step_by_step", tmp_path)
    results = json.loads((tmp_path / "results" / "results.json").read_text(encoding="utf-8"))
    jsonschema.validate(results, SCHEMA)
    assert results["score"] == 0
    assert results["output"] == ("The autograder could not grade rnn_step_by_step.py: "
                                 "grade: the sandbox cannot start here")


def test_the_file_named_as_the_stub_is_graded_the_shallowest_and_with_the_stubs_suffix_first(tmp_path: Path) -> None:
    for name in ("a/rnn_step_by_step.py", "rnn_step_by_step.ipynb", "rnn_step_by_step.py", "helpers.py",
                 ".hidden/rnn_step_by_step.py", "__MACOSX/._rnn_step_by_step.py"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).touch()
    assert find_submission(tmp_path, STUB) == tmp_path / "rnn_step_by_step.py"
    (tmp_path / "rnn_step_by_step.py").unlink()
    assert find_submission(tmp_path, STUB) == tmp_path / "rnn_step_by_step.ipynb"
    assert find_submission(tmp_path, Path("rnn_step_by_step.ipynb")) == tmp_path / "rnn_step_by_step.ipynb"


def test_several_files_none_named_as_the_stub_are_listed_ten_at_most(tmp_path: Path) -> None:
    for name in ("a.py", "b.ipynb"):
        (tmp_path / name).touch()
    with pytest.raises(gradescope_bundle.SubmissionNotFound, match=r"; found a\.py, b\.ipynb\.$"):
        find_submission(tmp_path, STUB)
    for number in range(10):
        (tmp_path / f"c{number}.py").touch()
    with pytest.raises(gradescope_bundle.SubmissionNotFound, match=r"; found a\.py, b\.ipynb, c0\.py, .*, c7\.py "
                       r"and 2 more\.$"):
        find_submission(tmp_path, STUB)


@pytest.mark.parametrize(("arguments", "message"), [
    (["-a", "no_such_assignment"], "unknown assignment 'no_such_assignment'"),
    (["-a", "rnn_step_by_step", "-o", "missing/autograder.zip"], "folder missing does not exist"),
    (["-a", "rnn_step_by_step", "-o", "."], "it is a folder"),
    (["-a", "rnn_step_by_step", "-o", "/proc/autograder.zip"], "cannot write /proc/autograder.zip: "),
])
def test_a_bad_option_is_one_line_and_status_2(arguments: list[str], message: str, tmp_path: Path) -> None:
    done = grade_bundle(*arguments, cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.startswith("grade-bundle: error: ") and message in done.stderr
    assert done.stderr.count("\n") == 1


def test_a_grader_installed_from_a_wheel_cannot_bundle_itself(autograder: Path, tmp_path: Path) -> None:
    done = grade_bundle("-a", "rnn_step_by_step", "-o", tmp_path / "autograder.zip",
                        command=autograder / "venv" / "bin" / "grade-bundle")
    assert done.returncode == 3
    assert "is not a source checkout of the grader" in done.stderr and done.stderr.count("\n") == 1
    assert not list(tmp_path.iterdir())


def test_a_failed_wheel_build_says_why(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text("[project\n", encoding="utf-8")
    with pytest.raises(BundleError, match=r"cannot build the grader's wheel from .*project: .*Expected ']'"):
        build_wheel(tmp_path, project)
