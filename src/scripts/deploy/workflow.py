"""Step 6: start the Glue workflow and follow its run to the end, job by job.

:func:`start_workflow` starts a run, :func:`active_run` finds one in progress, :func:`follow_run` polls
``get_workflow_run`` (printing job state changes) until :func:`assess_run` says it ended or the timeout
passes. Imports :mod:`.base`, :mod:`.outputs`; touches the Glue workflow (starts runs, reads them).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TextIO

from botocore.exceptions import BotoCoreError, ClientError

from energy_lake.scripts.deploy.base import DeployError, aws, error_code, explain
from energy_lake.scripts.deploy.outputs import Targets

RUN_ACTIVE = ("RUNNING", "STOPPING")
RUN_FAILURE_STATS = ("FailedActions", "ErroredActions", "TimeoutActions", "StoppedActions")


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
        code = error_code(err)
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
