"""First-deploy smoke check: does a freshly applied and deployed environment work end to end?

Run by ``aws_smoke.py`` (``make aws-smoke ENV=dev``) after ``terraform apply`` and the deploy, against
a sandbox account, never in CI (docs/operations.md, "First-deploy smoke check"). Every name comes from
the environment's Terraform outputs, read with :func:`energy_lake.scripts.deploy.read_outputs_file` /
:func:`~energy_lake.scripts.deploy.terraform_outputs`; every AWS caller takes a client or a session.

The checks, one ``PASS``/``FAIL`` line each, in this order:

``identity``
    whose credentials these are, and that they are for the account the outputs describe;
``glue job``
    one run of a job (``landing_to_raw`` by default) followed to ``SUCCEEDED``;
``athena <persona>`` / ``athena <persona> personal data``
    each persona role (assumed with STS) runs, in its own workgroup, one query on general columns
    of a table every persona may read, which must succeed, and one on a ``pii`` column of the same
    table (the contracts say which), which must succeed for a persona with the ``restricted``
    classification and be *denied* for one without it (``personas.yaml``);
``lake formation``
    no grant to ``IAM_ALLOWED_PRINCIPALS`` (the console's ``IAMAllowedPrincipals``) on the lake's
    databases or tables, and none given to new ones by default;
``alert topic`` / ``alert rule``
    see below;
``alarms``
    after the run, none of the environment's CloudWatch alarms is in ``ALARM``.

How the alerts are proven. The alert path is: a Glue job ends FAILED -> an ``aws.glue`` "Glue Job
State Change" event -> the EventBridge rule -> the KMS-encrypted SNS topic -> its subscribers. A real
``aws.glue`` event cannot be faked: PutEvents sends *custom* events, and a source reserved to AWS is
refused (https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEvents.html; the
``aws.`` prefix rule is spelled out for EventBridge targets in
https://docs.aws.amazon.com/scheduler/latest/APIReference/API_EventBridgePutEventsV2Parameters.html).
Failing a job on purpose would prove it, but would also put the job-failure alarm in ALARM and spend
a second job run. So the check proves each leg as far as a sandbox honestly can, and says what it
did not prove:

* ``alert topic`` publishes a test message to the topic as the operator: the topic exists and SNS
  can use the lake key to encrypt it; the line counts the confirmed subscriptions that should
  receive it (none: alerts reach no one). It does *not* prove that EventBridge may publish or use
  the key;
* ``alert rule`` reads the rule: enabled, matching FAILED/TIMEOUT/STOPPED state changes of every
  lake job, targeting the topic; and its CloudWatch metrics over the last days
  (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-monitoring.html): any
  ``FailedInvocations`` is a FAIL (EventBridge could not deliver: topic policy or key policy); a
  delivered ``Invocations`` with none failed proves EventBridge's leg, key included; with neither
  (no job failed lately) the line says that leg is not yet proven.
"""

from __future__ import annotations

import json
import re
import subprocess
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any, TextIO

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from energy_lake.etl.jobs.args import JOBS
from energy_lake.etl.model.contracts import ENTITIES, load_contract, read_yaml
from energy_lake.scripts import deploy

SMOKE_OUTPUTS = ("glue_databases", "athena_workgroups", "persona_roles", "alert_topic_arn")
RESTRICTED = "restricted"
# Lake Formation's API name of the IAMAllowedPrincipals group
# (https://docs.aws.amazon.com/lake-formation/latest/dg/change-settings.html).
IAM_ALLOWED_PRINCIPALS = "IAM_ALLOWED_PRINCIPALS"
# Names the monitoring module gives (modules/monitoring/main.tf), from the prefix of every name.
TOPIC_SUFFIX = "-alerts"
RULE_SUFFIX = "-glue-job-failed"
FAILED_JOB_STATES = ("FAILED", "TIMEOUT", "STOPPED")
JOB_ACTIVE = frozenset({"STARTING", "RUNNING", "STOPPING", "WAITING"})
QUERY_ACTIVE = frozenset({"QUEUED", "RUNNING"})
# Athena's error type for a Lake Formation error (https://docs.aws.amazon.com/athena/latest/ug/error-reference.html).
ATHENA_LAKE_FORMATION_ERROR = 234
DENIAL_WORDS = (
    "access denied",
    "accessdenied",
    "not authorized",
    "permission denied",
    "insufficient permission",
    "insufficient lake formation permission",
)
_DEPLOY_WHO = "the deploying identity needs that permission"


# --------------------------------------------------------------------------------------------------
# What to check: the environment's Terraform outputs


