"""Messy and bad feeds through the real pipeline (landing -> raw -> transform), exact bytes written here.

One run takes every acceptable messy file at once (exit 0); a second run takes the files that must be
refused (exit non-zero, a clear message, no traceback). For each file: the manifest's per-file counts
(rows_read = rows_valid + rows_quarantined) and the exact values that arrive in raw, quarantine and
transform.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
from pathlib import Path
from typing import Any

import pytest
from pyspark.sql import functions as F
from pyspark.testing import assertDataFrameEqual

from energy_lake.cli.main import main
from energy_lake.cli.run import run_pipeline
from energy_lake.etl.model.contracts import load_contract
from energy_lake.etl.model.schemas import quarantine_schema, raw_schema, transform_schema
from energy_lake.etl.transforms.tokens import python_token
from tests import lake_tables
from tests.session_conf import restored_conf

pytestmark = pytest.mark.spark

DAY = "2024-06-01"
TX_HEADER = b"tipo,contraparte,cantidad,precio,energia"

# ------------------------------------------------------------------ the accepted files, byte for byte

TRANSACTIONS: dict[str, bytes] = {
    # UTF-8 byte-order mark, CRLF, no final newline, lower-case Spanish headers, values in any case
    "bom_crlf.csv": "\ufefftipo_transaccion,nombre_entidad,cantidad_comprada,precio,tipo_energia\r\n"
    "venta,Laura Martínez,100,300,eólica\r\nCompra,Energía Verde S.A.,500,1200.5,EOLICA".encode(),
    # headers in any case, with spaces and accents; optional columns in English
    "headers_any_case.csv": "  TIPO DE TRANSACCIÓN , Nombre del Cliente/Proveedor,CANTIDAD Comprada ,Precio ,"
    " Tipo de Energía  ,Transaction ID,Fecha\n"
    "VENTA,Carlos Gómez,150,450,NUCLEAR,T-100,2024-06-01T10:00:00Z\n"
    "compra,HidroPlus,600,1500,Hidroeléctrica,T-101,2024-06-01 11:30\n".encode(),
    # columns no contract knows: carried in _extra by normalised header name
    "extra_columns.csv": TX_HEADER
    + ",Notas,Región\n".encode()
    + "venta,Laura Martínez,1,2,wind,urgente,Andina\ncompra,HidroPlus,3,4,hydro,,\n".encode(),
    # two unknown columns with the same normalised name stay apart
    "extra_same_name.csv": TX_HEADER + b",Notes,notes\nventa,Laura Mart\xc3\xadnez,1,1,wind,n1,n2\n",
    # wrong field counts, bad numbers, unknown codes, blank lines, a quoted field with delimiter and newline
    "bad_rows.csv": TX_HEADER + b"\n"
    b"venta,A,10,1\n"
    b"venta,B,10,1,wind,extra\n"
    b"venta,C,diez,1,wind\n"
    b"venta,D,-5,1,wind\n"
    b"venta,E,0,1,wind\n"
    b"venta,F,5,-1,wind\n"
    b"venta,G,5,1,solar\n"
    b"swap,H,5,1,wind\n"
    b"venta,I,5.1234,1,wind\n"
    b"\n"
    b'venta,"Quoted, Name\nSecond Line",7,1,hydro\n'
    b"\n\n"
    b"venta,J,5,1,wind\n",
    # two identical trades (no ids): two trades
    "dup_trades.csv": TX_HEADER + "\nventa,Laura Martínez,10,300,eolica\nventa,Laura Martínez,10,300,eolica\n".encode(),
    # header only: accepted, no rows
    "header_only.csv": TX_HEADER + b"\r\n",
    # Spanish spreadsheet export: semicolons, decimal comma, thousands points, Windows-1252, CRLF
    "spanish_export.csv": (
        "Tipo de Transacción;Nombre del Cliente/Proveedor;Cantidad;Precio;Tipo de Energía\r\n"
        "VENTA;José Ñúñez;1.234,5;12,75;Eólica\r\n"
        "compra;Hidroeléctrica del Sur;2.000;1.050,1250;hidroeléctrica\r\n"
    ).encode("cp1252"),
    # old Mac line ends (lone CR)
    "cr_only.csv": TX_HEADER + "\rventa,Laura Martínez,1,1,wind\r".encode(),
}
# a byte-identical copy of a file ingested before (sorted after it): every row is a duplicate_file
TRANSACTIONS["dup_trades_copy.csv"] = TRANSACTIONS["dup_trades.csv"]

CUSTOMERS = {
    "clientes.csv": "Tipo de Identificación,Número de Identificación,Nombre del Cliente,Ciudad\n"
    "CC,1012345678,Laura Martínez,BOGOTÁ\n"
    "CC,1012345678,Laura Martínez,BOGOTÁ\n"
    "NIT,800.123.456-1,Industria Solar S.A.,Medellín\n"
    "nit,800123456-1,Industria Solar S.A.,medellin\n".encode(),
}
PROVIDERS = {
    "proveedores.csv": "Nombre del Proveedor,Tipo de Energía,País,Capacidad MW\n"
    'Energía Verde S.A.,eólica,Colombia,"1,250.5"\n'
    "ENERGIA VERDE S.A.,Eolica,Colombia,1250.5\n"
    "HidroPlus,hidroeléctrica,Perú,300\n".encode(),
}


def tx(name: str) -> str:
    return f"transactions/ingest_date={DAY}/{name}"


def write_landing(root: Path, entity: str, files: dict[str, bytes], day: str = DAY) -> None:
    folder = root / entity / f"ingest_date={day}"
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (folder / name).write_bytes(data)


def read(spark, lake: Path, table: str, schema):
    return lake_tables.read(spark, lake, table).select(schema.fieldNames())


@pytest.fixture(scope="module")
def messy(spark, tmp_path_factory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("messy")
    landing, lake, summary = root / "landing", root / "lake", root / "summary.json"
    write_landing(landing, "transactions", TRANSACTIONS)
    write_landing(landing, "customers", CUSTOMERS)
    write_landing(landing, "providers", PROVIDERS)
    out = io.StringIO()
    with restored_conf(spark), contextlib.redirect_stdout(out):
        rc = run_pipeline(
            lake_dir=str(lake), landing_dir=str(landing), through="transform", reprocess=[], summary_json=str(summary)
        )
    return {"rc": rc, "manifest": json.loads(summary.read_text()), "lake": lake, "stdout": out.getvalue()}


def per_file(manifest: dict[str, Any], entity: str) -> dict[str, dict[str, Any]]:
    return manifest["entities"][entity]["per_file"]


def test_the_run_succeeds_and_every_file_is_accounted_for(messy):
    manifest = messy["manifest"]
    assert (messy["rc"], manifest["status"]) == (0, "succeeded"), messy["stdout"]
    assert "Traceback" not in messy["stdout"]
    for entity, stats in manifest["entities"].items():
        assert stats["rejected_files"] == [], entity
        for name, counts in stats["per_file"].items():
            assert counts["rows_read"] == counts["rows_valid"] + counts["rows_quarantined"], name
        assert stats["rows_read"] == stats["rows_valid"] + stats["rows_quarantined"], entity
    assert manifest["entities"]["transactions"]["files"] == len(TRANSACTIONS)


EXPECTED_TX_FILES = {
    "bom_crlf.csv": (2, 2, 0, {}),
    "headers_any_case.csv": (2, 2, 0, {}),
    "extra_columns.csv": (2, 2, 0, {}),
    "extra_same_name.csv": (1, 1, 0, {}),
    "bad_rows.csv": (
        11,
        2,
        9,
        {
            "wrong_field_count": 2,
            "quantity_not_a_number": 1,
            "quantity_not_positive": 2,
            "price_negative": 1,
            "energy_type_not_allowed": 1,
            "transaction_type_not_allowed": 1,
            "quantity_too_many_decimals": 1,
        },
    ),
    "dup_trades.csv": (2, 2, 0, {}),
    "dup_trades_copy.csv": (2, 0, 2, {"duplicate_file": 2}),
    "spanish_export.csv": (2, 2, 0, {}),
    "cr_only.csv": (1, 1, 0, {}),
}


@pytest.mark.parametrize("name", sorted(EXPECTED_TX_FILES))
def test_transaction_file_counts(messy, name):
    read_, valid, quarantined, reasons = EXPECTED_TX_FILES[name]
    assert per_file(messy["manifest"], "transactions")[tx(name)] == {
        "rows_read": read_,
        "rows_valid": valid,
        "rows_quarantined": quarantined,
        "reasons": reasons,
    }


def test_header_only_file_is_accepted_with_no_rows(spark, messy):
    counts = per_file(messy["manifest"], "transactions").get(
        tx("header_only.csv"), {"rows_read": 0, "rows_valid": 0, "rows_quarantined": 0, "reasons": {}}
    )
    assert counts == {"rows_read": 0, "rows_valid": 0, "rows_quarantined": 0, "reasons": {}}
    # accepted: the ingest log records it among the raw partition's landing files
    landed = lake_tables.state(spark, messy["lake"]).ingested_files("transactions")
    assert tx("header_only.csv") in landed
    assert landed[tx("dup_trades_copy.csv")]["duplicate_of"] == tx("dup_trades.csv")
    assert set(landed) == {tx(n) for n in TRANSACTIONS}


def test_valid_transactions_arrive_exactly_in_raw(spark, messy):
    cols = [
        "_source_file",
        "_source_line",
        "transaction_id",
        "transaction_type",
        "counterparty_name",
        "quantity",
        "price",
        "energy_type",
        "traded_at",
        "_extra",
    ]
    actual = read(spark, messy["lake"], "raw.transactions", raw_schema(load_contract("transactions"))).select(cols)
    lm = "Laura Martínez"
    rows = [
        (tx("bom_crlf.csv"), 2, None, "venta", lm, "100", "300", "eólica", None, {}),
        (tx("bom_crlf.csv"), 3, None, "Compra", "Energía Verde S.A.", "500", "1200.5", "EOLICA", None, {}),
        (
            tx("headers_any_case.csv"),
            2,
            "T-100",
            "VENTA",
            "Carlos Gómez",
            "150",
            "450",
            "NUCLEAR",
            "2024-06-01T10:00:00Z",
            {},
        ),
        (
            tx("headers_any_case.csv"),
            3,
            "T-101",
            "compra",
            "HidroPlus",
            "600",
            "1500",
            "Hidroeléctrica",
            "2024-06-01 11:30",
            {},
        ),
        (
            tx("extra_columns.csv"),
            2,
            None,
            "venta",
            lm,
            "1",
            "2",
            "wind",
            None,
            {"notas": "urgente", "region": "Andina"},
        ),
        (
            tx("extra_columns.csv"),
            3,
            None,
            "compra",
            "HidroPlus",
            "3",
            "4",
            "hydro",
            None,
            {"notas": None, "region": None},
        ),
        (tx("extra_same_name.csv"), 2, None, "venta", lm, "1", "1", "wind", None, {"notes": "n1", "notes_2": "n2"}),
        (tx("bad_rows.csv"), 11, None, "venta", "Quoted, Name\nSecond Line", "7", "1", "hydro", None, {}),
        (tx("bad_rows.csv"), 12, None, "venta", "J", "5", "1", "wind", None, {}),
        (tx("dup_trades.csv"), 2, None, "venta", lm, "10", "300", "eolica", None, {}),
        (tx("dup_trades.csv"), 3, None, "venta", lm, "10", "300", "eolica", None, {}),
        # decimal comma and thousands points become canonical decimal text; Windows-1252 decoded
        (tx("spanish_export.csv"), 2, None, "VENTA", "José Ñúñez", "1234.5", "12.75", "Eólica", None, {}),
        (
            tx("spanish_export.csv"),
            3,
            None,
            "compra",
            "Hidroeléctrica del Sur",
            "2000",
            "1050.1250",
            "hidroeléctrica",
            None,
            {},
        ),
        (tx("cr_only.csv"), 2, None, "venta", lm, "1", "1", "wind", None, {}),
    ]
    schema = (
        "_source_file string, _source_line int, transaction_id string, transaction_type string, "
        "counterparty_name string, quantity string, price string, energy_type string, traded_at string, "
        "_extra map<string,string>"
    )
    assertDataFrameEqual(actual, spark.createDataFrame(rows, schema))


def test_bad_transactions_arrive_exactly_in_quarantine(spark, messy):
    q = read(spark, messy["lake"], "raw.quarantine", quarantine_schema())
    actual = q.where(F.col("entity") == "transactions").select(
        "_source_file", "_source_line", "rule", "reason", "source_record"
    )
    fields = "the record does not have the header's 5 fields (or has an unclosed quote)"
    dup = f"the file is identical to {tx('dup_trades.csv')}, ingested before"
    rows = [
        (tx("bad_rows.csv"), 2, "wrong_field_count", f"{fields}; energy_type is empty", "venta,A,10,1"),
        (tx("bad_rows.csv"), 3, "wrong_field_count", fields, "venta,B,10,1,wind,extra"),
        (tx("bad_rows.csv"), 4, "quantity_not_a_number", "quantity 'diez' is not a number", "venta,C,diez,1,wind"),
        (tx("bad_rows.csv"), 5, "quantity_not_positive", "quantity '-5' must be greater than 0", "venta,D,-5,1,wind"),
        (tx("bad_rows.csv"), 6, "quantity_not_positive", "quantity '0' must be greater than 0", "venta,E,0,1,wind"),
        (tx("bad_rows.csv"), 7, "price_negative", "price '-1' must be at least 0", "venta,F,5,-1,wind"),
        (
            tx("bad_rows.csv"),
            8,
            "energy_type_not_allowed",
            "energy_type 'solar' is not one of wind, hydro, nuclear",
            "venta,G,5,1,solar",
        ),
        (
            tx("bad_rows.csv"),
            9,
            "transaction_type_not_allowed",
            "transaction_type 'swap' is not one of buy, sell",
            "swap,H,5,1,wind",
        ),
        (
            tx("bad_rows.csv"),
            10,
            "quantity_too_many_decimals",
            "quantity '5.1234' has more than 3 decimal places",
            "venta,I,5.1234,1,wind",
        ),
        (tx("dup_trades_copy.csv"), 2, "duplicate_file", dup, "venta,Laura Martínez,10,300,eolica"),
        (tx("dup_trades_copy.csv"), 3, "duplicate_file", dup, "venta,Laura Martínez,10,300,eolica"),
    ]
    schema = "_source_file string, _source_line int, rule string, reason string, source_record string"
    assertDataFrameEqual(actual, spark.createDataFrame(rows, schema))
    assert q.where(F.col("entity") != "transactions").count() == 0


def _derived(file: str, line: int) -> str:
    return "d-" + hashlib.sha256(f"{file}:{line}".encode()).hexdigest()[:24]


def test_typed_trades_in_transform(spark, messy, pii_key):
    out = read(spark, messy["lake"], "transform.transactions", transform_schema(load_contract("transactions")))
    actual = out.select(
        "transaction_id",
        "transaction_type",
        "counterparty_name",
        F.col("quantity").cast("string"),
        F.col("price").cast("string"),
        "energy_type",
        F.date_format("traded_at", "yyyy-MM-dd HH:mm:ss").alias("traded_at"),
        "counterparty_status",
        "counterparty_city",
    )
    laura, verde = python_token(pii_key, "laura_martinez"), python_token(pii_key, "energia_verde_s_a")

    def derived(name: str, line: int) -> str:
        return _derived(tx(name), line)

    sell_laura = ("sell", laura, "resolved", "Bogota")
    rows = [
        (derived("bom_crlf.csv", 2), "sell", laura, "100.000", "300.0000", "wind", None, "resolved", "Bogota"),
        (derived("bom_crlf.csv", 3), "buy", verde, "500.000", "1200.5000", "wind", None, "resolved", None),
        (
            "T-100",
            "sell",
            python_token(pii_key, "carlos_gomez"),
            "150.000",
            "450.0000",
            "nuclear",
            "2024-06-01 10:00:00",
            "unresolved",
            None,
        ),
        (
            "T-101",
            "buy",
            python_token(pii_key, "hidroplus"),
            "600.000",
            "1500.0000",
            "hydro",
            "2024-06-01 11:30:00",
            "resolved",
            None,
        ),
        (derived("extra_columns.csv", 2), "sell", laura, "1.000", "2.0000", "wind", None, "resolved", "Bogota"),
        (
            derived("extra_columns.csv", 3),
            "buy",
            python_token(pii_key, "hidroplus"),
            "3.000",
            "4.0000",
            "hydro",
            None,
            "resolved",
            None,
        ),
        (derived("extra_same_name.csv", 2), "sell", laura, "1.000", "1.0000", "wind", None, "resolved", "Bogota"),
        (
            derived("bad_rows.csv", 11),
            "sell",
            python_token(pii_key, "quoted_name_second_line"),
            "7.000",
            "1.0000",
            "hydro",
            None,
            "unresolved",
            None,
        ),
        (
            derived("bad_rows.csv", 12),
            "sell",
            python_token(pii_key, "j"),
            "5.000",
            "1.0000",
            "wind",
            None,
            "unresolved",
            None,
        ),
        # two identical trades stay two trades
        (derived("dup_trades.csv", 2), sell_laura[0], laura, "10.000", "300.0000", "wind", None, *sell_laura[2:]),
        (derived("dup_trades.csv", 3), sell_laura[0], laura, "10.000", "300.0000", "wind", None, *sell_laura[2:]),
        (
            derived("spanish_export.csv", 2),
            "sell",
            python_token(pii_key, "jose_nunez"),
            "1234.500",
            "12.7500",
            "wind",
            None,
            "unresolved",
            None,
        ),
        (
            derived("spanish_export.csv", 3),
            "buy",
            python_token(pii_key, "hidroelectrica_del_sur"),
            "2000.000",
            "1050.1250",
            "hydro",
            None,
            "unresolved",
            None,
        ),
        (derived("cr_only.csv", 2), "sell", laura, "1.000", "1.0000", "wind", None, "resolved", "Bogota"),
    ]
    schema = (
        "transaction_id string, transaction_type string, counterparty_name string, quantity string, "
        "price string, energy_type string, traded_at string, counterparty_status string, "
        "counterparty_city string"
    )
    assertDataFrameEqual(actual, spark.createDataFrame(rows, schema))


def test_duplicate_customer_and_provider_rows_collapse_to_one_per_key(spark, messy, pii_key):
    assert per_file(messy["manifest"], "customers") == {
        f"customers/ingest_date={DAY}/clientes.csv": {
            "rows_read": 4,
            "rows_valid": 4,
            "rows_quarantined": 0,
            "reasons": {},
        }
    }
    assert per_file(messy["manifest"], "providers") == {
        f"providers/ingest_date={DAY}/proveedores.csv": {
            "rows_read": 3,
            "rows_valid": 3,
            "rows_quarantined": 0,
            "reasons": {},
        }
    }
    customers = read(spark, messy["lake"], "transform.customers", transform_schema(load_contract("customers")))
    assertDataFrameEqual(
        customers.select("customer_key", "id_type", "id_number", "customer_name", "city", "_source_line"),
        spark.createDataFrame(
            [
                (
                    python_token(pii_key, "CC:1012345678"),
                    "CC",
                    python_token(pii_key, "1012345678"),
                    python_token(pii_key, "laura_martinez"),
                    "Bogota",
                    3,
                ),
                (
                    python_token(pii_key, "NIT:8001234561"),
                    "NIT",
                    python_token(pii_key, "8001234561"),
                    python_token(pii_key, "industria_solar_s_a"),
                    "Medellin",
                    5,
                ),
            ],
            "customer_key string, id_type string, id_number string, customer_name string, city string, "
            "_source_line int",
        ),
    )
    providers = read(spark, messy["lake"], "transform.providers", transform_schema(load_contract("providers")))
    assertDataFrameEqual(
        providers.select(
            "provider_key",
            "provider_name",
            "energy_type",
            "country",
            F.col("capacity_mw").cast("string"),
            "_source_line",
        ),
        spark.createDataFrame(
            [
                ("energia_verde_s_a", "ENERGIA VERDE S.A.", "wind", "Colombia", "1250.500", 3),
                ("hidroplus", "HidroPlus", "hydro", "Perú", "300.000", 4),
            ],
            "provider_key string, provider_name string, energy_type string, country string, capacity_mw string, "
            "_source_line int",
        ),
    )


# ------------------------------------------------------------------ files that must be refused


def test_refused_files_exit_non_zero_with_clear_messages(spark, tmp_path, capsys):
    landing, lake, summary = tmp_path / "landing", tmp_path / "lake", tmp_path / "summary.json"
    write_landing(
        landing,
        "transactions",
        {
            "missing_price.csv": b"tipo,contraparte,cantidad,energia\nventa,A,1,wind\n",
            "empty.csv": b"",
            # UTF-16 is read (tests/integration/test_hostile_feeds.py); UTF-32, which no spreadsheet writes, is not
            "utf32.csv": "\ufefftipo,contraparte,cantidad,precio,energia\n".encode("utf-32-le"),
            "ok.csv": TX_HEADER + b"\nventa,A,1,2,wind\n",
        },
    )
    write_landing(
        landing,
        "customers",
        {
            "clientes.csv": b"tipo_transaccion,nombre_cliente_proveedor,cantidad_comprada,precio,tipo_energia\n"
            b"venta,Juan,100,5000,eolica\n",
        },
    )
    with restored_conf(spark):
        rc = main(
            ["run", "--lake", str(lake), "--landing", str(landing), "--through", "raw", "--summary-json", str(summary)]
        )
    captured = capsys.readouterr()
    assert rc == 1
    assert "Traceback" not in captured.out + captured.err
    expected = {
        "transactions": [
            {"file": tx("empty.csv"), "rule": "empty_file", "reason": "the file is empty (no header, no records)"},
            {
                "file": tx("missing_price.csv"),
                "rule": "missing_columns",
                "reason": "not a transactions file: missing required column(s) price "
                "(header: tipo, contraparte, cantidad, energia)",
            },
            {
                "file": tx("utf32.csv"),
                "rule": "bad_encoding",
                "reason": "UTF-32 files are not accepted; save the file as UTF-8 or UTF-16",
            },
        ],
        "customers": [
            {
                "file": f"customers/ingest_date={DAY}/clientes.csv",
                "rule": "missing_columns",
                "reason": "not a customers file: missing required column(s) id_type, id_number, customer_name, city; "
                "the header looks like a transactions file (header: tipo_transaccion, "
                "nombre_cliente_proveedor, cantidad_comprada, precio, tipo_energia)",
            },
        ],
        "providers": [],
    }
    manifest = json.loads(summary.read_text())
    assert manifest["status"] == "needs_attention"
    for entity, rejected in expected.items():
        assert sorted(manifest["entities"][entity]["rejected_files"], key=lambda r: r["file"]) == rejected
        for r in rejected:
            assert f"REJECTED {r['file']}: {r['reason']}" in captured.out
    # the readable file of the same date is still processed
    assert per_file(manifest, "transactions") == {
        tx("ok.csv"): {"rows_read": 1, "rows_valid": 1, "rows_quarantined": 0, "reasons": {}}
    }
    assert manifest["entities"]["customers"]["rows_read"] == 0
