"""Report renderers: each turns a ``Report`` into the text of one output format."""

from __future__ import annotations

from collections.abc import Callable

from grader.formats.json_format import render_json
from grader.formats.text import render_text
from grader.report import Report

Renderer = Callable[[Report, bool], str]
"""``render(report, color) -> text``; ``color`` asks for terminal colours where the format has any."""

RENDERERS: dict[str, Renderer] = {
    "text": render_text,
    "json": render_json,
}
