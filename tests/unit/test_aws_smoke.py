"""aws_smoke: the first-deploy smoke check, on in-process moto (never AWS, never the network).

The resources the checks read are created in moto as Terraform creates them, from a fake
``terraform output -json``. What moto 5.1.15 cannot show is given with botocore's Stubber, whose
canned requests and answers are checked against the real service models: Athena refusing the analyst
a personal-data column (moto's queries always succeed), a Glue job run that ends FAILED (moto's runs
always succeed) and STS refusing AssumeRole in the shape AWS sends it.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from energy_lake.etl.jobs.args import JOBS
from energy_lake.etl.model.contracts import ENTITIES
from energy_lake.scripts import aws_smoke as cli
from energy_lake.scripts import deploy, smoke

REGION = "eu-west-1"
ACCOUNT = "123456789012"
ENV = "dev"
PREFIX = f"acme-{ENV}"
CALLER = f"arn:aws:sts::{ACCOUNT}:user/moto"  # who moto says the caller is
TOPIC = f"arn:aws:sns:{REGION}:{ACCOUNT}:{PREFIX}-alerts"
RULE = f"{PREFIX}-glue-job-failed"
DATABASES = {z: f"acme_{ENV}_{z}" for z in ("raw", "transform", "analytics")}
WORKGROUPS = {"data_engineer": f"{PREFIX}-data-engineer", "analyst": f"{PREFIX}-analyst"}
ROLES = {p: f"arn:aws:iam::{ACCOUNT}:role/{PREFIX}-{p.replace('_', '-')}" for p in WORKGROUPS}
GENERAL_SQL = 'SELECT "id_type" FROM "acme_dev_transform"."customers" LIMIT 1'
PII_SQL = 'SELECT "id_number" FROM "acme_dev_transform"."customers" LIMIT 1'
# Athena engine 3's answer when Lake Formation hides a column from the caller.
DENIED = (
    "COLUMN_NOT_FOUND: line 1:8: Column 'id_number' cannot be resolved or requester is not authorized to access "
    "requested resources"
)
NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
CREDENTIALS_SESSION = smoke.credentials_session  # before a test replaces it


def job_name(key: str) -> str:
    return f"{PREFIX}-{key.replace('_', '-')}"


def outputs_doc(**override: Any) -> dict[str, Any]:
    """What `terraform output -json` prints for the environment (the contract of outputs.tf)."""
    values: dict[str, Any] = {
        "environment": ENV,
        "region": REGION,
        "artifacts_bucket": f"{PREFIX}-{REGION}-{ACCOUNT}-artifacts",
        "glue_jobs": {k: {"name": job_name(k), "script_key": f"glue/scripts/{k}.py"} for k in JOBS},
        "library_key": "glue/lib/energy_lake.zip",
        "python_modules_key": "glue/lib/energy_lake-wheels.zip",
        "workflow_name": f"{PREFIX}-pipeline",
        "glue_databases": DATABASES,
        "athena_workgroups": WORKGROUPS,
        "persona_roles": ROLES,
        "alert_topic_arn": TOPIC,
        "kms_key_arn": None,
        **override,
    }
    return {"lake": {"value": values, "type": "object", "sensitive": False}}


def create_environment(session: Any) -> None:
    """The resources as the Terraform modules create them, named as the outputs say."""
    kms_key = session.client("kms").create_key(Description="lake key")["KeyMetadata"]["Arn"]
    session.client("sns").create_topic(Name=f"{PREFIX}-alerts", Attributes={"KmsMasterKeyId": kms_key})
    glue = session.client("glue")
    for key in JOBS:
        glue.create_job(
            Name=job_name(key),
            Role=f"arn:aws:iam::{ACCOUNT}:role/{PREFIX}-glue-{key}",
            Command={"Name": "glueetl", "ScriptLocation": f"s3://artifacts/glue/scripts/{key}.py"},
        )
    iam = session.client("iam")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}}
        ],
    }
    athena = session.client("athena")
    for persona, workgroup in WORKGROUPS.items():
        iam.create_role(RoleName=ROLES[persona].rsplit("/", 1)[1], AssumeRolePolicyDocument=json.dumps(trust))
        athena.create_work_group(
            Name=workgroup, Configuration={"ResultConfiguration": {"OutputLocation": f"s3://results/{persona}/"}}
        )
    lf = session.client("lakeformation")
    lf.put_data_lake_settings(
        DataLakeSettings={
            "DataLakeAdmins": [{"DataLakePrincipalIdentifier": f"arn:aws:iam::{ACCOUNT}:user/moto"}],
            "CreateDatabaseDefaultPermissions": [],
            "CreateTableDefaultPermissions": [],
        }
    )
    for role in ROLES.values():
        lf.grant_permissions(
            Principal={"DataLakePrincipalIdentifier": role},
            Resource={"Database": {"Name": DATABASES["transform"]}},
            Permissions=["DESCRIBE"],
        )
        lf.grant_permissions(
            Principal={"DataLakePrincipalIdentifier": role},
            Resource={"Table": {"DatabaseName": DATABASES["transform"], "Name": "customers"}},
            Permissions=["SELECT", "DESCRIBE"],
        )
    events = session.client("events")
    pattern = {
        "source": ["aws.glue"],
        "detail-type": ["Glue Job State Change"],
        "detail": {"jobName": sorted(job_name(k) for k in JOBS), "state": ["FAILED", "TIMEOUT", "STOPPED"]},
    }
    events.put_rule(Name=RULE, EventPattern=json.dumps(pattern), State="ENABLED")
    events.put_targets(Rule=RULE, Targets=[{"Id": "alerts", "Arn": TOPIC}])
    cloudwatch = session.client("cloudwatch")
    names = [f"{PREFIX}-glue-job-failures"]
    names += [f"{PREFIX}-quarantine-ratio-{e}" for e in ENTITIES] + [f"{PREFIX}-freshness-{e}" for e in ENTITIES]
    for name in names:
        cloudwatch.put_metric_alarm(
            AlarmName=name,
            Namespace="EnergyLake",
            MetricName="M",
            Statistic="Sum",
            Period=300,
            EvaluationPeriods=1,
            Threshold=1,
            ComparisonOperator="GreaterThanThreshold",
            AlarmActions=[TOPIC],
        )
    for entity in ENTITIES:  # published once a day: before the first run there is nothing to evaluate
        cloudwatch.set_alarm_state(
            AlarmName=f"{PREFIX}-freshness-{entity}", StateValue="INSUFFICIENT_DATA", StateReason="no data yet"
        )


@pytest.fixture(autouse=True)
def aws_environment(fake_aws_environment: None) -> None:
    """Every test here: moto's fake credentials, never a developer's profile (tests/unit/conftest.py)."""


@pytest.fixture
def session() -> Iterator[Any]:
    with mock_aws():
        base = boto3.Session(region_name=REGION)
        create_environment(base)
        yield base


@pytest.fixture
def targets() -> smoke.SmokeTargets:
    doc = outputs_doc()
    return smoke.smoke_targets(deploy.parse_outputs(doc, "test outputs"), doc)


class Session:
    """A session whose clients are moto's, except the ones a test gives (stubbed)."""

    def __init__(self, base: Any, **clients: Any) -> None:
        self.base, self.clients = base, clients
        self.region_name = REGION

    def client(self, name: str) -> Any:
        return self.clients[name] if name in self.clients else self.base.client(name)


