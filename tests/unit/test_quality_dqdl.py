"""The DQDL rulesets say what the rules say: structure rule by rule, generated files current, and the
CustomSql statements give on Spark the same verdict as the local (cuallee) evaluation."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from energy_lake.etl.quality import dqdl as quality_dqdl
from energy_lake.etl.quality.evaluate import evaluate_rows, evaluate_volume, ingest_age_hours
from energy_lake.etl.quality.results import RATE
from energy_lake.etl.quality.rules import Rule, load_rules
from energy_lake.scripts.docs.data_quality import render as render_doc

REPO = Path(__file__).resolve().parents[2]
CUSTOM_SQL = re.compile(r'CustomSql "([^"]+)" (>=|<=) ([0-9.]+)')


def test_generated_files_are_current() -> None:
    for path, text in quality_dqdl.generated_files().items():
        assert path.read_text(encoding="utf-8") == text, f"{path} is stale: python -m energy_lake.etl.quality.dqdl"
    assert (REPO / "docs" / "data-quality.md").read_text(encoding="utf-8") == render_doc(), (
        "docs/data-quality.md is stale: python -m energy_lake.scripts.docs.data_quality > docs/data-quality.md"
    )


def test_one_ruleset_per_table_holding_every_rule_in_order() -> None:
    sets = json.loads((quality_dqdl.DQDL_DIR / "rulesets.json").read_text(encoding="utf-8"))
    rules = load_rules()
    assert sorted(sets) == sorted({r.table for r in rules})
    for table, entry in sets.items():
        expected = [r for r in rules if r.table == table]
        assert [(x["id"], x["severity"]) for x in entry["rules"]] == [(r.id, r.severity) for r in expected]
        assert (entry["zone"], entry["table"]) == tuple(table.split("."))
        body = entry["ruleset"].removeprefix("Rules = [\n").removesuffix("\n]\n")
        assert body.split(",\n") == [f"  {quality_dqdl.render_rule(r)}" for r in expected]
        assert (quality_dqdl.DQDL_DIR / f"{table}.dqdl").read_text(encoding="utf-8") == entry["ruleset"]


def _quoted(text: str) -> list[str]:
    return re.findall(r'"([^"]*)"', text)


@pytest.mark.parametrize("rule", load_rules(), ids=lambda r: r.id)
def test_each_rule_renders_its_check_columns_and_threshold(rule: Rule) -> None:
    dqdl = quality_dqdl.render_rule(rule)
    where = [rule.where] if rule.where else []
    if rule.check == "unique":
        assert dqdl.startswith("IsUnique ") and _quoted(dqdl) == [*rule.columns, *where]
        assert (" where " in dqdl) == bool(rule.where)
    elif rule.check == "primary_key":
        assert dqdl == "IsPrimaryKey " + " ".join(f'"{c}"' for c in rule.columns)
    elif rule.check == "complete":
        assert re.findall(r'IsComplete "([^"]+)"', dqdl) == list(rule.columns)
        assert dqdl.count(" and ") == len(rule.columns) - 1
    elif rule.check == "allowed":
        assert dqdl == f'ColumnValues "{rule.columns[0]}" in [' + ",".join(f'"{v}"' for v in rule.allowed) + "]"
    elif rule.check == "satisfies":
        ((sql, op, bound),) = CUSTOM_SQL.findall(dqdl)
        assert (op, Decimal(bound)) == (">=", rule.min_pass_rate)
        assert f"({rule.predicate})" in sql
        assert ("LEFT JOIN ${transform_database}.providers l" in sql) == (rule.lookup is not None)
    elif rule.check == "volume":
        found = CUSTOM_SQL.findall(dqdl)
        assert [(op, Decimal(b)) for _, op, b in found] == [
            (">=", rule.param("min_ratio")),
            ("<=", rule.param("max_ratio")),
        ]
        assert found[0][0] == found[1][0] == quality_dqdl.volume_sql(rule)
        assert f"date_sub(l.ingest_date, {rule.param('window_days')})" in found[0][0]
        assert f"h.days >= {rule.param('min_history_days')}" in found[0][0]
    else:
        assert rule.check == "freshness"
        ((sql, op, bound),) = CUSTOM_SQL.findall(dqdl)
        assert (sql, op, Decimal(bound)) == (quality_dqdl.freshness_sql(rule), "<=", rule.param("max_age_hours"))


# ---------------------------------------------------------------- the SQL agrees with the local evaluation


def _sql_value(spark: Any, sql: str, primary: Any, lookups: dict[str, Any] | None = None) -> Decimal:
    primary.createOrReplaceTempView("primary")
    for name, df in (lookups or {}).items():
        df.createOrReplaceTempView(name)
    local = sql.replace("${transform_database}.providers", "lookup_providers")
    return Decimal(str(spark.sql(local).collect()[0][0]))


@pytest.mark.spark
def test_satisfies_sql_gives_the_local_pass_rate(spark: Any) -> None:
    rules = [r for r in load_rules() if r.check == "satisfies"]
    schema = "transaction_type string, energy_type string, counterparty_key string, counterparty_status string"
    trades = spark.createDataFrame(
        [
            ("buy", "wind", "eolo", "resolved"),
            ("buy", "wind", "hidro", "resolved"),  # wind from a hydro provider
            ("buy", "hydro", "nadie", "unresolved"),
            ("sell", "hydro", "tok_1", "resolved"),
            ("sell", "wind", None, "ambiguous"),
        ],
        schema,
    )
    providers = spark.createDataFrame([("eolo", "wind"), ("hidro", "hydro")], "provider_key string, energy_type string")
    lookups = {"transform.providers": providers}
    local = evaluate_rows(rules, trades, lookups=lookups)
    assert [(r.rule.id, r.violations) for r in local] == [
        ("transactions.buy_counterparty_is_provider", 1),
        ("transactions.sell_counterparty_is_customer", 1),
        ("transactions.buy_energy_matches_provider", 1),
    ]
    for rule, result in zip(rules, local, strict=True):
        share = _sql_value(spark, quality_dqdl.satisfies_sql(rule), trades, {"lookup_providers": providers})
        assert share.quantize(RATE) == result.pass_rate == Decimal("0.800000")


@pytest.mark.spark
def test_volume_and_freshness_sql_agree_with_the_local_evaluation(spark: Any) -> None:
    rule = next(r for r in load_rules() if r.id == "transactions.volume_anomaly")
    days = {date(2026, 1, d): 4 for d in range(1, 5)}
    for newest_rows, verdict in ((1, "warn"), (4, "pass")):
        counts = {**days, date(2026, 1, 5): newest_rows}
        raw = spark.createDataFrame([(d,) for d, n in counts.items() for _ in range(n)], "ingest_date date")
        ratio = _sql_value(spark, quality_dqdl.volume_sql(rule), raw)
        assert ratio == Decimal(newest_rows) / 4
        local = evaluate_volume(rule, counts, [date(2026, 1, 5)])
        glue_passes = rule.param("min_ratio") <= ratio <= rule.param("max_ratio")
        assert local.outcome == verdict and (local.outcome == "pass") == glue_passes
    young = spark.createDataFrame([(date(2026, 1, 4),), (date(2026, 1, 5),)], "ingest_date date")
    assert _sql_value(spark, quality_dqdl.volume_sql(rule), young) == 1  # too little history: not judged

    fresh = next(r for r in load_rules() if r.id == "transactions.freshness")
    yesterday = (datetime.now(UTC) - timedelta(days=1)).date()
    hours = _sql_value(
        spark, quality_dqdl.freshness_sql(fresh), spark.createDataFrame([(yesterday,)], "ingest_date date")
    )
    expected = ingest_age_hours(yesterday, datetime.now(UTC))
    assert expected is not None and abs(hours - expected) < Decimal("0.1")
