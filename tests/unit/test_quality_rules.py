"""Each data quality rule on tiny frames: passing and breaking data, exact counts and outcomes."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from energy_lake.etl.model.contracts import load_contract
from energy_lake.etl.quality.evaluate import evaluate_freshness, evaluate_rows, evaluate_volume, ingest_age_hours
from energy_lake.etl.quality.results import QualityLog, RuleResult, results_frame, results_schema
from energy_lake.etl.quality.rules import Rule, load_rules

pytestmark = pytest.mark.spark

D1, D2 = date(2026, 1, 5), date(2026, 1, 6)
NOW = datetime(2026, 1, 7, 12, 0, tzinfo=UTC)


def rule(rule_id: str) -> Rule:
    return next(r for r in load_rules() if r.id == rule_id)


def one(rules: list[Rule], df: Any, **kwargs: Any) -> RuleResult:
    (result,) = evaluate_rows(rules, df, now=NOW, **kwargs)
    return result


def test_rules_are_derived_from_the_contracts() -> None:
    got = [(r.id, r.table, r.check, r.severity, r.columns) for r in load_rules()]
    expected = []
    for entity in ("providers", "customers", "transactions"):
        c = load_contract(entity)
        expected += [
            (f"{entity}.key_unique_per_day", f"raw.{entity}", "unique", "warn", ("ingest_date", *c.key)),
            (f"{entity}.volume_anomaly", f"raw.{entity}", "volume", "warn", ()),
            (f"{entity}.freshness", f"raw.{entity}", "freshness", "warn", ()),
            (f"{entity}.key_unique", f"transform.{entity}", "primary_key", "fail", c.key),
            (f"{entity}.required_complete", f"transform.{entity}", "complete", "fail", tuple(c.required)),
        ]
        expected += [
            (f"{entity}.{col.name}_allowed", f"transform.{entity}", "allowed", "fail", (col.name,))
            for col in c.columns
            if col.allowed
        ]
    tx = ("transform.transactions", "satisfies", "warn")
    expected += [
        ("transactions.buy_counterparty_is_provider", *tx, ("transaction_type", "counterparty_status")),
        ("transactions.sell_counterparty_is_customer", *tx, ("transaction_type", "counterparty_status")),
        ("transactions.buy_energy_matches_provider", *tx, ("transaction_type", "energy_type")),
    ]
    assert got == expected
    assert rule("transactions.key_unique_per_day").where == "transaction_id IS NOT NULL"
    assert rule("providers.key_unique_per_day").where is None
    assert rule("customers.id_type_allowed").allowed == ("CC", "CE", "NIT", "TI", "PA")
    assert {r.hop for r in load_rules() if r.zone == "raw"} == {"raw_to_transform"}
    assert {r.hop for r in load_rules() if r.zone == "transform"} == {"transform_to_analytics"}


def test_key_unique_per_day_ignores_missing_ids_and_other_days(spark: Any) -> None:
    r = rule("transactions.key_unique_per_day")
    ok = spark.createDataFrame(
        [(D1, "T1"), (D1, None), (D1, None), (D2, "T1")], "ingest_date date, transaction_id string"
    )
    result = one([r], ok, days=[D1, D2])
    assert (result.rows, result.violations, result.outcome) == (2, 0, "pass")
    bad = ok.union(spark.createDataFrame([(D1, "T1")], ok.schema))
    result = one([r], bad, days=[D1, D2])
    assert (result.rows, result.violations, result.outcome, result.pass_rate) == (3, 1, "warn", Decimal("0.666667"))
    assert result.scope == "ingest_date 2026-01-05, 2026-01-06"
    assert result.message == "broken: 1 of 3 duplicate ingest_date/transaction_id rows"


def test_customer_key_is_a_primary_key(spark: Any) -> None:
    r = rule("customers.key_unique")
    schema = "id_type string, id_number string"
    assert one([r], spark.createDataFrame([("CC", "1"), ("CE", "1"), ("CC", "2")], schema)).outcome == "pass"
    dup = one([r], spark.createDataFrame([("CC", "1"), ("CC", "1"), ("CC", "2")], schema))
    assert (dup.rows, dup.violations, dup.outcome) == (3, 1, "fail")
    missing = one([r], spark.createDataFrame([("CC", None), ("CC", "2")], schema))
    assert (missing.rows, missing.violations, missing.outcome) == (2, 1, "fail")


def test_provider_key_unique(spark: Any) -> None:
    r = rule("providers.key_unique")
    assert one([r], spark.createDataFrame([("Eolo",), ("Hidro",)], "provider_name string")).outcome == "pass"
    result = one([r], spark.createDataFrame([("Eolo",), ("Eolo",)], "provider_name string"))
    assert (result.violations, result.outcome) == (1, "fail")


TX = (
    "transaction_id string, transaction_type string, counterparty_name string, quantity decimal(18,3), "
    "price decimal(18,4), energy_type string, counterparty_key string, counterparty_status string"
)


def trade(**overrides: Any) -> tuple[Any, ...]:
    row = {
        "transaction_id": "T1",
        "transaction_type": "buy",
        "counterparty_name": "tok_a",
        "quantity": Decimal("10.000"),
        "price": Decimal("100.0000"),
        "energy_type": "wind",
        "counterparty_key": "eolo",
        "counterparty_status": "resolved",
    }
    row.update(overrides)
    return tuple(row.values())


def test_required_columns_complete(spark: Any) -> None:
    r = rule("transactions.required_complete")
    assert one([r], spark.createDataFrame([trade(), trade(transaction_id="T2")], TX)).outcome == "pass"
    result = one([r], spark.createDataFrame([trade(), trade(transaction_id="T2", price=None)], TX))
    assert (result.rows, result.violations, result.outcome) == (2, 1, "fail")
    assert (
        result.message
        == "broken: 1 of 2 rows missing one of transaction_type, counterparty_name, quantity, price, energy_type"
    )


def test_allowed_values(spark: Any) -> None:
    r = rule("transactions.energy_type_allowed")
    assert one([r], spark.createDataFrame([trade(), trade(energy_type="nuclear")], TX)).outcome == "pass"
    result = one([r], spark.createDataFrame([trade(), trade(energy_type="solar")], TX))
    assert (result.violations, result.outcome) == (1, "fail")


def test_referential_integrity_per_side(spark: Any) -> None:
    buy, sell = rule("transactions.buy_counterparty_is_provider"), rule("transactions.sell_counterparty_is_customer")
    df = spark.createDataFrame(
        [
            trade(),
            trade(transaction_id="T2", transaction_type="sell", counterparty_status="unresolved"),
            trade(transaction_id="T3", transaction_type="sell", counterparty_status="ambiguous"),
        ],
        TX,
    )
    b, s = evaluate_rows([buy, sell], df, now=NOW)
    assert (b.rows, b.violations, b.outcome) == (3, 0, "pass")
    assert (s.rows, s.violations, s.outcome) == (3, 2, "warn")
    unknown_provider = spark.createDataFrame([trade(counterparty_status="unresolved")], TX)
    assert one([buy], unknown_provider).outcome == "warn"


def test_buy_energy_matches_its_provider(spark: Any) -> None:
    r = rule("transactions.buy_energy_matches_provider")
    providers = spark.createDataFrame([("eolo", "wind"), ("hidro", "hydro")], "provider_key string, energy_type string")
    lookups = {"transform.providers": providers}
    good = spark.createDataFrame(
        [
            trade(),  # wind from a wind provider
            trade(transaction_id="T2", counterparty_key="nobody", counterparty_status="unresolved"),  # unknown
            trade(transaction_id="T3", transaction_type="sell", counterparty_key="hidro"),  # sells are not checked
        ],
        TX,
    )
    result = one([r], good, lookups=lookups)
    assert (result.rows, result.violations, result.outcome) == (3, 0, "pass")
    bad = spark.createDataFrame([trade(), trade(transaction_id="T2", counterparty_key="hidro")], TX)
    result = one([r], bad, lookups=lookups)
    assert (result.rows, result.violations, result.outcome) == (2, 1, "warn")


def test_volume_anomaly() -> None:
    r = rule("transactions.volume_anomaly")
    history = {date(2026, 1, d): 100 for d in range(1, 5)}
    normal = evaluate_volume(r, {**history, D1: 120}, [D1], NOW)
    assert (normal.rows, normal.violations, normal.outcome) == (1, 0, "pass")
    assert normal.message == "ok: 2026-01-05: 120 rows = 1.20x the average 100.0000"
    low = evaluate_volume(r, {**history, D1: 40}, [D1], NOW)
    assert (low.violations, low.outcome) == (1, "warn")
    assert low.message == "broken: 2026-01-05: 40 rows = 0.40x the average 100.0000 OUT OF BAND"
    high = evaluate_volume(r, {**history, D1: 201, D2: 150}, [D1, D2], NOW)
    assert (high.rows, high.violations, high.outcome) == (2, 1, "warn")  # D2 averages 5 days incl. D1: 140.2
    young = evaluate_volume(r, {date(2026, 1, 4): 100, D1: 1}, [D1], NOW)
    assert (young.violations, young.outcome) == (0, "pass")
    assert young.message == "ok: 2026-01-05: 1 rows, not judged (1 earlier days)"


def test_freshness() -> None:
    r = rule("providers.freshness")
    fresh = evaluate_freshness(r, D2, NOW)  # 36 h after 2026-01-06 00:00
    assert (fresh.outcome, fresh.message) == ("pass", "ok: newest ingest date 2026-01-06 is 36.00 h old (at most 48 h)")
    stale = evaluate_freshness(r, D1, NOW)
    assert (stale.violations, stale.outcome) == (1, "warn")
    none = evaluate_freshness(r, None, NOW)
    assert (none.outcome, none.message) == ("warn", "broken: the feed has no rows in the lake")
    assert ingest_age_hours(D2, NOW) == Decimal("36.00")


def test_results_table_rows_and_summary(spark: Any) -> None:
    r = rule("transactions.energy_type_allowed")
    result = one([r], spark.createDataFrame([trade(energy_type="solar")], TX))
    frame = results_frame(spark, [result], "r1")
    assert frame.schema == results_schema()
    row = frame.collect()[0].asDict()
    assert row == {
        "rule": "transactions.energy_type_allowed",
        "table_name": "transform.transactions",
        "entity": "transactions",
        "check_type": "allowed",
        "severity": "fail",
        "hop": "transform_to_analytics",
        "scope": "all rows",
        "rows_checked": 1,
        "violations": 1,
        "pass_rate": Decimal("0.000000"),
        "min_pass_rate": Decimal("1.000000"),
        "outcome": "fail",
        "message": "broken: 1 of 1 rows with a energy_type outside wind, hydro, nuclear",
        "evaluated_at": datetime(2026, 1, 7, 12, 0),
        "run_id": "r1",
    }
    log = QualityLog([result])
    message = log.stop("transactions", "transform_to_analytics", [result], "the analytics marts")
    assert message == (
        "transactions: transform -> analytics stopped by transactions.energy_type_allowed "
        "(broken: 1 of 1 rows with a energy_type outside wind, hydro, nuclear); the analytics marts not updated"
    )
    summary = log.summary()
    assert {k: summary[k] for k in ("rules_evaluated", "passed", "warnings", "failures")} == {
        "rules_evaluated": 1,
        "passed": 0,
        "warnings": 0,
        "failures": 1,
    }
    assert summary["stopped"][0]["rules"] == ["transactions.energy_type_allowed"]
