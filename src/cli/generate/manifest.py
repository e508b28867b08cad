"""``_manifest.json``: what a ``generate`` run wrote, and the expected counts per file and rule.

At the root of the output folder (the landing listing skips names starting with ``_``), with the same keys
as the run manifest's ``entities`` section so both can be compared directly. It is also how a later
``generate`` into the same folder knows which files it may remove.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from energy_lake.etl.model.errors import LakeError

MANIFEST_NAME = "_manifest.json"
MANIFEST_FORMAT = 1


@dataclass
class FileCounts:
    rows_read: int = 0
    rows_valid: int = 0
    reasons: Counter[str] = field(default_factory=Counter)

    def as_json(self) -> dict[str, Any]:
        return {
            "rows_read": self.rows_read,
            "rows_valid": self.rows_valid,
            "rows_quarantined": self.rows_read - self.rows_valid,
            "reasons": dict(sorted(self.reasons.items())),
        }


def manifest_doc(
    parameters: dict[str, Any],
    dates: Sequence[date],
    rule_codes: Mapping[str, Sequence[str]],
    counts: Mapping[str, Mapping[str, FileCounts]],
    duplicates: Mapping[str, str],
) -> dict[str, Any]:
    """The manifest: ``counts`` per entity and file (relative path), ``duplicates`` copy -> original."""
    entities: dict[str, Any] = {}
    for entity, files in counts.items():
        per_file = {rel: c.as_json() for rel, c in sorted(files.items())}
        reasons: Counter[str] = Counter()
        for c in files.values():
            reasons.update(c.reasons)
        entities[entity] = {
            "files": len(files),
            "rows_read": sum(c.rows_read for c in files.values()),
            "rows_valid": sum(c.rows_valid for c in files.values()),
            "rows_quarantined": sum(c.rows_read - c.rows_valid for c in files.values()),
            "quarantine_reasons": dict(sorted(reasons.items())),
            "per_file": per_file,
        }
    return {
        "generator": "energy-lake generate",
        "format": MANIFEST_FORMAT,
        "parameters": parameters,
        "dates": [d.isoformat() for d in dates],
        "rule_codes": {e: sorted(codes) for e, codes in rule_codes.items()},
        "entities": entities,
        "duplicate_files": dict(sorted(duplicates.items())),
        "files": sum(len(f) for f in counts.values()),
    }


def write_manifest(root: Path, doc: dict[str, Any]) -> None:
    root.mkdir(parents=True, exist_ok=True)
    (root / MANIFEST_NAME).write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def clear_previous(out: Path) -> None:
    """Make room in ``out``: empty, or holding only an earlier ``generate`` output (whose files are removed)."""
    if not out.exists():
        return
    if not out.is_dir():
        raise LakeError(f"--out {out} is a file, not a folder")
    previous = out / MANIFEST_NAME
    if previous.is_file():
        try:
            doc = json.loads(previous.read_text("utf-8"))
            files = [f for e in doc["entities"].values() for f in e["per_file"]]
        except (ValueError, KeyError, TypeError, AttributeError):
            raise LakeError(f"{previous} is not a generate manifest; choose an empty --out folder") from None
        for rel in files:
            (out / rel).unlink(missing_ok=True)
        previous.unlink()
        for folder in sorted((p for p in out.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts)):
            if not any(folder.iterdir()):
                folder.rmdir()
    leftovers = [p for p in out.rglob("*") if p.is_file()]
    if leftovers:
        raise LakeError(
            f"--out {out} already holds files that generate did not write (e.g. {leftovers[0]}); "
            "choose an empty or new folder"
        )
