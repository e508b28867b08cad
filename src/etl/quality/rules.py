"""Dataset-level data quality: rules derived from the contracts, evaluated on Spark with cuallee.

The rules are defined once, in the ``quality:`` section of each contract (``src/contracts/<entity>.yaml``):
which of the rule kinds below apply to the entity and how severe they are; their columns come from the
contract itself (key, required columns, allowed values). ``transactions.yaml`` also lists the
cross-entity rules. The same rules are rendered as Glue DQDL by ``quality.dqdl`` and documented by
``energy_lake.scripts.docs.data_quality``.

Row and column rules are evaluated with cuallee (native PySpark expressions: one pass over a frame per
group of rules, no JVM jar). Rules that look at a feed rather than at rows (volume, freshness) judge a
few per-day figures the lake catalog already holds, directly in Python: no data is read for them.

A rule checks one table, and the hop that promotes that table evaluates it on what it is about to
promote: ``raw.<entity>`` rules in raw_to_transform, ``transform.<entity>`` rules in
transform_to_analytics. A broken ``fail`` rule stops the entity's promotion; ``warn`` rules are
recorded and reported.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from typing import Any

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from energy_lake.etl.model.contracts import ENTITIES, Column, Contract, load_contract, read_yaml

SEVERITIES = ("warn", "fail")
RAW_GATE = "raw_to_transform"
TRANSFORM_GATE = "transform_to_analytics"
GATES = {"raw": RAW_GATE, "transform": TRANSFORM_GATE}
RESULTS_TABLE = "analytics.quality_results"
RESULTS_PARTITION = "run_id"
PASS, WARN, FAIL = "pass", "warn", "fail"
RATE = Decimal("0.000001")

# The rule kinds a contract's ``quality:`` section can switch on: zone checked, check type, description.
KINDS: dict[str, tuple[str, str, str]] = {
    "key_unique_per_day": (
        "raw",
        "unique",
        "A feed sends each key ({key}) at most once per ingest date; the transform keeps one row, "
        "the duplicate is reported.",
    ),
    "volume_anomaly": (
        "raw",
        "volume",
        "A feed's rows for a day stay within {min_ratio}x-{max_ratio}x of its average over the previous "
        "{window_days} days (judged once {min_history_days} of those days hold data).",
    ),
    "freshness": (
        "raw",
        "freshness",
        "The newest ingest date holding rows is at most {max_age_hours} hours old (hours since its midnight UTC).",
    ),
    "key_unique": (
        "transform",
        "primary_key",
        "The key ({key}) is complete and unique: a duplicate would be counted twice by every mart.",
    ),
    "required_complete": (
        "transform",
        "complete",
        "Every required column ({required}) is filled after typing: a value that failed to type would "
        "be a missing amount.",
    ),
    "allowed_values": (
        "transform",
        "allowed",
        "{column} holds only the contract's canonical values ({allowed}) after standardisation.",
    ),
}
PARAMS = {
    "volume": ("window_days", "min_history_days", "min_ratio", "max_ratio"),
    "freshness": ("max_age_hours",),
}

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


# ---------------------------------------------------------------- the rules


@dataclass(frozen=True)
class Lookup:
    """Columns brought in from another table before the rule is checked (a left join)."""

    table: str
    join: tuple[tuple[str, str], ...]  # (column of the checked table, column of the lookup table)
    columns: tuple[tuple[str, str], ...]  # (column of the lookup table, name it takes)


@dataclass(frozen=True)
class Rule:
    id: str
    table: str  # "<zone>.<table>"
    entity: str  # whose promotion it gates
    check: str  # unique | primary_key | complete | allowed | satisfies | volume | freshness
    severity: str
    description: str
    columns: tuple[str, ...] = ()
    allowed: tuple[str, ...] = ()
    predicate: str | None = None
    where: str | None = None  # rows the rule applies to (SQL)
    lookup: Lookup | None = None
    min_pass_rate: Decimal = Decimal(1)
    params: tuple[tuple[str, Decimal], ...] = ()

    @property
    def zone(self) -> str:
        return self.table.split(".", 1)[0]

    @property
    def hop(self) -> str:
        return GATES[self.zone]

    def param(self, name: str) -> Decimal:
        return dict(self.params)[name]


def _kind_rules(contract: Contract, kind: str, config: dict[str, Any]) -> list[Rule]:
    if kind not in KINDS:
        raise ValueError(f"{contract.entity}.yaml quality: unknown rule {kind!r}; expected one of {', '.join(KINDS)}")
    zone, check, text = KINDS[kind]
    severity = str(config.get("severity", ""))
    if severity not in SEVERITIES:
        raise ValueError(f"{contract.entity}.yaml quality.{kind}: severity must be warn or fail, got {severity!r}")
    table = f"{zone}.{contract.entity}"
    params = tuple((p, Decimal(str(config[p]))) for p in PARAMS.get(check, ()))
    words = {"key": ", ".join(contract.key), "required": ", ".join(contract.required), **dict(params)}

    def make(rule_id: str, description: str, columns: tuple[str, ...], **extra: Any) -> Rule:
        return Rule(
            id=f"{contract.entity}.{rule_id}",
            table=table,
            entity=contract.entity,
            check=check,
            severity=severity,
            description=description,
            columns=columns,
            allowed=tuple(extra.get("allowed", ())),
            where=extra.get("where"),
            params=params,
        )

    if kind == "allowed_values":
        return [
            make(
                f"{c.name}_allowed",
                text.format(column=c.name, allowed=", ".join(c.allowed)),
                (c.name,),
                allowed=c.allowed,
            )
            for c in contract.columns
            if c.allowed
        ]
    columns: tuple[str, ...] = ()
    where = None
    if kind == "key_unique_per_day":
        columns = ("ingest_date", *contract.key)
        optional = [k for k in contract.key if not contract.column(k).required]
        where = " AND ".join(f"{k} IS NOT NULL" for k in optional) or None
    elif kind == "key_unique":
        columns = contract.key
    elif kind == "required_complete":
        columns = tuple(contract.required)
    return [make(kind, text.format(**words), columns, where=where)]


def _listed_rule(entity: str, raw: dict[str, Any]) -> Rule:
    lookup = None
    if "lookup" in raw:
        lk = raw["lookup"]
        lookup = Lookup(lk["table"], tuple(lk["join"].items()), tuple(lk["columns"].items()))
    severity = str(raw["severity"])
    if severity not in SEVERITIES:
        raise ValueError(f"{entity}.yaml quality rule {raw['id']}: severity must be warn or fail, got {severity!r}")
    return Rule(
        id=f"{entity}.{raw['id']}",
        table=raw["table"],
        entity=raw["table"].split(".", 1)[1],
        check="satisfies",
        severity=severity,
        description=str(raw["description"]),
        columns=tuple(raw["columns"]),
        predicate=str(raw["predicate"]),
        lookup=lookup,
        min_pass_rate=Decimal(str(raw.get("min_pass_rate", 1))),
    )


@cache
def load_rules() -> tuple[Rule, ...]:
    """Every rule, in contract order: each entity's derived rules, then its listed ones."""
    rules: list[Rule] = []
    for entity in ENTITIES:
        contract = load_contract(entity)
        section = read_yaml(f"{entity}.yaml").get("quality") or {}
        for kind, config in section.items():
            if kind == "rules":
                rules += [_listed_rule(entity, r) for r in config]
            else:
                rules += _kind_rules(contract, kind, config or {})
    ids = [r.id for r in rules]
    if len(ids) != len(set(ids)):
        raise ValueError(f"duplicate quality rule ids: {sorted({i for i in ids if ids.count(i) > 1})}")
    return tuple(rules)


