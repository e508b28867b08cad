"""Read a lake's Iceberg tables and state from a test, through the same code the jobs use."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pyspark.sql import DataFrame

from energy_lake.etl.jobs.session import lake_session
from energy_lake.etl.lake.state import StateSnapshot
from energy_lake.etl.lake.tables import LakeTables


def tables(spark: Any, lake: Path) -> LakeTables:
    return LakeTables(lake_session(spark, lake))


def read(spark: Any, lake: Path, table: str, partitions: list[str] | None = None) -> DataFrame:
    return tables(spark, lake).read(table, partitions)


def state(spark: Any, lake: Path) -> StateSnapshot:
    return StateSnapshot.read(tables(spark, lake))


def snapshots(spark: Any, lake: Path) -> dict[str, int]:
    """Current Iceberg snapshot id of every table: equal before and after a run that changed nothing."""
    return tables(spark, lake).current_snapshots()