class FakeClock(smoke.Clock):
    def __init__(self) -> None:
        self.t = 0.0
        self.sleeps: list[float] = []
        super().__init__(sleep=self._sleep, monotonic=lambda: self.t, now=lambda: NOW)

    def _sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.t += seconds


def denying_athena(message: str = DENIED) -> Any:
    """The analyst's Athena client: general columns answered, the personal-data column refused.

    Its Stubber is ``client.stub``, so a test can check that both queries were asked.
    """
    athena = boto3.client("athena", region_name=REGION)
    stub = Stubber(athena)
    workgroup = WORKGROUPS["analyst"]
    for query_id, sql, status in (
        ("q-general", GENERAL_SQL, {"State": "SUCCEEDED"}),
        (
            "q-pii",
            PII_SQL,
            {
                "State": "FAILED",
                "StateChangeReason": message,
                "AthenaError": {"ErrorCategory": 2, "Retryable": False, "ErrorMessage": message},
            },
        ),
    ):
        stub.add_response(
            "start_query_execution", {"QueryExecutionId": query_id}, {"QueryString": sql, "WorkGroup": workgroup}
        )
        stub.add_response(
            "get_query_execution",
            {"QueryExecution": {"QueryExecutionId": query_id, "Query": sql, "Status": status}},
            {"QueryExecutionId": query_id},
        )
    stub.activate()
    athena.stub = stub
    return athena


