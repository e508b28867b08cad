"""The whole pipeline on the committed sample feeds, checked against an independent computation.

The oracle below reads the landing CSVs with the csv module and Decimal, using only the dialects and
bad records documented in data/landing_expectations.json (written by data/make_samples.py): none of
the pipeline's code. The pipeline's answers are read the way a user reads them, through the SQL in
src/sql and the local Athena engine.
"""

from __future__ import annotations

import csv
import io
import json
import unicodedata
from collections import Counter, defaultdict
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlglot

from energy_lake.cli.local_athena import LocalAthena, PermissionDenied
from energy_lake.cli.run import run_pipeline
from tests import lake_tables
from tests.golden import sample_lake
from tests.lake_content import TABLES, business_content

REPO = Path(__file__).resolve().parents[2]
LANDING = REPO / "data" / "landing"
SQL = REPO / "src" / "sql"
EXPECTED = json.loads((REPO / "data" / "landing_expectations.json").read_text(encoding="utf-8"))
CENT = Decimal("0.0001")
TRANSFORM_AND_ANALYTICS = tuple(t for t in TABLES if not t.startswith("raw."))

pytestmark = pytest.mark.spark


# ---------------------------------------------------------------- the independent oracle


def _plain(text: str) -> str:
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return " ".join(text.lower().split())


ENERGY = {
    "eolica": "wind",
    "eolico": "wind",
    "viento": "wind",
    "wind": "wind",
    "hidroelectrica": "hydro",
    "hidraulica": "hydro",
    "hidrica": "hydro",
    "hydro": "hydro",
    "nuclear": "nuclear",
}
SIDE = {"compra": "buy", "buy": "buy", "venta": "sell", "sell": "sell"}


def _column(header: list[str], *spellings: tuple[str, ...]) -> int | None:
    """Position of the first header cell containing all words of one of the spellings."""
    for words in spellings:
        for i, cell in enumerate(header):
            if all(w in _plain(cell) for w in words):
                return i
    return None


def _number(text: str, decimal_comma: bool) -> Decimal:
    text = text.strip()
    return Decimal(text.replace(".", "").replace(",", ".") if decimal_comma else text.replace(",", ""))


def oracle_trades() -> list[dict[str, Any]]:
    """Valid, deduplicated trades of data/landing, in ingest order."""
    bad = {(b["file"], b["record"]) for b in EXPECTED["bad_rows"]}
    trades, seen_ids = [], set()
    files = sorted(f for f, meta in EXPECTED["files"].items() if meta["entity"] == "transactions")
    for rel in sorted(files, key=lambda f: (f.split("/")[1], f)):
        dialect = EXPECTED["files"][rel]["dialect"]
        raw = (LANDING / rel).read_bytes()
        text = raw.decode("utf-8-sig", errors="replace") if dialect["encoding"] == "UTF-8" else raw.decode("cp1252")
        records = [r for r in csv.reader(io.StringIO(text, newline=""), delimiter=dialect["delimiter"]) if r]
        header = records[0]
        cols = {
            "side": _column(header, ("tip", "trans"), ("transaction", "type")),
            "qty": _column(header, ("cantidad",), ("quantity",)),
            "price": _column(header, ("precio",), ("price",)),
            "energy": _column(header, ("energ",)),
            "id": _column(header, ("id trans",), ("transaction", "id")),
        }
        for number, record in enumerate(records[1:], start=2):
            if (rel, number) in bad:
                continue
            trade_id = record[cols["id"]].strip() if cols["id"] is not None else ""
            if trade_id and trade_id in seen_ids:
                continue  # the first ingested wins
            seen_ids.add(trade_id)
            qty = _number(record[cols["qty"]], dialect["decimal_comma"])  # type: ignore[index]
            price = _number(record[cols["price"]], dialect["decimal_comma"])  # type: ignore[index]
            trades.append(
                {
                    "date": rel.split("/")[1].split("=")[1],
                    "side": SIDE[_plain(record[cols["side"]])],  # type: ignore[index]
                    "energy": ENERGY[_plain(record[cols["energy"]])],  # type: ignore[index]
                    "qty": qty,
                    "amount": qty * price,
                }
            )
    return trades


