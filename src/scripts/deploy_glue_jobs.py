"""Deploy the Glue job code: the library archive, its zip of wheels and the three entry scripts (docs/operations.md).

    python src/scripts/deploy_glue_jobs.py --env dev              # after terraform apply
    python src/scripts/deploy_glue_jobs.py --env dev --dry-run    # what would change; changes nothing
    python src/scripts/deploy_glue_jobs.py --env dev --start      # deploy, start the workflow, follow it
    python src/scripts/deploy_glue_jobs.py --build-only           # build the archives (no AWS): make glue-build

Bucket, keys, job and workflow names come from the environment's Terraform outputs. AWS credentials,
profile, region and endpoint come from the standard AWS environment (AWS_PROFILE, AWS_REGION,
AWS_ENDPOINT_URL, ...) or --profile/--region. Exit codes: 0 done, 1 deploy/check/run failed,
2 bad arguments or outputs. The logic lives in the package ``energy_lake.scripts.deploy`` (one module per step).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

import boto3

import energy_lake
from energy_lake.scripts import deploy, operator_cli

PACKAGE_ROOT = Path(energy_lake.__file__).resolve().parent
REPO_ROOT = PACKAGE_ROOT.parent
LIBRARY_PATHS = ("src/__init__.py", "src/etl", "src/utils", "src/contracts", "src/sql")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="deploy_glue_jobs.py",
        description="Upload the Glue job library and entry scripts to the artifacts bucket (unchanged objects "
        "are skipped), check the Glue jobs point at them, and optionally start the workflow.",
        epilog="Names come from `terraform output -json`; see docs/operations.md.",
    )
    p.add_argument(
        "--env", help="environment to deploy (dev, prod): its Terraform folder (required unless --build-only)"
    )
    operator_cli.add_environment_arguments(p)
    p.add_argument("--dry-run", action="store_true", help="print what would be uploaded and checked; change nothing")
    p.add_argument("--start", action="store_true", help="after a successful deploy, start the workflow and follow it")
    p.add_argument("--timeout", type=float, default=3600.0, help="seconds to follow the run (default 3600)")
    p.add_argument("--poll-interval", type=float, default=30.0, help="seconds between run polls (default 30)")
    p.add_argument(
        "--build-dir", type=Path, default=REPO_ROOT / "build" / "glue", help="where the archives and wheels are cached"
    )
    p.add_argument(
        "--requirements",
        type=Path,
        default=REPO_ROOT / "requirements-glue.txt",
        help="the pinned packages the library needs beyond Glue's own, shipped as a zip of wheels "
        "(default: requirements-glue.txt)",
    )
    p.add_argument(
        "--wheel-dir", type=Path, help="where the wheels are kept, downloaded when missing (default: BUILD_DIR/wheels)"
    )
    p.add_argument(
        "--build-only", action="store_true", help="build the library archive and the zip of wheels; touch no AWS"
    )
    return p


def source_commit() -> str:
    """The git commit the library came from, ``+dirty`` when its files differ from it; best effort."""
    try:
        head = subprocess.run(
            ["git", "-C", str(REPO_ROOT), "rev-parse", "--short=12", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
        if head.returncode != 0:
            return "unknown"
        dirty = subprocess.run(
            ["git", "-C", str(REPO_ROOT), "diff", "--quiet", "HEAD", "--", *LIBRARY_PATHS],
            capture_output=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return head.stdout.strip() + ("+dirty" if dirty.returncode != 0 else "")


def load_targets(args: argparse.Namespace) -> deploy.Targets:
    if args.outputs_json is not None:
        targets = deploy.read_outputs_file(args.outputs_json)
    else:
        tf_dir = args.tf_dir or REPO_ROOT / "infrastructure" / "terraform" / "environments" / args.env
        targets = deploy.terraform_outputs(tf_dir)
    if targets.environment and targets.environment != args.env:
        raise deploy.OutputsError(
            f"{targets.source} is for environment {targets.environment!r}, but --env {args.env} was given"
        )
    return targets


def wheel_dir(args: argparse.Namespace) -> Path:
    return Path(args.wheel_dir or args.build_dir / "wheels")


def build_only(args: argparse.Namespace, out: TextIO) -> int:
    for label, build in (
        ("library", deploy.build_library(PACKAGE_ROOT, args.build_dir)),
        ("python modules", deploy.build_python_modules(args.requirements, wheel_dir(args), args.build_dir)),
    ):
        state = "cached" if build.cached else "built"
        out.write(f"{label}: {build.path} ({build.files} files, {build.size} bytes, {state})\n")
    return 0


def run(args: argparse.Namespace, out: TextIO) -> int:
    if args.build_only:
        return build_only(args, out)
    targets = load_targets(args)
    region = args.region or targets.region
    session: Any = boto3.Session(profile_name=args.profile, region_name=region)
    if targets.region and session.region_name and session.region_name != targets.region:
        out.write(f"note: using region {session.region_name}, but the outputs say {targets.region}\n")
    out.write(f"deploying environment {args.env} to region {session.region_name or '(none)'}\n")
    with deploy.aws("creating AWS clients"):
        s3, glue, sts = session.client("s3"), session.client("glue"), session.client("sts")
    options = deploy.Options(
        package_root=PACKAGE_ROOT,
        build_dir=args.build_dir,
        requirements=args.requirements,
        wheel_dir=wheel_dir(args),
        dry_run=args.dry_run,
        start=args.start,
        timeout=args.timeout,
        poll_interval=args.poll_interval,
        metadata={"package-version": energy_lake.__version__, "source-commit": source_commit()},
    )
    return deploy.execute(targets, s3, glue, options, out, sts=sts)


def main(argv: Sequence[str] | None = None, out: TextIO | None = None, err: TextIO | None = None) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    cli = parser()
    args = cli.parse_args(argv)
    if args.env is None and not args.build_only:
        cli.error("--env is required (or --build-only)")
    return operator_cli.guarded(
        lambda: run(args, out), out, err, "objects already reported as uploaded are in place; run again to finish"
    )


if __name__ == "__main__":
    sys.exit(main())