def rules_for(table: str, checks: Sequence[str] | None = None) -> list[Rule]:
    return [r for r in load_rules() if r.table == table and (checks is None or r.check in checks)]


ROW_CHECKS = ("unique", "primary_key", "complete", "allowed", "satisfies")


# ---------------------------------------------------------------- results


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


# ---------------------------------------------------------------- evaluation


def _scope(days: Sequence[date] | None) -> str:
    if days is None:
        return "all rows"
    if not days:
        return "no ingest date"
    return "ingest_date " + ", ".join(d.isoformat() for d in sorted(days))


def _check(name: str, now: datetime) -> Any:
    from cuallee import Check, CheckLevel  # type: ignore[import-untyped]

    # execution_date explicitly: cuallee's default is fixed when the module is imported.
    return Check(CheckLevel.WARNING, name, execution_date=now)


def _add(check: Any, rule: Rule) -> None:
    pct = float(rule.min_pass_rate)
    if rule.check in ("unique", "primary_key"):
        check.is_composite_key(list(rule.columns), pct)
    elif rule.check == "complete":
        check.are_complete(list(rule.columns), pct)
    elif rule.check == "allowed":
        check.is_contained_in(rule.columns[0], tuple(rule.allowed), pct)
    else:
        check.satisfies(rule.columns[0], rule.predicate, pct, options={"name": rule.id})


