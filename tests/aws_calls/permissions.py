"""What IAM must allow for each recorded call: actions, resource ARNs and request condition keys.

One function per API operation the project's code calls, each citing the page it follows: the Service
Authorization Reference (SAR, ``https://docs.aws.amazon.com/service-authorization/latest/reference/``)
for action names, resource ARN formats and condition keys, and the service's API reference or user guide
where an operation needs more than its own action (an S3 object encrypted with a KMS key, a conditional
delete, an object that does not exist, an Athena query writing its results with the caller's
credentials). ``required`` raises ``UnmappedCall`` for any other operation: a new call cannot slip by
unevaluated; map it here first, with its page.

Condition keys are the request's values as AWS would set them; ``tests.aws_calls.policy`` adds the
global ones (``aws:SecureTransport``, ``aws:PrincipalArn``, ...).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from tests.aws_calls.recorder import Call

SAR = "https://docs.aws.amazon.com/service-authorization/latest/reference"
S3_SAR = f"{SAR}/list_amazons3.html"
KMS_SAR = f"{SAR}/list_awskeymanagementservice.html"
CLOUDWATCH_SAR = f"{SAR}/list_amazoncloudwatch.html"
SSM_SAR = f"{SAR}/list_awssystemsmanager.html"
GLUE_SAR = f"{SAR}/list_awsglue.html"
ATHENA_SAR = f"{SAR}/list_amazonathena.html"
STS_SAR = f"{SAR}/list_awssecuritytokenservice.html"
LAKE_FORMATION_SAR = f"{SAR}/list_awslakeformation.html"
S3_API = "https://docs.aws.amazon.com/AmazonS3/latest/API"

# The S3 API reference, "Permissions" of GetObject and PutObject: "If the object is encrypted with SSE-KMS,
# you must also have the kms:GenerateDataKey and kms:Decrypt permissions in IAM identity-based policies and
# KMS key policies for the KMS key." (also https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html)
S3_KMS_RULE = f"{S3_API}/API_PutObject.html, {S3_API}/API_GetObject.html (Permissions: SSE-KMS)"
# GetObject and HeadObject, "Permissions": a missing key answers 404 only to a caller with s3:ListBucket
# on the bucket, 403 to any other; the code reads a 404 (NoSuchKey) as "absent", so it relies on it.
S3_MISSING_KEY_RULE = f"{S3_API}/API_GetObject.html, {S3_API}/API_HeadObject.html (Permissions: 404 vs 403)"
# "conditional deletes with a specific ETag value require both s3:DeleteObject and s3:GetObject permissions"
S3_CONDITIONAL_DELETE_RULE = "https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-delete-enforce.html"
# Athena runs a query with the caller's permissions: the results location in S3 and the catalog
# (https://docs.aws.amazon.com/athena/latest/ug/access.html); it checks the results bucket with
# GetBucketLocation ("Unable to verify/create output bucket" otherwise:
# https://repost.aws/knowledge-center/athena-output-bucket-error) and writes the results there, encrypted
# as the workgroup says (https://docs.aws.amazon.com/athena/latest/ug/encryption.html).
ATHENA_CALLER_RULE = "https://docs.aws.amazon.com/athena/latest/ug/access.html"
ATHENA_BUCKET_RULE = "https://repost.aws/knowledge-center/athena-output-bucket-error"
# Lake Formation vends the table data of its registered locations; the caller needs GetDataAccess
# (https://docs.aws.amazon.com/lake-formation/latest/dg/access-control-underlying-data.html).
LAKE_FORMATION_RULE = "https://docs.aws.amazon.com/lake-formation/latest/dg/access-control-underlying-data.html"
# GetTable needs the catalog, the database and the table
# (https://docs.aws.amazon.com/glue/latest/dg/glue-specifying-resource-arns.html).
GLUE_TABLE_RULE = "https://docs.aws.amazon.com/glue/latest/dg/glue-specifying-resource-arns.html"
# "Any principal that retrieves the decrypted value must have kms:Decrypt permission on that key"
SSM_DECRYPT_RULE = "https://docs.aws.amazon.com/systems-manager/latest/userguide/ps-restrict-decryption.html"


class UnmappedCall(AssertionError):
    """A call whose IAM actions nobody has mapped yet."""


@dataclass(frozen=True)
class Permission:
    action: str
    resource: str
    context: tuple[tuple[str, str], ...] = ()  # request condition keys and their values
    call: str = ""  # the call that needs it, for messages
    rule: str = ""  # the page that says so

    @property
    def conditions(self) -> dict[str, str]:
        return dict(self.context)

    def short(self) -> str:
        keys = "".join(f" [{k}={v}]" for k, v in self.context)
        return f"{self.action} on {self.resource}{keys}"


@dataclass(frozen=True)
class Workgroup:
    output_location: str  # s3://bucket/prefix/
    kms_key: str | None  # SSE_KMS or CSE_KMS key of the results


@dataclass
class Environment:
    """What the mapping needs to know of the account beyond the call itself."""

    account: str
    region: str
    partition: str = "aws"
    parameter_keys: dict[str, str] = field(default_factory=dict)  # SSM SecureString name -> its KMS key ARN
    workgroups: dict[str, Workgroup] = field(default_factory=dict)  # Athena workgroup name -> its results
    query_workgroups: dict[str, str] = field(default_factory=dict)  # query id -> workgroup (filled as mapped)

    def arn(self, service: str, resource: str, region: bool = True, account: bool = True) -> str:
        return (
            f"arn:{self.partition}:{service}:{self.region if region else ''}:{self.account if account else ''}:"
            f"{resource}"
        )

    def s3(self, bucket: str, key: str | None = None) -> str:
        return f"arn:{self.partition}:s3:::{bucket}" + ("" if key is None else f"/{key}")


Mapper = Callable[[Call, Environment], list[Permission]]
MAPPERS: dict[tuple[str, str], Mapper] = {}


def maps(service: str, *operations: str) -> Callable[[Mapper], Mapper]:
    def register(function: Mapper) -> Mapper:
        for operation in operations:
            MAPPERS[(service, operation)] = function
        return function

    return register


def required(call: Call, env: Environment) -> list[Permission]:
    """Every permission ``call`` needs of its caller (an empty list: it needs none)."""
    mapper = MAPPERS.get((call.service, call.operation))
    if mapper is None:
        raise UnmappedCall(
            f"no IAM mapping for {call.label()} ({call.params}): add it to tests/aws_calls/permissions.py, "
            f"citing the Service Authorization Reference page of {call.service} ({SAR}/)"
        )
    return mapper(call, env)


def _perm(call: Call, action: str, resource: str, rule: str, **context: str) -> Permission:
    return Permission(action, resource, tuple(sorted(context.items())), _describe(call), rule)


def _describe(call: Call) -> str:
    target = call.params.get("Key") or call.params.get("Name") or call.params.get("JobName") or ""
    bucket = call.params.get("Bucket")
    where = f" s3://{bucket}/{target}" if bucket else (f" {target}" if target else "")
    return f"{call.label()}{where} ({call.status if call.status is not None else 'no answer'})"


# --------------------------------------------------------------------------------------------------
# Amazon S3 (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html)


def _kms_key_of(call: Call) -> str | None:
    """The KMS key of an SSE-KMS object, from the answer's headers (or the request, for a PUT)."""
    if call.headers.get("x-amz-server-side-encryption") == "aws:kms":
        return call.headers.get("x-amz-server-side-encryption-aws-kms-key-id") or call.params.get("SSEKMSKeyId")
    if call.params.get("ServerSideEncryption") == "aws:kms":
        return call.params.get("SSEKMSKeyId")
    return None


