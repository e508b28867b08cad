"""The landing -> raw planner (etl/landing/plan.py) on a local folder and on S3 (moto): which dates change,
which files are duplicates, what the ingest log gets, and which files are read at all.

A file's ``storage_version`` (the S3 ETag, a local stat) says whether it changed, without a read; its
``fingerprint`` (sha256, hashed in the one pass that counts quotes) says what it holds, and decides
duplicates: an ETag is no content hash (SSE-KMS, multipart uploads), so it cannot.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest

from energy_lake.etl.lake.storage import CHUNK_BYTES, LocalStorage, S3Storage, Storage, StoredFile, join
from energy_lake.etl.landing import plan as planner
from energy_lake.etl.landing.plan import EntityPlan, plan_entity
from energy_lake.etl.landing.sniff import HEAD_BYTES, Dialect
from energy_lake.etl.model.errors import FeedRejected

HEADER = b"provider_name,energy_type,country,capacity_mw\n"
ROW = b"Acme Wind,wind,Spain,10.5\n"
SMALL = HEADER + ROW  # read whole by the head
SMALL_SHA256 = "4ef9f9129d30cec6c7ee9482e9e8ad51f80a59fa3ffbdff7d23177248ac8611b"  # sha256sum of those bytes
BIG = HEADER + ROW * 210_000  # 5,460,046 bytes: streamed, and big enough for a 2-part multipart upload
BIG_SHA256 = "4f9231637c15d457f8a000c5f86abccdd18450ec1678ff21cf337777d76e28eb"
PART_BYTES = 5 << 20  # S3's smallest part but the last
D1, D2 = "2026-01-05", "2026-01-06"


def rel(day: str, name: str) -> str:
    return f"providers/ingest_date={day}/{name}"


def landing_of(state: str) -> str:
    return state.replace("_lake", "landing")


def land(storage: Storage, landing: str, path: str, data: bytes, **s3_args: str) -> None:
    """One write of the whole file: a plain PUT on S3 (its ETag is then the MD5 of the bytes)."""
    uri = join(landing, path)
    if isinstance(storage, S3Storage):
        bucket, key = uri.removeprefix("s3://").split("/", 1)
        storage.s3.put_object(Bucket=bucket, Key=key, Body=data, **s3_args)
    else:
        Path(uri).parent.mkdir(parents=True, exist_ok=True)
        Path(uri).write_bytes(data)


def land_multipart(storage: S3Storage, landing: str, path: str, data: bytes) -> None:
    """The same bytes as a multipart upload (as the CLI and SDKs send large files): its ETag is the MD5
    of the parts' MD5s with "-<parts>", not the MD5 of the bytes."""
    bucket, key = join(landing, path).removeprefix("s3://").split("/", 1)
    upload = storage.s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
    parts = []
    for number, start in enumerate(range(0, len(data), PART_BYTES), start=1):
        body = data[start : start + PART_BYTES]
        etag = storage.s3.upload_part(Bucket=bucket, Key=key, UploadId=upload, PartNumber=number, Body=body)["ETag"]
        parts.append({"PartNumber": number, "ETag": etag})
    storage.s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload, MultipartUpload={"Parts": parts})


def logged(plan: EntityPlan) -> dict[str, dict[str, str | None]]:
    """What the ingest log holds after the hop commits ``plan`` (build_raw.py -> StateSnapshot.ingested_files)."""
    return {
        rf.file.rel_path: {
            "fingerprint": rf.fingerprint,
            "storage_version": rf.file.version,
            "duplicate_of": rf.duplicate_of,
        }
        for rf in plan.files
    }


def plan(storage: Storage | Reads, landing: str, known: dict[str, dict[str, str | None]] | None = None) -> EntityPlan:
    return plan_entity(cast(Storage, storage), landing, "providers", known or {}, set())


