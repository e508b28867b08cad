"""All reading and writing of lake data (Spark). Locations arrive as arguments, never literals.

- ``read_landing``: the CSV files of one entity as landing records (one partition per file, so the
  record number is exact; embedded newlines and any field count survive parsing).
- ``read_table``: the current partitions of a table, as the catalog snapshot names them.
- ``write_partitions``: a new version folder ``run=<run_id>`` in every partition of the DataFrame,
  invisible to readers until the catalog commit names it.
"""

from __future__ import annotations

from datetime import datetime
from functools import reduce
from typing import Any

from pyspark.errors import AnalysisException
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T
from pyspark.sql.window import Window

from energy_lake.etl.catalog import Partition, Table, partition_id, partition_values
from energy_lake.etl.contracts import Contract
from energy_lake.etl.landing import ReadableFile
from energy_lake.etl.recognise import EXTRA_PREFIX
from energy_lake.etl.schemas import conform

CORRUPT = "_corrupt_record"
RUN_COLUMN = "run"


def _quoted(col: Column, delimiter: str) -> Column:
    needs = col.contains(delimiter) | col.contains('"') | col.contains("\n") | col.contains("\r")
    return F.when(needs, F.concat(F.lit('"'), F.regexp_replace(col, '"', '""'), F.lit('"'))).otherwise(
        F.coalesce(col, F.lit(""))
    )


def _opened(col: Column) -> Column:
    """A field whose quote never closed, as it was sent."""
    return F.concat(F.lit('"'), F.regexp_replace(F.coalesce(col, F.lit("")), '"', '""'))


def _read_file(
    spark: SparkSession, rf: ReadableFile, contract: Contract, run_id: str, ingested_at: datetime
) -> DataFrame:
    positions = [f"_f{i}" for i in range(len(rf.header.file_columns))]
    schema = T.StructType([T.StructField(p, T.StringType()) for p in [*positions, CORRUPT]])
    df = (
        spark.read.schema(schema)
        # The header is dropped by position below: Spark's own header option would take a line of
        # spaces before it for the header.
        .option("header", False)
        .option("multiLine", True)  # not splittable: one partition, records in file order
        .option("sep", rf.dialect.delimiter)
        .option("quote", '"')
        .option("escape", '"')
        .option("encoding", rf.dialect.encoding)
        .option("mode", "PERMISSIVE")
        .option("columnNameOfCorruptRecord", CORRUPT)
        .option("enforceSchema", True)
        .csv(rf.file.uri)
    )
    # One partition per file makes the id's low bits the record's position in the file (0 = first).
    df = df.select("*", F.monotonically_increasing_id().cast("int").alias("_position"))
    df = df.where(F.col("_position") > rf.dialect.header_offset)
    malformed = F.col(CORRUPT).isNotNull()
    record = F.concat_ws(rf.dialect.delimiter, *[_quoted(F.col(p), rf.dialect.delimiter) for p in positions])
    if rf.unclosed_quote:
        # The last record holds everything from the open quote to the end of the file in its last field.
        last = F.col("_position") == F.max("_position").over(Window.partitionBy(F.lit(rf.file.rel_path)))
        malformed = malformed | last
        opened = F.concat_ws(
            rf.dialect.delimiter,
            *[_quoted(F.col(p), rf.dialect.delimiter) for p in positions[:-1]],
            _opened(F.col(positions[-1])),
        )
        record = F.when(last, opened).otherwise(record)
    by_column = dict(zip(rf.header.file_columns, positions, strict=True))
    extras = [
        (name.removeprefix(EXTRA_PREFIX), pos) for name, pos in by_column.items() if name.startswith(EXTRA_PREFIX)
    ]
    extra_map = (
        F.map_from_arrays(F.array(*[F.lit(n) for n, _ in extras]), F.array(*[F.col(p) for _, p in extras]))
        if extras
        else F.create_map().cast("map<string,string>")
    )
    return df.select(
        *[
            (F.col(by_column[c.name]) if c.name in by_column else F.lit(None).cast("string")).alias(c.name)
            for c in contract.columns
        ],
        extra_map.alias("_extra"),
        F.lit(rf.file.rel_path).alias("_source_file"),
        # The header is record 1.
        (F.col("_position") - rf.dialect.header_offset + 1).alias("_source_line"),
        F.lit(ingested_at).cast("timestamp").alias("_ingested_at"),
        F.lit(run_id).alias("_run_id"),
        F.lit(rf.file.ingest_date).cast("date").alias("ingest_date"),
        F.lit(rf.dialect.decimal_comma).alias("_decimal_comma"),
        malformed.alias("_malformed"),
        F.lit(len(positions)).alias("_expected_fields"),
        F.lit(rf.duplicate_of).cast("string").alias("_duplicate_of"),
        # A malformed record's own text, without the line end Spark keeps in CR-only files.
        F.coalesce(F.regexp_replace(F.col(CORRUPT), "\r$", ""), record).alias("source_record"),
    )


