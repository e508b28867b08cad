"""``energy-lake ingest``: put source files where the pipeline looks for them, refusing what no contract knows."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime
from pathlib import Path

from energy_lake.etl.lake.storage import LocalStorage
from energy_lake.etl.landing.compression import BadCompression
from energy_lake.etl.landing.plan import Content, examine
from energy_lake.etl.model.errors import FeedRejected, LakeError


def _ingest_date(text: str | None) -> str:
    if text is None:
        return datetime.now(UTC).date().isoformat()
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise LakeError(f"--date {text!r} is not a date in the form YYYY-MM-DD") from None


def ingest_files(files: list[str], *, entity: str | None, ingest_date: str | None, landing: str) -> int:
    day = _ingest_date(ingest_date)
    failures = 0
    for name in files:
        source = Path(name)
        if not source.is_file():
            print(f"refused {name}: no such file")
            failures += 1
            continue
        try:
            # Read as the planner reads it: a .gz file by the CSV inside, the encoding by all of its bytes.
            match = examine(Content(LocalStorage(), str(source), source.stat().st_size), name, entity).header
        except BadCompression as bad:
            print(f"refused {name}: {bad.reason}")
            failures += 1
            continue
        except FeedRejected as rejection:
            print(f"refused {rejection}")
            failures += 1
            continue
        target = Path(landing) / match.entity / f"ingest_date={day}" / source.name
        if target.exists() and target.read_bytes() != source.read_bytes():
            print(f"refused {name}: {target} already holds a different file; rename it or use another --date")
            failures += 1
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        extras = f" (extra columns carried: {', '.join(match.extras)})" if match.extras else ""
        print(f"landed {name} as {match.entity} -> {target}{extras}")
    return 1 if failures else 0
