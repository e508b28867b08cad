"""The three hops: plan from the catalog, read, transform (pure), write new versions, commit.

Each hop reads one catalog snapshot, writes new partition versions and commits them in one atomic
step, so a hop that dies leaves the previous state intact and the next run redoes exactly the
missing work. The Glue entry scripts and the local runner both call these functions.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from pyspark import StorageLevel
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from energy_lake.etl import analytics, quality, raw, transform
from energy_lake.etl.catalog import LakeCatalog, Partition, Snapshot, Table, partition_id
from energy_lake.etl.contracts import ENTITIES, load_contract, load_marts
from energy_lake.etl.failpoints import failpoint
from energy_lake.etl.io import read_landing, read_table, write_partitions
from energy_lake.etl.landing import plan_entity, raw_partition_id
from energy_lake.etl.locations import LakeLocations
from energy_lake.etl.schemas import raw_schema, transform_schema
from energy_lake.etl.storage import Storage
from energy_lake.etl.tokens import key_pads
from energy_lake.utils.logging import Logger

QUARANTINE = "raw.quarantine"


@dataclass
class RunContext:
    spark: SparkSession
    lake: LakeLocations
    storage: Storage
    run_id: str
    log: Logger
    pii_key: bytes = b""
    reprocess: frozenset[str] = frozenset()
    # Called with the committed tables after each commit (on AWS: GluePartitionSync).
    on_commit: Callable[[list[Table]], None] | None = None
    # Called after each commit to show the run is alive (extends the lake lock).
    heartbeat: Callable[[], None] | None = None
    # Data quality results of this run and the promotions they stopped (written by flush_quality).
    quality: quality.QualityLog = field(default_factory=quality.QualityLog)

    @property
    def catalog(self) -> LakeCatalog:
        return LakeCatalog(self.storage, self.lake.state)

    def commit(self, tables: list[Table]) -> None:
        first = tables[0].name
        failpoint(f"before_commit:{first}")
        self.catalog.commit(tables, self.run_id)
        failpoint(f"after_commit:{first}")
        if self.on_commit is not None:
            self.on_commit(tables)
        if self.heartbeat is not None:
            self.heartbeat()

    def empty_table(self, snapshot: Snapshot, name: str, keys: tuple[str, ...]) -> Table:
        return snapshot.table_or_empty(name, self.lake.table_location(name), keys)


# ---------------------------------------------------------------- data quality gates


def _gate(ctx: RunContext, hop: str, entity: str, results: Sequence[quality.RuleResult], target: str) -> bool:
    """Record ``results``; False (promotion stopped, said loudly) when a ``fail`` rule broke."""
    ctx.quality.results.extend(results)
    json_only = Logger(ctx.log.run_id, json_stream=ctx.log.json_stream)  # passes: log file, not terminal
    for r in results:
        fields = {"hop": hop, "entity": entity, "rule": r.rule.id, "severity": r.rule.severity}
        if r.outcome == quality.PASS:
            json_only.info("rule passed", **fields, violations=r.violations, rows=r.rows)
        elif r.outcome == quality.WARN:
            ctx.log.warning("rule broken", **fields, message=r.message)
    failed = [r for r in results if r.outcome == quality.FAIL]
    if not failed:
        return True
    message = ctx.quality.stop(entity, hop, failed, target)
    ctx.log.error("promotion stopped", hop=hop, entity=entity, rules=[r.rule.id for r in failed], message=message)
    return False


def _days(pids: list[str]) -> list[date]:
    return sorted(date.fromisoformat(pid.split("=", 1)[1]) for pid in pids)


def _day_rows(table: Table | None) -> dict[date, int]:
    """Rows per ingest date of a raw table, from the catalog (no data read)."""
    return {date.fromisoformat(pid.split("=", 1)[1]): p.rows for pid, p in table.partitions.items()} if table else {}


def flush_quality(ctx: RunContext) -> int:
    """Write this run's quality results to analytics.quality_results (one partition per run) and commit them."""
    pending = ctx.quality.results[ctx.quality.committed :]
    if not pending:
        return 0
    if ctx.quality.committed:
        raise RuntimeError("a run writes its quality results once, after its hops")
    table = ctx.empty_table(ctx.catalog.snapshot(), quality.RESULTS_TABLE, (quality.RESULTS_PARTITION,))
    pid = partition_id({quality.RESULTS_PARTITION: ctx.run_id})
    frame = quality.results_frame(ctx.spark, pending, ctx.run_id)
    parts = write_partitions(ctx.spark, frame, table, ctx.run_id, [pid], {})
    ctx.commit([table.with_partitions(parts)])
    ctx.quality.committed = len(ctx.quality.results)
    ctx.log.info("quality results committed", table=quality.RESULTS_TABLE, rows=parts[pid].rows)
    return len(pending)


