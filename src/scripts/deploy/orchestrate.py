"""The whole deploy: :func:`execute` runs the steps in order, prints what each did and returns the exit code.

Build, plan, (with :attr:`Options.dry_run`) print the plan and stop; else upload, check the jobs and
(with :attr:`Options.start`) start and follow the workflow. Imports every step module; touches AWS only
through them, with the clients it is given.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from energy_lake.scripts.deploy.base import aws
from energy_lake.scripts.deploy.build import build_library, build_python_modules
from energy_lake.scripts.deploy.outputs import Targets
from energy_lake.scripts.deploy.uploads import PlannedObject, artifacts, check_bucket, plan_uploads, upload
from energy_lake.scripts.deploy.verify import check_jobs, describe_check
from energy_lake.scripts.deploy.workflow import active_run, follow_run, start_workflow


@dataclass(frozen=True)
class Options:
    package_root: Path
    build_dir: Path
    requirements: Path  # requirements-glue.txt: the wheels shipped beside the library
    wheel_dir: Path  # where those wheels are kept (downloaded when missing)
    dry_run: bool = False
    start: bool = False
    timeout: float = 3600.0
    poll_interval: float = 30.0
    metadata: Mapping[str, str] = field(default_factory=dict)


def short(sha: str | None) -> str:
    return sha[:12] if sha else "none"


def print_plan(plan: Sequence[PlannedObject], targets: Targets, out: TextIO) -> None:
    for item in plan:
        artifact = item.artifact
        stored = "absent" if not item.exists else f"stored {short(item.stored_sha256)}"
        out.write(
            f"  {item.action:<10} {artifact.label:<22} {targets.uri(artifact.key)}  "
            f"sha256 {short(artifact.sha256)} ({stored})\n"
        )


def execute(targets: Targets, s3: Any, glue: Any, options: Options, out: TextIO, sts: Any = None) -> int:
    """Deploy (or, with ``dry_run``, plan) and check; start and follow the workflow when asked.

    Returns the exit code: 0 when everything uploaded (or was unchanged), every job checks out and,
    with ``start``, the workflow run succeeded; 1 otherwise. Raises :class:`DeployError` for
    problems that stop the deploy before anything is changed (credentials, bucket, access).
    """
    write = out.write
    if sts is not None:
        with aws("checking the AWS identity"):
            identity = sts.get_caller_identity()
        write(f"identity: {identity.get('Arn')} (account {identity.get('Account')})\n")
    write(f"outputs: {targets.source}\n")
    write(
        f"target: bucket {targets.artifacts_bucket}, workflow {targets.workflow_name}"
        + (f", SSE-KMS {targets.kms_key_arn}" if targets.kms_key_arn else ", no KMS key in outputs")
        + "\n"
    )
    library = build_library(options.package_root, options.build_dir)
    write(
        f"library: {library.path} ({library.files} files, {library.size} bytes, sha256 {short(library.sha256)}"
        + (", cached build)\n" if library.cached else ", built now)\n")
    )
    modules = build_python_modules(options.requirements, options.wheel_dir, options.build_dir)
    write(
        f"python modules: {modules.path} ({modules.files} wheels, {modules.size} bytes, sha256 {short(modules.sha256)}"
        + (", cached build)\n" if modules.cached else ", built now)\n")
    )
    items = artifacts(targets, options.package_root, library, modules)
    check_bucket(s3, targets.artifacts_bucket)
    plan = plan_uploads(s3, targets, items)
    changes = [item for item in plan if item.action == "upload"]

    if options.dry_run:
        write("plan (dry run: nothing will be changed):\n")
        print_plan(plan, targets, out)
    checks = check_jobs(glue, targets)
    region = getattr(getattr(glue, "meta", None), "region_name", None)
    running = active_run(glue, targets.workflow_name)
    if running:
        write(
            f"warning: workflow {targets.workflow_name} run {running} is in progress; its jobs that start after "
            "this deploy will run the new code. Wait for it to end to keep one code version per run.\n"
        )

    if options.dry_run:
        write("job checks (read-only):\n")
        for check in checks:
            for line in describe_check(check, region):
                write(line + "\n")
        if options.start:
            write(f"would start Glue workflow {targets.workflow_name} and follow the run\n")
        failed = [c for c in checks if not c.ok]
        write(
            f"dry run: would upload {len(changes)}, {len(plan) - len(changes)} unchanged; "
            f"{len(checks) - len(failed)}/{len(checks)} jobs check out; nothing was changed\n"
        )
        return 1 if failed else 0

    write("uploads:\n")
    results = upload(s3, targets, plan, options.metadata)
    for result in results:
        uri = targets.uri(result.planned.artifact.key)
        label = result.planned.artifact.label
        if result.outcome == "uploaded":
            version = f", version {result.version_id}" if result.version_id else ""
            write(f"  uploaded       {label:<22} {uri}  sha256 {short(result.planned.artifact.sha256)}{version}\n")
        elif result.outcome == "unchanged":
            write(f"  unchanged      {label:<22} {uri}  sha256 {short(result.planned.artifact.sha256)}\n")
        else:
            write(f"  {result.outcome.upper():<14} {label:<22} {uri}: {result.detail}\n")
    write("job checks:\n")
    for check in checks:
        for line in describe_check(check, region):
            write(line + "\n")
    failed_uploads = [r for r in results if r.outcome in ("failed", "not attempted")]
    failed_checks = [c for c in checks if not c.ok]
    uploaded = sum(r.outcome == "uploaded" for r in results)
    write(
        f"summary: {uploaded} uploaded, {sum(r.outcome == 'unchanged' for r in results)} unchanged, "
        f"{len(failed_uploads)} failed; {len(checks) - len(failed_checks)}/{len(checks)} jobs check out\n"
    )
    if failed_uploads or failed_checks:
        write("deploy FAILED" + (": not starting the workflow" if options.start else "") + "\n")
        return 1
    write("deploy succeeded\n")
    if not options.start:
        return 0

    run_id = start_workflow(glue, targets.workflow_name)
    write(f"started Glue workflow {targets.workflow_name}: run {run_id}\n")
    run = follow_run(glue, targets, run_id, timeout=options.timeout, poll_interval=options.poll_interval, out=out)
    if run.ok:
        write(f"workflow run {run_id} {run.status}: every job succeeded\n")
        return 0
    if run.status == "TIMEOUT":
        write(f"workflow run {run_id} NOT FINISHED within --timeout {options.timeout:.0f} s:\n")
    else:
        write(f"workflow run {run_id} FAILED ({run.status}):\n")
    for problem in run.problems:
        write(f"  {problem}\n")
    if targets.state_uri:
        write(
            f"  run manifests (one per job run, by lake run_id): {targets.state_uri.rstrip('/')}/runs/<run_id>.json\n"
        )
        write("  job logs: CloudWatch /aws-glue/jobs/output and /aws-glue/jobs/error (JSON lines carry run_id)\n")
    return 1
