"""Plan the landing -> raw hop: which landing files exist, which are new, which cannot be read.

Landing layout: ``<landing>/<entity>/ingest_date=YYYY-MM-DD/<file>``. A date is re-read whole
whenever one of its files is new or changed (or ``--reprocess`` names it), so every raw partition
is rebuilt from all of its files and a re-run gives the same partition.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from energy_lake.etl.errors import FeedRejected
from energy_lake.etl.recognise import HeaderMatch, match_header
from energy_lake.etl.sniff import HEAD_BYTES, Dialect, sniff
from energy_lake.etl.storage import Storage, StoredFile, join
from energy_lake.etl.tables import partition_id

_DATE_DIR = re.compile(r"^ingest_date=(\d{4}-\d{2}-\d{2})$")


@dataclass(frozen=True)
class LandingFile:
    uri: str
    rel_path: str  # "<entity>/ingest_date=D/<name>": lineage and state key
    ingest_date: str
    fingerprint: str
    size: int


@dataclass(frozen=True)
class ReadableFile:
    file: LandingFile
    dialect: Dialect
    header: HeaderMatch
    duplicate_of: str | None = None  # rel_path of an identical file ingested before
    # An odd number of '"': a quote never closes, and the reader folded the rest of the file into the
    # last record's last field, which then looks whole (a file cut in transfer). That record is malformed.
    unclosed_quote: bool = False


@dataclass
class EntityPlan:
    entity: str
    dates: list[str] = field(default_factory=list)  # raw partitions to (re)build
    files: list[ReadableFile] = field(default_factory=list)  # every readable file of those dates
    rejected: list[FeedRejected] = field(default_factory=list)
    skipped_files: int = 0  # already ingested, unchanged


def list_landing(storage: Storage, landing_uri: str, entity: str) -> tuple[list[LandingFile], list[FeedRejected]]:
    root = join(landing_uri, entity)
    files: list[LandingFile] = []
    rejected: list[FeedRejected] = []
    for stored in storage.list_files(root):
        rel = stored.uri[len(root.rstrip("/")) + 1 :]
        parts = rel.split("/")
        rel_path = f"{entity}/{rel}"
        match = _DATE_DIR.match(parts[0]) if len(parts) == 2 else None
        if not match or not _is_date(match.group(1)):
            rejected.append(
                FeedRejected(rel_path, "not in the landing layout <entity>/ingest_date=YYYY-MM-DD/<file>", "bad_layout")
            )
            continue
        files.append(_landing_file(stored, rel_path, match.group(1)))
    return files, rejected


def _landing_file(stored: StoredFile, rel_path: str, ingest_date: str) -> LandingFile:
    return LandingFile(stored.uri, rel_path, ingest_date, stored.fingerprint, stored.size)


def _is_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def plan_entity(
    storage: Storage, landing_uri: str, entity: str, known: dict[str, dict[str, str | None]], reprocess: set[str]
) -> EntityPlan:
    """``known``: source file -> {"fingerprint", "duplicate_of"} of the files in the current raw partitions."""
    files, rejected = list_landing(storage, landing_uri, entity)
    plan = EntityPlan(entity, rejected=rejected)
    changed = {f.ingest_date for f in files if known.get(f.rel_path, {}).get("fingerprint") != f.fingerprint}
    # A date whose files all vanished from landing keeps its raw partition: landing expires, raw is the record.
    plan.dates = sorted(changed | (reprocess & {f.ingest_date for f in files}))
    in_scope = [f for f in files if f.ingest_date in plan.dates]
    plan.skipped_files = len(files) - len(in_scope)
    # Identical content ingested under another name is a duplicate; the first one ingested wins.
    owners = {
        meta["fingerprint"]: path
        for path, meta in known.items()
        if meta.get("duplicate_of") is None and path.split("/")[1].split("=", 1)[1] not in plan.dates
    }
    for landing_file in sorted(in_scope, key=lambda f: (f.ingest_date, f.rel_path)):
        head = storage.read_head(landing_file.uri, HEAD_BYTES)
        complete = landing_file.size <= HEAD_BYTES
        try:
            dialect = sniff(head, complete=complete, file=landing_file.rel_path)
            header = match_header(dialect.header, landing_file.rel_path, entity)
        except FeedRejected as rejection:
            plan.rejected.append(rejection)
            continue
        duplicate_of = owners.setdefault(landing_file.fingerprint, landing_file.rel_path)
        quotes = head.count(b'"') if complete else sum(c.count(b'"') for c in storage.read_chunks(landing_file.uri))
        plan.files.append(
            ReadableFile(
                landing_file,
                dialect,
                header,
                None if duplicate_of == landing_file.rel_path else duplicate_of,
                unclosed_quote=quotes % 2 == 1,
            )
        )
    return plan


def raw_partition_id(ingest_date: str) -> str:
    return partition_id({"ingest_date": ingest_date})