def personas(analyst_athena: Any | None) -> smoke.PersonaSession:
    """Persona sessions on moto; the analyst's Athena client replaced when one is given."""

    def make(persona: str, credentials: Any) -> Any:
        session = CREDENTIALS_SESSION(REGION)(persona, credentials)
        if persona == "analyst" and analyst_athena is not None:
            return Session(session, athena=analyst_athena)
        return session

    return make


def run_smoke(
    session: Any,
    targets: smoke.SmokeTargets,
    *,
    analyst_athena: Any | None = None,
    options: smoke.Options | None = None,
    clock: FakeClock | None = None,
) -> tuple[int, list[str], str]:
    out, progress = io.StringIO(), io.StringIO()
    code = smoke.execute(
        targets,
        session,
        options or smoke.Options(alarm_wait=0, poll_interval=0),
        out,
        progress,
        persona_session=personas(analyst_athena),
        clock=clock or FakeClock(),
    )
    return code, out.getvalue().splitlines(), progress.getvalue()


def job_run_id(session: Any, key: str = "landing_to_raw") -> str:
    runs = session.client("glue").get_job_runs(JobName=job_name(key))["JobRuns"]
    assert len(runs) == 1
    return str(runs[0]["Id"])


def passing_lines(run_id: str) -> list[str]:
    return [
        f"PASS identity: {CALLER} (account {ACCOUNT})",
        f"PASS glue job: run {run_id} of {job_name('landing_to_raw')} (landing_to_raw) SUCCEEDED in 123 s",
        f"PASS athena data_engineer: {GENERAL_SQL} SUCCEEDED in workgroup {WORKGROUPS['data_engineer']}",
        f"PASS athena data_engineer personal data: {PII_SQL} SUCCEEDED: data_engineer reads personal data "
        "(transform.customers.id_number), as personas.yaml grants",
        f"PASS athena analyst: {GENERAL_SQL} SUCCEEDED in workgroup {WORKGROUPS['analyst']}",
        f"PASS athena analyst personal data: {PII_SQL} denied, as it must be (transform.customers.id_number is "
        f"personal data): {DENIED}",
        "PASS lake formation: no IAM_ALLOWED_PRINCIPALS grant on the 3 lake databases or their tables, none by "
        "default on new ones",
        f"PASS alert topic: published a test message to {TOPIC}; it has no confirmed subscription, so alerts reach "
        "no one: set alert_emails in terraform.tfvars and confirm the e-mail",
        f"PASS alert rule: rule {RULE} is ENABLED, matches failed runs of the 3 jobs and targets the topic; no job "
        "failed in the last 7 days, so EventBridge's own delivery (and its use of the lake key) is not proven yet: "
        "docs/operations.md says how to prove it",
        "PASS alarms: 7 alarms, none in ALARM (4 OK, 3 INSUFFICIENT_DATA)",
        "smoke check passed: 10 of 10 checks",
    ]


def replace(lines: list[str], prefix: str, line: str) -> list[str]:
    """``lines`` with the one starting with ``prefix`` replaced by ``line``."""
    hits = [i for i, item in enumerate(lines) if item.startswith(prefix)]
    assert len(hits) == 1, prefix
    return [line if i == hits[0] else item for i, item in enumerate(lines)]


def failed_summary(lines: list[str], *names: str) -> list[str]:
    return [*lines[:-1], f"smoke check FAILED: {len(names)} of 10 checks failed ({', '.join(names)})"]


# ------------------------------------------------------------------------------------------------
# Every check passing


def test_every_check_passes_on_a_good_deploy(session: Any, targets: smoke.SmokeTargets) -> None:
    analyst = denying_athena()
    clock = FakeClock()

    code, lines, progress = run_smoke(
        session, targets, analyst_athena=analyst, options=smoke.Options(alarm_wait=120, poll_interval=15), clock=clock
    )

    run_id = job_run_id(session)
    assert (code, lines) == (0, passing_lines(run_id))
    assert f"glue job {job_name('landing_to_raw')} run {run_id}: SUCCEEDED" in progress
    assert clock.sleeps == [120.0]  # moto's run ends at once; the alarms are read 120 s after it
    assert "waiting 120 s for CloudWatch to evaluate the alarms" in progress
    analyst.stub.assert_no_pending_responses()  # both analyst queries were asked, in the analyst's workgroup
    queries = session.client("athena").list_query_executions(WorkGroup=WORKGROUPS["data_engineer"])
    assert len(queries["QueryExecutionIds"]) == 2


