"""``make bench``: the local pipeline against DuckDB and bare Spark on the same landing CSVs, on this machine.

First the committed sample feeds (``data/landing``, what ``make run`` runs): ``energy-lake run`` on them,
the figure a developer waits for (``--sample-only`` runs just this). Then, for N transactions (default
5,000,000; ``--quick``: 200,000), with matching providers and customers, 1% bad rows and several ingest
dates, all written by ``energy-lake generate``:

1. two floors, each a subprocess converting the same landing CSVs to date-partitioned Parquet (text
   columns, zstd): DuckDB (``duckdb_floor``), and bare Spark (``bench/spark_floor.py``: a local session
   with the pipeline's settings, the pipeline's CSV options, JVM start included): the least work any
   engine, and the least work Spark, must do with these files;
2. the full pipeline: ``energy-lake run`` (landing -> raw -> transform -> analytics) as a subprocess, JVM
   start included;
3. an incremental run after one new ingest date of 1% of N trades lands (generated deterministically with
   ``energy-lake generate --start-date <next day>``, its transaction files copied into the same landing);
4. the bytes of Parquet the dashboard queries in ``src/sql`` must read after partition pruning, against the
   landing CSV bytes of the period they cover (files listed from the Iceberg metadata; see docs/performance.md);
5. the full run again at N/5 and 2N, to show how time and memory grow.

Every subprocess is sampled from ``/proc`` at 10 Hz: the resident memory of the whole process tree (the
Python driver and the JVM it starts) summed, and the CPU time of every process in it. The machine is
shared, so wall times are noisy: CPU seconds and the load average are recorded beside them. Every
pipeline run writes a Spark event log into the workdir (``events-<run>``), from which the Spark jobs and
SQL executions it ran are counted (``bench/spark_counts.py``); ``--event-log DIR`` keeps the logs there.

Prints tables (targets of issue 15 with their moonshots last) and writes JSON (machine description
included) to ``bench/results/``. Never run by ``make test``; the pure helpers are covered by
``tests/unit/test_bench_smoke.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"
SQL_DIR = REPO / "src" / "sql"
ENTITIES = ("providers", "customers", "transactions")
GIB = 1 << 30

if str(BENCH_DIR) not in sys.path:  # the sibling modules, also when this file is loaded by path (the tests)
    sys.path.insert(0, str(BENCH_DIR))

import spark_counts  # noqa: E402
import spark_floor  # noqa: E402

SAMPLE_LANDING = REPO / "data" / "landing"

# Targets of issue 15 (5,000,000 transactions, 2 cores), each with its moonshot (None: no moonshot).
TARGET_SAMPLE_SECONDS, MOONSHOT_SAMPLE_SECONDS = 20.0, 10.0
TARGET_DUCKDB_RATIO, MOONSHOT_DUCKDB_RATIO = 25.0, 12.0
TARGET_SPARK_RATIO, MOONSHOT_SPARK_RATIO = 4.0, 2.0
TARGET_INCREMENTAL_SHARE, MOONSHOT_INCREMENTAL_SHARE = 0.10, 0.05
TARGET_PEAK_BYTES, MOONSHOT_PEAK_BYTES = 3 * GIB, 2 * GIB
TARGET_TIME_GROWTH = 2.2
TARGET_DASHBOARD_SHARE = 0.01


# ---------------------------------------------------------------- process tree sampling


def _clock_ticks() -> int:
    return os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
_TICKS = _clock_ticks()


def _stat(pid: int) -> tuple[int, int, int] | None:
    """(parent pid, start time, utime + stime in ticks) of ``pid`` from ``/proc/<pid>/stat``; None if gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text.rsplit(")", 1)[1].split()  # the command name (field 2) may hold spaces and parentheses
    # fields[0] is field 3 (state): ppid = field 4, utime/stime = fields 14/15, starttime = field 22
    return int(fields[1]), int(fields[19]), int(fields[11]) + int(fields[12])


def _statm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/statm").read_text()
    except OSError:
        return ""


def _rss_bytes(statm: str) -> int:
    try:
        return int(statm.split()[1]) * _PAGE
    except (IndexError, ValueError):
        return 0


