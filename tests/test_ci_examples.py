"""The GitHub Classroom workflow of ``examples/ci``: its structure, then a run of it here. Its ``run:`` steps run in
order with bash, as GitHub's runner runs them (``bash --noprofile --norc -eo pipefail``, in the workspace, with the
workflow's, job's and step's ``env:`` and the variables the runner sets), ``vars.GRADER_PACKAGE`` being a wheel of
this project built here. The actions it uses are stood in for: ``actions/checkout`` by a workspace already holding
the repository's files, ``actions/setup-python`` by a fresh virtual environment first on ``PATH``, which sees this
environment's packages, the grader's own aside, so that installing the wheel downloads nothing."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from fresh_python import fresh_python, link_dependencies

from grader.registry import load_assignment
from grader.wheels import build_wheel

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "rnn_step_by_step"
WORKFLOW = ROOT / "examples" / "ci" / "github-classroom" / ".github" / "workflows" / "grade.yml"
BASH = ["bash", "--noprofile", "--norc", "-eo", "pipefail"]
"""How GitHub's runner runs a ``run:`` step whose shell is ``bash``."""
PINNED_ACTION = re.compile(r"^(?P<action>[\w.-]+/[\w.-]+)@v\d+$")
EXPRESSION = re.compile(r"\$\{\{\s*(?P<expression>.*?)\s*\}\}")
SCORE = re.compile(r"^::notice title=rnn_step_by_step::Score: (?P<score>[\d.]+) / 100$", re.MULTILINE)


def load_workflow() -> dict[Any, Any]:
    workflow: dict[Any, Any] = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    return workflow


def triggers(workflow: dict[Any, Any]) -> dict[str, Any]:
    """The ``on:`` section: YAML 1.1, as PyYAML reads it, takes the key ``on`` for the boolean true."""
    section: dict[str, Any] = workflow[True]
    return section


def only_job(workflow: dict[Any, Any]) -> dict[str, Any]:
    (job,) = workflow["jobs"].values()
    return dict(job)


@dataclass(frozen=True)
class StepRun:
    name: str
    returncode: int
    stdout: str
    stderr: str
    summary: str
    """What the step appended to its ``$GITHUB_STEP_SUMMARY``."""


def test_the_workflow_grades_on_push_and_on_demand_with_actions_pinned_to_a_major_version() -> None:
    workflow = load_workflow()
    assert set(triggers(workflow)) == {"push", "workflow_dispatch"}
    assert workflow["defaults"]["run"]["shell"] == "bash"
    environment = workflow["env"]
    stub = load_assignment(environment["ASSIGNMENT"]).stub
    assert Path(environment["SUBMISSION"]).stem == stub.stem
    assert 0 < float(environment["MIN_SCORE"]) <= 100
    steps = only_job(workflow)["steps"]
    actions = [PINNED_ACTION.fullmatch(step["uses"]) for step in steps if "uses" in step]
    assert [match.group("action") if match else None for match in actions] == [
        "actions/checkout", "actions/setup-python"]
    (setup_python,) = [step for step in steps if step.get("uses", "").startswith("actions/setup-python@")]
    assert setup_python["with"]["python-version"] == "3.11"
    runs = [step["run"] for step in steps if "run" in step]
    assert len(runs) == 2 and not any("${{" in run for run in runs)
    assert all(("uses" in step) != ("run" in step) and set(step) <= {"name", "uses", "with", "run", "env"}
               for step in steps)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_wheel(tmp_path_factory.mktemp("wheel"))


