"""Policies evaluated, not just applied (issue 13, "What to build" 2).

Each principal's real code runs against the applied dev environment on moto (the session's ``deployment``)
with a ``tests.aws_calls.Recorder`` on its boto3 session; every recorded call is mapped to the IAM actions,
resources and condition keys AWS authorizes it by (``tests.aws_calls.permissions``) and evaluated
(``tests.aws_calls.policy``) against that principal's policies as Terraform planned them (identity
policies from the plan; a value unknown at plan time, which here is every policy document since they
name ARNs created in the same apply, is read back from moto after the apply), the bucket policies and the
lake key's key policy. Then what governance denies is checked the same way.

The principals:

* the three Glue job roles: ``runner.run_hop`` as the entry scripts call it, on S3 (SSE-KMS buckets),
  taking over the lock of a dead Glue run (``glue:GetJobRun``), reading landing files (listing, ranged
  and streamed reads, an empty file), the PII key (SSM), writing the manifest and publishing the metrics;
  only the Spark work of the hop is replaced (``HOPS``): for ``landing_to_raw`` by the real landing planner
  on S3. moto also enforces these roles' identity policies on their S3 requests (its IAM authentication
  mode), end to end. What the Spark side does through Iceberg (S3FileIO, GlueCatalog) never passes
  through boto3; it is declared (``iceberg_calls``) and evaluated too;
* the deploy script (``deploy.execute`` with ``--start``): Terraform manages no principal for it, so its
  calls are checked against ``DEPLOYER_POLICY``, the minimal policy they need (and every statement of it
  must be used);
* each Athena persona role: the smoke check's queries (``smoke.check_general_query`` and
  ``check_personal_query``), with what Athena then does with the persona's credentials.
"""

from __future__ import annotations

import io
import json
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import boto3
import pytest

from energy_lake.etl.jobs import runner
from energy_lake.etl.jobs.args import JOBS, REQUIRED
from energy_lake.etl.lake.tables import specs
from energy_lake.etl.landing.plan import plan_entity
from energy_lake.etl.landing.sniff import HEAD_BYTES
from energy_lake.etl.model.contracts import ENTITIES
from energy_lake.scripts import deploy, smoke
from energy_lake.utils.logging import Logger
from tests.aws_calls.permissions import Environment, Permission, Workgroup, required
from tests.aws_calls.policy import Decision, Policy, Principal, decide
from tests.aws_calls.recorder import Call, Recorder
from tests.integration.conftest import ACCOUNT, REGION, Deployment
from tests.integration.terraform_harness import REPO

pytestmark = [pytest.mark.terraform, pytest.mark.timeout(600)]

LANDING_SAMPLES = REPO / "data" / "landing"
INGEST_DATE = "2026-03-01"
DEAD_RUN = "jr_0123456789abcdef_dead"  # a Glue job run id Glue does not know: its lock is taken over
PII_KEY = "policy-test-key-0123456789abcdef"
LF_VENDS_DATA = "https://docs.aws.amazon.com/lake-formation/latest/dg/access-control-underlying-data.html"
# The IAM service prefix of an action -> the name of its VPC endpoint service (com.amazonaws.<region>.<name>),
# where the two differ: CloudWatch's API is "monitoring" (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-and-interface-VPC.html).
ENDPOINT_SERVICE = {"cloudwatch": "monitoring"}


# ---------------------------------------------------------------------------------------------
# The plan's principals and the resource policies
# ---------------------------------------------------------------------------------------------


@dataclass
class Lake:
    deployment: Deployment
    env: Environment
    role_policies: dict[str, list[Policy]]  # role name -> its identity policies
    bucket_policies: dict[str, Policy | None]  # bucket -> its policy
    key_policies: dict[str, Policy]  # key ARN -> its key policy
    endpoints: dict[str, str]  # IAM service prefix -> the lake VPC's endpoint for it (vpce-...)
    endpoint_policies: dict[str, Policy]  # endpoint id -> its policy, as applied

    @property
    def outputs(self) -> dict[str, Any]:
        return self.deployment.outputs

    def role(self, name: str) -> Principal:
        return Principal(f"arn:aws:iam::{ACCOUNT}:role/{name}", ACCOUNT, tuple(self.role_policies[name]))

    def job_role(self, job: str) -> Principal:
        """A job's role as its Glue run uses it: inside the lake's VPC, every service through its endpoint."""
        role = self.role(
            _planned_one(self.deployment, f'module.lake.module.glue_jobs.aws_iam_role.this["{job}"]')["name"]
        )
        return Principal(role.arn, role.account, role.policies, network=tuple(sorted(self.endpoints.items())))

    def persona_role(self, persona: str) -> Principal:
        return self.role(self.outputs["persona_roles"][persona].rsplit("/", 1)[1])

    def resource_policy(self, permission: Permission) -> tuple[Policy | None, bool]:
        if permission.action.startswith("kms:"):
            return self.key_policies.get(permission.resource), True
        if permission.resource.startswith("arn:aws:s3:::"):
            bucket = permission.resource.removeprefix("arn:aws:s3:::").split("/", 1)[0]
            if bucket not in self.bucket_policies:
                self.bucket_policies[bucket] = _bucket_policy(self.deployment, bucket)
            return self.bucket_policies[bucket], False
        return None, False

    def decide(self, principal: Principal, permission: Permission) -> Decision:
        policy, is_key = self.resource_policy(permission)
        endpoint = principal.endpoint(permission)
        endpoint_policy = self.endpoint_policies.get(endpoint) if endpoint else None  # another VPC's: full access
        return decide(principal, permission, policy, key_policy=is_key, region=REGION, endpoint_policy=endpoint_policy)

    def refused(self, principal: Principal, permissions: list[Permission]) -> list[str]:
        """One line per permission ``principal`` is refused, with the reason (empty: all allowed)."""
        lines = []
        for permission in permissions:
            decision = self.decide(principal, permission)
            if not decision.allowed:
                lines.append(f"{permission.short()}  <- {permission.call}: {decision.reason} (rule: {permission.rule})")
        return sorted(set(lines))

    def granted(self, principal: Principal, permissions: list[Permission]) -> list[str]:
        """One line per permission ``principal`` is allowed (for the denials governance asks for)."""
        lines = []
        for permission in permissions:
            decision = self.decide(principal, permission)
            if decision.allowed:
                lines.append(f"{permission.short()}: {decision.reason} ({permission.rule})")
        return sorted(set(lines))

    def permissions(self, calls: list[Call]) -> list[Permission]:
        return [p for call in calls for p in required(call, self.env)]


