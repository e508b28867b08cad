"""deploy_glue_jobs.py run the way an operator runs it, against a moto server on 127.0.0.1.

The resources are made with boto3 as Terraform would make them (versioned artifacts bucket, KMS
key, three Glue jobs, the workflow); the script then runs as a subprocess with only the standard
AWS environment pointing it there (``AWS_ENDPOINT_URL``, dummy keys, ``AWS_DEFAULT_REGION``).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

from energy_lake.etl.jobs.args import JOBS
from tests.glue_wheels import wheel_args

REPO = Path(__file__).resolve().parents[2]
SCRIPT = "src/scripts/deploy_glue_jobs.py"
REGION = "eu-west-1"
ENV = "dev"
BUCKET = "acme-dev-eu-west-1-123456789012-artifacts"
LIBRARY_KEY = "glue/lib/energy_lake.zip"
MODULES_KEY = "glue/lib/python-modules.gluewheels.zip"
KEYS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


def moto_api(endpoint: str, path: str, body: bytes = b"") -> None:
    request = urllib.request.Request(
        f"{endpoint}/moto-api/{path}", data=body, method="POST", headers={"Content-Type": "text/plain"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # a local moto server
        response.read()


@pytest.fixture
def session(endpoint: str) -> Iterator[Any]:
    moto_api(endpoint, "reset")
    yield boto3.Session(region_name=REGION, **{k.lower(): v for k, v in KEYS.items()})


def client(session: Any, endpoint: str, service: str) -> Any:
    return session.client(service, endpoint_url=endpoint)


def job_name(key: str) -> str:
    return f"energy-lake-{ENV}-{key.replace('_', '-')}"


@pytest.fixture
def outputs(session: Any, endpoint: str) -> dict[str, Any]:
    """Create what `terraform apply` creates and return what `terraform output -json` would print."""
    kms_key_arn = client(session, endpoint, "kms").create_key(Description="lake")["KeyMetadata"]["Arn"]
    s3 = client(session, endpoint, "s3")
    s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    glue = client(session, endpoint, "glue")
    jobs = {k: {"name": job_name(k), "script_key": f"glue/scripts/{k}.py"} for k in JOBS}
    for job in jobs.values():
        glue.create_job(
            Name=job["name"],
            Role="arn:aws:iam::123456789012:role/energy-lake-glue",
            Command={"Name": "glueetl", "ScriptLocation": f"s3://{BUCKET}/{job['script_key']}", "PythonVersion": "3"},
            DefaultArguments={
                "--extra-py-files": f"s3://{BUCKET}/{LIBRARY_KEY}",
                "--additional-python-modules": f"s3://{BUCKET}/{MODULES_KEY}",
            },
            GlueVersion="5.1",
        )
    glue.create_workflow(Name="energy-lake-dev-pipeline")
    values: dict[str, Any] = {
        "artifacts_bucket": BUCKET,
        "glue_jobs": jobs,
        "library_key": LIBRARY_KEY,
        "python_modules_key": MODULES_KEY,
        "workflow_name": "energy-lake-dev-pipeline",
        "zone_buckets": {"raw": "acme-dev-raw"},
        "glue_databases": {"raw": "acme_dev_raw"},
        "state_uri": "s3://acme-dev-raw/_lake",
        "athena_workgroups": {"analyst": "energy-lake-dev-analyst"},
        "kms_key_arn": kms_key_arn,
        "environment": ENV,
        "region": REGION,
    }
    return {"lake": {"value": values, "type": "object", "sensitive": False}}


@pytest.fixture
def outputs_file(outputs: dict[str, Any], tmp_path: Path) -> Path:
    path = tmp_path / "dev-outputs.json"
    path.write_text(json.dumps(outputs, indent=2))
    return path


def operator_env(endpoint: str, tmp_path: Path, **overrides: str) -> dict[str, str]:
    """The operator's shell: the venv's PATH, the standard AWS variables, no stray AWS settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_ENDPOINT_URL=endpoint,
        AWS_DEFAULT_REGION=REGION,
        AWS_EC2_METADATA_DISABLED="true",
        AWS_CONFIG_FILE=str(tmp_path / "no-aws-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "no-aws-credentials"),
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        **KEYS,
    )
    env.update(overrides)
    return {k: v for k, v in env.items() if v != ""}


def deploy(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["python", SCRIPT, "--env", ENV, *wheel_args(), *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def versions(session: Any, endpoint: str) -> list[tuple[str, str]]:
    found = client(session, endpoint, "s3").list_object_versions(Bucket=BUCKET).get("Versions", [])
    return sorted((v["Key"], v["VersionId"]) for v in found)


def test_deploy_then_redeploy_uploads_nothing_the_second_time(
    session: Any, endpoint: str, outputs: dict[str, Any], outputs_file: Path, tmp_path: Path
) -> None:
    env = operator_env(endpoint, tmp_path)

    first = deploy(env, "--outputs-json", str(outputs_file))

    assert first.returncode == 0, first.stdout + first.stderr
    assert first.stderr == ""
    assert f"deploying environment dev to region {REGION}" in first.stdout
    assert "5 uploaded, 0 unchanged, 0 failed; 3/3 jobs check out" in first.stdout
    assert first.stdout.rstrip().endswith("deploy succeeded")
    s3 = client(session, endpoint, "s3")
    objects = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET)["Contents"])
    assert objects == sorted([LIBRARY_KEY, MODULES_KEY, *(f"glue/scripts/{k}.py" for k in JOBS)])
    for key in objects:
        obj = s3.get_object(Bucket=BUCKET, Key=key)
        body = obj["Body"].read()
        assert obj["Metadata"]["sha256"] == hashlib.sha256(body).hexdigest()
        assert obj["SSEKMSKeyId"] == outputs["lake"]["value"]["kms_key_arn"]
        if key not in (LIBRARY_KEY, MODULES_KEY):
            assert body == (REPO / "src" / "etl" / Path(key).name).read_bytes()
    assert first.stdout.count("  uploaded       ") == 5
    before = versions(session, endpoint)

    second = deploy(env, "--outputs-json", str(outputs_file))

    assert second.returncode == 0, second.stdout + second.stderr
    assert "0 uploaded, 5 unchanged, 0 failed; 3/3 jobs check out" in second.stdout
    assert versions(session, endpoint) == before


