"""A run killed (SIGKILL) anywhere leaves a lake whose readers see the previous complete state, and the
re-run ends in exactly the lake an uninterrupted run builds."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb
import pytest

from energy_lake.cli.local_athena import LocalAthena
from energy_lake.cli.run import run_pipeline
from energy_lake.etl.catalog import LakeCatalog
from energy_lake.etl.contracts import ENTITIES
from energy_lake.etl.failpoints import ENV
from energy_lake.etl.storage import LocalStorage, join
from tests.lake_content import TABLES, business_content

REPO = Path(__file__).resolve().parents[2]
LANDING = REPO / "data" / "landing"

# In pipeline order, so each run gets further than the one before and dies at the next point.
CRASH_POINTS = (
    "raw_read:providers",  # validated in memory, nothing written
    "quarantine_written:customers",  # quarantine folders written, raw not, nothing committed
    "catalog:versions_written",  # new table versions written, HEAD not replaced
    "before_commit:raw.transactions",  # raw and quarantine written, commit not started
    "after_commit:transform.providers",  # committed, lock not released, run not finished
    "before_commit:transform.transactions",
    "before_commit:analytics.daily_energy_summary",  # every daily mart written, none committed
)

pytestmark = pytest.mark.spark


def _run(lake: Path, failpoint: str | None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SPARK_LOCAL_IP": "127.0.0.1"}
    env.pop(ENV, None)
    if failpoint:
        env[ENV] = failpoint
    return subprocess.run(
        [sys.executable, "-m", "energy_lake", "run", "--landing", str(LANDING), "--lake", str(lake)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def _assert_consistent(lake: Path) -> int:
    """Every table HEAD names is complete and readable; raw and quarantine moved together."""
    snapshot = LakeCatalog(LocalStorage(), str(lake / "_lake")).snapshot()
    con = duckdb.connect()
    for name in snapshot.head["tables"]:
        table = snapshot.table(name)
        assert table is not None
        for pid, part in table.partitions.items():
            if part.rows:
                files = join(table.uri(pid), "*.parquet")
                assert con.execute(f"SELECT count(*) FROM read_parquet('{files}')").fetchone() == (part.rows,), name
    raw_runs = {
        (n.split(".")[1], pid.split("=")[1]): p.run_id
        for n in snapshot.head["tables"]
        if n in {f"raw.{e}" for e in ENTITIES}
        for pid, p in (snapshot.table(n).partitions.items() if snapshot.table(n) else [])  # type: ignore[union-attr]
    }
    quarantine = snapshot.table("raw.quarantine")
    q_runs = {
        (pid.split("/")[0].split("=")[1], pid.split("/")[1].split("=")[1]): p.run_id
        for pid, p in (quarantine.partitions.items() if quarantine else [])
    }
    assert raw_runs == q_runs  # each raw partition was committed with its quarantine partition
    engine = LocalAthena(str(lake), "data_engineer")
    for table in TABLES:
        engine.query(f"SELECT count(*) FROM {table}")
    return snapshot.version


def test_a_run_killed_anywhere_recovers_to_the_uninterrupted_lake(spark: Any, tmp_path: Path) -> None:
    baseline = tmp_path / "baseline"
    assert (
        run_pipeline(
            lake_dir=str(baseline), landing_dir=str(LANDING), through="analytics", reprocess=[], summary_json=None
        )
        == 0
    )
    lake = tmp_path / "crashed"
    versions = []
    for point in CRASH_POINTS:
        result = _run(lake, point)
        assert result.returncode == -9, (point, result.returncode, result.stderr[-2000:])
        assert "Traceback" not in result.stderr
        versions.append(_assert_consistent(lake) if (lake / "_lake" / "HEAD.json").exists() else 0)
        manifests = list((lake / "_lake" / "runs").glob("*.json")) if (lake / "_lake" / "runs").exists() else []
        assert manifests == []  # a killed run never reports success
    assert versions == sorted(versions) and versions[-1] > 0  # every crash kept what earlier runs committed
    final = _run(lake, None)
    assert final.returncode == 0, final.stdout[-3000:] + final.stderr[-3000:]
    assert "took over an expired lock" in final.stdout or "took over" in final.stdout
    _assert_consistent(lake)
    assert business_content(lake) == business_content(baseline)
    manifest = json.loads(next((lake / "_lake" / "runs").glob("*.json")).read_text(encoding="utf-8"))
    assert manifest["status"] == "succeeded"
