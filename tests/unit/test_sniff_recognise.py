"""sniff.py and recognise.py: dialect from the first bytes, header -> contract. Pure Python, no Spark."""

from __future__ import annotations

import pytest

from energy_lake.etl.errors import FeedRejected
from energy_lake.etl.recognise import match_header
from energy_lake.etl.sniff import Dialect, sniff

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
    )


def test_windows_1252_spanish_export():
    head = "Tipo de Energía;Precio\r\nEólica;12,5\r\nHidroeléctrica;1.050,25\r\n".encode("cp1252")
    assert sniff(head, complete=True, file=F) == Dialect(
        "windows-1252", ";", True, ("Tipo de Energía", "Precio"), (("Eólica", "12,5"), ("Hidroeléctrica", "1.050,25"))
    )


@pytest.mark.parametrize("bom", [b"\xff\xfe", b"\xfe\xff"])
def test_utf16_is_refused(bom):
    text = "a,b\n1,2\n"
    body = text.encode("utf-16-le" if bom == b"\xff\xfe" else "utf-16-be")
    err = rejected(bom + body)
    assert (err.file, err.rule, err.reason) == (
        F,
        "bad_encoding",
        "UTF-16 files are not accepted; export as UTF-8 or Windows-1252",
    )
    assert str(err) == f"{F}: UTF-16 files are not accepted; export as UTF-8 or Windows-1252"


def test_bytes_undefined_in_windows_1252_are_refused():
    err = rejected(b"a,b\n\x81x,1\n")
    assert (err.rule, err.reason) == ("bad_encoding", "the file is neither UTF-8 nor Windows-1252 text")


def test_multibyte_character_cut_at_the_head_boundary_is_still_utf8():
    whole = "nombre,ciudad\nJosé,Bogotá\n".encode()
    cut = whole[: whole.index("á".encode()) + 1]  # first byte of the two-byte á
    dialect = sniff(cut, complete=False, file=F)
    assert dialect == Dialect("UTF-8", ",", False, ("nombre", "ciudad"), (("José", "Bogot"),))


def test_the_same_bytes_as_a_whole_file_are_not_utf8():
    whole = "nombre,ciudad\nJosé,Bogotá\n".encode()
    cut = whole[: whole.index("á".encode()) + 1]
    # The complete file ends in half a character: not UTF-8, but every byte is Windows-1252.
    assert sniff(cut, complete=True, file=F).encoding == "windows-1252"


def test_invalid_utf8_early_in_a_partial_head_is_windows_1252():
    head = "nombre,ciudad\nJosé,Bogotá\n".encode("cp1252") + b"x" * 100
    assert sniff(head, complete=False, file=F).encoding == "windows-1252"


def test_bom_then_invalid_bytes_stays_utf8():
    # The BOM says UTF-8; bad bytes become U+FFFD and the raw hop quarantines those rows (bad_encoding).
    dialect = sniff(b"\xef\xbb\xbfa,b\n\xe9,1\n", complete=True, file=F)
    assert dialect == Dialect("UTF-8", ",", False, ("a", "b"), (("\ufffd", "1"),))


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