# ---------------------------------------------------------------- landing -> raw


def landing_to_raw(ctx: RunContext) -> dict[str, Any]:
    """Validate new landing files into raw + quarantine; returns per-entity counts."""
    results = {}
    for entity in ENTITIES:
        results[entity] = _ingest_entity(ctx, entity)
    return results


def _ingest_entity(ctx: RunContext, entity: str) -> dict[str, Any]:
    contract = load_contract(entity)
    snapshot = ctx.catalog.snapshot()
    raw_table = ctx.empty_table(snapshot, f"raw.{entity}", ("ingest_date",))
    quarantine = ctx.empty_table(snapshot, QUARANTINE, ("entity", "ingest_date"))
    plan = plan_entity(ctx.storage, ctx.lake.landing, entity, raw_table, set(ctx.reprocess))
    stats: dict[str, Any] = {
        "files": len(plan.files),
        "files_skipped": plan.skipped_files,
        "rows_read": 0,
        "rows_valid": 0,
        "rows_quarantined": 0,
        "quarantine_reasons": {},
        "dates": plan.dates,
        "per_file": {},
        "rejected_files": [{"file": r.file, "rule": r.rule, "reason": r.reason} for r in plan.rejected],
    }
    for rejection in plan.rejected:
        ctx.log.error("file rejected", entity=entity, file=rejection.file, rule=rejection.rule, reason=rejection.reason)
    if not plan.dates:
        ctx.log.info("nothing new", hop="raw", entity=entity)
        return stats
    ingested_at = datetime.now(UTC).replace(tzinfo=None)
    raw_parts: dict[str, Partition] = {}
    q_parts: dict[str, Partition] = {}
    q_pid = {d: partition_id({"entity": entity, "ingest_date": d}) for d in plan.dates}
    if plan.files:
        records = read_landing(ctx.spark, plan.files, contract, ctx.run_id, ingested_at)
        validated = raw.validate(records, contract).persist(StorageLevel.MEMORY_AND_DISK)
        per_file = _per_file_counts(raw.file_counts(validated).collect(), [rf.file.rel_path for rf in plan.files])
        landing_inputs = {
            raw_partition_id(d): {
                "landing_files": {
                    rf.file.rel_path: {"fingerprint": rf.file.fingerprint, "duplicate_of": rf.duplicate_of}
                    for rf in plan.files
                    if rf.file.ingest_date == d
                }
            }
            for d in plan.dates
        }
        # Quarantine first, raw second: the raw version is what marks a file ingested.
        failpoint(f"raw_read:{entity}")
        q_parts = write_partitions(
            ctx.spark, raw.quarantine_rows(validated, contract), quarantine, ctx.run_id, list(q_pid.values()), {}
        )
        failpoint(f"quarantine_written:{entity}")
        raw_parts = write_partitions(
            ctx.spark,
            raw.valid_rows(validated, contract),
            raw_table,
            ctx.run_id,
            [raw_partition_id(d) for d in plan.dates],
            landing_inputs,
        )
        validated.unpersist()
        stats["per_file"] = per_file
        for counts in per_file.values():
            stats["rows_read"] += counts["rows_read"]
            stats["rows_valid"] += counts["rows_valid"]
            stats["rows_quarantined"] += counts["rows_quarantined"]
            stats["quarantine_reasons"] = dict(Counter(stats["quarantine_reasons"]) + Counter(counts["reasons"]))
    else:  # every file of these dates was rejected: their partitions become empty
        raw_parts = {raw_partition_id(d): Partition("", ctx.run_id, 0) for d in plan.dates}
        q_parts = {pid: Partition("", ctx.run_id, 0) for pid in q_pid.values()}
    ctx.commit([raw_table.with_partitions(raw_parts), quarantine.with_partitions(q_parts)])
    ctx.log.info(
        "raw committed",
        hop="raw",
        entity=entity,
        files=len(plan.files),
        rows_read=stats["rows_read"],
        rows_valid=stats["rows_valid"],
        rows_quarantined=stats["rows_quarantined"],
    )
    return stats


