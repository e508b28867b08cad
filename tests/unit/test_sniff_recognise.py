"""sniff.py and recognise.py: dialect from the first bytes, header -> contract. Pure Python, no Spark."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import os
import zipfile

import pytest

from energy_lake.etl.landing.recognise import _spellings, _units, match_header
from energy_lake.etl.landing.sniff import Dialect, QuoteCount, sniff
from energy_lake.etl.model.contracts import all_contracts, load_contract, normalise_name
from energy_lake.etl.model.errors import FeedRejected

F = "transactions/ingest_date=2024-05-01/feed.csv"


def rejected(head: bytes, *, complete: bool = True) -> FeedRejected:
    with pytest.raises(FeedRejected) as info:
        sniff(head, complete=complete, file=F)
    return info.value


# ------------------------------------------------------------------ encodings


def test_plain_utf8():
    assert sniff(b"a,b\n1,2\n", complete=True, file=F) == Dialect("UTF-8", ",", False, ("a", "b"), (("1", "2"),))


def test_utf8_with_bom_and_crlf():
    head = "\ufeffnombre_proveedor,tipo_energia\r\nEnergía Verde S.A.,eólica\r\nHidroPlus,hidroelectrica".encode()
    assert sniff(head, complete=True, file=F) == Dialect(
        "UTF-8",
        ",",
        False,
        ("nombre_proveedor", "tipo_energia"),
        (("Energía Verde S.A.", "eólica"), ("HidroPlus", "hidroelectrica")),
        marked=True,
    )


def test_windows_1252_spanish_export():
    head = "Tipo de Energía;Precio\r\nEólica;12,5\r\nHidroeléctrica;1.050,25\r\n".encode("cp1252")
    assert sniff(head, complete=True, file=F) == Dialect(
        "windows-1252", ";", True, ("Tipo de Energía", "Precio"), (("Eólica", "12,5"), ("Hidroeléctrica", "1.050,25"))
    )


UNICODE_TEXT = 'tipo_id\tnumero_id\tnombre\tciudad\r\nCC\t1012345678\t"Pérez, María"\tMedellín\r\n'


@pytest.mark.parametrize(
    ("bom", "codec", "encoding"), [(b"\xff\xfe", "utf-16-le", "UTF-16LE"), (b"\xfe\xff", "utf-16-be", "UTF-16BE")]
)
def test_utf16_with_a_byte_order_mark_is_read(bom, codec, encoding):
    """Excel's "Unicode Text" export: UTF-16LE with a byte-order mark, tab-delimited, CRLF."""
    assert sniff(bom + UNICODE_TEXT.encode(codec), complete=True, file=F) == Dialect(
        encoding,
        "\t",
        False,
        ("tipo_id", "numero_id", "nombre", "ciudad"),
        (("CC", "1012345678", "Pérez, María", "Medellín"),),
        marked=True,
    )


def test_utf16_head_cut_inside_a_character_keeps_the_whole_ones():
    whole = b"\xff\xfe" + "nombre\r\nJosé 😀\r\n".encode("utf-16-le")
    cut = whole[: whole.index("😀".encode("utf-16-le")) + 3]  # inside the surrogate pair, and one byte more
    assert sniff(cut, complete=False, file=F).sample == (("José ",),)
    # the same bytes as the whole file end in a broken character: U+FFFD, as Spark reads it (bad_encoding)
    assert sniff(cut, complete=True, file=F).sample == (("José \ufffd",),)


@pytest.mark.parametrize("bom", [b"\xff\xfe", b"\xfe\xff"])
def test_utf16_mark_alone_is_an_empty_file(bom):
    err = rejected(bom + "\r\n".encode("utf-16-le" if bom == b"\xff\xfe" else "utf-16-be"))
    assert (err.rule, err.reason) == ("empty_file", "the file is empty (no header, no records)")


