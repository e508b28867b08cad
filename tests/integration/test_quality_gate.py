"""Stop-on-fail through ``run_pipeline``: a broken ``fail`` rule stops its entity's promotion, says so in the
terminal and the manifest, exits 3, and the results are queryable in analytics.quality_results."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from energy_lake.cli.local_athena import LocalAthena
from energy_lake.cli.run import QUALITY_STOPPED, run_pipeline
from energy_lake.etl.quality import rules as quality
from tests import lake_tables

pytestmark = pytest.mark.spark

DAY = "2026-01-05"
FEEDS = {
    "providers": "provider_name,energy_type\nEolo Norte,eolica\nHidro Sur,hydro\n",
    "customers": "id_type,id_number,customer_name,city\nCC,1010,Ana Ruiz,Bogota\n",
    # T2 sent twice on one day; one sell to a customer nobody knows.
    "transactions": (
        "transaction_id,transaction_type,counterparty_name,quantity,price,energy_type\n"
        "T1,buy,Eolo Norte,10,100,wind\n"
        "T2,sell,Ana Ruiz,4,150,wind\n"
        "T2,sell,Ana Ruiz,4,150,wind\n"
        "T3,sell,Nadie,1,150,hydro\n"
    ),
}


def write_tiny_landing(root: Path) -> Path:
    """Three small feeds on one day: valid rows, a repeated trade id, an unknown customer."""
    for entity, text in FEEDS.items():
        folder = root / entity / f"ingest_date={DAY}"
        folder.mkdir(parents=True)
        (folder / f"{entity}.csv").write_text(text, encoding="utf-8")
    return root


def with_severity(monkeypatch: pytest.MonkeyPatch, rule_id: str, severity: str) -> None:
    rules = tuple(dataclasses.replace(r, severity=severity) if r.id == rule_id else r for r in quality.load_rules())
    monkeypatch.setattr(quality, "load_rules", lambda: rules)


def run(tmp_path: Path, lake: Path, through: str = "analytics") -> tuple[int, dict[str, Any]]:
    summary = tmp_path / f"{lake.name}-{through}.json"
    code = run_pipeline(
        lake_dir=str(lake),
        landing_dir=str(tmp_path / "landing"),
        through=through,
        reprocess=[],
        summary_json=str(summary),
    )
    return code, json.loads(summary.read_text(encoding="utf-8"))


def tables(spark: Any, lake: Path) -> set[str]:
    """Data tables holding at least one commit (the state tables aside)."""
    return set(lake_tables.snapshots(spark, lake)) - {"raw.ingest_log", "analytics.build_log"}


def test_a_failing_raw_rule_stops_raw_to_transform_for_its_entity_only(
    spark: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write_tiny_landing(tmp_path / "landing")
    with_severity(monkeypatch, "transactions.key_unique_per_day", "fail")
    lake = tmp_path / "raw-gate"
    code, doc = run(tmp_path, lake, through="transform")
    assert code == QUALITY_STOPPED == 3
    assert doc["status"] == "needs_attention"
    assert [(s["entity"], s["hop"], s["rules"]) for s in doc["quality"]["stopped"]] == [
        ("transactions", "raw_to_transform", ["transactions.key_unique_per_day"])
    ]
    assert doc["transform"]["transactions"] == {"rows": 0, "dates": [], "rebuilt": False, "stopped": True}
    assert doc["transform"]["providers"]["rebuilt"] is True
    assert {"transform.providers", "transform.customers", "raw.transactions"} <= tables(spark, lake)
    assert "transform.transactions" not in tables(spark, lake)
    out = capsys.readouterr().out
    assert (
        "STOPPED transactions: raw -> transform stopped by transactions.key_unique_per_day "
        "(broken: 1 of 4 duplicate ingest_date/transaction_id rows); transform.transactions not updated"
    ) in out
    assert "FAIL  transactions.key_unique_per_day: broken: 1 of 4 duplicate ingest_date/transaction_id rows" in out
    rows = LocalAthena(str(lake), "data_engineer").query(
        "SELECT rule, outcome, violations FROM analytics.quality_results WHERE outcome <> 'pass' ORDER BY rule"
    )
    assert rows.rows == [
        ("customers.freshness", "warn", 1),
        ("providers.freshness", "warn", 1),
        ("transactions.freshness", "warn", 1),
        ("transactions.key_unique_per_day", "fail", 1),
    ]


def test_a_failing_transform_rule_stops_the_marts_until_it_passes(
    spark: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_tiny_landing(tmp_path / "landing")
    lake = tmp_path / "transform-gate"
    with monkeypatch.context() as patched:
        with_severity(patched, "transactions.sell_counterparty_is_customer", "fail")
        code, doc = run(tmp_path, lake)
    assert code == 3
    assert [(s["entity"], s["hop"], s["rules"]) for s in doc["quality"]["stopped"]] == [
        ("transactions", "transform_to_analytics", ["transactions.sell_counterparty_is_customer"])
    ]
    assert {k: v["rebuilt"] for k, v in doc["analytics"].items()} == dict.fromkeys(doc["analytics"], False)
    assert "transform.transactions" in tables(spark, lake)
    assert {t for t in tables(spark, lake) if t.startswith("analytics.")} == {"analytics.quality_results"}  # no mart
    failed = [r for r in doc["quality"]["results"] if r["outcome"] == "fail"]
    assert [(r["rule"], r["rows_checked"], r["violations"], r["pass_rate"]) for r in failed] == [
        ("transactions.sell_counterparty_is_customer", 3, 1, "0.666667")
    ]
    # The same data with the rule back at warn: the marts are built on the next run, nothing else redone.
    code, doc = run(tmp_path, lake)
    assert code == 0 and doc["status"] == "succeeded" and doc["quality"]["stopped"] == []
    assert doc["analytics"]["daily_energy_summary"] == {"rows": 3, "rebuilt": True, "dates": 1}
    assert doc["quality"]["warnings"] == 1 and doc["quality"]["failures"] == 0
    runs = LocalAthena(str(lake), "data_engineer").query(
        "SELECT run_id, outcome, COUNT(*) FROM analytics.quality_results "
        "WHERE rule = 'transactions.sell_counterparty_is_customer' GROUP BY run_id, outcome ORDER BY run_id"
    )
    assert [r[1:] for r in runs.rows] == [("fail", 1), ("warn", 1)]