def with_lookup(df: DataFrame, lookup: Lookup, other: DataFrame) -> DataFrame:
    """``df`` with the lookup's columns, left-joined on its keys (unmatched rows get nulls)."""
    right = other.select(
        *[F.col(theirs).alias(f"__lk_{i}") for i, (_, theirs) in enumerate(lookup.join)],
        *[F.col(src).alias(alias) for src, alias in lookup.columns],
    ).dropDuplicates([f"__lk_{i}" for i in range(len(lookup.join))])
    condition = None
    for i, (ours, _) in enumerate(lookup.join):
        clause = df[ours] == right[f"__lk_{i}"]
        condition = clause if condition is None else condition & clause
    joined = df.join(right, on=condition, how="left")
    return joined.drop(*[f"__lk_{i}" for i in range(len(lookup.join))])


def _row_message(rule: Rule, rows: int, violations: int, passed: bool) -> str:
    what = {
        "unique": f"duplicate {'/'.join(rule.columns)} rows",
        "primary_key": f"rows with a missing or repeated {'/'.join(rule.columns)}",
        "complete": f"rows missing one of {', '.join(rule.columns)}",
        "allowed": f"rows with a {rule.columns[0]} outside {', '.join(rule.allowed)}",
        "satisfies": f"rows breaking [{rule.predicate}]",
    }[rule.check]
    verdict = "ok" if passed else "broken"
    return f"{verdict}: {violations} of {rows} {what}"


def evaluate_rows(
    rules: Sequence[Rule],
    df: DataFrame,
    *,
    days: Sequence[date] | None = None,
    lookups: Mapping[str, DataFrame] | None = None,
    now: datetime | None = None,
) -> list[RuleResult]:
    """Evaluate row and column rules on ``df`` (the rows about to be promoted): one cuallee pass per group."""
    now = now or datetime.now(UTC)
    groups: dict[tuple[str | None, Lookup | None], list[Rule]] = {}
    for rule in rules:
        if rule.check not in ROW_CHECKS:
            raise ValueError(f"{rule.id} is a {rule.check} rule, not a row rule")
        groups.setdefault((rule.where, rule.lookup), []).append(rule)
    results: dict[str, RuleResult] = {}
    for (where, lookup), group in groups.items():
        frame = df
        if lookup is not None:
            if lookups is None or lookup.table not in lookups:
                raise ValueError(f"rule {group[0].id} needs {lookup.table}")
            frame = with_lookup(frame, lookup, lookups[lookup.table])
        if where is not None:
            frame = frame.where(where)
        check = _check(group[0].table, now)
        for rule in group:
            _add(check, rule)
        check.validate(frame)
        evaluated = check.rules
        if len(evaluated) != len(group):
            raise ValueError(f"two rules of {group[0].table} are the same check: {[r.id for r in group]}")
        for rule, outcome in zip(group, evaluated, strict=True):
            rows, violations = int(check.rows), int(outcome.violations)
            passed = outcome.status == "PASS"
            results[rule.id] = RuleResult(
                rule, _scope(days), rows, violations, passed, _row_message(rule, rows, violations, passed), now
            )
    return [results[r.id] for r in rules]


