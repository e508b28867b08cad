"""Hop 1, landing -> raw: :func:`landing_to_raw` validates the new landing files of each entity into
``raw.<entity>`` and the quarantine, then records them in the ingest log.

Evaluates no quality rule (the ``raw.<entity>`` rules gate the next hop, ``build_transform``). Imports
:mod:`.context`, ``landing``, ``lake``, ``transforms`` and ``model``; touches the landing files (read), the
quarantine, ``raw.<entity>`` and the ingest log, in that order, with the failpoints ``raw_read:<entity>`` and
``quarantine_written:<entity>`` between them.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

from pyspark import StorageLevel

from energy_lake.etl.jobs.context import RunContext
from energy_lake.etl.lake.failpoints import failpoint
from energy_lake.etl.lake.state import IngestedFile
from energy_lake.etl.lake.tables import QUARANTINE, partition_id
from energy_lake.etl.landing.plan import plan_entity, raw_partition_id
from energy_lake.etl.landing.read import read_landing
from energy_lake.etl.model.contracts import ENTITIES, load_contract
from energy_lake.etl.transforms import raw


def landing_to_raw(ctx: RunContext) -> dict[str, Any]:
    """Validate new landing files into raw + quarantine; returns per-entity counts."""
    results = {}
    for entity in ENTITIES:
        results[entity] = _ingest_entity(ctx, entity)
    return results


def _ingest_entity(ctx: RunContext, entity: str) -> dict[str, Any]:
    ctx.step("raw", entity)
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
