"""Small-object storage for the lake's metadata and landing files, on a local folder or S3.

Spark reads and writes the data files; this module does the rest: listing landing files, reading
their first bytes (or streaming them whole), fingerprints, the catalog's JSON objects and the run lock. URIs are either
local paths (``/x``, ``file:///x``) or ``s3://bucket/key``. S3 callers pass a boto3 session.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlparse

CHUNK_BYTES = 1 << 20


@dataclass(frozen=True)
class StoredFile:
    uri: str
    size: int
    fingerprint: str  # content identity: sha256 locally, ETag on S3


class Storage(Protocol):
    def list_files(self, uri: str) -> list[StoredFile]: ...
    def read_head(self, uri: str, size: int) -> bytes: ...
    def read_chunks(self, uri: str) -> Iterator[bytes]: ...
    def read_text(self, uri: str) -> str | None: ...
    def write_text(self, uri: str, text: str) -> None: ...
    def create_exclusive(self, uri: str, text: str) -> bool: ...
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
            files.append(StoredFile(str(path), path.stat().st_size, _sha256(path)))
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
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)

    def create_exclusive(self, uri: str, text: str) -> bool:
        path = local_path(uri)
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            with path.open("x", encoding="utf-8") as handle:
                handle.write(text)
        except FileExistsError:
            return False
        return True

    def delete(self, uri: str) -> None:
        local_path(uri).unlink(missing_ok=True)

    def delete_tree(self, uri: str) -> None:
        shutil.rmtree(local_path(uri), ignore_errors=True)

    def exists(self, uri: str) -> bool:
        return local_path(uri).exists()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(CHUNK_BYTES), b""):
            digest.update(block)
    return digest.hexdigest()


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
                files.append(StoredFile(f"s3://{bucket}/{obj['Key']}", obj["Size"], obj["ETag"].strip('"')))
        return sorted(files, key=lambda f: f.uri)

    def read_head(self, uri: str, size: int) -> bytes:
        bucket, key = _split(uri)
        body: bytes = self.s3.get_object(Bucket=bucket, Key=key, Range=f"bytes=0-{size - 1}")["Body"].read()
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

    def create_exclusive(self, uri: str, text: str) -> bool:
        bucket, key = _split(uri)
        try:
            self.s3.put_object(Bucket=bucket, Key=key, Body=text.encode("utf-8"), IfNoneMatch="*")
        except self.s3.exceptions.ClientError as err:
            if err.response["Error"]["Code"] in ("PreconditionFailed", "ConditionalRequestConflict"):
                return False
            raise
        return True

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
