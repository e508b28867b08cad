"""Plan the landing -> raw hop: which landing files exist, which are new, which cannot be read.

Landing layout: ``<landing>/<entity>/ingest_date=YYYY-MM-DD/<file>``. A date is re-read whole
whenever one of its files is new or changed (or ``--reprocess`` names it), so every raw partition
is rebuilt from all of its files and a re-run gives the same partition.

Two identities per file, recorded side by side in ``raw.ingest_log``:

- ``storage_version`` (``storage.StoredFile.version``): comes with the listing, without a read. A
  file whose version differs from the one it was ingested at has changed. Every run compares the
  versions of all landing files; only the files of the dates that changed are read.
- ``fingerprint``: the sha256 of the content, hashed in the one pass over each file read (the pass
  that counts its quotes). Duplicates are decided on it: on S3 the ETag is no content hash (an
  SSE-KMS object's ETag is not an MD5 of its bytes, nor is a multipart upload's:
  https://docs.aws.amazon.com/AmazonS3/latest/API/API_Object.html), so identical bytes uploaded
  twice can carry different ETags. (Rows logged before the sha256 also match by ETag, as they did:
  ``_ingested_version``.)
"""

from __future__ import annotations

import hashlib
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
    # storage.StoredFile.version: changes when the file is rewritten. Taken from the listing, before any
    # read, so a file rewritten while a run reads it is logged at its older version: the next run redoes it.
    version: str
    size: int


@dataclass(frozen=True)
class ReadableFile:
    file: LandingFile
    dialect: Dialect
    header: HeaderMatch
    fingerprint: str  # sha256 of the content, hex
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
    return LandingFile(stored.uri, rel_path, ingest_date, stored.version, stored.size)


def _is_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def plan_entity(
    storage: Storage, landing_uri: str, entity: str, known: dict[str, dict[str, str | None]], reprocess: set[str]
) -> EntityPlan:
    """``known``: source file -> {"fingerprint", "storage_version", "duplicate_of"} of the files in the current raw
    partitions (``StateSnapshot.ingested_files``).

    Reads only the files of the dates it plans: each one's head (to sniff), then, unless the head is the
    whole file, the whole file once, streamed, which gives both its quote count and its sha256.
    """
    files, rejected = list_landing(storage, landing_uri, entity)
    plan = EntityPlan(entity, rejected=rejected)
    changed = {f.ingest_date for f in files if _ingested_version(known.get(f.rel_path)) != f.version}
    # A date whose files all vanished from landing keeps its raw partition: landing expires, raw is the record.
    plan.dates = sorted(changed | (reprocess & {f.ingest_date for f in files}))
    in_scope = [f for f in files if f.ingest_date in plan.dates]
    plan.skipped_files = len(files) - len(in_scope)
    # Identical content ingested under another name is a duplicate; the first one ingested wins.
    owners: dict[str, str] = {}  # sha256 -> the file first ingested with that content
    legacy: dict[str, str] = {}  # S3 ETag -> file, of rows logged before the sha256 (_ingested_version)
    for path, meta in known.items():
        if meta.get("duplicate_of") is None and path.split("/")[1].split("=", 1)[1] not in plan.dates:
            owners[str(meta["fingerprint"])] = path
            if meta.get("storage_version") is None:
                legacy[str(meta["fingerprint"])] = path
    for landing_file in sorted(in_scope, key=lambda f: (f.ingest_date, f.rel_path)):
        head = storage.read_head(landing_file.uri, HEAD_BYTES)
        complete = landing_file.size <= HEAD_BYTES
        try:
            dialect = sniff(head, complete=complete, file=landing_file.rel_path)
            header = match_header(dialect.header, landing_file.rel_path, entity)
        except FeedRejected as rejection:
            plan.rejected.append(rejection)
            continue
        digest, quotes = hashlib.sha256(), 0
        for chunk in [head] if complete else storage.read_chunks(landing_file.uri):
            digest.update(chunk)
            quotes += chunk.count(b'"')
        fingerprint = digest.hexdigest()
        duplicate_of = owners.get(fingerprint) or legacy.get(landing_file.version)
        if duplicate_of is None:
            owners[fingerprint] = landing_file.rel_path
        plan.files.append(
            ReadableFile(landing_file, dialect, header, fingerprint, duplicate_of, unclosed_quote=quotes % 2 == 1)
        )
    return plan


def _ingested_version(meta: dict[str, str | None] | None) -> str | None:
    """The version a file was ingested at (None: never ingested).

    Rows logged before the log had a ``storage_version`` column hold the storage's identity in ``fingerprint``:
    the ETag on S3, which is exactly the version listed now, so an S3 lake is not re-ingested whole on
    upgrade (a partly expired date rebuilt from what is left would lose rows); locally the sha256,
    which differs from any local version, so each local date is re-ingested once.
    """
    if meta is None:
        return None
    return meta.get("storage_version") or meta.get("fingerprint")


def raw_partition_id(ingest_date: str) -> str:
    return partition_id({"ingest_date": ingest_date})