def test_a_query_is_followed_to_its_end_and_stopped_at_its_timeout() -> None:
    athena = boto3.client("athena", region_name=REGION)
    clock = FakeClock()
    with Stubber(athena) as stub:
        stub.add_response("start_query_execution", {"QueryExecutionId": "q1"})
        for state in ("QUEUED", "RUNNING", "SUCCEEDED"):
            stub.add_response("get_query_execution", {"QueryExecution": {"Status": {"State": state}}})
        assert smoke.run_query(athena, GENERAL_SQL, "wg", "who", smoke.Options(), clock).state == "SUCCEEDED"
        assert clock.sleeps == [1.0, 1.0]

        stub.add_response("start_query_execution", {"QueryExecutionId": "q2"})
        for _ in range(3):
            stub.add_response("get_query_execution", {"QueryExecution": {"Status": {"State": "RUNNING"}}})
        stub.add_response("stop_query_execution", {}, {"QueryExecutionId": "q2"})
        with pytest.raises(smoke.CheckFailed) as caught:
            smoke.run_query(athena, GENERAL_SQL, "wg", "who", smoke.Options(query_timeout=2), clock)
        stub.assert_no_pending_responses()
    assert str(caught.value) == "query q2 still RUNNING after 2 s (--query-timeout); stopped it"


def test_the_job_run_is_followed_until_it_ends(session: Any, targets: smoke.SmokeTargets) -> None:
    glue = boto3.client("glue", region_name=REGION)
    with Stubber(glue) as stub:
        stub.add_response("start_job_run", {"JobRunId": "jr_1"}, {"JobName": job_name("landing_to_raw")})
        for state in ("STARTING", "RUNNING", "RUNNING", "SUCCEEDED"):
            stub.add_response(
                "get_job_run",
                {"JobRun": {"Id": "jr_1", "JobRunState": state, "ExecutionTime": 95}},
                {"JobName": job_name("landing_to_raw"), "RunId": "jr_1"},
            )
        clock = FakeClock()
        code, lines, progress = run_smoke(
            Session(session, glue=glue),
            targets,
            analyst_athena=denying_athena(),
            options=smoke.Options(alarm_wait=0, poll_interval=15),
            clock=clock,
        )
        stub.assert_no_pending_responses()
    assert code == 0, lines
    assert lines[1] == f"PASS glue job: run jr_1 of {job_name('landing_to_raw')} (landing_to_raw) SUCCEEDED in 95 s"
    assert clock.sleeps == [15.0, 15.0, 15.0]
    assert [line.split(": ")[-1] for line in progress.splitlines()] == ["STARTING", "RUNNING", "SUCCEEDED"]


# ------------------------------------------------------------------------------------------------
# One failing case per check


def test_a_failed_job_run_is_a_fail_line_with_its_error_message(session: Any, targets: smoke.SmokeTargets) -> None:
    glue = boto3.client("glue", region_name=REGION)
    message = "An error occurred while calling o91.save. lock s3://acme-dev-raw/_lake/lock is held by run r-17"
    with Stubber(glue) as stub:
        stub.add_response("start_job_run", {"JobRunId": "jr_9"}, {"JobName": job_name("landing_to_raw")})
        stub.add_response(
            "get_job_run",
            {"JobRun": {"Id": "jr_9", "JobRunState": "FAILED", "ErrorMessage": message, "ExecutionTime": 41}},
            {"JobName": job_name("landing_to_raw"), "RunId": "jr_9"},
        )
        clock = FakeClock()
        code, lines, progress = run_smoke(
            Session(session, glue=glue),
            targets,
            analyst_athena=denying_athena(),
            options=smoke.Options(alarm_wait=120),
            clock=clock,
        )
    expected = replace(
        passing_lines("jr_9"),
        "PASS glue job",
        f"FAIL glue job: run jr_9 of {job_name('landing_to_raw')} (landing_to_raw) ended FAILED in 41 s: {message}; "
        "logs: CloudWatch /aws-glue/jobs/error and /aws-glue/jobs/output, stream jr_9",
    )
    assert (code, lines) == (1, failed_summary(expected, "glue job"))
    assert clock.sleeps == []  # no good run: no point waiting for the alarms to settle
    assert "Traceback" not in "\n".join(lines) + progress


