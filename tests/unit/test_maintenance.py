"""energy-lake maintain: compaction, snapshot expiry and orphan removal do exactly their job."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from energy_lake.etl.jobs.session import lake_session
from energy_lake.etl.lake.maintenance import Retention, maintain, retention
from energy_lake.etl.lake.tables import LakeTables, specs

pytestmark = pytest.mark.spark
MART = "analytics.city_demand"


def _rows(spark: Any, n: int, quantity: str) -> Any:
    rows = [(f"city{i}", "wind", 1, Decimal(quantity), Decimal("1.5"), date(2026, 1, 5)) for i in range(n)]
    return spark.createDataFrame(rows, specs()[MART].schema).coalesce(1)  # one file per write


def test_maintain_compacts_expires_and_removes_orphans(spark: Any, tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    tables = LakeTables(lake_session(spark, lake))
    for quantity in ("1.000", "2.000"):  # two snapshots whose files the second replaced
        tables.overwrite(MART, _rows(tables.spark, 30, quantity), ["ingest_date=2026-01-05"], "r")
    for _ in range(2):  # two more small files in the same partition: three to compact
        _rows(tables.spark, 5, "4.000").writeTo(tables.ident(MART)).append()
    before = sorted(tuple(r) for r in tables.read(MART).collect())
    data = lake / "analytics" / "city_demand" / "data"
    stray = data / "ingest_date=2026-01-05" / "left-by-a-killed-write.parquet"
    stray.write_bytes(b"not referenced by any snapshot")
    week_ago = (datetime.now(UTC) - timedelta(days=7)).timestamp()
    os.utime(stray, (week_ago, week_ago))
    now = datetime.now(UTC).replace(tzinfo=None) + timedelta(seconds=1)
    config = Retention(
        snapshot_retention_days=0, min_snapshots_to_keep=1, orphan_file_retention_days=3, compaction_min_input_files=2
    )
    figures = maintain(tables, now, config)
    assert figures == {
        MART: {
            "files_compacted": 3,
            "files_written": 1,
            "data_files_expired": 4,  # the first write's file and the three compacted ones
            "manifests_expired": figures[MART]["manifests_expired"],
            "orphans_removed": 1,
        }
    }
    assert figures[MART]["manifests_expired"] >= 3
    assert not stray.exists()
    assert sorted(tuple(r) for r in tables.read(MART).collect()) == before  # same rows
    assert len(list(data.rglob("*.parquet"))) == 1
    snapshots = tables.spark.sql("SELECT count(*) FROM lake.analytics.city_demand.snapshots").collect()[0][0]
    assert snapshots == 1


def test_retention_comes_from_lake_yaml() -> None:
    assert retention() == Retention(7, 5, 3, 2)
