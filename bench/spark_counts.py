"""Spark work counts of one ``energy-lake run`` from its Spark event log (``make bench``).

The bench runs the pipeline with ``spark.eventLog.enabled=true`` and its own ``spark.eventLog.dir``;
Spark writes one JSON-lines file there, one event a line (``{"Event":"SparkListenerJobStart",...}``),
named ``local-<time>`` or, since the run exits without stopping Spark, ``local-<time>.inprogress``.
Compression is off by default (``spark.eventLog.compress``); a compressed log is refused, not misread.

``count_events`` is a pure function over the lines, so it is tested on a synthetic log.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path

JOB_START = "SparkListenerJobStart"
SQL_EXECUTION_START = "org.apache.spark.sql.execution.ui.SparkListenerSQLExecutionStart"
STAGE_SUBMITTED = "SparkListenerStageSubmitted"
TASK_END = "SparkListenerTaskEnd"

# What each count counts; spark_jobs and sql_executions are in the bench's tables, the others in its JSON.
COUNTED = {
    "spark_jobs": JOB_START,
    "sql_executions": SQL_EXECUTION_START,
    "stages": STAGE_SUBMITTED,
    "tasks": TASK_END,
}
COMPRESSED_SUFFIXES = (".lz4", ".lzf", ".snappy", ".zstd", ".zst")

# Spark's JSON writer puts "Event" first; a line that does not start so is parsed in full.
_EVENT_FIRST = re.compile(r'\s*\{\s*"Event"\s*:\s*"([^"\\]+)"')


def event_name(line: str) -> str | None:
    """The ``Event`` of one event-log line; None for a blank, cut or non-event line."""
    match = _EVENT_FIRST.match(line)
    if match:
        return match.group(1)
    try:
        doc = json.loads(line)
    except ValueError:  # a blank line, or the last line cut by the process exiting
        return None
    event = doc.get("Event") if isinstance(doc, dict) else None
    return event if isinstance(event, str) else None


def count_events(lines: Iterable[str]) -> dict[str, int]:
    """Spark jobs, SQL executions, stages and tasks started in an event log's lines."""
    wanted = {event: key for key, event in COUNTED.items()}
    counts = dict.fromkeys(COUNTED, 0)
    for line in lines:
        key = wanted.get(event_name(line) or "")
        if key:
            counts[key] += 1
    return counts


def event_log_files(folder: Path) -> list[Path]:
    """The event logs Spark wrote under ``folder`` (hidden files such as Hadoop's ``.crc`` left out)."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith("."))


def count_folder(folder: Path) -> dict[str, int]:
    """``count_events`` over every event log in ``folder`` (one per run), with ``event_log_files``."""
    files = event_log_files(folder)
    total = dict.fromkeys(COUNTED, 0)
    for path in files:
        if path.name.removesuffix(".inprogress").endswith(COMPRESSED_SUFFIXES):
            raise ValueError(f"{path} is compressed: run with spark.eventLog.compress=false")
        with path.open(encoding="utf-8", errors="replace") as handle:
            for key, n in count_events(handle).items():
                total[key] += n
    return {**total, "event_log_files": len(files)}
