"""Every read and write of a lake table: Iceberg tables in the catalog ``lake``, named by the contracts.

A write replaces whole partitions in one Iceberg commit (``overwrite`` with a filter on the partition
columns: the partitions the plan names, emptied when the new rows hold none of them), so a reader
sees a partition before or after a write, never half of it, and a redo gives the same table. The
small state tables are written the same way (``state.LakeState``: an entity's partition of the ingest
log, the whole build log).
Transforms never see this module: they get DataFrames and return DataFrames.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

from py4j.protocol import Py4JJavaError
from pyspark.errors import PySparkException
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from energy_lake.etl.lake.failpoints import failpoint
from energy_lake.etl.lake.iceberg import CATALOG, TABLE_PROPERTIES
from energy_lake.etl.model.contracts import ENTITIES, lake_conventions, load_contract, load_marts
from energy_lake.etl.model.errors import LakeError
from energy_lake.etl.model.schemas import (
    conform,
    mart_schema,
    quarantine_schema,
    raw_schema,
    state_schema,
    transform_schema,
)
from energy_lake.etl.quality.results import RESULTS_PARTITION, RESULTS_TABLE, results_schema

QUARANTINE = "raw.quarantine"
INGEST_LOG = "raw.ingest_log"
BUILD_LOG = "analytics.build_log"
RUN_PROPERTY = "energy-lake.run-id"
# Per-partition figures in every snapshot summary ("partitions.<path>" -> added-records=...): the row
# count of each partition a write replaced, read back without scanning data.
PARTITION_SUMMARY_LIMIT = "100000"


@dataclass(frozen=True)
class TableSpec:
    name: str  # "<zone>.<table>"
    schema: T.StructType
    partition_by: tuple[str, ...]

    @property
    def zone(self) -> str:
        return self.name.split(".", 1)[0]

    @property
    def table(self) -> str:
        return self.name.split(".", 1)[1]


@cache
def specs() -> dict[str, TableSpec]:
    """Every lake table, its schema and partition columns, from the contracts."""
    key = lake_conventions().partition_key
    out: dict[str, TableSpec] = {}
    for entity in ENTITIES:
        contract = load_contract(entity)
        out[f"raw.{entity}"] = TableSpec(f"raw.{entity}", raw_schema(contract), (key,))
        layout = (key,) if contract.transform_layout == "partitioned" else ()
        out[f"transform.{entity}"] = TableSpec(f"transform.{entity}", transform_schema(contract), layout)
    out[QUARANTINE] = TableSpec(QUARANTINE, quarantine_schema(), ("entity", key))
    for mart in load_marts():
        name = f"analytics.{mart.name}"
        out[name] = TableSpec(name, mart_schema(mart.name), (key,) if mart.partition_by else ())
    out[RESULTS_TABLE] = TableSpec(RESULTS_TABLE, results_schema(), (RESULTS_PARTITION,))
    for state in lake_conventions().state_tables:
        out[state.name] = TableSpec(state.name, state_schema(state.name), state.partition_by)
    return out


def partition_id(values: dict[str, Any]) -> str:
    """Hive-style id of a partition (``ingest_date=2026-01-05``), ``""`` for an unpartitioned table."""
    return "/".join(f"{k}={v}" for k, v in values.items())


def partition_values(pid: str) -> dict[str, str]:
    return dict(part.split("=", 1) for part in pid.split("/")) if pid else {}


def _sql_type(data_type: T.DataType) -> str:
    return data_type.simpleString()


def _literal(spec: TableSpec, column: str, text: str) -> Any:
    """A partition value as the column's type (a filter on a date column needs a date, not a string)."""
    data_type = spec.schema[column].dataType
    return date.fromisoformat(text) if isinstance(data_type, T.DateType) else text


