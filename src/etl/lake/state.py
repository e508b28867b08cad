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

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any

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
    """The state tables read once, kept current in memory as the hop records what it built.

    Each record replaces the state rows it changes in one commit (an overwrite of the entity's partition
    of the ingest log, of the whole small build log) and the same rows in memory, so a run reads the
    state tables once, not once per entity and hop: the lake lock (``lock.py``) keeps any other writer out.
    """

    def __init__(self, tables: LakeTables) -> None:
        self.tables = tables
        self._ingest: list[dict[str, Any]] | None = None
        self._builds: dict[tuple[str, str], dict[str, Any]] | None = None

    def snapshot(self) -> StateSnapshot:
        """The state as this run knows it: what it read, with what it has recorded since."""
        # Read on first use: a caller that never looks (a job whose hop read nothing) costs no Spark job.
        return StateSnapshot(lambda: (self._rows()[0], list(self._rows()[1].values())))

    def _rows(self) -> tuple[list[dict[str, Any]], dict[tuple[str, str], dict[str, Any]]]:
        if self._ingest is None:
            self._ingest = [r.asDict() for r in self.tables.read(INGEST_LOG).collect()]
        if self._builds is None:
            self._builds = {
                (r["table_name"], r["partition_id"]): r.asDict() for r in self.tables.read(BUILD_LOG).collect()
            }
        return self._ingest, self._builds

    def record_ingest(self, entity: str, dates: Iterable[str], files: list[IngestedFile], run_id: str) -> None:
        """The raw partitions of ``dates`` now hold exactly ``files``: the commit that marks them ingested."""
        ingest, _ = self._rows()
        now = _now()
        days = {date.fromisoformat(d) for d in dates}
        new = [
            {
                "entity": f.entity,
                "ingest_date": date.fromisoformat(f.ingest_date),
                "source_file": f.source_file,
                "fingerprint": f.fingerprint,
                "storage_version": f.storage_version,
                "duplicate_of": f.duplicate_of,
                "size_bytes": f.size_bytes,
                "rows_read": f.rows_read,
                "rows_valid": f.rows_valid,
                "rows_quarantined": f.rows_quarantined,
                "run_id": run_id,
                "committed_at": now,
            }
            for f in files
        ]
        # The entity's other dates are kept as read; a file gone from a re-read date leaves the log with it.
        kept = [r for r in ingest if r["entity"] == entity and r["ingest_date"] not in days]
        self._replace(INGEST_LOG, [*kept, *new], [partition_id({"entity": entity})], run_id)
        self._ingest = [r for r in ingest if r["entity"] != entity] + kept + new

    def record_builds(self, built: list[Table], changed: dict[str, list[str]], run_id: str) -> None:
        """Record the ``changed`` partitions of each table in ``built`` (one commit for all of them)."""
        _, current = self._rows()
        now = _now()
        rows = {
            (t.name, pid): {
                "table_name": t.name,
                "partition_id": pid,
                "run_id": t.partitions[pid].run_id,
                "rows": t.partitions[pid].rows,
                "built_from": t.partitions[pid].inputs,
                "committed_at": now,
            }
            for t in built
            for pid in changed[t.name]
        }
        if rows:
            builds = {**current, **rows}
            self._replace(BUILD_LOG, list(builds.values()), [""], run_id)
            self._builds = builds

    def _replace(self, name: str, rows: list[dict[str, Any]], pids: list[str], run_id: str) -> None:
        schema = specs()[name].schema
        df = self.tables.spark.createDataFrame([tuple(r[f.name] for f in schema.fields) for r in rows], schema)
        self.tables.overwrite(name, df, pids, run_id)


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class StateSnapshot:
    """The state at one moment: every raw, quarantine and built table's partitions and versions."""

    def __init__(self, rows: Callable[[], tuple[list[dict[str, Any]], list[dict[str, Any]]]]) -> None:
        self._rows = rows  # () -> (ingest log rows, build log rows), called on first use
        self._loaded: tuple[list[dict[str, Any]], list[dict[str, Any]]] | None = None
        self._builds: dict[str, Table] | None = None

    @property
    def _ingest(self) -> list[dict[str, Any]]:
        if self._loaded is None:
            self._loaded = self._rows()
        return self._loaded[0]

    @property
    def _build_rows(self) -> list[dict[str, Any]]:
        if self._loaded is None:
            self._loaded = self._rows()
        return self._loaded[1]

    @classmethod
    def read(cls, tables: LakeTables) -> StateSnapshot:
        """The state as the tables hold it now."""
        return LakeState(tables).snapshot()

    def ingested_files(self, entity: str) -> dict[str, dict[str, Any]]:
        """source_file -> {"fingerprint", "storage_version", "duplicate_of"} of every file in the entity's current
        raw partitions (``storage_version`` is None on rows logged before it existed: ``plan._ingested_version``)."""
        return {
            r["source_file"]: {
                "fingerprint": r["fingerprint"],
                "storage_version": r["storage_version"],
                "duplicate_of": r["duplicate_of"],
            }
            for r in self._ingest
            if r["entity"] == entity
        }

    def table(self, name: str) -> Table:
        if name == QUARANTINE:
            return self._from_ingest(name, None)
        if name.startswith("raw."):
            return self._from_ingest(name, name.split(".", 1)[1])
        if self._builds is None:
            self._builds = {}
            for r in self._build_rows:
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
        for r in self._ingest:
            if entity is not None and r["entity"] != entity:
                continue
            day = r["ingest_date"].isoformat()
            pid = partition_id({"ingest_date": day} if entity else {"entity": r["entity"], "ingest_date": day})
            current = parts.get(pid)
            rows = int(r["rows_valid"] if entity else r["rows_quarantined"])
            inputs = {**(current.inputs if current else {}), r["source_file"]: r["fingerprint"]}
            parts[pid] = Partition(r["run_id"], rows + (current.rows if current else 0), inputs)
        return Table(name, specs()[name].partition_by, parts)
