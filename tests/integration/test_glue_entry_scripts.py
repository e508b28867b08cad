"""The Glue entry scripts run unchanged on plain pyspark (no awsglue installed), with Glue's argument names,
and the three of them build the same lake as ``energy-lake run``."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from energy_lake.cli.run import run_pipeline
from energy_lake.etl.job_args import JOBS
from tests.lake_content import business_content

REPO = Path(__file__).resolve().parents[2]
LANDING = REPO / "data" / "landing"

pytestmark = pytest.mark.spark


def test_the_venv_has_no_awsglue() -> None:
    """Otherwise the entry scripts would take their Glue branch locally."""
    assert importlib.util.find_spec("awsglue") is None


def test_entry_scripts_build_the_same_lake_as_the_cli(spark: Any, tmp_path: Path) -> None:
    lake = tmp_path / "jobs"
    args = [
        "--landing_uri",
        str(LANDING),
        "--raw_uri",
        str(lake / "raw"),
        "--transform_uri",
        str(lake / "transform"),
        "--analytics_uri",
        str(lake / "analytics"),
        "--state_uri",
        str(lake / "_lake"),
        "--env",
        "local",
    ]
    for job in JOBS:
        extra = ["--pii_key_parameter", "env"] if job == "raw_to_transform" else []
        result = subprocess.run(
            [sys.executable, str(REPO / "src" / "etl" / f"{job}.py"), *args, *extra, "--JOB_NAME", f"local-{job}"],
            env={**os.environ, "SPARK_LOCAL_IP": "127.0.0.1"},
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        assert "Traceback" not in result.stderr
        # Glue jobs log JSON lines on stdout (CloudWatch), each carrying the run id.
        lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
        assert lines and all(line["run_id"] == lines[0]["run_id"] for line in lines)
        assert lines[-1]["event"] == "job finished" and lines[-1]["status"] == "succeeded"
    manifests = [json.loads(p.read_text()) for p in sorted((lake / "_lake" / "runs").glob("*.json"))]
    assert sorted(m["job"] for m in manifests) == sorted(JOBS)
    cli = tmp_path / "cli"
    assert (
        run_pipeline(lake_dir=str(cli), landing_dir=str(LANDING), through="analytics", reprocess=[], summary_json=None)
        == 0
    )
    assert business_content(lake) == business_content(cli)
