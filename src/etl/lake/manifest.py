"""The run manifest: what a run read, kept, quarantined and produced (DESIGN.md section 4)."""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime
from typing import Any

from energy_lake.etl.lake.storage import Storage, join


def new_run_id(now: datetime | None = None) -> str:
    """Sortable, unique, never numeric-looking (it becomes a partition folder ``run=<id>``)."""
    now = now or datetime.now(UTC)
    return f"r{now:%Y%m%dT%H%M%S}Z-{secrets.token_hex(3)}"


def build(
    run_id: str,
    started_at: datetime,
    raw: dict[str, Any],
    transform: dict[str, Any] | None,
    analytics: dict[str, Any] | None,
    error: str | None = None,
    quality: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The manifest. ``status``: ``failed`` when an error stopped the run; ``needs_attention`` when it did
    its work but a landing file was rejected or data quality stopped a promotion (the rest went on);
    ``succeeded`` otherwise."""
    rejected = [r for stats in raw.values() for r in stats.get("rejected_files", [])]
    quality = quality or {"rules_evaluated": 0, "passed": 0, "warnings": 0, "failures": 0, "stopped": [], "results": []}
    finished = datetime.now(UTC)
    status = "failed" if error else "needs_attention" if rejected or quality["stopped"] else "succeeded"
    return {
        "run_id": run_id,
        "status": status,
        "started_at": started_at.isoformat(timespec="seconds"),
        "finished_at": finished.isoformat(timespec="seconds"),
        "duration_seconds": round((finished - started_at).total_seconds(), 1),
        "error": error,
        "entities": raw,
        "transform": transform or {},
        "outputs": {"analytics": {name: {"rows": r["rows"]} for name, r in (analytics or {}).items()}},
        "analytics": analytics or {},
        "quality": quality,
    }


def write(storage: Storage, state_uri: str, manifest: dict[str, Any]) -> str:
    uri = join(state_uri, "runs", f"{manifest['run_id']}.json")
    storage.write_text(uri, json.dumps(manifest, indent=2, default=str))
    return uri