def _planned_one(deployment: Deployment, address: str) -> dict[str, Any]:
    found = deployment.planned(address)
    assert address in found, f"{address} is not in the plan"
    return found[address]


def _document(value: Any) -> dict[str, Any]:
    return json.loads(value) if isinstance(value, str) else dict(value)


def _bucket_policy(deployment: Deployment, bucket: str) -> Policy | None:
    s3 = deployment.client("s3")
    try:
        text = s3.get_bucket_policy(Bucket=bucket)["Policy"]
    except s3.exceptions.ClientError as error:
        if error.response["Error"]["Code"] == "NoSuchBucketPolicy":
            return None
        raise
    return Policy(f"bucket policy of {bucket}", _document(text))


def _role_of(deployment: Deployment, change: dict[str, Any]) -> str:
    """The role an aws_iam_role_policy names: planned, or the planned name of the role it references."""
    after = change["change"]["after"]
    if after.get("role"):
        return str(after["role"])
    module = change["module_address"]
    config_module = deployment.plan["configuration"]["root_module"]
    for name in module.removeprefix("module.").split(".module."):  # module.lake.module.glue_jobs: lake, glue_jobs
        config_module = config_module["module_calls"][name]["module"]
    config = next(r for r in config_module["resources"] if r["address"] == f"{change['type']}.{change['name']}")
    references = config["expressions"]["role"]["references"]
    role = next(".".join(r.split(".")[:2]) for r in references if r.startswith("aws_iam_role."))
    index = f'["{change["index"]}"]' if "each.key" in references else ""
    return str(_planned_one(deployment, f"{module}.{role}{index}")["name"])


def planned_role_policies(deployment: Deployment) -> dict[str, list[Policy]]:
    """role name -> its identity policies, as planned (unknown documents as applied)."""
    iam = deployment.client("iam")
    attached_kinds = {"aws_iam_role_policy_attachment", "aws_iam_policy_attachment", "aws_iam_role_policies_exclusive"}
    out: dict[str, list[Policy]] = {}
    for change in deployment.plan["resource_changes"]:
        if change["mode"] != "managed":
            continue
        assert change["type"] not in attached_kinds, (
            f"{change['address']}: managed policies attached to roles are not evaluated yet; extend "
            "planned_role_policies before relying on them"
        )
        if change["type"] != "aws_iam_role_policy":
            continue
        after = change["change"]["after"]
        role = _role_of(deployment, change)
        document = after.get("policy") or iam.get_role_policy(RoleName=role, PolicyName=after["name"])["PolicyDocument"]
        out.setdefault(role, []).append(Policy(f"{change['address']} ({after['name']})", _document(document)))
    # Nothing was applied beside the plan: the roles hold exactly these inline policies, none attached.
    for role, policies in out.items():
        assert iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"] == [], role
        applied = set(iam.list_role_policies(RoleName=role)["PolicyNames"])
        assert applied == {p.name.rsplit(" (", 1)[1].rstrip(")") for p in policies}, role
    return out


def environment(deployment: Deployment) -> Environment:
    out = deployment.outputs
    ssm = deployment.client("ssm")
    pii = _planned_one(deployment, "module.lake.module.glue_jobs.aws_ssm_parameter.pii_key")["name"]
    (parameter,) = ssm.describe_parameters(Filters=[{"Key": "Name", "Values": [pii]}])["Parameters"]
    athena = deployment.client("athena")
    workgroups = {}
    for name in out["athena_workgroups"].values():
        results = athena.get_work_group(WorkGroup=name)["WorkGroup"]["Configuration"]["ResultConfiguration"]
        workgroups[name] = Workgroup(
            results["OutputLocation"], results.get("EncryptionConfiguration", {}).get("KmsKey")
        )
    return Environment(ACCOUNT, REGION, parameter_keys={pii: parameter["KeyId"]}, workgroups=workgroups)


@pytest.fixture(scope="module")
def lake(deployment: Deployment) -> Lake:
    iam = deployment.client("iam")
    role = _planned_one(deployment, 'module.lake.module.glue_jobs.aws_iam_role.this["landing_to_raw"]')["name"]
    try:
        iam.get_role(RoleName=role)
    except iam.exceptions.NoSuchEntityException:
        pytest.fail("the session's deployment is destroyed already: run this file before test_terraform.py")
    kms = deployment.client("kms")
    key = deployment.outputs["kms_key_arn"]
    key_policy = Policy(
        "key policy of the lake key", _document(kms.get_key_policy(KeyId=key, PolicyName="default")["Policy"])
    )
    network = deployment.outputs["network"]
    by_service = {"s3": network["s3_endpoint_id"], **network["interface_endpoint_ids"]}
    prefix_of = {service: prefix for prefix, service in ENDPOINT_SERVICE.items()}
    endpoints = {prefix_of.get(service, service): vpce for service, vpce in by_service.items()}
    ec2 = deployment.client("ec2")
    applied = ec2.describe_vpc_endpoints(VpcEndpointIds=sorted(by_service.values()))["VpcEndpoints"]
    policies = {
        e["VpcEndpointId"]: Policy(f"policy of endpoint {e['ServiceName']}", _document(e["PolicyDocument"]))
        for e in applied
    }
    return Lake(
        deployment,
        environment(deployment),
        planned_role_policies(deployment),
        {},
        {key: key_policy},
        endpoints,
        policies,
    )


