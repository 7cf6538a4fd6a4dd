"""The baseline's one option: ``--submission FILE``, the student file the tests import."""

from __future__ import annotations

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--submission", required=True, help="the student file to test")
