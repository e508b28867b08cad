"""Athena SQL on the local lake: DuckDB over the committed Parquet folders, under a persona's grants.

Tables are addressed as in the Glue catalog: ``<database>.<table>`` where the database is the zone
(``analytics``) or its Glue name (``energy_dev_analytics``: anything ending in ``_<zone>``);
unqualified names mean the ``analytics`` database, as Athena's query context does. The SQL is parsed
in the Athena (Trino) dialect and transpiled to DuckDB by sqlglot. With a persona, tables and columns
it may not read are refused before anything runs, naming what was refused, and ``SELECT *`` sees
only the permitted columns (views expose nothing else), as Lake Formation does.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import duckdb
import sqlglot
from sqlglot import exp

from energy_lake.etl.catalog import LakeCatalog, Snapshot
from energy_lake.etl.errors import LakeError
from energy_lake.etl.governance import grants, lake_tables, personas
from energy_lake.etl.locations import LakeLocations
from energy_lake.etl.quality import RESULTS_TABLE, results_schema
from energy_lake.etl.schemas import mart_schema, quarantine_schema, raw_schema, transform_schema
from energy_lake.etl.storage import LocalStorage, join

ZONES = ("raw", "transform", "analytics")
DEFAULT_DATABASE = "analytics"


class QueryError(LakeError):
    """The SQL cannot run: a syntax error, an unknown name, or a permission the persona lacks."""


class PermissionDenied(QueryError):
    pass


@dataclass(frozen=True)
class Result:
    columns: list[str]
    rows: list[tuple[Any, ...]]


def _duck_type(spark_type: Any) -> str:
    name = str(spark_type.simpleString())
    simple = {
        "string": "VARCHAR",
        "int": "INTEGER",
        "bigint": "BIGINT",
        "date": "DATE",
        "timestamp": "TIMESTAMP",
        "boolean": "BOOLEAN",
        "map<string,string>": "MAP(VARCHAR, VARCHAR)",
    }
    return simple.get(name, name.upper())


def _schema(table: str) -> Any:
    from energy_lake.etl.contracts import load_contract

    zone, name = table.split(".", 1)
    if table == "raw.quarantine":
        return quarantine_schema()
    if table == RESULTS_TABLE:
        return results_schema()
    if zone == "analytics":
        return mart_schema(name)
    contract = load_contract(name)
    return raw_schema(contract) if zone == "raw" else transform_schema(contract)


class LocalAthena:
    def __init__(self, lake_dir: str, persona: str | None = None) -> None:
        if persona is not None and persona not in personas():
            raise QueryError(f"unknown persona {persona!r}; expected one of {', '.join(personas())}")
        self.persona = persona
        self.visible = grants(persona) if persona else {t: tuple(c) for t, c in lake_tables().items()}
        lake = LakeLocations.local(lake_dir)
        self.snapshot = LakeCatalog(LocalStorage(), lake.state).snapshot()
        self.con = duckdb.connect()
        for zone in ZONES:
            self.con.execute(f'CREATE SCHEMA IF NOT EXISTS "{zone}"')
        for table, columns in self.visible.items():
            self._create_view(table, columns)

    def _create_view(self, table: str, columns: tuple[str, ...]) -> None:
        schema = {f.name: f.dataType for f in _schema(table).fields}
        zone, name = table.split(".", 1)
        select = ", ".join(f'CAST("{c}" AS {_duck_type(schema[c])}) AS "{c}"' for c in columns)
        source = self._source(self.snapshot, table)
        if source is None:
            source = "(SELECT " + ", ".join(f'CAST(NULL AS {_duck_type(schema[c])}) AS "{c}"' for c in columns)
            source += " WHERE false)"
        # Names come from the contracts and paths from the lake catalog, never from a query's text.
        self.con.execute(f'CREATE VIEW "{zone}"."{name}" AS SELECT {select} FROM {source}')  # noqa: S608  # nosec B608

    @staticmethod
    def _source(snapshot: Snapshot, table: str) -> str | None:
        current = snapshot.table(table)
        if current is None:
            return None
        globs = [join(current.uri(pid), "*.parquet") for pid, p in sorted(current.partitions.items()) if p.rows > 0]
        if not globs:
            return None
        listed = ", ".join("'" + g.replace("'", "''") + "'" for g in globs)
        return f"read_parquet([{listed}], hive_partitioning = true, union_by_name = true)"

    # -- parsing and permissions

    def _zone(self, database: str) -> str:
        for zone in ZONES:
            if database == zone or database.endswith(f"_{zone}"):
                return zone
        raise QueryError(f"unknown database {database!r}: use raw, transform or analytics (or their Glue names)")

    def _prepare(self, sql: str) -> str:
        try:
            statements = sqlglot.parse(sql, read="athena")
        except sqlglot.errors.ParseError as err:
            first = err.errors[0] if err.errors else {}
            where = f"line {first.get('line')}, column {first.get('col')}: " if first else ""
            raise QueryError(f"SQL syntax error at {where}{first.get('description', err)}") from None
        statements = [s for s in statements if s is not None]
        if len(statements) != 1:
            raise QueryError("give exactly one SQL statement")
        tree = statements[0]
        if isinstance(tree, exp.Command):
            raise QueryError(f"SQL syntax error at line 1, column 1: unknown statement {tree.name!r}")
        if not isinstance(tree, (exp.Query, exp.Describe)):
            raise QueryError("only SELECT queries run here (the lake is read-only to SQL)")
        ctes = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
        in_scope: dict[str, str] = {}  # alias or table name -> lake table
        for table in tree.find_all(exp.Table):
            if not table.db and table.name in ctes:
                continue
            zone = self._zone(table.db or DEFAULT_DATABASE)
            lake_table = f"{zone}.{table.name}"
            if lake_table not in lake_tables():
                raise QueryError(f"table {table.db or DEFAULT_DATABASE}.{table.name} does not exist in the lake")
            if lake_table not in self.visible:
                raise PermissionDenied(f"{self.persona} may not read table {lake_table}")
            table.set("db", exp.to_identifier(zone))
            table.set("catalog", None)
            in_scope[table.alias_or_name] = lake_table
        self._check_columns(tree, in_scope)
        return tree.sql(dialect="duckdb")

    def _check_columns(self, tree: exp.Expression, in_scope: dict[str, str]) -> None:
        if self.persona is None:
            return
        for column in tree.find_all(exp.Column):
            tables = [in_scope[column.table]] if column.table in in_scope else list(in_scope.values())
            for table in tables:
                if column.name in lake_tables()[table] and column.name not in self.visible[table]:
                    raise PermissionDenied(
                        f"{self.persona} may not read column {table}.{column.name} (restricted: personal data)"
                    )

    def query(self, sql: str) -> Result:
        duck_sql = self._prepare(sql)
        try:
            cursor = self.con.execute(duck_sql)
        except duckdb.Error as err:
            raise QueryError(f"{str(err).strip()}\n(query as run by DuckDB: {duck_sql})") from None
        columns = [d[0] for d in cursor.description or []]
        return Result(columns, cursor.fetchall())


def format_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def render(result: Result, fmt: str) -> str:
    if fmt == "json":
        import json

        return json.dumps(
            [
                dict(zip(result.columns, (format_value(v) if isinstance(v, Decimal) else v for v in row), strict=True))
                for row in result.rows
            ],
            default=str,
            indent=1,
        )
    if fmt == "csv":
        import csv
        import io

        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(result.columns)
        writer.writerows([[format_value(v) for v in row] for row in result.rows])
        return buffer.getvalue().rstrip("\n")
    cells = [[format_value(v) for v in row] for row in result.rows]
    widths = [max([len(c), *(len(r[i]) for r in cells)]) for i, c in enumerate(result.columns)]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(result.columns, widths, strict=True)),
        "  ".join("-" * w for w in widths),
    ]
    lines += [
        "  ".join(v.rjust(w) if _numeric(v) else v.ljust(w) for v, w in zip(r, widths, strict=True)) for r in cells
    ]
    lines.append(f"({len(cells)} row{'s' if len(cells) != 1 else ''})")
    return "\n".join(lines)


def _numeric(text: str) -> bool:
    return text.replace(".", "", 1).replace("-", "", 1).isdigit()
