"""The recorded content of every lake table after ``energy-lake run`` on the committed sample feeds.

A performance change must not change what any table holds (issue 15): ``test_pipeline_end_to_end``
compares each table of its sample lake, every column but the run's own lineage, with
``sample_lake.json`` both ways (rows missing and rows added), values typed (``Decimal:12.5``, not ``12.5``).

Re-record only when a change is meant to alter the tables, and say so in the commit:
``.venv/bin/python -m tests.golden.sample_lake`` (runs the pipeline on data/landing with the test PII key).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from energy_lake.cli.local_athena import LocalAthena
from tests.lake_content import business_content

RECORDED = Path(__file__).with_name("sample_lake.json")
# The quality results but their message (it states the feed's age, which grows with the clock) and when/which run.
QUALITY = (
    "SELECT rule, table_name, entity, check_type, severity, hop, scope, rows_checked, violations, pass_rate, "
    "min_pass_rate, outcome FROM analytics.quality_results"
)
REPO = Path(__file__).resolve().parents[2]


def typed(value: Any) -> str | None:
    """A cell as text that keeps its type: a float where a Decimal was recorded is a difference."""
    return None if value is None else f"{type(value).__name__}:{value}"


def content(lake: Path) -> dict[str, list[list[str | None]]]:
    """Every table's rows as typed text, sorted: a multiset comparable with ``==`` and row by row."""
    tables = business_content(lake)
    tables["analytics.quality_results"] = LocalAthena(str(lake), "data_engineer").query(QUALITY).rows
    return {table: sorted(([typed(v) for v in row] for row in rows), key=repr) for table, rows in tables.items()}


def recorded() -> dict[str, list[list[str | None]]]:
    doc: dict[str, list[list[str | None]]] = json.loads(RECORDED.read_text(encoding="utf-8"))
    return doc


def main(argv: Sequence[str] | None = None) -> int:
    from tests.conftest import TEST_PII_KEY

    os.environ["ENERGY_LAKE_PII_KEY"] = TEST_PII_KEY
    from energy_lake.cli.run import run_pipeline

    with tempfile.TemporaryDirectory() as tmp:
        lake = Path(tmp) / "lake"
        code = run_pipeline(
            lake_dir=str(lake),
            landing_dir=str(REPO / "data" / "landing"),
            through="analytics",
            reprocess=[],
            summary_json=None,
        )
        if code != 0:
            print(f"the sample run exited {code}: nothing recorded", file=sys.stderr)
            return 1
        RECORDED.write_text(json.dumps(content(lake), indent=1) + "\n", encoding="utf-8")
    print(f"recorded {RECORDED}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
