"""Local Athena on Iceberg tables: current reads, FOR VERSION/TIMESTAMP AS OF, ``query --as-of``, grants.

A small lake written by Spark through the hadoop catalog (the jobs' layout): a mart and raw.transactions
committed twice, interleaved, plus one-commit tables, a state table and a table created but never written.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from energy_lake.cli.local_athena import LocalAthena, PermissionDenied, QueryError
from energy_lake.cli.main import main
from energy_lake.etl.access.governance import grants
from energy_lake.etl.jobs.session import lake_session
from energy_lake.etl.lake.iceberg import TABLE_PROPERTIES
from energy_lake.etl.lake.tables import specs

pytestmark = pytest.mark.spark

DES = "analytics.daily_energy_summary"
D5, D6 = date(2026, 1, 5), date(2026, 1, 6)
DES_V1 = [("wind", "buy", 1, Decimal("10.000"), Decimal("1000.0000000"), Decimal("100.0000"), D5)]
DES_V2 = [
    ("wind", "buy", 2, Decimal("12.500"), Decimal("1275.0000000"), Decimal("102.0000"), D5),
    ("hydro", "sell", 1, Decimal("1.000"), Decimal("150.0000000"), Decimal("150.0000"), D6),
]
DES_COLUMNS = [
    "energy_type",
    "transaction_type",
    "trade_count",
    "total_quantity",
    "total_amount",
    "avg_price",
    "ingest_date",
]
BUILT_AT = datetime(2026, 1, 5, 9, 30)


@dataclass(frozen=True)
class Lake:
    path: Path
    des: list[tuple[int, datetime]]  # (snapshot id, committed at UTC), oldest first
    raw: list[tuple[int, datetime]]
    transform: list[tuple[int, datetime]]
    files: dict[str, dict[date | None, int]]  # table -> partition date (None: unpartitioned) -> current data bytes


def _row(table: str, **values: Any) -> tuple[Any, ...]:
    names = [f.name for f in specs()[table].schema.fields]
    assert set(values) <= set(names), set(values) - set(names)
    return tuple(values.get(n) for n in names)


def _trade(tid: str, name: str, day: date = D5) -> tuple[Any, ...]:
    return _row(
        "raw.transactions",
        transaction_id=tid,
        transaction_type="buy",
        counterparty_name=name,
        quantity="10",
        price="100",
        energy_type="wind",
        _extra={},
        _source_file=f"transactions/ingest_date={day}/t.csv",
        _source_line=2,
        _ingested_at=datetime(2026, 1, 5, 8, 0),
        _run_id="run-1",
        ingest_date=day,
    )


def _file_bytes(session: Any, table: str) -> dict[date | None, int]:
    """Bytes of the current data files per ingest date, from Spark's metadata table (not DuckDB's)."""
    partitioned = "ingest_date" in specs()[table].partition_by
    day = "partition.ingest_date" if partitioned else "CAST(NULL AS DATE)"
    rows = session.sql(
        f"SELECT {day} AS day, SUM(file_size_in_bytes) AS size FROM lake.{table}.files WHERE content = 0 GROUP BY 1"
    ).collect()
    return {r.day: int(r.size) for r in rows}


def _snapshots(session: Any, table: str) -> list[tuple[int, datetime]]:
    rows = session.sql(
        f"SELECT snapshot_id, unix_millis(committed_at) AS ms FROM lake.{table}.snapshots ORDER BY committed_at"
    ).collect()
    return [(int(r.snapshot_id), datetime.fromtimestamp(r.ms / 1000, UTC)) for r in rows]


@pytest.fixture(scope="module")
def lake(spark: Any, tmp_path_factory: pytest.TempPathFactory) -> Lake:
    root = tmp_path_factory.mktemp("time_travel") / "lake"
    session = lake_session(spark, root)

    def write(table: str, rows: list[tuple[Any, ...]], *, create: bool) -> None:
        spec = specs()[table]
        writer = session.createDataFrame(rows, spec.schema).writeTo(f"lake.{table}")
        if not create:
            writer.overwritePartitions()
            return
        writer = writer.using("iceberg").tableProperty("format-version", TABLE_PROPERTIES["format-version"])
        if spec.partition_by:
            from pyspark.sql import functions as F

            writer = writer.partitionedBy(*(F.col(c) for c in spec.partition_by))
        writer.create()

    write(DES, DES_V1, create=True)
    write("raw.transactions", [_trade("T1", "Eolo Norte")], create=True)
    tokenised = _row(
        "transform.transactions",
        transaction_id="T1",
        transaction_type="buy",
        counterparty_name="tok-name",
        quantity=Decimal("10.000"),
        price=Decimal("100.0000"),
        energy_type="wind",
        amount=Decimal("1000.0000000"),
        counterparty_key="tok-key",
        counterparty_status="resolved",
        _extra={},
        _run_id="run-1",
        ingest_date=D5,
    )
    write("transform.transactions", [tokenised], create=True)
    built = _row(
        "analytics.build_log",
        table_name=DES,
        partition_id="ingest_date=2026-01-05",
        run_id="run-1",
        rows=1,
        built_from={"transform.transactions/ingest_date=2026-01-05": "run-1"},
        committed_at=BUILT_AT,
    )
    write("analytics.build_log", [built], create=True)
    columns = ", ".join(f"`{f.name}` {f.dataType.simpleString()}" for f in specs()["analytics.daily_position"].schema)
    session.sql(f"CREATE TABLE lake.analytics.daily_position ({columns}) USING iceberg")  # never written
    write(DES, DES_V2, create=False)  # replaces 2026-01-05, adds 2026-01-06
    write("raw.transactions", [_trade("T2", "Hidro Sur", D6)], create=False)
    out = Lake(
        root,
        des=_snapshots(session, DES),
        raw=_snapshots(session, "raw.transactions"),
        transform=_snapshots(session, "transform.transactions"),
        files={t: _file_bytes(session, t) for t in (DES, "analytics.build_log")},
    )
    assert len(out.des) == len(out.raw) == 2 and len(out.transform) == 1
    assert out.des[0][1] < out.raw[0][1] < out.des[1][1] < out.raw[1][1]  # the commits interleave
    return out


def _ts(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M:%S.%f}"[:-3]


def _between(lake: Lake) -> datetime:
    """A moment after both first commits and before both second ones."""
    return lake.raw[0][1] + (lake.des[1][1] - lake.raw[0][1]) / 2


def engineer(lake: Lake) -> LocalAthena:
    return LocalAthena(str(lake.path), "data_engineer")


def test_a_query_reads_each_table_at_its_current_snapshot(lake: Lake) -> None:
    result = engineer(lake).query(f"SELECT * FROM {DES} ORDER BY ingest_date")
    assert result.columns == DES_COLUMNS
    assert result.rows == DES_V2
    trades = engineer(lake).query("SELECT transaction_id, counterparty_name, ingest_date FROM raw.transactions")
    assert sorted(trades.rows) == [("T1", "Eolo Norte", D5), ("T2", "Hidro Sur", D6)]


def test_version_as_of_reads_the_first_snapshot(lake: Lake) -> None:
    first = lake.des[0][0]
    engine = engineer(lake)
    assert engine.query(f"SELECT * FROM daily_energy_summary FOR VERSION AS OF {first}").rows == DES_V1
    # Glue database name, an alias after the clause, the current version beside it in one query.
    joined = engine.query(
        "SELECT n.ingest_date, n.trade_count AS now, o.trade_count AS before, o.total_amount "
        "FROM energy_dev_analytics.daily_energy_summary n "
        f"JOIN analytics.daily_energy_summary FOR VERSION AS OF {first} AS o "
        "ON n.ingest_date = o.ingest_date AND n.energy_type = o.energy_type"
    )
    assert joined.columns == ["ingest_date", "now", "before", "total_amount"]
    assert joined.rows == [(D5, 2, 1, Decimal("1000.0000000"))]
    assert engine.query(f"SELECT COUNT(*) FROM {DES} FOR VERSION AS OF {lake.des[1][0]}").rows == [(2,)]


def test_timestamp_as_of_between_two_commits_reads_the_first(lake: Lake) -> None:
    engine = engineer(lake)
    mid = _between(lake)
    for literal in (
        f"TIMESTAMP '{_ts(mid)} UTC'",
        f"TIMESTAMP '{_ts(mid)}'",  # no zone: UTC
        f"TIMESTAMP '{_ts(mid + timedelta(hours=1))} +01:00'",  # the same moment
    ):
        sql = f"SELECT * FROM {DES} FOR TIMESTAMP AS OF {literal} ORDER BY ingest_date"
        assert engine.query(sql).rows == DES_V1, literal
    # At or before: the moment of a commit reads that commit.
    assert engine.query(f"SELECT * FROM {DES} FOR TIMESTAMP AS OF TIMESTAMP '{_ts(lake.des[0][1])} UTC'").rows == (
        DES_V1
    )
    after = f"SELECT * FROM {DES} FOR TIMESTAMP AS OF TIMESTAMP '{_ts(lake.des[1][1])} UTC' ORDER BY ingest_date"
    assert engine.query(after).rows == DES_V2


def test_as_of_applies_to_every_table_of_the_query(lake: Lake, capsys: pytest.CaptureFixture[str]) -> None:
    sql = (
        "SELECT d.ingest_date, d.trade_count, d.total_quantity, "
        "(SELECT COUNT(*) FROM raw.transactions) AS trades FROM daily_energy_summary d ORDER BY d.ingest_date"
    )
    args = ["query", sql, "--lake", str(lake.path), "--as", "data_engineer", "--format", "csv"]
    assert main([*args, "--as-of", _ts(_between(lake))]) == 0
    assert capsys.readouterr().out == "ingest_date,trade_count,total_quantity,trades\n2026-01-05,1,10.000,1\n"
    assert main(args) == 0  # without --as-of: the current snapshots
    assert capsys.readouterr().out == (
        "ingest_date,trade_count,total_quantity,trades\n2026-01-05,2,12.500,2\n2026-01-06,1,1.000,2\n"
    )
    # A snapshot id names one table's snapshot; ISO 8601 with a Z works too; a clause in the SQL wins.
    one = ["query", f"SELECT trade_count FROM {DES}", "--lake", str(lake.path), "--format", "csv"]
    assert main([*one, "--as-of", str(lake.des[0][0])]) == 0
    assert capsys.readouterr().out == "trade_count\n1\n"
    engine = engineer(lake)
    iso = f"{lake.des[0][1]:%Y-%m-%dT%H:%M:%S.%f}Z"
    assert engine.query(f"SELECT trade_count FROM {DES}", as_of=iso).rows == [(1,)]
    own = f"SELECT COUNT(*) FROM {DES} FOR VERSION AS OF {lake.des[1][0]}"
    assert engine.query(own, as_of=str(lake.des[0][0])).rows == [(2,)]


def test_grants_hold_for_time_travel(lake: Lake) -> None:
    analyst = LocalAthena(str(lake.path), "analyst")
    snapshot = lake.transform[0][0]
    with pytest.raises(
        PermissionDenied, match=r"analyst may not read column transform\.transactions\.counterparty_name"
    ):
        analyst.query(f"SELECT counterparty_name FROM transform.transactions FOR VERSION AS OF {snapshot}")
    with pytest.raises(PermissionDenied, match=r"column transform\.transactions\.counterparty_name"):
        analyst.query("SELECT t.counterparty_name FROM transform.transactions t", as_of=_ts(_between(lake)))
    with pytest.raises(PermissionDenied, match=r"analyst may not read table raw\.transactions"):
        analyst.query(f"SELECT transaction_id FROM raw.transactions FOR VERSION AS OF {lake.raw[0][0]}")
    travelled = analyst.query(f"SELECT * FROM transform.transactions FOR VERSION AS OF {snapshot}")
    assert "counterparty_name" not in travelled.columns and "counterparty_key" in travelled.columns
    assert travelled.columns == list(grants("analyst")["transform.transactions"])
    row = dict(zip(travelled.columns, travelled.rows[0], strict=True))
    assert (row["transaction_id"], row["amount"], row["counterparty_key"]) == ("T1", Decimal("1000.0000000"), "tok-key")


def test_a_time_before_the_first_snapshot_is_a_clear_error(lake: Lake, capsys: pytest.CaptureFixture[str]) -> None:
    engine = engineer(lake)
    early = lake.des[0][1].replace(microsecond=0) - timedelta(seconds=1)
    expected = (
        f"{DES} has no snapshot at or before {early:%Y-%m-%d %H:%M:%S} UTC "
        f"(its oldest snapshot was committed at {lake.des[0][1]:%Y-%m-%d %H:%M:%S}"
    )
    with pytest.raises(QueryError, match=re.escape(expected)):
        engine.query(f"SELECT * FROM {DES} FOR TIMESTAMP AS OF TIMESTAMP '{early:%Y-%m-%d %H:%M:%S} UTC'")
    # --as-of: raw.transactions was first committed after the mart, so a moment between the two names it.
    between = lake.des[0][1] + (lake.raw[0][1] - lake.des[0][1]) / 2
    sql = f"SELECT COUNT(*) FROM {DES} JOIN raw.transactions t ON t.ingest_date = {DES}.ingest_date"
    path = str(lake.path)
    assert main(["query", sql, "--lake", path, "--as", "data_engineer", "--as-of", _ts(between)]) == 2
    err = capsys.readouterr().err
    assert f"error: raw.transactions has no snapshot at or before {between:%Y-%m-%d %H:%M:%S}" in err
    # An expression, as Athena allows: a day ago, the lake did not exist yet.
    with pytest.raises(QueryError, match=rf"{DES} has no snapshot at or before "):
        engine.query(f"SELECT * FROM {DES} FOR TIMESTAMP AS OF (current_timestamp - interval '1' day)")
    with pytest.raises(QueryError, match=rf"{DES} has no snapshot 42 \(its snapshots are {lake.des[0][0]}, "):
        engine.query(f"SELECT * FROM {DES} FOR VERSION AS OF 42")
    with pytest.raises(QueryError, match=r"--as-of \"''\" is neither a snapshot id nor a timestamp"):
        engine.query(f"SELECT * FROM {DES}", as_of="''")
    with pytest.raises(QueryError, match=r"--as-of 'yesterday-ish' is neither a snapshot id nor a timestamp"):
        engine.query(f"SELECT * FROM {DES}", as_of="yesterday-ish")
    with pytest.raises(QueryError, match=r"FOR VERSION AS OF takes a snapshot id \(a bigint\), not 'x'"):
        engine.query(f"SELECT * FROM {DES} FOR VERSION AS OF 'x'")


def test_tables_without_snapshots_and_state_tables(lake: Lake) -> None:
    analyst = LocalAthena(str(lake.path), "analyst")
    # Created, never written: an empty table of the contract's columns; it has nothing to travel to.
    empty = analyst.query("SELECT * FROM analytics.daily_position")
    assert empty.rows == [] and empty.columns[:3] == ["energy_type", "bought_quantity", "sold_quantity"]
    with pytest.raises(QueryError, match=r"analytics\.daily_position has no snapshot at or before .* no snapshots yet"):
        analyst.query("SELECT * FROM analytics.daily_position", as_of=_ts(_between(lake)))
    # Absent altogether: an empty typed view, as before the first run.
    assert analyst.query(
        "SELECT COUNT(*), MAX(partition_id) FROM analytics.quality_results CROSS JOIN build_log"
    ).rows == [(0, None)]
    # The state tables are lake tables: general columns, readable by the analyst, typed as their definition.
    log = analyst.query("SELECT * FROM analytics.build_log")
    assert log.columns == ["table_name", "partition_id", "run_id", "rows", "built_from", "committed_at"]
    assert log.rows == [
        (
            DES,
            "ingest_date=2026-01-05",
            "run-1",
            1,
            {"transform.transactions/ingest_date=2026-01-05": "run-1"},
            BUILT_AT,
        )
    ]
    engineer_view = engineer(lake).query("SELECT entity, source_file, rows_read FROM raw.ingest_log")
    assert engineer_view.columns == ["entity", "source_file", "rows_read"] and engineer_view.rows == []


def test_query_without_a_lake_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["query", "SELECT 1", "--lake", str(tmp_path / "none")]) == 2
    assert "no lake at" in capsys.readouterr().err


def test_report_names_the_newest_analytics_snapshot(lake: Lake, tmp_path: Path) -> None:
    from energy_lake.cli.report import write_report

    text = write_report(str(lake.path), str(tmp_path / "r.html")).read_text(encoding="utf-8")
    newest, committed = lake.des[1]  # the mart's second commit is the zone's last
    assert f"newest analytics snapshot {newest} ({DES}, committed {committed:%Y-%m-%d %H:%M:%S} UTC)" in text
    assert '<td>2026-01-06</td><td>hydro</td><td>sell</td><td class="n">1</td><td class="n">1.000</td>' in text


@pytest.fixture
def bench() -> Iterator[Any]:
    path = Path(__file__).resolve().parents[2] / "bench" / "run_bench.py"
    spec = importlib.util.spec_from_file_location("run_bench", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["run_bench"] = module  # dataclasses resolve their annotations through sys.modules
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop("run_bench", None)


def test_bench_counts_the_current_data_files_of_each_table(lake: Lake, bench: Any, tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    for day, size in (("2026-01-05", 300), ("2026-01-06", 100)):
        folder = landing / "transactions" / f"ingest_date={day}"
        folder.mkdir(parents=True)
        (folder / "t.csv").write_bytes(b"x" * size)
    queries = {"daily": [DES], "log": ["analytics.build_log"], "none": ["analytics.daily_position"]}
    doc = bench.dashboard_bytes(lake.path, landing, queries)
    assert (doc["last_date"], doc["landing_bytes"], doc["landing_bytes_last_date"]) == ("2026-01-06", 400, 100)
    des, log = lake.files[DES], lake.files["analytics.build_log"]
    assert set(des) == {D5, D6}  # the first commit's file of the 5th was replaced: not counted
    daily = doc["queries"]["daily"]
    assert (daily["bytes_all_dates"], daily["bytes_last_date"]) == (des[D5] + des[D6], des[D6])
    assert daily["landing_bytes_covered_last_date"] == 100
    whole = doc["queries"]["log"]
    assert (whole["bytes_all_dates"], whole["bytes_last_date"]) == (log[None], log[None])
    assert whole["landing_bytes_covered_last_date"] == 400  # an unpartitioned table covers the whole history
    assert doc["queries"]["none"]["bytes_all_dates"] == 0  # created, never written
