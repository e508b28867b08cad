"""Structured logs: one JSON object per line, always carrying the run id.

On Glue the lines go to stdout (CloudWatch); locally to the run's log file in the lake, while the
terminal gets a short readable line per event. Callers never log personal data or secrets: fields
are counts, names of files, tables and rules.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from typing import Any, TextIO


class Logger:
    def __init__(self, run_id: str, *, json_stream: TextIO | None = None, human_stream: TextIO | None = None) -> None:
        self.run_id = run_id
        self.json_stream = json_stream
        self.human_stream = human_stream

    def _emit(self, level: str, event: str, fields: dict[str, Any]) -> None:
        if self.json_stream is not None:
            record = {
                "ts": datetime.now(UTC).isoformat(timespec="milliseconds"),
                "level": level,
                "run_id": self.run_id,
                "event": event,
                **fields,
            }
            self.json_stream.write(json.dumps(record, default=str) + "\n")
            self.json_stream.flush()
        if self.human_stream is not None:
            details = " ".join(f"{k}={v}" for k, v in fields.items())
            prefix = {"INFO": "  ", "WARNING": "  warning: ", "ERROR": "  error: "}[level]
            self.human_stream.write(f"{prefix}{event} {details}".rstrip() + "\n")
            self.human_stream.flush()

    def info(self, event: str, **fields: Any) -> None:
        self._emit("INFO", event, fields)

    def warning(self, event: str, **fields: Any) -> None:
        self._emit("WARNING", event, fields)

    def error(self, event: str, **fields: Any) -> None:
        self._emit("ERROR", event, fields)


def glue_logger(run_id: str) -> Logger:
    """JSON lines on stdout, which Glue ships to CloudWatch Logs."""
    return Logger(run_id, json_stream=sys.stdout)
