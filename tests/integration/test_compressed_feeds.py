"""Compressed feeds through the real pipeline (issue 14, item 2): a ``.gz`` landing file is read as the CSV
inside, its lineage naming the file as landed; a damaged one is refused with its reason, the day going on.

Two lakes are built from the same feeds, the committed samples (data/landing) plus one export bigger than
the sniffer's head: one lake from the CSV files, one from the same files gzipped (``<name>.gz``; the big
one as two gzip members cut mid-record, the re-sent file compressed with another gzip header). Every table
of the two lakes holds the same rows once the lineage is mapped (``x.csv.gz`` -> ``x.csv``, and the trade
ids derived from it). Spark decompresses by the file name (Hadoop's gzip codec) with the encoding and the
``multiLine`` option the reader passes, and the record numbers are those of the decompressed CSV.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import io
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from energy_lake.cli.local_athena import LocalAthena
from energy_lake.cli.main import main
from energy_lake.cli.run import run_pipeline
from tests import lake_tables
from tests.lake_content import RUN_SPECIFIC, TABLES
from tests.session_conf import restored_conf

pytestmark = pytest.mark.spark

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "data" / "landing"
BIG_DAY = "2026-01-07"
BIG_NAME = "export_grande.csv"
BIG_ROWS = 4000


def big_export() -> bytes:
    """A Spanish spreadsheet export (Windows-1252, ``;``, decimal comma, CRLF) of more than the sniffer's
    256 KiB head, quoted line breaks in some names, and a last record whose quote never closes."""
    lines = ["Tipo de Transacción;Nombre Entidad;Cantidad;Precio;Tipo de Energía"]
    for i in range(BIG_ROWS):
        name = f'"Energía {i}\r\nSede Medellín"' if i % 500 == 7 else f"Compañía Ñandú {i}"
        side = "Compra" if i % 2 else "Venta"
        energy = ("eólica", "hidroeléctrica", "nuclear")[i % 3]
        lines.append(f"{side};{name};{1 + i % 97}.{i % 1000:03d},5;{i % 300},25;{energy}")
    return ("\r\n".join(lines) + '\r\nVenta;"Cortado S.A.;1,5;2,5;nuclear\r\n').encode("cp1252")


def gz(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)


def gzip_as_the_tool_does(data: bytes, name: str) -> bytes:
    """Another header for the same content: the source's name and modification time, another level."""
    out = io.BytesIO()
    with gzip.GzipFile(filename=name, mode="wb", compresslevel=1, fileobj=out, mtime=1_767_657_600) as handle:
        handle.write(data)
    return out.getvalue()


def feeds() -> dict[str, bytes]:
    """rel path -> bytes of every landing file of the plain lake."""
    files = {str(p.relative_to(SAMPLES)): p.read_bytes() for p in sorted(SAMPLES.rglob("*.csv"))}
    files[f"transactions/ingest_date={BIG_DAY}/{BIG_NAME}"] = big_export()
    return files


def compressed(rel: str, data: bytes) -> bytes:
    if rel.endswith(BIG_NAME):
        cut = len(data) // 3  # mid-record: `cat part1.gz part2.gz` is one stream to gzip -d and to Spark
        return gz(data[:cut]) + gz(data[cut:])
    if rel.endswith("trades_desk_b_resent.csv"):
        return gzip_as_the_tool_does(data, rel.rsplit("/", 1)[1])
    return gz(data)


def write(root: Path, files: dict[str, bytes]) -> None:
    for rel, data in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)


def run(spark: Any, landing: Path, lake: Path, through: str = "analytics") -> tuple[int, dict[str, Any], str]:
    summary, out = lake.parent / f"{lake.name}.json", io.StringIO()
    with restored_conf(spark), contextlib.redirect_stdout(out):
        rc = run_pipeline(
            lake_dir=str(lake), landing_dir=str(landing), through=through, reprocess=[], summary_json=str(summary)
        )
    return rc, json.loads(summary.read_text()), out.getvalue()