@dataclass(frozen=True)
class SmokeTargets:
    """The deploy's targets plus the names the smoke check needs, all from the Terraform outputs."""

    deploy: deploy.Targets
    databases: Mapping[str, str]  # zone -> Glue database
    workgroups: Mapping[str, str]  # persona -> Athena workgroup
    persona_roles: Mapping[str, str]  # persona -> IAM role ARN
    alert_topic_arn: str

    @property
    def source(self) -> str:
        return self.deploy.source

    @property
    def account(self) -> str:
        return self.alert_topic_arn.split(":")[4]

    @property
    def name_prefix(self) -> str:
        """``<org>-<env>``, the prefix of every name the monitoring module gives (the topic is ``<prefix>-alerts``)."""
        return self.alert_topic_arn.rsplit(":", 1)[-1].removesuffix(TOPIC_SUFFIX)

    @property
    def rule_name(self) -> str:
        return self.name_prefix + RULE_SUFFIX

    @property
    def alarm_prefix(self) -> str:
        return self.name_prefix + "-"

    def job_name(self, key: str) -> str:
        return next(job.name for job in self.deploy.jobs if job.key == key)


def _name_map(values: Mapping[str, object], name: str, source: str) -> dict[str, str]:
    value = values.get(name)
    if not isinstance(value, dict) or not value:
        raise deploy.OutputsError(f"{source}: output {name!r} must be a non-empty map of names")
    if not all(isinstance(k, str) and isinstance(v, str) and v for k, v in value.items()):
        raise deploy.OutputsError(f"{source}: output {name!r} must map names to non-empty strings")
    return dict(value)


def smoke_targets(targets: deploy.Targets, doc: object) -> SmokeTargets:
    """The smoke check's targets from the deploy's and the same ``terraform output -json`` document."""
    source = targets.source
    values = deploy.output_values(doc, source)
    missing = [name for name in SMOKE_OUTPUTS if name not in values]
    if missing:
        raise deploy.OutputsError(f"{source}: missing output(s) {', '.join(missing)}; run `terraform apply` again")
    databases = _name_map(values, "glue_databases", source)
    workgroups = _name_map(values, "athena_workgroups", source)
    roles = _name_map(values, "persona_roles", source)
    if set(workgroups) != set(roles):
        raise deploy.OutputsError(
            f"{source}: outputs 'athena_workgroups' ({', '.join(sorted(workgroups))}) and 'persona_roles' "
            f"({', '.join(sorted(roles))}) name different personas"
        )
    topic = values["alert_topic_arn"]
    if not isinstance(topic, str) or not re.fullmatch(r"arn:[\w-]+:sns:[\w-]+:\d{12}:[\w-]+", topic):
        raise deploy.OutputsError(f"{source}: output 'alert_topic_arn' is not an SNS topic ARN: {topic!r}")
    if not topic.endswith(TOPIC_SUFFIX):
        raise deploy.OutputsError(
            f"{source}: alert topic {topic} is not named <prefix>{TOPIC_SUFFIX} as the monitoring module names it"
        )
    return SmokeTargets(targets, databases, workgroups, roles, topic)


def read_outputs(path: Path) -> SmokeTargets:
    """From a saved ``terraform output -json > FILE`` (checked by the deploy's reader first)."""
    targets = deploy.read_outputs_file(path)
    return smoke_targets(targets, json.loads(path.read_text("utf-8")))


def terraform_smoke_outputs(tf_dir: Path, run: deploy.Runner = subprocess.run) -> SmokeTargets:
    """From ``terraform output -json`` in the environment's folder, run once through the deploy's reader."""
    printed: list[str] = []

    def capture(*args: Any, **kwargs: Any) -> subprocess.CompletedProcess[str]:
        done = run(*args, **kwargs)
        printed.append(done.stdout)
        return done

    targets = deploy.terraform_outputs(tf_dir, run=capture)
    return smoke_targets(targets, json.loads(printed[-1]))


# --------------------------------------------------------------------------------------------------
# The table the persona queries read: from the contracts and personas.yaml


@dataclass(frozen=True)
class Probe:
    """A table every persona may read, one of its general columns and one of its personal-data columns."""

    zone: str
    table: str
    general_column: str
    pii_column: str

    def query(self, database: str, column: str) -> str:
        # Identifiers from the contracts and the Terraform outputs, never user input; quoted for Athena.
        return f'SELECT "{column}" FROM "{database}"."{self.table}" LIMIT 1'  # noqa: S608  # nosec B608


