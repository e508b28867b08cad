"""Steps 3 and 4: the objects to deploy, which of them changed, and putting those in the artifacts bucket.

:func:`artifacts` lists the library, the zip of wheels and each job's entry script, in upload order;
:func:`plan_uploads` compares each object's sha256 with the one in its S3 metadata (``x-amz-meta-sha256``);
:func:`upload` puts what changed (SSE-KMS when the outputs give a key), library first, and reads each hash
back. Imports :mod:`.base`, :mod:`.outputs`, :mod:`.build`; touches only the artifacts bucket (S3).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from botocore.exceptions import BotoCoreError, ClientError

from energy_lake.scripts.deploy.base import DeployError, error_code, error_status, explain
from energy_lake.scripts.deploy.build import ArchiveBuild
from energy_lake.scripts.deploy.outputs import Targets

METADATA_HASH = "sha256"  # x-amz-meta-sha256: the hex sha256 of the object's bytes


@dataclass(frozen=True)
class Artifact:
    """One object to deploy: its local bytes and where it goes."""

    label: str  # "library" or the job key
    key: str
    path: Path
    sha256: str
    size: int
    content_type: str


def artifacts(
    targets: Targets, package_root: Path, library: ArchiveBuild, python_modules: ArchiveBuild
) -> list[Artifact]:
    """The library and the wheels first (scripts import them), then each job's entry script ``etl/<job_key>.py``."""
    out = [
        Artifact("library", targets.library_key, library.path, library.sha256, library.size, "application/zip"),
        Artifact(
            "python modules",
            targets.python_modules_key,
            python_modules.path,
            python_modules.sha256,
            python_modules.size,
            "application/zip",
        ),
    ]
    for job in targets.jobs:
        script = package_root / "etl" / f"{job.key}.py"
        if not script.is_file():
            raise DeployError(f"entry script for job {job.key} not found at {script}")
        data = script.read_bytes()
        out.append(
            Artifact(job.key, job.script_key, script, hashlib.sha256(data).hexdigest(), len(data), "text/x-python")
        )
    return out


Action = Literal["upload", "unchanged"]
Outcome = Literal["uploaded", "unchanged", "failed", "not attempted"]


@dataclass(frozen=True)
class PlannedObject:
    artifact: Artifact
    stored_sha256: str | None  # None when the object is absent or carries no hash
    exists: bool

    @property
    def action(self) -> Action:
        return "unchanged" if self.stored_sha256 == self.artifact.sha256 else "upload"


@dataclass(frozen=True)
class UploadResult:
    planned: PlannedObject
    outcome: Outcome
    detail: str = ""
    version_id: str | None = None


def check_bucket(s3: Any, bucket: str) -> None:
    """Fail clearly when the artifacts bucket is missing or not ours to use."""
    try:
        s3.head_bucket(Bucket=bucket)
    except ClientError as err:
        if error_code(err) in ("404", "NoSuchBucket", "NotFound") or error_status(err) == 404:
            raise DeployError(
                f"artifacts bucket {bucket!r} does not exist (in this account); run `terraform apply` for this "
                "environment, or check the outputs and the AWS profile"
            ) from None
        raise DeployError(explain(err, f"checking the artifacts bucket {bucket!r}")) from None
    except BotoCoreError as err:
        raise DeployError(explain(err, f"checking the artifacts bucket {bucket!r}")) from None


def stored_hash(s3: Any, bucket: str, key: str) -> tuple[bool, str | None]:
    """(exists, sha256 from its metadata) for one object."""
    try:
        head = s3.head_object(Bucket=bucket, Key=key)
    except ClientError as err:
        if error_code(err) in ("404", "NoSuchKey", "NotFound") or error_status(err) == 404:
            return False, None
        raise DeployError(explain(err, f"reading s3://{bucket}/{key}")) from None
    except BotoCoreError as err:
        raise DeployError(explain(err, f"reading s3://{bucket}/{key}")) from None
    value = head.get("Metadata", {}).get(METADATA_HASH)
    return True, str(value) if value else None


def plan_uploads(s3: Any, targets: Targets, items: Sequence[Artifact]) -> list[PlannedObject]:
    planned = []
    for artifact in items:
        exists, stored = stored_hash(s3, targets.artifacts_bucket, artifact.key)
        planned.append(PlannedObject(artifact, stored, exists))
    return planned


def upload(s3: Any, targets: Targets, plan: Sequence[PlannedObject], metadata: Mapping[str, str]) -> list[UploadResult]:
    """Put every changed object; each result says what happened to that one object.

    The library goes first: if it fails, the scripts are not uploaded, so no job runs new scripts
    against an old library. After each put the stored hash is read back, so ``uploaded`` means the
    bucket holds exactly these bytes.
    """
    results: list[UploadResult] = []
    library_failed = False
    for item in plan:
        artifact = item.artifact
        uri = targets.uri(artifact.key)
        if item.action == "unchanged":
            results.append(UploadResult(item, "unchanged"))
            continue
        if library_failed:
            results.append(UploadResult(item, "not attempted", "the library upload failed"))
            continue
        extra: dict[str, str] = {}
        if targets.kms_key_arn:
            extra = {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": targets.kms_key_arn}
        try:
            put = s3.put_object(
                Bucket=targets.artifacts_bucket,
                Key=artifact.key,
                Body=artifact.path.read_bytes(),
                ContentType=artifact.content_type,
                Metadata={**metadata, METADATA_HASH: artifact.sha256},
                **extra,
            )
            _, readback = stored_hash(s3, targets.artifacts_bucket, artifact.key)
        except (BotoCoreError, ClientError, DeployError) as err:
            detail = str(err) if isinstance(err, DeployError) else explain(err, f"uploading {uri}")
            results.append(UploadResult(item, "failed", detail))
            library_failed = library_failed or artifact.label == "library"
            continue
        if readback != artifact.sha256:
            results.append(UploadResult(item, "failed", f"read back sha256 {readback}, expected {artifact.sha256}"))
            library_failed = library_failed or artifact.label == "library"
            continue
        results.append(UploadResult(item, "uploaded", version_id=put.get("VersionId")))
    return results
