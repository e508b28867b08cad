"""Step 1: the Terraform environment's outputs -> :class:`Targets`, the names every later step works on.

:func:`parse_outputs` reads the document ``terraform output -json`` prints, :func:`read_outputs_file` a
saved copy of it, :func:`terraform_outputs` runs ``terraform output -json`` (read-only) in the
environment's folder. Imports only :mod:`.base`; touches the outputs file or the terraform binary, no AWS.
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from energy_lake.etl.jobs.args import JOBS
from energy_lake.scripts.deploy.base import OutputsError, Runner

REQUIRED_OUTPUTS = ("artifacts_bucket", "glue_jobs", "library_key", "python_modules_key", "workflow_name")


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


# An environment has one output, the composition's (environments/<env>/outputs.tf).
OUTPUT = "lake"


def output_values(doc: object, source: str) -> dict[str, object]:
    """The composition's outputs by name, from the document ``terraform output -json`` prints for an
    environment: ``{"lake": {"value": {name: value, ...}, ...}}``."""
    if not isinstance(doc, dict):
        raise OutputsError(f"{source}: expected the JSON object `terraform output -json` prints")
    if not doc:
        raise OutputsError(f"{source}: no outputs at all; has `terraform apply` run for this environment?")
    item = doc.get(OUTPUT)
    if not isinstance(item, dict) or "value" not in item:
        raise OutputsError(
            f"{source}: no output {OUTPUT!r} with a 'value' (found {', '.join(sorted(map(str, doc)))}); expected "
            "`terraform output -json` of an environment folder (infrastructure/terraform/environments/<env>)"
        )
    values = item["value"]
    if not isinstance(values, dict):
        raise OutputsError(f"{source}: output {OUTPUT!r} must be an object of the composition's outputs")
    return values


def parse_outputs(doc: object, source: str) -> Targets:
    """Targets from the document ``terraform output -json`` prints for an environment."""
    values = output_values(doc, source)
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
