"""Spark settings the jobs rely on, applied the same way locally and on Glue."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from pyspark.sql import SparkSession

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


def configure(spark: SparkSession) -> SparkSession:
    for key, value in RUNTIME_CONF.items():
        spark.conf.set(key, value)
    return spark


def local_session(app_name: str = "energy-lake", *, cores: int | None = None) -> SparkSession:
    """A local SparkSession fitted to one machine (quiet logs, no UI, few shuffle partitions).

    A session already running in this process (a test suite's, a notebook's) is reused as it is.
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
        .config("spark.driver.memory", os.environ.get("ENERGY_LAKE_DRIVER_MEMORY", "2g"))
        .config("spark.sql.warehouse.dir", os.path.join(tempfile.gettempdir(), "energy-lake-warehouse"))
        .config("spark.driver.extraJavaOptions", f"-Dlog4j2.configurationFile=file:{log_config}")
    )
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return configure(spark)
