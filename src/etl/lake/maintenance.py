"""Iceberg table maintenance with the Spark procedures: compact, expire old snapshots, remove orphans.

Run locally by ``energy-lake maintain`` under the lake lock; on AWS the Glue Data Catalog's managed
table optimizers do the same work with the same figures (``lake.yaml`` ``maintenance``;
docs/operations.md). Order matters: compaction first (it makes a snapshot the expiry may then keep
alone), expiry next (it frees the replaced files), orphan removal last (only files no snapshot
references and older than the retention, so a running write's new files are never touched).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from energy_lake.etl.lake.iceberg import CATALOG
from energy_lake.etl.lake.tables import LakeTables, specs
from energy_lake.etl.model.contracts import read_yaml


@dataclass(frozen=True)
class Retention:
    snapshot_retention_days: int
    min_snapshots_to_keep: int
    orphan_file_retention_days: int
    compaction_min_input_files: int


@cache
def retention() -> Retention:
    figures = read_yaml("lake.yaml")["maintenance"]
    return Retention(**{k: int(figures[k]) for k in Retention.__dataclass_fields__})


def _timestamp(moment: datetime) -> str:
    return f"TIMESTAMP '{moment:%Y-%m-%d %H:%M:%S}'"


def maintain_table(tables: LakeTables, name: str, now: datetime, config: Retention) -> dict[str, Any]:
    """Maintain one table; figures of what each step did."""
    tables.ensure(name)
    ident = tables.ident(name)
    table = ident.split(".", 1)[1].replace("`", "")  # "<database>.<table>", as the procedures take it
    spark = tables.spark
    # Names come from the contracts and the figures from lake.yaml, never from input text.
    compacted = spark.sql(
        f"CALL {CATALOG}.system.rewrite_data_files(table => '{table}', "  # nosec B608
        f"options => map('min-input-files', '{config.compaction_min_input_files}'))"
    ).collect()[0]
    expired = spark.sql(
        f"CALL {CATALOG}.system.expire_snapshots(table => '{table}', "  # nosec B608
        f"older_than => {_timestamp(now - timedelta(days=config.snapshot_retention_days))}, "
        f"retain_last => {config.min_snapshots_to_keep})"
    ).collect()[0]
    orphans = spark.sql(
        f"CALL {CATALOG}.system.remove_orphan_files(table => '{table}', "  # nosec B608
        f"older_than => {_timestamp(now - timedelta(days=config.orphan_file_retention_days))})"
    ).collect()
    return {
        "files_compacted": int(compacted["rewritten_data_files_count"]),
        "files_written": int(compacted["added_data_files_count"]),
        "data_files_expired": int(expired["deleted_data_files_count"]),
        "manifests_expired": int(expired["deleted_manifest_files_count"]),
        "orphans_removed": len(orphans),
    }


def maintain(tables: LakeTables, now: datetime, config: Retention | None = None) -> dict[str, dict[str, Any]]:
    """Maintain every lake table that has been written."""
    config = config or retention()
    written = tables.current_snapshots()
    return {name: maintain_table(tables, name, now, config) for name in specs() if name in written}
