"""The JSON report: the machine contract, as described by ``grader/schemas/report.schema.json``."""

from __future__ import annotations

import json

from grader.report import Report


def render_json(report: Report, color: bool = False) -> str:
    """The report as indented JSON, keys in the schema's order, ending in a newline."""
    return json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n"
