"""Spark settings the jobs rely on, applied the same way locally and on Glue."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from pyspark.sql import SparkSession

from energy_lake.etl.lake import iceberg
from energy_lake.etl.lake.locations import LakeLocations

# Behaviour the job code depends on; set on every session, including Glue's.
RUNTIME_CONF = {
    # Casts of bad text yield null (then the row is quarantined) instead of failing the job.
    "spark.sql.ansi.enabled": "false",
    "spark.sql.legacy.timeParserPolicy": "CORRECTED",
    "spark.sql.session.timeZone": "UTC",
    # Validation needs every CSV field parsed so wrong field counts are always seen.
    "spark.sql.csv.parser.columnPruning.enabled": "false",
    "spark.sql.parquet.compression.codec": "zstd",
    "spark.sql.sources.partitionOverwriteMode": "static",
}


# Performance only (results are the same without them); set on every session too. See docs/performance.md.
PERFORMANCE_CONF = {
    # Partitioned writes: Spark would sort every task's rows by the partition columns before writing, although
    # a landing file is one ingest date and a repartitioned trade day is one task. Keep a writer open per
    # partition value instead (up to this many per task; past that Spark sorts the rest, as before).
    "spark.sql.optimizer.plannedWrite.enabled": "false",
    "spark.sql.maxConcurrentOutputFileWriters": "16",
    # The JVM does not JIT-compile a method over 8000 bytes of bytecode: a whole-stage-generated method
    # that large (the validation of a contract's columns) ran interpreted, at half the speed of Spark's
    # per-operator generated code. Fall back to that for such plans.
    "spark.sql.codegen.hugeMethodLimit": "8000",
    # Parquet row groups of 32 MiB (not 128) and read splits to match: a day of trades is one file, and
    # 128 MiB splits made few, large read tasks (blocks of ~1.6M wide rows that, cached, ran the 2 GiB heap
    # out of memory at 10M trades). Athena still reads whole row groups.
    "parquet.block.size": str(32 << 20),
    "spark.sql.files.maxPartitionBytes": str(32 << 20),
}


def configure(spark: SparkSession) -> SparkSession:
    for key, value in {**RUNTIME_CONF, **PERFORMANCE_CONF}.items():
        spark.conf.set(key, value)
    return spark


def lake_session(spark: SparkSession, lake: LakeLocations | str | Path) -> SparkSession:
    """The session a run works in: ``lake`` bound (``iceberg.bind``) and the runtime settings applied.

    ``lake`` is the run's locations, or a local lake folder.
    """
    if iceberg.configured_elsewhere(spark):
        return configure(spark)
    locations = lake if isinstance(lake, LakeLocations) else LakeLocations.local(lake)
    return configure(iceberg.bind(spark, locations.warehouse))


def local_session(app_name: str = "energy-lake", *, cores: int | None = None) -> SparkSession:
    """A local SparkSession fitted to one machine (quiet logs, no UI, few shuffle partitions).

    A session already running in this process (a test suite's, a notebook's) is reused as it is; it
    must have been built with ``iceberg.session_conf()``. The Iceberg jar comes from a PyPI wheel.
    """
    active = SparkSession.getActiveSession()
    if active is not None:
        return configure(active)
    cores = cores or os.cpu_count() or 2
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")  # one machine: no hostname look-ups, no warning
    log_config = Path(__file__).with_name("log4j2.properties")
    builder = (
        SparkSession.builder.master(f"local[{cores}]")
        .appName(app_name)
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", str(max(4, cores * 2)))
        .config("spark.sql.adaptive.enabled", "true")
        .config(map={**iceberg.session_conf()})
        .config("spark.driver.memory", os.environ.get("ENERGY_LAKE_DRIVER_MEMORY", "2g"))
        .config("spark.sql.warehouse.dir", os.path.join(tempfile.gettempdir(), "energy-lake-warehouse"))
        # The throughput collector: G1's concurrent threads compete with the 2 tasks of a 2-core machine
        # (measured: 9% less CPU at 1M trades; docs/performance.md). Glue sets its own JVM options.
        .config("spark.driver.extraJavaOptions", f"-XX:+UseParallelGC -Dlog4j2.configurationFile=file:{log_config}")
    )
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return configure(spark)