def persona_classifications(personas: Sequence[str]) -> dict[str, tuple[str, ...]]:
    """persona -> its classifications, in ``personas.yaml`` order; a persona it lacks is an outputs error."""
    defined = read_yaml("personas.yaml")["personas"]
    unknown = [p for p in personas if p not in defined]
    if unknown:
        raise deploy.OutputsError(f"persona(s) {', '.join(unknown)} in the outputs are not in personas.yaml")
    absent = [p for p in defined if p not in personas]
    if absent:
        raise deploy.OutputsError(
            f"the outputs have no role for persona(s) {', '.join(absent)} of personas.yaml; run `terraform apply`"
        )
    return {p: tuple(v["classifications"]) for p, v in defined.items() if p in personas}


def probe_table(personas: Sequence[str]) -> Probe:
    """The first entity table with personal data in a zone every persona reads (transform, as it stands)."""
    defined = read_yaml("personas.yaml")["personas"]
    zones = [z for z in ("raw", "transform") if all(z in defined[p]["zones"] for p in personas)]
    for contract in (load_contract(e) for e in ENTITIES) if zones else ():
        pii = [c.name for c in contract.columns if c.pii]
        general = [c.name for c in contract.columns if not c.pii]
        if pii and general:
            return Probe(zones[0], contract.entity, general[0], pii[0])
    raise deploy.OutputsError("no entity table with personal data in a zone every persona reads: nothing to query")


# --------------------------------------------------------------------------------------------------
# Results and AWS errors


@dataclass(frozen=True)
class Result:
    name: str
    ok: bool
    reason: str

    def line(self) -> str:
        return f"{'PASS' if self.ok else 'FAIL'} {self.name}: {self.reason}"


class CheckFailed(Exception):
    """A check's FAIL, with the reason the user reads."""


def why(err: Exception, action: str, who: str = "your identity") -> str:
    """The deploy's one-line explanation of an AWS error, naming who lacks a denied permission."""
    text = deploy.explain(err, action)
    if isinstance(err, ClientError) and deploy.is_access_denied(err):
        text = text.replace(_DEPLOY_WHO, f"{who} needs that permission")
    return text


def error_code(err: ClientError) -> str:
    return str(err.response.get("Error", {}).get("Code", ""))


@contextmanager
def aws(action: str, who: str = "your identity") -> Iterator[None]:
    """Turn a boto error into a :class:`CheckFailed` that says what was being done."""
    try:
        yield
    except (BotoCoreError, ClientError) as err:
        raise CheckFailed(why(err, action, who)) from None


# --------------------------------------------------------------------------------------------------
# Options and the environment the checks run in


@dataclass(frozen=True)
class Options:
    job: str = "landing_to_raw"
    timeout: float = 1800.0  # seconds to follow the job run
    poll_interval: float = 15.0
    query_timeout: float = 300.0
    query_poll_interval: float = 1.0
    alarm_wait: float = 120.0  # seconds after the run before reading the alarms
    metric_days: int = 7  # how far back the alert rule's delivery metrics are read


PersonaSession = Callable[[str, Mapping[str, Any]], Any]


def credentials_session(region: str | None) -> PersonaSession:
    """A boto3 session per persona from the credentials ``sts.assume_role`` returned."""

    def make(persona: str, credentials: Mapping[str, Any]) -> Any:
        return boto3.Session(
            aws_access_key_id=credentials["AccessKeyId"],
            aws_secret_access_key=credentials["SecretAccessKey"],
            aws_session_token=credentials["SessionToken"],
            region_name=region,
        )

    return make


@dataclass
class Clock:
    sleep: Callable[[float], None] = time.sleep
    monotonic: Callable[[], float] = time.monotonic
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))


# --------------------------------------------------------------------------------------------------
# identity


def check_identity(sts: Any, targets: SmokeTargets) -> tuple[str, str]:
    """(pass reason, caller ARN); the credentials must be for the outputs' account."""
    with aws("checking the AWS identity"):
        identity = sts.get_caller_identity()
    arn, account = str(identity.get("Arn")), str(identity.get("Account"))
    if account != targets.account:
        raise CheckFailed(
            f"{arn} is in account {account}, but the outputs are for account {targets.account}; "
            "use the sandbox account's profile (--profile or AWS_PROFILE)"
        )
    return f"{arn} (account {account})", arn


# --------------------------------------------------------------------------------------------------
# glue job