def _avg(amount: Decimal, qty: Decimal) -> Decimal | None:
    return (amount / qty).quantize(CENT, rounding=ROUND_HALF_UP) if qty else None


# ---------------------------------------------------------------- the pipeline, once


@pytest.fixture
def lake(sample_lake: Path) -> Path:
    """The session's sample lake (``conftest.sample_lake``): these tests only read it."""
    return sample_lake


def _answer(lake: Path, name: str, persona: str | None = None) -> list[tuple[Any, ...]]:
    return LocalAthena(str(lake), persona).query((SQL / f"{name}.sql").read_text(encoding="utf-8")).rows


def test_manifest_accounts_for_every_landing_row(lake: Path) -> None:
    doc = json.loads((lake.parent / "manifest.json").read_text(encoding="utf-8"))
    assert doc["status"] == "succeeded"
    for entity, expected in EXPECTED["entities"].items():
        got = doc["entities"][entity]
        assert {k: got[k] for k in expected} == expected, entity
        assert got["rows_read"] == got["rows_valid"] + got["rows_quarantined"]
    per_file = {f: s for e in doc["entities"].values() for f, s in e["per_file"].items()}
    assert {f: (s["rows_read"], s["rows_valid"], s["rows_quarantined"]) for f, s in per_file.items()} == {
        f: (m["rows_read"], m["rows_valid"], m["rows_quarantined"]) for f, m in EXPECTED["files"].items()
    }


def test_volume_and_price_per_energy_type_and_day(lake: Path) -> None:
    groups: dict[tuple[str, str, str], list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0), Decimal(0)])
    for t in oracle_trades():
        g = groups[(t["date"], t["energy"], t["side"])]
        g[0] += 1
        g[1] += t["qty"]
        g[2] += t["amount"]
    expected = [
        (key[0], key[1], key[2], int(n), qty, _avg(amount, qty)) for key, (n, qty, amount) in sorted(groups.items())
    ]
    got = [(str(r[0]), *r[1:]) for r in _answer(lake, "volume_and_price_by_energy_type_per_day", "analyst")]
    assert got == expected


def _per_energy() -> dict[str, dict[str, Decimal]]:
    out: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for t in oracle_trades():
        out[t["energy"]][f"{t['side']}_qty"] += t["qty"]
        out[t["energy"]][f"{t['side']}_amount"] += t["amount"]
    return out


def test_gross_margin_and_net_position(lake: Path) -> None:
    expected = [
        (
            e,
            v["buy_qty"],
            v["sell_qty"],
            v["buy_qty"] - v["sell_qty"],
            v["buy_amount"],
            v["sell_amount"],
            v["sell_amount"] - v["buy_amount"],
        )
        for e, v in sorted(_per_energy().items())
    ]
    assert _answer(lake, "margin_and_net_position_by_energy_type", "analyst") == expected


def test_buy_sell_price_spread(lake: Path) -> None:
    expected = []
    for e, v in sorted(_per_energy().items()):
        buy, sell = _avg(v["buy_amount"], v["buy_qty"]), _avg(v["sell_amount"], v["sell_qty"])
        expected.append((e, buy, sell, None if buy is None or sell is None else sell - buy))
    assert _answer(lake, "buy_sell_price_spread_by_energy_type", "analyst") == expected


def test_quarantine_rate_per_feed_and_day(lake: Path) -> None:
    counts: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for rel, meta in EXPECTED["files"].items():
        key = (meta["entity"], rel.split("/")[1].split("=")[1])
        counts[key][0] += meta["rows_valid"]
        counts[key][1] += meta["rows_quarantined"]
    expected = [
        (entity, day, valid, bad, round(100.0 * bad / (valid + bad), 2))
        for (entity, day), (valid, bad) in sorted(counts.items())
    ]
    got = [(r[0], str(r[1]), r[2], r[3], float(r[4])) for r in _answer(lake, "quarantine_rate_per_feed_and_day")]
    assert got == expected


