"""``src/sql/columns.yaml``: every numeric column the lake and its queries return has a declared kind.

The queries run on a lake with no table written (every table an empty view of its contract's columns),
so DuckDB reports each result column's type without Spark. A new query in ``src/sql`` returning a
numeric column the file does not list fails here, as does a listed name nothing returns any more.
"""

from __future__ import annotations

import re
from decimal import Decimal as D
from pathlib import Path
from typing import Any

import pytest

from energy_lake.cli.display import KINDS, column_kinds, parse_columns, rounded
from energy_lake.cli.local_athena import LocalAthena
from energy_lake.etl.lake.tables import specs
from energy_lake.etl.model.errors import LakeError

SQL = Path(__file__).resolve().parents[2] / "src" / "sql"
INTEGER = re.compile(r"(?i)u?(tiny|small|big|huge)?int(eger)?|long|short|byte")
FRACTIONAL = re.compile(r"(?i)decimal\(\d+, ?\d+\)|double|float|real")
WHOLE = {"count", "exact"}  # kinds of integer columns; every other kind holds decimals


@pytest.fixture(scope="module")
def query_columns(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[tuple[str, str]]]:
    """Each query file's result columns and DuckDB types."""
    athena = LocalAthena(str(tmp_path_factory.mktemp("empty_lake")))
    out = {}
    for path in sorted(SQL.glob("*.sql")):
        result = athena.query(path.read_text(encoding="utf-8"))
        out[path.name] = list(zip(result.columns, result.types, strict=True))
    assert len(out) >= 9
    return out


def lake_columns() -> dict[str, list[tuple[str, str]]]:
    return {t: [(f.name, f.dataType.simpleString()) for f in s.schema.fields] for t, s in specs().items()}


def numeric(type_name: str) -> bool:
    return bool(INTEGER.fullmatch(type_name) or FRACTIONAL.fullmatch(type_name))


def test_every_numeric_result_column_of_every_query_has_a_kind(query_columns: dict[str, Any]) -> None:
    missing = [
        f"{file}: {name} {type_name}"
        for file, columns in query_columns.items()
        for name, type_name in columns
        if numeric(type_name) and name not in column_kinds()
    ]
    assert not missing, f"add these result columns to src/sql/columns.yaml under their kind: {missing}"


def test_every_numeric_lake_column_has_a_kind() -> None:
    missing = [
        f"{table}.{name} {type_name}"
        for table, columns in lake_columns().items()
        for name, type_name in columns
        if numeric(type_name) and name not in column_kinds()
    ]
    assert not missing, f"add these columns to src/sql/columns.yaml under their kind: {missing}"


def test_each_kind_fits_the_columns_type(query_columns: dict[str, Any]) -> None:
    """A count is an integer and money, MWh or a price a decimal, wherever the name is a number.

    (The raw zone keeps values as sent, as strings: a string is always shown as stored.)
    """
    wrong = [
        f"{where}: {name} is {type_name} but declared {column_kinds()[name].name}"
        for where, columns in {**query_columns, **lake_columns()}.items()
        for name, type_name in columns
        if name in column_kinds()
        and numeric(type_name)
        and not (INTEGER if column_kinds()[name].name in WHOLE else FRACTIONAL).fullmatch(type_name)
    ]
    assert not wrong


def test_every_declared_name_is_returned_somewhere(query_columns: dict[str, Any]) -> None:
    returned = {name for columns in (*query_columns.values(), *lake_columns().values()) for name, _ in columns}
    assert not set(column_kinds()) - returned, "names no table or query returns: remove them from columns.yaml"


def test_a_name_has_one_kind_and_kinds_are_known() -> None:
    assert parse_columns({"money": ["revenue"], "count": ["trades"]}) == {
        "revenue": KINDS["money"],
        "trades": KINDS["count"],
    }
    with pytest.raises(LakeError, match="column 'revenue' is listed as money and as price"):
        parse_columns({"money": ["revenue"], "price": ["revenue"]})
    with pytest.raises(LakeError, match="unknown kind 'currency'"):
        parse_columns({"currency": ["revenue"]})
    with pytest.raises(LakeError, match="money must list column names"):
        parse_columns({"money": "revenue"})


@pytest.mark.parametrize(
    ("value", "kind", "shown", "changed"),
    [
        (D("0.125"), "money", "0.13", True),  # half-up, not half-even (0.12)
        (D("0.135"), "money", "0.14", True),
        (D("-0.125"), "money", "-0.13", True),  # ties away from zero, as Athena's round()
        (D("-0.0049999"), "money", "0.00", True),  # no "-0.00"
        (D("2.5"), "count", "3", True),
        (D("12"), "count", "12", False),
        (7, "money", "7.00", False),
        (0.125, "percent", "0.13", True),  # the float 0.125 is exact: half-up on the decimal
        (1.005, "percent", "1.01", True),  # the float's repr, not its binary value (1.00499999...)
        (D("212.5"), "price", "212.5000", False),  # padding only: not a change
        (D("1.23456789"), "mwh", "1.235", True),
        (D("0.0000500"), "ratio", "0.0001", True),
    ],
)
def test_rounding_is_half_up_on_the_decimal(value: Any, kind: str, shown: str, changed: bool) -> None:
    out = rounded(value, KINDS[kind])
    assert out is not None
    assert (format(out[0], "f"), out[1]) == (shown, changed)


@pytest.mark.parametrize("value", [None, "12.5", True, float("nan"), float("inf"), D("NaN"), D("-Infinity")])
def test_what_is_not_a_finite_number_is_shown_as_stored(value: Any) -> None:
    assert rounded(value, KINDS["money"]) is None


def test_exact_and_undeclared_are_shown_as_stored() -> None:
    assert rounded(D("1.23456789"), KINDS["exact"]) is None
    assert rounded(D("1.23456789"), None) is None