def partitions_filter(spec: TableSpec, pids: Sequence[str]) -> Column:
    """Rows of the partitions ``pids``; every row for an unpartitioned table."""
    if not spec.partition_by:
        return F.lit(True)
    if not pids:
        return F.lit(False)
    values = [partition_values(p) for p in pids]
    fixed = {k: values[0][k] for k in spec.partition_by if all(v[k] == values[0][k] for v in values)}
    varying = [k for k in spec.partition_by if k not in fixed]
    condition = F.lit(True)
    for k, v in fixed.items():
        condition = condition & (F.col(k) == F.lit(_literal(spec, k, v)))
    if len(varying) == 1:
        k = varying[0]
        condition = condition & F.col(k).isin(sorted({_literal(spec, k, v[k]) for v in values}))
    elif varying:
        alternatives = F.lit(False)
        for value in values:
            one = F.lit(True)
            for k in varying:
                one = one & (F.col(k) == F.lit(_literal(spec, k, value[k])))
            alternatives = alternatives | one
        condition = condition & alternatives
    return condition


class CommitConflict(LakeError):
    """Another writer committed to the same Iceberg table first; nothing of this write was committed."""


class LakeTables:
    """The lake's tables in one SparkSession whose catalog ``lake`` is bound (``session.lake_session``)."""

    def __init__(self, spark: SparkSession, databases: dict[str, str] | None = None) -> None:
        self.spark = spark
        self.databases = databases or {}
        self._ready: set[str] = set()  # created or aligned: ready for writes
        self._seen: set[str] = set()  # known to exist: ready for reads

    def ident(self, name: str) -> str:
        spec = specs()[name]
        return f"{CATALOG}.`{self.databases.get(spec.zone, spec.zone)}`.`{spec.table}`"

    # -- existence and layout

    def ensure(self, name: str, *, for_write: bool = True) -> TableSpec:
        """Create the table if absent; before a write, give a table created elsewhere (Terraform), or by an
        earlier version of the contracts, its partitions, properties and new columns.

        Terraform cannot create an Iceberg table's partitions (provider < 6, docs/adr/0002), so the
        first write adds the contract's partition fields: a metadata-only change on an empty table.
        A read changes nothing: a job may read tables it may not alter (its input zone).
        """
        spec = specs()[name]
        if name in self._ready or (not for_write and name in self._seen):
            return spec
        ident = self.ident(name)
        namespace = ident.rsplit(".", 1)[0]
        if not self._exists(ident):
            self.spark.sql(f"CREATE NAMESPACE IF NOT EXISTS {namespace}")
            columns = ", ".join(f"`{f.name}` {_sql_type(f.dataType)}" for f in spec.schema.fields)
            partitioned = (
                f" PARTITIONED BY ({', '.join(f'`{k}`' for k in spec.partition_by)})" if spec.partition_by else ""
            )
            props = ", ".join(f"'{k}' = '{v}'" for k, v in self._properties().items())
            self.spark.sql(
                f"CREATE TABLE IF NOT EXISTS {ident} ({columns}) USING iceberg{partitioned} TBLPROPERTIES ({props})"
            )
        elif for_write:
            self._align(ident, spec)
        else:
            self._seen.add(name)
            return spec
        self._ready.add(name)
        return spec

    def _exists(self, ident: str) -> bool:
        return bool(self.spark.catalog.tableExists(ident.replace("`", "")))

    @staticmethod
    def _properties() -> dict[str, str]:
        return {**TABLE_PROPERTIES, "write.summary.partition-limit": PARTITION_SUMMARY_LIMIT}

    def _align(self, ident: str, spec: TableSpec) -> None:
        # Read from the table's metadata through Iceberg's Java API: a tenth of the time of DESCRIBE and
        # SHOW TBLPROPERTIES, which every run would pay for every table.
        table = self._iceberg_table(spec.name)
        current = [str(field.name()) for field in table.spec().fields()]
        if current != list(spec.partition_by):
            if current:
                raise LakeError(
                    f"{spec.name} is partitioned by {current}, the contract says {list(spec.partition_by)}: "
                    "change the contract or migrate the table (docs/operations.md)"
                )
            for key in spec.partition_by:
                self.spark.sql(f"ALTER TABLE {ident} ADD PARTITION FIELD `{key}`")
        # A column the contract added (a new lineage column, say): added, at the end, null in the rows
        # already there. Metadata only; never a drop or a type change, which need a migration.
        present = {str(field.name()) for field in table.schema().columns()}
        added = [f for f in spec.schema.fields if f.name not in present]
        if added:
            columns = ", ".join(f"`{f.name}` {_sql_type(f.dataType)}" for f in added)
            self.spark.sql(f"ALTER TABLE {ident} ADD COLUMNS ({columns})")
        props = {str(k): str(v) for k, v in dict(table.properties()).items()}
        missing = {k: v for k, v in self._properties().items() if props.get(k) != v and k != "format-version"}
        if missing:
            listed = ", ".join(f"'{k}' = '{v}'" for k, v in missing.items())
            self.spark.sql(f"ALTER TABLE {ident} SET TBLPROPERTIES ({listed})")

    # -- reads

    def read(self, name: str, partitions: Sequence[str] | None = None) -> DataFrame:
        """The table's current rows (only ``partitions`` when given), in the contract's schema."""
        spec = self.ensure(name, for_write=False)
        df = self.spark.table(self.ident(name))
        if partitions is not None:
            df = df.where(partitions_filter(spec, partitions))
        return conform(df, spec.schema)

    # -- writes

    def overwrite(self, name: str, df: DataFrame, partitions: Sequence[str], run_id: str) -> dict[str, int]:
        """Replace ``partitions`` of the table by ``df``'s rows in one commit; rows written per partition.

        ``df`` may hold only those partitions: a row of another one fails the write, commits nothing.
        """
        spec = self.ensure(name)
        where = partitions_filter(spec, partitions)
        rows = conform(df, spec.schema)
        if spec.partition_by:
            # Iceberg adds such a row's file whatever the filter: a row outside the plan fails the write
            # (a filter, so the optimiser cannot prune the check away).
            rows = rows.where(F.assert_true(where, f"{name}: a row outside the planned partitions").isNull())
        failpoint(f"before_commit:{name}")
        writer = rows.writeTo(self.ident(name)).option(f"snapshot-property.{RUN_PROPERTY}", run_id)
        self._commit(name, lambda: writer.overwrite(where))
        failpoint(f"after_commit:{name}")
        return self._written(name, spec, partitions)

    def _commit(self, name: str, write: Any) -> None:
        try:
            write()
        except (Py4JJavaError, PySparkException) as err:
            text = str(err)
            if "CommitFailedException" in text or ("ValidationException" in text and "conflict" in text.lower()):
                raise CommitConflict(
                    f"{name}: another writer committed to this table at the same time; nothing of this write "
                    "was committed. Make sure one run at a time uses the lake, then re-run."
                ) from None
            raise

    def _written(self, name: str, spec: TableSpec, partitions: Sequence[str]) -> dict[str, int]:
        """Rows of each replaced partition, from the new snapshot's summary (no data read)."""
        summary = self.snapshot_summary(name)
        if not spec.partition_by:
            return {"": int(summary.get("total-records", 0))}
        counts: dict[str, int] = {}
        for pid in partitions:
            entry = summary.get(f"partitions.{pid}", "")
            fields = dict(part.split("=", 1) for part in entry.split(",") if "=" in part)
            counts[pid] = int(fields.get("added-records", 0))
        return counts

    def current_snapshots(self) -> dict[str, int]:
        """Current snapshot id of every lake table that exists and has one: what a re-run must not move."""
        out = {}
        for name in specs():
            if self._exists(self.ident(name)):
                snapshot = self._iceberg_table(name).currentSnapshot()
                if snapshot is not None:
                    out[name] = int(snapshot.snapshotId())
        return out

    def snapshot_summary(self, name: str) -> dict[str, str]:
        table = self._iceberg_table(name)
        snapshot = table.currentSnapshot()
        return dict(snapshot.summary()) if snapshot is not None else {}

    def _iceberg_table(self, name: str) -> Any:
        # Iceberg's Java API through py4j: the snapshot summary is metadata, no Spark job needed.
        jvm: Any = self.spark._jvm
        util = jvm.org.apache.iceberg.spark.Spark3Util
        return util.loadIcebergTable(self.spark._jsparkSession, self.ident(name).replace("`", ""))