def _s3_kms(call: Call, env: Environment) -> list[Permission]:
    key = _kms_key_of(call)
    if key is None or not call.succeeded:
        return []
    bucket = call.params["Bucket"]
    via = {"kms:ViaService": f"s3.{env.region}.amazonaws.com", "kms:CallerAccount": env.account}
    # With an S3 Bucket Key the encryption context is the bucket's ARN, otherwise the object's
    # (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-key.html).
    bucket_key = call.headers.get("x-amz-server-side-encryption-bucket-key-enabled") == "true"
    context = env.s3(bucket) if bucket_key else env.s3(bucket, call.params.get("Key"))
    return [
        _perm(call, action, key, S3_KMS_RULE, **via, **{"kms:EncryptionContext:aws:s3:arn": context})
        for action in ("kms:GenerateDataKey", "kms:Decrypt")
    ]


def _missing_key(call: Call, env: Environment) -> list[Permission]:
    if call.status == 404:
        return [_perm(call, "s3:ListBucket", env.s3(call.params["Bucket"]), S3_MISSING_KEY_RULE)]
    return []


@maps("s3", "ListObjectsV2")
def _list_objects(call: Call, env: Environment) -> list[Permission]:
    keys = {
        "s3:prefix": call.params.get("Prefix"),
        "s3:delimiter": call.params.get("Delimiter"),
        "s3:max-keys": str(call.params["MaxKeys"]) if "MaxKeys" in call.params else None,
    }
    context = {k: v for k, v in keys.items() if v is not None}
    return [
        _perm(
            call,
            "s3:ListBucket",
            env.s3(call.params["Bucket"]),
            f"{S3_SAR}, {S3_API}/API_ListObjectsV2.html",
            **context,
        )
    ]


