"""The Terraform configuration, proven offline: fmt, validate, checkov, and plan/apply/destroy against moto.

Everything runs on a scratch copy (``terraform_harness.Workspace``); the repository is only read.
The apply is of the dev environment against a moto server on 127.0.0.1, with a test-only override
file pointing every endpoint there. What moto cannot create is listed in ``NOT_APPLIED`` with the
reason; those resources are still planned here (the full plan must contain them) and are covered by
``terraform validate`` and checkov. The plan and apply are the session's ``deployment`` fixture
(``conftest.py``), shared with ``test_policies_evaluated.py``; the last test here destroys it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from energy_lake.etl.jobs import metric_names
from energy_lake.etl.jobs.args import JOBS, REQUIRED
from energy_lake.etl.lake.iceberg import CATALOG
from energy_lake.etl.lake.maintenance import retention
from energy_lake.etl.lake.tables import specs
from energy_lake.etl.model.contracts import ENTITIES, load_contract
from tests.glue_wheels import wheel_args
from tests.integration.conftest import ACCOUNT, DEPLOYER, ENV, NOT_APPLIED, ORG, REGION, TEST_SETTINGS, Deployment
from tests.integration.terraform_harness import (
    ENVIRONMENTS,
    REPO,
    TERRAFORM_ROOT,
    Terraform,
    Workspace,
    resource_addresses,
    settings_override,
)

pytestmark = [pytest.mark.terraform, pytest.mark.timeout(600)]

CHECKOV = REPO / ".venv-checkov" / "bin" / "checkov"

# Applied and checked, then removed from the state before destroy because moto cannot delete them.
NOT_DESTROYED = {
    "module.lake.module.athena.aws_athena_named_query.this": "moto has no DeleteNamedQuery",
    "module.lake.module.glue_jobs.aws_glue_connection.network": (
        "moto 5.1.15 has no DeleteConnection, and the provider retries until its timeout"
    ),
    "module.lake.module.lake_formation.aws_lakeformation_resource_lf_tags.pii_columns": (
        "moto 5.1.15 fails inside RemoveLFTagsFromResource for column-level tags, and the provider "
        "retries until its timeout"
    ),
    **{
        f"module.lake.module.lake_formation.aws_lakeformation_permissions.{name}": (
            "after RevokePermissions moto still lists the grant, so the provider reports the revoke as failed"
        )
        for name in ("named_tables", "writer_locations")
    },
}


# ---------------------------------------------------------------------------------------------
# Static checks
# ---------------------------------------------------------------------------------------------


def test_terraform_fmt(terraform: Terraform) -> None:
    done = terraform.run(TERRAFORM_ROOT, "fmt", "-check", "-recursive", "-diff", check=False)
    assert done.returncode == 0, (
        f"terraform fmt would change these files (run `terraform fmt -recursive`):\n{done.stdout}"
    )


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_init_and_validate(terraform: Terraform, workspace: Workspace, environment: str) -> None:
    directory = workspace.environment(environment)
    terraform.run(directory, "init", "-backend=false", "-input=false")
    result = terraform.json(directory, "validate")
    assert result["valid"], json.dumps(result["diagnostics"], indent=2)
    assert result["warning_count"] == 0, json.dumps(result["diagnostics"], indent=2)


def test_provider_comes_from_the_mirror_when_there_is_one(terraform: Terraform, workspace: Workspace) -> None:
    directory = workspace.environment("prod")
    terraform.run(directory, "init", "-backend=false", "-input=false")
    lock = (directory / ".terraform.lock.hcl").read_text()
    match = re.search(r'provider "registry.terraform.io/hashicorp/aws" \{\s*version\s*=\s*"([0-9.]+)"', lock)
    assert match, lock
    major, minor, _ = (int(x) for x in match.group(1).split("."))
    assert (5, 80) <= (major, minor) < (6, 0)
    if terraform.mirror is not None:
        mirrored = {p.name for p in (terraform.mirror / "registry.terraform.io/hashicorp/aws").iterdir()}
        assert match.group(1) in mirrored


def test_checkov_finds_nothing(tmp_path: Path) -> None:
    if not CHECKOV.exists():
        pytest.skip(f"checkov is not installed at {CHECKOV} (`make checkov` creates .venv-checkov)")
    done = subprocess.run(
        [str(CHECKOV), "-d", str(REPO / "infrastructure"), "--framework", "terraform", "--skip-download", "-o", "json"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "BC_SKIP_MAPPING": "TRUE", "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false"},
        cwd=tmp_path,
    )
    report = json.loads(done.stdout)
    reports = report if isinstance(report, list) else [report]
    failed = [c for r in reports for c in r["results"]["failed_checks"]]
    assert not failed, "\n".join(
        f"{c['check_id']} {c['resource']} {c['file_path']}:{c['file_line_range']}" for c in failed
    )
    summary = reports[0]["summary"]
    assert summary["passed"] > 100, summary  # it really scanned the modules
    skipped = {(c["check_id"], c["resource"]) for r in reports for c in r["results"].get("skipped_checks", [])}
    assert skipped, "expected the skips written next to the resources"
    security = (REPO / "docs" / "security.md").read_text()
    for check_id, resource in skipped:
        assert check_id in security, f"checkov skip {check_id} on {resource} is not listed in docs/security.md"


# ---------------------------------------------------------------------------------------------
# Plan and apply against moto
# ---------------------------------------------------------------------------------------------


def test_full_plan_includes_what_moto_cannot_apply(deployment: Deployment) -> None:
    planned = set(resource_addresses(deployment.plan))
    assert set(NOT_APPLIED) <= planned
    assert len(planned) > 40


def test_outputs_are_the_deploy_contract(deployment: Deployment) -> None:
    out = deployment.outputs
    prefix = f"{ORG}-{ENV}-{REGION}-{ACCOUNT}"
    assert out["environment"] == ENV and out["region"] == REGION
    assert out["zone_buckets"] == {z: f"{prefix}-{z}" for z in ("landing", "raw", "transform", "analytics")}
    assert out["artifacts_bucket"] == f"{prefix}-artifacts"
    assert out["glue_databases"] == {z: f"{ORG}_{ENV}_{z}" for z in ("raw", "transform", "analytics")}
    assert out["state_uri"] == f"s3://{prefix}-raw/_lake"
    assert set(out["glue_jobs"]) == set(JOBS)
    for job, value in out["glue_jobs"].items():
        assert set(value) == {"name", "script_key"}
        assert value["script_key"] == f"glue/scripts/{job}.py"
    assert out["library_key"] == "glue/lib/energy_lake.zip"
    assert out["python_modules_key"] == "glue/lib/python-modules.gluewheels.zip"
    assert out["workflow_name"] == f"{ORG}-{ENV}-pipeline"
    assert set(out["athena_workgroups"]) == {"data_engineer", "analyst"}
    assert out["kms_key_arn"].startswith(f"arn:aws:kms:{REGION}:{ACCOUNT}:key/")


def test_zone_buckets_encrypted_versioned_private_logged(deployment: Deployment) -> None:
    s3 = deployment.client("s3")
    key_arn = deployment.outputs["kms_key_arn"]
    buckets = [*deployment.outputs["zone_buckets"].values(), deployment.outputs["artifacts_bucket"]]
    access_logs = f"{ORG}-{ENV}-{REGION}-{ACCOUNT}-access-logs"
    for bucket in buckets:
        rule = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
        assert rule["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key_arn}
        assert rule["BucketKeyEnabled"] is True
        assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
        block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
        assert all(block.values()) and len(block) == 4
        policy = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
        tls = [s for s in policy["Statement"] if s["Effect"] == "Deny" and "aws:SecureTransport" in json.dumps(s)]
        assert tls and tls[0]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        logging_ = s3.get_bucket_logging(Bucket=bucket)["LoggingEnabled"]
        assert logging_ == {"TargetBucket": access_logs, "TargetPrefix": f"{bucket}/"}
    assert s3.get_bucket_encryption(Bucket=access_logs)["ServerSideEncryptionConfiguration"]["Rules"][0][
        "ApplyServerSideEncryptionByDefault"
    ] == {"SSEAlgorithm": "AES256"}
    key = deployment.client("kms").describe_key(KeyId=key_arn)["KeyMetadata"]
    assert key["KeyManager"] == "CUSTOMER"
    assert deployment.client("kms").get_key_rotation_status(KeyId=key_arn)["KeyRotationEnabled"] is True


def test_lifecycle_rules_as_planned(deployment: Deployment) -> None:
    """Not applied (NOT_APPLIED); the planned rules are checked instead."""
    planned = deployment.planned("module.lake.module.data_zones.aws_s3_bucket_lifecycle_configuration.this")
    rules = {addr.split('"')[1]: {r["id"]: r for r in v["rule"]} for addr, v in planned.items()}
    assert rules["landing"]["expire-landing-files"]["expiration"][0]["days"] == 30
    # No expiry in a zone of Iceberg tables: a file goes when no snapshot needs it (the optimizers).
    for zone in ("raw", "transform", "analytics"):
        assert [r["id"] for r in rules[zone].values() if r.get("expiration") and r["expiration"][0]["days"]] == [], zone
    for bucket_rules in rules.values():
        assert bucket_rules["housekeeping"]["noncurrent_version_expiration"][0]["noncurrent_days"] == 7


def expected_tables() -> dict[str, list[tuple[str, str]]]:
    """Every lake table's columns as energy_lake.etl.lake.tables derives them, in Glue's terms."""
    return {name: [(f.name, f.dataType.simpleString()) for f in spec.schema.fields] for name, spec in specs().items()}


def test_glue_tables_are_the_contracts_iceberg_tables(deployment: Deployment) -> None:
    glue = deployment.client("glue")
    databases = deployment.outputs["glue_databases"]
    zone_buckets = deployment.outputs["zone_buckets"]
    found = {}
    for zone, database in databases.items():
        assert glue.get_database(Name=database)["Database"]["LocationUri"] == f"s3://{zone_buckets[zone]}"
        for table in glue.get_tables(DatabaseName=database)["TableList"]:
            found[f"{zone}.{table['Name']}"] = table
    expected = expected_tables()
    assert set(found) == set(expected)
    for name, table in found.items():
        zone, short = name.split(".")
        assert [(c["Name"], c["Type"]) for c in table["StorageDescriptor"]["Columns"]] == expected[name], name
        # Iceberg partitions are fields of the table's metadata, never Hive partition keys.
        assert table.get("PartitionKeys", []) == [], name
        assert table["StorageDescriptor"]["Location"] == f"s3://{zone_buckets[zone]}/{short}"
        assert table["Parameters"]["energy_lake.partition_by"] == ",".join(specs()[name].partition_by), name
    # moto keeps no OpenTableFormatInput, so what makes each an Iceberg table is checked on the plan.
    planned = deployment.planned("module.lake.module.glue_catalog.aws_glue_catalog_table.this")
    assert len(planned) == len(expected)
    for address, table in planned.items():
        (otf,) = table["open_table_format_input"]
        assert otf["iceberg_input"] == [{"metadata_operation": "CREATE", "version": "2"}], address


def test_every_table_has_the_three_optimizers_with_lake_yaml_figures(deployment: Deployment) -> None:
    """Not applied (NOT_APPLIED): the planned optimizers, against lake.yaml maintenance."""
    figures = retention()
    databases = deployment.outputs["glue_databases"]
    planned = deployment.planned("module.lake.module.glue_catalog.aws_glue_catalog_table_optimizer.this")
    kinds: dict[str, set[str]] = {}
    for optimizer in planned.values():
        zone = next(z for z, db in databases.items() if db == optimizer["database_name"])
        kinds.setdefault(f"{zone}.{optimizer['table_name']}", set()).add(optimizer["type"])
        (config,) = optimizer["configuration"]
        assert config["enabled"] is True and optimizer["catalog_id"] == ACCOUNT
        if optimizer["type"] == "retention":
            (kept,) = config["retention_configuration"][0]["iceberg_configuration"]
            assert kept == {
                "snapshot_retention_period_in_days": figures.snapshot_retention_days,
                "number_of_snapshots_to_retain": figures.min_snapshots_to_keep,
                "clean_expired_files": True,
            }
        if optimizer["type"] == "orphan_file_deletion":
            # The location (the table's, from the bucket names) is known only after the apply.
            (orphans,) = config["orphan_file_deletion_configuration"][0]["iceberg_configuration"]
            assert orphans["orphan_file_retention_period_in_days"] == figures.orphan_file_retention_days
    assert kinds == {name: {"compaction", "retention", "orphan_file_deletion"} for name in specs()}
    # One role (its ARN is unknown at plan time: the configuration names it), applied: what the
    # optimization prerequisites page lists, and its Lake Formation grants.
    lake = deployment.plan["configuration"]["root_module"]["module_calls"]["lake"]["module"]
    module = lake["module_calls"]["glue_catalog"]["module"]
    (resource,) = [r for r in module["resources"] if r["address"] == "aws_glue_catalog_table_optimizer.this"]
    assert "aws_iam_role.optimizer" in resource["expressions"]["configuration"][0]["role_arn"]["references"]
    iam = deployment.client("iam")
    role = f"{ORG}-{ENV}-table-optimizer"
    role_arn = iam.get_role(RoleName=role)["Role"]["Arn"]
    (name,) = iam.list_role_policies(RoleName=role)["PolicyNames"]
    document = iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]
    document = json.loads(document) if isinstance(document, str) else document
    actions = {
        s["Sid"]: sorted(s["Action"] if isinstance(s["Action"], list) else [s["Action"]]) for s in document["Statement"]
    }
    assert actions["Catalog"] == ["glue:GetTable", "glue:UpdateTable"]
    assert actions["TableData"] == ["s3:DeleteObject", "s3:GetObject", "s3:PutObject"]
    assert actions["Logs"] == ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"]
    assert actions["LakeFormationAccess"] == ["lakeformation:GetDataAccess"]
    grants = deployment.client("lakeformation").list_permissions()["PrincipalResourcePermissions"]
    granted = {
        (g["Resource"]["Table"]["DatabaseName"], g["Resource"]["Table"]["Name"]): sorted(g["Permissions"])
        for g in grants
        if g["Principal"]["DataLakePrincipalIdentifier"] == role_arn and "Table" in g["Resource"]
    }
    assert granted == {
        (databases[t.zone], t.table): ["ALTER", "DELETE", "DESCRIBE", "INSERT"] for t in specs().values()
    }


def test_jobs_point_at_the_scripts_with_every_required_argument(deployment: Deployment) -> None:
    glue = deployment.client("glue")
    out = deployment.outputs
    artifacts = out["artifacts_bucket"]
    buckets = out["zone_buckets"]
    for job in JOBS:
        spec = glue.get_job(JobName=out["glue_jobs"][job]["name"])["Job"]
        assert spec["Command"]["ScriptLocation"] == f"s3://{artifacts}/{out['glue_jobs'][job]['script_key']}"
        assert (REPO / "src" / "etl" / f"{job}.py").is_file()
        assert spec["Command"]["Name"] == "glueetl" and spec["GlueVersion"] == "5.1"
        args = spec["DefaultArguments"]
        for name in REQUIRED[job]:
            assert f"--{name}" in args, f"{job} lacks --{name}"
        assert args["--landing_uri"] == f"s3://{buckets['landing']}"
        assert args["--raw_uri"] == f"s3://{buckets['raw']}"
        assert args["--transform_uri"] == f"s3://{buckets['transform']}"
        assert args["--analytics_uri"] == f"s3://{buckets['analytics']}"
        assert args["--state_uri"] == out["state_uri"]
        assert args["--extra-py-files"] == f"s3://{artifacts}/{out['library_key']}"
        assert args["--env"] == ENV and args["--job-language"] == "python"
        assert args["--enable-metrics"] == "true"
        # Glue 5.x logs in real time; the continuous-logging arguments are documented for Glue 4.0 and
        # earlier only (https://docs.aws.amazon.com/glue/latest/dg/monitor-continuous-logging-enable.html).
        assert not {"--enable-continuous-cloudwatch-log", "--enable-continuous-log-filter"} & set(args)
        # The zip of wheels deploy uploads, installed without an index (no PyPI at job start).
        assert args["--additional-python-modules"] == f"s3://{artifacts}/{out['python_modules_key']}"
        assert args["--python-modules-installer-option"] == "--no-index"
        for zone, database in out["glue_databases"].items():
            assert args[f"--{zone}_database"] == database
        assert ("--pii_key_parameter" in args) == ("pii_key_parameter" in REQUIRED[job])
        # Iceberg on Glue 5.1 as AWS documents it
        # (https://docs.aws.amazon.com/glue/latest/dg/aws-glue-programming-etl-format-iceberg.html):
        # the native runtime, and the job code's catalog bound to the Glue Data Catalog with S3FileIO.
        assert args["--datalake-formats"] == "iceberg"
        conf = dict(pair.split("=", 1) for pair in args["--conf"].split(" --conf "))
        prefix = f"spark.sql.catalog.{CATALOG}"
        assert conf == {
            "spark.sql.extensions": "org.apache.iceberg.spark.extensions.IcebergSparkSessionExtensions",
            prefix: "org.apache.iceberg.spark.SparkCatalog",
            f"{prefix}.warehouse": f"s3://{buckets['raw']}/",
            f"{prefix}.catalog-impl": "org.apache.iceberg.aws.glue.GlueCatalog",
            f"{prefix}.io-impl": "org.apache.iceberg.aws.s3.S3FileIO",
        }
    pii = glue.get_job(JobName=out["glue_jobs"]["raw_to_transform"]["name"])["Job"]["DefaultArguments"][
        "--pii_key_parameter"
    ]
    parameter = deployment.client("ssm").describe_parameters(Filters=[{"Key": "Name", "Values": [pii]}])["Parameters"]
    assert parameter and parameter[0]["Type"] == "SecureString"
    assert parameter[0]["KeyId"] == out["kms_key_arn"]


def test_job_roles_have_no_wildcard_actions(deployment: Deployment) -> None:
    iam = deployment.client("iam")
    glue = deployment.client("glue")
    for job in JOBS:
        role = glue.get_job(JobName=deployment.outputs["glue_jobs"][job]["name"])["Job"]["Role"].rsplit("/", 1)[1]
        for name in iam.list_role_policies(RoleName=role)["PolicyNames"]:
            document = iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]
            document = json.loads(document) if isinstance(document, str) else document
            for statement in document["Statement"]:
                actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
                assert not [a for a in actions if "*" in a], (role, statement)
        assert iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"] == []


def _role_statements(deployment: Deployment, job: str) -> dict[str, dict[str, Any]]:
    iam = deployment.client("iam")
    role = deployment.client("glue").get_job(JobName=deployment.outputs["glue_jobs"][job]["name"])["Job"]["Role"]
    (name,) = iam.list_role_policies(RoleName=role.rsplit("/", 1)[1])["PolicyNames"]
    document = iam.get_role_policy(RoleName=role.rsplit("/", 1)[1], PolicyName=name)["PolicyDocument"]
    document = json.loads(document) if isinstance(document, str) else document
    return {s["Sid"]: s for s in document["Statement"]}


def _as_list(value: Any) -> list[str]:
    return sorted(value if isinstance(value, list) else [value])


def test_job_roles_have_the_catalog_actions_iceberg_commits_need_and_no_more(deployment: Deployment) -> None:
    """Commits: GetTable + UpdateTable (optimistic locking) on the tables written; reads: GetTable on those read."""
    databases = deployment.outputs["glue_databases"]
    catalog = f"arn:aws:glue:{REGION}:{ACCOUNT}"

    def tables_of(zone: str) -> list[str]:
        return [f"{catalog}:database/{databases[zone]}", f"{catalog}:table/{databases[zone]}/*"]

    def table(name: str) -> list[str]:
        zone, short = name.split(".")
        return [f"{catalog}:database/{databases[zone]}", f"{catalog}:table/{databases[zone]}/{short}"]

    expected = {
        "landing_to_raw": (["raw"], ["analytics.quality_results"], []),
        "raw_to_transform": (["transform"], ["analytics.quality_results", "analytics.build_log"], ["raw"]),
        "transform_to_analytics": (["analytics"], ["analytics.quality_results"], ["transform"]),
    }
    for job, (writes, shared, reads) in expected.items():
        statements = _role_statements(deployment, job)
        glue_sids = {sid for sid, s in statements.items() if any(a.startswith("glue:") for a in _as_list(s["Action"]))}
        commit_sids = {"IcebergCommits", "IcebergReads"} if reads else {"IcebergCommits"}
        assert glue_sids == commit_sids | {"LockHolderLiveness", "NetworkConnections"}, job
        connections = deployment.outputs["network"]["glue_connections"]
        assert _as_list(statements["NetworkConnections"]["Action"]) == ["glue:GetConnection"]
        assert _as_list(statements["NetworkConnections"]["Resource"]) == sorted(
            [f"{catalog}:catalog", *[f"{catalog}:connection/{c}" for c in connections]]
        ), job
        commits = statements["IcebergCommits"]
        assert _as_list(commits["Action"]) == ["glue:GetDatabase", "glue:GetTable", "glue:UpdateTable"]
        resources = [
            f"{catalog}:catalog",
            *[r for z in writes for r in tables_of(z)],
            *[r for t in shared for r in table(t)],
        ]
        assert _as_list(commits["Resource"]) == sorted(set(resources)), job
        if reads:
            assert _as_list(statements["IcebergReads"]["Action"]) == ["glue:GetDatabase", "glue:GetTable"]
            assert _as_list(statements["IcebergReads"]["Resource"]) == sorted(
                [f"{catalog}:catalog", *[r for z in reads for r in tables_of(z)]]
            ), job


def test_job_roles_may_check_the_lock_holder_and_abort_their_uploads(deployment: Deployment) -> None:
    """Issue 13, defects 6 and 12: a dead run's lock is taken over after ``glue:GetJobRun`` says the
    holder (any of the three jobs) is no longer running, and a failed multipart write must be abortable
    (https://docs.aws.amazon.com/AmazonS3/latest/userguide/mpuoverview.html#mpuAndPermissions)."""
    job_arns = sorted(f"arn:aws:glue:{REGION}:{ACCOUNT}:job/{deployment.outputs['glue_jobs'][j]['name']}" for j in JOBS)
    for job in JOBS:
        statements = _role_statements(deployment, job)
        liveness = statements["LockHolderLiveness"]
        assert (_as_list(liveness["Action"]), _as_list(liveness["Resource"])) == (["glue:GetJobRun"], job_arns)
        for sid, statement in statements.items():
            if "s3:PutObject" in _as_list(statement["Action"]):
                assert "s3:AbortMultipartUpload" in _as_list(statement["Action"]), (job, sid)


def _inline_role_statements(deployment: Deployment) -> list[tuple[str, str, dict[str, Any]]]:
    """(role name, policy name, statement) of every inline policy of every role the environment made."""
    iam = deployment.client("iam")
    found = []
    for role in iam.list_roles()["Roles"]:
        for name in iam.list_role_policies(RoleName=role["RoleName"])["PolicyNames"]:
            document = iam.get_role_policy(RoleName=role["RoleName"], PolicyName=name)["PolicyDocument"]
            document = json.loads(document) if isinstance(document, str) else document
            found += [(role["RoleName"], name, statement) for statement in document["Statement"]]
    return found


def test_s3_prefix_conditions_stand_only_on_listing_statements(deployment: Deployment) -> None:
    """Issue 13, defect 3: ``s3:prefix`` is a condition key of ``s3:ListBucket`` (and ListBucketVersions)
    only (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html); on a
    statement that also allows ``s3:GetBucketLocation`` it denies that call, and Athena cannot verify its
    output bucket. Every Athena persona may call GetBucketLocation on its results bucket unconditionally."""
    statements = _inline_role_statements(deployment)
    for role, _, statement in statements:
        keys = {k for test in statement.get("Condition", {}).values() for k in test}
        if "s3:prefix" in keys:
            assert set(_as_list(statement["Action"])) <= {"s3:ListBucket", "s3:ListBucketVersions"}, (role, statement)
    personas = deployment.outputs["athena_workgroups"]
    assert personas
    for persona in personas:
        policy = [s for _, name, s in statements if name == f"athena-{persona.replace('_', '-')}"]
        listed = {r for s in policy if "s3:ListBucket" in _as_list(s["Action"]) for r in _as_list(s["Resource"])}
        located = {
            r
            for s in policy
            if "s3:GetBucketLocation" in _as_list(s["Action"]) and "Condition" not in s
            for r in _as_list(s["Resource"])
        }
        assert listed and listed <= located, (persona, policy)


def test_the_lake_key_lets_eventbridge_encrypt_alerts_without_source_conditions(deployment: Deployment) -> None:
    """Issue 13, defect 2: the SNS developer guide says aws:SourceAccount, aws:SourceArn and
    aws:SourceOrgID are not supported in a KMS key policy for EventBridge publishing to an encrypted
    topic (https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html); with one, no alert arrives."""
    kms = deployment.client("kms")
    topic = deployment.client("sns").get_topic_attributes(TopicArn=deployment.outputs["alert_topic_arn"])
    key_id = topic["Attributes"]["KmsMasterKeyId"]
    policy = json.loads(kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"])
    eventbridge = [
        s for s in policy["Statement"] if "events.amazonaws.com" in _as_list(s.get("Principal", {}).get("Service", []))
    ]
    assert eventbridge and all(
        {"kms:GenerateDataKey*", "kms:Decrypt"} <= set(_as_list(s["Action"])) for s in eventbridge
    )
    for statement in eventbridge:
        keys = {k for test in statement.get("Condition", {}).values() for k in test}
        assert not [k for k in keys if k.lower().startswith("aws:source")], statement


def test_security_configuration_as_planned(deployment: Deployment) -> None:
    """Not applied (NOT_APPLIED); the planned encryption settings are checked instead."""
    (config,) = deployment.planned("module.lake.module.glue_jobs.aws_glue_security_configuration.this").values()
    enc = config["encryption_configuration"][0]
    assert enc["s3_encryption"][0]["s3_encryption_mode"] == "SSE-KMS"
    assert enc["cloudwatch_encryption"][0]["cloudwatch_encryption_mode"] == "SSE-KMS"
    assert enc["job_bookmarks_encryption"][0]["job_bookmarks_encryption_mode"] == "CSE-KMS"
    jobs = deployment.planned("module.lake.module.glue_jobs.aws_glue_job.this")
    # The real configuration (no override) wires the jobs to it: read it from the HCL source.
    source = (TERRAFORM_ROOT / "modules" / "glue_jobs" / "main.tf").read_text()
    assert "security_configuration = aws_glue_security_configuration.this.name" in source
    assert len(jobs) == len(JOBS)


def test_the_jobs_run_in_the_lake_network_and_the_zones_require_its_endpoint(deployment: Deployment) -> None:
    """Issue 17: the VPC (no internet or NAT gateway), one NETWORK connection per private subnet listed by
    every job, the endpoints, and the zone buckets' network rule naming the S3 endpoint, as applied."""
    network = deployment.outputs["network"]
    ec2 = deployment.client("ec2")
    vpc = network["vpc_id"]
    assert (
        ec2.describe_internet_gateways(Filters=[{"Name": "attachment.vpc-id", "Values": [vpc]}])["InternetGateways"]
        == []
    )
    assert ec2.describe_nat_gateways(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["NatGateways"] == []
    routes = [
        r
        for t in ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["RouteTables"]
        for r in t["Routes"]
    ]
    assert not [r for r in routes if r.get("DestinationCidrBlock") == "0.0.0.0/0"], routes
    subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]
    zones = sorted(s["AvailabilityZone"] for s in subnets)
    assert zones == ["eu-west-1a", "eu-west-1b"] and not any(s["MapPublicIpOnLaunch"] for s in subnets)

    glue = deployment.client("glue")
    assert network["glue_connections"] == [f"{ORG}-{ENV}-{z}" for z in zones]
    planned = deployment.planned("module.lake.module.glue_jobs.aws_glue_connection.network")
    assert (
        sorted(c["name"] for c in planned.values() if c["connection_type"] == "NETWORK") == network["glue_connections"]
    )
    for name, zone in zip(network["glue_connections"], zones, strict=True):
        # (moto 5.1.15 answers GetConnection without ConnectionType: the type is checked on the plan above)
        physical = glue.get_connection(Name=name)["Connection"]["PhysicalConnectionRequirements"]
        (subnet,) = [s for s in subnets if s["SubnetId"] == physical["SubnetId"]]
        assert subnet["AvailabilityZone"] == physical["AvailabilityZone"] == zone
    for job in deployment.outputs["glue_jobs"].values():
        assert glue.get_job(JobName=job["name"])["Job"]["Connections"]["Connections"] == network["glue_connections"]

    endpoints = {e["ServiceName"].rsplit(".", 1)[1]: e for e in ec2.describe_vpc_endpoints()["VpcEndpoints"]}
    assert set(endpoints) == {"s3", "glue", "kms", "lakeformation", "logs", "monitoring", "ssm", "sts"}
    assert (
        endpoints["s3"]["VpcEndpointType"] == "Gateway"
        and endpoints["s3"]["VpcEndpointId"] == network["s3_endpoint_id"]
    )
    for service, endpoint in endpoints.items():
        assert endpoint["VpcId"] == vpc
        assert json.loads(endpoint["PolicyDocument"])["Statement"], service  # never the default full access
        if service != "s3":
            assert endpoint["VpcEndpointType"] == "Interface" and endpoint["PrivateDnsEnabled"], service
            assert network["interface_endpoint_ids"][service] == endpoint["VpcEndpointId"]

    s3 = deployment.client("s3")
    for zone, bucket in deployment.outputs["zone_buckets"].items():
        statements = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])["Statement"]
        (rule,) = [s for s in statements if s.get("Sid") == "DenyObjectAccessOutsideTheLakeNetwork"]
        assert rule["Condition"]["StringNotEquals"] == {"aws:SourceVpce": network["s3_endpoint_id"]}, zone
        assert sorted(rule["Condition"]["ArnNotLike"]["aws:PrincipalArn"]) == sorted(network["zone_exempt_principals"])
    artifacts = json.loads(s3.get_bucket_policy(Bucket=deployment.outputs["artifacts_bucket"])["Policy"])
    assert "aws:SourceVpce" not in json.dumps(artifacts)  # the deploy uploads code from outside the VPC
    flow = ec2.describe_flow_logs(Filters=[{"Name": "resource-id", "Values": [vpc]}])["FlowLogs"]
    # The provider sets the group by ARN (log_destination): moto returns it there, without LogGroupName.
    (log,) = flow
    assert (log["TrafficType"], log["LogDestinationType"]) == ("ALL", "cloud-watch-logs"), log
    assert log["LogDestination"].split(":log-group:", 1)[1].removesuffix(":*") == network["flow_log_group"], log