def test_a_job_run_that_does_not_end_in_time_fails_and_says_how_to_follow_it(
    session: Any, targets: smoke.SmokeTargets
) -> None:
    glue = boto3.client("glue", region_name=REGION)
    with Stubber(glue) as stub:
        stub.add_response("start_job_run", {"JobRunId": "jr_2"})
        for _ in range(3):
            stub.add_response("get_job_run", {"JobRun": {"Id": "jr_2", "JobRunState": "RUNNING"}})
        code, lines, _ = run_smoke(
            Session(session, glue=glue),
            targets,
            analyst_athena=denying_athena(),
            options=smoke.Options(timeout=60, poll_interval=30, alarm_wait=0),
        )
    name = job_name("landing_to_raw")
    assert code == 1
    assert lines[1] == (
        f"FAIL glue job: run jr_2 of {name} still RUNNING after 60 s (--timeout); it goes on in AWS: "
        f"aws glue get-job-run --job-name {name} --run-id jr_2"
    )


def test_the_analyst_reading_personal_data_is_a_fail(session: Any, targets: smoke.SmokeTargets) -> None:
    code, lines, _ = run_smoke(session, targets, analyst_athena=None)  # moto answers every query

    expected = replace(
        passing_lines(job_run_id(session)),
        "PASS athena analyst personal data",
        f"FAIL athena analyst personal data: {PII_SQL} SUCCEEDED: analyst read personal data "
        "(transform.customers.id_number) that Lake Formation must deny it; check the data cells filter "
        "customers_without_pii and that IAM_ALLOWED_PRINCIPALS has no grant on the table",
    )
    assert (code, lines) == (1, failed_summary(expected, "athena analyst personal data"))


def test_an_analyst_query_failing_for_another_reason_does_not_count_as_denied(
    session: Any, targets: smoke.SmokeTargets
) -> None:
    message = "Insufficient permissions to execute the query. Error opening Hive split: HIVE_CANNOT_OPEN_SPLIT"
    assert smoke.is_denial(smoke.QueryOutcome("q", "FAILED", message, None), "id_number")
    other = "HIVE_BAD_DATA: Error parsing field value '2024-13-01' for field 3"
    code, lines, _ = run_smoke(session, targets, analyst_athena=denying_athena(other))
    assert code == 1
    assert lines[5] == (
        f"FAIL athena analyst personal data: {PII_SQL} ended FAILED (query q-pii): {other}; that is not a "
        "permission denial, so it does not show that analyst is denied personal data: fix the cause and run again"
    )


def test_an_iam_allowed_principals_grant_is_a_fail(session: Any, targets: smoke.SmokeTargets) -> None:
    lf = session.client("lakeformation")
    everyone = {"DataLakePrincipalIdentifier": "IAM_ALLOWED_PRINCIPALS"}
    lf.grant_permissions(Principal=everyone, Resource={"Database": {"Name": DATABASES["raw"]}}, Permissions=["ALL"])
    lf.grant_permissions(
        Principal=everyone,
        Resource={"Table": {"DatabaseName": DATABASES["transform"], "Name": "customers"}},
        Permissions=["ALL"],
    )
    lf.grant_permissions(  # outside the lake: not this check's business
        Principal=everyone, Resource={"Database": {"Name": "someone_elses_db"}}, Permissions=["ALL"]
    )

    code, lines, _ = run_smoke(session, targets, analyst_athena=denying_athena())

    expected = replace(
        passing_lines(job_run_id(session)),
        "PASS lake formation",
        "FAIL lake formation: IAM_ALLOWED_PRINCIPALS holds ALL on database acme_dev_raw; ALL on table "
        "acme_dev_transform.customers: IAM policies alone would open these to any role; revoke them (aws "
        "lakeformation revoke-permissions --principal DataLakePrincipalIdentifier=IAM_ALLOWED_PRINCIPALS ...) and "
        "keep the data lake settings without default permissions (Terraform: aws_lakeformation_data_lake_settings)",
    )
    assert (code, lines) == (1, failed_summary(expected, "lake formation"))


