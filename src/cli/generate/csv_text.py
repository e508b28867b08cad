"""CSV text as the generated feeds write it: comma-separated, ``\\n`` line ends, fields quoted only when needed."""

from __future__ import annotations

import csv
import random
from collections.abc import Sequence


def field(value: str) -> str:
    """One CSV field: quoted when it holds the delimiter, a quote or a line break."""
    if any(ch in value for ch in ',"\n\r'):
        return '"' + value.replace('"', '""') + '"'
    return value


def line(fields: Sequence[str]) -> str:
    """One record, line end included."""
    return ",".join(field(f) for f in fields) + "\n"


def parse(text: str) -> list[str]:
    """The fields of one record written by ``line``."""
    return next(csv.reader([text]))


def decimal_text(value: float, max_decimals: int, rnd: random.Random) -> str:
    """``value`` with 0..max_decimals places, trailing zeros dropped (as feeds write numbers)."""
    text = f"{value:.{rnd.randint(0, max_decimals)}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text
