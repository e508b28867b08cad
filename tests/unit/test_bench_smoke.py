"""The benchmark harness's pure helpers (bench/run_bench.py, spark_counts.py, spark_floor.py): sampling, event-log
counts, tables, targets, results. Never asserts times and never starts Spark."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "run_bench.py"
SIBLINGS = ("spark_counts", "spark_floor")  # imported by run_bench from its own folder


@pytest.fixture(scope="module")
def bench():
    path_before = list(sys.path)
    spec = importlib.util.spec_from_file_location("run_bench", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules["run_bench"] = module  # dataclasses resolve their annotations through sys.modules
    spec.loader.exec_module(module)
    yield module
    for name in ("run_bench", *SIBLINGS):
        sys.modules.pop(name, None)
    sys.path[:] = path_before


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
        "sample": {
            "wall_seconds": 18.0,
            "cpu_seconds": 30.5,
            "peak_rss_bytes": 1 << 30,
            "spark_jobs": 125,
            "sql_executions": 88,
            "phases": {"spark_start": 2.8, "raw": 9.0},
        },
        "runs": {
            "N": {
                **run,
                "transactions": 1000,
                "landing_bytes": 10_000,
                "phases": {"raw": 50.0},
                "spark_jobs": 150,
                "sql_executions": 97,
            },
            "2N": {
                **run,
                "transactions": 2000,
                "landing_bytes": 20_000,
                "wall_seconds": 210.0,
                "peak_rss_bytes": 7 << 29,  # 3.5 GiB
                "spark_jobs": 151,
                "sql_executions": 98,
            },
        },
        "floor": {"N": {"wall_seconds": 5.0, "cpu_seconds": 15.0, "peak_rss_bytes": 1 << 28}},
        "spark_floor": {"N": {"wall_seconds": 40.0, "cpu_seconds": 60.0, "peak_rss_bytes": 3 << 29}},
        "incremental": {
            "transactions": 10,
            "wall_seconds": 8.0,
            "peak_rss_bytes": 1 << 30,
            "phases": {},
            "spark_jobs": 140,
            "sql_executions": 91,
        },
        "dashboard": {"last_date": "2026-01-03", "max_share": 0.002, "queries": {}},
    }


def _target(name, measured, limit, met, moonshot, moonshot_met):
    return {
        "target": name,
        "measured": measured,
        "limit": limit,
        "met": met,
        "moonshot": moonshot,
        "moonshot_met": moonshot_met,
    }


def test_check_targets_of_issue_15(bench):
    assert bench.check_targets(_doc()) == [
        _target("sample feeds: pipeline wall s", 18.0, 20.0, True, 10.0, False),
        _target("full run wall / DuckDB floor", 20.0, 25.0, True, 12.0, False),
        _target("full run wall / bare Spark floor", 2.5, 4.0, True, 2.0, False),
        _target("incremental wall / full wall", 0.08, 0.10, True, 0.05, False),
        _target("peak memory of the tree at N (GiB)", 2.0, 3.0, True, 2.0, True),
        _target("peak memory of the tree at 2N (GiB)", 3.5, 3.0, False, 2.0, False),
        _target("dashboard bytes / landing bytes", 0.002, 0.01, True, None, None),
        _target("wall at 2N / wall at N", 2.1, 2.2, True, None, None),
    ]


def test_check_targets_without_measurements(bench):
    targets = bench.check_targets({})
    assert len(targets) == 8
    assert all(t["measured"] is None and t["met"] is None and t["moonshot_met"] is None for t in targets)


def _row(text, name):
    """The cells of the table row whose first cell is ``name``."""
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if cells[0] == name.strip():
            return cells[1:]
    raise AssertionError(f"no row {name!r} in\n{text}")


def test_render_has_the_floors_counts_and_sample(bench):
    text = bench.render(_doc())
    tables = text.split("\n\n")
    assert tables[0].startswith("| sample feeds (data/landing, as make run)")
    sample = tables[0]
    assert _row(sample, "wall s") == ["18.0"]
    assert _row(sample, "peak RSS (tree)") == ["1.00 GiB"]
    assert _row(sample, "Spark jobs") == ["125"]
    assert _row(sample, "SQL executions") == ["88"]
    assert _row(sample, "raw, s") == ["9.0"]
    main = tables[1]
    assert _row(main, "measure") == ["N", "2N"]
    assert _row(main, "DuckDB floor, wall s") == ["5.0", ""]
    assert _row(main, "bare Spark floor, wall s") == ["40.0", ""]
    assert _row(main, "pipeline / DuckDB floor") == ["20.0", ""]
    assert _row(main, "pipeline / bare Spark") == ["2.5", ""]
    assert _row(main, "Spark jobs") == ["150", "151"]
    assert _row(main, "SQL executions") == ["97", "98"]
    assert _row(main, "bare Spark CPU s (tree)") == ["60.0", ""]
    assert _row(main, "bare Spark peak RSS (tree)") == ["1.50 GiB", ""]
    assert "| pipeline / floor " not in main  # renamed
    incremental = tables[2]
    assert _row(incremental, "Spark jobs") == ["140"]
    assert _row(incremental, "SQL executions") == ["91"]
    targets = tables[-1]
    assert _row(targets, "full run wall / bare Spark floor") == ["2.5", "4.0", "yes", "2.0", "NO"]
    assert _row(targets, "peak memory of the tree at 2N (GiB)") == ["3.5", "3.0", "NO", "2.0", "NO"]
    assert _row(targets, "wall at 2N / wall at N") == ["2.1", "2.2", "yes", "", ""]


def test_render_sample_only(bench):
    doc = {"parameters": {"sample_only": True}, "sample": _doc()["sample"], "runs": {}}
    tables = bench.render(doc).split("\n\n")
    assert len(tables) == 2  # the sample table and its one target
    rows = tables[1].splitlines()[2:]
    assert len(rows) == 1 and rows[0].startswith("| sample feeds: pipeline wall s")
    assert _row(tables[1], "sample feeds: pipeline wall s") == ["18.0", "20.0", "yes", "10.0", "NO"]


# A synthetic Spark event log: Spark's own key order, a SQL execution with its plan, an event written by another
# library with "Event" not first, a blank line and a last line cut by the process exiting.
EVENT_LOG = """\
{"Event":"SparkListenerLogStart","Spark Version":"3.5.6"}
{"Event":"SparkListenerApplicationStart","App Name":"energy-lake"}
{"Event":"org.apache.spark.sql.execution.ui.SparkListenerSQLExecutionStart","executionId":0,"description":"count"}
{"Event":"SparkListenerJobStart","Job ID":0,"Stage Infos":[{"Stage ID":0}],"Properties":{"a":"{\\"Event\\":1}"}}
{"Event":"SparkListenerStageSubmitted","Stage Info":{"Stage ID":0}}
{"Event":"SparkListenerTaskStart","Task Info":{"Task ID":0}}
{"Event":"SparkListenerTaskEnd","Task Info":{"Task ID":0}}
{"Event":"SparkListenerJobEnd","Job ID":0}
{"Event":"org.apache.spark.sql.execution.ui.SparkListenerSQLExecutionEnd","executionId":0}
{ "Job ID": 1, "Event": "SparkListenerJobStart" }

