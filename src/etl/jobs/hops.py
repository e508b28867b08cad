"""The three hops: plan from the lake state, read, transform (pure), write, record what was built.

Every table write is one Iceberg commit replacing whole partitions, and a hop records what it built
(``state``) only after its data is committed, so a hop that dies leaves every table readable and
the next run redoes exactly the missing work, overwriting the same partitions with the same rows.
The Glue entry scripts and the local runner both call these functions.
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

from energy_lake.etl.lake.failpoints import failpoint
from energy_lake.etl.lake.locations import LakeLocations
from energy_lake.etl.lake.state import IngestedFile, LakeState, Partition, StateSnapshot, Table
from energy_lake.etl.lake.storage import Storage
from energy_lake.etl.lake.tables import QUARANTINE, LakeTables, partition_id
from energy_lake.etl.landing.plan import plan_entity, raw_partition_id
from energy_lake.etl.landing.read import read_landing
from energy_lake.etl.model.contracts import ENTITIES, load_contract, load_marts
from energy_lake.etl.quality import rules as quality
from energy_lake.etl.transforms import analytics, raw, transform
from energy_lake.etl.transforms.tokens import key_pads
from energy_lake.utils.logging import Logger


@dataclass
class RunContext:
    spark: SparkSession  # its catalog ``lake`` bound (session.lake_session)
    lake: LakeLocations
    storage: Storage
    run_id: str
    log: Logger
    pii_key: bytes = b""
    reprocess: frozenset[str] = frozenset()
    # Called after each hop's state is recorded to show the run is alive (extends the lake lock).
    heartbeat: Callable[[], None] | None = None
    # Data quality results of this run and the promotions they stopped (written by flush_quality).
    quality: quality.QualityLog = field(default_factory=quality.QualityLog)
    tables: LakeTables = field(init=False)
    state: LakeState = field(init=False)

    def __post_init__(self) -> None:
        self.tables = LakeTables(self.spark, self.lake.databases)
        self.state = LakeState(self.tables)

    def write(
        self, name: str, df: DataFrame, pids: list[str], inputs: dict[str, dict[str, str]]
    ) -> dict[str, Partition]:
        """Replace ``pids`` of table ``name`` by ``df`` (one commit); the partitions as the state records them."""
        rows = self.tables.overwrite(name, df, pids, self.run_id)
        return {pid: Partition(self.run_id, rows[pid], inputs.get(pid, {})) for pid in pids}

    def record_builds(self, built: list[Table], changed: dict[str, list[str]]) -> None:
        self.state.record_builds(built, changed)
        self.alive()

    def alive(self) -> None:
        if self.heartbeat is not None:
            self.heartbeat()


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


def _day_rows(table: Table) -> dict[date, int]:
    """Rows per ingest date of a raw table, from the ingest log (no data read)."""
    return {date.fromisoformat(pid.split("=", 1)[1]): p.rows for pid, p in table.partitions.items()}


def flush_quality(ctx: RunContext) -> int:
    """Write this run's quality results to analytics.quality_results (one partition per run)."""
    pending = ctx.quality.results[ctx.quality.committed :]
    if not pending:
        return 0
    if ctx.quality.committed:
        raise RuntimeError("a run writes its quality results once, after its hops")
    pid = partition_id({quality.RESULTS_PARTITION: ctx.run_id})
    frame = quality.results_frame(ctx.spark, pending, ctx.run_id)
    rows = ctx.tables.overwrite(quality.RESULTS_TABLE, frame, [pid], ctx.run_id)
    ctx.quality.committed = len(ctx.quality.results)
    ctx.log.info("quality results committed", table=quality.RESULTS_TABLE, rows=rows[pid])
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
    snapshot = ctx.state.snapshot()
    plan = plan_entity(ctx.storage, ctx.lake.landing, entity, snapshot.ingested_files(entity), set(ctx.reprocess))
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
    q_pids = [partition_id({"entity": entity, "ingest_date": d}) for d in plan.dates]
    raw_pids = [raw_partition_id(d) for d in plan.dates]
    per_file: dict[str, dict[str, Any]] = {}
    if plan.files:
        records = read_landing(ctx.spark, plan.files, contract, ctx.run_id, ingested_at)
        validated = raw.validate(records, contract).persist(StorageLevel.MEMORY_AND_DISK)
        per_file = _per_file_counts(raw.file_counts(validated).collect(), [rf.file.rel_path for rf in plan.files])
        quarantined, valid = raw.quarantine_rows(validated, contract), raw.valid_rows(validated, contract)
    else:  # every file of these dates was rejected: their partitions become empty
        validated = None
        quarantined = ctx.spark.createDataFrame([], ctx.tables.ensure(QUARANTINE).schema)
        valid = ctx.spark.createDataFrame([], ctx.tables.ensure(f"raw.{entity}").schema)
    # Quarantine first, raw second, the ingest log last: the log is what marks a file ingested, so a
    # crash before it makes the next run redo these dates, replacing the same partitions again.
    failpoint(f"raw_read:{entity}")
    ctx.tables.overwrite(QUARANTINE, quarantined, q_pids, ctx.run_id)
    failpoint(f"quarantine_written:{entity}")
    ctx.tables.overwrite(f"raw.{entity}", valid, raw_pids, ctx.run_id)
    if validated is not None:
        validated.unpersist()
    files = [
        IngestedFile(
            entity,
            rf.file.ingest_date,
            rf.file.rel_path,
            rf.fingerprint,
            rf.file.version,
            rf.duplicate_of,
            rf.file.size,
            per_file[rf.file.rel_path]["rows_read"],
            per_file[rf.file.rel_path]["rows_valid"],
            per_file[rf.file.rel_path]["rows_quarantined"],
        )
        for rf in plan.files
    ]
    ctx.state.record_ingest(entity, plan.dates, files, ctx.run_id)
    ctx.alive()
    stats["per_file"] = per_file
    for counts in per_file.values():
        stats["rows_read"] += counts["rows_read"]
        stats["rows_valid"] += counts["rows_valid"]
        stats["rows_quarantined"] += counts["rows_quarantined"]
        stats["quarantine_reasons"] = dict(Counter(stats["quarantine_reasons"]) + Counter(counts["reasons"]))
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