def test_prod_plans_its_network_in_three_zones(prod_plan: dict[str, Any]) -> None:
    """prod, planned: the network of its tfvars (three zones), a connection per zone on every job, the
    eight endpoints, and nothing that reaches the internet."""
    changes = {c["address"]: c["change"]["after"] for c in prod_plan["resource_changes"] if c["mode"] == "managed"}
    types = {c["type"] for c in prod_plan["resource_changes"]}
    assert not types & {"aws_internet_gateway", "aws_nat_gateway", "aws_egress_only_internet_gateway", "aws_eip"}
    zones = sorted(
        v["availability_zone"]
        for a, v in changes.items()
        if a.startswith("module.lake.module.network.aws_subnet.this[")
    )
    assert zones == ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
    connections = [f"{ORG}-prod-{z}" for z in zones]
    planned = [
        v for a, v in changes.items() if a.startswith("module.lake.module.glue_jobs.aws_glue_connection.network[")
    ]
    assert sorted(c["name"] for c in planned) == connections and {c["connection_type"] for c in planned} == {"NETWORK"}
    jobs = [v for a, v in changes.items() if a.startswith("module.lake.module.glue_jobs.aws_glue_job.this[")]
    assert len(jobs) == len(JOBS) and all(j["connections"] == connections for j in jobs)
    endpoints = sorted(
        v["service_name"].rsplit(".", 1)[1]
        for a, v in changes.items()
        if a.startswith("module.lake.module.network.aws_vpc_endpoint.")
    )
    assert endpoints == ["glue", "kms", "lakeformation", "logs", "monitoring", "s3", "ssm", "sts"]
    assert len([a for a in changes if a.startswith("module.lake.module.data_zones.aws_s3_bucket_policy.this[")]) == 6


