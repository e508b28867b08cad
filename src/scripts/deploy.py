"""Deploy the Glue code artifacts: the library archive, the zip of wheels and the three job entry scripts.

Terraform owns every AWS resource; this module owns only the code objects the Terraform jobs point
to. Everything it needs to know (bucket, keys, job and workflow names, KMS key) comes from the
Terraform environment's outputs (``terraform output -json``), never from literals here.

Steps, each a function taking boto3 clients (no module-level clients):

1. :func:`read_outputs_file` / :func:`terraform_outputs` -> :class:`Targets`;
2. :func:`build_library` zips ``energy_lake`` (package code, contracts, SQL; not ``cli``/``scripts``)
   with fixed timestamps and sorted entries, cached under ``build/`` by the source tree's hash;
   :func:`build_python_modules` zips the wheels of ``requirements-glue.txt`` (fetched once with pip);
3. :func:`plan_uploads` compares each object's sha256 with the one stored in its S3 metadata;
4. :func:`upload` puts what changed (SSE-KMS when the outputs give a key), library first;
5. :func:`check_jobs` verifies each Glue job runs the uploaded script with the uploaded library;
6. :func:`start_workflow` / :func:`follow_run` start the workflow and follow it to its end.

:func:`execute` strings them together for the operator script ``deploy_glue_jobs.py``.
Problems an operator can fix are raised as :class:`DeployError` with a message that says what to do.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TextIO

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
)
from packaging.utils import canonicalize_name, parse_wheel_filename
from packaging.version import Version

from energy_lake.etl.job_args import JOBS

PACKAGE = "energy_lake"
# What goes into the library archive, relative to the package root (the src/ folder): the job library
# and its data files. Not cli/ (local product), scripts/ (operator tools) or __main__.py (imports cli).
LIBRARY_CODE_DIRS = ("etl", "utils")
LIBRARY_DATA = (("contracts", "*.yaml"), ("sql", "*.sql"))
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip entry can carry
METADATA_HASH = "sha256"  # x-amz-meta-sha256: the hex sha256 of the object's bytes
REQUIRED_OUTPUTS = ("artifacts_bucket", "glue_jobs", "library_key", "python_modules_key", "workflow_name")
# The wheels of the packages the library needs beyond Glue 5.1's own, for Glue's platform: Python 3.11 on
# x86_64 Linux (the platform AWS's own pip download example for Glue names:
# https://docs.aws.amazon.com/glue/latest/dg/setup-vpc-for-pypi.html); binary wheels only, no dependency
# resolution (requirements-glue.txt lists the whole closure, which the Glue-environment test proves).
GLUE_WHEEL_PLATFORM = (
    "--only-binary=:all:",
    "--no-deps",
    "--platform",
    "manylinux2014_x86_64",
    "--python-version",
    "3.11",
    "--implementation",
    "cp",
)

NO_CREDENTIALS = (
    "no AWS credentials found: set AWS_PROFILE (or pass --profile), or AWS_ACCESS_KEY_ID and "
    "AWS_SECRET_ACCESS_KEY, or log in with `aws sso login --profile NAME`"
)
ACCESS_DENIED_CODES = frozenset(
    {"AccessDenied", "AccessDeniedException", "Forbidden", "403", "AllAccessDisabled", "AuthorizationError"}
)
BAD_CREDENTIAL_CODES = frozenset(
    {
        "InvalidAccessKeyId",
        "SignatureDoesNotMatch",
        "UnrecognizedClientException",
        "InvalidClientTokenId",
        "ExpiredToken",
        "ExpiredTokenException",
        "InvalidToken",
        "AuthFailure",
    }
)
RUN_ACTIVE = ("RUNNING", "STOPPING")
RUN_FAILURE_STATS = ("FailedActions", "ErroredActions", "TimeoutActions", "StoppedActions")


class DeployError(Exception):
    """A problem the operator can fix; the message says what and, where possible, how."""

    exit_code = 1


class OutputsError(DeployError):
    """The Terraform outputs are missing, unreadable or not what the deploy needs."""

    exit_code = 2


# --------------------------------------------------------------------------------------------------
# Terraform outputs


@dataclass(frozen=True)
class GlueJobTarget:
    key: str  # landing_to_raw, raw_to_transform, transform_to_analytics
    name: str  # the Glue job's name
    script_key: str  # where its entry script lives in the artifacts bucket


@dataclass(frozen=True)
class Targets:
    """The names this deploy works on, as Terraform reported them."""

    artifacts_bucket: str
    library_key: str
    python_modules_key: str
    workflow_name: str
    jobs: tuple[GlueJobTarget, ...]
    kms_key_arn: str | None = None
    environment: str | None = None
    region: str | None = None
    state_uri: str | None = None
    source: str = "terraform outputs"

    def uri(self, key: str) -> str:
        return f"s3://{self.artifacts_bucket}/{key}"

    @property
    def library_uri(self) -> str:
        return self.uri(self.library_key)

    @property
    def python_modules_uri(self) -> str:
        return self.uri(self.python_modules_key)


def _text(value: object, name: str, source: str) -> str:
    if value is None or value == "":
        raise OutputsError(f"{source}: output {name!r} is empty")
    if not isinstance(value, str):
        raise OutputsError(f"{source}: output {name!r} must be a string, got {type(value).__name__}")
    return value


def _optional_text(value: object, name: str, source: str) -> str | None:
    return None if value is None or value == "" else _text(value, name, source)


def parse_outputs(doc: object, source: str) -> Targets:
    """Targets from the document ``terraform output -json`` prints: ``{name: {"value": ...}, ...}``."""
    if not isinstance(doc, dict):
        raise OutputsError(f"{source}: expected the JSON object `terraform output -json` prints")
    if not doc:
        raise OutputsError(f"{source}: no outputs at all; has `terraform apply` run for this environment?")
    values: dict[str, object] = {}
    for name, item in doc.items():
        if not isinstance(item, dict) or "value" not in item:
            raise OutputsError(
                f"{source}: output {name!r} has no 'value'; expected the format of `terraform output -json`"
            )
        values[name] = item["value"]
    missing = [name for name in REQUIRED_OUTPUTS if name not in values]
    if missing:
        raise OutputsError(f"{source}: missing output(s) {', '.join(missing)}")
    jobs_value = values["glue_jobs"]
    if not isinstance(jobs_value, dict):
        raise OutputsError(f"{source}: output 'glue_jobs' must be a map of job key -> {{name, script_key}}")
    unknown = sorted(set(jobs_value) - set(JOBS))
    absent = [key for key in JOBS if key not in jobs_value]
    if unknown or absent:
        detail = "; ".join(
            part
            for part in (
                f"missing {', '.join(absent)}" if absent else "",
                f"unknown {', '.join(unknown)}" if unknown else "",
            )
            if part
        )
        raise OutputsError(f"{source}: output 'glue_jobs' must have the keys {', '.join(JOBS)} ({detail})")
    jobs = []
    for key in JOBS:
        entry = jobs_value[key]
        if not isinstance(entry, dict):
            raise OutputsError(f"{source}: glue_jobs.{key} must be an object with 'name' and 'script_key'")
        name = _text(entry.get("name"), f"glue_jobs.{key}.name", source)
        script_key = _text(entry.get("script_key"), f"glue_jobs.{key}.script_key", source)
        jobs.append(GlueJobTarget(key, name, script_key.lstrip("/")))
    bucket = _text(values["artifacts_bucket"], "artifacts_bucket", source)
    library_key = _text(values["library_key"], "library_key", source)
    python_modules_key = _text(values["python_modules_key"], "python_modules_key", source)
    workflow = _text(values["workflow_name"], "workflow_name", source)
    return Targets(
        artifacts_bucket=bucket,
        library_key=library_key.lstrip("/"),
        python_modules_key=python_modules_key.lstrip("/"),
        workflow_name=workflow,
        jobs=tuple(jobs),
        kms_key_arn=_optional_text(values.get("kms_key_arn"), "kms_key_arn", source),
        environment=_optional_text(values.get("environment"), "environment", source),
        region=_optional_text(values.get("region"), "region", source),
        state_uri=_optional_text(values.get("state_uri"), "state_uri", source),
        source=source,
    )


def read_outputs_file(path: Path) -> Targets:
    """Targets from a saved ``terraform output -json > FILE``."""
    try:
        text = path.read_text("utf-8")
    except OSError as err:
        raise OutputsError(f"cannot read outputs file {path}: {err.strerror or err}") from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as err:
        raise OutputsError(
            f"{path} is not JSON ({err.msg} at line {err.lineno}); save it with `terraform output -json > FILE`"
        ) from None
    return parse_outputs(doc, str(path))


Runner = Callable[..., "subprocess.CompletedProcess[str]"]


def terraform_outputs(tf_dir: Path, run: Runner = subprocess.run) -> Targets:
    """Targets from ``terraform output -json`` run in the environment's folder."""
    if not tf_dir.is_dir():
        raise OutputsError(f"no Terraform environment at {tf_dir}; pass --tf-dir DIR or --outputs-json FILE")
    try:
        done = run(
            ["terraform", "output", "-json"],
            cwd=tf_dir,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
            env={**os.environ, "TF_IN_AUTOMATION": "1"},
        )
    except FileNotFoundError:
        raise OutputsError("terraform is not on PATH; install it, or pass a saved --outputs-json FILE") from None
    except subprocess.TimeoutExpired:
        raise OutputsError(f"`terraform output -json` in {tf_dir} did not finish in 300 s") from None
    if done.returncode != 0:
        reason = " ".join(done.stderr.split()) or f"exit code {done.returncode}"
        raise OutputsError(f"`terraform output -json` failed in {tf_dir}: {reason}")
    try:
        doc = json.loads(done.stdout)
    except json.JSONDecodeError:
        raise OutputsError(f"`terraform output -json` in {tf_dir} printed something that is not JSON") from None
    return parse_outputs(doc, f"terraform output -json in {tf_dir}")


