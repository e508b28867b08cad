"""Athena SQL on the local lake: DuckDB over the Iceberg tables, under a persona's grants.

Tables are addressed as in the Glue catalog: ``<database>.<table>`` where the database is the zone
(``analytics``) or its Glue name (``energy_dev_analytics``: anything ending in ``_<zone>``);
unqualified names mean the ``analytics`` database, as Athena's query context does. The SQL is parsed
in the Athena (Trino) dialect and transpiled to DuckDB by sqlglot. With a persona, tables and columns
it may not read are refused before anything runs, naming what was refused, and ``SELECT *`` sees
only the permitted columns (views expose nothing else), as Lake Formation does.

Each table is a view over DuckDB's ``iceberg_scan`` of ``<lake>/<zone>/<table>`` (the hadoop catalog's
layout: ``metadata/`` and ``data/``), so a query reads each table at its current snapshot; a table
never written is an empty view of the contract's columns. Time travel is written as Athena (engine
v3) writes it, after the table name: ``FOR TIMESTAMP AS OF <timestamp>`` (UTC unless the value says
otherwise) and ``FOR VERSION AS OF <snapshot id>``; ``query(sql, as_of=...)`` (``energy-lake query
--as-of``) applies one of them to every table the SQL reads without its own clause. The snapshot is
resolved here from ``iceberg_snapshots`` (the newest committed at or before the time), then read with
``iceberg_scan(..., snapshot_from_id => <id>)`` behind the same column casts and grants as the view.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import sqlglot
from sqlglot import exp

from energy_lake.cli.display import Kind, column_kinds, footer_note, rounded
from energy_lake.etl.access.governance import grants, lake_tables, personas
from energy_lake.etl.lake.locations import LakeLocations
from energy_lake.etl.lake.tables import specs
from energy_lake.etl.model.errors import LakeError

ZONES = ("raw", "transform", "analytics")
DEFAULT_DATABASE = "analytics"
# Views of tables read at an earlier snapshot: "<zone>.<table>@<snapshot id>", made when a query needs them.
TIME_TRAVEL_SCHEMA = "_time_travel"
# DuckDB's Iceberg reader and the Avro reader it needs (manifests), from PyPI wheels: never downloaded.
EXTENSIONS = {"avro": "duckdb-ext-avro", "iceberg": "duckdb-ext-iceberg"}
EXTENSION_PIN = "1.4.4.20260205"


class QueryError(LakeError):
    """The SQL cannot run: a syntax error, an unknown name, or a permission the persona lacks."""


class PermissionDenied(QueryError):
    pass


@dataclass(frozen=True)
class Result:
    columns: list[str]
    rows: list[tuple[Any, ...]]
    types: list[str] = field(default_factory=list)  # DuckDB's type of each column: 'DECIMAL(38,7)', 'BIGINT'


@dataclass(frozen=True)
class TableSnapshot:
    """One Iceberg snapshot of a table, as ``iceberg_snapshots`` lists it."""

    snapshot_id: int
    committed_at: datetime  # UTC, aware
    sequence_number: int


def _extension_files(con: duckdb.DuckDBPyConnection) -> dict[str, Path]:
    """The extension files for this DuckDB build, from the ``duckdb_ext`` namespace package's wheels."""
    try:
        roots = [Path(p) for p in getattr(importlib.import_module("duckdb_ext"), "__path__", [])]
    except ImportError:
        roots = []
    platform = str(con.execute("PRAGMA platform").fetchall()[0][0])
    folder = Path("extensions") / f"v{duckdb.__version__}" / platform
    found = {name: [r / folder / f"{name}.duckdb_extension" for r in roots] for name in EXTENSIONS}
    files = {name: next((c for c in paths if c.is_file()), None) for name, paths in found.items()}
    missing = [EXTENSIONS[name] for name, path in files.items() if path is None]
    if missing:
        raise LakeError(
            f"DuckDB cannot read the Iceberg tables: install the Python package{'s' if len(missing) > 1 else ''} "
            + " and ".join(f"{m}=={EXTENSION_PIN}" for m in missing)
            + f" (DuckDB {duckdb.__version__}'s extensions for {platform}; they are in requirements.txt: `make setup`)"
        )
    return {name: path for name, path in files.items() if path is not None}


