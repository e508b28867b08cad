"""Step 5: check that each Glue job runs the uploaded entry script with the uploaded library and wheels.

:func:`check_jobs` reads each job's definition and says exactly what differs; :func:`describe_check`
words one result for the operator. Imports :mod:`.base`, :mod:`.outputs`; touches Glue read-only
(``glue:GetJob``), never changes a job (Terraform owns them).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from energy_lake.scripts.deploy.base import DeployError, error_code, explain
from energy_lake.scripts.deploy.outputs import GlueJobTarget, Targets


@dataclass(frozen=True)
class JobCheck:
    job: GlueJobTarget
    exists: bool
    differences: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.exists and not self.differences


def check_job(glue: Any, targets: Targets, job: GlueJobTarget) -> JobCheck:
    """Does the Glue job exist and run the uploaded script with the uploaded library?"""
    try:
        definition = glue.get_job(JobName=job.name)["Job"]
    except ClientError as err:
        if error_code(err) == "EntityNotFoundException":
            return JobCheck(job, exists=False)
        raise DeployError(explain(err, f"reading Glue job {job.name!r}")) from None
    except BotoCoreError as err:
        raise DeployError(explain(err, f"reading Glue job {job.name!r}")) from None
    differences = []
    expected_script = targets.uri(job.script_key)
    script = definition.get("Command", {}).get("ScriptLocation")
    if script != expected_script:
        differences.append(f"Command.ScriptLocation is {script!r}, expected {expected_script!r}")
    extra = definition.get("DefaultArguments", {}).get("--extra-py-files")
    if extra is None:
        differences.append(
            f"DefaultArguments['--extra-py-files'] is not set, expected it to include {targets.library_uri!r}"
        )
    elif targets.library_uri not in [part.strip() for part in str(extra).split(",")]:
        differences.append(
            f"DefaultArguments['--extra-py-files'] is {extra!r}, expected it to include {targets.library_uri!r}"
        )
    modules = definition.get("DefaultArguments", {}).get("--additional-python-modules")
    if modules != targets.python_modules_uri:
        got = "is not set" if modules is None else f"is {modules!r}"
        differences.append(
            f"DefaultArguments['--additional-python-modules'] {got}, expected {targets.python_modules_uri!r}"
        )
    return JobCheck(job, exists=True, differences=tuple(differences))


def check_jobs(glue: Any, targets: Targets) -> list[JobCheck]:
    return [check_job(glue, targets, job) for job in targets.jobs]


def describe_check(check: JobCheck, region: str | None) -> list[str]:
    job = check.job
    if not check.exists:
        where = f" in {region}" if region else ""
        return [
            f"  MISSING  {job.key}: Glue job {job.name!r} does not exist{where}; "
            "run `terraform apply` for this environment"
        ]
    if check.ok:
        return [f"  ok       {job.key}: {job.name} runs {job.script_key} with the library"]
    return [f"  DIFFERS  {job.key}: Glue job {job.name!r} {difference}" for difference in check.differences]
