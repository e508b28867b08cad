"""tests.aws_calls: the recorder, the IAM mapping of each call, and the policy evaluator.

The evaluator is checked against the rules of the IAM policy evaluation logic it implements, and against
moto's engine where the two differ (why the policy checks use this one; moto still enforces S3 identity
policies end to end in tests/integration/test_policies_evaluated.py).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from tests.aws_calls.permissions import Environment, Permission, UnmappedCall, Workgroup, required
from tests.aws_calls.policy import Policy, Principal, UnsupportedPolicy, decide, matches
from tests.aws_calls.recorder import Call, Recorder

REGION = "eu-west-1"
ACCOUNT = "123456789012"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/job"
BUCKET = "lake-raw"


def principal(*statements: dict[str, Any]) -> Principal:
    return Principal(ROLE, ACCOUNT, (Policy("identity", {"Version": "2012-10-17", "Statement": list(statements)}),))


def allow(action: Any, resource: Any, **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def perm(action: str, resource: str, **context: str) -> Permission:
    return Permission(action, resource, tuple(sorted(context.items())))


@pytest.fixture
def session(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        yield boto3.Session(region_name=REGION)


def test_the_recorder_maps_an_sse_kms_write_read_and_a_missing_key(session: Any) -> None:
    key = session.client("kms").create_key()["KeyMetadata"]["Arn"]
    s3 = session.client("s3")
    s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_bucket_encryption(
        Bucket=BUCKET,
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key}}]
        },
    )
    recorder = Recorder()
    client = recorder.attach(session.client("s3"))
    client.put_object(Bucket=BUCKET, Key="_lake/LOCK.json", Body=b"{}", IfNoneMatch="*")
    client.get_object(Bucket=BUCKET, Key="_lake/LOCK.json")["Body"].read()
    with pytest.raises(client.exceptions.NoSuchKey):
        client.get_object(Bucket=BUCKET, Key="_lake/absent.json")
    client.list_objects_v2(Bucket=BUCKET, Prefix="_lake/")

    assert [(c.label(), c.status) for c in recorder.calls] == [
        ("s3.PutObject", 200),
        ("s3.GetObject", 200),
        ("s3.GetObject", 404),
        ("s3.ListObjectsV2", 200),
    ]
    assert recorder.calls[0].params["Body"] == "<data>"  # data never kept
    env = Environment(ACCOUNT, REGION)
    needs = [[p.short() for p in required(call, env)] for call in recorder.calls]
    obj = f"arn:aws:s3:::{BUCKET}/_lake/LOCK.json"
    assert needs[0][0] == f"s3:PutObject on {obj} [s3:if-none-match=*]"
    assert {n.split(" [")[0] for n in needs[0][1:]} == {f"kms:GenerateDataKey on {key}", f"kms:Decrypt on {key}"}
    assert needs[1][0] == f"s3:GetObject on {obj}" and len(needs[1]) == 3  # + the key's two actions
    # NoSuchKey (404) instead of AccessDenied (403) needs s3:ListBucket; nothing was decrypted.
    assert needs[2] == [
        f"s3:GetObject on arn:aws:s3:::{BUCKET}/_lake/absent.json",
        f"s3:ListBucket on arn:aws:s3:::{BUCKET}",
    ]
    assert needs[3] == [f"s3:ListBucket on arn:aws:s3:::{BUCKET} [s3:prefix=_lake/]"]


def test_an_operation_nobody_mapped_fails_loudly() -> None:
    with pytest.raises(UnmappedCall, match=r"no IAM mapping for s3\.CopyObject"):
        required(Call("s3", "CopyObject", {"Bucket": BUCKET, "Key": "k"}, REGION, 200), Environment(ACCOUNT, REGION))


def test_athena_writes_the_results_with_the_callers_credentials() -> None:
    env = Environment(ACCOUNT, REGION, workgroups={"wg": Workgroup("s3://results/analyst/", "arn:aws:kms:k")})
    sql = 'SELECT "id" FROM "db_transform"."customers" LIMIT 1'
    call = Call("athena", "StartQueryExecution", {"QueryString": sql, "WorkGroup": "wg"}, REGION, 200)
    call.response["QueryExecutionId"] = "q1"
    actions = {(p.action, p.resource) for p in required(call, env)}
    assert ("athena:StartQueryExecution", f"arn:aws:athena:{REGION}:{ACCOUNT}:workgroup/wg") in actions
    assert ("glue:GetTable", f"arn:aws:glue:{REGION}:{ACCOUNT}:table/db_transform/customers") in actions
    assert ("s3:GetBucketLocation", "arn:aws:s3:::results") in actions
    assert ("s3:PutObject", "arn:aws:s3:::results/analyst/q1.csv") in actions
    assert ("kms:GenerateDataKey", "arn:aws:kms:k") in actions
    get = Call("athena", "GetQueryExecution", {"QueryExecutionId": "q1"}, REGION, 200)
    assert [p.resource for p in required(get, env)] == [f"arn:aws:athena:{REGION}:{ACCOUNT}:workgroup/wg"]


# ------------------------------------------------------------------------------------------------
# The evaluator


def test_wildcards_and_an_explicit_deny() -> None:
    assert matches("arn:aws:s3:::b/_lake/*", "arn:aws:s3:::b/_lake/runs/r1.json")
    assert matches("glue:Get?obRun", "glue:GetJobRun") and not matches("glue:Get?obRun", "glue:GetJobRuns")
    assert not matches("arn:aws:s3:::b.c/*", "arn:aws:s3:::bxc/k")  # a dot is a dot
    role = principal(
        allow("s3:*", "*"), {"Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "arn:aws:s3:::b/*"}
    )
    assert decide(role, perm("s3:GetObject", "arn:aws:s3:::b/k")).allowed
    denied = decide(role, perm("s3:DeleteObject", "arn:aws:s3:::b/k"))
    assert not denied.allowed and denied.reason == "explicitly denied by identity#(no Sid)"
    assert decide(principal(allow("S3:getobject", "*")), perm("s3:GetObject", "x")).allowed  # actions: any case
    nothing = decide(principal(allow("s3:GetObject", "arn:aws:s3:::other/*")), perm("s3:GetObject", "arn:aws:s3:::b/k"))
    assert (nothing.allowed, nothing.reason) == (False, "no statement allows it (implicit deny)")
    not_action = principal({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})
    assert decide(not_action, perm("s3:GetObject", "x")).allowed
    assert not decide(not_action, perm("iam:PassRole", "x")).allowed


def test_an_s3_prefix_condition_on_get_bucket_location_denies_it_and_moto_misses_that() -> None:
    """Issue 13, defect 3: s3:prefix is a key of ListBucket only; GetBucketLocation never carries it."""
    from moto.iam.access_control import IAMPolicy, PermissionResult

    statement = allow(
        ["s3:ListBucket", "s3:GetBucketLocation"],
        "arn:aws:s3:::results",
        Condition={"StringLike": {"s3:prefix": "analyst/*"}},
    )
    role = principal(statement)
    assert decide(role, perm("s3:ListBucket", "arn:aws:s3:::results", **{"s3:prefix": "analyst/"})).allowed
    assert not decide(role, perm("s3:ListBucket", "arn:aws:s3:::results", **{"s3:prefix": "data_engineer/"})).allowed
    assert not decide(role, perm("s3:GetBucketLocation", "arn:aws:s3:::results")).allowed
    # moto's engine takes any condition as met when the request carries no values for it.
    moto = IAMPolicy(json.dumps({"Statement": [statement]}))
    assert moto.is_action_permitted("s3:GetBucketLocation", "arn:aws:s3:::results") == PermissionResult.PERMITTED


def test_condition_operators() -> None:
    metrics = principal(
        allow("cloudwatch:PutMetricData", "*", Condition={"StringEquals": {"cloudwatch:namespace": ["EnergyLake"]}})
    )
    assert decide(metrics, perm("cloudwatch:PutMetricData", "*", **{"cloudwatch:namespace": "EnergyLake"})).allowed
    assert not decide(metrics, perm("cloudwatch:PutMetricData", "*", **{"cloudwatch:namespace": "Other"})).allowed
    assert not decide(metrics, perm("cloudwatch:PutMetricData", "*")).allowed  # key absent: no match
    negated = principal(allow("s3:PutObject", "*", Condition={"StringNotEquals": {"s3:x-amz-acl": "public-read"}}))
    assert decide(negated, perm("s3:PutObject", "x")).allowed  # key absent: a negated operator holds
    if_exists = principal(allow("s3:PutObject", "*", Condition={"StringEqualsIfExists": {"s3:x-amz-acl": "private"}}))
    assert decide(if_exists, perm("s3:PutObject", "x")).allowed
    null = principal(allow("s3:DeleteObject", "*", Condition={"Null": {"s3:if-match": "false"}}))
    assert decide(null, perm("s3:DeleteObject", "x", **{"s3:if-match": "e"})).allowed
    assert not decide(null, perm("s3:DeleteObject", "x")).allowed
    with pytest.raises(UnsupportedPolicy, match="NumericLessThan"):
        decide(
            principal(allow("s3:ListBucket", "*", Condition={"NumericLessThan": {"s3:max-keys": "10"}})),
            perm("s3:ListBucket", "b"),
        )
    with pytest.raises(UnsupportedPolicy, match="policy variable"):
        decide(
            principal(allow("s3:GetObject", "arn:aws:s3:::b/${aws:username}/*")),
            perm("s3:GetObject", "arn:aws:s3:::b/u/k"),
        )


def test_a_bucket_policy_denies_plain_http_but_not_tls() -> None:
    tls = Policy(
        "bucket",
        {
            "Statement": [
                {
                    "Sid": "DenyInsecureTransport",
                    "Effect": "Deny",
                    "Principal": {"AWS": "*"},
                    "Action": "s3:*",
                    "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"],
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                }
            ]
        },
    )
    role = principal(allow("s3:GetObject", "arn:aws:s3:::b/*"))
    assert decide(role, perm("s3:GetObject", "arn:aws:s3:::b/k"), tls).allowed  # the SDKs use TLS
    http = perm("s3:GetObject", "arn:aws:s3:::b/k", **{"aws:SecureTransport": "false"})
    assert decide(role, http, tls).reason == "explicitly denied by bucket#DenyInsecureTransport"


def test_a_zone_bucket_denies_object_access_off_the_lake_network_but_to_the_exempt() -> None:
    """The zone buckets' network Deny (modules/data_zones): through the endpoint, or an exempt principal."""
    vpce = "vpce-0123456789abcdef0"
    zone = Policy(
        "bucket",
        {
            "Statement": [
                {
                    "Sid": "DenyObjectAccessOutsideTheLakeNetwork",
                    "Effect": "Deny",
                    "Principal": {"AWS": "*"},
                    "Action": "s3:*",
                    "Resource": "arn:aws:s3:::b/*",
                    "Condition": {
                        "StringNotEquals": {"aws:SourceVpce": vpce},
                        "ArnNotLike": {"aws:PrincipalArn": [f"arn:aws:iam::{ACCOUNT}:role/lf-*"]},
                    },
                }
            ]
        },
    )
    statement = allow("s3:GetObject", "arn:aws:s3:::b/*")
    read = perm("s3:GetObject", "arn:aws:s3:::b/k")
    inside = Principal(ROLE, ACCOUNT, principal(statement).policies, network=(("s3", vpce),))
    assert decide(inside, read, zone).allowed
    outside = principal(statement)
    assert decide(outside, read, zone).reason == "explicitly denied by bucket#DenyObjectAccessOutsideTheLakeNetwork"
    other_endpoint = Principal(ROLE, ACCOUNT, outside.policies, network=(("s3", "vpce-0000000000000000f"),))
    assert not decide(other_endpoint, read, zone).allowed
    exempt = Principal(f"arn:aws:iam::{ACCOUNT}:role/lf-data-access", ACCOUNT, outside.policies)
    assert decide(exempt, read, zone).allowed
    # The endpoint reaches S3 only: a Glue call of the same principal carries no aws:SourceVpce of it.
    assert "aws:SourceVpce" not in inside.context(REGION, perm("glue:GetTable", "t"))