def _per_file_counts(rows: list[Any], files: list[str]) -> dict[str, dict[str, Any]]:
    """Counts per file read, a file without records (header only) included with zeros."""
    out: dict[str, dict[str, Any]] = {
        f: {"rows_read": 0, "rows_valid": 0, "rows_quarantined": 0, "reasons": {}} for f in files
    }
    for row in rows:
        entry = out[row["_source_file"]]
        entry["rows_read"] += row["records"]
        if row[raw.RULE] is None:
            entry["rows_valid"] += row["records"]
        else:
            entry["rows_quarantined"] += row["records"]
            entry["reasons"][row[raw.RULE]] = entry["reasons"].get(row[raw.RULE], 0) + row["records"]
    return dict(sorted(out.items()))


# ---------------------------------------------------------------- raw -> transform


def _raw_versions(table: Table | None) -> dict[str, str]:
    return {pid: p.path for pid, p in table.partitions.items()} if table else {}


def raw_to_transform(ctx: RunContext) -> dict[str, Any]:
    """Rebuild the dimension snapshots and the trade partitions whose raw input changed."""
    results: dict[str, Any] = {}
    pads = key_pads(ctx.spark, ctx.pii_key)
    for entity in ("providers", "customers"):
        results[entity] = _transform_dimension(ctx, entity, pads)
    results["transactions"] = _transform_transactions(ctx, pads)
    return results


def _transform_dimension(ctx: RunContext, entity: str, pads: DataFrame) -> dict[str, Any]:
    contract = load_contract(entity)
    snapshot = ctx.catalog.snapshot()
    source = snapshot.table(f"raw.{entity}")
    target = ctx.empty_table(snapshot, f"transform.{entity}", ())
    inputs = {"raw": _raw_versions(source)}
    current = target.partitions.get("")
    if current and current.inputs == inputs and not ctx.reprocess:
        ctx.log.info("up to date", hop="transform", entity=entity)
        return {"rows": current.rows, "rebuilt": False}
    raw_df = read_table(ctx.spark, source, raw_schema(contract))
    built_from = current.inputs.get("raw", {}) if current else {}
    changed = [
        pid
        for pid, path in inputs["raw"].items()
        if built_from.get(pid) != path or pid in {raw_partition_id(d) for d in ctx.reprocess}
    ]
    checks = quality.evaluate_feed(entity, raw_df, _day_rows(source), _days(changed))
    if not _gate(ctx, quality.RAW_GATE, entity, checks, f"transform.{entity}"):
        return {"rows": current.rows if current else 0, "rebuilt": False, "stopped": True}
    out = (
        transform.providers(raw_df, contract) if entity == "providers" else transform.customers(raw_df, contract, pads)
    )
    parts = write_partitions(ctx.spark, out, target, ctx.run_id, [""], {"": inputs})
    ctx.commit([target.with_partitions(parts)])
    rows_in = source.rows if source else 0
    ctx.log.info("transform committed", hop="transform", entity=entity, rows=parts[""].rows, raw_rows=rows_in)
    return {
        "rows": parts[""].rows,
        "raw_rows": rows_in,
        "duplicates_removed": rows_in - parts[""].rows,
        "rebuilt": True,
    }