def process_tree(root: int) -> list[int]:
    """``root`` and all its descendants alive now (from the parent pids in ``/proc``)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            stat = _stat(int(entry))
            if stat is not None:
                children.setdefault(stat[0], []).append(int(entry))
    tree, i = [root], 0
    while i < len(tree):
        tree.extend(children.get(tree[i], []))
        i += 1
    return tree


@dataclass
class TreeSample:
    """What a ``TreeSampler`` saw: the peak of the summed RSS, CPU seconds, how many samples and processes."""

    peak_rss_bytes: int = 0
    cpu_seconds: float = 0.0
    samples: int = 0
    processes: int = 0


class TreeSampler:
    """Samples the process tree under ``pid`` every ``interval`` seconds in a background thread.

    Peak memory is the largest sum of the tree's resident set sizes at one instant (pages shared between
    processes are counted once per process, so it errs high), except that a child still sharing its
    parent's address space (a vfork before exec: identical statm) is not counted twice. CPU time is, per
    process (pid and start time), the last user + system time seen, summed: a process loses at most one
    interval of CPU.
    """

    def __init__(self, pid: int, interval: float = 0.1) -> None:
        self.pid = pid
        self.interval = interval
        self.result = TreeSample()
        self._cpu: dict[tuple[int, int], int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"sampler-{pid}", daemon=True)

    def sample_once(self) -> int:
        """Take one sample; returns the tree's summed RSS now."""
        total = 0
        statm: dict[int, str] = {}
        for pid in process_tree(self.pid):
            stat = _stat(pid)
            if stat is None:
                continue
            self._cpu[(pid, stat[1])] = stat[2]
            statm[pid] = _statm(pid)
            # A child the JVM is spawning (posix_spawn: vfork) shares its parent's memory until it execs, and
            # /proc shows it with the parent's exact statm: counting it would double the JVM's memory.
            if pid != self.pid and statm[pid] and statm[pid] == statm.get(stat[0]):
                continue
            total += _rss_bytes(statm[pid])
        self.result.samples += 1
        self.result.peak_rss_bytes = max(self.result.peak_rss_bytes, total)
        self.result.cpu_seconds = sum(self._cpu.values()) / _TICKS
        self.result.processes = len(self._cpu)
        return total

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.sample_once()
            self._stop.wait(self.interval)

    def __enter__(self) -> TreeSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


@dataclass
class Measured:
    """One measured subprocess."""

    command: list[str]
    returncode: int
    wall_seconds: float
    cpu_seconds: float
    peak_rss_bytes: int
    samples: int
    processes: int
    load_before: float
    load_after: float
    log: str = ""

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def _load() -> float:
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return -1.0


def measure(
    command: Sequence[str], *, log: Path | None = None, env: dict[str, str] | None = None, interval: float = 0.1
) -> Measured:
    """Run ``command`` with its tree sampled; stdout and stderr go to ``log`` (or are discarded)."""
    load_before = _load()
    sink = log.open("w", encoding="utf-8") if log else open(os.devnull, "w")  # noqa: SIM115
    with sink:
        clock = time.perf_counter()
        proc = subprocess.Popen(list(command), stdout=sink, stderr=subprocess.STDOUT, env=env, cwd=REPO)
        with TreeSampler(proc.pid, interval) as sampler:
            returncode = proc.wait()
        wall = time.perf_counter() - clock
    r = sampler.result
    return Measured(
        list(command),
        returncode,
        round(wall, 2),
        round(r.cpu_seconds, 2),
        r.peak_rss_bytes,
        r.samples,
        r.processes,
        load_before,
        _load(),
        str(log or ""),
    )


# ---------------------------------------------------------------- machine


def _first_line(command: Sequence[str]) -> str:
    try:
        out = subprocess.run(list(command), capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    text = (out.stdout or out.stderr).strip().splitlines()
    return text[0] if text else "unknown"


def machine_description(python: str = sys.executable) -> dict[str, Any]:
    """Cores, memory, CPU model, OS and the versions that matter to the figures."""
    cpu_model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = int(line.split()[1]) * 1024
    except OSError:
        pass
    versions = _first_line(
        [
            python,
            "-c",
            "import duckdb, pyspark, sys; print(sys.version.split()[0], pyspark.__version__, duckdb.__version__)",
        ]
    ).split()
    versions += ["unknown"] * (3 - len(versions))
    return {
        "cores": os.cpu_count(),
        "memory_bytes": memory,
        "memory_gib": round(memory / GIB, 1),
        "cpu_model": cpu_model,
        "os": platform.platform(),
        "python": versions[0],
        "pyspark": versions[1],
        "duckdb": versions[2],
        "java": _first_line(["java", "-version"]),
        "load_average_at_start": list(os.getloadavg()) if hasattr(os, "getloadavg") else [],
    }


# ---------------------------------------------------------------- feeds


def generate(python: str, out: Path, transactions: int, days: int, seed: int, start: date, log: Path) -> Measured:
    command = [python, "-m", "energy_lake.cli.main", "generate", "--transactions", str(transactions)]
    command += ["--days", str(days), "--seed", str(seed), "--start-date", start.isoformat(), "--out", str(out)]
    measured = measure(command, log=log)
    if measured.returncode != 0:
        raise RuntimeError(f"generate failed, see {log}")
    return measured


def landing_files(landing: Path, entities: Iterable[str] = ENTITIES) -> list[Path]:
    return sorted(p for e in entities for p in (landing / e).glob("ingest_date=*/*") if p.is_file())


def landing_bytes(landing: Path, dates: Iterable[str] | None = None) -> int:
    """CSV bytes in the landing (only those ``ingest_date`` folders when given)."""
    wanted = set(dates) if dates is not None else None
    return sum(
        p.stat().st_size
        for p in landing_files(landing)
        if wanted is None or p.parent.name.removeprefix("ingest_date=") in wanted
    )


def add_increment(python: str, landing: Path, work: Path, transactions: int, seed: int, day: date) -> dict[str, Any]:
    """One new ingest date of ``transactions`` trades, generated apart and copied into ``landing``."""
    apart = work / "increment"
    generate(python, apart, transactions, 1, seed, day, work / "generate-increment.log")
    copied = []
    for src in landing_files(apart, ["transactions"]):
        dest = landing / src.relative_to(apart)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dest)
        copied.append(str(dest.relative_to(landing)))
    return {"date": day.isoformat(), "transactions": transactions, "files": copied}


