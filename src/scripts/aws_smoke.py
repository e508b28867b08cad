"""First-deploy smoke check of an environment, in a sandbox account (docs/operations.md).

    python src/scripts/aws_smoke.py --env dev        # after terraform apply and deploy_glue_jobs.py
    make aws-smoke ENV=dev                           # the same

It starts one Glue job run and runs a few Athena queries (a few cents), publishes one test message
to the alert topic and reads Lake Formation, EventBridge and CloudWatch. Never run it in CI. Names come
from the environment's Terraform outputs; credentials, profile, region and endpoint from the standard
AWS environment or --profile/--region. One PASS/FAIL line per check. Exit codes: 0 every check passed,
1 a check failed, 2 bad arguments or outputs. The logic lives in ``energy_lake.scripts.smoke``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

import boto3

import energy_lake
from energy_lake.etl.jobs.args import JOBS
from energy_lake.scripts import deploy, operator_cli, smoke

REPO_ROOT = Path(energy_lake.__file__).resolve().parent.parent


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="aws_smoke.py",
        description="Smoke-check a deployed environment: one Glue job run, Athena queries as each persona (the "
        "analyst denied personal data), Lake Formation without IAMAllowedPrincipals, the alert topic and rule, "
        "no alarm in ALARM.",
        epilog="Costs a job run and a few cents of Athena; never run it in CI. See docs/operations.md.",
    )
    p.add_argument("--env", required=True, help="environment to check (dev, prod): its Terraform folder")
    operator_cli.add_environment_arguments(p)
    p.add_argument("--job", choices=JOBS, default="landing_to_raw", help="Glue job to run (default landing_to_raw)")
    p.add_argument("--timeout", type=float, default=1800.0, help="seconds to follow the job run (default 1800)")
    p.add_argument("--poll-interval", type=float, default=15.0, help="seconds between job run polls (default 15)")
    p.add_argument("--query-timeout", type=float, default=300.0, help="seconds per Athena query (default 300)")
    p.add_argument(
        "--alarm-wait",
        type=float,
        default=120.0,
        help="seconds after the job run before the alarms are read, so CloudWatch evaluates the run's metrics "
        "(default 120)",
    )
    return p


def load_targets(args: argparse.Namespace) -> smoke.SmokeTargets:
    if args.outputs_json is not None:
        targets = smoke.read_outputs(args.outputs_json)
    else:
        tf_dir = args.tf_dir or REPO_ROOT / "infrastructure" / "terraform" / "environments" / args.env
        targets = smoke.terraform_smoke_outputs(tf_dir)
    environment = targets.deploy.environment
    if environment and environment != args.env:
        raise deploy.OutputsError(
            f"{targets.source} is for environment {environment!r}, but --env {args.env} was given"
        )
    return targets


def options(args: argparse.Namespace) -> smoke.Options:
    for name in ("timeout", "poll_interval", "query_timeout", "alarm_wait"):
        if getattr(args, name) < 0:
            raise deploy.OutputsError(f"--{name.replace('_', '-')} must not be negative")
    return smoke.Options(
        job=args.job,
        timeout=args.timeout,
        poll_interval=args.poll_interval,
        query_timeout=args.query_timeout,
        alarm_wait=args.alarm_wait,
    )


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    settings = options(args)
    targets = load_targets(args)
    region = args.region or targets.deploy.region
    session: Any = boto3.Session(profile_name=args.profile, region_name=region)
    if targets.deploy.region and session.region_name and session.region_name != targets.deploy.region:
        out.write(f"note: using region {session.region_name}, but the outputs say {targets.deploy.region}\n")
    out.write(f"smoke check of environment {args.env} in region {session.region_name or '(none)'} ({targets.source})\n")
    out.flush()
    return smoke.execute(targets, session, settings, out, err)


def main(argv: Sequence[str] | None = None, out: TextIO | None = None, err: TextIO | None = None) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    args = parser().parse_args(argv)
    return operator_cli.guarded(
        lambda: run(args, out, err), out, err, "a job run or query already started goes on in AWS"
    )


if __name__ == "__main__":
    sys.exit(main())