def _transform_transactions(ctx: RunContext, pads: DataFrame) -> dict[str, Any]:
    contract = load_contract("transactions")
    snapshot = ctx.catalog.snapshot()
    source = snapshot.table("raw.transactions")
    target = ctx.empty_table(snapshot, "transform.transactions", ("ingest_date",))
    raw_paths = _raw_versions(source)
    forced = {raw_partition_id(d) for d in ctx.reprocess}
    todo = sorted(
        pid
        for pid, path in raw_paths.items()
        if pid in forced or target.partitions.get(pid) is None or target.partitions[pid].inputs.get("raw") != path
    )
    if not todo:
        ctx.log.info("up to date", hop="transform", entity="transactions")
        return {"rows": target.rows, "dates": [], "rebuilt": False}
    raw_df = read_table(ctx.spark, source, raw_schema(contract), todo)
    checks = quality.evaluate_feed("transactions", raw_df, _day_rows(source), _days(todo))
    if not _gate(ctx, quality.RAW_GATE, "transactions", checks, "transform.transactions"):
        return {"rows": target.rows, "dates": [], "rebuilt": False, "stopped": True}
    earliest = min(todo)
    earlier = [pid for pid in target.partitions if pid < earliest]
    earlier_ids = read_table(ctx.spark, target, transform_schema(contract), earlier).select("transaction_id")
    providers_df = read_table(
        ctx.spark, snapshot.table("transform.providers"), transform_schema(load_contract("providers"))
    )
    customers_df = read_table(
        ctx.spark, snapshot.table("transform.customers"), transform_schema(load_contract("customers"))
    )
    out = transform.transactions(raw_df, contract, providers_df, customers_df, earlier_ids, pads)
    out = out.repartition("ingest_date")  # one compact file per day
    parts = write_partitions(ctx.spark, out, target, ctx.run_id, todo, {pid: {"raw": raw_paths[pid]} for pid in todo})
    ctx.commit([target.with_partitions(parts)])
    raw_rows = sum(source.partitions[pid].rows for pid in todo) if source else 0
    rows = sum(p.rows for p in parts.values())
    unresolved = _count_unresolved(ctx.spark, target.with_partitions(parts), contract, todo)
    ctx.log.info("transform committed", hop="transform", entity="transactions", dates=len(todo), rows=rows)
    return {
        "rows": target.with_partitions(parts).rows,
        "dates": [p.split("=")[1] for p in todo],
        "rebuilt": True,
        "rows_written": rows,
        "raw_rows": raw_rows,
        "duplicates_removed": raw_rows - rows,
        "counterparties": unresolved,
    }


def _count_unresolved(spark: SparkSession, table: Table, contract: Any, pids: list[str]) -> dict[str, int]:
    df = read_table(spark, table, transform_schema(contract), pids)
    return {r["counterparty_status"]: int(r["count"]) for r in df.groupBy("counterparty_status").count().collect()}


# ---------------------------------------------------------------- transform -> analytics