def test_default_permissions_for_iam_allowed_principals_or_a_non_admin_caller_fail(
    session: Any, targets: smoke.SmokeTargets
) -> None:
    lf = session.client("lakeformation")
    settings = lf.get_data_lake_settings()["DataLakeSettings"]
    everyone = [{"Principal": {"DataLakePrincipalIdentifier": "IAM_ALLOWED_PRINCIPALS"}, "Permissions": ["ALL"]}]
    lf.put_data_lake_settings(DataLakeSettings={**settings, "CreateTableDefaultPermissions": everyone})
    with pytest.raises(smoke.CheckFailed, match=r"^IAM_ALLOWED_PRINCIPALS holds ALL on every new table \(data lake"):
        smoke.check_lake_formation(lf, targets, CALLER)

    lf.put_data_lake_settings(DataLakeSettings={**settings, "DataLakeAdmins": []})
    with pytest.raises(smoke.CheckFailed) as caught:
        smoke.check_lake_formation(lf, targets, CALLER)
    assert str(caught.value).startswith(f"cannot check: {CALLER} is not a Lake Formation data lake administrator")
    # an assumed-role session is its role, whatever the role's path
    admin = {"DataLakePrincipalIdentifier": f"arn:aws:iam::{ACCOUNT}:role/aws-reserved/sso.amazonaws.com/Admin_1"}
    lf.put_data_lake_settings(DataLakeSettings={**settings, "DataLakeAdmins": [admin]})
    assert smoke.check_lake_formation(lf, targets, f"arn:aws:sts::{ACCOUNT}:assumed-role/Admin_1/someone").startswith(
        "no IAM_ALLOWED_PRINCIPALS grant"
    )


def test_an_alarm_in_alarm_is_a_fail(session: Any, targets: smoke.SmokeTargets) -> None:
    session.client("cloudwatch").set_alarm_state(
        AlarmName=f"{PREFIX}-quarantine-ratio-customers",
        StateValue="ALARM",
        StateReason="Threshold Crossed: 1 datapoint [0.25 (02/03/26 11:00:00)] was greater than the threshold (0.05).",
    )

    code, lines, _ = run_smoke(session, targets, analyst_athena=denying_athena())

    expected = replace(
        passing_lines(job_run_id(session)),
        "PASS alarms",
        f"FAIL alarms: 1 of 7 alarms in ALARM: {PREFIX}-quarantine-ratio-customers (Threshold Crossed: 1 datapoint "
        "[0.25 (02/03/26 11:00:00)] was greater than the threshold (0.05).)",
    )
    assert (code, lines) == (1, failed_summary(expected, "alarms"))


def test_access_denied_on_assume_role_is_a_fail_line_not_a_traceback(session: Any, targets: smoke.SmokeTargets) -> None:
    sts = boto3.client("sts", region_name=REGION)
    denial = f"User: {CALLER} is not authorized to perform: sts:AssumeRole on resource: {ROLES['analyst']}"
    with Stubber(sts) as stub:
        stub.add_response("get_caller_identity", {"UserId": "AIDA", "Account": ACCOUNT, "Arn": CALLER})
        stub.add_response(
            "assume_role",
            {
                "Credentials": {
                    "AccessKeyId": "ASIAEXAMPLEEXAMPLE01",
                    "SecretAccessKey": "secret",
                    "SessionToken": "token",
                    "Expiration": NOW + timedelta(hours=1),
                }
            },
            {"RoleArn": ROLES["data_engineer"], "RoleSessionName": "energy-lake-smoke-data_engineer"},
        )
        stub.add_client_error(
            "assume_role",
            service_error_code="AccessDenied",
            service_message=denial,
            http_status_code=403,
            expected_params={"RoleArn": ROLES["analyst"], "RoleSessionName": "energy-lake-smoke-analyst"},
        )
        code, lines, progress = run_smoke(Session(session, sts=sts), targets)
        stub.assert_no_pending_responses()

    reason = (
        f"access denied while assuming the analyst role {ROLES['analyst']}: {denial}; your identity needs that "
        "permission (sts:AssumeRole), and the role must trust your account (persona_trusted_principals)"
    )
    expected = replace(passing_lines(job_run_id(session)), "PASS athena analyst:", f"FAIL athena analyst: {reason}")
    expected = replace(expected, "PASS athena analyst personal data", f"FAIL athena analyst personal data: {reason}")
    assert (code, lines) == (1, failed_summary(expected, "athena analyst", "athena analyst personal data"))
    assert "Traceback" not in "\n".join(lines) + progress


