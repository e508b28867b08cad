"""Small-object storage for the lake's metadata and landing files, on a local folder or S3.

Spark reads and writes the data files; this module does the rest: listing landing files (with a
cheap version of each, read from the listing itself), reading their first bytes (or streaming them
whole), the catalog's JSON objects and the run lock. URIs are either local paths (``/x``,
``file:///x``) or ``s3://bucket/key``. S3 callers pass a boto3 session.

A listed file's ``version`` says whether the object was rewritten, not what it holds: the content
fingerprint (sha256) is the planner's, computed while it streams the files it reads anyway
(``etl/landing/plan.py``).

The run lock needs compare-and-swap: ``read_versioned`` returns an object with its version, and
``create_exclusive``, ``replace_if`` and ``delete_if`` write or delete only if the object is still in
the state the caller saw (absent, or at that version), returning the new version (or whether it
deleted), never overwriting what another writer put there in between.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlparse

CHUNK_BYTES = 1 << 20
CONFLICT_ATTEMPTS = 3  # an S3 conditional request answered 409 is sent again, at most this many times in all


@dataclass(frozen=True)
class StoredFile:
    uri: str
    size: int
    # Changes whenever the object is rewritten, known without reading it: the S3 ETag; locally
    # "<size>-<mtime_ns>-<ctime_ns>-<inode>" (``stat_version``). Not a content hash: an object
    # encrypted with SSE-KMS or SSE-C, or created by a multipart upload, has an ETag that is not an
    # MD5 digest of its data (https://docs.aws.amazon.com/AmazonS3/latest/API/API_Object.html), so
    # equal bytes can have different versions, and the same bytes written again may get a new one.
    version: str


class Storage(Protocol):
    def list_files(self, uri: str) -> list[StoredFile]: ...
    def read_head(self, uri: str, size: int) -> bytes: ...
    def read_chunks(self, uri: str) -> Iterator[bytes]: ...
    def read_text(self, uri: str) -> str | None: ...
    def write_text(self, uri: str, text: str) -> None: ...
    def read_versioned(self, uri: str) -> tuple[str, str] | None: ...
    def create_exclusive(self, uri: str, text: str) -> str | None: ...
    def replace_if(self, uri: str, text: str, version: str) -> str | None: ...
    def delete_if(self, uri: str, version: str) -> bool: ...
    def delete(self, uri: str) -> None: ...
    def delete_tree(self, uri: str) -> None: ...
    def exists(self, uri: str) -> bool: ...


def join(base: str, *parts: str) -> str:
    """Join URI parts with single slashes (works for local paths and s3:// alike)."""
    out = base.rstrip("/")
    for part in parts:
        if part:
            out = f"{out}/{part.strip('/')}"
    return out


def is_s3(uri: str) -> bool:
    return uri.startswith(("s3://", "s3a://"))


def local_path(uri: str) -> Path:
    return Path(urlparse(uri).path) if uri.startswith("file:") else Path(uri)


class LocalStorage:
    """A folder on this machine; writes go through a temporary file and an atomic rename."""

    def list_files(self, uri: str) -> list[StoredFile]:
        root = local_path(uri)
        if not root.exists():
            return []
        files = []
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            if any(part.startswith((".", "_")) for part in path.relative_to(root).parts):
                continue
            stat = path.stat()
            files.append(StoredFile(str(path), stat.st_size, stat_version(stat)))
        return files

    def read_head(self, uri: str, size: int) -> bytes:
        with local_path(uri).open("rb") as handle:
            return handle.read(size)

    def read_chunks(self, uri: str) -> Iterator[bytes]:
        with local_path(uri).open("rb") as handle:
            yield from iter(lambda: handle.read(CHUNK_BYTES), b"")

    def read_text(self, uri: str) -> str | None:
        path = local_path(uri)
        return path.read_text("utf-8") if path.exists() else None

    def write_text(self, uri: str, text: str) -> None:
        path = local_path(uri)
        os.replace(_written_beside(path, text), path)

    def read_versioned(self, uri: str) -> tuple[str, str] | None:
        data = _read_bytes(local_path(uri))
        return None if data is None else (data.decode("utf-8"), _digest(data))

    def create_exclusive(self, uri: str, text: str) -> str | None:
        path = local_path(uri)
        tmp = _written_beside(path, text)
        try:
            # A hard link appears whole and fails if the name exists: no reader sees a half-written file.
            os.link(tmp, path)
        except FileExistsError:
            return None
        finally:
            os.unlink(tmp)
        return _digest(text.encode("utf-8"))

    def replace_if(self, uri: str, text: str, version: str) -> str | None:
        path = local_path(uri)
        with _cas_guard(path):
            if _version(path) != version:
                return None
            os.replace(_written_beside(path, text), path)
        return _digest(text.encode("utf-8"))

    def delete_if(self, uri: str, version: str) -> bool:
        path = local_path(uri)
        with _cas_guard(path):
            if _version(path) != version:
                return False
            path.unlink()
        return True

    def delete(self, uri: str) -> None:
        local_path(uri).unlink(missing_ok=True)

    def delete_tree(self, uri: str) -> None:
        shutil.rmtree(local_path(uri), ignore_errors=True)

    def exists(self, uri: str) -> bool:
        return local_path(uri).exists()


def _written_beside(path: Path, text: str) -> str:
    """A durable hidden temporary file next to ``path`` holding ``text``, ready to be renamed or linked."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    return tmp


def _read_bytes(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _version(path: Path) -> str | None:
    """A local object's version is the hash of its content, as an S3 ETag is (for a plain PUT) its MD5."""
    data = _read_bytes(path)
    return None if data is None else _digest(data)


@contextmanager
def _cas_guard(path: Path) -> Iterator[None]:
    """Serialise the check-and-swaps of ``path`` across processes: an flock on a hidden sibling file.

    The sibling, not ``path`` itself, because ``os.replace`` gives ``path`` a new inode and an flock
    belongs to an inode. Creation needs no guard (``os.link`` is atomic), and while the file exists only
    guarded writers replace or delete it, so a version checked under the guard still holds at the swap.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path.with_name(f".{path.name}.cas"), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the flock


def stat_version(stat: os.stat_result) -> str:
    """A local file's version, from one ``stat`` (no read): size, modification and change times, inode.

    Any write moves the change time (ctime), which ``utime`` cannot set back, so content rewritten with
    its old size and modification time restored (``cp -p``, ``rsync -t``, ``touch -r``) is still a
    new version; a file replaced by another (a rename over it) has another inode and ctime. A version
    that changes with the same content (touched, re-copied, chmod) only makes its date re-ingested.
    """
    return f"{stat.st_size}-{stat.st_mtime_ns}-{stat.st_ctime_ns}-{stat.st_ino}"


def _split(uri: str) -> tuple[str, str]:
    parsed = urlparse(uri)
    return parsed.netloc, parsed.path.lstrip("/")


class S3Storage:
    """An S3 prefix. Single-object PUTs are atomic, so the catalog's commit is one PUT."""

    def __init__(self, s3_client: Any) -> None:
        self.s3 = s3_client

    def list_files(self, uri: str) -> list[StoredFile]:
        bucket, prefix = _split(uri)
        prefix = prefix.rstrip("/") + "/" if prefix else ""
        files = []
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for obj in page.get("Contents", []):
                rel = obj["Key"][len(prefix) :]
                if obj["Key"].endswith("/") or any(p.startswith((".", "_")) for p in rel.split("/")):
                    continue
                # "The ETag reflects changes only to the contents of an object, not its metadata" (API_Object):
                # all a version must do. It is no content hash, though (StoredFile).
                files.append(StoredFile(f"s3://{bucket}/{obj['Key']}", obj["Size"], obj["ETag"].strip('"')))
        return sorted(files, key=lambda f: f.uri)

    def read_head(self, uri: str, size: int) -> bytes:
        bucket, key = _split(uri)
        try:
            body: bytes = self.s3.get_object(Bucket=bucket, Key=key, Range=f"bytes=0-{size - 1}")["Body"].read()
        except self.s3.exceptions.ClientError as error:
            # A range starting at byte 0 is unsatisfiable only for an empty object: S3 answers 416
            # InvalidRange (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html).
            if error.response.get("Error", {}).get("Code") != "InvalidRange":
                raise
            return b""
        return body

    def read_chunks(self, uri: str) -> Iterator[bytes]:
        bucket, key = _split(uri)
        yield from self.s3.get_object(Bucket=bucket, Key=key)["Body"].iter_chunks(CHUNK_BYTES)

    def read_text(self, uri: str) -> str | None:
        bucket, key = _split(uri)
        try:
            body: bytes = self.s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        except self.s3.exceptions.NoSuchKey:
            return None
        return body.decode("utf-8")

    def write_text(self, uri: str, text: str) -> None:
        bucket, key = _split(uri)
        self.s3.put_object(Bucket=bucket, Key=key, Body=text.encode("utf-8"), ContentType="application/json")

    def read_versioned(self, uri: str) -> tuple[str, str] | None:
        bucket, key = _split(uri)
        try:
            got = self.s3.get_object(Bucket=bucket, Key=key)
        except self.s3.exceptions.NoSuchKey:
            return None
        return got["Body"].read().decode("utf-8"), str(got["ETag"])

    # Conditional writes, the version being the ETag:
    # https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html
    # If-None-Match: * fails with 412 PreconditionFailed when the key exists; If-Match: <etag> fails with
    # 412 when the ETag differs and 404 NoSuchKey when there is no object. A concurrent conflicting
    # write answers 409 ConditionalRequestConflict, and the request is to be sent again.
    def create_exclusive(self, uri: str, text: str) -> str | None:
        return self._put_if(uri, text, IfNoneMatch="*")

    def replace_if(self, uri: str, text: str, version: str) -> str | None:
        return self._put_if(uri, text, IfMatch=version)

    def delete_if(self, uri: str, version: str) -> bool:
        # Conditional deletes (If-Match: <etag> on DeleteObject, general purpose buckets since September
        # 2025; 412 on another ETag, 404 when already deleted, 409 on a concurrent write):
        # https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-deletes.html
        # Like If-Match on PutObject it needs s3:GetObject as well. moto 5.1.15 ignores the header.
        bucket, key = _split(uri)
        return self._conditional(lambda: self.s3.delete_object(Bucket=bucket, Key=key, IfMatch=version)) is not None

    def _put_if(self, uri: str, text: str, **condition: str) -> str | None:
        bucket, key = _split(uri)
        body = text.encode("utf-8")
        put = self._conditional(
            lambda: self.s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType="application/json", **condition)
        )
        return None if put is None else str(put["ETag"])

    def _conditional(self, request: Callable[[], dict[str, Any]]) -> dict[str, Any] | None:
        """The response, or None when the condition failed. A 409 is sent again: S3 evaluates the
        condition afresh, so a retry can only succeed if the object is still as the caller saw it."""
        attempt = 1
        while True:
            try:
                return request()
            except self.s3.exceptions.ClientError as err:
                conflict = err.response.get("ResponseMetadata", {}).get("HTTPStatusCode") == 409
                if conflict and attempt < CONFLICT_ATTEMPTS:
                    time.sleep(0.1 * attempt)
                    attempt += 1
                    continue
                if conflict or err.response["Error"]["Code"] in ("PreconditionFailed", "NoSuchKey"):
                    return None
                raise

    def delete(self, uri: str) -> None:
        bucket, key = _split(uri)
        self.s3.delete_object(Bucket=bucket, Key=key)

    def delete_tree(self, uri: str) -> None:
        bucket, prefix = _split(uri)
        prefix = prefix.rstrip("/") + "/"
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            keys = [{"Key": o["Key"]} for o in page.get("Contents", [])]
            if keys:
                self.s3.delete_objects(Bucket=bucket, Delete={"Objects": keys, "Quiet": True})

    def exists(self, uri: str) -> bool:
        bucket, key = _split(uri)
        try:
            self.s3.head_object(Bucket=bucket, Key=key)
        except self.s3.exceptions.ClientError:
            return False
        return True


def storage_for(uri: str, boto3_session: Any = None) -> Storage:
    """Storage for a URI; S3 needs a boto3 session (the caller decides credentials and endpoint)."""
    if is_s3(uri):
        if boto3_session is None:
            raise ValueError(f"{uri} is on S3: pass a boto3 session")
        return S3Storage(boto3_session.client("s3"))
    return LocalStorage()