def transform_to_analytics(ctx: RunContext) -> dict[str, Any]:
    snapshot = ctx.catalog.snapshot()
    tx_contract = load_contract("transactions")
    source = snapshot.table("transform.transactions")
    versions = _raw_versions(source)
    forced = {raw_partition_id(d) for d in ctx.reprocess}
    tables, results = [], {}
    daily = [m for m in load_marts() if m.partition_by]
    todo_by_mart = {}
    for mart in daily:
        target = ctx.empty_table(snapshot, f"analytics.{mart.name}", ("ingest_date",))
        todo_by_mart[mart.name] = (
            target,
            sorted(
                pid
                for pid, path in versions.items()
                if pid in forced
                or target.partitions.get(pid) is None
                or target.partitions[pid].inputs.get("transform") != path
            ),
        )
    all_todo = sorted({pid for _, todo in todo_by_mart.values() for pid in todo})
    # Not cached: the quality rules and each mart read only their columns of the Parquet files, which
    # costs less than caching every column of every trade (measured in docs/performance.md).
    tx = read_table(ctx.spark, source, transform_schema(tx_contract), all_todo)
    tx_ok = True
    if all_todo:
        providers = read_table(
            ctx.spark, snapshot.table("transform.providers"), transform_schema(load_contract("providers"))
        )
        lookups = {"transform.providers": providers}
        checks = quality.evaluate_rows(
            quality.rules_for("transform.transactions"), tx, days=_days(all_todo), lookups=lookups
        )
        tx_ok = _gate(ctx, quality.TRANSFORM_GATE, "transactions", checks, "the analytics marts")
    for mart in daily:
        target, todo = todo_by_mart[mart.name]
        if not todo or not tx_ok:
            results[mart.name] = {"rows": target.rows, "rebuilt": False, **({} if tx_ok else {"stopped": True})}
            continue
        df = analytics.DAILY_MARTS[mart.name](tx.where(F.col("ingest_date").isin([p.split("=")[1] for p in todo])))
        parts = write_partitions(
            ctx.spark,
            df.repartition("ingest_date"),
            target,
            ctx.run_id,
            todo,
            {pid: {"transform": versions[pid]} for pid in todo},
        )
        tables.append(target.with_partitions(parts))
        results[mart.name] = {"rows": tables[-1].rows, "rebuilt": True, "dates": len(todo)}
    tables += _summaries(ctx, snapshot, results, tx_ok)
    if tables:
        ctx.commit(tables)
    for name, result in results.items():
        ctx.log.info("mart", hop="analytics", mart=name, rows=result["rows"], rebuilt=result["rebuilt"])
    return results


def _summaries(ctx: RunContext, snapshot: Snapshot, results: dict[str, Any], tx_ok: bool = True) -> list[Table]:
    """Lifetime summaries: rebuilt when any trade partition or dimension changed, and their inputs pass."""
    names = ("transform.transactions", "transform.providers", "transform.customers")
    inputs = {n: _raw_versions(snapshot.table(n)) for n in names}
    contracts = {n: load_contract(n.split(".")[1]) for n in names}
    frames = {n: read_table(ctx.spark, snapshot.table(n), transform_schema(contracts[n])) for n in names}
    builders: dict[str, Callable[[], DataFrame]] = {
        "customer_summary": lambda: analytics.customer_summary(frames[names[0]], frames[names[2]]),
        "provider_summary": lambda: analytics.provider_summary(frames[names[0]], frames[names[1]]),
    }
    reads = {"customer_summary": names[2], "provider_summary": names[1]}
    passed: dict[str, bool] = {}
    tables = []
    for name, build in builders.items():
        target = ctx.empty_table(snapshot, f"analytics.{name}", ())
        current = target.partitions.get("")
        if current and current.inputs == inputs and not ctx.reprocess:
            results[name] = {"rows": current.rows, "rebuilt": False}
            continue
        dim = reads[name]
        if dim not in passed:
            checks = quality.evaluate_rows(quality.rules_for(dim), frames[dim])
            passed[dim] = _gate(ctx, quality.TRANSFORM_GATE, dim.split(".")[1], checks, "the analytics marts")
        if not (tx_ok and passed[dim]):
            results[name] = {"rows": target.rows, "rebuilt": False, "stopped": True}
            continue
        parts = write_partitions(ctx.spark, build(), target, ctx.run_id, [""], {"": inputs})
        tables.append(target.with_partitions(parts))
        results[name] = {"rows": parts[""].rows, "rebuilt": True}
    return tables
