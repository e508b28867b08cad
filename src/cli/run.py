"""``energy-lake run``: the three hops on local Spark, one SparkSession, a manifest at the end."""

from __future__ import annotations

import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from energy_lake.etl import manifest
from energy_lake.etl.errors import LakeError
from energy_lake.etl.hops import RunContext, landing_to_raw, raw_to_transform, transform_to_analytics
from energy_lake.etl.locations import LakeLocations
from energy_lake.etl.lock import LakeLock
from energy_lake.etl.pii_key import local_key
from energy_lake.etl.storage import LocalStorage
from energy_lake.utils.logging import Logger


def _check_dates(dates: list[str]) -> frozenset[str]:
    try:
        return frozenset(datetime.strptime(d, "%Y-%m-%d").date().isoformat() for d in dates)
    except ValueError:
        raise LakeError(f"--reprocess takes dates as YYYY-MM-DD, got {', '.join(dates)}") from None


def run_pipeline(
    *, lake_dir: str, landing_dir: str | None, through: str, reprocess: list[str], summary_json: str | None
) -> int:
    lake = LakeLocations.local(lake_dir, landing_dir)
    if not Path(lake.landing).is_dir():
        raise LakeError(f"landing folder {lake.landing} does not exist (use --landing, or `energy-lake ingest` first)")
    forced = _check_dates(reprocess)
    storage = LocalStorage()
    run_id = manifest.new_run_id()
    started = datetime.now(UTC)
    log_path = Path(lake.state) / "logs" / f"{run_id}.jsonl"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    print(f"run {run_id}: landing {lake.landing} -> lake {Path(lake_dir).resolve()}")
    with log_path.open("w", encoding="utf-8") as log_file, LakeLock(storage, lake.state, run_id) as lock:
        log = Logger(run_id, json_stream=log_file, human_stream=sys.stdout)
        if lock.taken_over:
            log.warning("took over an expired lock", previous_run=lock.taken_over)
        clock = time.monotonic()
        print("starting Spark ...")
        from energy_lake.etl.session import local_session

        spark = local_session()
        log.info("spark ready", seconds=round(time.monotonic() - clock, 1))
        ctx = RunContext(spark, lake, storage, run_id, log, local_key(lake.state), forced, heartbeat=lock.refresh)
        transform_stats = analytics_stats = None
        print("landing -> raw")
        raw_stats = landing_to_raw(ctx)
        if through in ("transform", "analytics"):
            print("raw -> transform")
            transform_stats = raw_to_transform(ctx)
        if through == "analytics":
            print("transform -> analytics")
            analytics_stats = transform_to_analytics(ctx)
        doc = manifest.build(run_id, started, raw_stats, transform_stats, analytics_stats)
        where = manifest.write(storage, lake.state, doc)
    if summary_json:
        Path(summary_json).parent.mkdir(parents=True, exist_ok=True)
        Path(summary_json).write_text(json.dumps(doc, indent=2, default=str), encoding="utf-8")
    _print_summary(doc, where)
    return 0 if doc["status"] == "succeeded" else 1


def _print_summary(doc: dict[str, Any], where: str) -> None:
    print()
    print(f"{'entity':<14}{'files':>6}{'read':>10}{'valid':>10}{'quarantined':>13}  top reasons")
    for entity, s in doc["entities"].items():
        reasons = ", ".join(f"{k}={v}" for k, v in sorted(s["quarantine_reasons"].items(), key=lambda kv: -kv[1])[:3])
        counts = f"{s['files']:>6}{s['rows_read']:>10}{s['rows_valid']:>10}{s['rows_quarantined']:>13}"
        print(f"{entity:<14}{counts}  {reasons}")
    for s in doc["entities"].values():
        for rejected in s["rejected_files"]:
            print(f"REJECTED {rejected['file']}: {rejected['reason']}")
    if doc["outputs"]["analytics"]:
        marts = ", ".join(f"{k}={v['rows']}" for k, v in doc["outputs"]["analytics"].items())
        print(f"analytics rows: {marts}")
    print(f"manifest: {where}")
    print(f"status: {doc['status']} in {doc['duration_seconds']}s")
