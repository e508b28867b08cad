"""raw.ingest_log on a lake deployed before its ``storage_version`` column (issue 13, defect 9).

docs/operations.md has the column added with ``ALTER TABLE ... ADD COLUMNS``, which puts it last, not
beside ``fingerprint`` as on a new lake: the jobs must read and write the log by name, and the rows
already there (their ``fingerprint`` the S3 ETag) must read as "no storage version".
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from pyspark.sql import types as T

from energy_lake.etl.jobs.session import lake_session
from energy_lake.etl.lake.state import IngestedFile, LakeState
from energy_lake.etl.lake.tables import INGEST_LOG, LakeTables, specs

pytestmark = pytest.mark.spark

OLD = "providers/ingest_date=2026-01-05/a.csv"
NEW = "providers/ingest_date=2026-01-06/b.csv"
ETAG = "0cc175b9c0f1b6a831c399e269772661"


@pytest.fixture
def tables(spark: Any, tmp_path: Path) -> LakeTables:
    return LakeTables(lake_session(spark, tmp_path / "lake"))


def test_an_ingest_log_given_the_column_by_the_runbook_is_read_and_written_by_name(tables: LakeTables) -> None:
    spark = tables.spark
    old_fields = [f for f in specs()[INGEST_LOG].schema.fields if f.name != "storage_version"]
    spark.sql("CREATE NAMESPACE IF NOT EXISTS lake.raw")
    columns = ", ".join(f"`{f.name}` {f.dataType.simpleString()}" for f in old_fields)
    spark.sql(f"CREATE TABLE lake.raw.ingest_log ({columns}) USING iceberg PARTITIONED BY (entity)")
    # A row the release before wrote on S3: the ETag as fingerprint.
    old_row = ("providers", date(2026, 1, 5), OLD, ETAG, None, 4, 1, 1, 0, "r0", datetime(2026, 1, 5))
    spark.createDataFrame([old_row], T.StructType(old_fields)).writeTo("lake.raw.ingest_log").append()
    spark.sql("ALTER TABLE lake.raw.ingest_log ADD COLUMNS (storage_version string)")  # docs/operations.md
    assert spark.table("lake.raw.ingest_log").columns[-1] == "storage_version"

    state = LakeState(tables)
    assert state.snapshot().ingested_files("providers") == {
        OLD: {"fingerprint": ETAG, "storage_version": None, "duplicate_of": None}
    }
    sha = "4ef9f9129d30cec6c7ee9482e9e8ad51f80a59fa3ffbdff7d23177248ac8611b"
    state.record_ingest(
        "providers",
        ["2026-01-06"],
        [IngestedFile("providers", "2026-01-06", NEW, sha, "etag-b", None, 4, 1, 1, 0)],
        "r1",
    )
    assert state.snapshot().ingested_files("providers") == LakeState(tables).snapshot().ingested_files("providers")
    assert LakeState(tables).snapshot().ingested_files("providers") == {
        OLD: {"fingerprint": ETAG, "storage_version": None, "duplicate_of": None},
        NEW: {"fingerprint": sha, "storage_version": "etag-b", "duplicate_of": None},
    }
    stored = spark.table("lake.raw.ingest_log").where(f"source_file = '{NEW}'").first()
    assert stored is not None
    assert (stored["fingerprint"], stored["storage_version"], stored["size_bytes"]) == (sha, "etag-b", 4)
