"""Hop 3, transform -> analytics: :func:`transform_to_analytics` rebuilds the daily marts of the days whose trade
partition changed and the lifetime summaries when anything they read changed, behind the gate of the
``transform.<entity>`` rules.

Imports :mod:`.context`, ``quality.evaluate`` and ``quality.rules``, ``landing.plan``, ``lake``, ``transforms``
and ``model``; touches ``transform.*`` (read), ``analytics.<mart>`` and the build log.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from energy_lake.etl.jobs.context import RunContext, gate, ingest_days, inputs_by_day, stale_partitions
from energy_lake.etl.lake.state import StateSnapshot, Table
from energy_lake.etl.landing.plan import raw_partition_id
from energy_lake.etl.model.contracts import load_marts
from energy_lake.etl.quality.evaluate import evaluate_rows
from energy_lake.etl.quality.rules import TRANSFORM_GATE, rules_for
from energy_lake.etl.transforms import analytics


def transform_to_analytics(ctx: RunContext) -> dict[str, Any]:
    ctx.step("analytics", "transactions")
    snapshot = ctx.state.snapshot()
    source = snapshot.table("transform.transactions")
    forced = {raw_partition_id(d) for d in ctx.reprocess}
    built: list[Table] = []
    changed: dict[str, list[str]] = {}
    results: dict[str, Any] = {}
    daily = [m for m in load_marts() if m.partition_by]
    todo_by_mart = {}
    for mart in daily:
        target = snapshot.table(f"analytics.{mart.name}")
        wanted = inputs_by_day(source, set(source.partitions) | set(target.partitions))
        todo_by_mart[mart.name] = (target, wanted, stale_partitions(target, wanted, forced))
    all_todo = sorted({pid for _, _, todo in todo_by_mart.values() for pid in todo})
    # Not cached: the quality rules and each mart read only their columns of the Parquet files, which
    # costs less than caching every column of every trade (measured in docs/performance.md).
    tx = ctx.tables.read(source.name, all_todo)
    tx_ok = True
    if all_todo:
        lookups = {"transform.providers": ctx.tables.read("transform.providers")}
        checks = evaluate_rows(rules_for("transform.transactions"), tx, days=ingest_days(all_todo), lookups=lookups)
        tx_ok = gate(ctx, TRANSFORM_GATE, "transactions", checks, "the analytics marts")
    for mart in daily:
        target, wanted, todo = todo_by_mart[mart.name]
        ctx.step("analytics", mart.name)
        if not todo or not tx_ok:
            results[mart.name] = {"rows": target.rows, "rebuilt": False, **({} if tx_ok else {"stopped": True})}
            continue
        days = [date.fromisoformat(p.split("=")[1]) for p in todo]
        df = analytics.DAILY_MARTS[mart.name](tx.where(F.col("ingest_date").isin(days)))
        parts = ctx.write(target.name, df.repartition("ingest_date"), todo, wanted)
        built.append(target.with_partitions(parts))
        changed[target.name] = todo
        results[mart.name] = {"rows": built[-1].rows, "rebuilt": True, "dates": len(todo)}
    ctx.step("analytics", "lifetime summaries")
    for table in _summaries(ctx, snapshot, results, tx_ok):
        built.append(table)
        changed[table.name] = [""]
    if built:
        ctx.record_builds(built, changed)
    for name, result in results.items():
        ctx.log.info("mart", hop="analytics", mart=name, rows=result["rows"], rebuilt=result["rebuilt"])
    return results


def _summaries(ctx: RunContext, snapshot: StateSnapshot, results: dict[str, Any], tx_ok: bool = True) -> list[Table]:
    """Lifetime summaries: rebuilt when any trade partition or dimension changed, and their inputs pass."""
    names = ("transform.transactions", "transform.providers", "transform.customers")
    inputs = {k: v for n in names for k, v in snapshot.table(n).versions().items()}
    frames = {n: ctx.tables.read(n) for n in names}
    builders: dict[str, Callable[[], DataFrame]] = {
        "customer_summary": lambda: analytics.customer_summary(frames[names[0]], frames[names[2]]),
        "provider_summary": lambda: analytics.provider_summary(frames[names[0]], frames[names[1]]),
    }
    reads = {"customer_summary": names[2], "provider_summary": names[1]}
    passed: dict[str, bool] = {}
    tables = []
    for name, build in builders.items():
        target = snapshot.table(f"analytics.{name}")
        current = target.partitions.get("")
        if current and current.inputs == inputs and not ctx.reprocess:
            results[name] = {"rows": current.rows, "rebuilt": False}
            continue
        dim = reads[name]
        if dim not in passed:
            checks = evaluate_rows(rules_for(dim), frames[dim])
            passed[dim] = gate(ctx, TRANSFORM_GATE, dim.split(".")[1], checks, "the analytics marts")
        if not (tx_ok and passed[dim]):
            results[name] = {"rows": target.rows, "rebuilt": False, "stopped": True}
            continue
        parts = ctx.write(target.name, build(), [""], {"": inputs})
        tables.append(target.with_partitions(parts))
        results[name] = {"rows": parts[""].rows, "rebuilt": True}
    return tables
