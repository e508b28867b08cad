"""Reading the landing zone (Spark): the CSV files of one entity as landing records.

One partition per file, so the record number is exact; embedded newlines and any field count survive
parsing. Locations arrive as arguments, never literals. The lake's tables are read and written in
``lake/tables.py``.
"""

from __future__ import annotations

from datetime import datetime
from functools import reduce

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T
from pyspark.sql.window import Window

from energy_lake.etl.landing.plan import ReadableFile
from energy_lake.etl.landing.recognise import EXTRA_PREFIX
from energy_lake.etl.model.contracts import Contract

CORRUPT = "_corrupt_record"


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
        # A name ending in .gz is decompressed by Hadoop's gzip codec, chosen by that suffix: the records
        # and their positions are the CSV's, lineage names the .gz file (etl/landing/compression.py, the planner's
        # check of the whole stream before this read).
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
        F.lit(rf.dialect.day_first).alias("_day_first"),
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
