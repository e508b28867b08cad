"""The Iceberg side of a Spark session: the runtime jar, the one catalog name and how it is bound.

The job code names every table ``lake.<database>.<table>``. What ``lake`` is comes from configuration
only (docs/adr/0002-iceberg-tables.md):

- on AWS Glue 5.1 the job's ``--datalake-formats iceberg`` and ``--conf`` arguments (set by Terraform)
  bind it to the Glue Data Catalog (``GlueCatalog``, ``S3FileIO``); the session arrives configured;
- locally, ``bind`` gives each run its own session (``newSession``: same SparkContext, its own SQL
  configuration and catalog cache) whose ``lake`` is a ``hadoop`` catalog in the lake folder, so a
  table ``raw.transactions`` lives at ``<lake>/raw/transactions`` (data/ and metadata/).
"""

from __future__ import annotations

from importlib import util
from pathlib import Path

from pyspark.sql import SparkSession

from energy_lake.etl.model.errors import LakeError

CATALOG = "lake"
JAR_PACKAGE = "snowpark-connect-deps-iceberg"
EXTENSIONS = "org.apache.iceberg.spark.extensions.IcebergSparkSessionExtensions"
# Set on every table the jobs create; Terraform sets the same on the Glue tables it creates.
TABLE_PROPERTIES = {
    "format-version": "2",
    "write.format.default": "parquet",
    "write.parquet.compression-codec": "zstd",
    # The jobs lay their rows out themselves (a landing file is one task and one date; trades and marts are
    # repartitioned by day): no extra shuffle before a write, and a writer open per partition in a task.
    "write.distribution-mode": "none",
    "write.spark.fanout.enabled": "true",
    # Partition overwrites rewrite whole files (copy-on-write): the jobs never delete single rows.
    "write.delete.mode": "copy-on-write",
    "write.update.mode": "copy-on-write",
    "write.merge.mode": "copy-on-write",
}


def runtime_jar() -> str:
    """The Iceberg Spark runtime for Spark 3.5 / Scala 2.12, from the PyPI wheel the requirements pin."""
    spec = util.find_spec("snowpark_connect_deps_iceberg")
    jars = (
        sorted(Path(spec.origin).parent.glob("jars/iceberg-spark-runtime-3.5_2.12-*.jar"))
        if spec and spec.origin
        else []
    )
    if not jars:
        raise LakeError(
            f"the Apache Iceberg Spark runtime jar is missing: install the Python package {JAR_PACKAGE} "
            "(it is in requirements.txt: `make setup`), or give Spark the jar with spark.jars"
        )
    return str(jars[-1])


def session_conf() -> dict[str, str]:
    """What a local SparkSession needs at build time for Iceberg (jars and extensions cannot be set later)."""
    return {"spark.jars": runtime_jar(), "spark.sql.extensions": EXTENSIONS}


def hadoop_catalog_conf(warehouse: str) -> dict[str, str]:
    prefix = f"spark.sql.catalog.{CATALOG}"
    return {
        prefix: "org.apache.iceberg.spark.SparkCatalog",
        f"{prefix}.type": "hadoop",
        f"{prefix}.warehouse": warehouse,
        # Each run reads the tables as committed, never a cached older version.
        f"{prefix}.cache-enabled": "false",
    }


def configured_elsewhere(spark: SparkSession) -> bool:
    """True when ``lake`` was bound by the job's configuration (Glue's ``--conf``), not by ``bind``."""
    prefix = f"spark.sql.catalog.{CATALOG}"
    return spark.conf.get(prefix, None) is not None and spark.conf.get(f"{prefix}.type", None) != "hadoop"


def bind(spark: SparkSession, warehouse: str) -> SparkSession:
    """A session whose ``lake`` catalog is bound: as configured (Glue), else a hadoop catalog at ``warehouse``.

    Locally every call gives a new session (the caller applies the runtime settings to it), so one
    process can run against several lakes, as the tests do.
    """
    if configured_elsewhere(spark):
        return spark
    if EXTENSIONS not in (spark.conf.get("spark.sql.extensions", "") or ""):
        raise LakeError(
            "this SparkSession was built without the Iceberg extensions: build it with "
            "energy_lake.etl.jobs.session.local_session(), or set spark.sql.extensions and spark.jars "
            "from energy_lake.etl.lake.iceberg.session_conf()"
        )
    session = spark.newSession()
    for key, value in hadoop_catalog_conf(warehouse).items():
        session.conf.set(key, value)
    return session
