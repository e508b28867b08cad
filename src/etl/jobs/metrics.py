"""Job metrics: built from a hop's results, published to CloudWatch on AWS, kept in the manifest and log locally.

Names, namespace and dimensions come from ``metric_names`` (the monitoring module's alarms and dashboard
read the same constants). Every figure is published twice: per entity (``Environment``, ``Job``,
``Entity``), which the quarantine-ratio and freshness alarms watch, and, for output rows, duration and
rule failures, per job (``Environment``, ``Job``), which the dashboard plots. Publishing takes a
CloudWatch client from the caller (``runner`` passes ``boto3_session.client("cloudwatch")``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from energy_lake.etl.jobs import metric_names as M
from energy_lake.etl.lake.state import StateSnapshot
from energy_lake.etl.model.contracts import ENTITIES
from energy_lake.etl.quality.evaluate import ingest_age_hours
from energy_lake.etl.quality.results import PASS, RuleResult
from energy_lake.utils.logging import Logger

COUNT, SECONDS, NONE = "Count", "Seconds", "None"
BATCH = 20  # data per PutMetricData call: well inside the API's limits


@dataclass(frozen=True)
class Datum:
    name: str
    value: Decimal
    unit: str
    dimensions: tuple[tuple[str, str], ...]

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "value": str(self.value), "unit": self.unit, "dimensions": dict(self.dimensions)}

    def to_cloudwatch(self, timestamp: datetime) -> dict[str, Any]:
        return {
            "MetricName": self.name,
            "Dimensions": [{"Name": k, "Value": v} for k, v in self.dimensions],
            "Value": float(self.value),  # CloudWatch values are doubles
            "Unit": self.unit,
            "Timestamp": timestamp,
        }


def latest_ingest_ages(snapshot: StateSnapshot, now: datetime) -> dict[str, Decimal | None]:
    """Hours since the newest raw ingest date holding rows, per entity (None: the lake has none)."""
    ages: dict[str, Decimal | None] = {}
    for entity in ENTITIES:
        parts = snapshot.table(f"raw.{entity}").partitions
        rows = {date.fromisoformat(pid.split("=", 1)[1]): p.rows for pid, p in parts.items()}
        ages[entity] = ingest_age_hours(max((d for d, n in rows.items() if n > 0), default=None), now)
    return ages


def _rule_failures(results: Sequence[RuleResult], job: str) -> dict[str, int]:
    failures = dict.fromkeys(ENTITIES, 0)
    for r in results:
        if r.rule.hop == job and r.outcome != PASS:
            failures[r.rule.entity] = failures.get(r.rule.entity, 0) + 1
    return failures


def _entity_figures(job: str, stats: Mapping[str, Any]) -> dict[str, dict[str, int]]:
    """Per entity: metric name -> value, from the hop's result."""
    figures: dict[str, dict[str, int]] = {}
    if job == "landing_to_raw":
        for entity, s in stats.items():
            figures[entity] = {
                M.ROWS_READ: int(s["rows_read"]),
                M.ROWS_VALID: int(s["rows_valid"]),
                M.ROWS_QUARANTINED: int(s["rows_quarantined"]),
                M.OUTPUT_ROWS: int(s["rows_valid"]),
                M.FILES_REJECTED: len(s.get("rejected_files", [])),
            }
    elif job == "raw_to_transform":
        for entity, s in stats.items():
            rebuilt = bool(s.get("rebuilt"))
            written = s.get("rows_written", s.get("rows", 0)) if rebuilt else 0
            figures[entity] = {M.ROWS_READ: int(s.get("raw_rows", 0)) if rebuilt else 0, M.OUTPUT_ROWS: int(written)}
    return figures


def hop_metrics(
    job: str,
    environment: str,
    stats: Mapping[str, Any],
    results: Sequence[RuleResult],
    duration_seconds: Decimal,
    ingest_ages: Mapping[str, Decimal | None] | None = None,
    stopped: Sequence[Mapping[str, Any]] = (),
) -> list[Datum]:
    """Every datum one job run publishes; ``stopped``: the run's stopped promotions (``QualityLog.stopped``)."""
    job_dims = ((M.DIMENSION_ENVIRONMENT, environment), (M.DIMENSION_JOB, job))
    data: list[Datum] = []
    figures = _entity_figures(job, stats)
    failures = _rule_failures(results, job)
    for entity in ENTITIES:
        dims = (*job_dims, (M.DIMENSION_ENTITY, entity))
        for name, value in figures.get(entity, {}).items():
            data.append(Datum(name, Decimal(value), COUNT, dims))
        data.append(Datum(M.RULE_FAILURES, Decimal(failures[entity]), COUNT, dims))
        age = (ingest_ages or {}).get(entity)
        if age is not None:  # no data publishes nothing: the freshness alarm treats missing data as stale
            data.append(Datum(M.LATEST_INGEST_AGE_HOURS, age, NONE, dims))
    if job == "transform_to_analytics":
        output = sum(int(r["rows"]) for r in stats.values() if r.get("rebuilt"))
    else:
        output = sum(f.get(M.OUTPUT_ROWS, 0) for f in figures.values())
    data.append(Datum(M.OUTPUT_ROWS, Decimal(output), COUNT, job_dims))
    data.append(Datum(M.DURATION_SECONDS, duration_seconds, SECONDS, job_dims))
    data.append(Datum(M.RULE_FAILURES, Decimal(sum(failures.values())), COUNT, job_dims))
    data.append(Datum(M.PROMOTIONS_STOPPED, Decimal(sum(s["hop"] == job for s in stopped)), COUNT, job_dims))
    return data


def publish(cloudwatch: Any, data: Sequence[Datum], timestamp: datetime | None = None) -> int:
    """PutMetricData in batches, to ``metric_names.NAMESPACE``; returns the number of data sent."""
    timestamp = timestamp or datetime.now(UTC)
    for i in range(0, len(data), BATCH):
        cloudwatch.put_metric_data(
            Namespace=M.NAMESPACE, MetricData=[d.to_cloudwatch(timestamp) for d in data[i : i + BATCH]]
        )
    return len(data)


def log_metrics(log: Logger, data: Sequence[Datum]) -> None:
    """One JSON log line per datum (not on the terminal: the summary table shows the counts)."""
    quiet = Logger(log.run_id, json_stream=log.json_stream)
    for d in data:
        fields = {"namespace": M.NAMESPACE, "metric": d.name, "value": str(d.value), "unit": d.unit}
        quiet.info("metric", **fields, **dict(d.dimensions))