def iceberg_connection() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection with the Iceberg reader loaded from its file, in UTC.

    Nothing is installed, downloaded or written under ``~/.duckdb``: the extensions load from the wheels.
    """
    con = duckdb.connect(config={"autoinstall_known_extensions": "false", "autoload_known_extensions": "false"})
    files = _extension_files(con)
    for name in ("avro", "iceberg"):  # iceberg needs avro for the manifests
        try:
            con.execute(f"LOAD {_quote(str(files[name]))}")
        except duckdb.Error as err:
            con.close()
            raise LakeError(
                f"DuckDB could not load its {name} extension from {files[name]}: {str(err).strip()} "
                f"(install {EXTENSIONS[name]}=={EXTENSION_PIN}, built for duckdb=={duckdb.__version__})"
            ) from None
    con.execute("SET TimeZone = 'UTC'")
    return con


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def table_folder(lake_dir: str | Path, table: str) -> Path:
    """Where the hadoop catalog keeps ``<zone>.<table>``: ``<lake>/<zone>/<table>``."""
    zone, name = table.split(".", 1)
    return Path(LakeLocations.local(lake_dir).zone(zone)) / name


def is_table(folder: Path) -> bool:
    """True when an Iceberg table was created there (its catalog pointer exists)."""
    return (folder / "metadata" / "version-hint.text").is_file()


def lake_has_tables(lake_dir: str | Path) -> bool:
    return any(is_table(table_folder(lake_dir, t)) for t in lake_tables())


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


def _schema(table: str) -> dict[str, str]:
    """Column -> DuckDB type, from the contracts (the same schemas the jobs write)."""
    return {f.name: _duck_type(f.dataType) for f in specs()[table].schema.fields}


def _utc(moment: datetime) -> str:
    """'2026-12-06 10:00:00 UTC', with milliseconds (or microseconds) when there are any."""
    moment = moment.astimezone(UTC)
    text = f"{moment:%Y-%m-%d %H:%M:%S}"
    if moment.microsecond:
        text += f".{moment.microsecond:06d}"[: 4 if moment.microsecond % 1000 == 0 else 7]
    return f"{text} UTC"


_OFFSET = re.compile(
    r"(?P<time>.*\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)"  # ... HH:MM[:SS[.fff]]
    r"\s*(?P<sign>[+-])(?P<h>\d{1,2})(?::?(?P<m>\d{2}))?"  # then an offset: +01:00, +0100, +1
)


def _duck_timestamp_text(text: str) -> str:
    """Athena's '2026-12-06 11:00:00 +01:00' (space, or +0100) as DuckDB reads it: '...11:00:00+01:00'."""
    m = _OFFSET.fullmatch(text.strip())
    if m is None:
        return text
    return f"{m['time']}{m['sign']}{int(m['h']):02d}:{m['m'] or '00'}"


@dataclass(frozen=True)
class AsOf:
    """Where a time-travel read goes: a snapshot id (``FOR VERSION AS OF``) or a UTC moment (``FOR TIMESTAMP``)."""

    snapshot_id: int | None = None
    moment: datetime | None = None