def read_landing(
    spark: SparkSession, files: list[ReadableFile], contract: Contract, run_id: str, ingested_at: datetime
) -> DataFrame:
    frames = [_read_file(spark, rf, contract, run_id, ingested_at) for rf in files]
    return reduce(DataFrame.unionByName, frames)


def read_table(
    spark: SparkSession, table: Table | None, schema: T.StructType, partitions: list[str] | None = None
) -> DataFrame:
    """Current rows of ``table`` (only ``partitions`` when given), in ``schema``."""
    wanted = [] if table is None else [p for p in (partitions if partitions is not None else table.partitions)]
    paths = [table.uri(p) for p in wanted if table and p in table.partitions and table.partitions[p].rows > 0]
    if not table or not paths:
        return spark.createDataFrame([], schema)
    return conform(spark.read.option("basePath", table.location).parquet(*paths), schema)


def write_partitions(
    spark: SparkSession,
    df: DataFrame,
    table: Table,
    run_id: str,
    expected: list[str],
    inputs: dict[str, dict[str, Any]],
) -> dict[str, Partition]:
    """Write ``df`` as new versions of the ``expected`` partitions; empty ones are recorded with 0 rows."""
    keys = list(table.partition_keys)
    df.withColumn(RUN_COLUMN, F.lit(run_id)).write.mode("append").partitionBy(*keys, RUN_COLUMN).parquet(table.location)
    counts = _count_written(spark, table, run_id, expected)
    out = {}
    for pid in expected:
        folder = "/".join([pid, f"{RUN_COLUMN}={run_id}"]) if pid else f"{RUN_COLUMN}={run_id}"
        out[pid] = Partition(path=folder, run_id=run_id, rows=counts.get(pid, 0), inputs=inputs.get(pid, {}))
    unexpected = set(counts) - set(expected)
    if unexpected:
        raise RuntimeError(f"{table.name}: wrote partitions the plan did not expect: {sorted(unexpected)}")
    return out


def _count_written(spark: SparkSession, table: Table, run_id: str, expected: list[str]) -> dict[str, int]:
    """Rows per partition this write produced (read from the Parquet footers).

    A key whose value is the same in every expected partition (the quarantine's ``entity``) is fixed
    in the glob, so writes of other entities in the same run are not counted; every other key is a
    wildcard, so rows that went to a partition the plan did not expect are still found.
    """
    keys = list(table.partition_keys)
    values = [partition_values(pid) for pid in expected]
    fixed = [
        f"{k}={values[0][k]}" if values and all(v.get(k) == values[0].get(k) for v in values) else "*" for k in keys
    ]
    glob = "/".join([*fixed, f"{RUN_COLUMN}={run_id}"])
    try:
        written = spark.read.option("basePath", table.location).parquet(f"{table.location.rstrip('/')}/{glob}")
    except AnalysisException:
        return {}  # nothing written: every partition of this run is empty
    if not keys:
        return {"": written.count()}
    return {
        partition_id({k: str(row[k]) for k in keys}): int(row["count"])
        for row in written.groupBy(*keys).count().collect()
    }
