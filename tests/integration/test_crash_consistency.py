"""A run killed (SIGKILL) anywhere leaves a lake whose readers see the previous complete state, and the
re-run ends in exactly the lake an uninterrupted run builds."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from pyspark.sql import functions as F

from energy_lake.cli.local_athena import LocalAthena
from energy_lake.etl.lake.failpoints import ENV
from energy_lake.etl.model.contracts import ENTITIES
from tests import lake_tables
from tests.lake_content import TABLES, business_content

REPO = Path(__file__).resolve().parents[2]
LANDING = REPO / "data" / "landing"

# In pipeline order, so each run gets further than the one before and dies at the next point. Every
# table write is one Iceberg commit; a hop records what it built (the ingest and build logs) last.
# Each point with the landing files recorded in the ingest log after the run that died there: what every
# earlier run kept (providers from the 2nd point on, all 9 files from the 4th).
CRASH_POINTS = {
    "raw_read:providers": 0,  # validated in memory, nothing committed
    "quarantine_written:customers": 2,  # customers' quarantine committed, its raw partitions not
    "after_commit:raw.transactions": 4,  # raw committed, the ingest log not: the files look new again
    "after_commit:transform.providers": 9,  # transform committed, the build log not
    "before_commit:transform.transactions": 9,
    "after_commit:analytics.daily_position": 9,  # some marts committed, others not, none recorded
    "before_commit:analytics.build_log": 9,  # every mart committed, none recorded
    "before_commit:analytics.quality_results": 9,  # everything recorded but the run's quality results
}
# make test kills once in each hop (each run is a JVM start); make fuzz (ENERGY_LAKE_THOROUGH=1) at every point.
QUICK = ("quarantine_written:customers", "after_commit:transform.providers", "after_commit:analytics.daily_position")
THOROUGH = os.environ.get("ENERGY_LAKE_THOROUGH") == "1"


def crash_points() -> list[str]:
    assert set(QUICK) <= set(CRASH_POINTS), set(QUICK) - set(CRASH_POINTS)
    return list(CRASH_POINTS) if THOROUGH else [p for p in CRASH_POINTS if p in QUICK]


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


def _rows_by(df: Any, keys: list[str]) -> dict[tuple[str, ...], int]:
    return {tuple(str(r[k]) for k in keys): int(r["count"]) for r in df.groupBy(*keys).count().collect()}


def _assert_consistent(spark: Any, lake: Path) -> int:
    """Every table reads, and the state never claims more than the tables hold; returns the ingested files.

    The state is written after the data it describes, so a crash can leave it behind the tables (the
    next run redoes that work) but never ahead of them.
    """
    state = lake_tables.state(spark, lake)
    for entity in ENTITIES:
        raw = _rows_by(lake_tables.read(spark, lake, f"raw.{entity}"), ["ingest_date"])
        quarantine = lake_tables.read(spark, lake, "raw.quarantine").where(F.col("entity") == entity)
        quarantined = _rows_by(quarantine, ["ingest_date"])
        for pid, part in state.table(f"raw.{entity}").partitions.items():
            day = pid.split("=", 1)[1]
            assert raw.get((day,), 0) == part.rows, (entity, day)
            q_part = state.table("raw.quarantine").partitions[f"entity={entity}/ingest_date={day}"]
            assert quarantined.get((day,), 0) == q_part.rows, (entity, day)
    for table in ("transform.transactions", "analytics.daily_energy_summary", "transform.providers"):
        recorded = state.table(table).partitions
        if table == "transform.providers":
            actual = {"": lake_tables.read(spark, lake, table).count()}
        else:
            actual = {
                f"ingest_date={k[0]}": n
                for k, n in _rows_by(lake_tables.read(spark, lake, table), ["ingest_date"]).items()
            }
        for pid, part in recorded.items():
            assert actual.get(pid, 0) == part.rows, (table, pid)
    engine = LocalAthena(str(lake), "data_engineer")
    for table in TABLES:
        engine.query(f"SELECT count(*) FROM {table}")
    return sum(len(state.ingested_files(e)) for e in ENTITIES)


def test_a_run_killed_anywhere_recovers_to_the_uninterrupted_lake(
    spark: Any, tmp_path: Path, sample_lake: Path
) -> None:
    baseline = sample_lake  # the uninterrupted run over the same feeds (conftest)
    lake = tmp_path / "crashed"
    ingested = []
    points = crash_points()
    for point in points:
        result = _run(lake, point)
        assert result.returncode == -9, (point, result.returncode, result.stderr[-2000:])
        assert "Traceback" not in result.stderr
        ingested.append(_assert_consistent(spark, lake))
        manifests = list((lake / "_lake" / "runs").glob("*.json")) if (lake / "_lake" / "runs").exists() else []
        assert manifests == []  # a killed run never reports success
    assert ingested == [CRASH_POINTS[p] for p in points]  # every crash kept what earlier runs recorded
    final = _run(lake, None)
    assert final.returncode == 0, final.stdout[-3000:] + final.stderr[-3000:]
    assert "took over" in final.stdout
    _assert_consistent(spark, lake)
    assert business_content(lake) == business_content(baseline)
    manifest = json.loads(next((lake / "_lake" / "runs").glob("*.json")).read_text(encoding="utf-8"))
    assert manifest["status"] == "succeeded"