def test_workflow_starts_on_schedule_and_chains_the_jobs(deployment: Deployment) -> None:
    glue = deployment.client("glue")
    out = deployment.outputs
    names = {job: out["glue_jobs"][job]["name"] for job in JOBS}
    triggers = {t["Name"]: t for t in glue.get_triggers()["Triggers"] if t.get("WorkflowName") == out["workflow_name"]}
    scheduled = [t for t in triggers.values() if t["Type"] == "SCHEDULED"]
    assert len(scheduled) == 1 and scheduled[0]["Actions"] == [{"JobName": names["landing_to_raw"]}]
    chain = {
        t["Predicate"]["Conditions"][0]["JobName"]: t["Actions"][0]["JobName"]
        for t in triggers.values()
        if t["Type"] == "CONDITIONAL"
    }
    assert chain == {
        names["landing_to_raw"]: names["raw_to_transform"],
        names["raw_to_transform"]: names["transform_to_analytics"],
    }
    for t in triggers.values():
        if t["Type"] == "CONDITIONAL":
            assert t["Predicate"]["Conditions"][0]["State"] == "SUCCEEDED"


def test_lake_formation_tags_and_grants(deployment: Deployment) -> None:
    lf = deployment.client("lakeformation")
    tags = {t["TagKey"]: sorted(t["TagValues"]) for t in lf.list_lf_tags()["LFTags"]}
    assert tags == {"zone": ["analytics", "raw", "transform"], "classification": ["general", "restricted"]}
    databases = deployment.outputs["glue_databases"]
    for zone, database in databases.items():
        assigned = lf.get_resource_lf_tags(Resource={"Database": {"Name": database}})["LFTagOnDatabase"]
        assert {(t["TagKey"], t["TagValues"][0]) for t in assigned} == {("zone", zone), ("classification", "general")}
    pii = lf.get_resource_lf_tags(
        Resource={
            "TableWithColumns": {
                "DatabaseName": databases["transform"],
                "Name": "customers",
                "ColumnNames": ["customer_name"],
            }
        }
    )
    column_tags = {(t["TagKey"], t["TagValues"][0]) for c in pii.get("LFTagsOnColumns", []) for t in c["LFTags"]}
    assert ("classification", "restricted") in column_tags

    roles = deployment.outputs["persona_roles"]
    grants = lf.list_permissions()["PrincipalResourcePermissions"]
    quarantine_readers = {
        persona
        for persona, arn in roles.items()
        for g in grants
        if g["Principal"]["DataLakePrincipalIdentifier"] == arn
        and g["Resource"].get("Table", {}).get("Name") == "quarantine"
    }
    assert quarantine_readers == {"data_engineer"}
    registered = {r["ResourceArn"] for r in lf.list_resources()["ResourceInfoList"]}
    assert registered == {f"arn:aws:s3:::{deployment.outputs['zone_buckets'][z]}" for z in databases}