def test_a_request_through_an_endpoint_needs_its_policy_too() -> None:
    vpce = "vpce-0123456789abcdef0"
    role = Principal(ROLE, ACCOUNT, principal(allow("s3:*", "*")).policies, network=(("s3", vpce),))
    endpoint = Policy(
        "endpoint",
        {
            "Statement": [
                {
                    "Sid": "Lake",
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "s3:GetObject",
                    "Resource": "arn:aws:s3:::b/*",
                }
            ]
        },
    )
    assert decide(role, perm("s3:GetObject", "arn:aws:s3:::b/k"), endpoint_policy=endpoint).allowed
    other = decide(role, perm("s3:GetObject", "arn:aws:s3:::other/k"), endpoint_policy=endpoint)
    assert (other.allowed, other.reason) == (False, f"the policy of endpoint {vpce} does not allow it")
    assert not decide(role, perm("s3:PutObject", "arn:aws:s3:::b/k"), endpoint_policy=endpoint).allowed
    # KMS called by S3 on the principal's behalf leaves from S3, not through the principal's endpoint.
    kms = Principal(ROLE, ACCOUNT, role.policies, network=(("kms", vpce),))
    assert kms.endpoint(perm("kms:Decrypt", "k", **{"kms:ViaService": "s3.eu-west-1.amazonaws.com"})) is None
    assert kms.endpoint(perm("kms:Decrypt", "k")) == vpce