# ---------------------------------------------------------------------------------------------
# moto: its IAM authentication mode for S3, and what it cannot evaluate
# ---------------------------------------------------------------------------------------------


@contextmanager
def moto_checks_s3_requests_against_iam() -> Iterator[None]:
    """moto's IAM authentication mode, for the S3 requests: each one is signed by its caller and checked
    against the caller's identity policies as applied to moto's IAM (action and object or bucket ARN;
    moto takes every Condition as met, so the evaluation here does the conditions).

    For other services moto names the action after the request's signing name and checks it against the
    resource ``*`` (``moto/core/responses.py``), so it refuses what AWS allows (``monitoring:PutMetricData``;
    any statement limited to an ARN): those requests are authenticated (signature, credentials) but not
    authorized by moto, only here. Bucket policies: moto applies their Deny statements without the
    Condition, so the ``aws:SecureTransport = false`` Deny would refuse every request over moto's plain
    HTTP; they are evaluated here with the TLS the SDKs use on AWS. Signatures: moto rebuilds the signed
    request from the decoded URL, so a listing with ``prefix=customers/`` fails its check although botocore
    signed it right; the credentials are still checked (an unknown key or session token is refused)."""
    from moto import settings
    from moto.core.responses import ActionAuthenticatorMixin
    from moto.iam.access_control import IAMRequest, IAMRequestBase, PermissionResult
    from moto.s3.models import FakeBucket

    saved = (
        settings.INITIAL_NO_AUTH_ACTION_COUNT,
        ActionAuthenticatorMixin.request_count,
        IAMRequest.check_action_permitted,
        IAMRequestBase.check_signature,
        FakeBucket.get_permission,
    )
    settings.INITIAL_NO_AUTH_ACTION_COUNT = 0  # from now on every request is checked
    ActionAuthenticatorMixin.request_count = 0
    IAMRequest.check_action_permitted = lambda self, resource: None  # type: ignore[method-assign]
    IAMRequestBase.check_signature = lambda self: None  # type: ignore[method-assign]
    FakeBucket.get_permission = lambda self, action, resource: PermissionResult.NEUTRAL  # type: ignore[method-assign]
    try:
        yield
    finally:
        (
            settings.INITIAL_NO_AUTH_ACTION_COUNT,
            ActionAuthenticatorMixin.request_count,
            IAMRequest.check_action_permitted,
            IAMRequestBase.check_signature,
            FakeBucket.get_permission,
        ) = saved


@contextmanager
def moto_blind_to_bucket_policies() -> Iterator[None]:
    """Requests by the test's own (unrestricted) credentials: only the bucket policies' TLS Deny is lifted."""
    from moto.iam.access_control import PermissionResult
    from moto.s3.models import FakeBucket

    saved = FakeBucket.get_permission
    FakeBucket.get_permission = lambda self, action, resource: PermissionResult.NEUTRAL  # type: ignore[method-assign]
    try:
        yield
    finally:
        FakeBucket.get_permission = saved  # type: ignore[method-assign]


@contextmanager
def objects_removed_afterwards(deployment: Deployment, *buckets: str) -> Iterator[None]:
    """Delete every object version and delete marker written to ``buckets`` while the block ran, so the
    environment test_terraform.py checks and destroys is as the apply left it."""
    s3 = deployment.client("s3")

    def versions(bucket: str) -> set[tuple[str, str]]:
        found = set()
        for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
            found |= {(v["Key"], v["VersionId"]) for v in page.get("Versions", []) + page.get("DeleteMarkers", [])}
        return found

    before = {bucket: versions(bucket) for bucket in buckets}
    try:
        yield
    finally:
        with moto_blind_to_bucket_policies():
            for bucket in buckets:
                new = sorted(versions(bucket) - before[bucket])
                for i in range(0, len(new), 1000):
                    objects = [{"Key": k, "VersionId": v} for k, v in new[i : i + 1000]]
                    s3.delete_objects(Bucket=bucket, Delete={"Objects": objects, "Quiet": True})


def role_session(deployment: Deployment, role_arn: str, name: str, recorder: Recorder) -> Any:
    credentials = deployment.client("sts").assume_role(RoleArn=role_arn, RoleSessionName=name)["Credentials"]
    session = boto3.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name=REGION,
    )
    return recorder.attach(session)


@pytest.fixture
def at_moto(deployment: Deployment, monkeypatch: pytest.MonkeyPatch) -> None:
    """The code under test creates its own clients (``session.client("s3")``): point them at moto."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", deployment.endpoint)
    for name in ("AWS_PROFILE", "AWS_CONFIG_FILE"):
        monkeypatch.delenv(name, raising=False)


def operations(calls: list[Call]) -> set[str]:
    return {call.label() for call in calls}


# ---------------------------------------------------------------------------------------------
# The Glue job roles
# ---------------------------------------------------------------------------------------------


def job_arguments(deployment: Deployment, job: str) -> dict[str, str]:
    """The job's arguments as Glue passes them: its Terraform default arguments, JOB_NAME and JOB_RUN_ID."""
    name = deployment.outputs["glue_jobs"][job]["name"]
    defaults = deployment.client("glue").get_job(JobName=name)["Job"]["DefaultArguments"]
    args = {k.removeprefix("--"): v for k, v in defaults.items()}
    return {**args, "JOB_NAME": name, "JOB_RUN_ID": f"jr_policy_test_{job}"}


