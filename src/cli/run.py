"""``energy-lake run``: the three hops on local Spark, one SparkSession, a manifest at the end."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, TextIO

from energy_lake.cli.progress import Progress
from energy_lake.etl.jobs import metrics
from energy_lake.etl.jobs.build_analytics import transform_to_analytics
from energy_lake.etl.jobs.build_raw import landing_to_raw
from energy_lake.etl.jobs.build_transform import raw_to_transform
from energy_lake.etl.jobs.context import RunContext, flush_quality
from energy_lake.etl.jobs.pii_key import local_key
from energy_lake.etl.lake import manifest
from energy_lake.etl.lake.locations import LakeLocations
from energy_lake.etl.lake.lock import LakeLock
from energy_lake.etl.lake.storage import LocalStorage
from energy_lake.etl.model.errors import LakeError
from energy_lake.utils.logging import Logger

# Exit code of a run that processed every file but whose data quality stopped a promotion.
QUALITY_STOPPED = 3


def _check_dates(dates: list[str]) -> frozenset[str]:
    try:
        return frozenset(datetime.strptime(d, "%Y-%m-%d").date().isoformat() for d in dates)
    except ValueError:
        raise LakeError(f"--reprocess takes dates as YYYY-MM-DD, got {', '.join(dates)}") from None


def _open_log(state: str, run_id: str) -> TextIO:
    path = Path(state) / "logs" / f"{run_id}.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    return path.open("w", encoding="utf-8")


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
    run_clock = time.monotonic()
    print(f"run {run_id}: landing {lake.landing} -> lake {Path(lake_dir).resolve()}")
    # The lock comes first: a run refused because another holds the lake leaves nothing behind.
    with LakeLock(storage, lake.state, run_id) as lock, _open_log(lake.state, run_id) as log_file:
        log = Logger(run_id, json_stream=log_file, human_stream=sys.stdout)
        if lock.taken_over:
            log.warning("took over an expired lock", previous_run=lock.taken_over)
        clock = time.monotonic()
        print("starting Spark ...")
        from energy_lake.etl.jobs.session import lake_session, local_session

        spark = lake_session(local_session(), lake)
        log.info("spark ready", seconds=round(time.monotonic() - clock, 1))
        # On a terminal, a live status line under the log lines (cli.progress); elsewhere `out` is stdout itself.
        with Progress.for_stream(sys.stdout, spark.sparkContext.statusTracker(), started=run_clock) as progress:
            out = log.human_stream = progress.stream
            ctx = RunContext(
                spark,
                lake,
                storage,
                run_id,
                log,
                local_key(lake.state),
                forced,
                heartbeat=lock.refresh,
                on_step=progress.step,
            )
            transform_stats = analytics_stats = None
            seconds: dict[str, Decimal] = {}

            def timed(job: str, step: str, hop: Callable[[RunContext], dict[str, Any]]) -> dict[str, Any]:
                progress.step(step, "")
                clock = time.monotonic()
                result = hop(ctx)
                seconds[job] = Decimal(str(round(time.monotonic() - clock, 1)))
                return result

            print("landing -> raw", file=out)
            raw_stats = timed("landing_to_raw", "raw", landing_to_raw)
            ages = metrics.latest_ingest_ages(ctx.state.snapshot(), datetime.now(UTC))
            if through in ("transform", "analytics"):
                print("raw -> transform", file=out)
                transform_stats = timed("raw_to_transform", "transform", raw_to_transform)
            if through == "analytics":
                print("transform -> analytics", file=out)
                analytics_stats = timed("transform_to_analytics", "analytics", transform_to_analytics)
            progress.step("quality", "results")
            flush_quality(ctx)
            doc = manifest.build(
                run_id, started, raw_stats, transform_stats, analytics_stats, quality=ctx.quality.summary()
            )
            data: list[metrics.Datum] = []
            for job, stats in (
                ("landing_to_raw", raw_stats),
                ("raw_to_transform", transform_stats),
                ("transform_to_analytics", analytics_stats),
            ):
                if stats is not None:
                    job_ages = ages if job == "landing_to_raw" else None
                    data += metrics.hop_metrics(
                        job, "local", stats, ctx.quality.results, seconds[job], job_ages, ctx.quality.stopped
                    )
            doc["metrics"] = [d.to_json() for d in data]
            metrics.log_metrics(log, data)
            progress.step("manifest", "")
            where = manifest.write(storage, lake.state, doc)
        log.human_stream = sys.stdout
    if summary_json:
        Path(summary_json).parent.mkdir(parents=True, exist_ok=True)
        Path(summary_json).write_text(json.dumps(doc, indent=2, default=str), encoding="utf-8")
    _print_summary(doc, where)
    if doc["status"] == "succeeded":
        return 0
    only_quality = not doc["error"] and not any(s["rejected_files"] for s in doc["entities"].values())
    return QUALITY_STOPPED if only_quality else 1


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
    q = doc["quality"]
    if q["rules_evaluated"]:
        print(
            f"data quality: {q['rules_evaluated']} rules evaluated: {q['passed']} passed, "
            f"{q['warnings']} warnings, {q['failures']} failures (analytics.quality_results)"
        )
        for r in q["results"]:
            if r["outcome"] != "pass":
                print(f"  {r['outcome'].upper():<5} {r['rule']}: {r['message']}")
    for stop in q["stopped"]:
        print(f"STOPPED {stop['message']}")
    print(f"manifest: {where}")
    print(f"status: {doc['status']} in {doc['duration_seconds']}s")