def start_job(glue: Any, name: str) -> str:
    try:
        return str(glue.start_job_run(JobName=name)["JobRunId"])
    except ClientError as err:
        code = error_code(err)
        if code == "EntityNotFoundException":
            raise CheckFailed(f"Glue job {name!r} does not exist; run `terraform apply` for this environment") from None
        if code == "ConcurrentRunsExceededException":
            raise CheckFailed(
                f"Glue job {name!r} is already running; wait for that run to end "
                f"(aws glue get-job-runs --job-name {name}) and run the smoke check again"
            ) from None
        raise CheckFailed(why(err, f"starting Glue job {name!r}")) from None
    except BotoCoreError as err:
        raise CheckFailed(why(err, f"starting Glue job {name!r}")) from None


def follow_job_run(
    glue: Any, name: str, run_id: str, options: Options, progress: TextIO, clock: Clock
) -> Mapping[str, Any]:
    """Poll one job run until it ends or ``options.timeout`` passes, as the deploy follows a workflow run."""
    started = clock.monotonic()
    last = ""
    while True:
        with aws(f"reading run {run_id} of Glue job {name!r}"):
            job_run: Mapping[str, Any] = glue.get_job_run(JobName=name, RunId=run_id)["JobRun"]
        elapsed = clock.monotonic() - started
        state = str(job_run.get("JobRunState", "UNKNOWN"))
        if state != last:
            progress.write(f"  [{elapsed:6.0f}s] glue job {name} run {run_id}: {state}\n")
            progress.flush()
            last = state
        if state not in JOB_ACTIVE:
            return job_run
        if elapsed >= options.timeout:
            raise CheckFailed(
                f"run {run_id} of {name} still {state} after {options.timeout:.0f} s (--timeout); it goes on in "
                f"AWS: aws glue get-job-run --job-name {name} --run-id {run_id}"
            )
        clock.sleep(min(options.poll_interval, options.timeout - elapsed))


def check_job_run(glue: Any, targets: SmokeTargets, options: Options, progress: TextIO, clock: Clock) -> str:
    name = targets.job_name(options.job)
    run_id = start_job(glue, name)
    job_run = follow_job_run(glue, name, run_id, options, progress, clock)
    state = str(job_run.get("JobRunState"))
    seconds = job_run.get("ExecutionTime")
    took = f" in {seconds} s" if seconds is not None else ""
    if state == "SUCCEEDED":
        return f"run {run_id} of {name} ({options.job}) SUCCEEDED{took}"
    message = job_run.get("ErrorMessage")
    raise CheckFailed(
        f"run {run_id} of {name} ({options.job}) ended {state}{took}"
        + (f": {message}" if message else "")
        + f"; logs: CloudWatch /aws-glue/jobs/error and /aws-glue/jobs/output, stream {run_id}"
    )


# --------------------------------------------------------------------------------------------------
# athena


@dataclass(frozen=True)
class QueryOutcome:
    query_id: str
    state: str
    message: str
    error_type: int | None


def run_query(athena: Any, sql: str, workgroup: str, who: str, options: Options, clock: Clock) -> QueryOutcome:
    with aws(f"starting a query in Athena workgroup {workgroup!r}", who):
        query_id = str(athena.start_query_execution(QueryString=sql, WorkGroup=workgroup)["QueryExecutionId"])
    started = clock.monotonic()
    while True:
        with aws(f"reading Athena query {query_id}", who):
            status = athena.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]["Status"]
        state = str(status.get("State", "UNKNOWN"))
        if state not in QUERY_ACTIVE:
            error = status.get("AthenaError") or {}
            message = str(error.get("ErrorMessage") or status.get("StateChangeReason") or "")
            error_type = error.get("ErrorType")
            return QueryOutcome(query_id, state, message, int(error_type) if error_type is not None else None)
        elapsed = clock.monotonic() - started
        if elapsed >= options.query_timeout:
            with suppress(BotoCoreError, ClientError):  # best effort: do not leave it scanning
                athena.stop_query_execution(QueryExecutionId=query_id)
            raise CheckFailed(
                f"query {query_id} still {state} after {options.query_timeout:.0f} s (--query-timeout); stopped it"
            )
        clock.sleep(min(options.query_poll_interval, options.query_timeout - elapsed))


def is_denial(outcome: QueryOutcome, column: str) -> bool:
    """Did Athena refuse the query for lack of permission on ``column``?

    Lake Formation removes the columns a principal may not read from the table it shows them
    (https://docs.aws.amazon.com/lake-formation/latest/dg/limitations.html, "Limitation on filtering
    of table metadata"), so Athena may also answer that the column cannot be resolved.
    """
    if outcome.state != "FAILED":
        return False
    if outcome.error_type == ATHENA_LAKE_FORMATION_ERROR:
        return True
    text = outcome.message.lower()
    if any(word in text for word in DENIAL_WORDS):
        return True
    unresolved = "column_not_found" in text or "cannot be resolved" in text
    return unresolved and column.lower() in text