def test_lake_formation_tag_policy_grants_as_planned(deployment: Deployment) -> None:
    """Not applied (NOT_APPLIED); the planned tag expressions must be personas.yaml's zones x classifications."""
    roles = deployment.outputs["persona_roles"]
    planned = deployment.planned("module.lake.module.lake_formation.aws_lakeformation_permissions.tables[")
    expressions, permissions = {}, {}
    for address, grant in planned.items():
        grantee = address.split('"')[1]
        (policy,) = grant["lf_tag_policy"]
        assert policy["resource_type"] == "TABLE"
        expressions[grantee] = {e["key"]: sorted(e["values"]) for e in policy["expression"]}
        permissions[grantee] = sorted(grant["permissions"])
    every = ["general", "restricted"]
    assert expressions == {
        "persona/data_engineer": {"zone": ["analytics", "raw", "transform"], "classification": every},
        "persona/analyst": {"zone": ["analytics", "transform"], "classification": ["general"]},
        # Each job: commits to its zone's tables, reads its input zone's (landing is files).
        "writer/landing_to_raw": {"zone": ["raw"], "classification": every},
        "writer/raw_to_transform": {"zone": ["transform"], "classification": every},
        "writer/transform_to_analytics": {"zone": ["analytics"], "classification": every},
        "reader/raw_to_transform": {"zone": ["raw"], "classification": every},
        "reader/transform_to_analytics": {"zone": ["transform"], "classification": every},
    }
    for grantee, granted in permissions.items():
        kind = grantee.split("/")[0]
        writes = ["ALTER", "DELETE", "DESCRIBE", "INSERT", "SELECT"]
        assert granted == (writes if kind == "writer" else ["DESCRIBE", "SELECT"]), grantee
    assert {f"persona/{p}" for p in roles} == {g for g in expressions if g.startswith("persona/")}
    grant_set = deployment.outputs["lake_formation_grants"]
    triples = {(g["persona"], g["zone"], g["classification"]) for g in grant_set["tag_policy"]}
    assert triples == {
        (g.split("/")[1], z, c)
        for g, e in expressions.items()
        if g.startswith("persona/")
        for z in e["zone"]
        for c in e["classification"]
    }
    assert grant_set["quarantine_readers"] == ["data_engineer"]
    filters = deployment.planned("module.lake.module.lake_formation.aws_lakeformation_data_cells_filter.this")
    hidden = {
        f["table_data"][0]["table_name"]: f["table_data"][0]["column_wildcard"][0]["excluded_column_names"]
        for f in filters.values()
    }
    pii = {e: sorted(c.name for c in load_contract(e).columns if c.pii) for e in ENTITIES}
    assert {t: sorted(cols) for t, cols in hidden.items()} == {e: cols for e, cols in pii.items() if cols}


