"""Landing-file storage behaves the same on a local folder and on S3 (moto)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from energy_lake.etl.lake.storage import LocalStorage, S3Storage, Storage, join


def test_listing_skips_hidden_and_underscore_entries(store: tuple[Storage, str]) -> None:
    storage, state = store
    root = state.replace("_lake", "landing")
    for rel in ("a/ingest_date=2026-01-01/f.csv", "a/_tmp/x.csv", "a/.hidden.csv", "a/ingest_date=2026-01-01/.part"):
        if isinstance(storage, LocalStorage):
            path = Path(join(root, rel))
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("h\n1\n")
        else:
            storage.write_text(join(root, rel), "h\n1\n")
    listed = storage.list_files(join(root, "a"))
    assert [f.uri for f in listed] == [join(root, "a/ingest_date=2026-01-01/f.csv")]
    assert listed[0].size == 4
    assert storage.read_head(listed[0].uri, 2) == b"h\n"


def test_read_chunks_streams_the_whole_file_in_order(store: tuple[Storage, str]) -> None:
    """The planner counts a landing file's quotes from these chunks (an odd count: a quote left open)."""
    from energy_lake.etl.lake.storage import CHUNK_BYTES

    storage, state = store
    uri = join(state.replace("_lake", "landing"), "big.csv")
    data = (b'a,"b ""c"""\n' * (CHUNK_BYTES // 12 + 5)) + b'x,"open'
    if isinstance(storage, LocalStorage):
        Path(uri).parent.mkdir(parents=True, exist_ok=True)
        Path(uri).write_bytes(data)
    else:
        storage.write_text(uri, data.decode())
    chunks = list(storage.read_chunks(uri))
    assert len(chunks) == 2 and b"".join(chunks) == data
    assert sum(c.count(b'"') for c in chunks) % 2 == 1


def test_the_head_of_an_empty_file_is_empty(store: tuple[Storage, str]) -> None:
    """A 0-byte landing file is rejected by the sniffer as empty, on S3 too.

    S3 answers a ranged GET of an empty object with 416 InvalidRange (moto does the same), which
    used to crash the landing -> raw planner on AWS while the same file was rejected cleanly locally.
    """
    storage, state = store
    uri = join(state.replace("_lake", "landing"), "empty.csv")
    if isinstance(storage, LocalStorage):
        Path(uri).parent.mkdir(parents=True, exist_ok=True)
        Path(uri).write_bytes(b"")
    else:
        storage.write_text(uri, "")
    assert storage.read_head(uri, 65536) == b""
    assert list(storage.read_chunks(uri)) in ([], [b""])


def _put(storage: Storage, uri: str, data: bytes) -> None:
    if isinstance(storage, LocalStorage):
        Path(uri).parent.mkdir(parents=True, exist_ok=True)
        Path(uri).write_bytes(data)
    else:
        storage.write_text(uri, data.decode())


def test_a_listed_version_needs_no_read_and_changes_when_the_file_is_rewritten(
    store: tuple[Storage, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The planner compares these versions for every landing file on every run, so listing reads no file;
    reading a file is no change; other bytes of the same size are (locally even with the old mtime put back)."""
    storage, state = store
    root = join(state.replace("_lake", "landing"), "a")
    uri = join(root, "ingest_date=2026-01-01/f.csv")
    _put(storage, uri, b"h\n1\n")

    def no_read(*args: object, **kwargs: object) -> None:
        raise AssertionError("the listing opened a file")

    with monkeypatch.context() as patched:
        patched.setattr(Path, "open", no_read)
        patched.setattr(Path, "read_bytes", no_read)
        (listed,) = storage.list_files(root)
    if isinstance(storage, S3Storage):
        bucket, key = uri.removeprefix("s3://").split("/", 1)
        assert listed.version == storage.s3.head_object(Bucket=bucket, Key=key)["ETag"].strip('"')
    else:
        stat = Path(uri).stat()
        assert listed.version == f"{stat.st_size}-{stat.st_mtime_ns}-{stat.st_ctime_ns}-{stat.st_ino}"
    assert storage.read_head(uri, 2) == b"h\n" and b"".join(storage.read_chunks(uri)) == b"h\n1\n"
    assert storage.list_files(root) == [listed]

    before = Path(uri).stat() if isinstance(storage, LocalStorage) else None
    _put(storage, uri, b"h\n2\n")
    if before is not None:
        os.utime(uri, ns=(before.st_atime_ns, before.st_mtime_ns))
    (rewritten,) = storage.list_files(root)
    assert rewritten.size == listed.size and rewritten.version != listed.version


@pytest.mark.parametrize("store", ["s3"], indirect=True)
def test_s3_returns_a_gzip_object_as_stored_whatever_its_content_encoding(store: tuple[Storage, str]) -> None:
    """``Content-Encoding: gzip`` is metadata: S3 returns the stored bytes and boto3 does not decompress them
    (botocore reads bodies with decode_content=False), so the planner sees a ``.gz`` file's compressed bytes
    through read_head and read_chunks alike, and decompresses them once itself (etl/landing/compression.py)."""
    import gzip

    storage, state = store
    assert isinstance(storage, S3Storage)
    uri = join(state.replace("_lake", "landing"), "a/ingest_date=2026-01-01/f.csv.gz")
    packed = gzip.compress(b"h\n1\n", mtime=0)
    bucket, key = uri.removeprefix("s3://").split("/", 1)
    storage.s3.put_object(Bucket=bucket, Key=key, Body=packed, ContentEncoding="gzip", ContentType="text/csv")
    assert storage.s3.head_object(Bucket=bucket, Key=key)["ContentEncoding"] == "gzip"
    assert storage.read_head(uri, 2) == packed[:2] == b"\x1f\x8b"
    assert b"".join(storage.read_chunks(uri)) == packed