def shared_tables(deployment: Deployment, job: str) -> list[str]:
    """``zone.table`` the job writes outside its own zone: its named writer grants in the plan."""
    grants = deployment.planned("module.lake.module.lake_formation.aws_lakeformation_permissions.named_tables[")
    return sorted(a.split('"')[1].split("/", 2)[2] for a in grants if a.split('"')[1].startswith(f"writer/{job}/"))


def land_files(deployment: Deployment) -> int:
    """The sample feeds under their landing layout, one file past the head the planner reads first (so it
    is streamed) and one empty file (a ranged read of it answers 416); returns how many files."""
    s3 = deployment.client("s3")
    bucket = deployment.outputs["zone_buckets"]["landing"]
    count = 0
    with moto_blind_to_bucket_policies():
        for path in sorted(LANDING_SAMPLES.rglob("*.csv")):
            s3.put_object(Bucket=bucket, Key=path.relative_to(LANDING_SAMPLES).as_posix(), Body=path.read_bytes())
            count += 1
        sample = next(LANDING_SAMPLES.glob("transactions/ingest_date=*/*.csv")).read_text("utf-8").splitlines()
        body = "\n".join([sample[0], *(sample[1:] * (HEAD_BYTES // max(1, len("".join(sample[1:])))) * 2)]) + "\n"
        assert len(body.encode()) > HEAD_BYTES
        s3.put_object(Bucket=bucket, Key=f"transactions/ingest_date={INGEST_DATE}/big.csv", Body=body.encode())
        s3.put_object(Bucket=bucket, Key=f"providers/ingest_date={INGEST_DATE}/empty.csv", Body=b"")
    return count + 2


def place_dead_runs_lock(deployment: Deployment, job: str) -> None:
    """A lock left by a Glue run of ``job`` that Glue no longer knows, not yet expired: only the holder
    check (``glue:GetJobRun``) can free it."""
    bucket, _, prefix = deployment.outputs["state_uri"].removeprefix("s3://").partition("/")
    lock = {
        "run_id": "r-dead",
        "host": "glue-worker-gone",
        "pid": 1,
        "glue_job_name": deployment.outputs["glue_jobs"][job]["name"],
        "glue_job_run_id": DEAD_RUN,
        "acquired_at": "2026-03-01T06:00:00+00:00",
        "expires_at": "2999-01-01T00:00:00+00:00",
    }
    with moto_blind_to_bucket_policies():
        deployment.client("s3").put_object(Bucket=bucket, Key=f"{prefix}/LOCK.json", Body=json.dumps(lock).encode())


@contextmanager
def pii_key_set(deployment: Deployment) -> Iterator[None]:
    """Terraform creates the key parameter with a placeholder an operator replaces; here a test key."""
    ssm = deployment.client("ssm")
    name = _planned_one(deployment, "module.lake.module.glue_jobs.aws_ssm_parameter.pii_key")["name"]
    key = deployment.outputs["kms_key_arn"]
    before = ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"]
    ssm.put_parameter(Name=name, Value=PII_KEY, Type="SecureString", KeyId=key, Overwrite=True)
    try:
        yield
    finally:
        ssm.put_parameter(Name=name, Value=before, Type="SecureString", KeyId=key, Overwrite=True)


def fake_hop(job: str) -> Any:
    """The hop without its Spark work; for landing_to_raw the real planner reads the landing files on S3."""

    def hop(ctx: Any) -> dict[str, Any]:
        stats: dict[str, Any] = {}
        if job == "landing_to_raw":
            for entity in ENTITIES:
                plan = plan_entity(ctx.storage, ctx.lake.landing, entity, {}, set(ctx.reprocess))
                rejected = [{"file": r.file, "rule": r.rule, "reason": r.reason} for r in plan.rejected]
                stats[entity] = {"files": len(plan.files), "rows_read": 0, "rows_valid": 0, "rows_quarantined": 0}
                stats[entity]["rejected_files"] = rejected
        ctx.alive()  # what a hop does after each recorded state: extends the lock
        return stats

    return hop


def run_job(lake: Lake, job: str, monkeypatch: pytest.MonkeyPatch) -> tuple[list[Call], dict[str, Any]]:
    """``run_hop`` as the Glue entry script calls it, with the job role's credentials; the calls it made."""
    deployment = lake.deployment
    recorder = Recorder()
    role = lake.job_role(job)
    session = role_session(deployment, role.arn, f"glue-{job}", recorder)
    monkeypatch.setitem(runner.HOPS, job, fake_hop(job))
    monkeypatch.setattr(runner, "lake_session", lambda spark, locations: spark)
    monkeypatch.setattr(runner.metrics, "latest_ingest_ages", lambda snapshot, now: dict.fromkeys(ENTITIES, Decimal(3)))
    args = job_arguments(deployment, job)
    log = Logger(f"policy-{job}", json_stream=io.StringIO())
    with moto_checks_s3_requests_against_iam():
        doc = runner.run_hop(job, None, args, session, log)  # type: ignore[arg-type]
    return recorder.calls, doc


def iceberg_calls(lake: Lake, job: str) -> list[Call]:
    """What the job's Spark side does through Iceberg, which no boto3 recorder sees, declared from the
    Iceberg AWS integration (https://iceberg.apache.org/docs/latest/aws/): GlueCatalog reads the table and
    commits with UpdateTable (optimistic locking); S3FileIO writes data and metadata files with multipart
    uploads and aborts the upload of a file it fails to write (``s3.multipart.*``); the buckets' default
    encryption is SSE-KMS with a bucket key. Tables written: every table of the job's zone and its shared
    tables (the plan's writer grants); read: the tables of the zone it reads."""
    source, target = job.split("_to_")
    buckets = lake.outputs["zone_buckets"]
    databases = lake.outputs["glue_databases"]
    key = lake.outputs["kms_key_arn"]
    sse = {
        "x-amz-server-side-encryption": "aws:kms",
        "x-amz-server-side-encryption-aws-kms-key-id": key,
        "x-amz-server-side-encryption-bucket-key-enabled": "true",
    }
    written = sorted({n for n, s in specs().items() if s.zone == target} | set(shared_tables(lake.deployment, job)))
    read = sorted(n for n, s in specs().items() if s.zone == source)
    calls: list[Call] = []

    def call(service: str, operation: str, **params: Any) -> None:
        headers = sse if service == "s3" and operation != "AbortMultipartUpload" else {}
        calls.append(Call(service, operation, params, REGION, 200, headers))

    for name in written + read:
        zone, table = name.split(".")
        bucket, database = buckets[zone], databases[zone]
        call("glue", "GetDatabase", Name=database)
        call("glue", "GetTable", DatabaseName=database, Name=table)
        call("lakeformation", "GetDataAccess", TableArn=lake.env.arn("glue", f"table/{database}/{table}"))
        call("s3", "GetObject", Bucket=bucket, Key=f"{table}/metadata/00001-x.metadata.json")
        call("s3", "GetObject", Bucket=bucket, Key=f"{table}/data/ingest_date={INGEST_DATE}/00000-x.parquet")
        if name in written:
            data = f"{table}/data/ingest_date={INGEST_DATE}/00001-y.parquet"
            for operation in ("CreateMultipartUpload", "UploadPart", "CompleteMultipartUpload", "AbortMultipartUpload"):
                call("s3", operation, Bucket=bucket, Key=data)
            call("s3", "PutObject", Bucket=bucket, Key=f"{table}/metadata/00002-y.metadata.json")
            call("glue", "UpdateTable", DatabaseName=database, TableInput={"Name": table})
    return calls


@pytest.mark.parametrize("job", JOBS)
def test_each_job_role_may_make_every_call_its_job_makes(
    lake: Lake, job: str, at_moto: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    deployment = lake.deployment
    buckets = deployment.outputs["zone_buckets"]
    with objects_removed_afterwards(deployment, buckets["landing"], buckets["raw"]), pii_key_set(deployment):
        landed = land_files(deployment) if job == "landing_to_raw" else 0
        place_dead_runs_lock(deployment, job)
        calls, doc = run_job(lake, job, monkeypatch)
    # The code paths ran: the dead run's lock taken over after Glue's answer, the manifest and metrics.
    assert doc["job"] == job
    ops = operations(calls)
    expected = {"s3.PutObject", "s3.GetObject", "s3.DeleteObject", "glue.GetJobRun", "cloudwatch.PutMetricData"}
    assert expected <= ops, ops
    assert ("ssm.GetParameter" in ops) == ("pii_key_parameter" in REQUIRED[job])
    run = next(c for c in calls if c.operation == "GetJobRun")
    assert (run.params["RunId"], run.status) == (DEAD_RUN, 400)  # EntityNotFoundException: the holder is dead
    if job == "landing_to_raw":
        reads = [c for c in calls if c.operation == "GetObject" and c.params["Bucket"] == buckets["landing"]]
        assert len({c.params["Key"] for c in reads}) == landed and {c.status for c in reads} >= {206, 416}
        assert any("Range" not in c.params for c in reads)  # the big file, streamed whole

    role = lake.job_role(job)
    permissions = lake.permissions(calls) + lake.permissions(iceberg_calls(lake, job))
    # In the lake's VPC there is no internet route: a call reaches its service through an endpoint or not
    # at all (but what a service asks KMS on the job's behalf, from its own network).
    offline = sorted(
        {p.short() for p in permissions if role.endpoint(p) is None and "kms:ViaService" not in p.conditions}
    )
    assert offline == [], f"{job} makes calls no endpoint of the lake's VPC reaches:\n" + "\n".join(offline)
    refused = lake.refused(role, permissions)
    assert refused == [], f"{role.arn} is refused {len(refused)} permission(s) its job needs:\n" + "\n".join(refused)


def job_governance_probes(lake: Lake, job: str) -> list[Permission]:
    """What governance denies a job role, derived from the job's name (``<reads>_to_<writes>``), the tables
    of each zone (the contracts), its shared tables (the plan's writer grants) and the job arguments (only a
    job given ``pii_key_parameter`` reads the PII key): no object of a zone it neither reads nor writes (but
    its shared tables), no write to the zone it reads (landing: no job ever writes it), no listing of a
    bucket it has no business in, no PII key."""
    source, target = job.split("_to_")
    buckets = lake.outputs["zone_buckets"]
    state_bucket = lake.outputs["state_uri"].removeprefix("s3://").split("/", 1)[0]
    shared = set(shared_tables(lake.deployment, job))
    tables = {zone: sorted(s.table for s in specs().values() if s.zone == zone) for zone in buckets}
    tables["landing"] = list(ENTITIES)
    why = f"governance: {job} reads {source}, writes {target} and its shared tables {sorted(shared)}"
    probes = []
    for zone, bucket in buckets.items():
        for table in tables[zone]:
            if f"{zone}.{table}" in shared:
                continue
            key = f"{table}/ingest_date={INGEST_DATE}/probe.csv" if zone == "landing" else f"{table}/data/probe.parquet"
            actions = {source: ["s3:PutObject", "s3:DeleteObject"], target: []}.get(
                zone, ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
            )
            probes += [Permission(a, lake.env.s3(bucket, key), call="probe", rule=why) for a in actions]
        if (
            zone not in (source, target)
            and bucket != state_bucket
            and not any(t.startswith(f"{zone}.") for t in shared)
        ):
            probes.append(Permission("s3:ListBucket", lake.env.s3(bucket), call="probe", rule=why))
    if "pii_key_parameter" not in REQUIRED[job]:
        (pii,) = lake.env.parameter_keys
        probes.append(
            Permission("ssm:GetParameter", lake.env.arn("ssm", f"parameter/{pii.lstrip('/')}"), call="probe", rule=why)
        )
    return probes


@pytest.mark.parametrize("job", JOBS)
def test_job_roles_are_refused_what_governance_denies(lake: Lake, job: str, at_moto: None) -> None:
    role = lake.job_role(job)
    probes = job_governance_probes(lake, job)
    assert len(probes) > 10
    granted = lake.granted(role, probes)
    assert granted == [], f"{role.arn} is allowed what governance denies it:\n" + "\n".join(granted)
    # moto, enforcing the role's applied identity policy end to end, refuses a read of a zone it must not see.
    forbidden = next(p for p in probes if p.action == "s3:GetObject")
    bucket, key = forbidden.resource.removeprefix("arn:aws:s3:::").split("/", 1)
    session = role_session(lake.deployment, role.arn, f"glue-{job}-probe", Recorder())
    with moto_checks_s3_requests_against_iam(), pytest.raises(session.client("s3").exceptions.ClientError) as denied:
        session.client("s3").get_object(Bucket=bucket, Key=key)
    assert denied.value.response["Error"]["Code"] == "AccessDenied", denied.value.response


# ---------------------------------------------------------------------------------------------
# The network path to the zones (docs/security.md, "Who reaches what")
# ---------------------------------------------------------------------------------------------

NETWORK_DENY = "DenyObjectAccessOutsideTheLakeNetwork"


def zone_objects(lake: Lake) -> dict[str, str]:
    """zone -> the ARN of an object of one of its tables (landing: a feed file)."""
    buckets = lake.outputs["zone_buckets"]
    out = {"landing": lake.env.s3(buckets["landing"], f"{ENTITIES[0]}/ingest_date={INGEST_DATE}/feed.csv")}
    for zone in ("raw", "transform", "analytics"):
        table = min(s.table for s in specs().values() if s.zone == zone)
        out[zone] = lake.env.s3(buckets[zone], f"{table}/data/ingest_date={INGEST_DATE}/00000-x.parquet")
    return out


def off_network(principal: Principal) -> Principal:
    return Principal(principal.arn, principal.account, principal.policies)


def test_zone_objects_are_reached_only_through_the_lake_network_or_by_the_exempt(lake: Lake) -> None:
    objects = zone_objects(lake)
    why = "network: zone objects only through the lake's S3 endpoint, or by an exempt principal"

    def decisions(principal: Principal, action: str, zones: list[str]) -> dict[str, Decision]:
        return {z: lake.decide(principal, Permission(action, objects[z], call="probe", rule=why)) for z in zones}

    # A job role: through the lake's S3 endpoint it reads its zone; the same role off the VPC (its
    # credentials used elsewhere), or through another VPC's endpoint, is refused by the bucket policy.
    job = lake.job_role("raw_to_transform")
    assert decisions(job, "s3:GetObject", ["raw"])["raw"].allowed
    for principal in (
        off_network(job),
        Principal(job.arn, job.account, job.policies, network=(("s3", "vpce-0ffffffffffffffff"),)),
    ):
        refused = decisions(principal, "s3:GetObject", ["raw"])["raw"]
        assert not refused.allowed and NETWORK_DENY in refused.reason, refused
    # Lake Formation's data-access role (what Athena reads the personas' tables with) and the table
    # optimizers reach the catalogued zones from AWS's own network: exempt, and allowed by their policies.
    catalogued = ["raw", "transform", "analytics"]
    for name, action in (
        ("energylake-dev-lf-data-access", "s3:GetObject"),
        ("energylake-dev-table-optimizer", "s3:DeleteObject"),
    ):
        got = decisions(lake.role(name), action, catalogued)
        assert {z: d.allowed for z, d in got.items()} == dict.fromkeys(catalogued, True), got
    # The principals named in tfvars (who applies Terraform, the operators): exempt from the network rule;
    # anyone else, however broad their IAM policy, is refused off the VPC.
    exempt = lake.outputs["network"]["zone_exempt_principals"]
    assert exempt and all(arn.startswith("arn:aws:iam::") for arn in exempt)
    everything = (Policy("identity", {"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}),)
    for arn in exempt:
        operator = Principal(arn.replace("*", "someone"), ACCOUNT, everything)
        got = decisions(operator, "s3:GetObject", list(objects))
        assert {z: d.allowed for z, d in got.items()} == dict.fromkeys(objects, True), got
    stranger = Principal(f"arn:aws:iam::{ACCOUNT}:role/not-in-tfvars", ACCOUNT, everything)
    for zone, decision in decisions(stranger, "s3:PutObject", list(objects)).items():
        assert not decision.allowed and NETWORK_DENY in decision.reason, (zone, decision)
    # A persona reads the zones only through Athena and Lake Formation, never directly from anywhere.
    persona = lake.persona_role("data_engineer")
    assert not any(d.allowed for d in decisions(persona, "s3:GetObject", list(objects)).values())


# ---------------------------------------------------------------------------------------------
# The deploy script
# ---------------------------------------------------------------------------------------------

# The minimal permissions of the identity that runs src/scripts/deploy_glue_jobs.py (with --start): what
# its recorded calls need, nothing more (the test fails if a statement or action goes unused, or a call is
# refused). Terraform manages no principal for the deploy; give these to the identity that runs it. The
# ${...} names are the environment's Terraform outputs; sts:GetCallerIdentity needs no permission.
DEPLOYER_POLICY: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [
        {
            # HeadBucket; and a HeadObject of an object not yet uploaded answers 404 only with it.
            "Sid": "ArtifactsBucket",
            "Effect": "Allow",
            "Action": ["s3:ListBucket"],
            "Resource": ["arn:aws:s3:::${artifacts_bucket}"],
        },
        {
            # HeadObject (the stored sha256) and PutObject of the library, the wheels and the job scripts.
            "Sid": "Artifacts",
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:PutObject"],
            "Resource": [
                "arn:aws:s3:::${artifacts_bucket}/${library_key}",
                "arn:aws:s3:::${artifacts_bucket}/${python_modules_key}",
                "arn:aws:s3:::${artifacts_bucket}/${script_prefix}*",
            ],
        },
        {
            # The uploads are SSE-KMS with the lake key, through S3 only.
            "Sid": "LakeKeyThroughS3",
            "Effect": "Allow",
            "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
            "Resource": ["${kms_key_arn}"],
            "Condition": {"StringEquals": {"kms:ViaService": "s3.${region}.amazonaws.com"}},
        },
        {
            "Sid": "CheckJobs",
            "Effect": "Allow",
            "Action": ["glue:GetJob"],
            "Resource": ["arn:aws:glue:${region}:${account}:job/${job_name}"],
        },
        {
            # GetWorkflow (a run in progress?); --start: StartWorkflowRun, then GetWorkflowRun to follow it.
            "Sid": "Workflow",
            "Effect": "Allow",
            "Action": ["glue:GetWorkflow", "glue:StartWorkflowRun", "glue:GetWorkflowRun"],
            "Resource": ["arn:aws:glue:${region}:${account}:workflow/${workflow_name}"],
        },
    ],
}


def deployer_policy(lake: Lake) -> Policy:
    out = lake.outputs
    script_prefixes = {j["script_key"].rsplit("/", 1)[0] + "/" for j in out["glue_jobs"].values()}
    assert len(script_prefixes) == 1, script_prefixes
    values = {
        "artifacts_bucket": out["artifacts_bucket"],
        "library_key": out["library_key"],
        "python_modules_key": out["python_modules_key"],
        "script_prefix": script_prefixes.pop(),
        "kms_key_arn": out["kms_key_arn"],
        "region": REGION,
        "account": ACCOUNT,
        "workflow_name": out["workflow_name"],
    }
    text = json.dumps(DEPLOYER_POLICY)
    for name, value in values.items():
        text = text.replace("${" + name + "}", value)
    document = json.loads(text)
    for statement in document["Statement"]:
        if any("${job_name}" in r for r in statement["Resource"]):
            statement["Resource"] = [
                r.replace("${job_name}", j["name"]) for r in statement["Resource"] for j in out["glue_jobs"].values()
            ]
    assert "${" not in json.dumps(document)
    return Policy("DEPLOYER_POLICY", document)


def test_the_deploy_needs_exactly_the_documented_deployer_permissions(
    lake: Lake, at_moto: None, tmp_path: Path
) -> None:
    deployment = lake.deployment
    recorder = Recorder()
    session = recorder.attach(
        boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION)
    )
    doc = {"lake": {"value": deployment.outputs}}
    targets = deploy.parse_outputs(doc, "terraform output -json")
    requirements = tmp_path / "requirements-glue.txt"
    requirements.write_text("toolz==1.2.0\n", encoding="utf-8")
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    (wheels / "toolz-1.2.0-py3-none-any.whl").write_bytes(b"a stand-in wheel: deploy only zips it")
    package_root = tmp_path / "src"
    shutil.copytree(REPO / "src", package_root, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    options = deploy.Options(
        package_root=package_root,
        build_dir=tmp_path / "build",
        requirements=requirements,
        wheel_dir=wheels,
        start=True,
        timeout=0.0,
        poll_interval=0.01,
        metadata={"source-commit": "policy-test"},
    )
    out = io.StringIO()
    glue = session.client("glue")
    with objects_removed_afterwards(deployment, targets.artifacts_bucket), moto_blind_to_bucket_policies():
        code = deploy.execute(targets, session.client("s3"), glue, options, out, sts=session.client("sts"))
    with suppress(Exception):  # moto's runs never end; leave none RUNNING for the deploy test of test_terraform
        run_id = re.search(r"started Glue workflow \S+: run (\S+)", out.getvalue()).group(1)  # type: ignore[union-attr]
        deployment.client("glue").stop_workflow_run(Name=targets.workflow_name, RunId=run_id)
    # Everything uploaded and checked; only following the run timed out (moto's runs never end).
    assert "5 uploaded, 0 unchanged, 0 failed; 3/3 jobs check out" in out.getvalue(), out.getvalue()
    assert code == 1 and "NOT FINISHED within --timeout 0 s" in out.getvalue()
    ops = operations(recorder.calls)
    assert {"sts.GetCallerIdentity", "s3.HeadBucket", "s3.HeadObject", "s3.PutObject", "glue.GetJob"} <= ops, ops
    assert {"glue.StartWorkflowRun", "glue.GetWorkflowRun", "glue.GetWorkflow"} <= ops, ops

    policy = deployer_policy(lake)
    deployer = Principal(f"arn:aws:iam::{ACCOUNT}:role/energylake-dev-deployer", ACCOUNT, (policy,))
    permissions = lake.permissions(recorder.calls)
    refused = lake.refused(deployer, permissions)
    assert refused == [], "the deploy needs more than DEPLOYER_POLICY allows:\n" + "\n".join(refused)
    # Minimal: every action of every statement allows at least one of the calls.
    used = {
        (statement["Sid"], action)
        for p in permissions
        for statement in policy.statements()
        for action in statement["Action"]
        if decide(
            Principal(deployer.arn, ACCOUNT, (Policy("one", {"Statement": [statement | {"Action": action}]}),)), p
        ).allowed
    }
    unused = sorted({(s["Sid"], a) for s in policy.statements() for a in s["Action"]} - used)
    assert unused == [], f"DEPLOYER_POLICY allows what the deploy never needs: {unused}"


# ---------------------------------------------------------------------------------------------
# The Athena personas
# ---------------------------------------------------------------------------------------------


def smoke_targets(lake: Lake) -> smoke.SmokeTargets:
    doc = {"lake": {"value": lake.outputs}}
    return smoke.smoke_targets(deploy.parse_outputs(doc, "terraform output -json"), doc)


@pytest.mark.parametrize("persona", ["analyst", "data_engineer"])
def test_each_persona_may_run_its_athena_queries(lake: Lake, persona: str, at_moto: None) -> None:
    targets = smoke_targets(lake)
    assert set(targets.workgroups) == {"analyst", "data_engineer"}
    recorder = Recorder()
    make = smoke.credentials_session(REGION)
    personas = smoke.Personas(
        lake.deployment.client("sts"), targets, lambda name, credentials: recorder.attach(make(name, credentials))
    )
    probe = smoke.probe_table(sorted(targets.workgroups))
    restricted = "restricted" in smoke.persona_classifications(sorted(targets.workgroups))[persona]
    options, clock = smoke.Options(), smoke.Clock()
    smoke.check_general_query(personas, persona, targets, probe, options, clock)
    with suppress(smoke.CheckFailed):  # moto answers every query; Lake Formation's refusal is the smoke check's
        smoke.check_personal_query(personas, persona, restricted, True, targets, probe, options, clock)
    assert operations(recorder.calls) == {"athena.StartQueryExecution", "athena.GetQueryExecution"}
    assert sum(c.operation == "StartQueryExecution" for c in recorder.calls) == 2

    role = lake.persona_role(persona)
    permissions = lake.permissions(recorder.calls)
    assert {"s3:GetBucketLocation", "s3:PutObject", "kms:GenerateDataKey", "glue:GetTable"} <= {
        p.action for p in permissions
    }
    refused = lake.refused(role, permissions)
    assert refused == [], f"{role.arn} is refused {len(refused)} permission(s) its queries need:\n" + "\n".join(refused)
    # The smoke check (and an analyst) assume the role from the account: its trust policy lets them.
    trust = _document(
        lake.deployment.client("iam").get_role(RoleName=role.arn.rsplit("/", 1)[1])["Role"]["AssumeRolePolicyDocument"]
    )
    operator = Principal(
        f"arn:aws:iam::{ACCOUNT}:role/operator",
        ACCOUNT,
        (Policy("operator", {"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": role.arn}]}),),
    )
    assume = Permission("sts:AssumeRole", role.arn, call="smoke.Personas.athena", rule="trust policy")
    assert decide(operator, assume, Policy("trust policy", trust)).allowed


def persona_governance_probes(lake: Lake, persona: str) -> list[Permission]:
    """What governance denies a persona: the zones' data only through Lake Formation, which filters it by
    the grants of personas.yaml (no direct S3 read or listing of a zone bucket: LF_VENDS_DATA); no other
    persona's query results (they hold what that persona may see, personal data for the data engineer) or
    workgroup; never the PII token key."""
    why = f"governance: {persona} reads the lake through Lake Formation only ({LF_VENDS_DATA})"
    probes = []
    for zone, bucket in lake.outputs["zone_buckets"].items():
        names = ENTITIES if zone == "landing" else sorted(s.table for s in specs().values() if s.zone == zone)
        for name in names:
            probes.append(
                Permission("s3:GetObject", lake.env.s3(bucket, f"{name}/data/probe.parquet"), call="probe", rule=why)
            )
        probes.append(Permission("s3:ListBucket", lake.env.s3(bucket), call="probe", rule=why))
        probes.append(Permission("s3:PutObject", lake.env.s3(bucket, "probe"), call="probe", rule=why))
    for other, workgroup in lake.outputs["athena_workgroups"].items():
        if other == persona:
            continue
        results = lake.env.workgroups[workgroup].output_location.removeprefix("s3://")
        bucket, _, prefix = results.partition("/")
        rule = f"governance: {other}'s results and workgroup are {other}'s"
        probes += [
            Permission("s3:GetObject", lake.env.s3(bucket, f"{prefix}q.csv"), call="probe", rule=rule),
            Permission("s3:ListBucket", lake.env.s3(bucket), (("s3:prefix", prefix),), call="probe", rule=rule),
            Permission(
                "athena:StartQueryExecution", lake.env.arn("athena", f"workgroup/{workgroup}"), call="probe", rule=rule
            ),
            Permission(
                "athena:GetQueryResults", lake.env.arn("athena", f"workgroup/{workgroup}"), call="probe", rule=rule
            ),
        ]
    (pii,) = lake.env.parameter_keys
    probes.append(
        Permission("ssm:GetParameter", lake.env.arn("ssm", f"parameter/{pii.lstrip('/')}"), call="probe", rule=why)
    )
    return probes


@pytest.mark.parametrize("persona", ["analyst", "data_engineer"])
def test_personas_are_refused_what_governance_denies(lake: Lake, persona: str) -> None:
    role = lake.persona_role(persona)
    probes = persona_governance_probes(lake, persona)
    granted = lake.granted(role, probes)
    assert granted == [], f"{role.arn} is allowed what governance denies it:\n" + "\n".join(granted)


def test_every_principal_of_the_plan_is_evaluated(lake: Lake) -> None:
    """The job roles and personas are checked above; the other roles of the plan are service roles whose
    callers (Lake Formation's vending, the table optimizers, VPC flow log delivery) no test here can drive: say
    so, by name. (The first two reach the zones from outside the VPC: their exemption is checked above.)"""
    checked = {lake.job_role(j).arn.rsplit("/", 1)[1] for j in JOBS}
    checked |= {lake.persona_role(p).arn.rsplit("/", 1)[1] for p in lake.outputs["persona_roles"]}
    others = sorted(set(lake.role_policies) - checked)
    assert others == ["energylake-dev-lf-data-access", "energylake-dev-table-optimizer", "energylake-dev-vpc-flow-logs"]
