"""Files desks really send, through the real pipeline (issue 14): ingest, run, query.

One run over one landing day: Excel's "Unicode Text" export (UTF-16LE with a byte-order mark, tabs) and a
UTF-16BE file are read with their accents; a UTF-8 file with two stray Windows-1252 bytes loads every
record but the two holding them, which are quarantined naming the column; a Windows-1252 file whose first
256 KiB are ASCII is read as Windows-1252 whole; a file mixing UTF-8 and Windows-1252, and one whose UTF-8
is encoded twice, are refused saying so; headers as Spanish and English speakers write them are
recognised; workbooks, archives, a PDF and a gzip stream not named ``.gz`` are refused saying what they
are and what to land instead; a header with a near miss for a required column is refused naming it.
The rows are read back with LocalAthena (the lake's Athena stand-in), exactly.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

from energy_lake.cli.local_athena import LocalAthena
from energy_lake.cli.main import main
from energy_lake.cli.run import run_pipeline
from energy_lake.etl.transforms.tokens import python_token
from tests.session_conf import restored_conf

pytestmark = pytest.mark.spark

DAY = "2026-03-02"

# Excel, "Save as: Unicode Text (*.txt)": UTF-16LE, byte-order mark, tabs, CRLF; a field with a tab or a
# quote is quoted, its quotes doubled.
UNICODE_TEXT = (
    "Tipo de documento\tNúmero de documento\tNombre\tCiudad\r\n"
    "CC\t1012345678\tMaría José Pérez Ñúñez\tMedellín\r\n"
    'NIT\t800.123.456-1\t"Compañía ""Eólica"" del Caribe\tS.A."\tBogotá\r\n'
    "CE\tE-445566\tJürgen Müller\tSan Andrés\r\n"
)
# A header as a Spanish speaker writes it, ; and decimal comma (a Spanish export), UTF-8.
NATURAL = "tipo_id;numero_id;nombre;ciudad\nCC;52.987.654;Lucía Fernández;Cali\nPA;AB123456;Ana Souza;Cúcuta\n"
# UTF-16BE with its mark, commas.
PROVIDERS_BE = "Proveedor,Fuente,País,Potencia (MW)\nEnergía Eólica del Norte S.A.,eólica,Colombia,120.5\n"
TRADES = (
    "Operación;Contraparte;Volumen (MWh);Precio unitario;Fuente\nVenta;María José Pérez Ñúñez;12,5;310,25;Hidráulica\n"
)
# UTF-8 without a mark, accents everywhere, and two Windows-1252 bytes pasted in: an é (E9) in a name, an
# ó (F3) in an energy type. Only their records are quarantined; the others keep their accents.
STRAY = (
    "Operación;Contraparte;Volumen (MWh);Precio unitario;Fuente\n".encode()
    + "Venta;María Pérez;10,5;300,25;eólica\n".encode()
    + "Compra;Núcleo Caribe;20;280,5;nuclear\n".encode()
    + b"Venta;Jos\xe9 Mu"
    + "ñoz;5,25;310;hidráulica\n".encode()
    + "Venta;Medellín Energía;7;305;hidráulica\n".encode()
    + "Compra;Eólica del Sur;30;250;e".encode()
    + b"\xf3lica\n"
    + "Venta;Ana Gómez;1,5;320;eólica\n".encode()
)
# Windows-1252, its first 256 KiB plain ASCII: the accents come later, and the whole file decides.
LATE_ACCENTS = (
    "Proveedor;Fuente;Pais;Potencia (MW)\r\n"
    + "".join(f"Wind Farm {i:05d};wind;Colombia;10,5\r\n" for i in range(7500))
    + "Energía Eólica del Caribe;eólica;Colombia;99,5\r\n"
).encode("cp1252")
# Mostly Windows-1252, with one name pasted in as UTF-8: neither reading is right for the whole file.
MIXED = (
    "Proveedor;Fuente;País\r\nEnergía Solar;solar;España\r\nHidroeléctrica Andina;hidráulica;Perú\r\n".encode("cp1252")
    + "Núcleo Caribe;nuclear;Colombia\r\n".encode()
)
# UTF-8 read as Windows-1252 and saved as UTF-8 again: MarÃ­a for María.
TWICE = "tipo_id;numero_id;nombre;ciudad\nCC;52987654;María Pérez;Medellín\n".encode().decode("cp1252").encode()
# A Spanish export (; and decimal comma): its dates are day first, as sent. One that no day-first
# reading makes a date is quarantined saying what was expected.
DATED_ES = (
    "Operación;Contraparte;Volumen (MWh);Precio unitario;Fuente;Fecha\n"
    "Venta;Ana Gómez;2,5;300;eólica;15/01/2026 10:30\n"
    "Compra;Núcleo Caribe;10;250,75;nuclear;5/1/2026\n"
    "Venta;Ana Gómez;1;301;eólica;31/02/2026 09:00\n"
)
# A comma-separated file with the same kind of date: day or month first? Never guessed.
DATED_EN = "type,counterparty,quantity,price,energy,trade_date\nsell,Ana Gómez,3,302.5,wind,05/01/2026\n"
# ™ is 22 21 in UTF-16LE: a byte 0x22 that is no quote.
PROVIDERS_TM = 'Proveedor\tFuente\r\nAcme™ Wind\twind\r\n"Hidro ""Sur"""\thydro\r\n'