def test_access_denied_inside_a_persona_names_the_persona_role(targets: smoke.SmokeTargets) -> None:
    athena = boto3.client("athena", region_name=REGION)
    with Stubber(athena) as stub:
        stub.add_client_error(
            "start_query_execution",
            service_error_code="AccessDeniedException",
            service_message=f"User: {ROLES['analyst']}/s is not authorized to perform: athena:StartQueryExecution",
            http_status_code=400,
        )
        with pytest.raises(smoke.CheckFailed) as caught:
            smoke.run_query(
                athena, GENERAL_SQL, "wg", f"the analyst role {ROLES['analyst']}", smoke.Options(), FakeClock()
            )
    assert str(caught.value) == (
        f"access denied while starting a query in Athena workgroup 'wg': User: {ROLES['analyst']}/s is not authorized "
        f"to perform: athena:StartQueryExecution; the analyst role {ROLES['analyst']} needs that permission"
    )


def test_the_alert_topic_and_rule_fail_clearly(session: Any, targets: smoke.SmokeTargets) -> None:
    clock = FakeClock()
    cloudwatch = session.client("cloudwatch")
    cloudwatch.put_metric_data(
        Namespace="AWS/Events",
        MetricData=[
            {
                "MetricName": name,
                "Dimensions": [{"Name": "RuleName", "Value": RULE}],
                "Value": 1.0,
                "Timestamp": NOW - timedelta(hours=5),
            }
            for name in ("Invocations", "FailedInvocations")
        ],
    )
    with pytest.raises(smoke.CheckFailed, match=r"^EventBridge failed to deliver 1 alert\(s\) from rule"):
        smoke.check_alert_rule(session.client("events"), cloudwatch, targets, smoke.Options(), clock)

    events = session.client("events")
    events.disable_rule(Name=RULE)
    events.remove_targets(Rule=RULE, Ids=["alerts"])
    with pytest.raises(smoke.CheckFailed) as caught:
        smoke.check_alert_rule(events, cloudwatch, targets, smoke.Options(), clock)
    assert str(caught.value) == (
        f"EventBridge rule {RULE}: it is DISABLED, not ENABLED; it does not target the alert topic {TOPIC}; run "
        "`terraform apply`"
    )

    session.client("sns").delete_topic(TopicArn=TOPIC)
    with pytest.raises(smoke.CheckFailed, match=f"^publishing a test message to {TOPIC} failed: NotFound"):
        smoke.check_alert_topic(session.client("sns"), targets, CALLER, clock)


def test_a_delivered_alert_proves_the_eventbridge_leg(session: Any, targets: smoke.SmokeTargets) -> None:
    cloudwatch = session.client("cloudwatch")
    cloudwatch.put_metric_data(
        Namespace="AWS/Events",
        MetricData=[
            {
                "MetricName": "Invocations",
                "Dimensions": [{"Name": "RuleName", "Value": RULE}],
                "Value": 2.0,
                "Timestamp": NOW - timedelta(hours=5),
            }
        ],
    )
    sns = session.client("sns")
    sns.subscribe(TopicArn=TOPIC, Protocol="email", Endpoint="ops@example.com")
    assert smoke.check_alert_rule(session.client("events"), cloudwatch, targets, smoke.Options(), FakeClock()).endswith(
        "; it delivered 2 alert(s) in the last 7 days, none failed"
    )
    assert smoke.check_alert_topic(sns, targets, CALLER, FakeClock()).endswith(
        "; its 1 confirmed subscription(s) should receive it"
    )


def test_credentials_for_another_account_stop_the_check(session: Any) -> None:
    doc = outputs_doc(alert_topic_arn=f"arn:aws:sns:{REGION}:210987654321:{PREFIX}-alerts")
    other = smoke.smoke_targets(deploy.parse_outputs(doc, "test outputs"), doc)
    code, lines, _ = run_smoke(session, other)
    assert (code, lines) == (
        1,
        [
            f"FAIL identity: {CALLER} is in account {ACCOUNT}, but the outputs are for account 210987654321; use the "
            "sandbox account's profile (--profile or AWS_PROFILE)",
            "smoke check FAILED: the other checks need credentials for the environment's account",
        ],
    )
    assert session.client("glue").get_job_runs(JobName=job_name("landing_to_raw"))["JobRuns"] == []