def test_athena_workgroups_enforced_and_encrypted(deployment: Deployment) -> None:
    athena = deployment.client("athena")
    results = f"{ORG}-{ENV}-{REGION}-{ACCOUNT}-athena-results"
    for persona, name in deployment.outputs["athena_workgroups"].items():
        config = athena.get_work_group(WorkGroup=name)["WorkGroup"]["Configuration"]
        assert config["EnforceWorkGroupConfiguration"] is True
        assert config["PublishCloudWatchMetricsEnabled"] is True
        assert config["BytesScannedCutoffPerQuery"] == 1073741824
        rc = config["ResultConfiguration"]
        assert rc["OutputLocation"] == f"s3://{results}/{persona}/"
        assert rc["EncryptionConfiguration"] == {
            "EncryptionOption": "SSE_KMS",
            "KmsKey": deployment.outputs["kms_key_arn"],
        }


def test_a_named_query_per_sql_file(deployment: Deployment) -> None:
    athena = deployment.client("athena")
    files = {p.stem: p.read_text() for p in (REPO / "src" / "sql").glob("*.sql")}
    databases = deployment.outputs["glue_databases"]
    for name in deployment.outputs["athena_workgroups"].values():
        ids = athena.list_named_queries(WorkGroup=name)["NamedQueryIds"]
        queries = {q["Name"]: q for q in (athena.get_named_query(NamedQueryId=i)["NamedQuery"] for i in ids)}
        assert set(queries) == set(files)
        for stem, query in queries.items():
            assert query["Database"] == databases["analytics"]
            # The file's text, with zone qualifiers as the environment's databases.
            for zone, database in databases.items():
                assert re.search(rf"(^|[^\w.\"']){zone}\.", query["QueryString"]) is None, (stem, zone)
                if re.search(rf"(^|[^\w.\"']){zone}\.", files[stem]):
                    assert f"{database}." in query["QueryString"]
            assert re.sub(r"\w+_dev_(raw|transform|analytics)\.", r"\1.", query["QueryString"]) == files[stem]