@pytest.mark.parametrize("bom", [b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff"])
def test_utf32_is_refused(bom):
    err = rejected(bom + "a,b\n".encode("utf-32-le" if bom[0] == 0xFF else "utf-32-be"))
    assert (err.rule, err.reason) == ("bad_encoding", "UTF-32 files are not accepted; save the file as UTF-8 or UTF-16")


@pytest.mark.parametrize(
    ("encoding", "text"),
    [
        ("UTF-16LE", '"Acme™ • ∂ Ģ",1\n"x ""q"""\n'),  # ™ is 22 21, • 22 20, ∂ 02 22, Ģ 22 01 in UTF-16LE
        ("UTF-16BE", '"Acme™ • ∂ Ģ",1\n"x ""q"""\n'),
        ("UTF-8", '"Acme™ • ∂ Ģ",1\n"x ""q"""\n'),
        ("windows-1252", '"Acme™ •",1\n"x ""q"""\n'),
    ],
)
@pytest.mark.parametrize("size", [1, 3, 4096])
def test_quote_count_counts_characters_not_bytes(encoding, text, size):
    codec = {"UTF-16LE": "utf-16-le", "UTF-16BE": "utf-16-be", "UTF-8": "utf-8", "windows-1252": "cp1252"}[encoding]
    data = text.encode(codec)
    counter = QuoteCount(encoding)
    for i in range(0, len(data), size):  # chunks may end inside a code unit
        counter.update(data[i : i + size])
    assert counter.count == text.count('"') == 8
    if encoding.startswith("UTF-16"):
        assert data.count(b'"') > 8  # what counting bytes would say


def test_bytes_undefined_in_windows_1252_are_refused():
    err = rejected(b"a,b\n\x81x,1\n")
    assert (err.rule, err.reason) == ("bad_encoding", "the file is neither UTF-8 nor Windows-1252 text")


def test_multibyte_character_cut_at_the_head_boundary_is_still_utf8():
    whole = "nombre,ciudad\nJosé,Bogotá\n".encode()
    cut = whole[: whole.index("á".encode()) + 1]  # first byte of the two-byte á
    dialect = sniff(cut, complete=False, file=F)
    assert dialect == Dialect("UTF-8", ",", False, ("nombre", "ciudad"), (("José", "Bogot"),))


def test_the_same_bytes_as_a_whole_file_are_utf8_cut_inside_its_last_character():
    whole = "nombre,ciudad\nJosé,Bogotá\n".encode()
    cut = whole[: whole.index("á".encode()) + 1]
    # The complete file ends in half a character: one stray byte, and the é says UTF-8. The cut value
    # reads as U+FFFD, as in Spark, and the raw hop quarantines its record (bad_encoding).
    assert sniff(cut, complete=True, file=F) == Dialect(
        "UTF-8", ",", False, ("nombre", "ciudad"), (("José", "Bogot\ufffd"),)
    )


def test_invalid_utf8_early_in_a_partial_head_is_windows_1252():
    head = "nombre,ciudad\nJosé,Bogotá\n".encode("cp1252") + b"x" * 100
    assert sniff(head, complete=False, file=F).encoding == "windows-1252"


def test_bom_then_invalid_bytes_stays_utf8():
    # The BOM says UTF-8; bad bytes become U+FFFD and the raw hop quarantines those rows (bad_encoding).
    dialect = sniff(b"\xef\xbb\xbfa,b\n\xe9,1\n", complete=True, file=F)
    assert dialect == Dialect("UTF-8", ",", False, ("a", "b"), (("\ufffd", "1"),), marked=True)


@pytest.mark.parametrize("head", [b"", b"\xef\xbb\xbf", b"  \r\n\n", b"\xef\xbb\xbf\r\n"])
def test_empty_file_is_refused(head):
    err = rejected(head)
    assert (err.rule, str(err)) == ("empty_file", f"{F}: the file is empty (no header, no records)")


# ------------------------------------------------------------------ delimiters, records


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_delimiters(delimiter):
    head = delimiter.join(["tipo", "cantidad", "precio"]) + "\n" + delimiter.join(["venta", "10", "2"]) + "\n"
    dialect = sniff(head.encode(), complete=True, file=F)
    assert (dialect.delimiter, dialect.header, dialect.sample) == (
        delimiter,
        ("tipo", "cantidad", "precio"),
        (("venta", "10", "2"),),
    )


def test_delimiter_is_the_one_splitting_the_header_most():
    head = b"Nombre, Apellido;Ciudad;Pais\nAna, Ruiz;Cali;CO\n"
    assert sniff(head, complete=True, file=F).header == ("Nombre, Apellido", "Ciudad", "Pais")


def test_single_column_header_defaults_to_comma():
    assert sniff(b"nombre\nAna\n", complete=True, file=F).delimiter == ","


def test_header_cells_are_stripped_blank_lines_skipped_quotes_parsed():
    head = b'\n\n tipo ,"nombre, completo",cantidad \n\nventa,"Ruiz, Ana\nB",10\n\n'
    dialect = sniff(head, complete=True, file=F)
    assert dialect.header == ("tipo", "nombre, completo", "cantidad")
    assert dialect.sample == (("venta", "Ruiz, Ana\nB", "10"),)


def test_lines_of_whitespace_or_delimiters_before_the_header_are_counted_for_the_reader():
    """Spark's reader skips empty lines but returns these as records; it drops them by this count."""
    dialect = sniff(b"\n   \n;;\n\t\n\ntipo;cantidad\nventa;1,5\n", complete=True, file=F)
    assert dialect == Dialect("UTF-8", ";", True, ("tipo", "cantidad"), (("venta", "1,5"),), header_offset=3)


def test_header_only_file_has_no_sample():
    assert sniff(b"tipo,cantidad\r\n", complete=True, file=F) == Dialect("UTF-8", ",", False, ("tipo", "cantidad"), ())


def test_old_mac_line_ends():
    dialect = sniff(b"nombre_proveedor,tipo_energia\rA,wind\rB,hydro\r", complete=True, file=F)
    assert (dialect.header, dialect.sample) == (("nombre_proveedor", "tipo_energia"), (("A", "wind"), ("B", "hydro")))


def test_record_cut_at_the_head_boundary_is_ignored():
    dialect = sniff(b'a,b\n1,2\n3,"unfinished', complete=False, file=F)
    assert (dialect.header, dialect.sample[0]) == (("a", "b"), ("1", "2"))


# ------------------------------------------------------------------ decimal comma


@pytest.mark.parametrize(
    ("text", "decimal_comma"),
    [
        ("tipo;precio\nventa;12,5\n", True),  # a decimal comma value
        ("tipo;precio\nventa;1.050,25\n", True),
        ("tipo;precio\nventa;12\n", True),  # integers only: the Spanish default
        ("tipo;precio\nventa;1.234\n", True),  # three decimals after a point: thousands grouping
        ("tipo;precio\n", True),  # header only
        ("tipo;precio\nventa;12.50\n", False),  # a decimal point value: not a decimal-comma file
        ("tipo;precio\nventa;0.1234\n", False),
        ("tipo;precio\nventa;12.5\ncompra;3,5\n", True),  # a decimal comma anywhere wins
        ('tipo,precio\nventa,"12,5"\n', False),  # only semicolon files use a decimal comma
        ("tipo\tprecio\nventa\t12,5\n", False),
    ],
)
def test_decimal_comma_decision(text, decimal_comma):
    assert sniff(text.encode(), complete=True, file=F).decimal_comma is decimal_comma


# ------------------------------------------------------------------ header -> contract

PEER_HEADERS = [
    # Chechox12__Empresa-Comercializadora-de-Energia
    (
        "Tipo de Identificacion, Identificacion,Nombre,Ciudad",
        "customers",
        ("id_type", "id_number", "customer_name", "city"),
        (),
    ),
    ("Nombre de Proveedor,Tipo de Energia", "providers", ("provider_name", "energy_type"), ()),
    (
        "Tipo de Transaccion,Nombre del Cliente/Proveedor,Cantidad Comprada ,Precio,Tipo de Energia",
        "transactions",
        ("transaction_type", "counterparty_name", "quantity", "price", "energy_type"),
        (),
    ),
    # mjbernalv__Data-Engineering-Project-BTG
    (
        "tipo_identificacion,identificacion,nombre,ciudad",
        "customers",
        ("id_type", "id_number", "customer_name", "city"),
        (),
    ),
    ("\ufeffnombre_proveedor,tipo_energia", "providers", ("provider_name", "energy_type"), ()),
    (
        "tipo_transaccion,nombre_entidad,cantidad_comprada,precio,tipo_energia",
        "transactions",
        ("transaction_type", "counterparty_name", "quantity", "price", "energy_type"),
        (),
    ),
    # sesabri9812__PruebaTecnicaAmaris (cliente.csv has this same header: it is a transactions file)
    (
        "tipo_transaccion,nombre_cliente_proveedor,cantidad_comprada,precio,tipo_energia",
        "transactions",
        ("transaction_type", "counterparty_name", "quantity", "price", "energy_type"),
        (),
    ),
    ("nombre_proveedor,tipo_energia,ID", "providers", ("provider_name", "energy_type", "extra:id"), ("id",)),
    # English, any case, spaces, accents
    (
        "Transaction ID,Type,Counterparty,Quantity (MWh),Price per MWh,Energy Type,Trade Time",
        "transactions",
        ("transaction_id", "transaction_type", "counterparty_name", "quantity", "price", "energy_type", "traded_at"),
        (),
    ),
    (
        "  TIPO DE TRANSACCIÓN , Nombre  Entidad,CANTIDAD,Precio MWh,Tipo de Energía,Fecha de Transacción",
        "transactions",
        ("transaction_type", "counterparty_name", "quantity", "price", "energy_type", "traded_at"),
        (),
    ),
    (
        "Nombre del Proveedor,Tipo de Energía,País,Capacidad Instalada",
        "providers",
        ("provider_name", "energy_type", "country", "capacity_mw"),
        (),
    ),
    (
        "Tipo de Documento,Número de Identificación,Nombre del Cliente,Municipio",
        "customers",
        ("id_type", "id_number", "customer_name", "city"),
        (),
    ),
    (
        "provider_name,energy_type,country,capacity_mw",
        "providers",
        ("provider_name", "energy_type", "country", "capacity_mw"),
        (),
    ),
]


@pytest.mark.parametrize(("header", "entity", "columns", "extras"), PEER_HEADERS)
def test_header_spellings(header, entity, columns, extras):
    cells = sniff((header + "\n").encode(), complete=True, file=F).header
    match = match_header(cells, F)
    assert (match.entity, match.file_columns, match.extras) == (entity, columns, extras)
    forced = match_header(cells, F, entity)  # the same when the entity is given
    assert (forced.entity, forced.file_columns) == (entity, columns)


def test_extra_columns_are_kept_by_normalised_name():
    match = match_header(("tipo", "contraparte", "cantidad", "precio", "energia", "Notas", "Región", ""), F)
    assert match.file_columns == (
        "transaction_type",
        "counterparty_name",
        "quantity",
        "price",
        "energy_type",
        "extra:notas",
        "extra:region",
        "extra:column_8",
    )
    assert match.extras == ("notas", "region", "column_8")


def test_extra_columns_with_the_same_normalised_name_stay_apart():
    # "Notes" and "notes" would collide in the _extra map and one value would be lost.
    match = match_header(("nombre_proveedor", "tipo_energia", "Notes", "notes", "NOTES"), F)
    assert match.file_columns == ("provider_name", "energy_type", "extra:notes", "extra:notes_2", "extra:notes_3")
    assert match.extras == ("notes", "notes_2", "notes_3")


def test_missing_required_column_names_file_and_columns():
    header = ("tipo_transaccion", "nombre_entidad", "precio", "tipo_energia")
    with pytest.raises(FeedRejected) as info:
        match_header(header, F, "transactions")
    assert (info.value.rule, str(info.value)) == (
        "missing_columns",
        f"{F}: not a transactions file: missing required column(s) quantity "
        "(header: tipo_transaccion, nombre_entidad, precio, tipo_energia)",
    )


def test_header_matching_no_contract():
    header = ("tipo_transaccion", "nombre_entidad", "precio")
    with pytest.raises(FeedRejected) as info:
        match_header(header, F)
    assert (info.value.rule, str(info.value)) == (
        "unknown_header",
        f"{F}: header matches no feed contract (header: tipo_transaccion, nombre_entidad, precio): "
        "providers needs provider_name, energy_type; customers needs id_type, id_number, customer_name, city; "
        "transactions needs quantity, energy_type",
    )


def test_two_header_cells_meaning_the_same_column():
    header = ("tipo", "contraparte", "cantidad", "cantidad_comprada", "precio", "energia")
    with pytest.raises(FeedRejected) as info:
        match_header(header, F, "transactions")
    assert (info.value.rule, str(info.value)) == (
        "missing_columns",
        f"{F}: not a transactions file: 'cantidad' and 'cantidad_comprada' both mean quantity "
        "(header: tipo, contraparte, cantidad, cantidad_comprada, precio, energia)",
    )
    with pytest.raises(FeedRejected) as info:
        match_header(header, F)
    assert (info.value.rule, str(info.value)) == (
        "unknown_header",
        f"{F}: header matches no feed contract (header: tipo, contraparte, cantidad, cantidad_comprada, precio, "
        "energia): providers needs provider_name; customers needs id_type, id_number, customer_name, city; "
        "transactions has 'cantidad' and 'cantidad_comprada' both mean quantity",
    )


def test_the_same_header_cell_twice():
    header = ("nombre_proveedor", "tipo_energia", "Tipo Energia")
    with pytest.raises(FeedRejected) as info:
        match_header(header, F, "providers")
    assert str(info.value) == (
        f"{F}: not a providers file: 'tipo_energia' and 'Tipo Energia' both mean energy_type "
        "(header: nombre_proveedor, tipo_energia, Tipo Energia)"
    )


def test_header_fitting_two_contracts_is_ambiguous():
    header = ("proveedor", "tipo_energia", "tipo_id", "documento", "nombre", "ciudad")
    with pytest.raises(FeedRejected) as info:
        match_header(header, F)
    assert (info.value.rule, str(info.value)) == (
        "ambiguous_header",
        f"{F}: header fits more than one feed contract (providers, customers); give the entity "
        "(header: proveedor, tipo_energia, tipo_id, documento, nombre, ciudad)",
    )
    assert match_header(header, F, "customers").file_columns == (
        "extra:proveedor",
        "extra:tipo_energia",
        "id_type",
        "id_number",
        "customer_name",
        "city",
    )


def test_transactions_file_named_as_customers_is_recognised_as_transactions():
    # sesabri9812__PruebaTecnicaAmaris/cliente.csv: a copy of the transactions file.
    header = ("tipo_transaccion", "nombre_cliente_proveedor", "cantidad_comprada", "precio", "tipo_energia")
    assert match_header(header, "cliente.csv").entity == "transactions"
    with pytest.raises(FeedRejected) as info:
        match_header(header, "cliente.csv", "customers")
    assert (info.value.rule, str(info.value)) == (
        "missing_columns",
        "cliente.csv: not a customers file: missing required column(s) id_type, id_number, customer_name, city; "
        "the header looks like a transactions file "
        "(header: tipo_transaccion, nombre_cliente_proveedor, cantidad_comprada, precio, tipo_energia)",
    )


def test_empty_header_message():
    with pytest.raises(FeedRejected) as info:
        match_header((), F, "providers")
    assert str(info.value) == (
        f"{F}: not a providers file: missing required column(s) provider_name, energy_type (header: (none))"
    )


# ------------------------------------------------------------------ files that are not text


def _zip(entries: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


XLSX = _zip({"[Content_Types].xml": b"<Types/>", "_rels/.rels": b"<Relationships/>", "xl/workbook.xml": b"<workbook/>"})
# openpyxl writes [Content_Types].xml last: the xl/ parts decide
XLSX_CONTENT_TYPES_LAST = _zip(
    {"docProps/app.xml": b"<Properties/>", "xl/workbook.xml": b"<w/>", "[Content_Types].xml": b"<T/>"}
)
ODS = _zip(
    {"mimetype": b"application/vnd.oasis.opendocument.spreadsheet", "content.xml": b"<office/>"}, zipfile.ZIP_STORED
)
SAVE = "save the sheet as CSV (UTF-8) and land the CSV in its place"
EXTRACT = "extract the CSV file(s) and land them in its place"
DECOMPRESS = "decompress it and land the CSV in its place"
EXPORT = "export the data as CSV (UTF-8) and land the CSV in its place"
BINARY = [
    ("xlsx", XLSX, F, f"the file is an Excel workbook: {SAVE}"),
    ("xlsx_openpyxl_order", XLSX_CONTENT_TYPES_LAST, F, f"the file is an Excel workbook: {SAVE}"),
    ("ods", ODS, F, f"the file is an OpenDocument spreadsheet: {SAVE}"),
    ("zip", _zip({"clientes.csv": b"tipo_id,numero_id\n"}), F, f"the file is a zip archive: {EXTRACT}"),
    ("empty_zip", _zip({}), F, f"the file is a zip archive: {EXTRACT}"),
    ("gzip", gzip.compress(b"a,b\n"), F, "the file is gzip-compressed but not named .gz: rename it feed.csv.gz"),
    (
        "gzip_GZ",
        gzip.compress(b"a,b\n"),
        "x/feed.csv.GZ",
        "the file is gzip-compressed but not named .gz: rename it feed.csv.gz",
    ),
    (
        "gzip_in_gz",
        gzip.compress(b"a,b\n"),
        "x/feed.csv.gz",
        "the file is gzip-compressed twice: decompress it once and land the result",
    ),
    ("pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", F, f"the file is a PDF document: {EXPORT}"),
    (
        "xls",
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504),
        F,
        f"the file is an Excel 97-2003 workbook (.xls) or another old Office document: {SAVE}",
    ),
    ("bzip2", bz2.compress(b"a,b\n"), F, f"the file is bzip2-compressed: {DECOMPRESS}"),
    ("xz", lzma.compress(b"a,b\n"), F, f"the file is xz-compressed: {DECOMPRESS}"),
    ("7z", b"7z\xbc\xaf\x27\x1c\x00\x04" + bytes(24), F, f"the file is a 7-Zip archive: {EXTRACT}"),
    ("zstd", b"\x28\xb5\x2f\xfd\x20\x04\x21\x00\x00a,b\n", F, f"the file is zstd-compressed: {DECOMPRESS}"),
    ("rar", b"Rar!\x1a\x07\x01\x00" + bytes(8), F, f"the file is a RAR archive: {EXTRACT}"),
    ("parquet", b"PAR1\x15\x04\x15\x10", F, f"the file is a Parquet file: {EXPORT}"),
]


@pytest.mark.parametrize(("kind", "head", "file", "reason"), BINARY, ids=[b[0] for b in BINARY])
def test_a_binary_file_is_refused_saying_what_it_is(kind, head, file, reason):
    with pytest.raises(FeedRejected) as info:
        sniff(head, complete=True, file=file)
    assert (info.value.file, info.value.rule, info.value.reason) == (file, "not_csv", reason)


def test_a_workbook_is_recognised_from_a_partial_head():
    big = _zip({"[Content_Types].xml": b"<T/>", "xl/workbook.xml": b"<w/>", "xl/media/image1.png": os.urandom(400_000)})
    with pytest.raises(FeedRejected, match="an Excel workbook"):
        sniff(big[: 256 * 1024], complete=False, file=F)


@pytest.mark.parametrize(
    "text", ["BZh,PAR1,PK\nx,y,z\n", "PAR1,PAR2\n1,2\n", "%PDF-report,n\n1,2\n", "PK,nombre\n1,x\n", "Rar,7z\n1,2\n"]
)
def test_text_starting_like_a_signature_is_text(text):
    assert sniff(text.encode(), complete=True, file=F).header == tuple(text.split("\n")[0].split(","))


# ------------------------------------------------------------------ aliases


def test_no_spelling_means_two_columns_of_one_contract():
    for contract in all_contracts():
        owners: dict[str, set[str]] = {}
        for column in contract.columns:
            for spelling in (column.name, *column.aliases):
                owners.setdefault(normalise_name(spelling), set()).add(column.name)
        assert {s: c for s, c in owners.items() if len(c) > 1} == {}, contract.entity


def test_aliases_are_written_as_the_keys_they_match():
    """The docs show the aliases as written: each is its own normalised form, and none is listed twice."""
    for contract in all_contracts():
        for column in contract.columns:
            assert [a for a in column.aliases if normalise_name(a) != a] == [], column.name
            assert len(set(column.aliases)) == len(column.aliases), column.name


def test_any_header_of_one_entity_fits_no_other_contract():
    """Recognising the entity stays unambiguous: whatever spellings an entity's file uses, some required
    column of every other contract has no spelling in common with it."""
    for own in all_contracts():
        spellings = set(own.header_keys())
        for other in all_contracts():
            if other is own:
                continue
            covered = [c for c in other.required if set(_spellings(other, c)) & spellings]
            assert len(covered) < len(other.required), (own.entity, other.entity, covered)


def test_a_header_of_every_required_alias_is_recognised_as_its_entity():
    for contract in all_contracts():
        for i in range(max(len(contract.column(c).aliases) for c in contract.required) + 1):
            header = []
            for name in contract.required:
                spellings = [name, *contract.column(name).aliases]
                header.append(spellings[i % len(spellings)])
            assert match_header(tuple(header), F).entity == contract.entity, header


# spelling -> why it must not be a header spelling of that column
NOT_ALIASES = {
    ("transactions", "price"): [
        "valor",
        "monto",
        "importe",
        "total",
        "valor_total",
        "amount",
        "precio_kwh",
        "precio_usd",
    ],
    ("transactions", "quantity"): ["cantidad_kwh", "kwh", "energia_kwh", "cantidad_gwh", "gwh", "kw"],
    ("transactions", "transaction_id"): ["id", "no", "consecutivo"],
    ("transactions", "traded_at"): ["fecha_entrega", "fecha_de_entrega", "delivery_date"],
    ("transactions", "counterparty_name"): ["proveedor", "cliente"],
    ("providers", "capacity_mw"): ["capacidad_kw", "kw", "potencia_kw", "capacidad_gw"],
    ("customers", "city"): ["departamento", "region"],
}


@pytest.mark.parametrize(("entity", "column"), sorted(NOT_ALIASES))
def test_spellings_that_would_load_a_wrong_value_are_no_aliases(entity, column):
    keys = {k: v for k, v in load_contract(entity).header_keys().items()}
    assert {s: keys[s] for s in NOT_ALIASES[(entity, column)] if s in keys} == {}


def test_no_alias_states_another_unit_than_its_column():
    for contract in all_contracts():
        for column in contract.columns:
            units = [_units([s]) for s in _spellings(contract, column.name)]
            assert len({frozenset(u) for u in units if u}) <= 1, column.name


NATURAL_HEADERS = [
    ("tipo_id;numero_id;nombre;ciudad", "customers", ("id_type", "id_number", "customer_name", "city")),
    ("Tipo Doc;Nro. Documento;Razón Social;Ciudad", "customers", ("id_type", "id_number", "customer_name", "city")),
    (
        "Tipo de documento;Nº Documento;Nombre completo;Municipio",
        "customers",
        ("id_type", "id_number", "customer_name", "city"),
    ),
    ("Tipo ID;N° Identificación;Nombre;Ciudad", "customers", ("id_type", "id_number", "customer_name", "city")),
    ("Document Type,Document Number,Customer,City", "customers", ("id_type", "id_number", "customer_name", "city")),
    (
        "Operación;Contraparte;Volumen (MWh);Precio unitario;Fuente;Fecha de negociación",
        "transactions",
        ("transaction_type", "counterparty_name", "quantity", "price", "energy_type", "traded_at"),
    ),
    (
        "Trade No,Side,Counterpart,MWh,Unit Price,Technology,Trade Date",
        "transactions",
        ("transaction_id", "transaction_type", "counterparty_name", "quantity", "price", "energy_type", "traded_at"),
    ),
    (
        "Supplier,Energy Source,Country of origin,Installed Capacity (MW)",
        "providers",
        ("provider_name", "energy_type", "country", "capacity_mw"),
    ),
    (
        "Generador;Tecnología;País;Capacidad Efectiva Neta (MW)",
        "providers",
        ("provider_name", "energy_type", "country", "capacity_mw"),
    ),
]


@pytest.mark.parametrize(("header", "entity", "columns"), NATURAL_HEADERS)
def test_natural_header_spellings(header, entity, columns):
    cells = sniff((header + "\n").encode(), complete=True, file=F).header
    match = match_header(cells, F)
    assert (match.entity, match.file_columns) == (entity, columns)


def test_a_total_column_stays_an_extra_beside_the_price():
    match = match_header(("tipo", "contraparte", "cantidad", "precio", "energia", "Valor Total", "Monto"), F)
    assert match.file_columns[-2:] == ("extra:valor_total", "extra:monto")


# ------------------------------------------------------------------ near misses


def refused(header: tuple[str, ...], entity: str | None) -> str:
    with pytest.raises(FeedRejected) as info:
        match_header(header, F, entity)
    return info.value.reason


def test_a_missing_column_names_the_header_cell_that_may_be_it():
    header = ("tipo_id", "Número de Identificacón", "nombre", "ciudad")  # a typo
    assert refused(header, "customers") == (
        "not a customers file: missing required column(s) id_number; 'Número de Identificacón' may be id_number: "
        "add it to the contract's aliases (header: tipo_id, Número de Identificacón, nombre, ciudad)"
    )


def test_an_abbreviation_is_a_near_miss():
    header = ("tipo", "contraparte", "cant", "precio", "energia")
    assert refused(header, "transactions") == (
        "not a transactions file: missing required column(s) quantity; 'cant' may be quantity: "
        "add it to the contract's aliases (header: tipo, contraparte, cant, precio, energia)"
    )


def test_a_near_miss_in_another_unit_says_to_convert():
    header = ("tipo", "contraparte", "Cantidad (kWh)", "Precio kWh", "energia")
    assert refused(header, "transactions") == (
        "not a transactions file: missing required column(s) quantity, price; 'Cantidad (kWh)' may be quantity, "
        "but in kWh where quantity is in MWh: convert the values, then name the column quantity; "
        "'Precio kWh' may be price, but in kWh where price is in MWh: convert the values, then name the column "
        "price (header: tipo, contraparte, Cantidad (kWh), Precio kWh, energia)"
    )


def test_unrelated_headers_are_not_offered():
    # a total is not a price; a cell already meaning another column is not offered for a missing one
    header = ("tipo", "contraparte", "cantidad", "valor_total", "importe", "energia", "fecha_entrega")
    assert refused(header, "transactions") == (
        "not a transactions file: missing required column(s) price "
        "(header: tipo, contraparte, cantidad, valor_total, importe, energia, fecha_entrega)"
    )
    header = ("tipo_id", "tipo_documento", "nombre", "ciudad")  # tipo_documento means id_type: not offered
    assert refused(header, "customers") == (
        "not a customers file: missing required column(s) id_number (header: tipo_id, tipo_documento, nombre, ciudad)"
    )


def test_each_cell_is_offered_for_one_column_the_nearest():
    header = ("tipo_id", "numero_identificacon", "nombre", "ciudadd")
    assert refused(header, "customers") == (
        "not a customers file: missing required column(s) id_number, city; 'numero_identificacon' may be id_number: "
        "add it to the contract's aliases; 'ciudadd' may be city: add it to the contract's aliases "
        "(header: tipo_id, numero_identificacon, nombre, ciudadd)"
    )


def test_no_near_misses_for_a_file_of_another_entity():
    header = ("nombre_proveedor", "tipo_energia")
    assert refused(header, "transactions") == (
        "not a transactions file: missing required column(s) transaction_type, counterparty_name, quantity, price; "
        "the header looks like a providers file (header: nombre_proveedor, tipo_energia)"
    )


def test_near_misses_when_no_contract_fits():
    header = ("tipo_id", "numero_idd", "nombre", "ciudad")
    assert refused(header, None) == (
        "header matches no feed contract (header: tipo_id, numero_idd, nombre, ciudad): "
        "providers needs provider_name, energy_type; "
        "customers needs id_number ('numero_idd' may be id_number: add it to the contract's aliases); "
        "transactions needs transaction_type, counterparty_name, quantity, price, energy_type"
    )
