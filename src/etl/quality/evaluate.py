"""The evaluation of the rules on Spark: row and column rules on a frame with cuallee (:func:`evaluate_rows`,
:func:`with_lookup`), volume and freshness on per-day figures of the lake catalog (:func:`evaluate_volume`,
:func:`evaluate_freshness`, :func:`ingest_age_hours`), and every ``raw.<entity>`` rule of a feed at once
(:func:`evaluate_feed`).

Row and column rules are evaluated with cuallee (native PySpark expressions: one pass over a frame per
group of rules, no JVM jar). Rules that look at a feed rather than at rows (volume, freshness) judge a
few per-day figures the lake catalog already holds, directly in Python: no data is read for them.

The top of the room: imports :mod:`.rules` and :mod:`.results` (only the hops and the job metrics import it);
touches the frames it is given (Spark) and cuallee, no table or file.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from energy_lake.etl.quality.results import RuleResult
from energy_lake.etl.quality.rules import ROW_CHECKS, Lookup, Rule, load_rules, rules_for


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