def _stale(target: Table, wanted: dict[str, dict[str, str]], forced: set[str]) -> list[str]:
    """Partitions of ``target`` whose recorded inputs differ from ``wanted`` (or that ``--reprocess`` names)."""
    pids = set(wanted) | set(target.partitions)
    return sorted(
        pid
        for pid in pids
        if pid in forced or target.partitions.get(pid) is None or target.partitions[pid].inputs != wanted.get(pid, {})
    )


def _by_day(source: Table, pids: set[str]) -> dict[str, dict[str, str]]:
    """Inputs of each daily partition built from ``source``: the same day of it, at its current version."""
    return {
        pid: ({f"{source.name}/{pid}": source.partitions[pid].run_id} if pid in source.partitions else {})
        for pid in pids
    }


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
    checks = quality.evaluate_feed(entity, raw_df, _day_rows(source), _days(changed))
    if not _gate(ctx, quality.RAW_GATE, entity, checks, f"transform.{entity}"):
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
    contract = load_contract("transactions")
    snapshot = ctx.state.snapshot()
    source = snapshot.table("raw.transactions")
    target = snapshot.table("transform.transactions")
    wanted = _by_day(source, set(source.partitions) | set(target.partitions))
    todo = _stale(target, wanted, {raw_partition_id(d) for d in ctx.reprocess})
    if not todo:
        ctx.log.info("up to date", hop="transform", entity="transactions")
        return {"rows": target.rows, "dates": [], "rebuilt": False}
    raw_df = ctx.tables.read(source.name, todo)
    checks = quality.evaluate_feed("transactions", raw_df, _day_rows(source), _days(todo))
    if not _gate(ctx, quality.RAW_GATE, "transactions", checks, "transform.transactions"):
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


# ---------------------------------------------------------------- transform -> analytics


def transform_to_analytics(ctx: RunContext) -> dict[str, Any]:
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
        wanted = _by_day(source, set(source.partitions) | set(target.partitions))
        todo_by_mart[mart.name] = (target, wanted, _stale(target, wanted, forced))
    all_todo = sorted({pid for _, _, todo in todo_by_mart.values() for pid in todo})
    # Not cached: the quality rules and each mart read only their columns of the Parquet files, which
    # costs less than caching every column of every trade (measured in docs/performance.md).
    tx = ctx.tables.read(source.name, all_todo)
    tx_ok = True
    if all_todo:
        lookups = {"transform.providers": ctx.tables.read("transform.providers")}
        checks = quality.evaluate_rows(
            quality.rules_for("transform.transactions"), tx, days=_days(all_todo), lookups=lookups
        )
        tx_ok = _gate(ctx, quality.TRANSFORM_GATE, "transactions", checks, "the analytics marts")
    for mart in daily:
        target, wanted, todo = todo_by_mart[mart.name]
        if not todo or not tx_ok:
            results[mart.name] = {"rows": target.rows, "rebuilt": False, **({} if tx_ok else {"stopped": True})}
            continue
        days = [date.fromisoformat(p.split("=")[1]) for p in todo]
        df = analytics.DAILY_MARTS[mart.name](tx.where(F.col("ingest_date").isin(days)))
        parts = ctx.write(target.name, df.repartition("ingest_date"), todo, wanted)
        built.append(target.with_partitions(parts))
        changed[target.name] = todo
        results[mart.name] = {"rows": built[-1].rows, "rebuilt": True, "dates": len(todo)}
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
            checks = quality.evaluate_rows(quality.rules_for(dim), frames[dim])
            passed[dim] = _gate(ctx, quality.TRANSFORM_GATE, dim.split(".")[1], checks, "the analytics marts")
        if not (tx_ok and passed[dim]):
            results[name] = {"rows": target.rows, "rebuilt": False, "stopped": True}
            continue
        parts = ctx.write(target.name, build(), [""], {"": inputs})
        tables.append(target.with_partitions(parts))
        results[name] = {"rows": parts[""].rows, "rebuilt": True}
    return tables
