"""The lake's incremental state: what each current partition was built from, kept in Iceberg tables.

- ``raw.ingest_log``: one row per landing file in the current raw partitions (its content fingerprint,
  the storage version it was read at, and what its rows became). A raw partition's version is the
  run that ingested it.
- ``analytics.build_log``: one row per current transform and analytics partition: the run that built
  it and the input partitions (with their versions) it was built from.

A hop writes its data first and its state rows last, so a crash in between leaves state that
under-reports: the next run redoes that work, overwriting the same partitions with the same rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any

from pyspark.sql import Row

from energy_lake.etl.lake.tables import BUILD_LOG, INGEST_LOG, QUARANTINE, LakeTables, partition_id, specs


@dataclass(frozen=True)
class Partition:
    run_id: str
    rows: int
    # Built tables: "<zone>.<table>/<partition>" -> the run that built that input. Raw: source file -> fingerprint.
    inputs: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Table:
    name: str  # "<zone>.<table>"
    partition_keys: tuple[str, ...]
    partitions: dict[str, Partition] = field(default_factory=dict)

    @property
    def rows(self) -> int:
        return sum(p.rows for p in self.partitions.values())

    def with_partitions(self, changed: dict[str, Partition]) -> Table:
        return replace(self, partitions={**self.partitions, **changed})

    def versions(self) -> dict[str, str]:
        """``"<table>/<partition>" -> run``: what a table built from this one records as its input."""
        return {f"{self.name}/{pid}": p.run_id for pid, p in self.partitions.items()}


@dataclass(frozen=True)
class IngestedFile:
    entity: str
    ingest_date: str
    source_file: str
    fingerprint: str  # sha256 of the content
    storage_version: str  # storage.StoredFile.version when listed: the S3 ETag, locally size/mtime/ctime/inode
    duplicate_of: str | None
    size_bytes: int
    rows_read: int
    rows_valid: int
    rows_quarantined: int


class LakeState:
    """Reads the state tables once per snapshot, and records what a hop built."""

    def __init__(self, tables: LakeTables) -> None:
        self.tables = tables

    def snapshot(self) -> StateSnapshot:
        return StateSnapshot(self.tables)

    def record_ingest(self, entity: str, dates: Iterable[str], files: list[IngestedFile], run_id: str) -> None:
        """The raw partitions of ``dates`` now hold exactly ``files``: the commit that marks them ingested."""
        now = _now()
        rows = [
            (
                f.entity,
                date.fromisoformat(f.ingest_date),
                f.source_file,
                f.fingerprint,
                f.storage_version,
                f.duplicate_of,
                f.size_bytes,
                f.rows_read,
                f.rows_valid,
                f.rows_quarantined,
                run_id,
                now,
            )
            for f in files
        ]
        spec = specs()[INGEST_LOG]
        df = self.tables.spark.createDataFrame(rows, spec.schema)
        days = ", ".join(f"DATE '{date.fromisoformat(d).isoformat()}'" for d in sorted(dates))
        # entity is a contract name and the dates parsed ISO dates: nothing from file contents.
        where = f"t.entity = '{entity}' AND t.ingest_date IN ({days})" if days else "false"
        self.tables.merge_state(INGEST_LOG, df, ("entity", "source_file"), where)

    def record_builds(self, built: list[Table], changed: dict[str, list[str]]) -> None:
        """Record the ``changed`` partitions of each table in ``built`` (one commit for all of them)."""
        now = _now()
        rows = [
            (t.name, pid, t.partitions[pid].run_id, t.partitions[pid].rows, t.partitions[pid].inputs, now)
            for t in built
            for pid in changed[t.name]
        ]
        if rows:
            df = self.tables.spark.createDataFrame(rows, specs()[BUILD_LOG].schema)
            self.tables.merge_state(BUILD_LOG, df, ("table_name", "partition_id"))


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class StateSnapshot:
    """The state as of one read: every raw, quarantine and built table's partitions and versions."""

    def __init__(self, tables: LakeTables) -> None:
        self.tables = tables
        self._ingest: list[Row] | None = None
        self._builds: dict[str, Table] | None = None

    def _ingest_rows(self) -> list[Row]:
        if self._ingest is None:
            self._ingest = self.tables.read(INGEST_LOG).collect()
        return self._ingest

    def ingested_files(self, entity: str) -> dict[str, dict[str, Any]]:
        """source_file -> {"fingerprint", "storage_version", "duplicate_of"} of every file in the entity's current
        raw partitions (``storage_version`` is None on rows logged before it existed: ``plan._ingested_version``)."""
        return {
            r["source_file"]: {
                "fingerprint": r["fingerprint"],
                "storage_version": r["storage_version"],
                "duplicate_of": r["duplicate_of"],
            }
            for r in self._ingest_rows()
            if r["entity"] == entity
        }

    def table(self, name: str) -> Table:
        if name == QUARANTINE:
            return self._from_ingest(name, None)
        if name.startswith("raw."):
            return self._from_ingest(name, name.split(".", 1)[1])
        if self._builds is None:
            self._builds = {}
            for r in self.tables.read(BUILD_LOG).collect():
                table = self._builds.setdefault(
                    r["table_name"], Table(r["table_name"], specs()[r["table_name"]].partition_by)
                )
                table.partitions[r["partition_id"]] = Partition(
                    r["run_id"], int(r["rows"]), dict(r["built_from"] or {})
                )
        return self._builds.get(name) or Table(name, specs()[name].partition_by)

    def _from_ingest(self, name: str, entity: str | None) -> Table:
        """Raw tables (rows valid) or the quarantine (rows quarantined) per ingest date, from the ingest log."""
        parts: dict[str, Partition] = {}
        for r in self._ingest_rows():
            if entity is not None and r["entity"] != entity:
                continue
            day = r["ingest_date"].isoformat()
            pid = partition_id({"ingest_date": day} if entity else {"entity": r["entity"], "ingest_date": day})
            current = parts.get(pid)
            rows = int(r["rows_valid"] if entity else r["rows_quarantined"])
            inputs = {**(current.inputs if current else {}), r["source_file"]: r["fingerprint"]}
            parts[pid] = Partition(r["run_id"], rows + (current.rows if current else 0), inputs)
        return Table(name, specs()[name].partition_by, parts)