class LocalAthena:
    def __init__(self, lake_dir: str, persona: str | None = None) -> None:
        if persona is not None and persona not in personas():
            raise QueryError(f"unknown persona {persona!r}; expected one of {', '.join(personas())}")
        self.persona = persona
        self.lake_dir = lake_dir
        self.visible = grants(persona) if persona else {t: tuple(c) for t, c in lake_tables().items()}
        self.con = iceberg_connection()
        for schema in (*ZONES, TIME_TRAVEL_SCHEMA):
            self.con.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
        for table, columns in self.visible.items():
            zone, name = table.split(".", 1)
            self._create_view(f'"{zone}"."{name}"', table, columns, self._scan(table))

    # -- sources

    def _scan(self, table: str, snapshot_id: int | None = None) -> str | None:
        folder = table_folder(self.lake_dir, table)
        if not is_table(folder):
            return None
        at = "" if snapshot_id is None else f", snapshot_from_id => {int(snapshot_id)}"
        return f"iceberg_scan({_quote(str(folder))}{at})"

    def _create_view(self, view: str, table: str, columns: tuple[str, ...], source: str | None) -> None:
        types = _schema(table)
        present = self._columns(table, source) if source is not None else set()
        # A column the table does not hold (added to the contract after this snapshot) reads as null.
        select = ", ".join(
            f'CAST("{c}" AS {types[c]}) AS "{c}"' if c in present else f'CAST(NULL AS {types[c]}) AS "{c}"'
            for c in columns
        )
        rows = f"FROM {source}" if source is not None else "WHERE false"
        # Names come from the contracts and paths from the lake folder, never from a query's text.
        self.con.execute(f"CREATE OR REPLACE VIEW {view} AS SELECT {select} {rows}")

    def _columns(self, table: str, source: str) -> set[str]:
        try:
            described = self.con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()  # noqa: S608  # nosec B608
        except duckdb.Error as err:
            raise QueryError(f"cannot read table {table}: {str(err).strip()}") from None
        return {str(row[0]) for row in described}

    def snapshots(self, table: str) -> list[TableSnapshot]:
        """The table's snapshots, oldest first (none when it was never written)."""
        folder = table_folder(self.lake_dir, table)
        if not is_table(folder):
            return []
        rows = self.con.execute(
            f"SELECT snapshot_id, timestamp_ms, sequence_number FROM iceberg_snapshots({_quote(str(folder))})"  # noqa: S608  # nosec B608
        ).fetchall()
        out = [TableSnapshot(int(i), ts.replace(tzinfo=UTC), int(seq)) for i, ts, seq in rows]
        return sorted(out, key=lambda s: (s.committed_at, s.sequence_number))

    # -- time travel

    def _moment(self, value: exp.Expression, what: str) -> datetime:
        """A constant timestamp expression, evaluated by DuckDB in UTC (a zone in the value is honoured)."""
        if not any(value.find(kind) for kind in (exp.Column, exp.Query, exp.Table, exp.Placeholder)):
            duck = value.transform(
                lambda n: exp.Literal.string(_duck_timestamp_text(n.this))
                if isinstance(n, exp.Literal) and n.is_string
                else n
            )
            try:
                row = self.con.execute(f"SELECT CAST(({duck.sql(dialect='duckdb')}) AS TIMESTAMPTZ)").fetchone()
            except duckdb.Error:
                row = None
            if row is not None and isinstance(row[0], datetime):
                return row[0].astimezone(UTC)
        raise QueryError(f"{what} (give e.g. TIMESTAMP '2026-12-06 10:00:00 UTC')")

    def as_of(self, text: str) -> AsOf:
        """``--as-of``: a snapshot id (digits) or a UTC timestamp ('2026-12-06 10:00:00', ISO 8601, '... UTC')."""
        text = text.strip()
        if re.fullmatch(r"\d+", text):
            return AsOf(snapshot_id=int(text))
        quoted = re.fullmatch(r"(?is)(?:timestamp\s+)?'(.*)'", text)
        literal = (quoted.group(1) if quoted else text).strip()
        what = f"--as-of {text!r} is neither a snapshot id nor a timestamp (YYYY-MM-DD HH:MM:SS, UTC)"
        if not literal:
            raise QueryError(what)
        return AsOf(moment=self._moment(exp.Literal.string(literal), what))

    def _clause(self, version: exp.Expression) -> AsOf:
        """A table's ``FOR TIMESTAMP AS OF`` / ``FOR VERSION AS OF`` clause (Athena engine v3)."""
        kind, value = str(version.name).upper(), version.expression
        if kind not in ("TIMESTAMP", "VERSION") or str(version.args.get("kind", "")).upper() != "AS OF":
            raise QueryError(
                "time travel is written FOR TIMESTAMP AS OF <timestamp> or FOR VERSION AS OF <snapshot id>"
            )
        if kind == "VERSION":
            if isinstance(value, exp.Literal) and not value.is_string and value.is_int:
                return AsOf(snapshot_id=int(value.this))
            raise QueryError(f"FOR VERSION AS OF takes a snapshot id (a bigint), not {value.sql(dialect='athena')}")
        return AsOf(moment=self._moment(value, f"FOR TIMESTAMP AS OF needs a timestamp, not {value.sql('athena')}"))

    def _snapshot_id(self, table: str, at: AsOf) -> int:
        snapshots = self.snapshots(table)
        if at.snapshot_id is not None:
            if not any(s.snapshot_id == at.snapshot_id for s in snapshots):
                known = f"its snapshots are {', '.join(str(s.snapshot_id) for s in snapshots)}" if snapshots else ""
                raise QueryError(f"{table} has no snapshot {at.snapshot_id} ({known or 'it has no snapshots yet'})")
            return at.snapshot_id
        moment = at.moment
        if moment is None:
            raise QueryError("time travel needs a timestamp or a snapshot id")
        before = [s for s in snapshots if s.committed_at <= moment]
        if not before:
            detail = (
                f"its oldest snapshot was committed at {_utc(snapshots[0].committed_at)}"
                if snapshots
                else "it has no snapshots yet"
            )
            raise QueryError(f"{table} has no snapshot at or before {_utc(moment)} ({detail})")
        return before[-1].snapshot_id

    def _time_travel_view(self, table: str, snapshot_id: int) -> str:
        name = f"{table}@{snapshot_id}"
        view = f'"{TIME_TRAVEL_SCHEMA}"."{name}"'
        self._create_view(view, table, self.visible[table], self._scan(table, snapshot_id))
        return name

    # -- parsing and permissions

    def _zone(self, database: str) -> str:
        for zone in ZONES:
            if database == zone or database.endswith(f"_{zone}"):
                return zone
        raise QueryError(f"unknown database {database!r}: use raw, transform or analytics (or their Glue names)")

    def _prepare(self, sql: str, as_of: AsOf | None = None) -> str:
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
        travels: list[tuple[exp.Table, str, AsOf]] = []
        for table in tree.find_all(exp.Table):
            version = table.args.get("version")
            if not table.db and table.name in ctes:
                if version is not None:
                    raise QueryError(f"time travel reads lake tables; {table.name} is a WITH query")
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
            clause = self._clause(version) if version is not None else as_of
            if clause is not None:
                travels.append((table, lake_table, clause))
        self._check_columns(tree, in_scope)
        # Only now, with every name and permission checked: each time-travel read becomes its view.
        for table, lake_table, clause in travels:
            view = self._time_travel_view(lake_table, self._snapshot_id(lake_table, clause))
            if not table.alias:
                table.set("alias", exp.TableAlias(this=exp.to_identifier(table.name)))
            table.set("version", None)
            table.set("db", exp.to_identifier(TIME_TRAVEL_SCHEMA))
            table.set("this", exp.to_identifier(view, quoted=True))
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

    def query(self, sql: str, as_of: str | None = None) -> Result:
        """Run one SELECT; ``as_of`` (a UTC timestamp or a snapshot id) reads every table as of then."""
        duck_sql = self._prepare(sql, self.as_of(as_of) if as_of is not None else None)
        try:
            cursor = self.con.execute(duck_sql)
        except duckdb.Error as err:
            raise QueryError(f"{str(err).strip()}\n(query as run by DuckDB: {duck_sql})") from None
        described = cursor.description or []
        return Result([d[0] for d in described], cursor.fetchall(), [str(d[1]) for d in described])


