"""The bootstrap root (infrastructure/terraform/bootstrap): the state bucket an empty account needs first.

1. ``init`` and ``validate`` offline, then a plan whose planned values are the bucket's settings (the plan
   runs against moto: the provider checks ``allowed_account_ids`` through STS).
2. ``apply`` against moto, the bucket and key read back with boto3; then an environment's own
   ``backend.tf`` (S3 backend, ``use_lockfile``, ``encrypt``), initialised with the ``backend.hcl`` the
   ``backend_hcl_dev`` output wrote, stores ``dev/terraform.tfstate`` there.
3. The variable validations refuse bad input.

What moto 5.1.15 cannot do, and what the test does instead:

- Lifecycle: moto stores what PutBucketLifecycleConfiguration sends, but its read-back lacks the
  ``x-amz-transition-default-minimum-object-size`` header (getmoto/moto#9708), returns the empty filter
  as ``<Prefix></Prefix>`` and drops ``NewerNoncurrentVersions``, so the provider's wait for a matching
  read-back never ends. A test-only override cuts that wait to 3 s: the apply fails on that wait alone,
  and boto3 reads the rule Terraform sent. ``newer_noncurrent_versions`` is checked in the plan.
- Bucket policy: moto evaluates a bucket policy on object requests, but of the condition operators only
  ``StringEquals``; it skips the others (``Bool``, ``StringNotEquals``, ``Null``), so each conditional
  Deny denies every request. The test reads the policy back, removes it from moto before the backend
  runs, and evaluates its ``PutObject`` statements itself (AWS semantics, ``policy_denies``) against the
  headers the S3 backend sent, taken from Terraform's debug log.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import hcl2
import pytest

from tests.aws_calls.permissions import Permission
from tests.aws_calls.policy import Policy, Principal, decide
from tests.integration.terraform_harness import (
    TERRAFORM_ROOT,
    Terraform,
    Workspace,
    free_port,
    moto_override,
    moto_server,
    resource_addresses,
    terraform_or_skip,
)

pytestmark = [pytest.mark.terraform, pytest.mark.timeout(300)]

REGION = "eu-west-1"
ACCOUNT = "123456789012"  # moto's account: the provider's allowed_account_ids check passes for real
BUCKET = f"energylake-tfstate-{REGION}-{ACCOUNT}"
RETENTION_DAYS, VERSIONS_KEPT = 45, 7
VARIABLES = [
    "-var=org=energylake",
    f"-var=region={REGION}",
    f"-var=account_id={ACCOUNT}",
    f"-var=noncurrent_version_expiration_days={RETENTION_DAYS}",
    f"-var=noncurrent_versions_to_keep={VERSIONS_KEPT}",
]
CREATED = sorted(
    f"aws_{kind}.state"
    for kind in (
        "kms_key",
        "kms_alias",
        "s3_bucket",
        "s3_bucket_ownership_controls",
        "s3_bucket_public_access_block",
        "s3_bucket_versioning",
        "s3_bucket_server_side_encryption_configuration",
        "s3_bucket_policy",
        "s3_bucket_lifecycle_configuration",
    )
)
# Test-only: the provider waits for moto's lifecycle read-back to match, which it never does (above).
LIFECYCLE_WAIT_OVERRIDE = (
    'resource "aws_s3_bucket_lifecycle_configuration" "state" {\n  timeouts {\n    create = "3s"\n  }\n}\n'
)


@pytest.fixture(scope="module")
def terraform(tmp_path_factory: pytest.TempPathFactory) -> Terraform:
    return terraform_or_skip(tmp_path_factory.mktemp("terraform-home"))


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    logging.getLogger("werkzeug").setLevel(logging.CRITICAL)  # moto logs every request
    server = moto_server(free_port())
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture(scope="module")
def bootstrap(terraform: Terraform, endpoint: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bootstrap root in a scratch copy, pointed at moto and initialised (providers from the mirror)."""
    directory = Workspace.copy(tmp_path_factory.mktemp("bootstrap")).bootstrap()
    (directory / "moto_override.tf").write_text(moto_override(endpoint, REGION))
    terraform.run(directory, "init", "-input=false")
    return directory


def client(endpoint: str, service: str) -> Any:
    return boto3.client(
        service, endpoint_url=endpoint, region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing"
    )