@maps("s3", "HeadBucket")
def _head_bucket(call: Call, env: Environment) -> list[Permission]:
    # "To use this operation, you must have permissions to perform the s3:ListBucket action."
    return [_perm(call, "s3:ListBucket", env.s3(call.params["Bucket"]), f"{S3_API}/API_HeadBucket.html")]


@maps("s3", "GetObject")
def _get_object(call: Call, env: Environment) -> list[Permission]:
    action = "s3:GetObjectVersion" if call.params.get("VersionId") else "s3:GetObject"
    obj = env.s3(call.params["Bucket"], call.params["Key"])
    return [
        _perm(call, action, obj, f"{S3_SAR}, {S3_API}/API_GetObject.html"),
        *_missing_key(call, env),
        *_s3_kms(call, env),
    ]


@maps("s3", "HeadObject")
def _head_object(call: Call, env: Environment) -> list[Permission]:
    # "To use HEAD, you must have the s3:GetObject permission"; KMS permissions only "if you enable
    # x-amz-checksum-mode in the request and the object is encrypted with ... KMS".
    obj = env.s3(call.params["Bucket"], call.params["Key"])
    kms = _s3_kms(call, env) if call.params.get("ChecksumMode") else []
    return [_perm(call, "s3:GetObject", obj, f"{S3_API}/API_HeadObject.html"), *_missing_key(call, env), *kms]


def _put_context(call: Call) -> dict[str, str]:
    keys = {
        "s3:x-amz-server-side-encryption": call.params.get("ServerSideEncryption"),
        "s3:x-amz-server-side-encryption-aws-kms-key-id": call.params.get("SSEKMSKeyId"),
        "s3:if-match": call.params.get("IfMatch"),
        "s3:if-none-match": call.params.get("IfNoneMatch"),
    }
    return {k: v for k, v in keys.items() if v is not None}


@maps("s3", "PutObject", "CreateMultipartUpload", "UploadPart", "CompleteMultipartUpload")
def _put_object(call: Call, env: Environment) -> list[Permission]:
    # The multipart operations authorize as s3:PutObject (SAR, "API operations" table).
    obj = env.s3(call.params["Bucket"], call.params["Key"])
    put = _perm(call, "s3:PutObject", obj, f"{S3_SAR}, {S3_API}/API_{call.operation}.html", **_put_context(call))
    return [put, *_s3_kms(call, env)]


@maps("s3", "AbortMultipartUpload")
def _abort_upload(call: Call, env: Environment) -> list[Permission]:
    obj = env.s3(call.params["Bucket"], call.params["Key"])
    return [_perm(call, "s3:AbortMultipartUpload", obj, f"{S3_SAR}, {S3_API}/API_AbortMultipartUpload.html")]