class Personas:
    """Each persona's Athena client, from its role assumed once; a failure is remembered as the reason."""

    def __init__(self, sts: Any, targets: SmokeTargets, make_session: PersonaSession) -> None:
        self.sts, self.targets, self.make_session = sts, targets, make_session
        self.clients: dict[str, Any] = {}
        self.failures: dict[str, str] = {}

    def who(self, persona: str) -> str:
        return f"the {persona} role {self.targets.persona_roles[persona]}"

    def athena(self, persona: str) -> Any:
        if persona in self.failures:
            raise CheckFailed(self.failures[persona])
        if persona not in self.clients:
            role = self.targets.persona_roles[persona]
            try:
                credentials = self.sts.assume_role(RoleArn=role, RoleSessionName=f"energy-lake-smoke-{persona}")[
                    "Credentials"
                ]
                self.clients[persona] = self.make_session(persona, credentials).client("athena")
            except (BotoCoreError, ClientError) as err:
                reason = why(err, f"assuming the {persona} role {role}")
                if isinstance(err, ClientError) and deploy.is_access_denied(err):
                    reason += " (sts:AssumeRole), and the role must trust your account (persona_trusted_principals)"
                self.failures[persona] = reason
                raise CheckFailed(reason) from None
        return self.clients[persona]


def check_general_query(
    personas: Personas, persona: str, targets: SmokeTargets, probe: Probe, options: Options, clock: Clock
) -> str:
    athena = personas.athena(persona)
    workgroup = targets.workgroups[persona]
    database = targets.databases[probe.zone]
    sql = probe.query(database, probe.general_column)
    outcome = run_query(athena, sql, workgroup, personas.who(persona), options, clock)
    if outcome.state != "SUCCEEDED":
        raise CheckFailed(
            f"{sql} ended {outcome.state} in workgroup {workgroup} (query {outcome.query_id})"
            + (f": {outcome.message}" if outcome.message else "")
        )
    return f"{sql} SUCCEEDED in workgroup {workgroup}"


def check_personal_query(
    personas: Personas,
    persona: str,
    restricted: bool,
    general_passed: bool,
    targets: SmokeTargets,
    probe: Probe,
    options: Options,
    clock: Clock,
) -> str:
    athena = personas.athena(persona)
    workgroup = targets.workgroups[persona]
    database = targets.databases[probe.zone]
    sql = probe.query(database, probe.pii_column)
    outcome = run_query(athena, sql, workgroup, personas.who(persona), options, clock)
    column = f"{probe.zone}.{probe.table}.{probe.pii_column}"
    detail = f" (query {outcome.query_id})" + (f": {outcome.message}" if outcome.message else "")
    if restricted:
        if outcome.state != "SUCCEEDED":
            raise CheckFailed(
                f"{sql} ended {outcome.state}{detail}; {persona} has the restricted classification and must read "
                f"{column}: check its Lake Formation grants (terraform apply)"
            )
        return f"{sql} SUCCEEDED: {persona} reads personal data ({column}), as personas.yaml grants"
    if outcome.state == "SUCCEEDED":
        raise CheckFailed(
            f"{sql} SUCCEEDED: {persona} read personal data ({column}) that Lake Formation must deny it; check the "
            f"data cells filter {probe.table}_without_pii and that IAM_ALLOWED_PRINCIPALS has no grant on the table"
        )
    if not is_denial(outcome, probe.pii_column):
        raise CheckFailed(
            f"{sql} ended {outcome.state}{detail}; that is not a permission denial, so it does not show that "
            f"{persona} is denied personal data: fix the cause and run again"
        )
    if not general_passed:
        raise CheckFailed(
            f"{sql} was denied, but {persona}'s query on general columns of the same table failed too, so the "
            f"denial need not be about personal data: fix the athena {persona} check first"
        )
    return f"{sql} denied, as it must be ({column} is personal data): {outcome.message}"


# --------------------------------------------------------------------------------------------------
# lake formation


def _principal_key(arn: str) -> tuple[str, str, str] | None:
    """(account, user|role, name) of an IAM user/role ARN or an assumed-role session ARN."""
    parts = arn.split(":", 5)
    if len(parts) != 6:
        return None
    account, resource = parts[4], parts[5]
    kind, _, rest = resource.partition("/")
    if kind == "assumed-role" and rest:
        return account, "role", rest.split("/", 1)[0]
    if kind in ("user", "role") and rest:
        return account, kind, rest.rsplit("/", 1)[-1]
    return None