def xlsx() -> bytes:
    """The smallest workbook Excel's format has: an OOXML package with its content types and workbook."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as book:
        book.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.spreadsheetml.sheet.main+xml"/></Types>',
        )
        book.writestr(
            "xl/workbook.xml",
            '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/'
            'spreadsheetml/2006/main"><sheets><sheet name="Hoja1" sheetId="1"/></sheets></workbook>',
        )
    return out.getvalue()


def archive() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zipped:
        zipped.writestr("transacciones.csv", "tipo,contraparte,cantidad,precio,energia\nventa,A,1,2,wind\n")
    return out.getvalue()


LANDING: dict[str, bytes] = {
    f"customers/ingest_date={DAY}/clientes_unicode.txt": b"\xff\xfe" + UNICODE_TEXT.encode("utf-16-le"),
    f"customers/ingest_date={DAY}/clientes_natural.csv": NATURAL.encode(),
    f"customers/ingest_date={DAY}/clientes_typo.csv": "tipo_id;Número de Identificacón;nombre;ciudad\n"
    "CC;1012345678;Ana;Cali\n".encode(),
    f"providers/ingest_date={DAY}/proveedores_be.csv": b"\xfe\xff" + PROVIDERS_BE.encode("utf-16-be"),
    f"providers/ingest_date={DAY}/proveedores_tm.txt": b"\xff\xfe" + PROVIDERS_TM.encode("utf-16-le"),
    f"transactions/ingest_date={DAY}/operaciones.csv": TRADES.encode(),
    f"transactions/ingest_date={DAY}/operaciones_stray.csv": STRAY,
    f"transactions/ingest_date={DAY}/operaciones_fechas.csv": DATED_ES.encode(),
    f"transactions/ingest_date={DAY}/trades_dates.csv": DATED_EN.encode(),
    f"providers/ingest_date={DAY}/proveedores_late.csv": LATE_ACCENTS,
    f"providers/ingest_date={DAY}/proveedores_mixto.csv": MIXED,
    f"customers/ingest_date={DAY}/clientes_dos_veces.csv": TWICE,
    f"transactions/ingest_date={DAY}/libro.xlsx": xlsx(),
    f"transactions/ingest_date={DAY}/export.zip": archive(),
    f"transactions/ingest_date={DAY}/informe.pdf": b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\n",
    f"transactions/ingest_date={DAY}/viejo.xls": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504),
    f"transactions/ingest_date={DAY}/trades.csv": gzip.compress(b"tipo,contraparte,cantidad,precio,energia\n"),
}


def rel(entity: str, name: str) -> str:
    return f"{entity}/ingest_date={DAY}/{name}"


SAVE = "save the sheet as CSV (UTF-8) and land the CSV in its place"
REJECTED = {
    "customers": [
        {
            "file": rel("customers", "clientes_dos_veces.csv"),
            "rule": "bad_encoding",
            "reason": "the text is UTF-8 encoded twice ('Ã\\xad' stands for 'í': UTF-8 read as Windows-1252 and saved "
            "as UTF-8 again); export it again as UTF-8 from the original",
        },
        {
            "file": rel("customers", "clientes_typo.csv"),
            "rule": "missing_columns",
            "reason": "not a customers file: missing required column(s) id_number; 'Número de Identificacón' may "
            "be id_number: add it to the contract's aliases (header: tipo_id, Número de Identificacón, nombre, "
            "ciudad)",
        },
    ],
    "providers": [
        {
            "file": rel("providers", "proveedores_mixto.csv"),
            "rule": "bad_encoding",
            "reason": "the file mixes encodings (UTF-8 characters: 1, bytes that are not UTF-8: 6, Windows-1252?); "
            "save the whole file as UTF-8",
        }
    ],
    "transactions": [
        {
            "file": rel("transactions", "export.zip"),
            "rule": "not_csv",
            "reason": "the file is a zip archive: extract the CSV file(s) and land them in its place",
        },
        {
            "file": rel("transactions", "informe.pdf"),
            "rule": "not_csv",
            "reason": "the file is a PDF document: export the data as CSV (UTF-8) and land the CSV in its place",
        },
        {
            "file": rel("transactions", "libro.xlsx"),
            "rule": "not_csv",
            "reason": f"the file is an Excel workbook: {SAVE}",
        },
        {
            "file": rel("transactions", "trades.csv"),
            "rule": "not_csv",
            "reason": "the file is gzip-compressed but not named .gz: rename it trades.csv.gz",
        },
        {
            "file": rel("transactions", "viejo.xls"),
            "rule": "not_csv",
            "reason": f"the file is an Excel 97-2003 workbook (.xls) or another old Office document: {SAVE}",
        },
    ],
}


@pytest.fixture(scope="module")
def hostile(spark: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("hostile")
    landing, lake, summary = root / "landing", root / "lake", root / "summary.json"
    for path, data in LANDING.items():
        (landing / path).parent.mkdir(parents=True, exist_ok=True)
        (landing / path).write_bytes(data)
    out = io.StringIO()
    with restored_conf(spark), contextlib.redirect_stdout(out):
        rc = run_pipeline(
            lake_dir=str(lake), landing_dir=str(landing), through="transform", reprocess=[], summary_json=str(summary)
        )
    return {
        "rc": rc,
        "manifest": json.loads(summary.read_text()),
        "engine": LocalAthena(str(lake), "data_engineer"),
        "stdout": out.getvalue(),
    }


def query(hostile: dict[str, Any], sql: str) -> list[tuple[Any, ...]]:
    return sorted(hostile["engine"].query(sql).rows, key=repr)


def test_what_cannot_be_read_is_refused_saying_what_it_is(hostile: dict[str, Any]) -> None:
    manifest = hostile["manifest"]
    assert (hostile["rc"], manifest["status"]) == (1, "needs_attention"), hostile["stdout"]
    assert "Traceback" not in hostile["stdout"]
    for entity, rejected in REJECTED.items():
        assert sorted(manifest["entities"][entity]["rejected_files"], key=lambda r: r["file"]) == rejected
        for r in rejected:
            assert f"REJECTED {r['file']}: {r['reason']}" in hostile["stdout"]


def test_every_readable_file_is_read_whole(hostile: dict[str, Any]) -> None:
    counts = {
        name: (c["rows_read"], c["rows_valid"], c["rows_quarantined"])
        for stats in hostile["manifest"]["entities"].values()
        for name, c in stats["per_file"].items()
        if not name.endswith("proveedores_tm.txt")
    }
    assert counts == {
        rel("customers", "clientes_unicode.txt"): (3, 3, 0),
        rel("customers", "clientes_natural.csv"): (2, 2, 0),
        rel("providers", "proveedores_be.csv"): (1, 1, 0),
        rel("transactions", "operaciones.csv"): (1, 1, 0),
        rel("transactions", "operaciones_stray.csv"): (6, 4, 2),
        rel("transactions", "operaciones_fechas.csv"): (3, 2, 1),
        rel("transactions", "trades_dates.csv"): (1, 0, 1),
        rel("providers", "proveedores_late.csv"): (7501, 7501, 0),
    }


def test_utf16_and_natural_headers_arrive_in_raw_as_sent(hostile: dict[str, Any]) -> None:
    customers = query(
        hostile, "SELECT _source_file, _source_line, id_type, id_number, customer_name, city FROM raw.customers"
    )
    unicode_text, natural = rel("customers", "clientes_unicode.txt"), rel("customers", "clientes_natural.csv")
    assert customers == sorted(
        [
            (unicode_text, 2, "CC", "1012345678", "María José Pérez Ñúñez", "Medellín"),
            (unicode_text, 3, "NIT", "800.123.456-1", 'Compañía "Eólica" del Caribe\tS.A.', "Bogotá"),
            (unicode_text, 4, "CE", "E-445566", "Jürgen Müller", "San Andrés"),
            (natural, 2, "CC", "52.987.654", "Lucía Fernández", "Cali"),
            (natural, 3, "PA", "AB123456", "Ana Souza", "Cúcuta"),
        ],
        key=repr,
    )
    providers = query(
        hostile,
        "SELECT _source_file, _source_line, provider_name, energy_type, country, capacity_mw FROM raw.providers "
        "WHERE _source_file NOT LIKE '%proveedores_tm.txt' AND _source_file NOT LIKE '%proveedores_late.csv'",
    )
    assert providers == [
        (rel("providers", "proveedores_be.csv"), 2, "Energía Eólica del Norte S.A.", "eólica", "Colombia", "120.5")
    ]
    trades = query(
        hostile,
        "SELECT _source_file, _source_line, transaction_type, counterparty_name, quantity, price, energy_type "
        "FROM raw.transactions WHERE _source_file NOT LIKE '%fechas.csv'",
    )
    stray = rel("transactions", "operaciones_stray.csv")
    assert trades == sorted(
        [
            (
                rel("transactions", "operaciones.csv"),
                2,
                "Venta",
                "María José Pérez Ñúñez",
                "12.5",
                "310.25",
                "Hidráulica",
            ),
            (stray, 2, "Venta", "María Pérez", "10.5", "300.25", "eólica"),
            (stray, 3, "Compra", "Núcleo Caribe", "20", "280.5", "nuclear"),
            (stray, 5, "Venta", "Medellín Energía", "7", "305", "hidráulica"),
            (stray, 7, "Venta", "Ana Gómez", "1.5", "320", "eólica"),
        ],
        key=repr,
    )
    quarantined = query(
        hostile,
        "SELECT _source_file, _source_line, rule, reason, source_record FROM raw.quarantine "
        "WHERE _source_file LIKE '%stray.csv'",
    )
    # The reason names the column and withholds a personal value; the record keeps what Spark read.
    assert quarantined == [
        (
            stray,
            4,
            "counterparty_name_bad_encoding",
            "counterparty_name (value withheld: personal data) has characters that are not valid in the file's "
            "encoding",
            "Venta;Jos\ufffd Muñoz;5,25;310;hidráulica",
        ),
        (
            stray,
            6,
            "energy_type_bad_encoding",
            "energy_type 'e\ufffdlica' has characters that are not valid in the file's encoding; energy_type "
            "'e\ufffdlica' is not one of wind, hydro, nuclear",
            "Compra;Eólica del Sur;30;250;e\ufffdlica",
        ),
    ]
    late = rel("providers", "proveedores_late.csv")
    assert query(
        hostile,
        f"SELECT count(*), count_if(provider_name = 'Energía Eólica del Caribe' AND energy_type = 'eólica' "
        f"AND capacity_mw = '99.5') FROM raw.providers WHERE _source_file = '{late}'",
    ) == [(7501, 1)]


def test_the_transform_resolves_a_trade_to_a_utf16_customer(hostile: dict[str, Any], pii_key: bytes) -> None:
    def t(text: str) -> str:
        return python_token(pii_key, text)

    customers = query(hostile, "SELECT customer_key, id_type, id_number, customer_name, city FROM transform.customers")
    assert customers == sorted(
        [
            (t("CC:1012345678"), "CC", t("1012345678"), t("maria_jose_perez_nunez"), "Medellin"),
            (t("NIT:8001234561"), "NIT", t("8001234561"), t("compania_eolica_del_caribe_s_a"), "Bogota"),
            (t("CE:E445566"), "CE", t("E445566"), t("jurgen_muller"), "San Andres"),
            (t("CC:52987654"), "CC", t("52987654"), t("lucia_fernandez"), "Cali"),
            (t("PA:AB123456"), "PA", t("AB123456"), t("ana_souza"), "Cucuta"),
        ],
        key=repr,
    )
    trades = query(
        hostile,
        "SELECT transaction_type, counterparty_name, CAST(quantity AS VARCHAR), CAST(price AS VARCHAR), energy_type, "
        "counterparty_key, counterparty_status, counterparty_city FROM transform.transactions "
        "WHERE _source_file LIKE '%/operaciones.csv'",
    )
    assert trades == [
        (
            "sell",
            t("maria_jose_perez_nunez"),
            "12.500",
            "310.2500",
            "hydro",
            t("CC:1012345678"),
            "resolved",
            "Medellin",
        )
    ]
    providers = query(
        hostile,
        "SELECT provider_key, provider_name, energy_type, country, CAST(capacity_mw AS VARCHAR) "
        "FROM transform.providers WHERE provider_key = 'energia_eolica_del_norte_s_a'",
    )
    assert providers == [
        ("energia_eolica_del_norte_s_a", "Energía Eólica del Norte S.A.", "wind", "Colombia", "120.500")
    ]


def test_dates_are_read_in_the_file_s_order_and_never_guessed(hostile: dict[str, Any]) -> None:
    es, en = rel("transactions", "operaciones_fechas.csv"), rel("transactions", "trades_dates.csv")
    # Raw keeps the dates as sent, with the order the transform reads them in.
    assert query(
        hostile, f"SELECT _source_line, traded_at, _day_first FROM raw.transactions WHERE _source_file = '{es}'"
    ) == [
        (2, "15/01/2026 10:30", True),
        (3, "5/1/2026", True),
    ]
    assert query(
        hostile,
        "SELECT _source_file, _source_line, rule, reason, source_record FROM raw.quarantine "
        f"WHERE _source_file IN ('{es}', '{en}')",
    ) == [
        (
            es,
            4,
            "traded_at_not_a_timestamp",
            "traded_at '31/02/2026 09:00' is not an ISO 8601 date or timestamp, nor a date dd/mm/yyyy[ hh:mm[:ss]]",
            "Venta;Ana Gómez;1;301;eólica;31/02/2026 09:00",
        ),
        (
            en,
            2,
            "traded_at_ambiguous_date",
            "traded_at '05/01/2026' is a date with slashes, and the file does not say whether the day or the month "
            "comes first (only a decimal-comma file is read day first): write it as ISO 8601, YYYY-MM-DD[ HH:MM[:SS]]",
            "sell,Ana Gómez,3,302.5,wind,05/01/2026",
        ),
    ]
    # The transform holds the instants (UTC: no zone given), the decimals typed from the decimal comma.
    assert query(
        hostile,
        "SELECT _source_line, CAST(traded_at AS VARCHAR), CAST(quantity AS VARCHAR), CAST(price AS VARCHAR) "
        f"FROM transform.transactions WHERE _source_file = '{es}'",
    ) == [(2, "2026-01-15 10:30:00", "2.500", "300.0000"), (3, "2026-01-05 00:00:00", "10.000", "250.7500")]


def test_a_utf16_character_holding_a_0x22_byte_is_no_quote(hostile: dict[str, Any]) -> None:
    name = rel("providers", "proveedores_tm.txt")
    assert hostile["manifest"]["entities"]["providers"]["per_file"][name]["rows_valid"] == 2
    assert query(hostile, f"SELECT provider_name FROM raw.providers WHERE _source_file = '{name}'") == [
        ("Acme™ Wind",),
        ('Hidro "Sur"',),
    ]


def test_ingest_names_the_entity_of_a_utf16_file_and_refuses_a_workbook(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sent, landing = tmp_path / "sent", tmp_path / "landing"
    sent.mkdir()
    (sent / "clientes.txt").write_bytes(LANDING[rel("customers", "clientes_unicode.txt")])
    (sent / "libro.xlsx").write_bytes(xlsx())
    (sent / "mixto.csv").write_bytes(MIXED)
    assert main(["ingest", str(sent / "clientes.txt"), "--landing", str(landing), "--date", DAY]) == 0
    assert main(["ingest", str(sent / "libro.xlsx"), "--landing", str(landing), "--date", DAY]) == 1
    assert main(["ingest", str(sent / "mixto.csv"), "--landing", str(landing), "--date", DAY]) == 1
    said = capsys.readouterr().out
    assert f"refused {sent / 'mixto.csv'}: the file mixes encodings (UTF-8 characters: 1," in said
    assert not (landing / rel("providers", "mixto.csv")).exists()
    assert f"landed {sent / 'clientes.txt'} as customers -> {landing / rel('customers', 'clientes.txt')}" in said
    assert f"refused {sent / 'libro.xlsx'}: the file is an Excel workbook: {SAVE}" in said
    landed = landing / rel("customers", "clientes.txt")
    assert hashlib.sha256(landed.read_bytes()).digest() == hashlib.sha256((sent / "clientes.txt").read_bytes()).digest()