@pytest.fixture(scope="module")
def dependencies(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return link_dependencies(tmp_path_factory.mktemp("dependencies"))


def evaluate(values: Mapping[str, Any], variables: Mapping[str, str]) -> dict[str, str]:
    """An ``env:`` section with its ``${{ vars.NAME }}`` expressions replaced (an unset variable is empty, as on
    GitHub); any other expression fails the test."""
    def value(match: re.Match[str]) -> str:
        expression = match.group("expression")
        assert expression.startswith("vars."), f"no stand-in for the expression {expression!r}"
        return variables.get(expression.removeprefix("vars."), "")
    return {name: EXPRESSION.sub(value, str(text)) for name, text in values.items()}


def run_workflow(tmp_path: Path, submission: Path, variables: Mapping[str, str], dependencies: Path) -> list[StepRun]:
    """Run the workflow on a repository holding ``submission`` under the name it expects, until a step fails (GitHub
    skips the steps after it); the runs of its ``run:`` steps."""
    workflow = load_workflow()
    job = only_job(workflow)
    workspace, runner_temp = tmp_path / "workspace", tmp_path / "runner_temp"
    workspace.mkdir()
    runner_temp.mkdir()
    environment = {name: value for name, value in os.environ.items() if not name.startswith(("GITHUB_", "RUNNER_"))}
    environment.update(CI="true", GITHUB_ACTIONS="true", GITHUB_WORKSPACE=str(workspace), RUNNER_TEMP=str(runner_temp))
    environment.update(evaluate(workflow.get("env", {}), variables))
    environment.update(evaluate(job.get("env", {}), variables))
    runs = []
    for number, step in enumerate(job["steps"], start=1):
        if "uses" in step:
            action = step["uses"].partition("@")[0]
            if action == "actions/checkout":
                shutil.copyfile(submission, workspace / environment["SUBMISSION"])
            elif action == "actions/setup-python":
                python_bin = fresh_python(tmp_path / "python", dependencies)
                environment["PATH"] = f"{python_bin}{os.pathsep}{environment['PATH']}"
            else:
                pytest.fail(f"no stand-in for the action {action}")
            continue
        summary, script = runner_temp / f"step_summary_{number}", runner_temp / f"step_{number}.sh"
        summary.touch()
        script.write_text(step["run"], encoding="utf-8")
        step_environment = {**environment, **evaluate(step.get("env", {}), variables),
                            "GITHUB_STEP_SUMMARY": str(summary)}
        done = subprocess.run([*BASH, str(script)], cwd=workspace, env=step_environment, capture_output=True,
                              text=True, timeout=300)
        runs.append(StepRun(step["name"], done.returncode, done.stdout, done.stderr,
                            summary.read_text(encoding="utf-8")))
        if done.returncode != 0:
            break
    return runs


def test_a_correct_submission_passes_with_its_score_in_the_job_summary(
        tmp_path: Path, wheel: Path, dependencies: Path) -> None:
    install, grade = run_workflow(tmp_path, EXAMPLES / "correct.py", {"GRADER_PACKAGE": str(wheel)}, dependencies)
    assert install.returncode == 0, install.stderr
    assert "Successfully installed numpy-grader-" in install.stdout
    assert grade.returncode == 0, grade.stderr
    assert grade.summary.startswith("### rnn_step_by_step: 100 / 100 points")
    assert "::error" not in grade.stdout
    assert SCORE.search(grade.stdout)


def test_a_submission_below_min_score_fails_the_grade_step_with_annotations_and_its_summary(
        tmp_path: Path, wheel: Path, dependencies: Path) -> None:
    install, grade = run_workflow(tmp_path, EXAMPLES / "partly_wrong.py", {"GRADER_PACKAGE": str(wheel)},
                                  dependencies)
    assert install.returncode == 0, install.stderr
    assert grade.returncode == 1, grade.stderr
    found = SCORE.search(grade.stdout)
    assert found and float(found["score"]) < float(load_workflow()["env"]["MIN_SCORE"])
    assert grade.summary.startswith(f"### rnn_step_by_step: {found['score']} / 100 points")
    assert re.search(r"^::error file=rnn_step_by_step\.py,line=\d+,title=rnn_cell_backward%3A 0 / 15 points::",
                     grade.stdout, re.MULTILINE)


def test_without_the_grader_package_variable_the_install_step_says_what_to_set(
        tmp_path: Path, dependencies: Path) -> None:
    (install,) = run_workflow(tmp_path, EXAMPLES / "correct.py", {}, dependencies)
    assert install.returncode == 1
    assert install.stdout.startswith("::error title=Grader not configured::Set the variable GRADER_PACKAGE")