def _is_iam_allowed(entry: Mapping[str, Any]) -> bool:
    principal = str(entry.get("Principal", {}).get("DataLakePrincipalIdentifier", ""))
    return principal.replace("_", "").lower() == IAM_ALLOWED_PRINCIPALS.replace("_", "").lower()


def _permissions(lf: Any, **request: Any) -> Iterator[Mapping[str, Any]]:
    """Every entry of ``list_permissions`` (it has no boto3 paginator)."""
    token: str | None = None
    while True:
        page = lf.list_permissions(**request, **({"NextToken": token} if token else {}))
        yield from page.get("PrincipalResourcePermissions", [])
        token = page.get("NextToken")
        if not token:
            return


def _resource_label(resource: Mapping[str, Any], databases: set[str]) -> str | None:
    """``database X`` / ``table X.Y`` for a resource in one of ``databases``, else None."""
    if "Database" in resource:
        name = str(resource["Database"].get("Name"))
        return f"database {name}" if name in databases else None
    for kind in ("Table", "TableWithColumns"):
        if kind in resource:
            table = resource[kind]
            database = str(table.get("DatabaseName"))
            if database not in databases:
                return None
            name = table.get("Name") or ("*" if "TableWildcard" in table else "?")
            columns = " columns" if kind == "TableWithColumns" else ""
            return f"table {database}.{name}{columns}"
    return None


def check_lake_formation(lf: Any, targets: SmokeTargets, caller_arn: str) -> str:
    """No IAM_ALLOWED_PRINCIPALS grant on the lake's databases or tables, nor by default on new ones."""
    with aws("reading the Lake Formation settings"):
        settings = lf.get_data_lake_settings()["DataLakeSettings"]
    # ListPermissions shows a caller only what its own permissions cover
    # (https://docs.aws.amazon.com/lake-formation/latest/APIReference/API_ListPermissions.html):
    # only an administrator's "none" means none.
    admins = [
        str(p.get("DataLakePrincipalIdentifier", ""))
        for p in [*settings.get("DataLakeAdmins", []), *settings.get("ReadOnlyAdmins", [])]
    ]
    caller = _principal_key(caller_arn)
    if caller is None or caller not in {_principal_key(a) for a in admins}:
        raise CheckFailed(
            f"cannot check: {caller_arn} is not a Lake Formation data lake administrator, and Lake Formation shows "
            "others only part of the grants; run as the identity that ran terraform apply, or add yours to "
            "lake_formation_admins in terraform.tfvars"
        )
    defaults = (("database", "CreateDatabaseDefaultPermissions"), ("table", "CreateTableDefaultPermissions"))
    findings = [
        f"{'/'.join(entry.get('Permissions', []))} on every new {what} (data lake setting {key})"
        for what, key in defaults
        for entry in settings.get(key, [])
        if _is_iam_allowed(entry)
    ]
    databases = set(targets.databases.values())
    # By resource type, then filtered here: ListPermissions refuses a Principal without a Resource, and
    # one call per named resource would miss the grants on a table wildcard or on columns.
    for resource_type in ("DATABASE", "TABLE"):
        with aws(f"listing the Lake Formation {resource_type.lower()} permissions"):
            entries = list(_permissions(lf, ResourceType=resource_type))
        for entry in entries:
            label = _resource_label(entry.get("Resource", {}), databases)
            if label is not None and _is_iam_allowed(entry):
                findings.append(f"{'/'.join(entry.get('Permissions', []))} on {label}")
    if findings:
        raise CheckFailed(
            "IAM_ALLOWED_PRINCIPALS holds "
            + "; ".join(findings)
            + ": IAM policies alone would open these to any role; revoke them (aws lakeformation "
            "revoke-permissions --principal DataLakePrincipalIdentifier=IAM_ALLOWED_PRINCIPALS ...) and keep the "
            "data lake settings without default permissions (Terraform: aws_lakeformation_data_lake_settings)"
        )
    return (
        f"no IAM_ALLOWED_PRINCIPALS grant on the {len(databases)} lake databases or their tables, "
        "none by default on new ones"
    )


# --------------------------------------------------------------------------------------------------
# alert topic and rule