class Reads:
    """Every read of a landing file's bytes: the Storage calls, and below them each ``open`` of a local
    file and each S3 GetObject, so a read that bypasses ``read_head``/``read_chunks`` is counted too."""

    def __init__(self, storage: Storage, monkeypatch: pytest.MonkeyPatch) -> None:
        self.storage = storage
        self.calls: list[tuple[str, str]] = []  # (method, file name)
        self.raw: list[str] = []  # file names opened / fetched
        if isinstance(storage, S3Storage):
            storage.s3.meta.events.register(
                "before-parameter-build.s3.GetObject",
                lambda params, **_: self.raw.append(params["Key"].rsplit("/", 1)[1]),
            )
        else:
            real_open = Path.open

            def counting_open(path: Path, *args: Any, **kwargs: Any) -> Any:
                if "landing" in path.parts:
                    self.raw.append(path.name)
                return real_open(path, *args, **kwargs)

            monkeypatch.setattr(Path, "open", counting_open)

    def clear(self) -> None:
        self.calls.clear()
        self.raw.clear()

    def list_files(self, uri: str) -> list[StoredFile]:
        return self.storage.list_files(uri)

    def read_head(self, uri: str, size: int) -> bytes:
        self.calls.append(("read_head", uri.rsplit("/", 1)[1]))
        return self.storage.read_head(uri, size)

    def read_chunks(self, uri: str) -> Iterator[bytes]:
        self.calls.append(("read_chunks", uri.rsplit("/", 1)[1]))
        return self.storage.read_chunks(uri)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.storage, name)


@pytest.mark.parametrize("store", ["s3"], indirect=True)
def test_identical_files_whose_etags_differ_are_duplicates_on_s3(store: tuple[Storage, str]) -> None:
    """The same bytes uploaded once with a PUT and once as a multipart upload have different ETags
    (https://docs.aws.amazon.com/AmazonS3/latest/API/API_Object.html: a multipart upload's ETag, like an
    SSE-KMS object's, is not an MD5 digest of its data); the second is still a duplicate of the first."""
    storage, state = store
    assert isinstance(storage, S3Storage)
    landing = landing_of(state)
    land(storage, landing, rel(D1, "a.csv"), BIG)
    land_multipart(storage, landing, rel(D1, "b.csv"), BIG)
    land(storage, landing, rel(D2, "c.csv"), SMALL)
    bucket, prefix = join(landing, "providers").removeprefix("s3://").split("/", 1)
    listed = storage.s3.list_objects_v2(Bucket=bucket, Prefix=prefix)["Contents"]
    etags = {o["Key"].rsplit("/", 1)[1]: o["ETag"].strip('"') for o in listed}
    assert etags["a.csv"] == hashlib.md5(BIG, usedforsecurity=False).hexdigest()  # a PUT: the MD5 of the bytes
    assert etags["b.csv"].endswith("-2") and etags["b.csv"] != etags["a.csv"]

    first = plan(storage, landing)
    assert first.dates == [D1, D2]
    assert [(rf.file.rel_path, rf.duplicate_of) for rf in first.files] == [
        (rel(D1, "a.csv"), None),
        (rel(D1, "b.csv"), rel(D1, "a.csv")),
        (rel(D2, "c.csv"), None),
    ]

    # A later run: the same bytes sent again as a multipart upload on another day, its ETag unlike any
    # logged, is a duplicate of the file logged first.
    land_multipart(storage, landing, rel(D2, "d.csv"), BIG)
    second = plan(storage, landing, logged(first))
    assert second.dates == [D2]
    assert [(rf.file.rel_path, rf.duplicate_of) for rf in second.files] == [
        (rel(D2, "c.csv"), None),
        (rel(D2, "d.csv"), rel(D1, "a.csv")),
    ]


def test_the_logged_fingerprint_is_the_sha256_of_the_content(store: tuple[Storage, str]) -> None:
    """On both storages, for a file read whole in its head and for one streamed in chunks."""
    storage, state = store
    landing = landing_of(state)
    land(storage, landing, rel(D1, "small.csv"), SMALL)
    land(storage, landing, rel(D1, "big.csv"), BIG)
    assert len(SMALL) <= HEAD_BYTES < len(BIG)
    log = logged(plan(storage, landing))
    assert {path: entry["fingerprint"] for path, entry in log.items()} == {
        rel(D1, "big.csv"): BIG_SHA256,
        rel(D1, "small.csv"): SMALL_SHA256,
    }
    assert hashlib.sha256(BIG).hexdigest() == BIG_SHA256 and hashlib.sha256(SMALL).hexdigest() == SMALL_SHA256
    versions = {f.uri.rsplit("/", 1)[1]: f.version for f in storage.list_files(join(landing, "providers"))}
    assert {path: entry["storage_version"] for path, entry in log.items()} == {
        rel(D1, "big.csv"): versions["big.csv"],
        rel(D1, "small.csv"): versions["small.csv"],
    }