# ---------------------------------------------------------------- the floor: DuckDB


def duckdb_floor(landing: Path, out: Path, threads: int) -> dict[str, int]:
    """Convert the landing CSVs to Parquet partitioned by ingest date, all text (as the raw zone), zstd.

    Run in a subprocess by ``floor_command``. Headers differ by language, never by order, so columns are
    named by position from the English header; rows with a wrong field count are skipped, not quarantined.
    """
    import duckdb

    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    con = duckdb.connect()
    con.execute(f"SET threads = {int(threads)}")
    rows = {}
    for entity in ENTITIES:
        files = [str(p) for p in landing_files(landing, [entity])]
        if not files:
            continue
        with open(files[0], encoding="utf-8-sig") as handle:
            width = len(handle.readline().split(","))
        names = [f"c{i}" for i in range(width)]
        listed = ", ".join("'" + f.replace("'", "''") + "'" for f in files)
        target = str(out / entity).replace("'", "''")
        sql = f"""
            COPY (
                SELECT * EXCLUDE (filename),
                       CAST(regexp_extract(filename, 'ingest_date=([0-9-]+)', 1) AS DATE) AS ingest_date
                FROM read_csv([{listed}], header = true, all_varchar = true, names = {names!r}, filename = true,
                              hive_partitioning = false, ignore_errors = true, quote = '"', escape = '"')
            ) TO '{target}' (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (ingest_date))
        """
        con.execute(sql)
        rows[entity] = int(con.execute(f"SELECT count(*) FROM read_parquet('{target}/*/*.parquet')").fetchone()[0])  # type: ignore[index]
    return rows


def floor_command(python: str, landing: Path, out: Path, threads: int) -> list[str]:
    return [python, str(Path(__file__).resolve()), "--floor-only", str(landing), str(out), "--threads", str(threads)]


def floor_rows(log_lines: Iterable[str]) -> dict[str, int]:
    """The rows per entity a floor printed (its last line that is a JSON object of counts); {} if none."""
    for line in reversed(list(log_lines)):
        try:
            doc = json.loads(line)
        except ValueError:
            continue
        if isinstance(doc, dict) and all(isinstance(v, int) for v in doc.values()):
            return doc
    return {}


def run_floor(name: str, command: Sequence[str], log: Path) -> dict[str, Any]:
    """One floor measured, with the rows it wrote; raises if it failed."""
    measured = measure(command, log=log)
    if measured.returncode != 0:
        raise RuntimeError(f"{name} floor failed, see {log}")
    return {**measured.as_json(), "rows": floor_rows(log.read_text(encoding="utf-8", errors="replace").splitlines())}


# ---------------------------------------------------------------- the pipeline


def pipeline_command(python: str, landing: Path, lake: Path, summary: Path) -> list[str]:
    return [
        python,
        "-m",
        "energy_lake.cli.main",
        "run",
        "--landing",
        str(landing),
        "--lake",
        str(lake),
        "--summary-json",
        str(summary),
    ]


def hop_seconds(log_lines: Iterable[str], started_at: str | None = None) -> dict[str, float]:
    """Seconds per phase of a run, from its JSON log: Spark start, then each hop's last event to the next."""
    events: list[tuple[datetime, str]] = []
    for line in log_lines:
        try:
            doc = json.loads(line)
            stamp = datetime.fromisoformat(doc["ts"])
        except (ValueError, KeyError, TypeError):
            continue
        phase = "spark_start" if doc.get("event") == "spark ready" else str(doc.get("hop") or "")
        events.append((stamp, phase))
    if not events:
        return {}
    events.sort()
    out: dict[str, float] = {}
    previous = datetime.fromisoformat(started_at) if started_at else events[0][0]
    for phase in ("spark_start", "raw", "transform", "analytics"):
        stamps = [s for s, p in events if p == phase]
        if stamps:
            out[phase] = round((stamps[-1] - previous).total_seconds(), 1)
            previous = stamps[-1]
    return out


def event_log_env(base: dict[str, str], folder: Path) -> dict[str, str]:
    """``base`` with ``PYSPARK_SUBMIT_ARGS`` making Spark write its event log into ``folder`` (created)."""
    folder.mkdir(parents=True, exist_ok=True)
    where = shlex.quote(str(folder.resolve()))
    args = f"--conf spark.eventLog.enabled=true --conf spark.eventLog.dir={where} pyspark-shell"
    return {**base, "PYSPARK_SUBMIT_ARGS": args}