@maps("s3", "DeleteObject")
def _delete_object(call: Call, env: Environment) -> list[Permission]:
    if call.params.get("VersionId"):
        raise UnmappedCall("DeleteObject of a version needs s3:DeleteObjectVersion: map it first")
    obj = env.s3(call.params["Bucket"], call.params["Key"])
    perms = [_perm(call, "s3:DeleteObject", obj, f"{S3_SAR}, {S3_API}/API_DeleteObject.html")]
    if call.params.get("IfMatch") not in (None, "*"):
        perms.append(_perm(call, "s3:GetObject", obj, S3_CONDITIONAL_DELETE_RULE))
    return perms


# --------------------------------------------------------------------------------------------------
# Amazon CloudWatch (list_amazoncloudwatch.html): PutMetricData has no resource type, only cloudwatch:namespace
# (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/iam-cw-condition-keys-namespace.html).


@maps("cloudwatch", "PutMetricData")
def _put_metric_data(call: Call, env: Environment) -> list[Permission]:
    return [
        _perm(
            call, "cloudwatch:PutMetricData", "*", CLOUDWATCH_SAR, **{"cloudwatch:namespace": call.params["Namespace"]}
        )
    ]


# --------------------------------------------------------------------------------------------------
# AWS Systems Manager (list_awssystemsmanager.html): parameter ARN
# arn:${Partition}:ssm:${Region}:${Account}:parameter/${ParameterNameWithoutLeadingSlash}


@maps("ssm", "GetParameter")
def _get_parameter(call: Call, env: Environment) -> list[Permission]:
    name = call.params["Name"]
    perms = [_perm(call, "ssm:GetParameter", env.arn("ssm", f"parameter/{name.lstrip('/')}"), SSM_SAR)]
    if call.params.get("WithDecryption") and call.succeeded:
        key = env.parameter_keys.get(name)
        if key is None:
            raise UnmappedCall(
                f"GetParameter {name} WithDecryption: which KMS key encrypts it? (Environment.parameter_keys)"
            )
        via = {"kms:ViaService": f"ssm.{env.region}.amazonaws.com", "kms:CallerAccount": env.account}
        context = {"kms:EncryptionContext:PARAMETER_ARN": env.arn("ssm", f"parameter/{name.lstrip('/')}")}
        perms.append(_perm(call, "kms:Decrypt", key, SSM_DECRYPT_RULE, **via, **context))
    return perms


# --------------------------------------------------------------------------------------------------
# AWS Glue (list_awsglue.html): job arn:...:job/${JobName}, workflow arn:...:workflow/${WorkflowName},
# catalog arn:...:catalog, database arn:...:database/${DatabaseName}, table arn:...:table/${Db}/${Table}


@maps("glue", "GetJobRun", "GetJob", "StartJobRun")
def _glue_job(call: Call, env: Environment) -> list[Permission]:
    return [_perm(call, f"glue:{call.operation}", env.arn("glue", f"job/{call.params['JobName']}"), GLUE_SAR)]


@maps("glue", "GetWorkflow", "StartWorkflowRun", "GetWorkflowRun")
def _glue_workflow(call: Call, env: Environment) -> list[Permission]:
    return [_perm(call, f"glue:{call.operation}", env.arn("glue", f"workflow/{call.params['Name']}"), GLUE_SAR)]


def _catalog(env: Environment, database: str, table: str | None = None) -> list[str]:
    arns = [env.arn("glue", "catalog"), env.arn("glue", f"database/{database}")]
    return arns + ([env.arn("glue", f"table/{database}/{table}")] if table else [])


@maps("glue", "GetTable", "UpdateTable", "GetDatabase")
def _glue_catalog(call: Call, env: Environment) -> list[Permission]:
    database = call.params.get("DatabaseName") or call.params["Name"]
    table = call.params.get("Name") if call.operation == "GetTable" else None
    if call.operation == "UpdateTable":
        table = call.params["TableInput"]["Name"]
    return [_perm(call, f"glue:{call.operation}", arn, GLUE_TABLE_RULE) for arn in _catalog(env, database, table)]


