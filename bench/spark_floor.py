"""The bare Spark floor of ``make bench``: the least work Spark must do with the landing CSVs.

A local SparkSession with the pipeline's settings (``energy_lake.etl.jobs.session.local_session``: the
runtime, performance and Iceberg settings of ``energy-lake run``) reads each entity's landing CSVs
(``<landing>/<entity>/ingest_date=YYYY-MM-DD/*.csv``) as the pipeline's landing read does (all text,
``multiLine``, ``"`` as quote and escape: one partition per file), takes ``ingest_date`` from the folder
name and writes Parquet partitioned by it (zstd, overwrite). Nothing is validated, typed or kept apart.

Headers are English or Spanish and differ only in names, never in order, so the columns are named by
position (``c0``, ``c1``, ...) from the first file's header, as the DuckDB floor does. Unlike DuckDB's
``ignore_errors``, Spark's permissive parser keeps a row with a wrong field count (padded or cut), so
the row counts may differ from the DuckDB floor's by the malformed rows.

Run as a subprocess by ``bench/run_bench.py`` (JVM start included in what it measures)::

    python bench/spark_floor.py LANDING OUT

prints the rows written per entity as JSON.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

ENTITIES = ("providers", "customers", "transactions")


def csv_files(landing: Path, entity: str) -> list[Path]:
    return sorted(p for p in (landing / entity).glob("ingest_date=*/*.csv") if p.is_file())


def header_width(path: Path) -> int:
    with path.open(encoding="utf-8-sig") as handle:
        return len(handle.readline().split(","))


def command(python: str, landing: Path, out: Path) -> list[str]:
    """The command ``run_bench.py`` measures."""
    return [python, str(Path(__file__).resolve()), str(landing), str(out)]


def spark_floor(landing: Path, out: Path) -> dict[str, int]:
    """Landing CSVs -> date-partitioned zstd Parquet with Spark; rows written per entity."""
    from pyspark.sql import types as T

    from energy_lake.etl.jobs.session import local_session

    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    spark = local_session("energy-lake-bench-spark-floor")
    rows: dict[str, int] = {}
    for entity in ENTITIES:
        files = csv_files(landing, entity)
        if not files:
            continue
        schema = T.StructType([T.StructField(f"c{i}", T.StringType()) for i in range(header_width(files[0]))])
        frame = (
            spark.read.schema(schema)
            .option("header", True)
            .option("enforceSchema", True)  # names by position: the header's names are not checked
            .option("multiLine", True)
            .option("quote", '"')
            .option("escape", '"')
            .option("mode", "PERMISSIVE")
            # ingest_date from the folder name (partition discovery under the entity's folder)
            .option("basePath", str(landing / entity))
            .csv([str(f) for f in files])
        )
        target = out / entity
        frame.write.mode("overwrite").partitionBy("ingest_date").option("compression", "zstd").parquet(str(target))
        # From the Parquet footers only: no column is read.
        rows[entity] = spark.read.parquet(str(target)).count()
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    import json

    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 2:
        print("usage: spark_floor.py LANDING OUT", file=sys.stderr)
        return 2
    print(json.dumps(spark_floor(Path(args[0]), Path(args[1]))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
