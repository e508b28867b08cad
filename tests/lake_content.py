"""Read a lake's business content through the local Athena engine, for comparing two lakes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from energy_lake.cli.local_athena import LocalAthena

# Lineage that names the run (differs between two runs over the same data), and the map column.
RUN_SPECIFIC = ("_ingested_at", "_run_id", "_extra")
TABLES = (
    "raw.providers",
    "raw.customers",
    "raw.transactions",
    "raw.quarantine",
    "transform.providers",
    "transform.customers",
    "transform.transactions",
    "analytics.daily_energy_summary",
    "analytics.daily_position",
    "analytics.city_demand",
    "analytics.customer_summary",
    "analytics.provider_summary",
)


def business_content(lake: Path, tables: tuple[str, ...] = TABLES) -> dict[str, list[tuple[Any, ...]]]:
    engine = LocalAthena(str(lake), "data_engineer")
    out = {}
    for table in tables:
        columns = [c for c in engine.query(f"SELECT * FROM {table} LIMIT 0").columns if c not in RUN_SPECIFIC]
        select = ", ".join(f'"{c}"' for c in columns)
        out[table] = sorted(engine.query(f"SELECT {select} FROM {table}").rows, key=repr)
    return out
