"""What a Glue entry script does after it has its arguments and a SparkSession: run one hop.

Plain pyspark only; ``glue_entry`` owns everything that imports ``awsglue``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from pyspark.sql import SparkSession

from energy_lake.etl.jobs import metrics
from energy_lake.etl.jobs.args import DATABASE_ARGUMENTS
from energy_lake.etl.jobs.build_analytics import transform_to_analytics
from energy_lake.etl.jobs.build_raw import landing_to_raw
from energy_lake.etl.jobs.build_transform import raw_to_transform
from energy_lake.etl.jobs.context import RunContext, flush_quality
from energy_lake.etl.jobs.pii_key import local_key, ssm_key
from energy_lake.etl.jobs.session import lake_session
from energy_lake.etl.lake import manifest
from energy_lake.etl.lake.locations import LakeLocations
from energy_lake.etl.lake.lock import HolderAlive, LakeLock, local_process_alive
from energy_lake.etl.lake.storage import is_s3, storage_for
from energy_lake.etl.model.errors import LakeError
from energy_lake.utils.logging import Logger, glue_logger

HOPS = {
    "landing_to_raw": landing_to_raw,
    "raw_to_transform": raw_to_transform,
    "transform_to_analytics": transform_to_analytics,
}


def locations(args: dict[str, str]) -> LakeLocations:
    databases = {name.removesuffix("_database"): args.get(name) for name in DATABASE_ARGUMENTS}
    return LakeLocations(
        landing=args["landing_uri"],
        raw=args["raw_uri"],
        transform=args["transform_uri"],
        analytics=args["analytics_uri"],
        state=args["state_uri"],
        databases={zone: db or zone for zone, db in databases.items()},
    )


def reprocess_dates(text: str | None) -> frozenset[str]:
    if not text:
        return frozenset()
    try:
        return frozenset(date.fromisoformat(d.strip()).isoformat() for d in text.split(",") if d.strip())
    except ValueError:
        raise LakeError(f"--reprocess_dates must be comma-separated YYYY-MM-DD dates, got {text!r}") from None


def pii_key(args: dict[str, str], lake: LakeLocations, boto3_session: Any) -> bytes:
    name = args.get("pii_key_parameter")
    if name is None:
        return b""
    if name in ("env", "local") or not is_s3(lake.state):
        return local_key(lake.state)
    return ssm_key(boto3_session.client("ssm"), name)


GLUE_ACTIVE_STATES = ("STARTING", "RUNNING", "STOPPING", "WAITING")


def glue_run_alive(glue_client: Any) -> HolderAlive:
    """Liveness of a lock holder that is a Glue job run: alive while Glue says it is running."""

    def alive(holder: dict[str, Any]) -> bool:
        name, run = holder.get("glue_job_name"), holder.get("glue_job_run_id")
        if not name or not run:
            return local_process_alive(holder)
        try:
            state = glue_client.get_job_run(JobName=name, RunId=run)["JobRun"]["JobRunState"]
        except glue_client.exceptions.EntityNotFoundException:
            return False
        return str(state) in GLUE_ACTIVE_STATES

    return alive


def _lock(storage: Any, lake: LakeLocations, run_id: str, args: dict[str, str], boto3_session: Any) -> LakeLock:
    if boto3_session is None or not args.get("JOB_RUN_ID"):
        return LakeLock(storage, lake.state, run_id)
    identity = {"glue_job_name": args["JOB_NAME"], "glue_job_run_id": args["JOB_RUN_ID"]}
    return LakeLock(
        storage, lake.state, run_id, holder_alive=glue_run_alive(boto3_session.client("glue")), identity=identity
    )


def run_hop(
    job: str, spark: SparkSession, args: dict[str, str], boto3_session: Any = None, log: Logger | None = None
) -> dict[str, Any]:
    """Run ``job`` under the lake lock, write its manifest and publish its metrics; returns the manifest.

    On AWS (``boto3_session`` given) the metrics go to CloudWatch, with ``Environment`` from ``--env``;
    they are always in the manifest (``metrics``) and the JSON log.
    """
    lake = locations(args)
    spark = lake_session(spark, lake)
    storage = storage_for(lake.state, boto3_session)
    run_id = manifest.new_run_id()
    log = log or glue_logger(run_id)
    started = datetime.now(UTC)
    with _lock(storage, lake, run_id, args, boto3_session) as lock:
        if lock.taken_over:
            log.warning("took over the lock of a dead run", previous_run=lock.taken_over)
        ctx = RunContext(
            spark,
            lake,
            storage,
            run_id,
            log,
            pii_key(args, lake, boto3_session),
            reprocess_dates(args.get("reprocess_dates")),
            heartbeat=lock.refresh,
        )
        result = HOPS[job](ctx)
        flush_quality(ctx)
        ages = metrics.latest_ingest_ages(ctx.state.snapshot(), datetime.now(UTC)) if job == "landing_to_raw" else {}
    raw_stats = result if job == "landing_to_raw" else {}
    doc = manifest.build(
        run_id,
        started,
        raw_stats,
        result if job == "raw_to_transform" else None,
        result if job == "transform_to_analytics" else None,
        quality=ctx.quality.summary(),
    )
    doc["job"] = job
    data = metrics.hop_metrics(
        job,
        args.get("env", "local"),
        result,
        ctx.quality.results,
        Decimal(str(doc["duration_seconds"])),
        ages,
        ctx.quality.stopped,
    )
    doc["metrics"] = [d.to_json() for d in data]
    manifest.write(storage, lake.state, doc)
    metrics.log_metrics(log, data)
    for stop in doc["quality"]["stopped"]:
        log.error("data quality stopped a promotion", **stop)
    if boto3_session is not None:
        metrics.publish(boto3_session.client("cloudwatch"), data)
    log.info("job finished", job=job, status=doc["status"])
    return doc