def test_quarantine_reasons(lake: Path) -> None:
    counts: dict[tuple[str, str, str], int] = defaultdict(int)
    for bad in EXPECTED["bad_rows"]:
        counts[(bad["file"].split("/")[0], bad["file"].split("/")[1].split("=")[1], bad["rule"])] += 1
    got = {(r[0], str(r[1]), r[2]): r[3] for r in _answer(lake, "quarantine_reasons")}
    assert got == counts


def test_every_sql_file_parses_as_athena_and_runs(lake: Path) -> None:
    analyst_only = {"quarantine_rate_per_feed_and_day", "quarantine_reasons", "unresolved_counterparties"}
    files = sorted(SQL.glob("*.sql"))
    assert len(files) >= 8
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert text.startswith("-- Question: "), path.name
        sqlglot.parse_one(text, read="athena")
        persona = "data_engineer" if path.stem in analyst_only else "analyst"
        assert LocalAthena(str(lake), persona).query(text).columns, path.name


def test_analyst_sees_no_personal_data(lake: Path) -> None:
    analyst = LocalAthena(str(lake), "analyst")
    with pytest.raises(PermissionDenied, match=r"column transform.customers.customer_name"):
        analyst.query("SELECT customer_name FROM transform.customers")
    with pytest.raises(PermissionDenied, match=r"column transform.transactions.counterparty_name"):
        analyst.query("SELECT t.counterparty_name FROM energy_dev_transform.transactions t")
    for table in ("raw.transactions", "raw.quarantine"):
        with pytest.raises(PermissionDenied, match=f"table {table}"):
            analyst.query(f"SELECT count(*) FROM {table}")
    columns = analyst.query("SELECT * FROM transform.customers").columns
    assert "customer_name" not in columns and "id_number" not in columns
    assert {"customer_key", "city", "id_type"} <= set(columns)
    engineer = LocalAthena(str(lake), "data_engineer")
    names = [r[0] for r in engineer.query("SELECT customer_name FROM transform.customers").rows]
    assert names and all(n.startswith("tok_") for n in names)  # tokens even for engineers


def test_every_table_holds_what_was_recorded(lake: Path) -> None:
    """Each table, every column, both ways, against tests/golden/sample_lake.json (issue 15: a faster pipeline
    holds the same rows). Before the re-run test below, which adds quality results."""
    got, want = sample_lake.content(lake), sample_lake.recorded()
    assert sorted(got) == sorted(want)
    for table in want:
        missing = Counter(map(tuple, want[table])) - Counter(map(tuple, got[table]))
        added = Counter(map(tuple, got[table])) - Counter(map(tuple, want[table]))
        assert not missing and not added, f"{table}: missing {sorted(missing)[:3]}, added {sorted(added)[:3]}"
    assert sum(len(rows) for rows in want.values()) == 273


def test_rerun_and_reprocess_change_nothing(spark: Any, tmp_path: Path) -> None:
    lake = tmp_path / "lake"  # its own: this test writes (the shared sample lake is read-only)
    assert (
        run_pipeline(lake_dir=str(lake), landing_dir=str(LANDING), through="analytics", reprocess=[], summary_json=None)
        == 0
    )
    before = business_content(lake, TRANSFORM_AND_ANALYTICS)
    snapshots_before = lake_tables.snapshots(spark, lake)
    assert (
        run_pipeline(lake_dir=str(lake), landing_dir=str(LANDING), through="analytics", reprocess=[], summary_json=None)
        == 0
    )
    assert lake_tables.snapshots(spark, lake) == snapshots_before  # not one new commit
    assert (
        run_pipeline(
            lake_dir=str(lake),
            landing_dir=str(LANDING),
            through="analytics",
            reprocess=["2026-01-05", "2026-01-06"],
            summary_json=None,
        )
        == 0
    )
    moved = {t for t, s in lake_tables.snapshots(spark, lake).items() if snapshots_before.get(t) != s}
    assert {"raw.transactions", "transform.transactions", "analytics.daily_energy_summary"} <= moved
    after = business_content(lake, TRANSFORM_AND_ANALYTICS)
    assert after == before
    assert sum(len(rows) for rows in before.values()) > 100