def check_alert_topic(sns: Any, targets: SmokeTargets, caller_arn: str, clock: Clock) -> str:
    topic = targets.alert_topic_arn
    env = targets.deploy.environment or targets.name_prefix
    try:
        sns.publish(
            TopicArn=topic,
            Subject=f"Energy lake {env} smoke test"[:100],
            Message=(
                f"Smoke test of the energy lake {env} alert topic, sent by {caller_arn} at "
                f"{clock.now().isoformat(timespec='seconds')}. No action needed."
            ),
        )
    except ClientError as err:
        reason = why(err, f"publishing a test message to {topic}")
        if error_code(err).startswith("KMS"):
            reason += (
                "; the topic is encrypted with the lake key: your identity needs kms:GenerateDataKey* and "
                "kms:Decrypt on it"
            )
        raise CheckFailed(reason) from None
    except BotoCoreError as err:
        raise CheckFailed(why(err, f"publishing a test message to {topic}")) from None
    reason = f"published a test message to {topic}"
    try:
        subscriptions = sns.list_subscriptions_by_topic(TopicArn=topic).get("Subscriptions", [])
    except (BotoCoreError, ClientError):
        return reason + " (its subscriptions could not be listed)"
    confirmed = [s for s in subscriptions if str(s.get("SubscriptionArn", "")).startswith("arn:")]
    if not confirmed:
        return reason + (
            "; it has no confirmed subscription, so alerts reach no one: set alert_emails in terraform.tfvars "
            "and confirm the e-mail"
        )
    return reason + f"; its {len(confirmed)} confirmed subscription(s) should receive it"


def _metric_sum(cloudwatch: Any, name: str, rule: str, start: datetime, end: datetime) -> float:
    with aws(f"reading the EventBridge metric {name} of rule {rule}"):
        points = cloudwatch.get_metric_statistics(
            Namespace="AWS/Events",
            MetricName=name,
            Dimensions=[{"Name": "RuleName", "Value": rule}],
            StartTime=start,
            EndTime=end,
            Period=86400,
            Statistics=["Sum"],
        ).get("Datapoints", [])
    return float(sum(p.get("Sum", 0) for p in points))


def check_alert_rule(events: Any, cloudwatch: Any, targets: SmokeTargets, options: Options, clock: Clock) -> str:
    rule = targets.rule_name
    try:
        described = events.describe_rule(Name=rule)
    except ClientError as err:
        if error_code(err) == "ResourceNotFoundException":
            raise CheckFailed(f"no EventBridge rule {rule}; run `terraform apply` for this environment") from None
        raise CheckFailed(why(err, f"reading EventBridge rule {rule}")) from None
    except BotoCoreError as err:
        raise CheckFailed(why(err, f"reading EventBridge rule {rule}")) from None
    problems = []
    if described.get("State") != "ENABLED":
        problems.append(f"it is {described.get('State')}, not ENABLED")
    try:
        pattern = json.loads(described.get("EventPattern") or "{}")
    except json.JSONDecodeError:
        pattern = {}
    detail = pattern.get("detail", {}) if isinstance(pattern, dict) else {}
    if "aws.glue" not in pattern.get("source", []) or "Glue Job State Change" not in pattern.get("detail-type", []):
        problems.append("its pattern does not match Glue Job State Change events")
    unmatched_jobs = [job.name for job in targets.deploy.jobs if job.name not in detail.get("jobName", [])]
    if unmatched_jobs:
        problems.append(f"its pattern misses job(s) {', '.join(unmatched_jobs)}")
    unmatched_states = [s for s in FAILED_JOB_STATES if s not in detail.get("state", [])]
    if unmatched_states:
        problems.append(f"its pattern misses state(s) {', '.join(unmatched_states)}")
    with aws(f"listing the targets of EventBridge rule {rule}"):
        arns = [str(t.get("Arn")) for t in events.list_targets_by_rule(Rule=rule).get("Targets", [])]
    if targets.alert_topic_arn not in arns:
        problems.append(f"it does not target the alert topic {targets.alert_topic_arn}")
    if problems:
        raise CheckFailed(f"EventBridge rule {rule}: " + "; ".join(problems) + "; run `terraform apply`")
    end = clock.now()
    start = end - timedelta(days=options.metric_days)
    failed = _metric_sum(cloudwatch, "FailedInvocations", rule, start, end)
    delivered = _metric_sum(cloudwatch, "Invocations", rule, start, end)
    days = f"the last {options.metric_days} days"
    if failed:
        raise CheckFailed(
            f"EventBridge failed to deliver {failed:.0f} alert(s) from rule {rule} to the topic in {days} "
            "(FailedInvocations): the topic policy must let events.amazonaws.com publish and the lake key's "
            "policy must let it use the key (kms:GenerateDataKey*, kms:Decrypt)"
        )
    base = f"rule {rule} is ENABLED, matches failed runs of the {len(targets.deploy.jobs)} jobs and targets the topic"
    if delivered:
        return base + f"; it delivered {delivered:.0f} alert(s) in {days}, none failed"
    return base + (
        f"; no job failed in {days}, so EventBridge's own delivery (and its use of the lake key) is not proven "
        "yet: docs/operations.md says how to prove it"
    )


