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

The content is what Spark's reader reads (``Content``): a file's bytes, or for a ``.gz`` name the CSV
its gzip stream holds (``etl/landing/compression.py``). So the fingerprint of ``x.csv.gz`` is the sha256 of
the CSV inside, not of the compressed bytes: ``x.csv`` and ``x.csv.gz`` holding the same CSV are
duplicates (the one ingested first wins), and so are two gzip files of the same CSV whose bytes
differ (gzip's header carries the source file's name and modification time, and another level or tool
compresses differently). A re-sent feed loads once however it was packed; derived trade ids hash the
file name, so a second copy would otherwise load its trades again. The storage version, and the size
in the ingest log, stay those of the file as landed.
"""

from __future__ import annotations

import hashlib
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date

from energy_lake.etl.lake.storage import Storage, StoredFile, join
from energy_lake.etl.lake.tables import partition_id
from energy_lake.etl.landing.compression import BadCompression, gunzip, is_gzip
from energy_lake.etl.landing.encoding import TextEvidence
from energy_lake.etl.landing.recognise import HeaderMatch, match_header
from energy_lake.etl.landing.sniff import HEAD_BYTES, Dialect, QuoteCount, sniff
from energy_lake.etl.model.errors import FeedRejected

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
    fingerprint: str  # sha256 of the content (of a .gz file, of the CSV inside: Content), hex
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
    whole file, the whole file once, streamed, which gives both its quote count and its sha256. A
    ``.gz`` file is streamed once in all, its head being the start of that stream (``Content``); one
    whose gzip stream is damaged is rejected (``bad_compression``) before Spark reads any of it.
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
        try:
            found = examine(Content(storage, landing_file.uri, landing_file.size), landing_file.rel_path, entity)
        except BadCompression as bad:
            plan.rejected.append(FeedRejected(landing_file.rel_path, bad.reason, "bad_compression"))
            continue
        except FeedRejected as rejection:
            plan.rejected.append(rejection)
            continue
        duplicate_of = owners.get(found.fingerprint) or legacy.get(landing_file.version)
        if duplicate_of is None:
            owners[found.fingerprint] = landing_file.rel_path
        plan.files.append(
            ReadableFile(
                landing_file,
                found.dialect,
                found.header,
                found.fingerprint,
                duplicate_of,
                unclosed_quote=found.quotes % 2 == 1,
            )
        )
    return plan


@dataclass(frozen=True)
class Examined:
    dialect: Dialect
    header: HeaderMatch
    fingerprint: str  # sha256 of the content, hex
    quotes: int  # '"' characters in the content


def examine(content: Content, file: str, entity: str | None) -> Examined:
    """Everything the planner (and ``energy-lake ingest``) knows of a file before Spark reads it.

    The head is sniffed and its header matched first, so a file of no contract costs only its head.
    Then the whole content is read once (``Content.scan``). Without a byte-order mark, all of its bytes
    decide the encoding (``etl/landing/encoding.py``): the same as the head's, except for a file whose first
    ``HEAD_BYTES`` hold no evidence the rest contradicts (ASCII, then Windows-1252 accents), which is
    sniffed again in the encoding the whole file is in; or one the rest shows to mix encodings, refused.
    """
    dialect = sniff(content.head, complete=content.complete, file=file)
    header = match_header(dialect.header, file, entity)
    fingerprint, quotes, evidence = content.scan(dialect)
    if evidence is not None:
        encoding = evidence.decide(file)
        if encoding != dialect.encoding:
            dialect = sniff(content.head, complete=content.complete, file=file, encoding=encoding)
            header = match_header(dialect.header, file, entity)
    return Examined(dialect, header, fingerprint, quotes)


class Content:
    """What Spark's CSV reader reads of a landing file: its bytes, or, for a name ending in ``.gz``, the CSV
    its gzip stream decompresses to (``etl/landing/compression.py``, over ``Storage.read_chunks``: the same code on
    a local folder and on S3).

    ``head`` is the first ``HEAD_BYTES`` of that content, what sniff decides from, and ``complete`` says the
    head is all of it. ``scan()`` then reads the whole content (``examine``). A
    plain file's head is one ranged read and the scan a second read of the whole file (none when the head
    was all of it). A ``.gz`` file is one stream, read only as far as its decompressed head first, so
    a file refused by its header costs no more than that; the scan goes on with the same stream.
    ``BadCompression`` (from here or from ``scan``) when the stream is damaged, cut short or followed by
    other bytes: all of it is checked before a file is planned.
    """

    def __init__(self, storage: Storage, uri: str, size: int) -> None:
        self.head: bytes
        self.complete: bool
        self._content: Iterator[bytes]
        if not is_gzip(uri):
            self.head = storage.read_head(uri, HEAD_BYTES)
            self.complete = size <= HEAD_BYTES
            self._content = iter([self.head]) if self.complete else _lazy(storage, uri)
            return
        stream = gunzip(storage.read_chunks(uri))
        pieces, length = [], 0
        for piece in stream:
            pieces.append(piece)
            length += len(piece)
            if length > HEAD_BYTES:  # one byte past the head says it is not the whole content
                break
        start = b"".join(pieces)
        self.head, self.complete = start[:HEAD_BYTES], length <= HEAD_BYTES
        self._content = itertools.chain([start], stream)

    def scan(self, dialect: Dialect) -> tuple[str, int, TextEvidence | None]:
        """The whole content's sha256 (hex), number of '"' characters in the dialect's encoding and, unless a
        byte-order mark gave the encoding, what its bytes say of their encoding; in one pass."""
        digest, quotes = hashlib.sha256(), QuoteCount(dialect.encoding)
        evidence = None if dialect.marked else TextEvidence()
        for chunk in self._content:
            digest.update(chunk)
            quotes.update(chunk)
            if evidence is not None:
                evidence.update(chunk)
        if evidence is not None:
            evidence.update(b"", final=True)
        return digest.hexdigest(), quotes.count, evidence


def _lazy(storage: Storage, uri: str) -> Iterator[bytes]:
    """The file's chunks, its read started only when the first one is asked for."""
    yield from storage.read_chunks(uri)


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
