"""The results of the rules: :class:`RuleResult` (one rule's verdict on what a hop was about to promote), the run's
:class:`QualityLog`, and the table they are written to, ``analytics.quality_results`` (:data:`RESULT_COLUMNS`,
:func:`results_schema`, :func:`results_frame`).

Apart from the evaluation because the lake's tables, the governance and the DQDL need the results table's
shape, and the job metrics read results, without evaluating anything. Imports :mod:`.rules` and ``model``;
touches no table or file (it builds the results' Spark frame; ``lake.tables`` writes it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import types as T

from energy_lake.etl.model.contracts import Column
from energy_lake.etl.quality.rules import Rule

RESULTS_TABLE = "analytics.quality_results"
RESULTS_PARTITION = "run_id"
PASS, WARN, FAIL = "pass", "warn", "fail"
RATE = Decimal("0.000001")

# The results table (analytics.quality_results): one partition per run, append-only. In the analytics zone so
# analysts can see how far to trust the numbers (rule ids, counts and messages: never values or personal data).
RESULT_COLUMNS = (
    Column("rule", "string", description="Rule id (docs/data-quality.md)."),
    Column("table_name", "string", description="Table checked, <zone>.<table>."),
    Column("entity", "string", description="Entity whose promotion the rule gates."),
    Column("check_type", "string", description="unique, primary_key, complete, allowed, satisfies, volume, freshness."),
    Column("severity", "string", description="warn or fail."),
    Column("hop", "string", description="Hop that evaluated the rule (the one promoting the table)."),
    Column("scope", "string", description="What was checked: the ingest dates, or all rows."),
    Column("rows_checked", "bigint", description="Rows (days, for volume; feeds, for freshness) evaluated."),
    Column("violations", "bigint", description="Rows (or days, or feeds) that broke the rule."),
    Column("pass_rate", "decimal(9,6)", description="Share that passed (1 when nothing was checked)."),
    Column("min_pass_rate", "decimal(9,6)", description="Share required to pass."),
    Column("outcome", "string", description="pass; warn (a warn rule broke); fail (a fail rule broke: stopped)."),
    Column("message", "string", description="Readable result."),
    Column("evaluated_at", "timestamp", description="When the rule was evaluated (UTC)."),
)
RESULTS_PARTITION_COLUMN = Column(RESULTS_PARTITION, "string", description="Run that evaluated the rules.")


@dataclass(frozen=True)
class RuleResult:
    rule: Rule
    scope: str
    rows: int
    violations: int
    passed: bool
    message: str
    evaluated_at: datetime

    @property
    def pass_rate(self) -> Decimal:
        if self.rows == 0:
            return Decimal(1).quantize(RATE)
        return (Decimal(self.rows - self.violations) / Decimal(self.rows)).quantize(RATE, ROUND_HALF_UP)

    @property
    def outcome(self) -> str:
        return PASS if self.passed else (FAIL if self.rule.severity == "fail" else WARN)

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule.id,
            "table": self.rule.table,
            "entity": self.rule.entity,
            "check": self.rule.check,
            "severity": self.rule.severity,
            "hop": self.rule.hop,
            "scope": self.scope,
            "rows_checked": self.rows,
            "violations": self.violations,
            "pass_rate": str(self.pass_rate),
            "min_pass_rate": str(self.rule.min_pass_rate.quantize(RATE)),
            "outcome": self.outcome,
            "message": self.message,
        }

    def row(self) -> tuple[Any, ...]:
        """The result as a row of analytics.quality_results (without the partition column)."""
        return (
            self.rule.id,
            self.rule.table,
            self.rule.entity,
            self.rule.check,
            self.rule.severity,
            self.rule.hop,
            self.scope,
            self.rows,
            self.violations,
            self.pass_rate,
            self.rule.min_pass_rate.quantize(RATE),
            self.outcome,
            self.message,
            self.evaluated_at.astimezone(UTC).replace(tzinfo=None),
        )


def results_schema() -> T.StructType:
    from energy_lake.etl.model.schemas import spark_type

    return T.StructType(
        [T.StructField(c.name, spark_type(c), True) for c in (*RESULT_COLUMNS, RESULTS_PARTITION_COLUMN)]
    )


def results_frame(spark: SparkSession, results: Sequence[RuleResult], run_id: str) -> DataFrame:
    return spark.createDataFrame([(*r.row(), run_id) for r in results], results_schema())


@dataclass
class QualityLog:
    """What a run evaluated and which promotions it stopped (kept on the RunContext)."""

    results: list[RuleResult] = field(default_factory=list)
    stopped: list[dict[str, Any]] = field(default_factory=list)
    committed: int = 0  # results already written to the lake

    def stop(self, entity: str, hop: str, failed: Sequence[RuleResult], target: str) -> str:
        message = (
            f"{entity}: {hop.replace('_to_', ' -> ')} stopped by "
            + "; ".join(f"{r.rule.id} ({r.message})" for r in failed)
            + f"; {target} not updated"
        )
        self.stopped.append(
            {"entity": entity, "hop": hop, "rules": [r.rule.id for r in failed], "message": message, "target": target}
        )
        return message

    def stopped_entities(self, hop: str) -> set[str]:
        return {s["entity"] for s in self.stopped if s["hop"] == hop}

    def summary(self) -> dict[str, Any]:
        outcomes = [r.outcome for r in self.results]
        return {
            "rules_evaluated": len(self.results),
            "passed": outcomes.count(PASS),
            "warnings": outcomes.count(WARN),
            "failures": outcomes.count(FAIL),
            "stopped": list(self.stopped),
            "results": [r.to_json() for r in self.results],
        }
