"""The landing -> raw planner (etl/landing.py) on a local folder and on S3 (moto): which dates change,
which files are duplicates, what the ingest log gets, and which files are read at all.

A file's ``storage_version`` (the S3 ETag, a local stat) says whether it changed, without a read; its
``fingerprint`` (sha256, hashed in the one pass that counts quotes) says what it holds, and decides
duplicates: an ETag is no content hash (SSE-KMS, multipart uploads), so it cannot.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest

from energy_lake.etl.landing import EntityPlan, plan_entity
from energy_lake.etl.sniff import HEAD_BYTES
from energy_lake.etl.storage import LocalStorage, S3Storage, Storage, StoredFile, join

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


def land(storage: Storage, landing: str, path: str, data: bytes) -> None:
    """One write of the whole file: a plain PUT on S3 (its ETag is then the MD5 of the bytes)."""
    uri = join(landing, path)
    if isinstance(storage, S3Storage):
        bucket, key = uri.removeprefix("s3://").split("/", 1)
        storage.s3.put_object(Bucket=bucket, Key=key, Body=data)
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
    """What the ingest log holds after the hop commits ``plan`` (hops.py -> StateSnapshot.ingested_files)."""
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
