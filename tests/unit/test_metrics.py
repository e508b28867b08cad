"""Job metrics: what each job publishes, and CloudWatch (moto) returns exactly what was put."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from energy_lake.etl.jobs import metric_names as M
from energy_lake.etl.jobs import metrics
from energy_lake.etl.quality.results import RuleResult
from energy_lake.etl.quality.rules import load_rules
from energy_lake.utils.logging import Logger

NOW = datetime.now(UTC).replace(microsecond=0)
RAW_STATS = {
    "providers": {"rows_read": 27, "rows_valid": 14, "rows_quarantined": 13},
    "customers": {"rows_read": 33, "rows_valid": 19, "rows_quarantined": 14},
    "transactions": {"rows_read": 78, "rows_valid": 32, "rows_quarantined": 46},
}


def _warn_result() -> RuleResult:
    rule = next(r for r in load_rules() if r.id == "customers.key_unique_per_day")
    return RuleResult(rule, "ingest_date 2026-01-05", 19, 1, False, "broken", NOW)


def test_landing_to_raw_metrics() -> None:
    ages = {"providers": Decimal("30.50"), "customers": Decimal("7.25"), "transactions": None}
    data = metrics.hop_metrics("landing_to_raw", "dev", RAW_STATS, [_warn_result()], Decimal("12.5"), ages)
    got = {(d.name, dict(d.dimensions).get(M.DIMENSION_ENTITY)): (d.value, d.unit) for d in data}
    expected: dict[tuple[str, str | None], tuple[Decimal, str]] = {}
    for entity, s in RAW_STATS.items():
        expected[(M.ROWS_READ, entity)] = (Decimal(s["rows_read"]), "Count")
        expected[(M.ROWS_VALID, entity)] = (Decimal(s["rows_valid"]), "Count")
        expected[(M.ROWS_QUARANTINED, entity)] = (Decimal(s["rows_quarantined"]), "Count")
        expected[(M.OUTPUT_ROWS, entity)] = (Decimal(s["rows_valid"]), "Count")
        expected[(M.RULE_FAILURES, entity)] = (Decimal(0), "Count")  # the rule belongs to raw_to_transform
        expected[(M.FILES_REJECTED, entity)] = (Decimal(0), "Count")
    expected[(M.LATEST_INGEST_AGE_HOURS, "providers")] = (Decimal("30.50"), "None")
    expected[(M.LATEST_INGEST_AGE_HOURS, "customers")] = (Decimal("7.25"), "None")
    expected[(M.OUTPUT_ROWS, None)] = (Decimal(65), "Count")
    expected[(M.DURATION_SECONDS, None)] = (Decimal("12.5"), "Seconds")
    expected[(M.RULE_FAILURES, None)] = (Decimal(0), "Count")
    expected[(M.PROMOTIONS_STOPPED, None)] = (Decimal(0), "Count")
    assert got == expected
    assert len(data) == len(expected)
    for d in data:
        dims = dict(d.dimensions)
        assert dims[M.DIMENSION_ENVIRONMENT] == "dev" and dims[M.DIMENSION_JOB] == "landing_to_raw"
        assert set(dims) <= set(M.DIMENSIONS) and d.name in M.METRICS


def test_rule_failures_count_per_entity_for_the_hop_that_checks() -> None:
    stats = {
        "providers": {"rows": 13, "raw_rows": 14, "rebuilt": True},
        "customers": {"rows": 17, "rebuilt": False},
        "transactions": {"rows": 30, "raw_rows": 32, "rows_written": 30, "rebuilt": True},
    }
    data = metrics.hop_metrics("raw_to_transform", "prod", stats, [_warn_result()], Decimal(3), None)
    got = {(d.name, dict(d.dimensions).get(M.DIMENSION_ENTITY)): d.value for d in data}
    assert got == {
        (M.ROWS_READ, "providers"): 14,
        (M.OUTPUT_ROWS, "providers"): 13,
        (M.RULE_FAILURES, "providers"): 0,
        (M.ROWS_READ, "customers"): 0,
        (M.OUTPUT_ROWS, "customers"): 0,
        (M.RULE_FAILURES, "customers"): 1,
        (M.ROWS_READ, "transactions"): 32,
        (M.OUTPUT_ROWS, "transactions"): 30,
        (M.RULE_FAILURES, "transactions"): 0,
        (M.OUTPUT_ROWS, None): 43,
        (M.DURATION_SECONDS, None): 3,
        (M.RULE_FAILURES, None): 1,
        (M.PROMOTIONS_STOPPED, None): 0,
    }


def test_rejected_files_and_stopped_promotions_are_counted_for_their_alarms() -> None:
    """A rejected file or a stopped promotion no longer fails the job (issue 13, defect 10): the
    FilesRejected and PromotionsStopped alarms say it, from these data."""
    rejected = {"file": "providers/ingest_date=2026-01-05/x.csv", "rule": "bad_layout", "reason": "r"}
    stats = {**RAW_STATS, "providers": {**RAW_STATS["providers"], "rejected_files": [rejected, rejected]}}
    stops = [
        {"entity": "transactions", "hop": "raw_to_transform", "rules": ["r1"], "message": "m"},
        {"entity": "customers", "hop": "raw_to_transform", "rules": ["r2"], "message": "m"},
        {"entity": "daily_position", "hop": "transform_to_analytics", "rules": ["r3"], "message": "m"},
    ]
    counted = {
        job: {
            (d.name, dict(d.dimensions).get(M.DIMENSION_ENTITY)): d.value
            for d in metrics.hop_metrics(
                job, "dev", stats if job == "landing_to_raw" else {}, [], Decimal(1), None, stops
            )
            if d.name in (M.FILES_REJECTED, M.PROMOTIONS_STOPPED)
        }
        for job in ("landing_to_raw", "raw_to_transform", "transform_to_analytics")
    }
    assert counted == {
        "landing_to_raw": {
            (M.FILES_REJECTED, "providers"): 2,
            (M.FILES_REJECTED, "customers"): 0,
            (M.FILES_REJECTED, "transactions"): 0,
            (M.PROMOTIONS_STOPPED, None): 0,
        },
        "raw_to_transform": {(M.PROMOTIONS_STOPPED, None): 2},
        "transform_to_analytics": {(M.PROMOTIONS_STOPPED, None): 1},
    }


@pytest.fixture
def cloudwatch() -> Any:
    with mock_aws():
        yield boto3.client("cloudwatch", region_name="eu-west-1")


def _get(cloudwatch: Any, name: str, dims: dict[str, str], stat: str = "Sum") -> list[float]:
    answer = cloudwatch.get_metric_data(
        MetricDataQueries=[
            {
                "Id": "q",
                "MetricStat": {
                    "Metric": {
                        "Namespace": M.NAMESPACE,
                        "MetricName": name,
                        "Dimensions": [{"Name": k, "Value": v} for k, v in dims.items()],
                    },
                    "Period": 60,
                    "Stat": stat,
                },
            }
        ],
        StartTime=NOW - timedelta(minutes=5),
        EndTime=datetime.now(UTC) + timedelta(minutes=5),  # run_hop's data carry the time they were put
    )
    return list(answer["MetricDataResults"][0]["Values"])


def test_published_metrics_come_back_from_cloudwatch(cloudwatch: Any) -> None:
    ages = {"providers": Decimal("30.50"), "customers": Decimal("7.25"), "transactions": Decimal("1.00")}
    data = metrics.hop_metrics("landing_to_raw", "dev", RAW_STATS, [], Decimal("12.5"), ages)
    assert metrics.publish(cloudwatch, data, NOW) == len(data) == 25  # more than one batch of 20
    base = {M.DIMENSION_ENVIRONMENT: "dev", M.DIMENSION_JOB: "landing_to_raw"}
    for entity, s in RAW_STATS.items():
        dims = {**base, M.DIMENSION_ENTITY: entity}
        assert _get(cloudwatch, M.ROWS_READ, dims) == [s["rows_read"]]
        assert _get(cloudwatch, M.ROWS_VALID, dims) == [s["rows_valid"]]
        assert _get(cloudwatch, M.ROWS_QUARANTINED, dims) == [s["rows_quarantined"]]
        assert _get(cloudwatch, M.RULE_FAILURES, dims) == [0]
    age = _get(cloudwatch, M.LATEST_INGEST_AGE_HOURS, {**base, M.DIMENSION_ENTITY: "providers"}, "Maximum")
    assert age == [30.5]
    assert _get(cloudwatch, M.LATEST_INGEST_AGE_HOURS, {**base, M.DIMENSION_ENTITY: "transactions"}) == [1.0]
    assert _get(cloudwatch, M.ROWS_READ, {**base, M.DIMENSION_ENTITY: "nobody"}) == []
    assert _get(cloudwatch, M.DURATION_SECONDS, base) == [12.5]
    assert _get(cloudwatch, M.OUTPUT_ROWS, base) == [65]


def test_metrics_are_json_log_lines_with_the_run_id() -> None:
    stream, terminal = io.StringIO(), io.StringIO()
    data = metrics.hop_metrics(
        "transform_to_analytics", "local", {"daily_position": {"rows": 6, "rebuilt": True}}, [], Decimal(2)
    )
    metrics.log_metrics(Logger("r-1", json_stream=stream, human_stream=terminal), data)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert terminal.getvalue() == ""
    assert [(x["run_id"], x["event"], x["metric"], x["value"]) for x in lines[-4:]] == [
        ("r-1", "metric", M.OUTPUT_ROWS, "6"),
        ("r-1", "metric", M.DURATION_SECONDS, "2"),
        ("r-1", "metric", M.RULE_FAILURES, "0"),
        ("r-1", "metric", M.PROMOTIONS_STOPPED, "0"),
    ]
    assert all(x["namespace"] == M.NAMESPACE and x["Job"] == "transform_to_analytics" for x in lines)


@pytest.mark.spark
def test_run_hop_publishes_through_the_sessions_cloudwatch_client(spark: Any, tmp_path: Path) -> None:
    from energy_lake.etl.jobs.runner import run_hop

    folder = tmp_path / "landing" / "providers" / "ingest_date=2026-01-05"
    folder.mkdir(parents=True)
    (folder / "p.csv").write_text("provider_name,energy_type\nEolo,wind\nHidro,solar\n", encoding="utf-8")
    args = {f"{z}_uri": str(tmp_path / z) for z in ("raw", "transform", "analytics")}
    args |= {"landing_uri": str(tmp_path / "landing"), "state_uri": str(tmp_path / "_lake"), "env": "dev"}
    with mock_aws():
        session = boto3.Session(region_name="eu-west-1")
        doc = run_hop("landing_to_raw", spark, args, session, Logger("r", json_stream=io.StringIO()))
        cloudwatch = session.client("cloudwatch")
        dims = {M.DIMENSION_ENVIRONMENT: "dev", M.DIMENSION_JOB: "landing_to_raw", M.DIMENSION_ENTITY: "providers"}
        assert _get(cloudwatch, M.ROWS_READ, dims) == [2]
        assert _get(cloudwatch, M.ROWS_QUARANTINED, dims) == [1]
    assert {(m["name"], m["dimensions"].get("Entity")): m["value"] for m in doc["metrics"]}[
        (M.ROWS_VALID, "providers")
    ] == "1"
