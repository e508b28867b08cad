"""Hop 2, raw -> transform: :func:`raw_to_transform` rebuilds the dimension snapshots (providers, customers)
and the trade partitions whose raw input changed, each behind the gate of its ``raw.<entity>`` rules.

Imports :mod:`.context`, ``quality.evaluate`` and ``quality.rules``, ``landing.plan``, ``lake``, ``transforms``
and ``model``; touches ``raw.<entity>`` (read), ``transform.<entity>`` and the build log.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from pyspark.sql import DataFrame

from energy_lake.etl.jobs.context import RunContext, gate, ingest_days, inputs_by_day, stale_partitions
from energy_lake.etl.lake.state import Table
from energy_lake.etl.landing.plan import raw_partition_id
from energy_lake.etl.model.contracts import load_contract
from energy_lake.etl.quality.evaluate import evaluate_feed
from energy_lake.etl.quality.rules import RAW_GATE
from energy_lake.etl.transforms import transform
from energy_lake.etl.transforms.tokens import key_pads


def _day_rows(table: Table) -> dict[date, int]:
    """Rows per ingest date of a raw table, from the ingest log (no data read)."""
    return {date.fromisoformat(pid.split("=", 1)[1]): p.rows for pid, p in table.partitions.items()}


def raw_to_transform(ctx: RunContext) -> dict[str, Any]:
    """Rebuild the dimension snapshots and the trade partitions whose raw input changed."""
    results: dict[str, Any] = {}
    pads = key_pads(ctx.spark, ctx.pii_key)
    for entity in ("providers", "customers"):
        results[entity] = _transform_dimension(ctx, entity, pads)
    results["transactions"] = _transform_transactions(ctx, pads)
    return results


def _transform_dimension(ctx: RunContext, entity: str, pads: DataFrame) -> dict[str, Any]:
    ctx.step("transform", entity)
    contract = load_contract(entity)
    snapshot = ctx.state.snapshot()
    source = snapshot.table(f"raw.{entity}")
    target = snapshot.table(f"transform.{entity}")
    inputs = source.versions()
    current = target.partitions.get("")
    if current and current.inputs == inputs and not ctx.reprocess:
        ctx.log.info("up to date", hop="transform", entity=entity)
        return {"rows": current.rows, "rebuilt": False}
    raw_df = ctx.tables.read(source.name)
    built_from = current.inputs if current else {}
    forced = {raw_partition_id(d) for d in ctx.reprocess}
    changed = [
        pid
        for pid, p in source.partitions.items()
        if built_from.get(f"{source.name}/{pid}") != p.run_id or pid in forced
    ]
    checks = evaluate_feed(entity, raw_df, _day_rows(source), ingest_days(changed))
    if not gate(ctx, RAW_GATE, entity, checks, f"transform.{entity}"):
        return {"rows": current.rows if current else 0, "rebuilt": False, "stopped": True}
    out = (
        transform.providers(raw_df, contract) if entity == "providers" else transform.customers(raw_df, contract, pads)
    )
    parts = ctx.write(target.name, out, [""], {"": inputs})
    ctx.record_builds([target.with_partitions(parts)], {target.name: [""]})
    rows_in = source.rows
    ctx.log.info("transform committed", hop="transform", entity=entity, rows=parts[""].rows, raw_rows=rows_in)
    return {
        "rows": parts[""].rows,
        "raw_rows": rows_in,
        "duplicates_removed": rows_in - parts[""].rows,
        "rebuilt": True,
    }


def _transform_transactions(ctx: RunContext, pads: DataFrame) -> dict[str, Any]:
    ctx.step("transform", "transactions")
    contract = load_contract("transactions")
    snapshot = ctx.state.snapshot()
    source = snapshot.table("raw.transactions")
    target = snapshot.table("transform.transactions")
    wanted = inputs_by_day(source, set(source.partitions) | set(target.partitions))
    todo = stale_partitions(target, wanted, {raw_partition_id(d) for d in ctx.reprocess})
    if not todo:
        ctx.log.info("up to date", hop="transform", entity="transactions")
        return {"rows": target.rows, "dates": [], "rebuilt": False}
    raw_df = ctx.tables.read(source.name, todo)
    checks = evaluate_feed("transactions", raw_df, _day_rows(source), ingest_days(todo))
    if not gate(ctx, RAW_GATE, "transactions", checks, "transform.transactions"):
        return {"rows": target.rows, "dates": [], "rebuilt": False, "stopped": True}
    earliest = min(todo)
    earlier = [pid for pid in target.partitions if pid < earliest]
    earlier_ids = ctx.tables.read(target.name, earlier).select("transaction_id")
    providers_df = ctx.tables.read("transform.providers")
    customers_df = ctx.tables.read("transform.customers")
    out = transform.transactions(raw_df, contract, providers_df, customers_df, earlier_ids, pads)
    out = out.repartition("ingest_date")  # one compact file per day
    parts = ctx.write(target.name, out, todo, wanted)
    built = target.with_partitions(parts)
    ctx.record_builds([built], {target.name: todo})
    raw_rows = sum(source.partitions[pid].rows for pid in todo if pid in source.partitions)
    rows = sum(p.rows for p in parts.values())
    unresolved = _count_unresolved(ctx, todo)
    ctx.log.info("transform committed", hop="transform", entity="transactions", dates=len(todo), rows=rows)
    return {
        "rows": built.rows,
        "dates": [p.split("=")[1] for p in todo],
        "rebuilt": True,
        "rows_written": rows,
        "raw_rows": raw_rows,
        "duplicates_removed": raw_rows - rows,
        "counterparties": unresolved,
    }


def _count_unresolved(ctx: RunContext, pids: list[str]) -> dict[str, int]:
    df = ctx.tables.read("transform.transactions", pids)
    return {r["counterparty_status"]: int(r["count"]) for r in df.groupBy("counterparty_status").count().collect()}