def policy_denies(policy: dict[str, Any], context: dict[str, str]) -> str | None:
    """The Sid of the bucket policy's Deny that refuses a PutObject of the state with the request condition
    keys ``context`` (an absent key is absent), by the project's IAM evaluator (tests/aws_calls/policy.py);
    None when the bucket policy lets it through to the applier's IAM policy."""
    applier = Principal(
        f"arn:aws:iam::{ACCOUNT}:role/terraform",
        ACCOUNT,
        (Policy("identity", {"Statement": [{"Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"}]}),),
    )
    put = Permission("s3:PutObject", f"arn:aws:s3:::{BUCKET}/dev/terraform.tfstate", tuple(sorted(context.items())))
    decision = decide(applier, put, Policy("bucket", policy), region=REGION)
    return None if decision.allowed else decision.reason.removeprefix("explicitly denied by bucket#")


def backend_puts(log: str) -> dict[str, dict[str, str]]:
    """Per object key: the request headers of the S3 backend's PutObject calls, from a TF_LOG=DEBUG log."""
    puts = {}
    for line in log.splitlines():
        if "backend-s3: HTTP Request Sent" in line and "rpc.method=PutObject" in line:
            key = re.search(r"aws\.s3\.key=(\S+)", line)
            headers = dict(re.findall(r"http\.request\.header\.([a-z0-9_]+)=(\"[^\"]*\"|\S+)", line))
            assert key, line
            puts[key.group(1)] = {k: v.strip('"') for k, v in headers.items()}
    return puts


def test_validate_and_plan_hold_the_state_bucket_settings(terraform: Terraform, bootstrap: Path) -> None:
    terraform.run(bootstrap, "validate")
    terraform.run(bootstrap, "plan", "-input=false", "-out=bootstrap.tfplan", *VARIABLES)
    plan = terraform.json(bootstrap, "show", "bootstrap.tfplan")
    assert resource_addresses(plan) == CREATED
    after = {c["address"]: c["change"]["after"] for c in plan["resource_changes"]}
    unknown = {c["address"]: c["change"]["after_unknown"] for c in plan["resource_changes"]}
    config = {r["address"]: r.get("expressions", {}) for r in plan["configuration"]["root_module"]["resources"]}

    assert after["aws_s3_bucket.state"]["bucket"] == BUCKET
    assert after["aws_s3_bucket.state"]["force_destroy"] is False
    assert after["aws_s3_bucket_versioning.state"]["versioning_configuration"][0]["status"] == "Enabled"
    assert after["aws_s3_bucket_ownership_controls.state"]["rule"] == [{"object_ownership": "BucketOwnerEnforced"}]
    block = after["aws_s3_bucket_public_access_block.state"]
    assert all(
        block[k] is True
        for k in ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets")
    )

    # SSE-KMS with the state key (its ARN is known only after apply), bucket key on.
    sse = after["aws_s3_bucket_server_side_encryption_configuration.state"]["rule"][0]
    assert sse["bucket_key_enabled"] is True
    assert sse["apply_server_side_encryption_by_default"][0]["sse_algorithm"] == "aws:kms"
    sse_config = config["aws_s3_bucket_server_side_encryption_configuration.state"]["rule"][0]
    key_ref = sse_config["apply_server_side_encryption_by_default"][0]["kms_master_key_id"]["references"]
    assert "aws_kms_key.state.arn" in key_ref
    assert unknown["aws_s3_bucket_server_side_encryption_configuration.state"]["rule"][0][
        "apply_server_side_encryption_by_default"
    ][0]["kms_master_key_id"]

    # The policy names the bucket ARN and the key ARN, both known only after apply: its statements are
    # read back from moto in the apply test.
    assert unknown["aws_s3_bucket_policy.state"]["policy"] is True
    assert {"aws_s3_bucket.state.arn", "aws_kms_key.state.arn"} <= set(
        config["aws_s3_bucket_policy.state"]["policy"]["references"]
    )

    (rule,) = after["aws_s3_bucket_lifecycle_configuration.state"]["rule"]
    assert rule["status"] == "Enabled"
    assert rule["noncurrent_version_expiration"] == [
        {"noncurrent_days": RETENTION_DAYS, "newer_noncurrent_versions": VERSIONS_KEPT}
    ]
    assert rule["abort_incomplete_multipart_upload"] == [{"days_after_initiation": 7}]
    assert rule["expiration"][0]["expired_object_delete_marker"] is True

    key = after["aws_kms_key.state"]
    assert key["enable_key_rotation"] is True and key["deletion_window_in_days"] == 30
    (statement,) = json.loads(key["policy"])["Statement"]
    assert statement["Principal"] == {"AWS": f"arn:aws:iam::{ACCOUNT}:root"} and statement["Action"] == "kms:*"
    assert after["aws_kms_alias.state"]["name"] == "alias/energylake-tfstate"

    outputs = plan["planned_values"]["outputs"]
    assert outputs["state_bucket"]["value"] == BUCKET and outputs["region"]["value"] == REGION