def test_a_key_policy_must_allow_the_principal_or_let_iam_decide() -> None:
    key = "arn:aws:kms:eu-west-1:123456789012:key/k"
    role = principal(allow("kms:Decrypt", key))
    account = {
        "Sid": "Account",
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
        "Action": "kms:*",
        "Resource": "*",
    }
    direct = {"Sid": "Role", "Effect": "Allow", "Principal": {"AWS": ROLE}, "Action": "kms:Decrypt", "Resource": "*"}
    service = {
        "Sid": "Events",
        "Effect": "Allow",
        "Principal": {"Service": "events.amazonaws.com"},
        "Action": "kms:*",
        "Resource": "*",
    }
    decrypt = perm("kms:Decrypt", key)
    assert decide(role, decrypt, Policy("key", {"Statement": [account]}), key_policy=True).allowed
    assert not decide(principal(), decrypt, Policy("key", {"Statement": [account]}), key_policy=True).allowed
    assert decide(principal(), decrypt, Policy("key", {"Statement": [direct]}), key_policy=True).allowed
    refused = decide(role, decrypt, Policy("key", {"Statement": [service]}), key_policy=True)
    assert (refused.allowed, refused.reason) == (
        False,
        "the key policy neither allows the principal nor lets IAM policies decide",
    )