def test_dry_run_changes_nothing(session: Any, endpoint: str, outputs_file: Path, tmp_path: Path) -> None:
    done = deploy(operator_env(endpoint, tmp_path), "--outputs-json", str(outputs_file), "--dry-run", "--start")

    assert done.returncode == 0, done.stdout + done.stderr
    assert "dry run: would upload 5, 0 unchanged; 3/3 jobs check out; nothing was changed" in done.stdout
    assert versions(session, endpoint) == []
    assert client(session, endpoint, "glue").get_workflow_runs(Name="energy-lake-dev-pipeline")["Runs"] == []


def test_no_credentials(session: Any, endpoint: str, outputs_file: Path, tmp_path: Path) -> None:
    env = operator_env(endpoint, tmp_path, AWS_ACCESS_KEY_ID="", AWS_SECRET_ACCESS_KEY="")

    done = deploy(env, "--outputs-json", str(outputs_file))

    assert done.returncode == 1
    assert done.stderr.startswith("error: no AWS credentials found")
    assert "Traceback" not in done.stderr and versions(session, endpoint) == []


def test_access_denied_under_moto_iam_enforcement(
    session: Any, endpoint: str, outputs_file: Path, tmp_path: Path
) -> None:
    iam = client(session, endpoint, "iam")
    iam.create_user(UserName="readonly")
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["s3:HeadBucket", "s3:ListBucket", "s3:GetObject", "glue:GetJob", "sts:GetCallerIdentity"],
                "Resource": "*",
            }
        ],
    }
    iam.put_user_policy(UserName="readonly", PolicyName="read", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName="readonly")["AccessKey"]
    env = operator_env(
        endpoint, tmp_path, AWS_ACCESS_KEY_ID=key["AccessKeyId"], AWS_SECRET_ACCESS_KEY=key["SecretAccessKey"]
    )
    moto_api(endpoint, "reset-auth", b"0")  # the server now checks every request against IAM
    try:
        denied = deploy(env, "--outputs-json", str(outputs_file))
        dry = deploy(env, "--outputs-json", str(outputs_file), "--dry-run")
    finally:
        moto_api(endpoint, "reset-auth", b"inf")

    assert denied.returncode == 1, denied.stdout
    assert f"FAILED         library                s3://{BUCKET}/{LIBRARY_KEY}: access denied while uploading" in (
        denied.stdout
    )
    assert "0 uploaded, 0 unchanged, 5 failed" in denied.stdout and "deploy FAILED" in denied.stdout
    assert "deploy succeeded" not in denied.stdout and "Traceback" not in denied.stderr
    assert versions(session, endpoint) == []
    assert dry.returncode == 0, dry.stdout + dry.stderr  # read-only permissions are enough to plan


def test_start_follows_the_workflow_run(session: Any, endpoint: str, outputs_file: Path, tmp_path: Path) -> None:
    env = operator_env(endpoint, tmp_path)
    done = deploy(env, "--outputs-json", str(outputs_file), "--start", "--timeout", "1", "--poll-interval", "0.2")

    runs = client(session, endpoint, "glue").get_workflow_runs(Name="energy-lake-dev-pipeline")["Runs"]
    assert len(runs) == 1
    assert f"started Glue workflow energy-lake-dev-pipeline: run {runs[0]['WorkflowRunId']}" in done.stdout
    # moto keeps every workflow run RUNNING and runs no job, so following ends at the timeout:
    assert done.returncode == 1
    assert "still RUNNING after 1 s; the run goes on in AWS" in done.stdout


@pytest.mark.terraform
def test_names_come_from_terraform_output_in_the_tf_dir(
    session: Any, endpoint: str, outputs: dict[str, Any], tmp_path: Path
) -> None:
    if shutil.which("terraform") is None:
        pytest.skip("terraform is not installed")
    tf_dir = tmp_path / "environments" / "dev"
    tf_dir.mkdir(parents=True)
    (tf_dir / "values.json").write_text(json.dumps(outputs["lake"]["value"]))
    (tf_dir / "main.tf").write_text(
        'locals {\n  v = jsondecode(file("${path.module}/values.json"))\n}\noutput "lake" {\n  value = local.v\n}\n'
    )
    tf_env = {**os.environ, "TF_IN_AUTOMATION": "1"}
    for command in (["init", "-input=false", "-no-color"], ["apply", "-auto-approve", "-input=false", "-no-color"]):
        applied = subprocess.run(["terraform", *command], cwd=tf_dir, env=tf_env, capture_output=True, text=True)
        assert applied.returncode == 0, applied.stderr

    done = deploy(operator_env(endpoint, tmp_path), "--tf-dir", str(tf_dir))

    assert done.returncode == 0, done.stdout + done.stderr
    assert f"outputs: terraform output -json in {tf_dir}" in done.stdout
    assert "5 uploaded" in done.stdout
