"""Prints what the property tests tried (tests/property/tally.py) at the end of a session that ran them."""

from __future__ import annotations

from typing import Any

from tests.property.tally import SESSION


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if SESSION.examples:
        for line in SESSION.lines():
            terminalreporter.write_line(line)