def format_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def render(result: Result, fmt: str, kinds: Mapping[str, Kind] | None = None) -> str:
    """The result as ``fmt``: json and csv hold every value exactly; the table rounds numbers for reading.

    In the table a column whose name has a kind (``kinds``, by default ``src/sql/columns.yaml``) is shown
    at that kind's scale (``display``); the footer says which kinds lost digits. Other columns as stored.
    """
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
    declared = column_kinds() if kinds is None else kinds
    column_kind = [declared.get(c) for c in result.columns]
    changed: set[str] = set()  # kinds whose rounding changed a value
    cells = []
    for row in result.rows:
        line = []
        for value, kind in zip(row, column_kind, strict=True):
            shown = rounded(value, kind)
            if shown is None:
                line.append(format_value(value))
                continue
            line.append(format(shown[0], "f"))
            if shown[1] and kind is not None:
                changed.add(kind.name)
        cells.append(line)
    note = {k.name: k for k in column_kind if k is not None and k.name in changed}  # in column order
    widths = [max([len(c), *(len(r[i]) for r in cells)]) for i, c in enumerate(result.columns)]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(result.columns, widths, strict=True)),
        "  ".join("-" * w for w in widths),
    ]
    lines += [
        "  ".join(v.rjust(w) if _numeric(v) else v.ljust(w) for v, w in zip(r, widths, strict=True)) for r in cells
    ]
    lines = [line.rstrip() for line in lines]
    lines.append(f"({len(cells)} row{'s' if len(cells) != 1 else ''}{footer_note(note)})")
    return "\n".join(lines)


def _numeric(text: str) -> bool:
    return text.replace(".", "", 1).replace("-", "", 1).isdigit()