def keep_events(folder: Path, keep_in: Path | None) -> str:
    """Move a run's event-log folder into ``keep_in`` (delete it when None); returns where it is kept."""
    if keep_in is None:
        shutil.rmtree(folder, ignore_errors=True)
        return ""
    dest = keep_in / folder.name
    if dest.resolve() != folder.resolve():
        shutil.rmtree(dest, ignore_errors=True)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(folder), str(dest))
    return str(dest)


def run_pipeline(
    python: str,
    landing: Path,
    lake: Path,
    work: Path,
    label: str,
    env: dict[str, str],
    events_kept_in: Path | None = None,
) -> dict[str, Any]:
    """``energy-lake run`` measured, its Spark event log in ``work/events-<label>`` counted (then kept in
    ``events_kept_in`` or deleted), its manifest and JSON log read for rows and per-hop seconds."""
    summary = work / f"{label}-manifest.json"
    log = work / f"{label}-run.log"
    events = work / f"events-{label}"
    shutil.rmtree(events, ignore_errors=True)
    measured = measure(pipeline_command(python, landing, lake, summary), log=log, env=event_log_env(env, events))
    result: dict[str, Any] = {"label": label, **measured.as_json()}
    counts = spark_counts.count_folder(events)
    result["spark"] = counts
    result["spark_jobs"], result["sql_executions"] = counts["spark_jobs"], counts["sql_executions"]
    result["event_log"] = keep_events(events, events_kept_in)
    if measured.returncode != 0 or not summary.is_file():
        result["error"] = f"energy-lake run exited {measured.returncode}; see {log}"
        return result
    doc = json.loads(summary.read_text(encoding="utf-8"))
    run_log = lake / "_lake" / "logs" / f"{doc['run_id']}.jsonl"
    lines = run_log.read_text(encoding="utf-8").splitlines() if run_log.is_file() else []
    result["status"] = doc.get("status")
    result["phases"] = hop_seconds(lines, doc.get("started_at"))
    result["rows"] = {
        e: {k: s[k] for k in ("files", "rows_read", "rows_valid", "rows_quarantined")}
        for e, s in doc["entities"].items()
    }
    result["analytics_rows"] = {k: v["rows"] for k, v in doc["outputs"]["analytics"].items()}
    return result


# ---------------------------------------------------------------- dashboard bytes


def dashboard_queries(sql_dir: Path = SQL_DIR) -> dict[str, list[str]]:
    """Queries that read only the analytics zone (the dashboard ones) and the tables each reads."""
    import sqlglot
    from sqlglot import exp

    out: dict[str, list[str]] = {}
    for path in sorted(sql_dir.glob("*.sql")):
        tree = sqlglot.parse_one(path.read_text(encoding="utf-8"), read="athena")
        ctes = {c.alias_or_name for c in tree.find_all(exp.CTE)}
        tables = sorted(
            {f"{t.db or 'analytics'}.{t.name}" for t in tree.find_all(exp.Table) if t.db or t.name not in ctes}
        )
        if tables and all(t.startswith("analytics.") for t in tables):
            out[path.stem] = tables
    return out


def _file_bytes(paths: Iterable[str]) -> int:
    """Bytes of local data files named by Iceberg metadata (plain paths or ``file:`` URIs)."""
    from urllib.parse import urlparse

    total = 0
    for path in paths:
        local = Path(urlparse(path).path if path.startswith("file:") else path)
        total += local.stat().st_size if local.is_file() else 0
    return total