def test_apply_then_an_environment_backend_keeps_its_state_there(
    terraform: Terraform, bootstrap: Path, endpoint: str, tmp_path: Path
) -> None:
    (bootstrap / "moto_lifecycle_override.tf").write_text(LIFECYCLE_WAIT_OVERRIDE)
    done = terraform.run(bootstrap, "apply", "-input=false", "-auto-approve", *VARIABLES, timeout=180, check=False)
    # The one error: the lifecycle configuration was sent, moto's read-back never matches (module docstring).
    assert re.findall(r"^Error: (.*)$", done.stderr, re.M) == [
        f"creating S3 Bucket ({BUCKET}) Lifecycle Configuration"
    ], done.stdout[-3000:] + done.stderr[-3000:]
    assert "timeout while waiting for state to become 'true'" in done.stderr

    outputs = {name: o["value"] for name, o in terraform.json(bootstrap, "output").items()}
    key_arn = outputs["kms_key_arn"]
    assert outputs["state_bucket"] == BUCKET and outputs["region"] == REGION
    assert re.fullmatch(rf"arn:aws:kms:{REGION}:{ACCOUNT}:key/[0-9a-f-]{{36}}", key_arn)
    assert sorted(outputs["backend_hcl"]) == ["dev", "prod"]
    for env, text in outputs["backend_hcl"].items():
        assert hcl2.loads(text) == {
            "bucket": BUCKET,
            "key": f"{env}/terraform.tfstate",
            "region": REGION,
            "kms_key_id": key_arn,
        }
    backend_hcl = terraform.run(bootstrap, "output", "-raw", "backend_hcl_dev").stdout
    assert backend_hcl == outputs["backend_hcl"]["dev"] == outputs["backend_hcl_dev"]

    # The bucket and the key, read back.
    s3, kms = client(endpoint, "s3"), client(endpoint, "kms")
    assert s3.get_bucket_versioning(Bucket=BUCKET)["Status"] == "Enabled"
    (sse,) = s3.get_bucket_encryption(Bucket=BUCKET)["ServerSideEncryptionConfiguration"]["Rules"]
    assert sse["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key_arn}
    assert sse["BucketKeyEnabled"] is True
    assert s3.get_public_access_block(Bucket=BUCKET)["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "IgnorePublicAcls": True,
        "BlockPublicPolicy": True,
        "RestrictPublicBuckets": True,
    }
    ownership = s3.get_bucket_ownership_controls(Bucket=BUCKET)["OwnershipControls"]["Rules"]
    assert ownership == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    (rule,) = s3.get_bucket_lifecycle_configuration(Bucket=BUCKET)["Rules"]
    assert rule["ID"] == "state-versions" and rule["Status"] == "Enabled"
    assert rule["NoncurrentVersionExpiration"]["NoncurrentDays"] == RETENTION_DAYS  # moto drops NewerNoncurrentVersions
    assert rule["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 7}
    assert rule["Expiration"] == {"ExpiredObjectDeleteMarker": True}
    assert kms.get_key_rotation_status(KeyId=key_arn)["KeyRotationEnabled"] is True
    aliases = {a["AliasName"]: a.get("TargetKeyId") for a in kms.list_aliases()["Aliases"]}
    assert aliases["alias/energylake-tfstate"] == key_arn.rsplit("/", 1)[1]

    policy = json.loads(s3.get_bucket_policy(Bucket=BUCKET)["Policy"])
    statements = {s["Sid"]: s for s in policy["Statement"]}
    assert statements["DenyInsecureTransport"] == {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": {"AWS": "*"},
        "Action": "s3:*",
        "Resource": [f"arn:aws:s3:::{BUCKET}", f"arn:aws:s3:::{BUCKET}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    assert statements["DenyOtherKmsKey"]["Condition"]["StringNotEquals"] == {
        "s3:x-amz-server-side-encryption-aws-kms-key-id": key_arn
    }
    # moto would apply each conditional Deny to every request (module docstring): off with it, evaluated below.
    s3.delete_bucket_policy(Bucket=BUCKET)

    # An environment's backend.tf, as committed, initialised with the generated backend.hcl plus the
    # test-only endpoint settings (Terraform 1.11 S3 backend arguments), then a trivial apply.
    root = tmp_path / "environment"
    root.mkdir()
    shutil.copy(TERRAFORM_ROOT / "environments" / "dev" / "backend.tf", root / "backend.tf")
    (root / "main.tf").write_text('resource "terraform_data" "proof" {\n  input = "bootstrap"\n}\n')
    (root / "backend.hcl").write_text(backend_hcl)
    (root / "moto.backend.hcl").write_text(
        f'endpoints                   = {{ s3 = "{endpoint}" }}\n'
        "use_path_style              = true\n"
        "skip_credentials_validation = true\n"
        "skip_requesting_account_id  = true\n"
        "skip_metadata_api_check     = true\n"
        "skip_region_validation      = true\n"
    )
    log = tmp_path / "terraform-debug.log"
    environment = Terraform(terraform.binary, tmp_path / "home", terraform.mirror)
    environment.env.update(TF_LOG="DEBUG", TF_LOG_PATH=str(log))
    environment.run(root, "init", "-input=false", "-backend-config=backend.hcl", "-backend-config=moto.backend.hcl")
    environment.run(root, "apply", "-input=false", "-auto-approve")

    head = s3.head_object(Bucket=BUCKET, Key="dev/terraform.tfstate")
    assert (head["ServerSideEncryption"], head["SSEKMSKeyId"]) == ("aws:kms", key_arn)
    state = json.loads(s3.get_object(Bucket=BUCKET, Key="dev/terraform.tfstate")["Body"].read())
    assert [r["type"] for r in state["resources"]] == ["terraform_data"]
    # The lock file was taken and released: a version of <key>.tflock under a delete marker.
    versions = s3.list_object_versions(Bucket=BUCKET, Prefix="dev/terraform.tfstate.tflock")
    assert versions.get("Versions") and [m["IsLatest"] for m in versions["DeleteMarkers"]] == [True]

    # What the backend sent: SSE-KMS with the state key on the state and on the lock file (a
    # conditional write). The bucket policy denies neither, over TLS, and does deny the alternatives.
    puts = backend_puts(log.read_text())
    assert set(puts) == {"dev/terraform.tfstate", "dev/terraform.tfstate.tflock"}, sorted(puts)
    assert puts["dev/terraform.tfstate.tflock"]["if_none_match"] == "*"
    for key, headers in puts.items():
        assert headers["x_amz_server_side_encryption"] == "aws:kms", key
        assert headers["x_amz_server_side_encryption_aws_kms_key_id"] == key_arn, key
        context = {
            "aws:SecureTransport": "true",
            "s3:x-amz-server-side-encryption": headers["x_amz_server_side_encryption"],
            "s3:x-amz-server-side-encryption-aws-kms-key-id": headers["x_amz_server_side_encryption_aws_kms_key_id"],
        }
        assert policy_denies(policy, context) is None, key
    tls = {"aws:SecureTransport": "true"}
    assert policy_denies(policy, tls) is None  # no header (an UploadPart): the bucket default applies
    assert policy_denies(policy, {"aws:SecureTransport": "false"}) == "DenyInsecureTransport"
    assert policy_denies(policy, {**tls, "s3:x-amz-server-side-encryption": "AES256"}) == "DenyOtherEncryption"
    assert policy_denies(policy, {**tls, "s3:x-amz-server-side-encryption": "aws:kms"}) == "DenyOtherKmsKey"
    other_key = {"s3:x-amz-server-side-encryption": "aws:kms", "s3:x-amz-server-side-encryption-aws-kms-key-id": "x"}
    assert policy_denies(policy, {**tls, **other_key}) == "DenyOtherKmsKey"


@pytest.mark.parametrize(
    ("variable", "message"),
    [
        ("account_id=12345", "account_id must be 12 digits."),
        ("noncurrent_version_expiration_days=0", "noncurrent_version_expiration_days must be a whole number"),
        ("noncurrent_versions_to_keep=101", "noncurrent_versions_to_keep must be a whole number from 1 to 100."),
    ],
)
def test_variable_validation_refuses_bad_input(
    terraform: Terraform, bootstrap: Path, variable: str, message: str
) -> None:
    name = variable.split("=")[0]
    others = [v for v in VARIABLES if not v.startswith(f"-var={name}=")]
    done = terraform.run(bootstrap, "plan", "-input=false", *others, f"-var={variable}", check=False)
    assert done.returncode == 1
    assert "Invalid value for variable" in done.stderr and message in " ".join(done.stderr.split()), done.stderr[-2000:]


def test_bootstrap_readme_tables_are_current() -> None:
    spec = importlib.util.spec_from_file_location("readme_tables", TERRAFORM_ROOT / "readme_tables.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    bootstrap = TERRAFORM_ROOT / "bootstrap"
    assert bootstrap in module.documented()
    readme = (bootstrap / "README.md").read_text()
    assert module.render(readme, bootstrap) == readme, (
        f"{bootstrap / 'README.md'} is stale: run .venv/bin/python infrastructure/terraform/readme_tables.py"
    )