# --------------------------------------------------------------------------------------------------
# alarms


def check_alarms(cloudwatch: Any, targets: SmokeTargets) -> str:
    prefix = targets.alarm_prefix
    alarms: list[Mapping[str, Any]] = []
    with aws(f"reading the CloudWatch alarms named {prefix}*"):
        for page in cloudwatch.get_paginator("describe_alarms").paginate(AlarmNamePrefix=prefix):
            alarms.extend(page.get("MetricAlarms", []))
            alarms.extend(page.get("CompositeAlarms", []))
    if not alarms:
        raise CheckFailed(f"no CloudWatch alarm named {prefix}*; run `terraform apply` for this environment")
    firing = sorted((a for a in alarms if a.get("StateValue") == "ALARM"), key=lambda a: str(a.get("AlarmName")))
    if firing:
        details = "; ".join(
            f"{a.get('AlarmName')} ({' '.join(str(a.get('StateReason', '')).split())[:160]})" for a in firing
        )
        raise CheckFailed(f"{len(firing)} of {len(alarms)} alarms in ALARM: {details}")
    counts = {state: sum(a.get("StateValue") == state for a in alarms) for state in ("OK", "INSUFFICIENT_DATA")}
    return f"{len(alarms)} alarms, none in ALARM ({counts['OK']} OK, {counts['INSUFFICIENT_DATA']} INSUFFICIENT_DATA)"


# --------------------------------------------------------------------------------------------------
# The whole check


def execute(
    targets: SmokeTargets,
    session: Any,
    options: Options,
    out: TextIO,
    progress: TextIO,
    *,
    persona_session: PersonaSession | None = None,
    clock: Clock | None = None,
) -> int:
    """Run every check, one line each on ``out`` (progress on ``progress``); 0 when all pass, else 1."""
    clock = clock or Clock()
    if options.job not in JOBS:
        raise deploy.OutputsError(f"unknown job {options.job!r}; expected one of {', '.join(JOBS)}")
    classifications = persona_classifications(list(targets.persona_roles))
    probe = probe_table(list(classifications))
    results: list[Result] = []

    def record(name: str, check: Callable[[], str]) -> Result:
        try:
            result = Result(name, True, check())
        except CheckFailed as failed:
            result = Result(name, False, str(failed))
        except (BotoCoreError, ClientError) as err:  # a call no check wrapped: still a line, not a traceback
            result = Result(name, False, why(err, f"running the {name} check"))
        out.write(result.line() + "\n")
        out.flush()
        results.append(result)
        return result

    with deploy.aws("creating AWS clients"):
        sts, glue, lf, sns, events, cloudwatch = (
            session.client(name) for name in ("sts", "glue", "lakeformation", "sns", "events", "cloudwatch")
        )

    caller: list[str] = []

    def identity() -> str:
        reason, arn = check_identity(sts, targets)
        caller.append(arn)
        return reason

    if not record("identity", identity).ok:
        out.write("smoke check FAILED: the other checks need credentials for the environment's account\n")
        return 1
    job = record("glue job", partial(check_job_run, glue, targets, options, progress, clock))
    job_ended = clock.monotonic()
    roles = Personas(sts, targets, persona_session or credentials_session(session.region_name))
    for persona, persona_classes in classifications.items():
        general = record(
            f"athena {persona}", partial(check_general_query, roles, persona, targets, probe, options, clock)
        )
        restricted = RESTRICTED in persona_classes
        record(
            f"athena {persona} personal data",
            partial(check_personal_query, roles, persona, restricted, general.ok, targets, probe, options, clock),
        )
    record("lake formation", partial(check_lake_formation, lf, targets, caller[0]))
    record("alert topic", partial(check_alert_topic, sns, targets, caller[0], clock))
    record("alert rule", partial(check_alert_rule, events, cloudwatch, targets, options, clock))
    wait = options.alarm_wait - (clock.monotonic() - job_ended)
    if job.ok and wait > 0:
        progress.write(f"  waiting {wait:.0f} s for CloudWatch to evaluate the alarms on the run's metrics\n")
        progress.flush()
        clock.sleep(wait)
    record("alarms", partial(check_alarms, cloudwatch, targets))
    failed = [r.name for r in results if not r.ok]
    if failed:
        out.write(f"smoke check FAILED: {len(failed)} of {len(results)} checks failed ({', '.join(failed)})\n")
        return 1
    out.write(f"smoke check passed: {len(results)} of {len(results)} checks\n")
    return 0