# ------------------------------------------------------------------------------------------------
# The command line and the outputs


def write_outputs(tmp_path: Path, doc: object) -> Path:
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(doc), "utf-8")
    return path


def run_cli(args: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(args, out, err)
    return code, out.getvalue(), err.getvalue()


def test_cli_runs_every_check_from_a_saved_outputs_file(
    session: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(smoke, "credentials_session", lambda region: personas(denying_athena()))
    path = write_outputs(tmp_path, outputs_doc())

    code, out, err = run_cli(["--env", ENV, "--outputs-json", str(path), "--alarm-wait", "0", "--poll-interval", "0"])

    assert code == 0, out + err
    lines = out.splitlines()
    assert lines[0] == f"smoke check of environment {ENV} in region {REGION} ({path})"
    assert lines[1:] == passing_lines(job_run_id(session))
    assert "SUCCEEDED" in err  # progress goes to stderr


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        (outputs_doc(alert_topic_arn=None), "output 'alert_topic_arn' is not an SNS topic ARN: None"),
        (
            {"lake": {"value": {k: v for k, v in outputs_doc()["lake"]["value"].items() if k != "persona_roles"}}},
            "missing output(s) persona_roles",
        ),
        (
            outputs_doc(persona_roles={"analyst": ROLES["analyst"]}),
            "outputs 'athena_workgroups' (analyst, data_engineer) and 'persona_roles' (analyst) name different "
            "personas",
        ),
        (
            outputs_doc(
                athena_workgroups={**WORKGROUPS, "auditor": "w"},
                persona_roles={**ROLES, "auditor": "arn:aws:iam::1:role/a"},
            ),
            "persona(s) auditor in the outputs are not in personas.yaml",
        ),
        (
            outputs_doc(
                athena_workgroups={"data_engineer": "w"}, persona_roles={"data_engineer": ROLES["data_engineer"]}
            ),
            "the outputs have no role for persona(s) analyst of personas.yaml",
        ),
        (outputs_doc(environment="prod"), "is for environment 'prod', but --env dev was given"),
    ],
)
def test_bad_outputs_exit_2_before_touching_aws(tmp_path: Path, doc: dict[str, Any], message: str) -> None:
    with mock_aws():
        code, out, err = run_cli(["--env", ENV, "--outputs-json", str(write_outputs(tmp_path, doc))])
    assert code == 2, out + err
    assert err.startswith("error: ") and message in err, err
    assert "PASS" not in out and "FAIL" not in out


def test_terraform_outputs_are_read_once_in_the_environment_folder(tmp_path: Path) -> None:
    import subprocess

    calls: list[Any] = []

    def terraform(args: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        calls.append((args, kwargs["cwd"]))
        return subprocess.CompletedProcess(args, 0, json.dumps(outputs_doc()), "")

    found = smoke.terraform_smoke_outputs(tmp_path, run=terraform)
    assert calls == [(["terraform", "output", "-json"], tmp_path)]
    assert (found.alert_topic_arn, found.name_prefix, found.rule_name) == (TOPIC, PREFIX, RULE)
    assert found.databases == DATABASES and found.deploy.workflow_name == f"{PREFIX}-pipeline"


def test_no_credentials_is_one_fail_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with mock_aws():  # nothing could leave the machine even if a request were sent
        for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
        monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
        code, out, err = run_cli(["--env", ENV, "--outputs-json", str(write_outputs(tmp_path, outputs_doc()))])
    assert (code, err) == (1, "")
    assert out.splitlines()[1:] == [
        f"FAIL identity: {deploy.NO_CREDENTIALS}",
        "smoke check FAILED: the other checks need credentials for the environment's account",
    ]


def test_the_makefile_target_runs_the_script() -> None:
    makefile = (Path(cli.REPO_ROOT) / "Makefile").read_text("utf-8")
    assert "aws-smoke: $(STAMP) ## " in makefile  # the venv, not Java: no Spark here
    assert "\t$(PY) src/scripts/aws_smoke.py --env $(ENV)" in makefile
