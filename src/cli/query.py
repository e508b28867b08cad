"""``energy-lake query``: one Athena SQL statement against the local lake, printed as a table, CSV or JSON.

CSV and JSON hold every value exactly; the table shows numbers rounded for reading (``display``).
"""

from __future__ import annotations

from pathlib import Path

from energy_lake.cli.local_athena import LocalAthena, lake_has_tables, render
from energy_lake.etl.model.errors import LakeError


def read_sql(sql: str | None, file: str | None) -> str:
    if (sql is None) == (file is None):
        raise LakeError("give the SQL text or --file, one of the two")
    if file is not None:
        path = Path(file)
        if not path.is_file():
            raise LakeError(f"no SQL file at {file}")
        return path.read_text(encoding="utf-8")
    return str(sql)


def query_command(
    sql: str | None, file: str | None, *, persona: str | None, fmt: str, lake: str, as_of: str | None = None
) -> int:
    """Print the result; ``as_of`` (a UTC timestamp or a snapshot id) reads every table as it was then."""
    text = read_sql(sql, file)
    if not lake_has_tables(lake):
        raise LakeError(f"no lake at {lake}: build one with `energy-lake run` (or `make run`) first")
    print(render(LocalAthena(lake, persona).query(text, as_of=as_of), fmt))
    return 0
