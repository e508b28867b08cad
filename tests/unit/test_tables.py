"""Iceberg tables through LakeTables: the pinned runtime jar creates, writes and reads; writes replace
exactly the planned partitions; a table Terraform created unpartitioned gets the contract's partitions."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pyspark.errors import PySparkException

from energy_lake.etl.jobs.session import lake_session
from energy_lake.etl.lake import iceberg
from energy_lake.etl.lake.state import IngestedFile, LakeState
from energy_lake.etl.lake.tables import CommitConflict, LakeTables, specs
from energy_lake.etl.model.errors import LakeError

pytestmark = pytest.mark.spark

MART = "analytics.city_demand"  # city, energy_type, trade_count, total_quantity, total_revenue, ingest_date


def _mart_rows(spark: Any, rows: list[tuple[str, str, int, str, str, str]]) -> Any:
    typed = [(c, e, n, Decimal(q), Decimal(r), date.fromisoformat(d)) for c, e, n, q, r, d in rows]
    return spark.createDataFrame(typed, specs()[MART].schema)


@pytest.fixture
def tables(spark: Any, tmp_path: Path) -> LakeTables:
    return LakeTables(lake_session(spark, tmp_path / "lake"))


def test_the_runtime_jar_comes_from_the_pinned_wheel() -> None:
    jar = Path(iceberg.runtime_jar())
    assert jar.name == "iceberg-spark-runtime-3.5_2.12-1.10.2.jar"
    assert jar.parent.parent.name == "snowpark_connect_deps_iceberg"


def test_a_missing_jar_names_the_package_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(iceberg.util, "find_spec", lambda name: None)
    with pytest.raises(LakeError, match="install the Python package snowpark-connect-deps-iceberg"):
        iceberg.runtime_jar()


def test_overwrite_replaces_the_planned_partitions_and_counts_them(tables: LakeTables, tmp_path: Path) -> None:
    spark = tables.spark
    assert specs()[MART].schema.fieldNames() == [
        "city",
        "energy_type",
        "trade_count",
        "total_quantity",
        "total_revenue",
        "ingest_date",
    ]
    first = _mart_rows(
        spark,
        [
            ("Madrid", "wind", 1, "10.500", "1050.0000000", "2026-01-05"),
            ("Bilbao", "hydro", 2, "3.000", "9.75", "2026-01-06"),
        ],
    )
    assert tables.overwrite(MART, first, ["ingest_date=2026-01-05", "ingest_date=2026-01-06"], "r1") == {
        "ingest_date=2026-01-05": 1,
        "ingest_date=2026-01-06": 1,
    }
    # A redo of one day with new rows, and the other day emptied: both replaced in one commit.
    second = _mart_rows(
        spark,
        [
            ("Madrid", "wind", 2, "11.000", "1100.5", "2026-01-05"),
            ("Sevilla", "solar", 1, "1.000", "0.1234567", "2026-01-05"),
        ],
    )
    assert tables.overwrite(MART, second, ["ingest_date=2026-01-05", "ingest_date=2026-01-06"], "r2") == {
        "ingest_date=2026-01-05": 2,
        "ingest_date=2026-01-06": 0,
    }
    rows = sorted(tables.read(MART).collect())
    assert [tuple(r) for r in rows] == [
        ("Madrid", "wind", 2, Decimal("11.000"), Decimal("1100.5000000"), date(2026, 1, 5)),
        ("Sevilla", "solar", 1, Decimal("1.000"), Decimal("0.1234567"), date(2026, 1, 5)),
    ]
    assert tables.snapshot_summary(MART)["energy-lake.run-id"] == "r2"
    assert (tmp_path / "lake" / "analytics" / "city_demand" / "metadata" / "version-hint.text").exists()
    # Reading chosen partitions only.
    assert tables.read(MART, ["ingest_date=2026-01-06"]).count() == 0


def test_a_row_outside_the_plan_fails_the_write_and_commits_nothing(tables: LakeTables) -> None:
    spark = tables.spark
    rows = _mart_rows(spark, [("Madrid", "wind", 1, "1.000", "1.0", "2026-01-07")])
    with pytest.raises(Exception, match="a row outside the planned partitions"):
        tables.overwrite(MART, rows, ["ingest_date=2026-01-05"], "r1")
    assert tables.current_snapshots().get(MART) is None  # no commit


def test_unpartitioned_overwrite_replaces_the_whole_table(tables: LakeTables) -> None:
    spark = tables.spark
    schema = specs()["analytics.provider_summary"].schema
    one = spark.createDataFrame([], schema)
    assert tables.overwrite("analytics.provider_summary", one, [""], "r1") == {"": 0}
    assert tables.read("analytics.provider_summary").count() == 0


def test_a_table_created_unpartitioned_gets_the_contract_partitions(tables: LakeTables) -> None:
    """Terraform (provider < 6) creates Iceberg tables without partitions; the first write adds them."""
    spark = tables.spark
    spec = specs()[MART]
    columns = ", ".join(f"`{f.name}` {f.dataType.simpleString()}" for f in spec.schema.fields)
    spark.sql("CREATE NAMESPACE IF NOT EXISTS lake.analytics")
    spark.sql(f"CREATE TABLE lake.analytics.city_demand ({columns}) USING iceberg")
    snapshots_before = spark.sql("SELECT * FROM lake.analytics.city_demand.metadata_log_entries").count()
    # A read alters nothing (on Glue a job may read tables it has no right to alter: its input zone).
    assert tables.read(MART).count() == 0
    assert spark.sql("SELECT * FROM lake.analytics.city_demand.metadata_log_entries").count() == snapshots_before
    described_before = [r["col_name"] for r in spark.sql("DESCRIBE TABLE lake.analytics.city_demand").collect()]
    assert described_before[-1] == "ingest_date" and "# Partition Information" not in described_before
    tables.ensure(MART)
    described = [tuple(r) for r in spark.sql("DESCRIBE TABLE lake.analytics.city_demand").collect()]
    assert described[-2:] == [("# col_name", "data_type", "comment"), ("ingest_date", "date", None)]
    props = {r["key"]: r["value"] for r in spark.sql("SHOW TBLPROPERTIES lake.analytics.city_demand").collect()}
    assert props["write.summary.partition-limit"] == "100000"
    assert props["write.parquet.compression-codec"] == "zstd"


def test_a_column_the_contract_added_is_added_by_the_first_write(tables: LakeTables) -> None:
    """A raw table written before ``_day_first`` existed: the next write adds it, old rows read null."""
    spark = tables.spark
    spec = specs()["raw.providers"]
    old = [f for f in spec.schema.fields if f.name != "_day_first"]
    assert len(old) == len(spec.schema.fields) - 1
    columns = ", ".join(f"`{f.name}` {f.dataType.simpleString()}" for f in old)
    spark.sql("CREATE NAMESPACE IF NOT EXISTS lake.raw")
    spark.sql(f"CREATE TABLE lake.raw.providers ({columns}) USING iceberg PARTITIONED BY (ingest_date)")
    values = {
        "provider_name": "'Old S.A.'",
        "energy_type": "'wind'",
        "_source_line": "2",
        "ingest_date": "DATE'2024-05-01'",
    }
    row = ", ".join(values.get(f.name, f"CAST(NULL AS {f.dataType.simpleString()})") for f in old)
    spark.sql(f"INSERT INTO lake.raw.providers VALUES ({row})")
    tables.ensure("raw.providers")
    assert [f.name for f in spark.table("lake.raw.providers").schema.fields] == [f.name for f in old] + ["_day_first"]
    rows = spark.table("lake.raw.providers").select("provider_name", "_day_first").collect()
    assert [tuple(r) for r in rows] == [("Old S.A.", None)]
    # Every column the contract has, the table has: a read in the contract's schema works.
    assert [tuple(r) for r in tables.read("raw.providers").select("provider_name", "_day_first").collect()] == [
        ("Old S.A.", None)
    ]


def test_a_table_partitioned_otherwise_is_refused(tables: LakeTables) -> None:
    spark = tables.spark
    spark.sql("CREATE NAMESPACE IF NOT EXISTS lake.raw")
    spark.sql(
        "CREATE TABLE lake.raw.quarantine (entity string, ingest_date date) USING iceberg PARTITIONED BY (entity)"
    )
    with pytest.raises(LakeError, match=r"raw.quarantine is partitioned by \['entity'\], the contract says"):
        tables.ensure("raw.quarantine")


def test_a_commit_conflict_is_a_clear_error(tables: LakeTables) -> None:
    def conflicting() -> None:
        raise PySparkException("org.apache.iceberg.exceptions.CommitFailedException: version 3 already exists")

    with pytest.raises(CommitConflict, match="another writer committed to this table at the same time"):
        tables._commit("raw.transactions", conflicting)


def test_the_ingest_log_holds_exactly_the_files_of_the_current_partitions(tables: LakeTables) -> None:
    state = LakeState(tables)

    def f(day: str, name: str, fingerprint: str, valid: int) -> IngestedFile:
        path = f"providers/ingest_date={day}/{name}"
        return IngestedFile("providers", day, path, fingerprint, f"v-{name}", None, 10, valid + 1, valid, 1)

    state.record_ingest(
        "providers",
        ["2026-01-05", "2026-01-06"],
        [f("2026-01-05", "a.csv", "h1", 3), f("2026-01-06", "b.csv", "h2", 4)],
        "r1",
    )
    # 2026-01-06 re-read: b.csv gone from landing, c.csv new; 2026-01-05 untouched.
    state.record_ingest("providers", ["2026-01-06"], [f("2026-01-06", "c.csv", "h3", 5)], "r2")
    snapshot = LakeState(tables).snapshot()  # read back from the table, not the run's memory
    assert state.snapshot().ingested_files("providers") == snapshot.ingested_files("providers")
    assert snapshot.ingested_files("providers") == {
        "providers/ingest_date=2026-01-05/a.csv": {
            "fingerprint": "h1",
            "storage_version": "v-a.csv",
            "duplicate_of": None,
        },
        "providers/ingest_date=2026-01-06/c.csv": {
            "fingerprint": "h3",
            "storage_version": "v-c.csv",
            "duplicate_of": None,
        },
    }
    raw = snapshot.table("raw.providers")
    assert {pid: (p.run_id, p.rows) for pid, p in raw.partitions.items()} == {
        "ingest_date=2026-01-05": ("r1", 3),
        "ingest_date=2026-01-06": ("r2", 5),
    }
    quarantine = snapshot.table("raw.quarantine")
    assert {pid: p.rows for pid, p in quarantine.partitions.items()} == {
        "entity=providers/ingest_date=2026-01-05": 1,
        "entity=providers/ingest_date=2026-01-06": 1,
    }
    assert raw.versions() == {
        "raw.providers/ingest_date=2026-01-05": "r1",
        "raw.providers/ingest_date=2026-01-06": "r2",
    }