@pytest.fixture(scope="module")
def lakes(spark: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("compressed")
    plain = feeds()
    packed = {f"{rel}.gz": compressed(rel, data) for rel, data in plain.items()}
    assert (
        packed["transactions/ingest_date=2026-01-06/trades_desk_b_resent.csv.gz"]
        != (packed["transactions/ingest_date=2026-01-05/trades_desk_b.csv.gz"])
    )
    write(root / "landing_csv", plain)
    write(root / "landing_gz", packed)
    out: dict[str, Any] = {}
    for kind in ("csv", "gz"):
        rc, manifest, stdout = run(spark, root / f"landing_{kind}", root / f"lake_{kind}")
        out[kind] = {"rc": rc, "manifest": manifest, "stdout": stdout, "lake": root / f"lake_{kind}"}
    return out


def test_both_lakes_are_built_and_the_gz_files_count_as_their_csv(lakes: dict[str, Any]) -> None:
    for kind in ("csv", "gz"):
        assert (lakes[kind]["rc"], lakes[kind]["manifest"]["status"]) == (0, "succeeded"), lakes[kind]["stdout"]
        assert "Traceback" not in lakes[kind]["stdout"]
    csv_entities, gz_entities = lakes["csv"]["manifest"]["entities"], lakes["gz"]["manifest"]["entities"]
    for entity, stats in csv_entities.items():
        assert gz_entities[entity]["rejected_files"] == stats["rejected_files"] == []
        assert {f.removesuffix(".gz"): c for f, c in gz_entities[entity]["per_file"].items()} == stats["per_file"]
        assert all(f.endswith(".csv.gz") for f in gz_entities[entity]["per_file"])
    big = f"transactions/ingest_date={BIG_DAY}/{BIG_NAME}.gz"
    assert gz_entities["transactions"]["per_file"][big] == {
        "rows_read": BIG_ROWS + 1,
        "rows_valid": BIG_ROWS,
        "rows_quarantined": 1,
        "reasons": {"wrong_field_count": 1},
    }


def derived_id(source_file: str, line: int) -> str:
    """transform.derived_transaction_id, in Python."""
    return "d-" + hashlib.sha256(f"{source_file}:{line}".encode()).hexdigest()[:24]


def table_rows(lake: Path, table: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    engine = LocalAthena(str(lake), "data_engineer")
    columns = [c for c in engine.query(f"SELECT * FROM {table} LIMIT 0").columns if c not in RUN_SPECIFIC]
    select = ", ".join(f'"{c}"' for c in columns)
    return columns, engine.query(f"SELECT {select} FROM {table}").rows


def test_every_table_holds_the_same_rows_from_the_gz_files(lakes: dict[str, Any]) -> None:
    """Raw, quarantine, transform and analytics: row for row the same, once ``x.csv.gz`` reads ``x.csv`` (in
    lineage and in reasons) and each trade id derived from the .gz file's name and record number is the one
    derived from the CSV's. So every record number is the same, and the re-sent file, compressed with another
    gzip header, is a duplicate again (its content, not its bytes, decides)."""
    columns, raw_gz = table_rows(lakes["gz"]["lake"], "raw.transactions")
    at = {c: i for i, c in enumerate(columns)}
    renamed = {
        derived_id(r[at["_source_file"]], r[at["_source_line"]]): derived_id(
            r[at["_source_file"]].removesuffix(".gz"), r[at["_source_line"]]
        )
        for r in raw_gz
    }

    def as_csv(value: Any) -> Any:
        if isinstance(value, str):
            return renamed.get(value, value.replace(".csv.gz", ".csv"))
        return value

    compared = 0
    for table in TABLES:
        csv_columns, csv_rows = table_rows(lakes["csv"]["lake"], table)
        gz_columns, gz_rows = table_rows(lakes["gz"]["lake"], table)
        assert gz_columns == csv_columns, table
        mapped = [tuple(as_csv(v) for v in row) for row in gz_rows]
        assert sorted(mapped, key=repr) == sorted(csv_rows, key=repr), table
        assert csv_rows, table
        compared += len(csv_rows)
    assert compared > 2 * BIG_ROWS
    assert any(as_csv(v) != v for row in raw_gz for v in row)  # the mapping did something


def test_lineage_names_the_file_as_landed_with_the_csvs_record_numbers(spark: Any, lakes: dict[str, Any]) -> None:
    engine = LocalAthena(str(lakes["gz"]["lake"]), "data_engineer")
    big = f"transactions/ingest_date={BIG_DAY}/{BIG_NAME}.gz"
    rows = engine.query(
        "SELECT _source_file, _source_line, transaction_type, counterparty_name, quantity, price, energy_type "
        f"FROM raw.transactions WHERE _source_file = '{big}' AND _source_line IN (2, 9, 4001)"
    ).rows
    assert sorted(rows) == [
        (big, 2, "Venta", "Compañía Ñandú 0", "1000.5", "0.25", "eólica"),
        # a quoted CRLF inside a name: one record (Spark's parser gives it as \n, as from the plain CSV);
        # Windows-1252 decoded, the decimal comma read
        (big, 9, "Compra", "Energía 7\nSede Medellín", "8007.5", "7.25", "hidroeléctrica"),
        (big, 4001, "Compra", "Compañía Ñandú 3999", "23999.5", "99.25", "eólica"),
    ]
    cut = engine.query(
        f"SELECT _source_file, _source_line, rule, source_record FROM raw.quarantine WHERE _source_file = '{big}'"
    ).rows
    assert cut == [(big, BIG_ROWS + 2, "wrong_field_count", 'Venta;"Cortado S.A.;1,5;2,5;nuclear')]
    logged = lake_tables.state(spark, lakes["gz"]["lake"]).ingested_files("transactions")
    resent = "transactions/ingest_date=2026-01-06/trades_desk_b_resent.csv.gz"
    assert logged[resent]["duplicate_of"] == "transactions/ingest_date=2026-01-05/trades_desk_b.csv.gz"
    assert logged[big]["fingerprint"] == hashlib.sha256(big_export()).hexdigest()


# ------------------------------------------------------------------ damaged files: refused, the day goes on

DAY = "2026-02-02"
TX = "tipo,contraparte,cantidad,precio,energia\nventa,Laura Martínez,100,300,eólica\ncompra,HidroPlus,5,12.5,hydro\n"
CUT = "the gzip stream is cut short: the file is incomplete (truncated in transfer?); land it again whole"


def tx(name: str) -> str:
    return f"transactions/ingest_date={DAY}/{name}"


def test_a_damaged_gz_file_is_refused_with_its_reason_and_the_days_other_files_load(
    spark: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sent, landing, lake = tmp_path / "sent", tmp_path / "landing", tmp_path / "lake"
    packed = gz(TX.encode())
    big = gz(big_export())
    write(sent, {"ok.csv.gz": packed, "cut.csv.gz": packed[:-5]})
    # `energy-lake ingest` takes a .gz file by the CSV inside, and refuses a cut one at the door ...
    assert main(["ingest", str(sent / "ok.csv.gz"), "--landing", str(landing), "--date", DAY]) == 0
    assert main(["ingest", str(sent / "cut.csv.gz"), "--landing", str(landing), "--date", DAY]) == 1
    said = capsys.readouterr().out
    assert f"landed {sent / 'ok.csv.gz'} as transactions -> {landing / tx('ok.csv.gz')}" in said
    assert f"refused {sent / 'cut.csv.gz'}: {CUT}" in said
    # ... and the files that reach landing another way are refused by the run
    write(
        landing,
        {
            tx("cut.csv.gz"): packed[:-5],
            # its first 256 KiB of CSV read well: the cut is found by the planner's scan, before Spark
            tx("cut_big.csv.gz"): big[: len(big) // 2],
            tx("padded.csv.gz"): packed + b"\0" * 8,
            tx("ok_copy.csv"): TX.encode(),  # the CSV of ok.csv.gz, uncompressed: a re-send
        },
    )
    rc, manifest, stdout = run(spark, landing, lake, through="raw")
    assert rc == 1 and manifest["status"] == "needs_attention"
    assert "Traceback" not in stdout
    padded = (
        f"the file goes on after the end of its gzip stream (byte {len(packed)}) with bytes that are not gzip "
        "data, which Spark cannot read: compress the CSV again"
    )
    rejected = [
        {"file": tx("cut.csv.gz"), "rule": "bad_compression", "reason": CUT},
        {"file": tx("cut_big.csv.gz"), "rule": "bad_compression", "reason": CUT},
        {"file": tx("padded.csv.gz"), "rule": "bad_compression", "reason": padded},
    ]
    assert manifest["entities"]["transactions"]["rejected_files"] == rejected
    for r in rejected:
        assert f"REJECTED {r['file']}: {r['reason']}" in stdout
    assert manifest["entities"]["transactions"]["per_file"] == {
        tx("ok.csv.gz"): {"rows_read": 2, "rows_valid": 2, "rows_quarantined": 0, "reasons": {}},
        tx("ok_copy.csv"): {"rows_read": 2, "rows_valid": 0, "rows_quarantined": 2, "reasons": {"duplicate_file": 2}},
    }
    engine = LocalAthena(str(lake), "data_engineer")
    assert sorted(
        engine.query(
            "SELECT _source_file, _source_line, transaction_type, counterparty_name, quantity, price, energy_type "
            "FROM raw.transactions"
        ).rows
    ) == [
        (tx("ok.csv.gz"), 2, "venta", "Laura Martínez", "100", "300", "eólica"),
        (tx("ok.csv.gz"), 3, "compra", "HidroPlus", "5", "12.5", "hydro"),
    ]
    again = f"the file is identical to {tx('ok.csv.gz')}, ingested before"
    assert sorted(engine.query("SELECT _source_file, _source_line, rule, reason FROM raw.quarantine").rows) == [
        (tx("ok_copy.csv"), 2, "duplicate_file", again),
        (tx("ok_copy.csv"), 3, "duplicate_file", again),
    ]
    shutil.rmtree(sent)
