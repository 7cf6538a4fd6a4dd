"""Report renderers: each turns a ``Report`` into the text of one output format."""

from __future__ import annotations

from collections.abc import Callable

from grader.formats.github import render_github
from grader.formats.gradescope import render_gradescope
from grader.formats.json_format import render_json
from grader.formats.junit import render_junit
from grader.formats.text import render_text
from grader.report import Report

Renderer = Callable[[Report, bool], str]
"""``render(report, color) -> text``; ``color`` asks for terminal colours where the format has any."""

RENDERERS: dict[str, Renderer] = {
    "text": render_text,
    "json": render_json,
    "gradescope": render_gradescope,
    "junit": render_junit,
    "github": render_github,
}
"""The formats of one report, by name."""

CSV = "csv"
"""The format of rows of submissions (``grader.formats.csv_format``): one row for one report, one per submission
for a batch; it needs the student ids, which a report does not hold."""
FORMATS = (*RENDERERS, CSV)
"""Every output format, for one submission."""
BATCH_FORMATS = ("text", "json", CSV)
"""The formats of a batch's output: its class summary (text, JSON), or one CSV row per submission."""