def dashboard_bytes(lake: Path, landing: Path, queries: dict[str, list[str]]) -> dict[str, Any]:
    """Parquet bytes each dashboard query reads after partition pruning, against the landing bytes it covers.

    Two periods: the whole history (the queries as written: no date filter), and the last ingest date (the
    query with ``WHERE ingest_date = <day>``, which prunes the date-partitioned marts to one partition; the
    lifetime summaries are unpartitioned and read whole, against the whole landing). Files are listed from
    each table's Iceberg metadata (DuckDB's ``iceberg_metadata``: the data files of the current snapshot),
    so only committed files count; the last date's files are those DuckDB's ``iceberg_scan`` keeps after
    pruning on ``ingest_date``. Whole-file bytes are an upper bound of what Athena or DuckDB scan (they read
    only the column chunks a query needs).
    """
    from energy_lake.cli.local_athena import iceberg_connection, is_table, table_folder
    from energy_lake.etl.lake.tables import specs
    from energy_lake.etl.model.contracts import lake_conventions

    con = iceberg_connection()
    key = lake_conventions().partition_key
    dates = sorted({p.parent.name.removeprefix("ingest_date=") for p in landing_files(landing)})
    last = dates[-1] if dates else ""
    total_landing = landing_bytes(landing)
    day_landing = landing_bytes(landing, [last])
    out: dict[str, Any] = {"last_date": last, "landing_bytes": total_landing, "landing_bytes_last_date": day_landing}
    per_query = {}
    for name, tables in queries.items():
        whole = day = 0
        day_covers = day_landing
        for table_name in tables:
            folder = table_folder(lake, table_name)
            if table_name not in specs() or not is_table(folder):
                continue
            source = "'" + str(folder).replace("'", "''") + "'"
            current = con.execute(
                f"SELECT file_path FROM iceberg_metadata({source}) "
                "WHERE manifest_content = 'DATA' AND status <> 'DELETED'"
            ).fetchall()
            size = _file_bytes(str(r[0]) for r in current)
            whole += size
            if key not in specs()[table_name].partition_by:
                day += size
                day_covers = total_landing  # a lifetime summary covers the whole history
            elif last:
                pruned = con.execute(
                    f'SELECT DISTINCT filename FROM iceberg_scan({source}) WHERE "{key}" = CAST(? AS DATE)', [last]
                ).fetchall()
                day += _file_bytes(str(r[0]) for r in pruned)
        per_query[name] = {
            "tables": tables,
            "bytes_all_dates": whole,
            "share_all_dates": whole / total_landing if total_landing else 0.0,
            "bytes_last_date": day,
            "landing_bytes_covered_last_date": day_covers,
            "share_last_date": day / day_covers if day_covers else 0.0,
        }
    con.close()
    out["queries"] = per_query
    shares = [q[k] for q in per_query.values() for k in ("share_all_dates", "share_last_date")]
    out["max_share"] = max(shares) if shares else 0.0
    return out


def time_queries(lake: Path, queries: Iterable[str], sql_dir: Path = SQL_DIR) -> dict[str, float]:
    """Seconds each dashboard query takes on the local DuckDB engine (as ``energy-lake query``)."""
    from energy_lake.cli.local_athena import LocalAthena

    engine = LocalAthena(str(lake), persona="analyst")
    out = {}
    for name in queries:
        sql = (sql_dir / f"{name}.sql").read_text(encoding="utf-8")
        clock = time.perf_counter()
        engine.query(sql)
        out[name] = round(time.perf_counter() - clock, 3)
    return out


# ---------------------------------------------------------------- report


