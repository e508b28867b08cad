"""Issue 16, item 5: ``energy-lake query``'s table view shows each numeric column at its kind's scale.

Money to the cent, MWh to 3 places, prices to 4, counts whole, ratios to 4 places, percentages to 2,
rounded half-up on the exact decimal; a column of no declared kind as the engine returned it. CSV and
JSON are pinned byte for byte as they were before the table view rounded anything: exact values.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D
from pathlib import Path

from energy_lake.cli.local_athena import LocalAthena, Result, render

# Kinds by name from src/sql/columns.yaml: bought_mwh MWh, purchase_cost money, avg_price price, trade_count count.
POSITIONS = Result(
    ["energy_type", "bought_mwh", "purchase_cost", "avg_price", "trade_count"],
    [
        ("hydro", D("3534.500"), D("458323.1000000"), D("129.6022"), 2),
        ("wind", D("-161.8505"), D("-912007.5050000"), D("-0.00005"), 0),  # ties: away from zero
        ("nuclear", D("0.004"), D("-0.0049999"), D("212.5"), None),  # a rounded zero has no sign
        (None, None, None, None, D("3")),
    ],
)
# Columns no kind is declared for: shown as the engine returned them.
UNDECLARED = Result(
    ["snapshot_id", "spread", "share", "day"],
    [(1234567890123456789, D("0.1234567"), 0.1 + 0.2, date(2026, 1, 5)), (None, D("-7.5000000"), None, None)],
)


def test_table_shows_each_kind_at_its_scale() -> None:
    assert render(POSITIONS, "table") == (
        "energy_type  bought_mwh  purchase_cost  avg_price  trade_count\n"
        "-----------  ----------  -------------  ---------  -----------\n"
        "hydro          3534.500      458323.10   129.6022            2\n"
        "wind           -161.851     -912007.51    -0.0001            0\n"
        "nuclear           0.004           0.00   212.5000\n"
        "                                                             3\n"
        "(4 rows; shown rounded half-up: MWh to 3 places, money to 2 places, prices to 4 places; "
        "exact: --format csv or json)"
    )


def test_table_ratios_and_percentages() -> None:
    shares = Result(
        ["entity", "purchase_share", "quarantine_pct"],
        [("a", D("0.249888"), 45.45), ("b", D("0.000050"), 1.005), ("c", D("1.000000"), 37.5), ("d", None, None)],
    )
    # 1.005 is a float (DuckDB's DOUBLE): read as the decimal 1.005, so half-up gives 1.01 (float rounding: 1.0).
    assert render(shares, "table") == (
        "entity  purchase_share  quarantine_pct\n"
        "------  --------------  --------------\n"
        "a               0.2499           45.45\n"
        "b               0.0001            1.01\n"
        "c               1.0000           37.50\n"
        "d\n"
        "(4 rows; shown rounded half-up: ratios to 4 places, percentages to 2 places; exact: --format csv or json)"
    )


def test_table_large_values() -> None:
    largest = Result(
        ["bought_mwh", "purchase_cost", "trade_count"],
        [
            (D("99999999999999999999999999999999999.999"), D("9999999999999999999999999999999.9999999"), 10**20),
            (D("-99999999999999999999999999999999999.999"), D("-9999999999999999999999999999999.9999999"), -1),
        ],
    )  # decimal(38,3) and decimal(38,7) at their largest: more digits than Python's default 28 of precision
    assert render(largest, "table") == (
        "bought_mwh                                purchase_cost                         trade_count\n"
        "----------------------------------------  ------------------------------------  ---------------------\n"
        " 99999999999999999999999999999999999.999   10000000000000000000000000000000.00  100000000000000000000\n"
        "-99999999999999999999999999999999999.999  -10000000000000000000000000000000.00                     -1\n"
        "(2 rows; shown rounded half-up: money to 2 places; exact: --format csv or json)"
    )


def test_table_padding_only_needs_no_note() -> None:
    exact = Result(["revenue", "quantity_mwh", "trades"], [(D("5"), D("1.5"), D("12"))])
    assert render(exact, "table") == (
        "revenue  quantity_mwh  trades\n-------  ------------  ------\n   5.00         1.500      12\n(1 row)"
    )
    assert render(Result(["revenue"], []), "table") == "revenue\n-------\n(0 rows)"


def test_table_columns_of_no_declared_kind_are_exact() -> None:
    assert render(UNDECLARED, "table") == (
        "snapshot_id          spread      share                day\n"
        "-------------------  ----------  -------------------  ----------\n"
        "1234567890123456789   0.1234567  0.30000000000000004  2026-01-05\n"
        "                     -7.5000000\n"
        "(2 rows)"
    )
    # With no declarations at all, a declared name is exact too.
    assert "458323.1000000" in render(POSITIONS, "table", kinds={})


def test_csv_is_exact_as_before() -> None:
    assert render(POSITIONS, "csv") == (
        "energy_type,bought_mwh,purchase_cost,avg_price,trade_count\n"
        "hydro,3534.500,458323.1000000,129.6022,2\n"
        "wind,-161.8505,-912007.5050000,-0.00005,0\n"
        "nuclear,0.004,-0.0049999,212.5,\n"
        ",,,,3"
    )
    assert render(UNDECLARED, "csv") == (
        "snapshot_id,spread,share,day\n1234567890123456789,0.1234567,0.30000000000000004,2026-01-05\n,-7.5000000,,"
    )


def test_json_is_exact_as_before() -> None:
    assert render(POSITIONS, "json") == "\n".join(
        [
            "[",
            " {",
            '  "energy_type": "hydro",',
            '  "bought_mwh": "3534.500",',
            '  "purchase_cost": "458323.1000000",',
            '  "avg_price": "129.6022",',
            '  "trade_count": 2',
            " },",
            " {",
            '  "energy_type": "wind",',
            '  "bought_mwh": "-161.8505",',
            '  "purchase_cost": "-912007.5050000",',
            '  "avg_price": "-0.00005",',
            '  "trade_count": 0',
            " },",
            " {",
            '  "energy_type": "nuclear",',
            '  "bought_mwh": "0.004",',
            '  "purchase_cost": "-0.0049999",',
            '  "avg_price": "212.5",',
            '  "trade_count": null',
            " },",
            " {",
            '  "energy_type": null,',
            '  "bought_mwh": null,',
            '  "purchase_cost": null,',
            '  "avg_price": null,',
            '  "trade_count": "3"',
            " }",
            "]",
        ]
    )
    assert render(UNDECLARED, "json") == "\n".join(
        [
            "[",
            " {",
            '  "snapshot_id": 1234567890123456789,',
            '  "spread": "0.1234567",',
            '  "share": 0.30000000000000004,',
            '  "day": "2026-01-05"',
            " },",
            " {",
            '  "snapshot_id": null,',
            '  "spread": "-7.5000000",',
            '  "share": null,',
            '  "day": null',
            " }",
            "]",
        ]
    )


def test_duckdb_values_through_the_three_formats(tmp_path: Path) -> None:
    """Values as DuckDB returns them (DECIMAL, BIGINT, HUGEINT, DOUBLE), from a lake with no table written."""
    result = LocalAthena(str(tmp_path)).query(
        "SELECT 'wind' AS energy_type, CAST('-912007.505' AS DECIMAL(38, 7)) AS gross_margin,"
        " CAST('161.8505' AS DECIMAL(38, 4)) AS net_position_mwh, SUM(CAST(2 AS BIGINT)) AS trades,"
        " ROUND(100.0 * 5 / 11, 2) AS quarantine_pct, CAST(NULL AS DECIMAL(18, 4)) AS price_spread"
    )
    assert render(result, "csv") == (
        "energy_type,gross_margin,net_position_mwh,trades,quarantine_pct,price_spread\n"
        "wind,-912007.5050000,161.8505,2,45.45,"
    )
    assert render(result, "json") == (
        '[\n {\n  "energy_type": "wind",\n  "gross_margin": "-912007.5050000",\n  "net_position_mwh": "161.8505",\n'
        '  "trades": 2,\n  "quarantine_pct": 45.45,\n  "price_spread": null\n }\n]'
    )
    assert result.types == ["VARCHAR", "DECIMAL(38,7)", "DECIMAL(38,4)", "HUGEINT", "DOUBLE", "DECIMAL(18,4)"]
    assert render(result, "table") == (
        "energy_type  gross_margin  net_position_mwh  trades  quarantine_pct  price_spread\n"
        "-----------  ------------  ----------------  ------  --------------  ------------\n"
        "wind           -912007.51           161.851       2           45.45\n"
        "(1 row; shown rounded half-up: money to 2 places, MWh to 3 places; exact: --format csv or json)"
    )
