"""Spark schemas of every lake table, derived from the contracts (never written by hand)."""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import types as T

from energy_lake.etl.model.contracts import Column, Contract, lake_conventions, load_mart

_SIMPLE: dict[str, T.DataType] = {
    "string": T.StringType(),
    "int": T.IntegerType(),
    "bigint": T.LongType(),
    "date": T.DateType(),
    "timestamp": T.TimestampType(),
    "boolean": T.BooleanType(),
    "map<string,string>": T.MapType(T.StringType(), T.StringType()),
}


def spark_type(column: Column) -> T.DataType:
    if column.decimal:
        return T.DecimalType(*column.decimal)
    return _SIMPLE[column.type]


def _fields(columns: list[Column] | tuple[Column, ...]) -> list[T.StructField]:
    return [T.StructField(c.name, spark_type(c), True) for c in columns]


def _partition_field() -> T.StructField:
    return T.StructField(lake_conventions().partition_key, T.DateType(), True)


def raw_schema(contract: Contract) -> T.StructType:
    """Raw zone: every contract column as text, unknown columns in a map, the file's notation, lineage,
    ingest date."""
    conv = lake_conventions()
    text = [T.StructField(c.name, T.StringType(), True) for c in contract.columns]
    return T.StructType([*text, *_fields([conv.extra, conv.notation]), *_fields(conv.lineage), _partition_field()])


def quarantine_schema() -> T.StructType:
    conv = lake_conventions()
    return T.StructType([*_fields(conv.quarantine_columns), *_fields(conv.lineage), _partition_field()])


def transform_schema(contract: Contract) -> T.StructType:
    """Transform zone: typed contract columns, derived columns, extras, lineage (+ ingest date if partitioned)."""
    conv = lake_conventions()
    fields = [*_fields(contract.transform_columns()), *_fields([conv.extra]), *_fields(conv.lineage)]
    if contract.transform_layout == "partitioned":
        fields.append(_partition_field())
    return T.StructType(fields)


def mart_schema(name: str) -> T.StructType:
    mart = load_mart(name)
    fields = _fields(mart.columns)
    if mart.partition_by:
        fields.append(_partition_field())
    return T.StructType(fields)


def conform(df: DataFrame, schema: T.StructType) -> DataFrame:
    """The explicit output contract of a transform: exactly these columns, in this order, of these types.

    One ``selectExpr`` call: a ``Column`` built per field costs three py4j round trips each, a second per
    read and write of a wide table.
    """
    return df.selectExpr(
        *[f"CAST({_quoted(f.name)} AS {f.dataType.simpleString()}) AS {_quoted(f.name)}" for f in schema.fields]
    )


def _quoted(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def state_schema(name: str) -> T.StructType:
    """A table of the lake's incremental state (``raw.ingest_log``, ``analytics.build_log``)."""
    return T.StructType(_fields(lake_conventions().state_table(name).columns))