def evaluate_volume(
    rule: Rule, day_rows: Mapping[date, int], days: Sequence[date], now: datetime | None = None
) -> RuleResult:
    """Rows of each day in ``days`` against the average of the previous ``window_days`` days that hold data.

    The figures come from the lake catalog (a handful of numbers), so they are judged here directly rather
    than through a Spark job; the Glue ruleset computes the same ratio in SQL (dqdl.volume_sql).
    """
    now = now or datetime.now(UTC)
    window, need = int(rule.param("window_days")), int(rule.param("min_history_days"))
    low, high = rule.param("min_ratio"), rule.param("max_ratio")
    violations, notes = 0, []
    for day in sorted(days):
        history = [n for d, n in day_rows.items() if n > 0 and day - timedelta(days=window) <= d < day]
        rows = int(day_rows.get(day, 0))
        if len(history) < need or sum(history) == 0:
            notes.append(f"{day}: {rows} rows, not judged ({len(history)} earlier days)")
            continue
        avg = (Decimal(sum(history)) / len(history)).quantize(Decimal("0.0001"))
        ratio = Decimal(rows) / avg
        inside = low <= ratio <= high
        violations += 0 if inside else 1
        flag = "" if inside else " OUT OF BAND"
        notes.append(f"{day}: {rows} rows = {ratio.quantize(Decimal('0.01'))}x the average {avg}{flag}")
    checked = len(days)
    passed = checked == 0 or Decimal(checked - violations) / checked >= rule.min_pass_rate
    message = f"{'ok' if passed else 'broken'}: " + ("; ".join(notes) if notes else "no day to judge")
    return RuleResult(rule, _scope(days), checked, violations, passed, message, now)


def ingest_age_hours(latest: date | None, now: datetime) -> Decimal | None:
    """Hours from the newest ingest date's midnight (UTC) to ``now``; None when the feed has no data."""
    if latest is None:
        return None
    start = datetime.combine(latest, time(0), tzinfo=UTC)
    return (Decimal((now - start).total_seconds()) / 3600).quantize(Decimal("0.01"), ROUND_HALF_UP)


def evaluate_freshness(rule: Rule, latest: date | None, now: datetime | None = None) -> RuleResult:
    """The newest ingest date holding rows against ``max_age_hours`` (one figure, from the catalog)."""
    now = now or datetime.now(UTC)
    age = ingest_age_hours(latest, now)
    limit = rule.param("max_age_hours")
    passed = age is not None and age <= limit
    if latest is None:
        message = "broken: the feed has no rows in the lake"
    else:
        message = f"{'ok' if passed else 'broken'}: newest ingest date {latest} is {age} h old (at most {limit} h)"
    return RuleResult(rule, f"newest ingest_date {latest}", 1, 0 if passed else 1, passed, message, now)


def evaluate_feed(
    entity: str,
    df: DataFrame,
    day_rows: Mapping[date, int],
    days: Sequence[date],
    now: datetime | None = None,
) -> list[RuleResult]:
    """Every ``raw.<entity>`` rule on the raw rows of ``days`` (``df``) and the feed's per-day row counts."""
    now = now or datetime.now(UTC)
    table = f"raw.{entity}"
    scoped = df.where(F.col("ingest_date").isin(list(days))) if days else df.limit(0)
    results = evaluate_rows(rules_for(table, ROW_CHECKS), scoped, days=days, now=now)
    for rule in rules_for(table, ("volume",)):
        results.append(evaluate_volume(rule, day_rows, days, now))
    latest = max((d for d, n in day_rows.items() if n > 0), default=None)
    for rule in rules_for(table, ("freshness",)):
        results.append(evaluate_freshness(rule, latest, now))
    order = {r.id: i for i, r in enumerate(load_rules())}
    return sorted(results, key=lambda r: order[r.rule.id])