def test_alarm_periods_fit_a_metric_published_once_per_run(deployment: Deployment) -> None:
    """Issue 13, defect 5: the lake's metrics are published once per pipeline run (daily). An alarm that
    counts missing data as breaching must not use periods shorter than a day, or it is in ALARM most
    of every day; with the schedule off (dev), a day without a run is not stale. CloudWatch evaluates
    at most 7 days: Period x EvaluationPeriods <= 604,800 s
    (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html)."""
    schedule_on = deployment.plan["variables"]["settings"]["value"]["glue_schedule_enabled"]
    alarms = deployment.client("cloudwatch").describe_alarms(AlarmNamePrefix=f"{ORG}-{ENV}-")["MetricAlarms"]
    namespace = metric_names.NAMESPACE
    custom = [
        a
        for a in alarms
        if a.get("Namespace") == namespace
        or any(q.get("MetricStat", {}).get("Metric", {}).get("Namespace") == namespace for q in a.get("Metrics", []))
    ]
    assert custom
    for alarm in custom:
        period = alarm.get("Period") or min(q["MetricStat"]["Period"] for q in alarm["Metrics"] if "MetricStat" in q)
        assert period * alarm["EvaluationPeriods"] <= 604_800, alarm["AlarmName"]
        if alarm.get("TreatMissingData") == "breaching":
            assert period >= 86_400, alarm["AlarmName"]
    freshness = [a for a in alarms if "-freshness-" in a["AlarmName"]]
    assert len(freshness) == len(ENTITIES)
    for alarm in freshness:
        assert (alarm["Period"], alarm["EvaluationPeriods"], alarm["DatapointsToAlarm"]) == (86_400, 2, 2)
        assert alarm["TreatMissingData"] == ("breaching" if schedule_on else "notBreaching")


def test_monitoring_alarms_and_failure_events(deployment: Deployment) -> None:
    cloudwatch = deployment.client("cloudwatch")
    alarms = cloudwatch.describe_alarms(AlarmNamePrefix=f"{ORG}-{ENV}-")["MetricAlarms"]
    names = {a["AlarmName"] for a in alarms}
    assert f"{ORG}-{ENV}-glue-job-failures" in names
    for entity in ENTITIES:
        assert f"{ORG}-{ENV}-quarantine-ratio-{entity}" in names
        assert f"{ORG}-{ENV}-freshness-{entity}" in names
        assert f"{ORG}-{ENV}-files-rejected-{entity}" in names
    for job in JOBS:
        assert f"{ORG}-{ENV}-promotions-stopped-{job.replace('_', '-')}" in names
    custom = set()
    for alarm in alarms:
        metrics = (
            [alarm]
            if alarm.get("MetricName")
            else [q["MetricStat"]["Metric"] for q in alarm.get("Metrics", []) if "MetricStat" in q]
        )
        for m in metrics:
            if m["Namespace"] == metric_names.NAMESPACE:
                custom.add(m["MetricName"])
                # Per-entity metrics carry every dimension; a per-job count (PromotionsStopped) no Entity.
                per_job = {metric_names.DIMENSION_ENVIRONMENT, metric_names.DIMENSION_JOB}
                expected = (
                    per_job if m["MetricName"] == metric_names.PROMOTIONS_STOPPED else set(metric_names.DIMENSIONS)
                )
                assert {d["Name"] for d in m["Dimensions"]} == expected
    assert custom and custom <= set(metric_names.METRICS)
    topic = deployment.outputs["alert_topic_arn"]
    attributes = deployment.client("sns").get_topic_attributes(TopicArn=topic)["Attributes"]
    assert attributes["KmsMasterKeyId"] == deployment.outputs["kms_key_arn"]
    events = deployment.client("events")
    rule = events.describe_rule(Name=f"{ORG}-{ENV}-glue-job-failed")
    pattern = json.loads(rule["EventPattern"])
    assert pattern["detail"]["state"] == ["FAILED", "TIMEOUT", "STOPPED"]
    assert sorted(pattern["detail"]["jobName"]) == sorted(j["name"] for j in deployment.outputs["glue_jobs"].values())
    assert [t["Arn"] for t in events.list_targets_by_rule(Rule=rule["Name"])["Targets"]] == [topic]
    assert cloudwatch.get_dashboard(DashboardName=f"{ORG}-{ENV}-lake")["DashboardBody"]