{"Event":"org.apache.spark.sql.execution.ui.SparkListenerSQLExecutionStart","executionId":1}
{"Event":"SparkListenerJobStart","Job ID":2,"Stage Infos":[{"Stage ID":1},{"Stage
"""


def test_count_events_of_a_synthetic_log(bench):
    counts = bench.spark_counts.count_events(EVENT_LOG.splitlines())
    assert counts == {"spark_jobs": 3, "sql_executions": 2, "stages": 1, "tasks": 1}
    assert bench.spark_counts.event_name("not json") is None
    assert bench.spark_counts.event_name("[1, 2]") is None


def test_count_folder_reads_the_inprogress_log(bench, tmp_path):
    (tmp_path / "local-1796675055716.inprogress").write_text(EVENT_LOG, encoding="utf-8")
    (tmp_path / ".local-1796675055716.inprogress.crc").write_text("crc", encoding="utf-8")
    assert bench.spark_counts.count_folder(tmp_path) == {
        "spark_jobs": 3,
        "sql_executions": 2,
        "stages": 1,
        "tasks": 1,
        "event_log_files": 1,
    }
    assert bench.spark_counts.count_folder(tmp_path / "missing")["event_log_files"] == 0
    (tmp_path / "local-1.zstd").write_bytes(b"\x28\xb5\x2f\xfd")
    with pytest.raises(ValueError, match="compressed"):
        bench.spark_counts.count_folder(tmp_path)


def test_event_log_env_and_keeping_the_logs(bench, tmp_path):
    events = tmp_path / "work dir" / "events-sample"
    env = bench.event_log_env({"PATH": "/bin"}, events)
    assert events.is_dir()
    assert env["PATH"] == "/bin"
    assert env["PYSPARK_SUBMIT_ARGS"] == (
        f"--conf spark.eventLog.enabled=true --conf spark.eventLog.dir='{events.resolve()}' pyspark-shell"
    )
    (events / "local-1.inprogress").write_text("{}\n", encoding="utf-8")
    kept = bench.keep_events(events, tmp_path / "kept")
    assert kept == str(tmp_path / "kept" / "events-sample")
    assert (tmp_path / "kept" / "events-sample" / "local-1.inprogress").is_file() and not events.exists()
    assert bench.keep_events(Path(kept), tmp_path / "kept") == kept  # kept where it is
    assert bench.keep_events(Path(kept), None) == "" and not Path(kept).exists()


def test_floor_rows_from_a_floor_log(bench):
    log = ["WARNING: something", '{"providers": 80, "customers": 40, "transactions": 2000}', ""]
    assert bench.floor_rows(log) == {"providers": 80, "customers": 40, "transactions": 2000}
    assert bench.floor_rows(["no counts", '{"a": "b"}']) == {}


def test_spark_floor_inputs_and_command(bench, tmp_path):
    floor = bench.spark_floor
    day = tmp_path / "transactions" / "ingest_date=2026-01-02"
    day.mkdir(parents=True)
    (day / "transacciones.csv").write_text("\ufeffid_transaccion,tipo,cantidad\nTX1,buy,1\n", encoding="utf-8")
    (day / "notes.txt").write_text("not a feed", encoding="utf-8")
    (tmp_path / "transactions" / "stray.csv").write_text("a,b\n", encoding="utf-8")  # not in a date folder
    files = floor.csv_files(tmp_path, "transactions")
    assert files == [day / "transacciones.csv"]
    assert floor.header_width(files[0]) == 3
    assert floor.csv_files(tmp_path, "providers") == []
    command = floor.command("python", tmp_path, tmp_path / "out")
    assert command[0] == "python" and command[1].endswith("bench/spark_floor.py")
    assert command[2:] == [str(tmp_path), str(tmp_path / "out")]
    assert floor.main(["only-one-argument"]) == 2


def test_write_results(bench, tmp_path):
    path = bench.write_results(_doc(), tmp_path / "results", datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC))
    assert path.name == "bench-20260102T030405Z-1000.json"
    assert json.loads(path.read_text())["runs"]["N"]["wall_seconds"] == 100.0
    sample_only = {**_doc(), "parameters": {"transactions": 1000, "sample_only": True}}
    path = bench.write_results(sample_only, tmp_path / "results", datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC))
    assert path.name == "bench-20260102T030405Z-sample.json"


def test_dashboard_queries_are_the_analytics_ones(bench):
    queries = bench.dashboard_queries()
    assert "volume_and_price_by_energy_type_per_day" in queries
    assert queries["top_customers_by_spend"] == ["analytics.customer_summary"]
    assert "quarantine_reasons" not in queries  # reads the raw zone: a data engineer's query