def fmt_bytes(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(n) < 1024 or unit == "TiB":
            return f"{n:,.0f} {unit}" if unit == "B" else f"{n:,.2f} {unit}"
        n /= 1024
    return f"{n:.2f}"  # pragma: no cover


def format_table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A plain-text table: first column left-aligned, the others right-aligned, as Markdown would render."""
    cells = [[str(c) for c in header], *[["" if c is None else str(c) for c in row] for row in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]

    def line(row: Sequence[str]) -> str:
        parts = [row[0].ljust(widths[0]), *[c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)]]
        return "| " + " | ".join(parts) + " |"

    rule = "|" + "|".join(["-" * (widths[0] + 2), *[("-" * (w + 1)) + ":" for w in widths[1:]]]) + "|"
    return "\n".join([line(cells[0]), rule, *[line(r) for r in cells[1:]]])


def check_targets(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """Each issue-15 target with what was measured (None when missing), its limit and its moonshot.

    ``met`` and ``moonshot_met`` are None when the measurement is missing (or there is no moonshot).
    """
    runs = doc.get("runs", {})
    n, big = runs.get("N", {}), runs.get("2N", {})
    duckdb = doc.get("floor", {}).get("N", {})
    spark = doc.get("spark_floor", {}).get("N", {})
    inc = doc.get("incremental", {})
    dash = doc.get("dashboard", {})
    sample = doc.get("sample", {})

    def ratio(a: float | None, b: float | None) -> float | None:
        return round(a / b, 3) if a is not None and b else None

    def gib(run: dict[str, Any]) -> float | None:
        return round(run["peak_rss_bytes"] / GIB, 2) if "peak_rss_bytes" in run else None

    out: list[tuple[str, float | None, float, float | None]] = [
        ("sample feeds: pipeline wall s", sample.get("wall_seconds"), TARGET_SAMPLE_SECONDS, MOONSHOT_SAMPLE_SECONDS),
        (
            "full run wall / DuckDB floor",
            ratio(n.get("wall_seconds"), duckdb.get("wall_seconds")),
            TARGET_DUCKDB_RATIO,
            MOONSHOT_DUCKDB_RATIO,
        ),
        (
            "full run wall / bare Spark floor",
            ratio(n.get("wall_seconds"), spark.get("wall_seconds")),
            TARGET_SPARK_RATIO,
            MOONSHOT_SPARK_RATIO,
        ),
        (
            "incremental wall / full wall",
            ratio(inc.get("wall_seconds"), n.get("wall_seconds")),
            TARGET_INCREMENTAL_SHARE,
            MOONSHOT_INCREMENTAL_SHARE,
        ),
        ("peak memory of the tree at N (GiB)", gib(n), TARGET_PEAK_BYTES / GIB, MOONSHOT_PEAK_BYTES / GIB),
        ("peak memory of the tree at 2N (GiB)", gib(big), TARGET_PEAK_BYTES / GIB, MOONSHOT_PEAK_BYTES / GIB),
        (
            "dashboard bytes / landing bytes",
            round(dash["max_share"], 5) if "max_share" in dash else None,
            TARGET_DASHBOARD_SHARE,
            None,
        ),
        ("wall at 2N / wall at N", ratio(big.get("wall_seconds"), n.get("wall_seconds")), TARGET_TIME_GROWTH, None),
    ]
    return [
        {
            "target": t,
            "measured": m,
            "limit": lim,
            "met": None if m is None else m <= lim,
            "moonshot": moon,
            "moonshot_met": None if m is None or moon is None else m <= moon,
        }
        for t, m, lim, moon in out
    ]


def render(doc: dict[str, Any]) -> str:
    runs: dict[str, Any] = doc.get("runs", {})
    labels = [k for k in ("N/5", "N", "2N") if k in runs]
    floors = doc.get("floor", {})
    sparks = doc.get("spark_floor", {})

    def cell(label: str, get: Callable[[dict[str, Any]], Any]) -> Any:
        try:
            return get(runs[label])
        except (KeyError, TypeError, ZeroDivisionError):
            return ""

    def phase(name: str) -> Callable[[dict[str, Any]], Any]:
        return lambda r: r.get("phases", {}).get(name, "")

    def floor(which: dict[str, Any], label: str, key: str, show: Callable[[Any], Any] = lambda v: v) -> Any:
        value = which.get(label, {}).get(key)
        return "" if value is None else show(value)

    def over(which: dict[str, Any]) -> list[Any]:
        return [cell(k, lambda r, k=k: round(r["wall_seconds"] / which[k]["wall_seconds"], 1)) for k in labels]

    parts = []
    sample = doc.get("sample")
    if sample:
        parts.append(
            format_table(
                ["sample feeds (data/landing, as make run)", "value"],
                [
                    ["wall s", sample.get("wall_seconds")],
                    ["CPU s (tree)", sample.get("cpu_seconds")],
                    ["peak RSS (tree)", fmt_bytes(sample.get("peak_rss_bytes", 0))],
                    ["Spark jobs", sample.get("spark_jobs", "")],
                    ["SQL executions", sample.get("sql_executions", "")],
                    *[[f"  {k}, s", v] for k, v in sample.get("phases", {}).items()],
                ],
            )
        )
    if labels:
        rows: list[list[Any]] = [
            ["transactions", *[f"{runs[k]['transactions']:,}" for k in labels]],
            ["landing CSV", *[fmt_bytes(runs[k]["landing_bytes"]) for k in labels]],
            ["DuckDB floor, wall s", *[floor(floors, k, "wall_seconds") for k in labels]],
            ["bare Spark floor, wall s", *[floor(sparks, k, "wall_seconds") for k in labels]],
            ["pipeline, wall s", *[cell(k, lambda r: r["wall_seconds"]) for k in labels]],
            ["  Spark start, s", *[cell(k, phase("spark_start")) for k in labels]],
            ["  landing -> raw, s", *[cell(k, phase("raw")) for k in labels]],
            ["  raw -> transform, s", *[cell(k, phase("transform")) for k in labels]],
            ["  transform -> analytics, s", *[cell(k, phase("analytics")) for k in labels]],
            ["pipeline / DuckDB floor", *over(floors)],
            ["pipeline / bare Spark", *over(sparks)],
            ["Spark jobs", *[cell(k, lambda r: r["spark_jobs"]) for k in labels]],
            ["SQL executions", *[cell(k, lambda r: r["sql_executions"]) for k in labels]],
            ["pipeline CPU s (tree)", *[cell(k, lambda r: r["cpu_seconds"]) for k in labels]],
            ["DuckDB CPU s (tree)", *[floor(floors, k, "cpu_seconds") for k in labels]],
            ["bare Spark CPU s (tree)", *[floor(sparks, k, "cpu_seconds") for k in labels]],
            ["pipeline peak RSS (tree)", *[cell(k, lambda r: fmt_bytes(r["peak_rss_bytes"])) for k in labels]],
            ["DuckDB peak RSS (tree)", *[floor(floors, k, "peak_rss_bytes", fmt_bytes) for k in labels]],
            ["bare Spark peak RSS (tree)", *[floor(sparks, k, "peak_rss_bytes", fmt_bytes) for k in labels]],
            [
                "load average before/after",
                *[cell(k, lambda r: f"{r['load_before']}/{r['load_after']}") for k in labels],
            ],
        ]
        parts.append(format_table(["measure", *labels], rows))
    inc = doc.get("incremental")
    if inc:
        parts.append(
            format_table(
                ["incremental run (one new date, 1% of N)", "value"],
                [
                    ["new transactions", f"{inc['transactions']:,}"],
                    ["wall s", inc.get("wall_seconds")],
                    ["CPU s (tree)", inc.get("cpu_seconds")],
                    ["peak RSS (tree)", fmt_bytes(inc.get("peak_rss_bytes", 0))],
                    ["Spark jobs", inc.get("spark_jobs", "")],
                    ["SQL executions", inc.get("sql_executions", "")],
                    *[[f"  {k}, s", v] for k, v in inc.get("phases", {}).items()],
                ],
            )
        )
    dash = doc.get("dashboard")
    if dash:
        parts.append(
            format_table(
                [
                    "dashboard query",
                    "tables",
                    "Parquet bytes (all dates)",
                    "share",
                    f"bytes ({dash['last_date']})",
                    "share",
                    "query s",
                ],
                [
                    [
                        name,
                        ", ".join(t.split(".")[1] for t in q["tables"]),
                        fmt_bytes(q["bytes_all_dates"]),
                        f"{q['share_all_dates']:.5%}",
                        fmt_bytes(q["bytes_last_date"]),
                        f"{q['share_last_date']:.5%}",
                        doc.get("query_seconds", {}).get(name, ""),
                    ]
                    for name, q in dash["queries"].items()
                ],
            )
        )
    targets = doc.get("targets") or check_targets(doc)
    if doc.get("parameters", {}).get("sample_only"):
        targets = [t for t in targets if t["measured"] is not None]
    met = {True: "yes", False: "NO", None: "n/a"}
    parts.append(
        format_table(
            ["target (issue 15: 5M transactions, 2 cores)", "measured", "limit", "met", "moonshot", "met"],
            [
                [
                    t["target"],
                    t["measured"],
                    t["limit"],
                    met[t["met"]],
                    t.get("moonshot"),
                    met[t.get("moonshot_met")] if t.get("moonshot") is not None else "",
                ]
                for t in targets
            ],
        )
    )
    return "\n\n".join(parts)


def write_results(doc: dict[str, Any], folder: Path = RESULTS_DIR, now: datetime | None = None) -> Path:
    """``bench-<UTC time>-<N>.json`` (``-sample.json`` for ``--sample-only``) in ``folder`` (created if
    missing); returns its path."""
    now = now or datetime.now(UTC)
    folder.mkdir(parents=True, exist_ok=True)
    parameters = doc.get("parameters", {})
    n = "sample" if parameters.get("sample_only") else parameters.get("transactions", "n")
    path = folder / f"bench-{now:%Y%m%dT%H%M%SZ}-{n}.json"
    path.write_text(json.dumps(doc, indent=2, sort_keys=False, default=str) + "\n", encoding="utf-8")
    return path


# ---------------------------------------------------------------- main


@dataclass
class Options:
    transactions: int
    days: int
    seed: int
    start: date
    workdir: Path
    keep: bool
    repeat: int
    sizes: list[str] = field(default_factory=list)
    event_log: Path | None = None
    sample_only: bool = False


def _size(label: str, n: int) -> int:
    return {"N/5": max(1, n // 5), "N": n, "2N": 2 * n}[label]


def run(opts: Options, python: str = sys.executable) -> dict[str, Any]:
    work = opts.workdir
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    env = dict(os.environ)
    # Event logs are always written into the workdir (for the counts); kept with --event-log, or --keep.
    events_kept_in = opts.event_log or (work if opts.keep else None)
    doc: dict[str, Any] = {
        "bench": "energy-lake issue 15",
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine_description(python),
        "parameters": {
            "transactions": opts.transactions,
            "days": opts.days,
            "seed": opts.seed,
            "start_date": opts.start.isoformat(),
            "bad_share": 0.01,
            "repeat": opts.repeat,
            "sizes": [] if opts.sample_only else opts.sizes,
            "sample_only": opts.sample_only,
        },
        "runs": {},
        "floor": {},
        "spark_floor": {},
    }
    print("[sample] energy-lake run on data/landing ...", flush=True)
    sample_lake = work / "lake-sample"
    sample = run_pipeline(python, SAMPLE_LANDING, sample_lake, work, "sample", env, events_kept_in)
    if "error" in sample:
        raise RuntimeError(sample["error"])
    doc["sample"] = sample
    print(f"[sample] {sample['wall_seconds']}s wall, {sample['spark_jobs']} Spark jobs", flush=True)
    if not opts.keep:
        shutil.rmtree(sample_lake, ignore_errors=True)
    threads = os.cpu_count() or 2
    for label in [] if opts.sample_only else opts.sizes:
        n = _size(label, opts.transactions)
        landing, lake = work / f"landing-{n}", work / f"lake-{n}"
        print(f"[{label}] generate {n:,} transactions ...", flush=True)
        gen = generate(python, landing, n, opts.days, opts.seed, opts.start, work / f"generate-{n}.log")
        print(f"[{label}] DuckDB floor ...", flush=True)
        floor = run_floor(
            "DuckDB", floor_command(python, landing, work / f"duckdb-{n}", threads), work / f"duckdb-{n}.log"
        )
        doc["floor"][label] = floor
        print(f"[{label}] bare Spark floor ...", flush=True)
        spark = run_floor(
            "bare Spark", spark_floor.command(python, landing, work / f"spark-{n}"), work / f"spark-floor-{n}.log"
        )
        doc["spark_floor"][label] = spark
        attempts = []
        for attempt in range(opts.repeat if label == "N" else 1):
            if lake.exists():
                shutil.rmtree(lake)
            print(
                f"[{label}] energy-lake run (full{f', {attempt + 1}/{opts.repeat}' if opts.repeat > 1 else ''}) ...",
                flush=True,
            )
            attempts.append(run_pipeline(python, landing, lake, work, f"full-{n}-{attempt + 1}", env, events_kept_in))
            if "error" in attempts[-1]:
                raise RuntimeError(attempts[-1]["error"])
        best = min(attempts, key=lambda r: r["wall_seconds"])
        best = {
            **best,
            "transactions": n,
            "landing_bytes": landing_bytes(landing),
            "generate_seconds": gen.wall_seconds,
            "attempts_wall_seconds": [r["wall_seconds"] for r in attempts],
        }
        if len(attempts) > 1:
            best["median_wall_seconds"] = statistics.median(r["wall_seconds"] for r in attempts)
        doc["runs"][label] = best
        print(
            f"[{label}] {best['wall_seconds']}s wall, floors: DuckDB {floor['wall_seconds']}s, "
            f"bare Spark {spark['wall_seconds']}s",
            flush=True,
        )
        if label == "N":
            queries = dashboard_queries()
            doc["dashboard"] = dashboard_bytes(lake, landing, queries)
            doc["query_seconds"] = time_queries(lake, queries)
            last = max(
                date.fromisoformat(d.removeprefix("ingest_date="))
                for d in {p.parent.name for p in landing_files(landing)}
            )
            increment = add_increment(python, landing, work, max(1, n // 100), opts.seed + 1, last + timedelta(days=1))
            print(f"[{label}] incremental run after {increment['transactions']:,} new transactions ...", flush=True)
            inc = run_pipeline(python, landing, lake, work, f"incremental-{n}", env, events_kept_in)
            if "error" in inc:
                raise RuntimeError(inc["error"])
            doc["incremental"] = {**inc, **increment}
        if not opts.keep:
            shutil.rmtree(landing, ignore_errors=True)
            shutil.rmtree(lake, ignore_errors=True)
            shutil.rmtree(work / f"duckdb-{n}", ignore_errors=True)
            shutil.rmtree(work / f"spark-{n}", ignore_errors=True)
    doc["finished_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    doc["machine"]["load_average_at_end"] = list(os.getloadavg()) if hasattr(os, "getloadavg") else []
    doc["targets"] = check_targets(doc)
    return doc


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--transactions", "-n", type=int, default=5_000_000, help="N (default: %(default)s)")
    parser.add_argument("--quick", action="store_true", help="a smoke run: N = 200,000")
    parser.add_argument("--days", type=int, default=3, help="ingest dates of the full feed (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=42, help="generator seed (default: %(default)s)")
    parser.add_argument("--sizes", default="N,N/5,2N", help="which sizes to run, of N/5, N, 2N (default: %(default)s)")
    parser.add_argument("--repeat", type=int, default=1, help="full runs at N; the fastest is reported (default: 1)")
    parser.add_argument(
        "--workdir",
        type=Path,
        default=Path(tempfile.gettempdir()) / "energy-lake-bench",
        help="scratch folder for feeds and lakes, emptied first (default: %(default)s)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the feeds and lakes in the workdir")
    parser.add_argument(
        "--sample-only", action="store_true", help="run only the sample feeds (data/landing), the fast figure"
    )
    parser.add_argument(
        "--event-log",
        type=Path,
        help="keep the runs' Spark event logs here, one events-<run> folder each (for profiling); they are "
        "always written into the workdir, for the Spark job counts, and deleted unless kept here or by --keep",
    )
    parser.add_argument("--results", type=Path, default=RESULTS_DIR, help="where the JSON goes (default: %(default)s)")
    parser.add_argument("--floor-only", nargs=2, metavar=("LANDING", "OUT"), help=argparse.SUPPRESS)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 2, help=argparse.SUPPRESS)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.floor_only:
        rows = duckdb_floor(Path(args.floor_only[0]), Path(args.floor_only[1]), args.threads)
        print(json.dumps(rows))
        return 0
    n = 200_000 if args.quick else args.transactions
    sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    if "N" not in sizes:
        sizes.insert(0, "N")
    unknown = set(sizes) - {"N/5", "N", "2N"}
    if unknown:
        raise SystemExit(f"--sizes takes N/5, N and 2N, got {sorted(unknown)}")
    opts = Options(
        n,
        args.days,
        args.seed,
        date(2026, 1, 1),
        args.workdir,
        args.keep,
        max(1, args.repeat),
        sizes,
        args.event_log,
        args.sample_only,
    )
    doc = run(opts)
    table = render(doc)
    doc["table"] = table
    path = write_results(doc, args.results)
    print()
    print(table)
    print()
    print(f"results: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
