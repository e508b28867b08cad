"""How the table view of ``energy-lake query`` shows numbers: each column at the scale its kind is read at.

A column's kind (money, MWh, price, count, ...) comes from its name, declared once for the lake's tables
and the queries of ``src/sql`` in ``src/sql/columns.yaml`` (one name, one meaning; a unit test fails on
a numeric column that file does not list). A column whose name is not there is shown exactly, as the
engine returned it.

Rounding is for reading only and happens on the exact ``Decimal`` (a float is first read as the decimal
its shortest repr spells, never rounded as a binary float), ROUND_HALF_UP: ties away from zero, as
Athena's and Spark's ``round()`` and the marts' own averages round, so the table shows what
``round(x, 2)`` in Athena would. A rounded zero is shown without a sign. ``--format csv`` and
``--format json`` never go through here: they print every value exactly.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Context, Decimal
from importlib import resources
from typing import Any

import yaml

from energy_lake.etl.model.errors import LakeError

COLUMNS_FILE = ("sql", "columns.yaml")  # inside the energy_lake package (src/)


@dataclass(frozen=True)
class Kind:
    """What a column's numbers are, and how many decimal places the table view shows (None: as stored)."""

    name: str
    places: int | None
    label: str  # for the table's footer: "money to 2 places"

    def describe(self) -> str:
        if self.places == 0:
            return f"{self.label} to whole numbers"
        return f"{self.label} to {self.places} place{'s' if self.places != 1 else ''}"


KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        Kind("money", 2, "money"),
        Kind("mwh", 3, "MWh"),
        Kind("mw", 3, "MW"),
        Kind("price", 4, "prices"),
        Kind("count", 0, "counts"),
        Kind("ratio", 4, "ratios"),
        Kind("percent", 2, "percentages"),
        Kind("exact", None, "exact"),
    )
}


def parse_columns(doc: Any, where: str = "src/sql/columns.yaml") -> dict[str, Kind]:
    """Column name -> kind, from the document ``{kind: [column, ...]}``; a name under two kinds is refused."""
    if not isinstance(doc, dict):
        raise LakeError(f"{where}: expected a mapping of kind -> column names")
    out: dict[str, Kind] = {}
    for kind, names in doc.items():
        if kind not in KINDS:
            raise LakeError(f"{where}: unknown kind {kind!r}; expected one of {', '.join(KINDS)}")
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise LakeError(f"{where}: {kind} must list column names")
        for name in names:
            if name in out:
                raise LakeError(f"{where}: column {name!r} is listed as {out[name].name} and as {kind}")
            out[name] = KINDS[kind]
    return out


@functools.cache
def column_kinds() -> dict[str, Kind]:
    """The declared kind of each numeric column name (``src/sql/columns.yaml``)."""
    file = resources.files("energy_lake").joinpath(*COLUMNS_FILE)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise LakeError(f"no {'/'.join(COLUMNS_FILE)} in the energy_lake package: reinstall it") from None
    return parse_columns(yaml.safe_load(text))


def _decimal(value: Any) -> Decimal | None:
    """The exact decimal of a finite number (a float as its repr spells it); None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value)) if math.isfinite(value) else None
    return None


def rounded(value: Any, kind: Kind | None) -> tuple[Decimal, bool] | None:
    """The value at the kind's scale, half-up, and whether that changed the number; None: show it as stored."""
    exact = _decimal(value)
    if exact is None or kind is None or kind.places is None:
        return None
    digits = max(exact.adjusted() + 1, 1) + kind.places + 2  # never short of precision (a 38-digit decimal)
    shown = exact.quantize(Decimal(1).scaleb(-kind.places), rounding=ROUND_HALF_UP, context=Context(prec=digits))
    if shown.is_zero():
        shown = shown.copy_abs()  # -0.004 money is 0.00, not -0.00
    return shown, shown != exact


def footer_note(kinds: Mapping[str, Kind]) -> str:
    """The footer's note on the kinds that lost digits: '; shown rounded half-up: money to 2 places; ...'."""
    if not kinds:
        return ""
    return f"; shown rounded half-up: {', '.join(k.describe() for k in kinds.values())}; exact: --format csv or json"
