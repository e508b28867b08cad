"""The command line every operator script shares (``deploy_glue_jobs.py``, ``aws_smoke.py``).

How a script finds its environment (Terraform outputs, profile, region), and how it ends: a problem
an operator can fix is one line on stderr and an exit code, never a traceback.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from botocore.exceptions import BotoCoreError, ClientError

from energy_lake.scripts.deploy import DeployError, explain


def add_environment_arguments(p: argparse.ArgumentParser) -> None:
    """--tf-dir or --outputs-json (where the names come from), --profile and --region (which AWS)."""
    source = p.add_mutually_exclusive_group()
    source.add_argument(
        "--tf-dir",
        type=Path,
        help="Terraform environment folder to run `terraform output -json` in "
        "(default: infrastructure/terraform/environments/ENV)",
    )
    source.add_argument("--outputs-json", type=Path, metavar="FILE", help="saved `terraform output -json` instead")
    p.add_argument("--profile", help="AWS profile (default: the standard AWS environment)")
    p.add_argument("--region", help="AWS region (default: the outputs' region, else the standard AWS environment)")


def guarded(work: Callable[[], int], out: TextIO, err: TextIO, interrupted: str) -> int:
    """``work()``'s exit code; a DeployError its own code, an AWS error 1, Ctrl-C 130 with ``interrupted``."""
    try:
        return work()
    except DeployError as problem:
        out.flush()
        err.write(f"error: {problem}\n")
        return problem.exit_code
    except (BotoCoreError, ClientError) as problem:
        out.flush()
        err.write(f"error: {explain(problem, 'talking to AWS')}\n")
        return 1
    except KeyboardInterrupt:
        err.write(f"interrupted: {interrupted}\n")
        return 130