def test_data_quality_rulesets_are_the_generated_dqdl(deployment: Deployment) -> None:
    """One ruleset per table of rulesets.json, its CustomSql database references resolved."""
    generated = json.loads((REPO / "src/contracts/generated/dqdl/rulesets.json").read_text(encoding="utf-8"))
    databases = deployment.outputs["glue_databases"]
    planned = deployment.planned("module.lake.module.glue_catalog.aws_glue_data_quality_ruleset.this")
    got = {
        f"{zone}.{r['target_table'][0]['table_name']}": r["ruleset"]
        for r in planned.values()
        for zone, db in databases.items()
        if r["target_table"][0]["database_name"] == db
    }
    expected = {table: doc["ruleset"] for table, doc in generated.items()}
    for zone, db in databases.items():
        expected = {t: r.replace("${" + zone + "_database}", db) for t, r in expected.items()}
    assert got == expected
    assert all("${" not in r for r in got.values())


# ---------------------------------------------------------------------------------------------
# Lake Formation's account settings (issue 13, defect 4)

SETTINGS = "module.lake.module.lake_settings.aws_lakeformation_data_lake_settings.this"


def dependency_graph(deployment: Deployment) -> dict[str, set[str]]:
    """node -> the nodes it depends on, from `terraform graph -type=plan` ("[root] a" -> "[root] b": a needs b)."""
    dot = deployment.terraform.run(deployment.directory, "graph", "-type=plan").stdout
    edges: dict[str, set[str]] = {}
    for source, target in re.findall(r'"\[root\] ([^"]+)" -> "\[root\] ([^"]+)"', dot):
        edges.setdefault(source, set()).add(target)
    return edges


def ancestors(graph: dict[str, set[str]], node: str) -> set[str]:
    seen: set[str] = set()
    todo = [node]
    while todo:
        for parent in graph.get(todo.pop(), ()):
            if parent not in seen:
                seen.add(parent)
                todo.append(parent)
    return seen


def test_lake_formation_settings_come_before_every_database_and_table(deployment: Deployment) -> None:
    """Lake Formation applies its settings to the databases and tables created after them; one created
    before keeps IAMAllowedPrincipals' full access, so IAM alone decides who reads it
    (https://docs.aws.amazon.com/lake-formation/latest/dg/change-settings.html). So every database and
    table resource must depend, in Terraform's graph, on the settings."""
    graph = dependency_graph(deployment)
    catalog = sorted(
        node
        for node in set(graph) | set().union(*graph.values())
        if re.search(r"\.aws_glue_catalog_(database|table)\.[a-z_]+( \(expand\))?$", node)
    )
    assert len(catalog) >= 2, catalog
    settings = {node for node in set().union(*graph.values()) if ".aws_lakeformation_data_lake_settings." in node}
    assert settings, "no Lake Formation settings node in the graph"
    assert [node for node in catalog if not ancestors(graph, node) & settings] == []


def test_no_iam_allowed_principals_on_the_lake(deployment: Deployment) -> None:
    """IAMAllowedPrincipals with a permission makes IAM policies alone decide access (the default Lake
    Formation gives new databases and tables unless the settings say otherwise:
    https://docs.aws.amazon.com/lake-formation/latest/dg/change-settings.html)."""
    settings = deployment.planned(SETTINGS)[SETTINGS]
    assert not settings.get("create_database_default_permissions")
    assert not settings.get("create_table_default_permissions")
    # Every planned grant's principal is a role this plan creates (unknown until apply) or a literal ARN.
    grants = deployment.planned("module.lake.module.lake_formation.aws_lakeformation_permissions")
    assert grants and all(g.get("principal", "arn:").startswith("arn:") for g in grants.values())
    applied = deployment.client("lakeformation").list_permissions()["PrincipalResourcePermissions"]
    principals = {g["Principal"]["DataLakePrincipalIdentifier"] for g in applied}
    assert applied and all(p.startswith(f"arn:aws:iam::{ACCOUNT}:role/") for p in principals), principals


def test_the_lake_formation_admins_are_exactly_the_configured_list(deployment: Deployment) -> None:
    """PutDataLakeSettings replaces the admin list wholesale
    (https://docs.aws.amazon.com/lake-formation/latest/APIReference/API_PutDataLakeSettings.html): the list
    must not depend on who applies, or an apply by a person drops the CI role."""
    assert deployment.planned(SETTINGS)[SETTINGS]["admins"] == [DEPLOYER]
    settings = deployment.client("lakeformation").get_data_lake_settings()["DataLakeSettings"]
    assert [a["DataLakePrincipalIdentifier"] for a in settings["DataLakeAdmins"]] == [DEPLOYER]


def test_a_plan_by_a_principal_outside_the_admin_list_stops(deployment: Deployment) -> None:
    others = settings_override(
        deployment.directory, **TEST_SETTINGS | {"lake_formation_admins": [f"arn:aws:iam::{ACCOUNT}:role/ci"]}
    )
    done = deployment.terraform.run(
        deployment.directory, "plan", "-input=false", "-refresh=false", *others, check=False
    )
    assert done.returncode == 1
    assert f"The principal running Terraform ({DEPLOYER}) is not in lake_formation_admins" in " ".join(
        done.stderr.split()
    )


