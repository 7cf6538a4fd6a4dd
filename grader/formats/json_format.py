"""The JSON report: the machine contract, as described by ``grader/schemas/report.schema.json``."""

from __future__ import annotations

import json
from typing import Any

from grader.report import Report


def render_json(report: Report, color: bool = False) -> str:
    """The report as indented JSON, keys in the schema's order, ending in a newline."""
    return dump_report(report.to_dict())


def dump_report(data: dict[str, Any]) -> str:
    """A report already in its JSON form (``Report.to_dict()``, or as the gradebook stored it) as text."""
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
