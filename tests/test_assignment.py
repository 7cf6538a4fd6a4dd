"""The authoring API's own logic: tolerance overrides by output path, totals, registry look-ups."""

from __future__ import annotations

import pytest

from grader.assignment import GradedFunction, Tolerance
from grader.registry import UnknownAssignment, assignment_names, load_assignment

DEFAULT = Tolerance()
LOOSE = Tolerance(rtol=1e-3)
LOOSER = Tolerance(rtol=1e-2)


@pytest.mark.parametrize(
    ("path", "tolerance"),
    [
        ("caches", LOOSE),
        ("caches[0][2]", LOOSE),
        ('gradients["dba"]', LOOSER),
        ('gradients["dbaa"]', DEFAULT),
        ("cachesx", DEFAULT),
        ("a", DEFAULT),
    ],
)
def test_the_longest_matching_override_wins_on_path_boundaries(path: str, tolerance: Tolerance) -> None:
    graded = GradedFunction(
        name="f", points=1, outputs=("a", "caches"), fixtures=(),
        tolerances={"caches": LOOSE, "gradients": DEFAULT, 'gradients["dba"]': LOOSER},
    )
    assert graded.tolerance_for(path, DEFAULT) == tolerance


def test_registered_assignment_totals_its_points() -> None:
    assert "rnn_step_by_step" in assignment_names()
    assignment = load_assignment("rnn_step_by_step")
    assert assignment.max_score == 100
    assert assignment.function("lstm_backward").points == 15


def test_unknown_assignments_name_the_known_ones() -> None:
    with pytest.raises(UnknownAssignment, match="available: .*rnn_step_by_step"):
        load_assignment("rnn")