# --------------------------------------------------------------------------------------------------
# Library archive


def library_files(package_root: Path) -> list[tuple[str, Path]]:
    """(name in the archive, file) for everything the Glue library ships, sorted by name."""
    if not (package_root / "__init__.py").is_file():
        raise DeployError(f"{package_root} is not the {PACKAGE} package folder (no __init__.py)")
    found: dict[str, Path] = {f"{PACKAGE}/__init__.py": package_root / "__init__.py"}
    for folder in LIBRARY_CODE_DIRS:
        for path in (package_root / folder).rglob("*.py"):
            rel = path.relative_to(package_root)
            if any(part.startswith((".", "__pycache__")) or part in ("tests", "test") for part in rel.parts):
                continue
            found[f"{PACKAGE}/{rel.as_posix()}"] = path
    for folder, pattern in LIBRARY_DATA:
        for path in (package_root / folder).glob(pattern):
            if path.is_file() and not path.name.startswith("."):
                found[f"{PACKAGE}/{folder}/{path.name}"] = path
    return sorted(found.items())


def tree_digest(files: Sequence[tuple[str, Path]]) -> str:
    """sha256 over the archive names and the bytes of their files: the library's version key."""
    digest = hashlib.sha256()
    for name, path in files:
        digest.update(name.encode("utf-8") + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def archive_bytes(files: Sequence[tuple[str, Path]]) -> bytes:
    """A zip of ``files`` whose bytes depend only on their names and contents.

    Entries are sorted, carry a fixed timestamp and mode, and are stored uncompressed, so the
    bytes (and so the sha256) do not change with the machine's clock, umask or zlib build.
    """
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        for name, path in sorted(files):
            info = zipfile.ZipInfo(name, date_time=ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_STORED
            info.create_system = 3  # unix, so external_attr means a file mode
            info.external_attr = 0o100644 << 16
            archive.writestr(info, path.read_bytes())
    return buffer.getvalue()


@dataclass(frozen=True)
class Artifact:
    """One object to deploy: its local bytes and where it goes."""

    label: str  # "library" or the job key
    key: str
    path: Path
    sha256: str
    size: int
    content_type: str


@dataclass(frozen=True)
class ArchiveBuild:
    path: Path
    sha256: str
    size: int
    files: int
    cached: bool  # True when this version was already built


def _sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _build_archive(files: Sequence[tuple[str, Path]], build_dir: Path, stem: str, suffix: str) -> ArchiveBuild:
    """``files`` zipped once per content version, cached as ``build_dir/<stem>-<hash><suffix>``."""
    target = build_dir / f"{stem}-{tree_digest(files)[:16]}{suffix}"
    if target.is_file():
        return ArchiveBuild(target, _sha256_file(target), target.stat().st_size, len(files), cached=True)
    data = archive_bytes(files)
    build_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=build_dir, prefix=f".{target.name}.")
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.replace(tmp, target)  # never a half-written archive under the final name
    return ArchiveBuild(target, hashlib.sha256(data).hexdigest(), len(data), len(files), cached=False)


def build_library(package_root: Path, build_dir: Path) -> ArchiveBuild:
    """The library archive, cached as ``build_dir/energy_lake-<hash>.zip``."""
    return _build_archive(library_files(package_root), build_dir, PACKAGE, ".zip")


# --------------------------------------------------------------------------------------------------
# Zip of wheels: what the library needs beyond Glue 5.1's packages (requirements-glue.txt)


def pinned_requirements(requirements: Path) -> list[str]:
    """The ``name==version`` lines of ``requirements``; anything looser is refused (a job must get what was tested)."""
    try:
        lines = requirements.read_text(encoding="utf-8").splitlines()
    except OSError as problem:
        raise DeployError(f"cannot read {requirements}: {problem.strerror or problem}") from None
    pins = []
    for number, line in enumerate(lines, start=1):
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*==[A-Za-z0-9.+!]+", text):
            raise DeployError(f"{requirements}:{number}: {text!r} is not pinned as name==version")
        pins.append(text)
    return pins


def _wheel_for(pin: str, wheel_dir: Path) -> Path | None:
    name, version = pin.split("==", 1)
    for wheel in sorted(wheel_dir.glob("*.whl")):
        got_name, got_version, _, _ = parse_wheel_filename(wheel.name)
        if got_name == canonicalize_name(name) and got_version == Version(version):
            return wheel
    return None


def fetch_wheels(requirements: Path, wheel_dir: Path, run: Runner = subprocess.run) -> list[Path]:
    """One wheel per pin of ``requirements`` in ``wheel_dir``; those missing are downloaded with pip (PyPI)."""
    pins = pinned_requirements(requirements)
    missing = [pin for pin in pins if _wheel_for(pin, wheel_dir) is None]
    if missing:
        wheel_dir.mkdir(parents=True, exist_ok=True)
        command = [sys.executable, "-m", "pip", "download", "--quiet", *GLUE_WHEEL_PLATFORM, "-d", str(wheel_dir)]
        try:
            done = run([*command, *missing], capture_output=True, text=True, timeout=600, check=False)
        except (OSError, subprocess.TimeoutExpired) as problem:
            raise DeployError(f"could not run pip to download {', '.join(missing)}: {problem}") from None
        if done.returncode != 0:
            detail = (done.stderr or done.stdout or "").strip().splitlines()[-3:]
            raise DeployError(
                f"pip could not download the Glue wheels {', '.join(missing)} into {wheel_dir} "
                f"(PyPI reachable?): {' / '.join(detail)}"
            )
    wheels = []
    for pin in pins:
        wheel = _wheel_for(pin, wheel_dir)
        if wheel is None:
            raise DeployError(f"no {GLUE_WHEEL_PLATFORM[3]} / Python 3.11 wheel of {pin} in {wheel_dir}")
        wheels.append(wheel)
    return wheels


def build_python_modules(
    requirements: Path, wheel_dir: Path, build_dir: Path, run: Runner = subprocess.run
) -> ArchiveBuild:
    """The zip of wheels Glue installs (``--additional-python-modules``), the wheels at its root, cached as
    ``build_dir/python-modules-<hash>.gluewheels.zip`` (Glue 5.0+ knows a zip of wheels by that suffix:
    https://docs.aws.amazon.com/glue/latest/dg/aws-glue-programming-python-libraries.html)."""
    wheels = fetch_wheels(requirements, wheel_dir, run)
    return _build_archive([(wheel.name, wheel) for wheel in wheels], build_dir, "python-modules", ".gluewheels.zip")


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


# --------------------------------------------------------------------------------------------------
# AWS errors


def _error_code(err: ClientError) -> str:
    return str(err.response.get("Error", {}).get("Code", ""))


def _error_status(err: ClientError) -> int:
    return int(err.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)


def _error_message(err: ClientError) -> str:
    message = str(err.response.get("Error", {}).get("Message", "") or "")
    if message.lstrip().startswith("<"):  # some endpoints (and moto) wrap the reason in XML
        found = re.search(r"<Message>(?:<!\[CDATA\[)?(.*?)(?:\]\]>)?</Message>", message, re.S)
        message = found.group(1).strip() if found else ""
    return message


def is_access_denied(err: ClientError) -> bool:
    return _error_code(err) in ACCESS_DENIED_CODES or _error_status(err) == 403


def explain(err: Exception, action: str) -> str:
    """One line for the operator: what failed while doing ``action``, and the likely fix."""
    if isinstance(err, NoCredentialsError | PartialCredentialsError):
        return NO_CREDENTIALS
    if isinstance(err, NoRegionError):
        return "no AWS region: pass --region, set AWS_REGION, or give the outputs a 'region'"
    if isinstance(err, EndpointConnectionError):
        return f"cannot reach AWS while {action}: {err} (check AWS_ENDPOINT_URL and the network)"
    if isinstance(err, ClientError):
        code, message = _error_code(err), _error_message(err)
        if code in BAD_CREDENTIAL_CODES:
            return f"AWS rejected the credentials while {action} ({code}): {message or 'check the profile or keys'}"
        if is_access_denied(err):
            reason = f": {message}" if message and message not in ("Forbidden", "Access Denied") else ""
            return f"access denied while {action}{reason}; the deploying identity needs that permission"
        return f"{action} failed: {code or _error_status(err)} {message}".rstrip()
    if isinstance(err, BotoCoreError):
        return f"{action} failed: {err}"
    return f"{action} failed: {err}"


@contextmanager
def aws(action: str) -> Iterator[None]:
    """Turn boto errors into a :class:`DeployError` that says what was being done."""
    try:
        yield
    except (BotoCoreError, ClientError) as err:
        raise DeployError(explain(err, action)) from None


# --------------------------------------------------------------------------------------------------
# Uploads

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
        if _error_code(err) in ("404", "NoSuchBucket", "NotFound") or _error_status(err) == 404:
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
        if _error_code(err) in ("404", "NoSuchKey", "NotFound") or _error_status(err) == 404:
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


# --------------------------------------------------------------------------------------------------
# Glue jobs


@dataclass(frozen=True)
class JobCheck:
    job: GlueJobTarget
    exists: bool
    differences: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.exists and not self.differences


def check_job(glue: Any, targets: Targets, job: GlueJobTarget) -> JobCheck:
    """Does the Glue job exist and run the uploaded script with the uploaded library?"""
    try:
        definition = glue.get_job(JobName=job.name)["Job"]
    except ClientError as err:
        if _error_code(err) == "EntityNotFoundException":
            return JobCheck(job, exists=False)
        raise DeployError(explain(err, f"reading Glue job {job.name!r}")) from None
    except BotoCoreError as err:
        raise DeployError(explain(err, f"reading Glue job {job.name!r}")) from None
    differences = []
    expected_script = targets.uri(job.script_key)
    script = definition.get("Command", {}).get("ScriptLocation")
    if script != expected_script:
        differences.append(f"Command.ScriptLocation is {script!r}, expected {expected_script!r}")
    extra = definition.get("DefaultArguments", {}).get("--extra-py-files")
    if extra is None:
        differences.append(
            f"DefaultArguments['--extra-py-files'] is not set, expected it to include {targets.library_uri!r}"
        )
    elif targets.library_uri not in [part.strip() for part in str(extra).split(",")]:
        differences.append(
            f"DefaultArguments['--extra-py-files'] is {extra!r}, expected it to include {targets.library_uri!r}"
        )
    modules = definition.get("DefaultArguments", {}).get("--additional-python-modules")
    if modules != targets.python_modules_uri:
        got = "is not set" if modules is None else f"is {modules!r}"
        differences.append(
            f"DefaultArguments['--additional-python-modules'] {got}, expected {targets.python_modules_uri!r}"
        )
    return JobCheck(job, exists=True, differences=tuple(differences))


def check_jobs(glue: Any, targets: Targets) -> list[JobCheck]:
    return [check_job(glue, targets, job) for job in targets.jobs]


def describe_check(check: JobCheck, region: str | None) -> list[str]:
    job = check.job
    if not check.exists:
        where = f" in {region}" if region else ""
        return [
            f"  MISSING  {job.key}: Glue job {job.name!r} does not exist{where}; "
            "run `terraform apply` for this environment"
        ]
    if check.ok:
        return [f"  ok       {job.key}: {job.name} runs {job.script_key} with the library"]
    return [f"  DIFFERS  {job.key}: Glue job {job.name!r} {difference}" for difference in check.differences]


# --------------------------------------------------------------------------------------------------
# Workflow runs


@dataclass
class RunResult:
    run_id: str
    status: str  # the workflow run's last status, or TIMEOUT when we stopped following
    ok: bool
    problems: list[str] = field(default_factory=list)


def start_workflow(glue: Any, workflow_name: str) -> str:
    try:
        return str(glue.start_workflow_run(Name=workflow_name)["RunId"])
    except ClientError as err:
        code = _error_code(err)
        if code == "EntityNotFoundException":
            raise DeployError(
                f"Glue workflow {workflow_name!r} does not exist; run `terraform apply` for this environment"
            ) from None
        if code == "ConcurrentRunsExceededException":
            raise DeployError(
                f"Glue workflow {workflow_name!r} is already running; wait for that run to end "
                f"(aws glue get-workflow-runs --name {workflow_name})"
            ) from None
        raise DeployError(explain(err, f"starting Glue workflow {workflow_name!r}")) from None
    except BotoCoreError as err:
        raise DeployError(explain(err, f"starting Glue workflow {workflow_name!r}")) from None


def active_run(glue: Any, workflow_name: str) -> str | None:
    """The id of the workflow's run in progress, if any (best effort: None when it cannot be read)."""
    try:
        last = glue.get_workflow(Name=workflow_name)["Workflow"].get("LastRun") or {}
    except (BotoCoreError, ClientError):
        return None
    return str(last.get("WorkflowRunId")) if last.get("Status") in RUN_ACTIVE else None


def job_runs(run: Mapping[str, Any]) -> dict[str, Mapping[str, Any] | None]:
    """Glue job name -> its latest run in this workflow run (None: not run yet), from the run graph."""
    out: dict[str, Mapping[str, Any] | None] = {}
    for node in run.get("Graph", {}).get("Nodes", []):
        if node.get("Type") != "JOB":
            continue
        runs = node.get("JobDetails", {}).get("JobRuns", [])
        latest = max(runs, key=lambda r: str(r.get("StartedOn", ""))) if runs else None
        out[str(node.get("Name"))] = latest
    return out


def assess_run(run: Mapping[str, Any], targets: Targets) -> tuple[bool, list[str]]:
    """(finished, problems) for one ``get_workflow_run`` answer; finished with no problems = success."""
    status = str(run.get("Status", "UNKNOWN"))
    if status in RUN_ACTIVE:
        return False, []
    problems = []
    if status != "COMPLETED":
        message = run.get("ErrorMessage")
        problems.append(f"workflow run ended {status}" + (f": {message}" if message else ""))
    stats = run.get("Statistics", {})
    problems.extend(f"{name} = {stats[name]}" for name in RUN_FAILURE_STATS if stats.get(name))
    names = {job.name: job.key for job in targets.jobs}
    runs = job_runs(run)
    for name, job_run in runs.items():
        if job_run is not None and job_run.get("JobRunState") != "SUCCEEDED":
            message = job_run.get("ErrorMessage")
            label = f"{names.get(name, name)} ({name})"
            problems.append(f"job {label} {job_run.get('JobRunState')}" + (f": {message}" if message else ""))
    if runs:  # with a graph, every deployed job must have run
        problems.extend(f"job {key} ({name}) did not run" for name, key in names.items() if runs.get(name) is None)
    return True, problems


def follow_run(
    glue: Any,
    targets: Targets,
    run_id: str,
    *,
    timeout: float,
    poll_interval: float,
    out: TextIO,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> RunResult:
    """Poll the workflow run until it ends or ``timeout`` seconds pass, printing job state changes."""
    started = clock()
    seen: dict[str, str] = {}
    last_status = ""
    names = {job.name: job.key for job in targets.jobs}
    while True:
        with aws(f"reading workflow run {run_id}"):
            run = glue.get_workflow_run(Name=targets.workflow_name, RunId=run_id, IncludeGraph=True)["Run"]
        elapsed = clock() - started
        status = str(run.get("Status", "UNKNOWN"))
        if status != last_status:
            out.write(f"  [{elapsed:6.0f}s] workflow {status}\n")
            last_status = status
        for name, job_run in sorted(job_runs(run).items()):
            state = str(job_run.get("JobRunState")) if job_run else "NOT STARTED"
            if seen.get(name) != state:
                seen[name] = state
                message = job_run.get("ErrorMessage") if job_run else None
                out.write(
                    f"  [{elapsed:6.0f}s] job {names.get(name, name)} ({name}): {state}"
                    + (f": {message}" if message else "")
                    + "\n"
                )
        out.flush()
        finished, problems = assess_run(run, targets)
        if finished:
            return RunResult(run_id, status, ok=not problems, problems=problems)
        if elapsed >= timeout:
            return RunResult(
                run_id,
                "TIMEOUT",
                ok=False,
                problems=[
                    f"still {status} after {timeout:.0f} s; the run goes on in AWS: "
                    f"aws glue get-workflow-run --name {targets.workflow_name} --run-id {run_id}"
                ],
            )
        sleep(min(poll_interval, timeout - elapsed))


# --------------------------------------------------------------------------------------------------
# The whole deploy


@dataclass(frozen=True)
class Options:
    package_root: Path
    build_dir: Path
    requirements: Path  # requirements-glue.txt: the wheels shipped beside the library
    wheel_dir: Path  # where those wheels are kept (downloaded when missing)
    dry_run: bool = False
    start: bool = False
    timeout: float = 3600.0
    poll_interval: float = 30.0
    metadata: Mapping[str, str] = field(default_factory=dict)


def short(sha: str | None) -> str:
    return sha[:12] if sha else "none"


def print_plan(plan: Sequence[PlannedObject], targets: Targets, out: TextIO) -> None:
    for item in plan:
        artifact = item.artifact
        stored = "absent" if not item.exists else f"stored {short(item.stored_sha256)}"
        out.write(
            f"  {item.action:<10} {artifact.label:<22} {targets.uri(artifact.key)}  "
            f"sha256 {short(artifact.sha256)} ({stored})\n"
        )


def execute(targets: Targets, s3: Any, glue: Any, options: Options, out: TextIO, sts: Any = None) -> int:
    """Deploy (or, with ``dry_run``, plan) and check; start and follow the workflow when asked.

    Returns the exit code: 0 when everything uploaded (or was unchanged), every job checks out and,
    with ``start``, the workflow run succeeded; 1 otherwise. Raises :class:`DeployError` for
    problems that stop the deploy before anything is changed (credentials, bucket, access).
    """
    write = out.write
    if sts is not None:
        with aws("checking the AWS identity"):
            identity = sts.get_caller_identity()
        write(f"identity: {identity.get('Arn')} (account {identity.get('Account')})\n")
    write(f"outputs: {targets.source}\n")
    write(
        f"target: bucket {targets.artifacts_bucket}, workflow {targets.workflow_name}"
        + (f", SSE-KMS {targets.kms_key_arn}" if targets.kms_key_arn else ", no KMS key in outputs")
        + "\n"
    )
    library = build_library(options.package_root, options.build_dir)
    write(
        f"library: {library.path} ({library.files} files, {library.size} bytes, sha256 {short(library.sha256)}"
        + (", cached build)\n" if library.cached else ", built now)\n")
    )
    modules = build_python_modules(options.requirements, options.wheel_dir, options.build_dir)
    write(
        f"python modules: {modules.path} ({modules.files} wheels, {modules.size} bytes, sha256 {short(modules.sha256)}"
        + (", cached build)\n" if modules.cached else ", built now)\n")
    )
    items = artifacts(targets, options.package_root, library, modules)
    check_bucket(s3, targets.artifacts_bucket)
    plan = plan_uploads(s3, targets, items)
    changes = [item for item in plan if item.action == "upload"]

    if options.dry_run:
        write("plan (dry run: nothing will be changed):\n")
        print_plan(plan, targets, out)
    checks = check_jobs(glue, targets)
    region = getattr(getattr(glue, "meta", None), "region_name", None)
    running = active_run(glue, targets.workflow_name)
    if running:
        write(
            f"warning: workflow {targets.workflow_name} run {running} is in progress; its jobs that start after "
            "this deploy will run the new code. Wait for it to end to keep one code version per run.\n"
        )

    if options.dry_run:
        write("job checks (read-only):\n")
        for check in checks:
            for line in describe_check(check, region):
                write(line + "\n")
        if options.start:
            write(f"would start Glue workflow {targets.workflow_name} and follow the run\n")
        failed = [c for c in checks if not c.ok]
        write(
            f"dry run: would upload {len(changes)}, {len(plan) - len(changes)} unchanged; "
            f"{len(checks) - len(failed)}/{len(checks)} jobs check out; nothing was changed\n"
        )
        return 1 if failed else 0

    write("uploads:\n")
    results = upload(s3, targets, plan, options.metadata)
    for result in results:
        uri = targets.uri(result.planned.artifact.key)
        label = result.planned.artifact.label
        if result.outcome == "uploaded":
            version = f", version {result.version_id}" if result.version_id else ""
            write(f"  uploaded       {label:<22} {uri}  sha256 {short(result.planned.artifact.sha256)}{version}\n")
        elif result.outcome == "unchanged":
            write(f"  unchanged      {label:<22} {uri}  sha256 {short(result.planned.artifact.sha256)}\n")
        else:
            write(f"  {result.outcome.upper():<14} {label:<22} {uri}: {result.detail}\n")
    write("job checks:\n")
    for check in checks:
        for line in describe_check(check, region):
            write(line + "\n")
    failed_uploads = [r for r in results if r.outcome in ("failed", "not attempted")]
    failed_checks = [c for c in checks if not c.ok]
    uploaded = sum(r.outcome == "uploaded" for r in results)
    write(
        f"summary: {uploaded} uploaded, {sum(r.outcome == 'unchanged' for r in results)} unchanged, "
        f"{len(failed_uploads)} failed; {len(checks) - len(failed_checks)}/{len(checks)} jobs check out\n"
    )
    if failed_uploads or failed_checks:
        write("deploy FAILED" + (": not starting the workflow" if options.start else "") + "\n")
        return 1
    write("deploy succeeded\n")
    if not options.start:
        return 0

    run_id = start_workflow(glue, targets.workflow_name)
    write(f"started Glue workflow {targets.workflow_name}: run {run_id}\n")
    run = follow_run(glue, targets, run_id, timeout=options.timeout, poll_interval=options.poll_interval, out=out)
    if run.ok:
        write(f"workflow run {run_id} {run.status}: every job succeeded\n")
        return 0
    if run.status == "TIMEOUT":
        write(f"workflow run {run_id} NOT FINISHED within --timeout {options.timeout:.0f} s:\n")
    else:
        write(f"workflow run {run_id} FAILED ({run.status}):\n")
    for problem in run.problems:
        write(f"  {problem}\n")
    if targets.state_uri:
        write(
            f"  run manifests (one per job run, by lake run_id): {targets.state_uri.rstrip('/')}/runs/<run_id>.json\n"
        )
        write("  job logs: CloudWatch /aws-glue/jobs/output and /aws-glue/jobs/error (JSON lines carry run_id)\n")
    return 1