# --------------------------------------------------------------------------------------------------
# AWS Lake Formation (list_awslakeformation.html): GetDataAccess has no resource type.


@maps("lakeformation", "GetDataAccess")
def _get_data_access(call: Call, env: Environment) -> list[Permission]:
    return [_perm(call, "lakeformation:GetDataAccess", "*", LAKE_FORMATION_RULE)]


# --------------------------------------------------------------------------------------------------
# AWS STS (list_awssecuritytokenservice.html)


@maps("sts", "GetCallerIdentity")
def _caller_identity(call: Call, env: Environment) -> list[Permission]:
    # "No permissions are required to perform this operation."
    # (https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html)
    return []


@maps("sts", "AssumeRole")
def _assume_role(call: Call, env: Environment) -> list[Permission]:
    return [_perm(call, "sts:AssumeRole", call.params["RoleArn"], STS_SAR)]


# --------------------------------------------------------------------------------------------------
# Amazon Athena (list_amazonathena.html): workgroup arn:...:workgroup/${WorkGroupName}

_TABLE_REFERENCE = re.compile(r'\b(?:FROM|JOIN)\s+"?([A-Za-z0-9_]+)"?\s*\.\s*"?([A-Za-z0-9_]+)"?', re.IGNORECASE)


def _workgroup(env: Environment, name: str) -> str:
    return env.arn("athena", f"workgroup/{name}")


@maps("athena", "StartQueryExecution")
def _start_query(call: Call, env: Environment) -> list[Permission]:
    name = call.params.get("WorkGroup") or "primary"
    perms = [_perm(call, "athena:StartQueryExecution", _workgroup(env, name), ATHENA_SAR)]
    if not call.succeeded:
        return perms
    query_id = str(call.response["QueryExecutionId"])
    env.query_workgroups[query_id] = name
    # What Athena then does with the caller's credentials.
    tables = _TABLE_REFERENCE.findall(call.params["QueryString"])
    if not tables:
        raise UnmappedCall(f"which tables does {call.params['QueryString']!r} read? (qualify them as db.table)")
    for database, table in tables:
        for action in ("glue:GetDatabase", "glue:GetTable"):
            arns = _catalog(env, database, table if action == "glue:GetTable" else None)
            perms += [_perm(call, action, arn, f"{ATHENA_CALLER_RULE}, {GLUE_TABLE_RULE}") for arn in arns]
    perms.append(_perm(call, "lakeformation:GetDataAccess", "*", LAKE_FORMATION_RULE))
    workgroup = env.workgroups.get(name)
    if workgroup is None:
        raise UnmappedCall(f"where does workgroup {name} write its results? (Environment.workgroups)")
    bucket, _, prefix = workgroup.output_location.removeprefix("s3://").partition("/")
    perms.append(_perm(call, "s3:GetBucketLocation", env.s3(bucket), ATHENA_BUCKET_RULE))
    for suffix in (".csv", ".csv.metadata"):
        results = Call(
            "s3",
            "PutObject",
            {"Bucket": bucket, "Key": f"{prefix}{query_id}{suffix}"}
            | ({"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": workgroup.kms_key} if workgroup.kms_key else {}),
            call.region,
            200,
        )
        perms += [
            Permission(
                p.action, p.resource, p.context, f"{_describe(call)}: Athena writes {results.params['Key']}", p.rule
            )
            for p in _put_object(results, env)
        ]
    return perms


@maps("athena", "GetQueryExecution", "StopQueryExecution")
def _query_execution(call: Call, env: Environment) -> list[Permission]:
    execution = call.response.get("QueryExecution", {})
    name = execution.get("WorkGroup") or env.query_workgroups.get(str(call.params["QueryExecutionId"]))
    if name is None:
        raise UnmappedCall(f"{call.label()} of query {call.params['QueryExecutionId']}: in which workgroup?")
    return [_perm(call, f"athena:{call.operation}", _workgroup(env, name), ATHENA_SAR)]
