"""Write the committed sample feeds (``data/landing``), their expectations and the README tables.

The one source of truth for the samples is this file: every record is written here, bad ones with
the rule code the landing -> raw validation must quarantine them with and why. From it come:

- ``data/landing/<entity>/ingest_date=YYYY-MM-DD/<file>``: the feeds, byte for byte;
- ``data/landing_expectations.json``: per file counts and every bad record (file, record number,
  rule, why), which ``tests/integration/test_sample_feeds.py`` checks against the real pipeline;
- the two tables of ``data/README.md`` between their ``<!-- ... -->`` markers.

    .venv/bin/python data/make_samples.py           rewrite all of it
    .venv/bin/python data/make_samples.py --check   exit 1 when a committed file differs

Record numbers are the pipeline's ``_source_line``: the header is 1, the first data record 2
(no sample has a blank line or a quoted line break, so record n is also line n).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent
LANDING = DATA / "landing"
EXPECTATIONS = DATA / "landing_expectations.json"
README = DATA / "README.md"
BOM = "\ufeff"
U = "\ufffd"  # a character already lost upstream: the file holds U+FFFD itself


def nit(number: str) -> str:
    """A Colombian NIT with its DIAN check digit (fictional numbers)."""
    weights = (3, 7, 13, 17, 19, 23, 29, 37, 41, 43, 47, 53, 59, 67, 71)
    rest = sum(int(d) * w for d, w in zip(reversed(number), weights, strict=False)) % 11
    return f"{number}-{rest if rest < 2 else 11 - rest}"


@dataclass(frozen=True)
class Rec:
    """One data record: fields (joined and quoted as needed) or a raw line; ``rule`` when it must be quarantined."""

    fields: tuple[str, ...] = ()
    rule: str | None = None
    why: str = ""
    raw: str | None = None  # written exactly (for records whose fields are not what they seem)


def ok(*fields: str) -> Rec:
    return Rec(tuple(fields))


def bad(rule: str, why: str, *fields: str, raw: str | None = None) -> Rec:
    return Rec(tuple(fields), rule, why, raw)


@dataclass(frozen=True)
class Feed:
    entity: str
    date: str
    name: str
    header: tuple[str, ...]
    records: tuple[Rec, ...]
    quirks: str
    encoding: str = "utf-8"
    delimiter: str = ","
    newline: str = "\n"
    bom: bool = False
    final_newline: bool = True
    decimal_comma: bool = False  # numbers written 1.234,5 (the Spanish export)
    copy_of: str | None = None  # rel path of the feed this one repeats byte for byte

    @property
    def rel(self) -> str:
        return f"{self.entity}/ingest_date={self.date}/{self.name}"

    def field_text(self, value: str) -> str:
        if self.delimiter in value or '"' in value or "\n" in value or "\r" in value:
            return '"' + value.replace('"', '""') + '"'
        return value

    def line(self, rec: Rec) -> str:
        return rec.raw if rec.raw is not None else self.delimiter.join(self.field_text(f) for f in rec.fields)

    def content(self) -> bytes:
        lines = [self.delimiter.join(self.field_text(h) for h in self.header), *map(self.line, self.records)]
        for line in lines:
            assert "\n" not in line and "\r" not in line, f"{self.rel}: record numbers need one line per record"
        text = (BOM if self.bom else "") + self.newline.join(lines) + (self.newline if self.final_newline else "")
        # surrogateescape: "\udce9" in a string is the single byte 0xE9, not valid UTF-8 (a wrongly pasted byte)
        return text.encode(self.encoding, errors="surrogateescape")


PROVIDERS_HEADER_ES = ("Nombre del Proveedor", "Tipo de Energía", " País ", "Capacidad (MW)")
PROVIDERS_05 = Feed(
    "providers",
    "2026-01-05",
    "proveedores.csv",
    PROVIDERS_HEADER_ES,
    bom=True,
    newline="\r\n",
    quirks="UTF-8 with byte-order mark, CRLF; Spanish headers with accents, spaces and brackets; energy types in "
    "Spanish and English, any case, with and without accents; a quoted name holding a comma; optional country and "
    "capacity left empty; one byte that is not UTF-8 (0xE1 pasted from a Windows-1252 system).",
    records=(
        ok("Parque Eólico Alta Guajira S.A.S. E.S.P.", "eólica", "Colombia", "310.5"),
        ok("Hidroeléctrica del Sinú S.A. E.S.P.", "hidroeléctrica", "Colombia", "340"),
        ok("Central Hidroeléctrica Río Cauca S.A. E.S.P.", "Hidroeléctrica", "Colombia", "1200.75"),
        ok("Vientos de Uribia S.A.S.", "EÓLICA", "Colombia", "99.9"),
        bad(
            "provider_name_missing",
            "the provider name is empty, so the row has no key",
            "",
            "eólica",
            "Colombia",
            "120",
        ),
        ok("Atómica del Sur S.A.", "Nuclear", "Argentina", "745"),
        bad(
            "energy_type_not_allowed",
            "thermal generation (térmica) is not traded: wind, hydro or nuclear only",
            "Termoeléctrica La Sierra S.A. E.S.P.",
            "térmica",
            "Colombia",
            "460",
        ),
        ok("NucleoPower Ibérica SE", "nuclear", "España", "1066.125"),
        bad(
            "capacity_mw_negative",
            "installed capacity cannot be negative",
            "Vientos de Maicao S.A.S.",
            "eólica",
            "Colombia",
            "-50",
        ),
        ok("Generadora Chivor S.A. E.S.P.", "hidráulica", "Colombia", ""),
        bad(
            "capacity_mw_not_a_number",
            "the unit was typed into the number ('560 MW')",
            "Hidroeléctrica Guatapé S.A.",
            "hidroeléctrica",
            "Colombia",
            "560 MW",
        ),
        ok("Eólica Cabo de la Vela S.A.S.", "wind", "", "19.5"),
        bad(
            "country_bad_encoding",
            "'Panamá' with a raw Windows-1252 byte 0xE1 in a UTF-8 file: read as U+FFFD",
            "Hidroeléctrica Urrá S.A. E.S.P.",
            "hidroeléctrica",
            "Panam\udce1",
            "340",
        ),
        ok("Energías Renovables del Caribe, S.A.S.", "eolica", "Colombia", "50"),
        bad(
            "wrong_field_count",
            "capacity written with a decimal comma in a comma-separated file: 5 fields, not 4",
            raw="Nuclear Andina S.A.,nuclear,Argentina,1200,5",
        ),
        ok("Hidroenergía Porce S.A. E.S.P.", "hydro", "Colombia", "426.5"),
    ),
)

PROVIDERS_06 = Feed(
    "providers",
    "2026-01-06",
    "providers_update.csv",
    ("Provider Name", "ENERGY_TYPE", "Country", "Capacity MW", "Notes"),
    final_newline=False,
    quirks="English headers in mixed case with spaces; an extra column (Notes) the contract does not know, carried "
    "in _extra; no final newline; values that already hold U+FFFD (lost upstream); a provider sent again with a "
    "revised capacity (the transform keeps the latest).",
    records=(
        ok("Hidroeléctrica del Sinú S.A. E.S.P.", "hydro", "Colombia", "345.25", "capacity revised after maintenance"),
        bad(
            "energy_type_missing",
            "the energy type is empty",
            "Eólica Puerto Bolívar S.A.S.",
            "",
            "Colombia",
            "200",
            "type pending",
        ),
        ok("Candu Energy North Ltd.", "NUCLEAR", "Canada", "880", "new supplier"),
        bad(
            "capacity_mw_too_many_decimals",
            "capacity_mw is decimal(12,3): 5 decimal places do not fit",
            "Hidroenergía Porce S.A. E.S.P.",
            "hydro",
            "Colombia",
            "426.12345",
            "",
        ),
        bad(
            "capacity_mw_out_of_range",
            "1.2 GW sent in watts (1200000000) does not fit decimal(12,3)",
            "Vientos de Manaure S.A.S.",
            "wind",
            "Colombia",
            "1200000000",
            "sent in W",
        ),
        ok("Parque Eólico Jepírachi S.A.S. E.S.P.", "Wind", "Colombia", "19.5", ""),
        bad(
            "provider_name_bad_encoding",
            "the name holds U+FFFD where 'é' was lost",
            f"Hidroel{U}ctrica Sogamoso S.A. E.S.P.",
            "hydro",
            "Colombia",
            "820",
            "",
        ),
        bad(
            "energy_type_bad_encoding",
            "the energy type holds U+FFFD ('e?lica')",
            "Eólica Camarones S.A.S.",
            f"e{U}lica",
            "Colombia",
            "30",
            "",
        ),
        bad(
            "capacity_mw_bad_encoding",
            "a non-breaking thousands separator lost upstream ('1?250')",
            "Generadora Nare S.A.",
            "hydro",
            "Colombia",
            f"1{U}250",
            "",
        ),
        bad("wrong_field_count", "a truncated record: 2 fields, not 5", raw="Atómica del Sur S.A.,nuclear"),
        ok("Laguna Nuclear S.A. de C.V.", "nuclear", "México", "1510.3", "new supplier"),
    ),
)

N_CARNICAS, N_TEXTILES, N_ANDINA = nit("800123456"), nit("900876543"), nit("830045678")
N_SABANA, N_ANDES, N_LACTEOS, N_CEMENTOS = nit("901234567"), nit("860012345"), nit("811012345"), nit("890912345")

CUSTOMERS_05 = Feed(
    "customers",
    "2026-01-05",
    "clientes.csv",
    ("Tipo de Identificación", " Número de Identificación ", "NOMBRE", "Ciudad"),
    quirks="UTF-8 without byte-order mark, LF; Spanish headers with accents, padding spaces and upper case; document "
    "types as codes in any case and spelled out (Cédula de Ciudadanía, Pasaporte); a quoted company name holding a "
    "comma; values padded with spaces; a city without its accent; one customer row sent twice (kept in raw, one "
    "current row in transform).",
    records=(
        ok("CC", "1012345678", "Laura Martínez Gómez", "Bogotá"),
        ok("NIT", N_CARNICAS, "Industrias Cárnicas del Valle S.A.S.", "Cali"),
        ok("cc", "1098765432", "Carlos Gómez Restrepo", "Medellín"),
        bad(
            "id_type_not_allowed",
            "a Spanish DNI is not one of CC, CE, NIT, TI, PA",
            "DNI",
            "12345678Z",
            "Javier Fernández Ruiz",
            "Madrid",
        ),
        ok("Cédula de Ciudadanía", "52345678", "María Fernanda Ospina", "Bogota"),
        ok("NIT", N_TEXTILES, "Textiles del Norte, S.A.S.", "Barranquilla"),
        bad(
            "id_number_bad_format",
            "a space inside the document number ('1.023 456')",
            "CC",
            "1.023 456",
            "Ana Sofía Cárdenas",
            "Manizales",
        ),
        ok("CE", "456789", "Jean-Pierre Dubois", "Cartagena"),
        bad("customer_name_missing", "the customer name is empty", "CC", "1023456789", "", "Ibagué"),
        ok("Pasaporte", "AB1234567", "John Smith", "Santa Marta"),
        bad("city_missing", "the city is only spaces", "NIT", N_ANDINA, "Alimentos Andina S.A.S.", "   "),
        ok("TI", "1001234567", "Valentina Rojas Peña", "Bucaramanga"),
        bad("id_type_missing", "the document type is empty", "", "1034567890", "Diego Salazar Henao", "Pasto"),
        ok("nit", N_SABANA, "Hoteles La Sabana S.A.", "Villavicencio"),
        bad(
            "wrong_field_count",
            "a company name with an unquoted comma: 5 fields, not 4",
            raw=f"NIT,{N_ANDES},Grupo Constructora Los Andes, S.A.S.,Tunja",
        ),
        ok("CC", "79876543", "José Luis Pérez Muñoz", "Cúcuta"),
        ok("CC", "79876543", "José Luis Pérez Muñoz", "Cúcuta"),
        bad(
            "id_type_bad_encoding",
            "'Cédula' with U+FFFD where 'é' was lost",
            f"C{U}dula",
            "80123456",
            "Andrés Felipe Mejía",
            "Medellín",
        ),
        bad(
            "id_number_bad_encoding",
            "non-breaking thousands separators lost upstream ('1?045?678')",
            "CC",
            f"1{U}045{U}678",
            "Paula Andrea Giraldo",
            "Pereira",
        ),
        bad(
            "customer_name_bad_encoding",
            "the name holds U+FFFD where the accents were lost",
            "CC",
            "1045678901",
            f"Mar{U}a Jos{U} Le{U}n",
            "Cali",
        ),
        bad(
            "city_bad_encoding",
            "'Bogotá' with U+FFFD where 'á' was lost",
            "CC",
            "1056789012",
            "Natalia Henao Ríos",
            f"Bogot{U}",
        ),
        ok("CC", " 43210987 ", "Ángela Zapata Arango", "  Pereira"),
    ),
)

CUSTOMERS_06 = Feed(
    "customers",
    "2026-01-06",
    "clientes_excel.csv",
    ("Tipo Documento", "Número Documento", "Nombre del Cliente", "Municipio"),
    encoding="cp1252",
    delimiter=";",
    newline="\r\n",
    quirks="Spanish spreadsheet export: Windows-1252, semicolon delimiter, CRLF; Spanish header synonyms (Tipo "
    "Documento, Municipio); Cédula de Extranjería and Pasaporte spelled out; a customer of the first day sent again.",
    records=(
        ok("CC", "1020304050", "Sebastián Londoño Arango", "Envigado"),
        ok("NIT", N_LACTEOS, "Lácteos del Huila S.A.S.", "Neiva"),
        ok("Cédula de Extranjería", "987654", "Marie Lefèvre", "Cartagena"),
        bad("id_number_missing", "the document number is empty", "CC", "", "Héctor Quintero Ortiz", "Armenia"),
        ok("Pasaporte", "XK987654", "Ólafur Jónsson", "Medellín"),
        bad(
            "id_type_not_allowed",
            "RC (registro civil, a minor's registry) is not an accepted document type",
            "RC",
            "1105678901",
            "Isabella Mejía Duarte",
            "Tunja",
        ),
        ok("CC", "1012345678", "Laura Martínez Gómez", "Bogotá"),
        bad(
            "id_number_bad_format",
            "a slash is not allowed in a document number ('830.045.678/1')",
            "NIT",
            "830.045.678/1",
            "Alimentos Andina S.A.S.",
            "Bogotá",
        ),
        ok("CC", "39456123", "Martha Lucía Ríos", "Popayán"),
        bad(
            "wrong_field_count",
            "the city and its delimiter are missing: 3 fields, not 4",
            raw="CC;1030405060;Germán Ibarra Fuentes",
        ),
        ok("NIT", N_CEMENTOS, "Cementos del Llano S.A.", "Villavicencio"),
    ),
)

TX_HEADER_ES = (
    "ID Transacción",
    "Tipo de Transacción",
    "Nombre del Cliente/Proveedor",
    "Cantidad (MWh)",
    "Precio",
    "Tipo de Energía",
    "Fecha",
)
TRANSACTIONS_05 = Feed(
    "transactions",
    "2026-01-05",
    "transacciones.csv",
    TX_HEADER_ES,
    quirks="UTF-8, LF; Spanish headers with accents, a slash and brackets; transaction and energy types in Spanish, "
    "any case (Venta, COMPRA, EOLICA, eólica); a quoted counterparty holding a comma; a counterparty in upper case "
    "and one without its comma (both resolve by normalised name); one trade sent twice with the same id (kept in "
    "raw, deduplicated in transform).",
    records=(
        ok(
            "T-0105-001",
            "COMPRA",
            "Parque Eólico Alta Guajira S.A.S. E.S.P.",
            "500",
            "152.3",
            "eólica",
            "2026-01-05 08:15",
        ),
        ok("T-0105-002", "Venta", "Laura Martínez Gómez", "120.5", "210.75", "eólica", "2026-01-05 09:02"),
        ok(
            "T-0105-003",
            "compra",
            "Hidroeléctrica del Sinú S.A. E.S.P.",
            "800",
            "131.2",
            "hidroeléctrica",
            "2026-01-05 09:30",
        ),
        ok(
            "T-0105-004",
            "venta",
            "Industrias Cárnicas del Valle S.A.S.",
            "650",
            "188.4",
            "Hidroeléctrica",
            "2026-01-05 10:00",
        ),
        bad(
            "transaction_id_bad_format",
            "a space inside the id ('T 0105-005')",
            "T 0105-005",
            "venta",
            "Carlos Gómez Restrepo",
            "90",
            "205",
            "nuclear",
            "2026-01-05 10:12",
        ),
        ok("T-0105-006", "Compra", "Atómica del Sur S.A.", "1000", "170.55", "Nuclear", "2026-01-05 10:45"),
        bad(
            "transaction_type_not_allowed",
            "a return (devolución) is neither a buy nor a sell",
            "T-0105-007",
            "devolución",
            "Carlos Gómez Restrepo",
            "90",
            "205",
            "nuclear",
            "2026-01-05 11:00",
        ),
        ok("T-0105-008", "VENTA", "Textiles del Norte, S.A.S.", "300", "199.9", "EOLICA", "2026-01-05 11:20"),
        bad(
            "transaction_type_missing",
            "the transaction type is empty",
            "T-0105-009",
            "",
            "Vientos de Uribia S.A.S.",
            "75",
            "148",
            "eólica",
            "2026-01-05 11:40",
        ),
        bad(
            "counterparty_name_missing",
            "the counterparty is empty",
            "T-0105-010",
            "venta",
            "",
            "60",
            "215",
            "hidroeléctrica",
            "2026-01-05 12:00",
        ),
        ok("T-0105-011", "venta", "María Fernanda Ospina", "45.25", "212.125", "eolica", "2026-01-05 12:30"),
        bad(
            "quantity_missing",
            "the quantity is empty",
            "T-0105-012",
            "compra",
            "NucleoPower Ibérica SE",
            "",
            "168",
            "nuclear",
            "2026-01-05 13:00",
        ),
        bad(
            "quantity_not_positive",
            "a trade of 0 MWh",
            "T-0105-013",
            "venta",
            "Jean-Pierre Dubois",
            "0",
            "220",
            "eólica",
            "2026-01-05 13:10",
        ),
        bad(
            "quantity_not_a_number",
            "the quantity is written in words ('doce')",
            "T-0105-014",
            "compra",
            "Generadora Chivor S.A. E.S.P.",
            "doce",
            "140",
            "hidroeléctrica",
            "2026-01-05 13:30",
        ),
        ok("T-0105-015", "Venta", "John Smith", "10", "230", "nuclear", "2026-01-05 14:00"),
        bad(
            "price_negative",
            "a negative price",
            "T-0105-016",
            "venta",
            "Valentina Rojas Peña",
            "25",
            "-85.5",
            "hidroeléctrica",
            "2026-01-05 14:20",
        ),
        bad(
            "price_missing",
            "the price is empty",
            "T-0105-017",
            "compra",
            "Eólica Cabo de la Vela S.A.S.",
            "40",
            "",
            "wind",
            "2026-01-05 14:40",
        ),
        bad(
            "energy_type_not_allowed",
            "solar is not an energy the company trades",
            "T-0105-018",
            "compra",
            "Vientos de Uribia S.A.S.",
            "300",
            "120",
            "solar",
            "2026-01-05 15:00",
        ),
        bad(
            "energy_type_missing",
            "the energy type is empty",
            "T-0105-019",
            "venta",
            "Hoteles La Sabana S.A.",
            "80",
            "201",
            "",
            "2026-01-05 15:20",
        ),
        bad(
            "traded_at_ambiguous_date",
            "a comma-separated file does not say whether 05/01 is the 5th of January or the 1st of May",
            "T-0105-020",
            "venta",
            "José Luis Pérez Muñoz",
            "35",
            "207.5",
            "nuclear",
            "05/01/2026 15:45",
        ),
        ok("T-0105-021", "venta", "José Luis Pérez Muñoz", "35", "207.5", "nuclear", "2026-01-05 15:45"),
        ok("T-0105-021", "venta", "José Luis Pérez Muñoz", "35", "207.5", "nuclear", "2026-01-05 15:45"),
        ok(
            "T-0105-022",
            "compra",
            "Energías Renovables del Caribe S.A.S.",
            "220",
            "149.8",
            "eólica",
            "2026-01-05 16:00",
        ),
        ok("T-0105-023", "VENTA", "LAURA MARTÍNEZ GÓMEZ", "55", "209", "hidroeléctrica", "2026-01-05T16:30:00-05:00"),
    ),
)

TRANSACTIONS_05_B = Feed(
    "transactions",
    "2026-01-05",
    "trades_desk_b.csv",
    ("Transaction_Type", "Counterparty", "Quantity_MWh", "Price_per_MWh", "Energy Type", "Traded At"),
    bom=True,
    newline="\r\n",
    quirks="UTF-8 with byte-order mark, CRLF; English header synonyms in mixed case; no transaction id (derived from "
    "file and record); a quoted thousands separator ('1,250.5', valid); the same trade twice without an id (two "
    "trades, both kept); a date without time; raw Windows-1252 bytes in one name; a sell to a customer no customers "
    "feed knows (valid, flagged unresolved in transform).",
    records=(
        ok("buy", "Central Hidroeléctrica Río Cauca S.A. E.S.P.", "1500", "128.75", "hydro", "2026-01-05T07:00:00Z"),
        ok("sell", "Carlos Gómez Restrepo", "200", "211.4", "wind", "2026-01-05T08:30:00Z"),
        bad(
            "quantity_too_many_decimals",
            "quantity is decimal(18,3): 4 decimal places do not fit",
            "sell",
            "Laura Martínez Gómez",
            "12.3456",
            "210",
            "wind",
            "2026-01-05T09:00:00Z",
        ),
        bad(
            "quantity_out_of_range",
            "1e20 MWh does not fit decimal(18,3)",
            "buy",
            "Atómica del Sur S.A.",
            "1e20",
            "171",
            "nuclear",
            "2026-01-05T09:30:00Z",
        ),
        ok("sell", "Industrias Cárnicas del Valle S.A.S.", "1,250.5", "190.2", "hydro", "2026-01-05T10:00:00Z"),
        bad(
            "price_too_many_decimals",
            "price is decimal(18,4): 6 decimal places do not fit",
            "buy",
            "Vientos de Uribia S.A.S.",
            "80",
            "147.123456",
            "wind",
            "2026-01-05T10:30:00Z",
        ),
        bad(
            "price_not_a_number",
            "a currency code inside the price ('USD 200')",
            "sell",
            "Hoteles La Sabana S.A.",
            "70",
            "USD 200",
            "hydro",
            "2026-01-05T11:00:00Z",
        ),
        bad(
            "counterparty_name_bad_encoding",
            "'José Luis Pérez Muñoz' with raw Windows-1252 bytes (0xE9, 0xF1) in a UTF-8 file",
            "sell",
            "Jos\udce9 Luis P\udce9rez Mu\udcf1oz",
            "30",
            "208",
            "nuclear",
            "2026-01-05T11:30:00Z",
        ),
        bad(
            "quantity_bad_encoding",
            "a non-breaking thousands separator lost upstream ('1?500')",
            "buy",
            "Hidroeléctrica del Sinú S.A. E.S.P.",
            f"1{U}500",
            "130",
            "hydro",
            "2026-01-05T12:00:00Z",
        ),
        bad(
            "wrong_field_count",
            "an unquoted thousands separator ('1,500.5'): 7 fields, not 6",
            raw="sell,Laura Martínez Gómez,1,500.5,212,wind,2026-01-05T12:30:00Z",
        ),
        ok("buy", "NucleoPower Ibérica SE", "400", "169.9", "nuclear", "2026-01-05T13:00:00Z"),
        ok("buy", "NucleoPower Ibérica SE", "400", "169.9", "nuclear", "2026-01-05T13:00:00Z"),
        ok("sell", "Ángela Zapata Arango", "15.75", "214.5", "wind", "2026-01-05"),
        ok("sell", "Comercializadora Sin Registro S.A.S.", "100", "200", "hydro", "2026-01-05T15:00:00Z"),
    ),
)

TRANSACTIONS_06_EXCEL = Feed(
    "transactions",
    "2026-01-06",
    "transacciones_excel.csv",
    ("Tipo de Transacción", "Nombre Entidad", "Cantidad", "Precio", "Tipo de Energía", "Fecha de Transacción"),
    encoding="cp1252",
    delimiter=";",
    newline="\r\n",
    decimal_comma=True,
    quirks="Spanish spreadsheet export: Windows-1252, semicolon delimiter, decimal comma with '.' thousands "
    "separators ('1.234,5', '2.000'), CRLF; no transaction id.",
    records=(
        ok("Compra", "Hidroeléctrica del Sinú S.A. E.S.P.", "1.234,5", "129,8", "hidroeléctrica", "2026-01-06 08:00"),
        ok("Venta", "Sebastián Londoño Arango", "0,75", "215,25", "eólica", "2026-01-06 08:30"),
        bad(
            "price_out_of_range",
            "15 integer digits: decimal(18,4) holds 14",
            "Venta",
            "Lácteos del Huila S.A.S.",
            "150",
            "123456789012345,5",
            "hidroeléctrica",
            "2026-01-06 09:00",
        ),
        ok("Compra", "Candu Energy North Ltd.", "2.000", "165", "nuclear", "2026-01-06 09:30"),
        bad(
            "quantity_not_positive",
            "a negative quantity (a return is not a trade)",
            "Venta",
            "Marie Lefèvre",
            "-10,5",
            "220",
            "eólica",
            "2026-01-06 10:00",
        ),
        bad(
            "energy_type_not_allowed",
            "coal (carbón) is not an energy the company trades",
            "Compra",
            "Termoeléctrica La Sierra S.A. E.S.P.",
            "300",
            "118,4",
            "carbón",
            "2026-01-06 10:30",
        ),
        bad(
            "transaction_type_not_allowed",
            "a cancelled trade (anulada) is neither a buy nor a sell",
            "anulada",
            "Martha Lucía Ríos",
            "20",
            "211",
            "nuclear",
            "2026-01-06 11:00",
        ),
        ok("Venta", "Cementos del Llano S.A.", "900", "186,125", "Hidroeléctrica", "2026-01-06 11:30"),
        bad(
            "price_too_many_decimals",
            "price is decimal(18,4): 5 decimal places do not fit",
            "Compra",
            "Vientos de Uribia S.A.S.",
            "60",
            "147,12345",
            "eólica",
            "2026-01-06 12:00",
        ),
        bad(
            "quantity_not_a_number",
            "the unit was typed into the number ('12,5 MWh')",
            "Venta",
            "Ólafur Jónsson",
            "12,5 MWh",
            "230",
            "nuclear",
            "2026-01-06 12:30",
        ),
        bad("wrong_field_count", "a truncated record: 4 fields, not 6", raw="Venta;Martha Lucía Ríos;20;211"),
        ok("VENTA", "Laura Martínez Gómez", "85,5", "209,9", "EÓLICA", "2026-01-06 13:30"),
    ),
)

TRANSACTIONS_06 = Feed(
    "transactions",
    "2026-01-06",
    "trades_2026-01-06.csv",
    (
        "transaction_id",
        "transaction_type",
        "counterparty_name",
        "quantity",
        "price",
        "energy_type",
        "traded_at",
        "desk",
    ),
    final_newline=False,
    quirks="UTF-8, LF, no final newline; the contract's own English headers plus an extra column (desk), carried in "
    "_extra; timestamps with Z, with an offset, without seconds and date only; a counterparty padded with spaces "
    "and one in upper case; a quoted thousands separator; one trade sent twice with the same id; values that "
    "already hold U+FFFD.",
    records=(
        ok(
            "TX-0106-0001",
            "buy",
            "Parque Eólico Jepírachi S.A.S. E.S.P.",
            "250",
            "151.2",
            "wind",
            "2026-01-06T07:15:00Z",
            "renewables",
        ),
        ok(
            "TX-0106-0002",
            "sell",
            "Sebastián Londoño Arango",
            "18.4",
            "213.6",
            "wind",
            "2026-01-06T07:45:00Z",
            "retail",
        ),
        bad(
            "transaction_id_bad_encoding",
            "the id holds U+FFFD",
            f"TX-0106-{U}003",
            "sell",
            "Carlos Gómez Restrepo",
            "40",
            "212",
            "wind",
            "2026-01-06T08:00:00Z",
            "retail",
        ),
        ok(
            "TX-0106-0004",
            "buy",
            "Laguna Nuclear S.A. de C.V.",
            "1200",
            "168.25",
            "nuclear",
            "2026-01-06T08:30:00-06:00",
            "baseload",
        ),
        bad(
            "transaction_type_bad_encoding",
            "the transaction type holds U+FFFD ('Vent?')",
            "TX-0106-0005",
            f"Vent{U}",
            "John Smith",
            "12",
            "229",
            "nuclear",
            "2026-01-06T09:00:00Z",
            "retail",
        ),
        bad(
            "price_bad_encoding",
            "the decimal separator was lost upstream ('130?5')",
            "TX-0106-0006",
            "buy",
            "Hidroeléctrica del Sinú S.A. E.S.P.",
            "700",
            f"130{U}5",
            "hydro",
            "2026-01-06T09:30:00Z",
            "hydro desk",
        ),
        ok("TX-0106-0007", "sell", " Marie Lefèvre ", "22", "218.5", "Eólica", "2026-01-06", "retail"),
        bad(
            "energy_type_bad_encoding",
            "the energy type holds U+FFFD ('hidroel?ctrica')",
            "TX-0106-0008",
            "buy",
            "Hidroenergía Porce S.A. E.S.P.",
            "300",
            "133",
            f"hidroel{U}ctrica",
            "2026-01-06T10:00:00Z",
            "hydro desk",
        ),
        bad(
            "traded_at_bad_encoding",
            "the timestamp holds U+FFFD ('2026-01-06 10?30')",
            "TX-0106-0009",
            "sell",
            "Cementos del Llano S.A.",
            "400",
            "187",
            "hydro",
            f"2026-01-06 10{U}30",
            "industrial",
        ),
        ok(
            "TX-0106-0010",
            "sell",
            "Lácteos del Huila S.A.S.",
            "1,100",
            "188.75",
            "hydro",
            "2026-01-06 11:00",
            "industrial",
        ),
        ok(
            "TX-0106-0011",
            "buy",
            "Candu Energy North Ltd.",
            "500",
            "166.4",
            "NUCLEAR",
            "2026-01-06T11:30:00Z",
            "baseload",
        ),
        ok(
            "TX-0106-0011",
            "buy",
            "Candu Energy North Ltd.",
            "500",
            "166.4",
            "NUCLEAR",
            "2026-01-06T11:30:00Z",
            "baseload",
        ),
        bad(
            "traded_at_not_a_timestamp",
            "there is no hour 25",
            "TX-0106-0012",
            "sell",
            "Martha Lucía Ríos",
            "12",
            "212",
            "nuclear",
            "2026-01-06 25:00",
            "retail",
        ),
        ok(
            "TX-0106-0013", "sell", "VALENTINA ROJAS PEÑA", "9.5", "224", "hidráulica", "2026-01-06T13:00:00Z", "retail"
        ),
    ),
)

RESENT = Feed(
    "transactions",
    "2026-01-06",
    "trades_desk_b_resent.csv",
    TRANSACTIONS_05_B.header,
    TRANSACTIONS_05_B.records,
    bom=True,
    newline="\r\n",
    copy_of=TRANSACTIONS_05_B.rel,
    quirks=f"Byte-identical copy of {TRANSACTIONS_05_B.rel}, sent again under another name the next day: every "
    "record is quarantined as duplicate_file.",
)

FEEDS = (
    PROVIDERS_05,
    PROVIDERS_06,
    CUSTOMERS_05,
    CUSTOMERS_06,
    TRANSACTIONS_05,
    TRANSACTIONS_05_B,
    TRANSACTIONS_06_EXCEL,
    TRANSACTIONS_06,
    RESENT,
)


@dataclass
class Built:
    files: dict[str, bytes] = field(default_factory=dict)
    expectations: dict[str, Any] = field(default_factory=dict)
    readme: str = ""


def _bad_rows(feed: Feed) -> list[dict[str, Any]]:
    if feed.copy_of:
        why = f"byte-identical to {feed.copy_of}, ingested before"
        return [
            {"file": feed.rel, "record": n + 2, "rule": "duplicate_file", "why": why} for n in range(len(feed.records))
        ]
    return [
        {"file": feed.rel, "record": n + 2, "rule": r.rule, "why": r.why} for n, r in enumerate(feed.records) if r.rule
    ]


def _dialect(feed: Feed) -> dict[str, Any]:
    return {
        "encoding": "UTF-8" if feed.encoding == "utf-8" else "windows-1252",
        "delimiter": feed.delimiter,
        "decimal_comma": feed.decimal_comma,
        "bom": feed.bom,
        "line_ends": "CRLF" if feed.newline == "\r\n" else "LF",
        "final_newline": feed.final_newline,
    }


def expectations() -> dict[str, Any]:
    files: dict[str, Any] = {}
    bad_rows: list[dict[str, Any]] = []
    entities: dict[str, Any] = {}
    for feed in FEEDS:
        rows = _bad_rows(feed)
        bad_rows += rows
        reasons = dict(sorted(Counter(r["rule"] for r in rows).items()))
        files[feed.rel] = {
            "entity": feed.entity,
            "rows_read": len(feed.records),
            "rows_valid": len(feed.records) - len(rows),
            "rows_quarantined": len(rows),
            "reasons": reasons,
            "dialect": _dialect(feed),
            "quirks": feed.quirks,
        }
        e = entities.setdefault(
            feed.entity,
            {"files": 0, "rows_read": 0, "rows_valid": 0, "rows_quarantined": 0, "quarantine_reasons": Counter()},
        )
        e["files"] += 1
        for key in ("rows_read", "rows_valid", "rows_quarantined"):
            e[key] += files[feed.rel][key]
        e["quarantine_reasons"].update(reasons)
    for e in entities.values():
        e["quarantine_reasons"] = dict(sorted(e["quarantine_reasons"].items()))
    return {
        "about": "Expected landing -> raw outcome of data/landing; written by data/make_samples.py, do not edit.",
        "record_numbering": "header is record 1, the first data record 2 (the pipeline's _source_line)",
        "entities": {k: entities[k] for k in ("providers", "customers", "transactions")},
        "files": files,
        "bad_rows": bad_rows,
    }


def _md(text: str) -> str:
    shown = text.replace("|", "\\|").replace(U, "U+FFFD")
    return "".join(f"\\x{ord(ch) - 0xDC00:02X}" if 0xDC80 <= ord(ch) <= 0xDCFF else ch for ch in shown)


def bad_rows_table(doc: dict[str, Any]) -> str:
    lines = ["| file | record | rule | why |", "|---|---:|---|---|"]
    lines += [f"| `{r['file']}` | {r['record']} | `{r['rule']}` | {_md(r['why'])} |" for r in doc["bad_rows"]]
    return "\n".join(lines)


def inventory_table(doc: dict[str, Any]) -> str:
    lines = ["| file | dialect | records | valid | quarantined | quirks |", "|---|---|---:|---:|---:|---|"]
    for rel, f in doc["files"].items():
        d = f["dialect"]
        dialect = f"{d['encoding']}{' + BOM' if d['bom'] else ''}, `{d['delimiter']}`, {d['line_ends']}"
        dialect += ", decimal comma" if d["decimal_comma"] else ""
        dialect += ", no final newline" if not d["final_newline"] else ""
        lines.append(
            f"| `{rel}` | {dialect} | {f['rows_read']} | {f['rows_valid']} | {f['rows_quarantined']} | "
            f"{_md(f['quirks'])} |"
        )
    return "\n".join(lines)


def replace_between(text: str, name: str, body: str) -> str:
    begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
    head, rest = text.split(begin, 1)
    _, tail = rest.split(end, 1)
    return f"{head}{begin}\n{body}\n{end}{tail}"


def build() -> Built:
    built = Built()
    for feed in FEEDS:
        built.files[feed.rel] = built.files[feed.copy_of] if feed.copy_of else feed.content()
    built.expectations = expectations()
    readme = README.read_text("utf-8")
    readme = replace_between(readme, "inventory", inventory_table(built.expectations))
    built.readme = replace_between(readme, "bad-rows", bad_rows_table(built.expectations))
    return built


def expectations_text(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="only compare; exit 1 when a committed file differs")
    args = parser.parse_args(argv)
    built = build()
    wanted = {LANDING / rel: content for rel, content in built.files.items()}
    wanted[EXPECTATIONS] = expectations_text(built.expectations).encode("utf-8")
    wanted[README] = built.readme.encode("utf-8")
    stray = sorted(p for p in LANDING.rglob("*") if p.is_file() and p not in wanted) if LANDING.exists() else []
    if args.check:
        differ = [p for p, content in wanted.items() if not p.is_file() or p.read_bytes() != content]
        for path in [*differ, *stray]:
            print(f"differs from data/make_samples.py: {path.relative_to(DATA.parent)}")
        return 1 if differ or stray else 0
    for path in stray:
        path.unlink()
    for path, content in wanted.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    print(
        f"wrote {len(built.files)} feeds under {LANDING.relative_to(DATA.parent)}, "
        f"{EXPECTATIONS.relative_to(DATA.parent)} and the tables of {README.relative_to(DATA.parent)}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
