"""The lake's own catalog: which folder holds the current version of each table partition.

Spark writes every partition version into a new folder (``.../ingest_date=D/run=<run_id>/``) and
nothing reads a folder until a commit names it. A commit writes each changed table's new version
file, then replaces ``HEAD.json`` in one atomic write (a local rename or one S3 PUT). Readers take
HEAD once and see one consistent state of every table, so a crash at any point leaves the previous
state readable and a re-run idempotent. See docs/adr/0001-atomic-commits.md.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from energy_lake.etl.failpoints import failpoint
from energy_lake.etl.storage import Storage, join

FORMAT_VERSION = 1


def partition_id(values: dict[str, str]) -> str:
    """Hive-style id of a partition, ``""`` for an unpartitioned table."""
    return "/".join(f"{k}={v}" for k, v in values.items())


def partition_values(pid: str) -> dict[str, str]:
    return dict(part.split("=", 1) for part in pid.split("/")) if pid else {}


@dataclass(frozen=True)
class Partition:
    path: str  # relative to the table location
    run_id: str
    rows: int
    inputs: dict[str, Any] = field(default_factory=dict)  # what it was built from, for incremental runs


@dataclass(frozen=True)
class Table:
    name: str  # "<zone>.<table>"
    location: str
    partition_keys: tuple[str, ...]
    version: int = 0
    partitions: dict[str, Partition] = field(default_factory=dict)

    def uri(self, pid: str) -> str:
        return join(self.location, self.partitions[pid].path)

    def uris(self) -> list[str]:
        return [self.uri(pid) for pid in sorted(self.partitions)]

    @property
    def rows(self) -> int:
        return sum(p.rows for p in self.partitions.values())

    def with_partitions(self, changed: dict[str, Partition], removed: tuple[str, ...] = ()) -> Table:
        parts = {k: v for k, v in self.partitions.items() if k not in removed}
        parts.update(changed)
        return replace(self, partitions=parts)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT_VERSION,
            "name": self.name,
            "location": self.location,
            "partition_keys": list(self.partition_keys),
            "version": self.version,
            "partitions": {
                pid: {"path": p.path, "run_id": p.run_id, "rows": p.rows, "inputs": p.inputs}
                for pid, p in sorted(self.partitions.items())
            },
        }

    @staticmethod
    def from_json(doc: dict[str, Any]) -> Table:
        return Table(
            name=doc["name"],
            location=doc["location"],
            partition_keys=tuple(doc["partition_keys"]),
            version=int(doc["version"]),
            partitions={
                pid: Partition(p["path"], p["run_id"], int(p["rows"]), p.get("inputs", {}))
                for pid, p in doc["partitions"].items()
            },
        )


class LakeCatalog:
    """HEAD and table version files under the lake's state URI."""

    def __init__(self, storage: Storage, state_uri: str) -> None:
        self.storage = storage
        self.state_uri = state_uri

    @property
    def head_uri(self) -> str:
        return join(self.state_uri, "HEAD.json")

    def head(self) -> dict[str, Any]:
        text = self.storage.read_text(self.head_uri)
        return json.loads(text) if text else {"format": FORMAT_VERSION, "version": 0, "tables": {}}

    def snapshot(self) -> Snapshot:
        return Snapshot(self, self.head())

    def commit(self, tables: list[Table], run_id: str) -> int:
        """Publish new versions of ``tables`` together; returns the new HEAD version.

        The caller holds the lake lock, so HEAD cannot move between this read and the write.
        """
        head = self.head()
        refs = dict(head["tables"])
        for table in tables:
            current = refs.get(table.name)
            version = int(current["version"]) + 1 if current else 1
            ref = join("tables", table.name, f"v{version:06d}.json")
            doc = replace(table, version=version).to_json()
            self.storage.write_text(join(self.state_uri, ref), json.dumps(doc, indent=1))
            refs[table.name] = {"version": version, "ref": ref}
        failpoint("catalog:versions_written")
        version = int(head["version"]) + 1
        new_head = {
            "format": FORMAT_VERSION,
            "version": version,
            "tables": dict(sorted(refs.items())),
            "run_id": run_id,
            "committed_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        self.storage.write_text(self.head_uri, json.dumps(new_head, indent=1))
        return version


class Snapshot:
    """One consistent view of every table, as of one HEAD."""

    def __init__(self, catalog: LakeCatalog, head: dict[str, Any]) -> None:
        self.catalog = catalog
        self.head = head
        self._tables: dict[str, Table | None] = {}

    @property
    def version(self) -> int:
        return int(self.head["version"])

    def table(self, name: str) -> Table | None:
        if name not in self._tables:
            ref = self.head["tables"].get(name)
            text = self.catalog.storage.read_text(join(self.catalog.state_uri, ref["ref"])) if ref else None
            self._tables[name] = Table.from_json(json.loads(text)) if text else None
        return self._tables[name]

    def table_or_empty(self, name: str, location: str, partition_keys: tuple[str, ...]) -> Table:
        return self.table(name) or Table(name, location, partition_keys)