def test_a_rewritten_file_re_ingests_its_date_and_untouched_files_are_never_read(
    store: tuple[Storage, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    storage, state = store
    landing = landing_of(state)
    land(storage, landing, rel(D1, "a.csv"), SMALL)
    land(storage, landing, rel(D2, "b.csv"), BIG)
    reads = Reads(storage, monkeypatch)
    first = plan(reads, landing)
    assert first.dates == [D1, D2]
    assert reads.calls == [("read_head", "a.csv"), ("read_head", "b.csv"), ("read_chunks", "b.csv")]
    assert reads.raw == ["a.csv", "b.csv", "b.csv"]  # the listing itself opens no file

    # Nothing changed: the listing decides, not one byte of a landing file is read.
    reads.clear()
    unchanged = plan(reads, landing, logged(first))
    assert (unchanged.dates, unchanged.files, unchanged.skipped_files) == ([], [], 2)
    assert (reads.calls, reads.raw) == ([], [])

    # b.csv rewritten: other bytes, the same size; locally its modification time put back too (cp -p).
    rewritten = BIG[: -len(ROW)] + b"Acme Wind,wind,Chile,10.5\n"
    assert len(rewritten) == len(BIG)
    if isinstance(storage, LocalStorage):
        path = Path(join(landing, rel(D2, "b.csv")))
        before = path.stat()
        land(storage, landing, rel(D2, "b.csv"), rewritten)
        os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
        assert (path.stat().st_size, path.stat().st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    else:
        land(storage, landing, rel(D2, "b.csv"), rewritten)
    reads.clear()
    again = plan(reads, landing, logged(first))
    assert again.dates == [D2] and again.skipped_files == 1
    assert reads.calls == [("read_head", "b.csv"), ("read_chunks", "b.csv")]  # one pass over b.csv, a.csv unread
    assert reads.raw == ["b.csv", "b.csv"]
    assert logged(again)[rel(D2, "b.csv")]["fingerprint"] == hashlib.sha256(rewritten).hexdigest()


def test_a_log_row_from_before_the_storage_version_does_not_re_ingest_an_s3_lake(
    store: tuple[Storage, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rows logged by the release before this column hold the storage's identity in ``fingerprint``: the
    ETag on S3 (the version listed now: nothing to redo, and a re-send still matches it by ETag, as it
    did), the sha256 locally (each local date is re-ingested once, a duplicate still found by sha256)."""
    storage, state = store
    landing = landing_of(state)
    land(storage, landing, rel(D1, "a.csv"), SMALL)
    (listed,) = storage.list_files(join(landing, "providers"))
    old_identity = listed.version if isinstance(storage, S3Storage) else SMALL_SHA256
    known: dict[str, dict[str, str | None]] = {rel(D1, "a.csv"): {"fingerprint": old_identity, "duplicate_of": None}}
    reads = Reads(storage, monkeypatch)
    upgraded = plan(reads, landing, known)
    if isinstance(storage, S3Storage):
        assert (upgraded.dates, reads.raw) == ([], [])
    else:
        assert upgraded.dates == [D1]

    land(storage, landing, rel(D2, "resent.csv"), SMALL)  # a plain PUT of the same bytes: the same ETag
    resent = plan(storage, landing, known)
    assert [(rf.file.rel_path, rf.duplicate_of) for rf in resent.files if rf.file.ingest_date == D2] == [
        (rel(D2, "resent.csv"), rel(D1, "a.csv"))
    ]


# ------------------------------------------------------------------ compressed feeds (etl/landing/compression.py)

OPEN = BIG + b'Acme Wind,wind,"Spain,10.5\n'  # streamed, and one '"' that never closes: its last record is cut


def gz(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)


class Sniffed:
    """What the planner hands to sniff, per file: (head, complete)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.seen: dict[str, tuple[bytes, bool]] = {}
        real = planner.sniff

        def recording(head: bytes, *, complete: bool, file: str) -> Dialect:
            self.seen[file] = (head, complete)
            return real(head, complete=complete, file=file)

        monkeypatch.setattr(planner, "sniff", recording)


def test_a_gz_file_is_planned_from_the_csv_inside_exactly_as_the_plain_file(
    store: tuple[Storage, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Sniff gets the first HEAD_BYTES of the decompressed CSV (``complete`` when it is all of it), the quote
    count runs over the CSV, and the fingerprint is the CSV's sha256: ``x.csv.gz`` holding the CSV of ``x.csv``
    is its duplicate (docs: plan.py). On S3 the objects carry ``Content-Encoding: gzip``, which boto3 does
    not undo: the planner still gets the compressed bytes, and decompresses them once. A .gz file is read in
    one stream (no ranged head read)."""
    storage, state = store
    landing = landing_of(state)
    encoded = {"ContentEncoding": "gzip"} if isinstance(storage, S3Storage) else {}
    for name, data in (("small.csv", SMALL), ("open.csv", OPEN)):
        land(storage, landing, rel(D1, name), data)
        land(storage, landing, rel(D2, f"{name}.gz"), gz(data), **encoded)
    sniffed = Sniffed(monkeypatch)
    reads = Reads(storage, monkeypatch)
    planned = plan(reads, landing)

    assert planned.rejected == []
    assert reads.calls == [
        ("read_head", "open.csv"),
        ("read_chunks", "open.csv"),
        ("read_head", "small.csv"),
        ("read_chunks", "open.csv.gz"),
        ("read_chunks", "small.csv.gz"),
    ]
    assert reads.raw == ["open.csv", "open.csv", "small.csv", "open.csv.gz", "small.csv.gz"]
    assert len(SMALL) <= HEAD_BYTES < len(OPEN)
    assert sniffed.seen == {
        rel(D1, "open.csv"): (OPEN[:HEAD_BYTES], False),
        rel(D1, "small.csv"): (SMALL, True),
        rel(D2, "open.csv.gz"): (OPEN[:HEAD_BYTES], False),
        rel(D2, "small.csv.gz"): (SMALL, True),
    }
    by_path = {rf.file.rel_path: rf for rf in planned.files}
    for name, data in (("small.csv", SMALL), ("open.csv", OPEN)):
        plain, packed = by_path[rel(D1, name)], by_path[rel(D2, f"{name}.gz")]
        assert (packed.dialect, packed.header) == (plain.dialect, plain.header)
        assert packed.fingerprint == plain.fingerprint == hashlib.sha256(data).hexdigest()
        assert packed.unclosed_quote is plain.unclosed_quote is (name == "open.csv")
        assert (plain.duplicate_of, packed.duplicate_of) == (None, rel(D1, name))
        assert packed.file.size == len(gz(data))  # the ingest log's size is the file's as landed


def test_gzip_files_of_one_csv_are_duplicates_whatever_their_gzip_headers(store: tuple[Storage, str]) -> None:
    """gzip's header holds the source's name and modification time, and another level compresses otherwise:
    the same CSV packed twice is two different files of bytes, and one content."""
    storage, state = store
    landing = landing_of(state)
    first = gzip.compress(SMALL, compresslevel=9, mtime=1_767_571_200)
    land(storage, landing, rel(D1, "a.csv.gz"), first)
    second = io_gzip(SMALL, name="export.csv", level=1, mtime=1_767_657_600)
    land(storage, landing, rel(D2, "b.csv.gz"), second)
    land(storage, landing, rel(D2, "c.csv.gz"), gz(SMALL + ROW))
    assert first != second
    planned = plan(storage, landing)
    assert [(rf.file.rel_path, rf.duplicate_of) for rf in planned.files] == [
        (rel(D1, "a.csv.gz"), None),
        (rel(D2, "b.csv.gz"), rel(D1, "a.csv.gz")),
        (rel(D2, "c.csv.gz"), None),
    ]


def io_gzip(data: bytes, *, name: str, level: int, mtime: int) -> bytes:
    """A gzip file as ``gzip`` writes one: the source's name in its header."""
    out = io.BytesIO()
    with gzip.GzipFile(filename=name, mode="wb", compresslevel=level, fileobj=out, mtime=mtime) as handle:
        handle.write(data)
    return out.getvalue()


class CountedChunks:
    """A Storage whose ``read_chunks`` counts the chunks taken from it."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self.taken: dict[str, int] = {}

    def read_chunks(self, uri: str) -> Iterator[bytes]:
        name = uri.rsplit("/", 1)[1]
        self.taken[name] = 0
        for chunk in self.storage.read_chunks(uri):
            self.taken[name] += 1
            yield chunk

    def __getattr__(self, name: str) -> Any:
        return getattr(self.storage, name)


def test_a_big_gz_file_is_decompressed_as_it_streams(store: tuple[Storage, str]) -> None:
    """The head of a .gz file is the start of its one stream: a file refused by its header is read no further
    than that (its first chunk), and an accepted one is read once, to its end."""
    storage, state = store
    landing = landing_of(state)
    noise = random.Random(7)
    body = b"".join(b"P-%s,wind,Spain,10.5\n" % noise.randbytes(40).hex().encode() for _ in range(60_000))
    good, bad = gz(HEADER + body), gz(b"name,kind\n" + body)
    assert len(good) > 2 * CHUNK_BYTES  # random names: the stream stays big (3 chunks)
    land(storage, landing, rel(D1, "good.csv.gz"), good)
    land(storage, landing, rel(D1, "unknown.csv.gz"), bad)
    counted = CountedChunks(storage)
    planned = plan(cast(Storage, counted), landing)
    assert [(r.file, r.rule) for r in planned.rejected] == [(rel(D1, "unknown.csv.gz"), "missing_columns")]
    assert counted.taken == {"good.csv.gz": -(-len(good) // CHUNK_BYTES), "unknown.csv.gz": 1}
    (planned_good,) = planned.files
    assert planned_good.fingerprint == hashlib.sha256(HEADER + body).hexdigest()


GOOD = gz(SMALL)
DAMAGED: dict[str, tuple[bytes, str | None, str | None]] = {
    # name: (bytes as landed, rule, reason) -- rule None: planned, read as SMALL
    "members.csv.gz": (gz(SMALL[:20]) + gz(SMALL[20:]), None, None),  # `cat a.gz b.gz`: one stream
    "cut.csv.gz": (
        GOOD[:-4],
        "bad_compression",
        "the gzip stream is cut short: the file is incomplete (truncated in transfer?); land it again whole",
    ),
    # the head (256 KiB of CSV) reads well: the cut is found by the scan, and nothing of it is planned
    "cut_big.csv.gz": (
        gz(BIG)[: len(gz(BIG)) // 2],
        "bad_compression",
        "the gzip stream is cut short: the file is incomplete (truncated in transfer?); land it again whole",
    ),
    "crc.csv.gz": (
        GOOD[:-8] + bytes([GOOD[-8] ^ 0xFF]) + GOOD[-7:],
        "bad_compression",
        "the gzip data is corrupt (incorrect data check); land the file again",
    ),
    "padded.csv.gz": (
        GOOD + b"\0" * 8,
        "bad_compression",
        f"the file goes on after the end of its gzip stream (byte {len(GOOD)}) with bytes that are not gzip "
        "data, which Spark cannot read: compress the CSV again",
    ),
    "plain.csv.gz": (SMALL, "bad_compression", "the file is named .gz but is not gzip-compressed"),
    "empty.csv.gz": (b"", "empty_file", "the file is empty (no header, no records)"),
    "empty_stream.csv.gz": (gz(b""), "empty_file", "the file is empty (no header, no records)"),
}


def test_a_damaged_gz_file_is_rejected_with_its_reason(store: tuple[Storage, str]) -> None:
    """Refused before Spark reads it (Spark would fail the hop, or load the part before the damage); the same
    reasons locally and on S3. Concatenated members, which gzip -d and Spark read whole, are one stream."""
    storage, state = store
    landing = landing_of(state)
    for name, (data, _, _) in DAMAGED.items():
        land(storage, landing, rel(D1, name), data)
    planned = plan(storage, landing)
    expected = sorted((rel(D1, n), rule, why) for n, (_, rule, why) in DAMAGED.items() if rule is not None)
    assert sorted((r.file, r.rule, r.reason) for r in planned.rejected) == expected
    assert all(isinstance(r, FeedRejected) for r in planned.rejected)
    assert [(rf.file.rel_path, rf.fingerprint) for rf in planned.files] == [(rel(D1, "members.csv.gz"), SMALL_SHA256)]
