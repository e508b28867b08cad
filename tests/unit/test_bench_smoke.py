"""The benchmark harness's pure helpers (bench/run_bench.py): sampling, tables, results. Never asserts times."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "run_bench.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("run_bench", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules["run_bench"] = module  # dataclasses resolve their annotations through sys.modules
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop("run_bench", None)


# A parent holding ~64 MiB that starts a child holding ~32 MiB, both alive together for a while.
TREE = """
import subprocess, sys, time
data = bytearray(64 << 20)
child = subprocess.Popen([sys.executable, "-c", "import time; d = bytearray(32 << 20); time.sleep(1.5)"])
time.sleep(0.3)
x = sum(range(2_000_000))  # some CPU time
child.wait()
"""


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
def test_sampler_sums_the_whole_process_tree(bench):
    measured = bench.measure([sys.executable, "-c", TREE], interval=0.05)
    assert measured.returncode == 0
    assert measured.processes >= 2  # the child was seen
    assert measured.samples >= 3
    assert measured.peak_rss_bytes >= 96 << 20  # parent + child resident together
    assert measured.peak_rss_bytes < 2 << 30
    assert measured.cpu_seconds > 0


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
def test_process_tree_lists_descendants(bench):
    proc = subprocess.Popen([sys.executable, "-c", "import subprocess,sys; subprocess.run(['sleep', '2'])"])
    try:
        sampler = bench.TreeSampler(proc.pid)
        for _ in range(40):  # until the grandchild exists
            if len(bench.process_tree(proc.pid)) >= 2:
                break
            subprocess.run(["sleep", "0.05"], check=True)
        tree = bench.process_tree(proc.pid)
        assert tree[0] == proc.pid and len(tree) >= 2
        assert sampler.sample_once() > 0
    finally:
        proc.kill()
        proc.wait()


def test_format_table_aligns_columns(bench):
    text = bench.format_table(["measure", "N"], [["wall s", 12.5], ["peak", "1.00 GiB"], ["empty", None]])
    lines = text.splitlines()
    assert lines[0] == "| measure |        N |"
    assert lines[1] == "|---------|---------:|"
    assert lines[2] == "| wall s  |     12.5 |"
    assert lines[4] == "| empty   |          |"
    assert len({len(line) for line in lines}) == 1


def test_fmt_bytes(bench):
    assert bench.fmt_bytes(512) == "512 B"
    assert bench.fmt_bytes(3 << 30) == "3.00 GiB"


def test_hop_seconds_from_a_run_log(bench):
    lines = [
        json.dumps({"ts": "2026-01-01T00:00:05+00:00", "event": "spark ready"}),
        json.dumps({"ts": "2026-01-01T00:00:15+00:00", "event": "raw committed", "hop": "raw"}),
        json.dumps({"ts": "2026-01-01T00:00:35+00:00", "event": "transform committed", "hop": "transform"}),
        "not json",
        json.dumps({"ts": "2026-01-01T00:00:40+00:00", "event": "mart", "hop": "analytics"}),
    ]
    assert bench.hop_seconds(lines, "2026-01-01T00:00:00+00:00") == {
        "spark_start": 5.0,
        "raw": 10.0,
        "transform": 20.0,
        "analytics": 5.0,
    }


def _doc():
    run = {"wall_seconds": 100.0, "peak_rss_bytes": 2 << 30, "cpu_seconds": 150.0, "load_before": 1, "load_after": 2}
    return {
        "parameters": {"transactions": 1000},
        "runs": {
            "N": {**run, "transactions": 1000, "landing_bytes": 10_000, "phases": {"raw": 50.0}},
            "2N": {**run, "transactions": 2000, "landing_bytes": 20_000, "wall_seconds": 210.0},
        },
        "floor": {"N": {"wall_seconds": 10.0, "cpu_seconds": 15.0, "peak_rss_bytes": 1 << 28}},
        "incremental": {"transactions": 10, "wall_seconds": 25.0, "peak_rss_bytes": 1 << 30, "phases": {}},
        "dashboard": {"last_date": "2026-01-03", "max_share": 0.002, "queries": {}},
    }


def test_targets_and_render(bench):
    targets = {t["target"]: t for t in bench.check_targets(_doc())}
    assert targets["pipeline wall / DuckDB floor"]["measured"] == 10.0
    assert targets["pipeline wall / DuckDB floor"]["met"] is True
    assert targets["incremental wall / full wall"]["met"] is False  # 0.25 > 0.20
    assert targets["wall at 2N / wall at N"]["measured"] == 2.1
    text = bench.render(_doc())
    assert "| pipeline, wall s" in text and "NO" in text


def test_write_results(bench, tmp_path):
    path = bench.write_results(_doc(), tmp_path / "results", datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC))
    assert path.name == "bench-20260102T030405Z-1000.json"
    assert json.loads(path.read_text())["runs"]["N"]["wall_seconds"] == 100.0


def test_dashboard_queries_are_the_analytics_ones(bench):
    queries = bench.dashboard_queries()
    assert "volume_and_price_by_energy_type_per_day" in queries
    assert queries["top_customers_by_spend"] == ["analytics.customer_summary"]
    assert "quarantine_reasons" not in queries  # reads the raw zone: a data engineer's query