def test_lake_formation_grants_equal_the_local_query_grants(deployment: Deployment) -> None:
    """Evaluate the planned LF-tags and tag policies, column by column, and compare them with
    energy_lake.etl.access.governance.grants, which `energy-lake query --as` enforces."""
    from energy_lake.etl.access.governance import grants, personas

    zone_of_db = {db: zone for zone, db in deployment.outputs["glue_databases"].items()}
    tables: dict[str, list[str]] = {}
    for t in deployment.planned("module.lake.module.glue_catalog.aws_glue_catalog_table.this").values():
        tables[f"{zone_of_db[t['database_name']]}.{t['name']}"] = [
            c["name"] for c in t["storage_descriptor"][0]["columns"]
        ]
    tags = deployment.planned("module.lake.module.lake_formation.aws_lakeformation_resource_lf_tags")
    restricted_tables = {
        f"{zone_of_db[r['table'][0]['database_name']]}.{r['table'][0]['name']}"
        for a, r in tags.items()
        if ".restricted_table[" in a and r["lf_tag"][0]["value"] == "restricted"
    }
    restricted_columns = {
        (f"{zone_of_db[r['table_with_columns'][0]['database_name']]}.{r['table_with_columns'][0]['name']}", c)
        for a, r in tags.items()
        if ".pii_columns[" in a and r["lf_tag"][0]["value"] == "restricted"
        for c in r["table_with_columns"][0]["column_names"]
    }
    database_tags = {
        zone_of_db[r["database"][0]["name"]]: {t["key"]: t["value"] for t in r["lf_tag"]}
        for a, r in tags.items()
        if ".database[" in a
    }
    policies = deployment.planned("module.lake.module.lake_formation.aws_lakeformation_permissions.tables[")
    by_name = deployment.planned("module.lake.module.lake_formation.aws_lakeformation_permissions.named_tables[")
    for persona in personas():
        (policy,) = policies[
            f'module.lake.module.lake_formation.aws_lakeformation_permissions.tables["persona/{persona}"]'
        ]["lf_tag_policy"]
        allowed = {e["key"]: set(e["values"]) for e in policy["expression"]}
        effective: dict[str, set[str]] = {}
        for table, columns in tables.items():
            zone = table.split(".")[0]
            if database_tags[zone]["zone"] not in allowed["zone"]:
                continue

            def classification(column: str, table: str = table, zone: str = zone) -> str:
                if table in restricted_tables or (table, column) in restricted_columns:
                    return "restricted"
                return database_tags[zone]["classification"]

            visible = {c for c in columns if classification(c) in allowed["classification"]}
            if visible:
                effective[table] = visible
        for address, grant in by_name.items():
            if address.split('"')[1].startswith(f"persona/{persona}/"):
                table = f"{zone_of_db[grant['table'][0]['database_name']]}.{grant['table'][0]['name']}"
                effective[table] = set(tables[table])
        assert effective == {t: set(c) for t, c in grants(persona).items()}, persona


def test_every_writer_may_write_data_in_the_zone_of_every_table_it_writes(deployment: Deployment) -> None:
    """DATA_LOCATION_ACCESS where a job writes: its zones and those of the shared tables it commits to
    (issue 13, defect 7: every job writes analytics.quality_results, only the analytics job could)."""
    prefix = "module.lake.module.lake_formation.aws_lakeformation_permissions."
    zone_of_db = {db: zone for zone, db in deployment.outputs["glue_databases"].items()}
    writes: dict[str, set[str]] = {}
    for address, grant in deployment.planned(f"{prefix}tables[").items():
        grantee = address.split('"')[1]
        if grantee.startswith("writer/"):
            (policy,) = grant["lf_tag_policy"]
            zones = next(set(e["values"]) for e in policy["expression"] if e["key"] == "zone")
            writes.setdefault(grantee.split("/")[1], set()).update(zones)
    for address, grant in deployment.planned(f"{prefix}named_tables[").items():
        grantee = address.split('"')[1]
        if grantee.startswith("writer/") and "INSERT" in grant["permissions"]:
            writes.setdefault(grantee.split("/")[1], set()).add(zone_of_db[grant["table"][0]["database_name"]])
    locations: dict[str, set[str]] = {}
    for address in deployment.planned(f"{prefix}writer_locations["):
        job, zone = address.split('"')[1].split("/")
        locations.setdefault(job, set()).add(zone)
    assert set(writes) == set(JOBS) and "analytics" in writes["landing_to_raw"]
    assert locations == writes


def test_deploy_glue_jobs_against_the_applied_environment(deployment: Deployment, tmp_path: Path) -> None:
    """Issue 4's end-to-end path: apply (the fixture), deploy as an operator would, verify, then destroy.

    ``--start`` is not followed here: moto's workflow runs never leave RUNNING and run no job
    (tests/unit/test_deploy.py covers following a run with botocore's Stubber)."""
    import sys

    outputs_file = tmp_path / "outputs.json"
    outputs_file.write_text(json.dumps(deployment.terraform.json(deployment.directory, "output")), encoding="utf-8")
    env = {
        **os.environ,
        **{k: v for k, v in deployment.terraform.env.items() if k.startswith("AWS_")},
        "AWS_ENDPOINT_URL": deployment.endpoint,
        "AWS_DEFAULT_REGION": REGION,
    }
    command = [
        sys.executable,
        str(REPO / "src/scripts/deploy_glue_jobs.py"),
        "--env",
        ENV,
        "--outputs-json",
        str(outputs_file),
        "--build-dir",
        str(tmp_path / "build"),
        *wheel_args(),
    ]
    # The bucket policy denies requests without TLS (aws:SecureTransport), and moto's endpoint here is
    # plain HTTP: the deploy is refused, with the script's clear "access denied" message. Only for
    # this test, the artifacts bucket goes without that policy.
    s3_for_setup = deployment.client("s3")
    s3_for_setup.delete_bucket_policy(Bucket=deployment.outputs["artifacts_bucket"])
    first = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert first.returncode == 0, first.stdout + first.stderr
    s3 = deployment.client("s3")
    bucket = deployment.outputs["artifacts_bucket"]
    keys = [job["script_key"] for job in deployment.outputs["glue_jobs"].values()]
    keys += [deployment.outputs["library_key"], deployment.outputs["python_modules_key"]]
    for key in keys:
        head = s3.head_object(Bucket=bucket, Key=key)
        assert len(head["Metadata"]["sha256"]) == 64, key
    for job in JOBS:
        local = (REPO / "src/etl" / f"{job}.py").read_bytes()
        assert s3.get_object(Bucket=bucket, Key=f"glue/scripts/{job}.py")["Body"].read() == local
    versions = len(s3.list_object_versions(Bucket=bucket).get("Versions", []))
    second = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert second.returncode == 0, second.stdout + second.stderr
    assert len(s3.list_object_versions(Bucket=bucket).get("Versions", [])) == versions  # nothing re-uploaded


def test_destroy_removes_everything(deployment: Deployment) -> None:
    """Last: destroy the dev environment (what moto cannot delete leaves the state first: NOT_DESTROYED)."""
    tf, directory = deployment.terraform, deployment.directory
    state = tf.run(directory, "state", "list").stdout.split()
    undeletable = [a for a in state if a.startswith(tuple(NOT_DESTROYED))]
    assert {a.split("[")[0] for a in undeletable} == set(NOT_DESTROYED)
    tf.run(directory, "state", "rm", *undeletable)
    tf.run(
        directory,
        "destroy",
        "-input=false",
        "-auto-approve",
        "-parallelism=20",
        *settings_override(directory, **TEST_SETTINGS),
        timeout=200,
    )
    assert tf.run(directory, "state", "list").stdout.split() == []
    names = {b["Name"] for b in deployment.client("s3").list_buckets()["Buckets"]}
    assert not names & set(deployment.outputs["zone_buckets"].values())
    # moto's backends are shared by every moto server and mock in this process: look at ours only.
    glue = deployment.client("glue")
    databases = {d["Name"] for d in glue.get_databases()["DatabaseList"]}
    assert not databases & set(deployment.outputs["glue_databases"].values())
    jobs = {j["Name"] for j in glue.get_jobs()["Jobs"]}
    assert not jobs & {j["name"] for j in deployment.outputs["glue_jobs"].values()}
