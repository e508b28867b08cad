"""Hypothesis generators of landing feeds, built from the entity contracts, and their oracle.

Every generated value carries what the test expects of it, decided from the generation choice and
never by the pipeline's code: a cell is either valid (with the exact value the transform zone must
hold: a ``Decimal`` computed in Python, a canonical code, a UTC timestamp text, a matching key) or
invalid with the one rule code its column must fail with. Records add record-level faults (wrong
field counts, an unclosed quote, a line of spaces) and files add dialect choices (encoding, byte-order
mark, delimiter and decimal notation, line ends, blank lines, header spellings, column order, extra
columns) and file-level faults (a required column missing, an empty file, a byte-identical copy).

Generation limits (documented behaviour, not bugs; see the report in tests/property/README.md):

- a ``;`` file's decimal separator is decided from its first records' values (``sniff.py``): a
  ``;`` file with numbers holds one unambiguous number in its first record (``12,5`` or ``12.5``), and
  a ``;`` point-notation file holds no cell that reads as a decimal comma (``1,234``, ``12,5``);
- a file is Windows-1252 only when it is not valid UTF-8: Windows-1252 files hold only Latin-1
  letters (never a byte pair that is valid UTF-8); raw invalid bytes go into UTF-8 files, and one
  without a BOM gets one when its raw bytes outnumber its UTF-8 characters' continuation bytes (without
  a mark such a file is no longer "UTF-8 with a few stray bytes": etl/landing/encoding.py's decision table);
- a quoted field starts at the beginning of its cell; an unclosed quote only occurs in the last
  record of a file (a file cut in transfer);
- CR-only (old Mac) files hold no line break inside a value;
- timestamps: ISO 8601 extended offsets (``+05:00``) and at most 6 fraction digits, as documented.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from energy_lake.etl.model.contracts import Column, Contract, load_contract

ENTITIES = ("providers", "customers", "transactions")
DATES = ("2024-03-01", "2024-03-02")

# ------------------------------------------------------------------ independent helpers


def key(text: str) -> str:
    """The matching key the contracts document: no accents or case, other characters as ``_``."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    return re.sub(r"[^a-z0-9]+", "_", text).strip("_")


def collapse(text: str) -> str | None:
    """Trimmed, runs of ASCII whitespace as one space, empty as None (the transform's text cleaning)."""
    out = re.sub(r"[ \t\n\r\x0b\x0c]+", " ", text).strip(" ")
    return out or None


def strip_accents(text: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFD", text) if not unicodedata.combining(ch))


def decoded(text: str) -> str:
    """What a reader sees of a cell written with raw bytes (lone surrogates) in a UTF-8 file."""
    return re.sub(r"[\udc80-\udcff]", "\ufffd", text)


def derived_id(source_file: str, line: int) -> str:
    return "d-" + hashlib.sha256(f"{source_file}:{line}".encode()).hexdigest()[:24]


def needed_scale(value: Decimal) -> int:
    """Decimal places a number really needs (trailing zeros do not count), computed on its digits."""
    _, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)
    text = "".join(map(str, digits)).rstrip("0")
    if not text:
        return 0
    return max(0, -(exponent + len(digits) - len(text)))


# ------------------------------------------------------------------ pools (value, matching key)

PROVIDERS = [
    "Energía Verde S.A.",
    "HidroPlus",
    "Eólica del Caribe S.A.S.",
    "Nuclear Ibérica",
    "Vientos del Norte",
    "Hidroeléctrica del Sur",
    "Central Atómica Río Bravo",
    "Energía Nº 1 S.A.",
]
CUSTOMERS = [
    "Laura Martínez",
    "José Núñez",
    "Industria Solar S.A.",
    "Carlos Gómez",
    "María José Peña",
    "Comercializadora Andina Ltda.",
    "Inversiones 1ª Línea",
]
UNKNOWN_COUNTERPARTIES = ["Sin Registro S.A.S.", "Ángela Ruiz"]
COUNTRIES = ["Colombia", "Perú", "España", "México", "Canadá"]
# as sent -> as the transform writes it (accents dropped, title case)
CITIES = {
    "Bogotá": "Bogota",
    "Medellín": "Medellin",
    "Cali": "Cali",
    "Cúcuta": "Cucuta",
    "San Andrés": "San Andres",
    "Santa Marta": "Santa Marta",
    "Ibagué": "Ibague",
}
NOT_ALLOWED = ["solar", "térmica", "carbón", "swap", "devolución", "anulada", "DNI", "RC", "gas natural", "x"]
# Columns no contract knows, as written -> their key in _extra (a second "notes" becomes "notes_2").
EXTRA_HEADERS = {
    "Notes": "notes",
    "NOTES": "notes",
    "Desk": "desk",
    "Región": "region",
    "Comentario Interno": "comentario_interno",
}
EXTRA_VALUES = ["urgente", "", "desk A", "nota; con punto y coma", "a, b", 'dijo "hola"', "línea\nnueva", "  x  "]
NOT_NUMBERS_ANY = ["doce", "12 MWh", "USD 200", "1 234", "1e", "e5", "1.2.3", "--5", "12abc", "NaN", "Infinity", "-"]
NOT_NUMBERS_POINT = ["1,5", "12,34"]  # a decimal comma in a point-notation file
NOT_NUMBERS_COMMA = ["1.5", "12.34", "1,234.5"]  # point notation in a decimal-comma file
NOT_NUMBERS_UNICODE = ["٣", "１２"]  # digits that are not ASCII
NOT_TIMESTAMPS = ["2026-01-06 25:00", "2026-02-30", "ayer", "2026-13-01", "20260106", "05/01/26", "15-01-2026"]
NOT_DAY_FIRST = ["31/04/2026", "29/02/2025", "15/13/2026", "15/01/2026 24:00", "15/01/2026 10:30:5"]
RAW_BYTES = "".join(chr(0xDC00 + b) for b in range(0x80, 0x100))  # any byte 0x80-0xFF pasted into UTF-8 text
FILE_NAMES = ["feed.csv", "Trades 2024.csv", "transacción.csv", "ventas (1).csv", "datos-b.csv", "z_last.csv"]


def text_pool(entity: str, column: str) -> list[str] | None:
    return {
        ("providers", "provider_name"): PROVIDERS,
        ("providers", "country"): COUNTRIES,
        ("customers", "customer_name"): CUSTOMERS,
        ("customers", "city"): list(CITIES),
        ("transactions", "counterparty_name"): PROVIDERS + CUSTOMERS + UNKNOWN_COUNTERPARTIES,
    }.get((entity, column))


# ------------------------------------------------------------------ what a cell, record and file expect


@dataclass(frozen=True)
class Cell:
    text: str  # as written (lone surrogates stand for raw bytes)
    rule: str | None = None  # the first rule the column fails, None when valid
    value: Any = None  # valid: what the transform zone holds (None for an empty optional value)
    match_key: str | None = None  # valid names: their matching key
    quote: bool = False  # quote even when not needed


@dataclass(frozen=True)
class Record:
    kind: str  # row | short | long | spaces | unclosed | copy
    cells: tuple[Cell, ...]  # per file column, in file order
    text_override: str | None = None  # the record's exact text when it is not the cells joined


@dataclass
class FeedFile:
    entity: str
    date: str
    name: str
    encoding: str  # utf-8 | utf-8-sig | cp1252
    delimiter: str
    decimal_comma: bool
    newline: str
    final_newline: bool
    header: list[str]  # header cells as written
    columns: list[str]  # per header cell: contract column or "extra:<key>"
    records: list[Record]
    blank_lines: dict[int, int] = field(default_factory=dict)  # before record i (-1: before the header)
    preamble: tuple[str, ...] = ()  # lines of whitespace or delimiters before the header (after its blank lines)
    fault: str | None = None  # missing_columns | empty_file: the file is rejected
    data: bytes = b""

    @property
    def rel_path(self) -> str:
        return f"{self.entity}/ingest_date={self.date}/{self.name}"


def quoted(text: str, delimiter: str, force: bool = False) -> str:
    if force or any(c in text for c in (delimiter, '"', "\n", "\r")):
        return '"' + text.replace('"', '""') + '"'
    return text


def record_text(record: Record, delimiter: str) -> str:
    if record.text_override is not None:
        return record.text_override
    return delimiter.join(quoted(c.text, delimiter, c.quote) for c in record.cells)


def render(feed: FeedFile) -> bytes:
    if feed.fault == "empty_file":
        return b"\xef\xbb\xbf" if feed.encoding == "utf-8-sig" else b""
    lines = [""] * feed.blank_lines.get(-1, 0) + list(feed.preamble)
    lines.append(feed.delimiter.join(quoted(h, feed.delimiter) for h in feed.header))
    for i, record in enumerate(feed.records):
        lines += [""] * feed.blank_lines.get(i, 0)
        lines.append(record_text(record, feed.delimiter))
    lines += [""] * feed.blank_lines.get(len(feed.records), 0)
    text = feed.newline.join(lines) + (feed.newline if feed.final_newline else "")
    if feed.encoding == "cp1252":
        return text.encode("cp1252")
    data = text.encode("utf-8", errors="surrogateescape")
    return (b"\xef\xbb\xbf" + data) if feed.encoding == "utf-8-sig" else data


def parsed(text: str, feed: FeedFile) -> str:
    """A quoted field's value as the CSV reader returns it: line breaks inside quotes become the file's \\n."""
    text = decoded(text)
    return text.replace("\r\n", "\n") if feed.newline == "\r\n" else text


def source_record(record: Record, feed: FeedFile) -> str:
    """The quarantine's source_record: the exact text of a malformed record, else the fields re-assembled."""
    if record.kind in ("short", "long", "spaces", "unclosed"):
        return decoded(record_text(record, feed.delimiter))
    return feed.delimiter.join(quoted(parsed(c.text, feed), feed.delimiter) for c in record.cells)


# ------------------------------------------------------------------ value strategies


@st.composite
def case_and_accents(draw: st.DrawFn, text: str, unicode_ok: bool) -> str:
    """The same text as a person or a spreadsheet may write it: any case, accents dropped or decomposed."""
    if draw(st.booleans()):
        text = strip_accents(text)
    text = draw(st.sampled_from([text, text.upper(), text.lower(), text.title()]))
    if unicode_ok and draw(st.booleans()):
        text = unicodedata.normalize("NFD", text)
    return text


@st.composite
def padded(draw: st.DrawFn, text: str, tabs: bool = True) -> str:
    # Header cells are padded with spaces only: a tab there would make the file tab-delimited.
    pad = st.sampled_from(["", "", " ", "  ", "\t", "\t "] if tabs else ["", "", " ", "   "])
    return draw(pad) + text + draw(pad)


@st.composite
def bad_encoding(draw: st.DrawFn, text: str, raw_bytes: bool) -> str:
    """``text`` with one character lost: U+FFFD sent as such, or a raw Windows-1252 byte in a UTF-8 file."""
    lost = draw(st.sampled_from(RAW_BYTES)) if raw_bytes and draw(st.booleans()) else "\ufffd"
    at = draw(st.integers(0, max(0, len(text) - 1)))
    return text[:at] + lost + text[at + 1 :]


def _decimal_values(precision: int, scale: int) -> st.SearchStrategy[Decimal]:
    top = precision - scale
    places = st.integers(0, scale + 3)
    ordinary = st.builds(lambda n, k: Decimal(n).scaleb(-k), st.integers(-(10**6), 10**9), places)
    edges = st.sampled_from(
        [
            Decimal(10) ** top - Decimal(1).scaleb(-scale),  # the largest value that fits
            Decimal(10) ** top,  # one too many integer digits
            -(Decimal(10) ** top - Decimal(1).scaleb(-scale)),
            Decimal(1).scaleb(-scale),  # the smallest step
            Decimal(5).scaleb(-scale - 1),  # half a step: one decimal too many
            Decimal("0"),
            Decimal("-0"),
            Decimal("1e20"),
            Decimal("1e400"),  # huge
            Decimal("1e-400"),  # tiny
            Decimal("0e-400"),  # zero with 400 decimal places
            Decimal("1234567.5"),
        ]
    )
    wide = st.builds(lambda n, e: Decimal(n).scaleb(e), st.integers(1, 10**20), st.integers(-40, 40))
    return st.one_of(ordinary, ordinary, edges, wide)


def classify_decimal(value: Decimal, column: Column) -> str | None:
    """The rule a number breaks, from its exact value and the contract (None: it fits)."""
    assert column.decimal
    precision, scale = column.decimal
    if needed_scale(value) > scale:
        return f"{column.name}_too_many_decimals"
    if abs(value) >= Decimal(10) ** (precision - scale):
        return f"{column.name}_out_of_range"
    if column.min_exclusive is not None and value <= column.min_exclusive:
        return f"{column.name}_{'not_positive' if column.min_exclusive == 0 else 'too_small'}"
    if column.min is not None and value < column.min:
        return f"{column.name}_{'negative' if column.min == 0 else 'too_small'}"
    return None


def _group(digits: str, sep: str) -> str:
    head = len(digits) % 3 or 3
    return digits[:head] + "".join(sep + digits[i : i + 3] for i in range(head, len(digits), 3))


@st.composite
def number_text(draw: st.DrawFn, value: Decimal, decimal_comma: bool, anchor: str | None) -> str:
    """``value`` written plainly, with thousands separators, with an exponent, padded with zeros.

    ``anchor`` (``"comma"`` or ``"point"``): written so that it alone decides a ``;`` file's notation.
    """
    sign = "-" if value.is_signed() else ""
    style = "plain" if anchor else draw(st.sampled_from(["plain", "plain", "grouped", "exponent"]))
    shift = draw(st.one_of(st.integers(-12, 12), st.integers(-45, 45))) if style == "exponent" else 0
    if style == "exponent" and abs(value.adjusted()) > 300:
        shift = value.adjusted()  # 1e400 as 1e400, not as 400 zeros and an exponent
    mantissa = abs(value).scaleb(-shift)
    plain = format(mantissa, "f")
    whole, _, frac = plain.partition(".")
    frac += "0" * draw(st.sampled_from([0, 0, 1, 2, 40]))  # zeros that do not count
    if anchor == "comma" and not frac:
        frac = "0"
    if anchor == "point" and len(frac) in (0, 3):
        frac += "0"  # 1-2 or 4+ places: never read as a thousands group
    if style == "grouped" and len(whole) > 3:
        sep = "." if decimal_comma else ","
        whole = _group(whole, sep)
        if not decimal_comma and not frac:
            frac = "0"  # "1,234" alone could be a decimal comma: written "1,234.0"
    elif not anchor and whole != "0" and draw(st.integers(0, 5)) == 0:
        whole = "0" * draw(st.sampled_from([1, 2, 30])) + whole  # leading zeros
    if not anchor and whole == "0" and frac and draw(st.booleans()):
        whole = ""  # ".5"
    point = "," if decimal_comma else "."
    text = whole + (point + frac if frac else (point if not anchor and draw(st.integers(0, 9)) == 0 else ""))
    if not whole and not frac:
        text = "0"
    if style == "grouped" and len(whole) > 3 and draw(st.integers(0, 3)) == 0:
        style, shift = "exponent", 0  # grouped with an exponent: 1,234.5e0
    if style == "exponent":
        text += draw(st.sampled_from(["e", "E"])) + (
            str(shift) if shift < 0 else draw(st.sampled_from(["", "+"])) + str(shift)
        )
    if not sign and not anchor and draw(st.integers(0, 5)) == 0:
        sign = "+"
    return draw(padded(sign + text))


@st.composite
def decimal_cell(
    draw: st.DrawFn,
    column: Column,
    decimal_comma: bool,
    semicolon: bool,
    unicode_ok: bool,
    anchor: str | None,
    clean: bool,
) -> Cell:
    assert column.decimal
    kinds = ["number"] * 8 + ([] if anchor or clean else ["missing", "not_a_number", "encoding"])
    kind = draw(st.sampled_from(kinds))
    if kind == "missing":
        rule = f"{column.name}_missing" if column.required else None
        return Cell(draw(st.sampled_from(["", " ", "   "])), rule)
    if kind == "not_a_number":
        pool = list(NOT_NUMBERS_ANY)
        pool += NOT_NUMBERS_COMMA if decimal_comma else ([] if semicolon else NOT_NUMBERS_POINT)
        pool += NOT_NUMBERS_UNICODE if unicode_ok else []
        return Cell(draw(padded(draw(st.sampled_from(pool)))), f"{column.name}_not_a_number")
    precision, scale = column.decimal
    if clean:
        value = draw(st.builds(lambda n, k: Decimal(n).scaleb(-k), st.integers(1, 10**9), st.integers(0, scale)))
    else:
        value = draw(_decimal_values(precision, scale))
    text = draw(number_text(value, decimal_comma, anchor))
    if kind == "encoding" and unicode_ok:
        return Cell(draw(bad_encoding(text.strip(), False)), f"{column.name}_bad_encoding")
    rule = classify_decimal(value, column)
    return Cell(text, rule, None if rule else value)


@st.composite
def timestamp_cell(draw: st.DrawFn, column: Column, unicode_ok: bool, clean: bool, day_first: bool) -> Cell:
    """``day_first``: the file is in decimal-comma notation, whose dates may be dd/mm/yyyy[ hh:mm[:ss]]."""
    kind = draw(st.sampled_from(["ts"] * 5 + ["slashes"] + ([] if clean else ["missing", "bad", "encoding"])))
    if kind == "missing":
        return Cell(draw(st.sampled_from(["", "  "])), f"{column.name}_missing" if column.required else None)
    if kind == "bad":
        bad = NOT_TIMESTAMPS + (NOT_DAY_FIRST if day_first else [])
        return Cell(draw(padded(draw(st.sampled_from(bad)))), f"{column.name}_not_a_timestamp")
    local = draw(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2030, 12, 31)))
    if kind == "slashes":  # as a spreadsheet writes it: one or two digits for day, month and hour
        local = local.replace(microsecond=0)
        form = draw(st.sampled_from(["date", "minutes", "seconds"]))
        if form == "date":
            local = local.replace(hour=0, minute=0, second=0)
        if form == "minutes":
            local = local.replace(second=0)
        two = draw(st.booleans())
        day, month, hour = (f"{v:02d}" if two else str(v) for v in (local.day, local.month, local.hour))
        text = f"{day}/{month}/{local.year:04d}"
        if form != "date":
            text += f" {hour}:{local.minute:02d}" + (f":{local.second:02d}" if form == "seconds" else "")
        if not day_first:  # no date order decided by the file: never guessed
            if clean:  # clean rows reach the transform: an ISO timestamp instead
                return draw(timestamp_cell(column, unicode_ok, clean, day_first))
            return Cell(draw(padded(text)), f"{column.name}_ambiguous_date")
        return Cell(draw(padded(text)), None, local.strftime("%Y-%m-%d %H:%M:%S.%f"))
    form = draw(st.sampled_from(["seconds", "fraction", "minutes", "date"]))
    sep = draw(st.sampled_from(["T", " "]))
    if form == "date":
        text, instant = local.strftime("%Y-%m-%d"), local.replace(hour=0, minute=0, second=0, microsecond=0)
        offset = None
    else:
        digits = draw(st.integers(1, 6))
        local = local.replace(second=0, microsecond=0) if form == "minutes" else local
        if form == "seconds":
            local = local.replace(microsecond=0)
        if form == "fraction":
            local = local.replace(microsecond=local.microsecond // 10 ** (6 - digits) * 10 ** (6 - digits))
        text = local.strftime(f"%Y-%m-%d{sep}%H:%M" + ("" if form == "minutes" else ":%S"))
        if form == "fraction":
            text += "." + f"{local.microsecond:06d}"[:digits]
        offset = draw(st.one_of(st.none(), st.just(0), st.sampled_from([-300, 330, 60, -210, 720, -720, 45])))
        instant = local
        if offset is not None:
            text += "Z" if offset == 0 and draw(st.booleans()) else _offset(offset)
            instant = (local.replace(tzinfo=UTC) - timedelta(minutes=offset)).replace(tzinfo=None)
    if kind == "encoding" and unicode_ok:
        return Cell(draw(bad_encoding(text, False)), f"{column.name}_bad_encoding")
    return Cell(draw(padded(text)), None, instant.strftime("%Y-%m-%d %H:%M:%S.%f"))


def _offset(minutes: int) -> str:
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


@st.composite
def coded_cell(draw: st.DrawFn, column: Column, unicode_ok: bool, raw_bytes: bool, clean: bool) -> Cell:
    """A column with allowed values: any accepted spelling (synonyms too), in any case and with accents."""
    kind = draw(st.sampled_from(["valid"] * 7 + ([] if clean else ["missing", "not_allowed", "encoding"])))
    if kind == "missing":
        return Cell(draw(st.sampled_from(["", "  ", "\t"])), f"{column.name}_missing" if column.required else None)
    if kind == "not_allowed":
        accepted = {key(v) for v in column.allowed} | {key(k) for k, _ in column.synonyms}
        pool = [w for w in NOT_ALLOWED if key(w) not in accepted]
        word = draw(case_and_accents(draw(st.sampled_from(pool)), unicode_ok))
        return Cell(draw(padded(word)), f"{column.name}_not_allowed")
    canonical = draw(st.sampled_from(column.allowed))
    spellings = [canonical, *[k for k, v in column.synonyms if v == canonical]]
    spelling = draw(st.sampled_from(spellings)).replace("_", draw(st.sampled_from([" ", "_", "-", "  "])))
    spelling = draw(_accented(spelling))
    text = draw(case_and_accents(spelling, unicode_ok))
    if kind == "encoding" and (unicode_ok or raw_bytes):
        return Cell(draw(bad_encoding(text, raw_bytes)), f"{column.name}_bad_encoding")
    return Cell(draw(padded(text)), None, canonical)


@st.composite
def _accented(draw: st.DrawFn, text: str) -> str:
    """Accents where a Spanish speaker might put them (eólica, hidroeléctrica, cédula)."""
    marks = {"a": "á", "e": "é", "i": "í", "o": "ó", "u": "ú", "n": "ñ"}
    chars = list(text)
    for i, ch in enumerate(chars):
        if ch in marks and draw(st.integers(0, 6)) == 0:
            chars[i] = marks[ch]
    return "".join(chars)


@st.composite
def pattern_cell(draw: st.DrawFn, column: Column, unicode_ok: bool, serial: int, clean: bool) -> Cell:
    """A column with a pattern (ids, document numbers): valid ones drawn from the pattern itself."""
    assert column.pattern
    kinds = ["valid"] * 7 + ([] if clean else ["missing", "bad_format", "encoding"])
    kind = draw(st.sampled_from(kinds + (["missing"] if clean and not column.required else [])))
    if kind == "missing":
        rule = f"{column.name}_missing" if column.required else None
        return Cell(draw(st.sampled_from(["", "   "])), rule)
    value = draw(st.from_regex(column.pattern, fullmatch=True).filter(lambda v: len(v) <= 20))
    if serial >= 0:  # unique (transaction ids): a suffix the pattern allows
        value = f"{value}-{serial}" if re.fullmatch(column.pattern, f"{value}-{serial}") else value
    if kind == "bad_format":
        broken = draw(
            st.sampled_from(
                [
                    value[:1] + " " + value[1:],  # a space inside
                    value + "/1",
                    "-" + value,
                    value[:1] + "é" + value[1:],
                    value + "x" * 70,  # too long for either pattern
                    "#",
                ]
            )
        )
        if not unicode_ok:
            broken = broken.replace("é", "/")
        return Cell(draw(padded(broken)), f"{column.name}_bad_format")
    if kind == "encoding" and unicode_ok:
        return Cell(draw(bad_encoding(value, False)), f"{column.name}_bad_encoding")
    return Cell(draw(padded(value)), None, value)


@st.composite
def text_cell(
    draw: st.DrawFn, entity: str, column: Column, delimiter: str, unicode_ok: bool, raw_bytes: bool, clean: bool
) -> Cell:
    """Free text (names, cities, countries) from a pool, written in any case, with accents or not,
    padded, with a delimiter, quotes or line breaks inside (quoted, as a spreadsheet writes them)."""
    kinds = ["valid"] * 8 + ([] if clean else ["missing", "encoding"])
    kind = draw(st.sampled_from(kinds + (["missing"] if clean and not column.required else [])))
    if kind == "missing":
        return Cell(draw(st.sampled_from(["", "  ", "\t"])), f"{column.name}_missing" if column.required else None)
    pool = text_pool(entity, column.name) or COUNTRIES
    base = draw(st.sampled_from(pool))
    text = draw(case_and_accents(base, unicode_ok))
    if " " in text and column.name != "city" and draw(st.booleans()):
        # A break where the name has a space: the matching key does not change.
        brk = draw(st.sampled_from(["  ", "\n", "\r\n", f"{delimiter} ", " - ", '" ']))
        at = draw(st.sampled_from([m.start() for m in re.finditer(" ", text)]))
        text = text[:at] + brk + text[at + 1 :]
    elif " " in text and draw(st.integers(0, 3)) == 0:
        at = draw(st.sampled_from([m.start() for m in re.finditer(" ", text)]))
        text = text[:at] + draw(st.sampled_from(["  ", "\n", "\t"])) + text[at + 1 :]
    if kind == "encoding" and (unicode_ok or raw_bytes):
        return Cell(draw(bad_encoding(text, raw_bytes)), f"{column.name}_bad_encoding")
    text = draw(padded(text))
    value: Any = CITIES[base] if column.name == "city" else collapse(text)
    return Cell(text, None, value, key(base), quote=draw(st.integers(0, 5)) == 0)


@st.composite
def cell_for(
    draw: st.DrawFn, entity: str, column: Column, feed: FeedFile, anchor: str | None, serial: int, clean: bool
) -> Cell:
    """A cell of ``column``; ``clean`` rows draw only valid values (so that most rows reach the transform)."""
    unicode_ok = feed.encoding != "cp1252"
    raw_bytes = unicode_ok  # a raw Windows-1252 byte pasted into UTF-8 text
    if column.decimal:
        return draw(decimal_cell(column, feed.decimal_comma, feed.delimiter == ";", unicode_ok, anchor, clean))
    if column.type == "timestamp":
        return draw(timestamp_cell(column, unicode_ok, clean, feed.decimal_comma))
    if column.allowed:
        return draw(coded_cell(column, unicode_ok, raw_bytes, clean))
    if column.pattern:
        serial = serial if column.name == "transaction_id" else -1
        return draw(pattern_cell(column, unicode_ok, serial, clean))
    return draw(text_cell(entity, column, feed.delimiter, unicode_ok, raw_bytes, clean))


# ------------------------------------------------------------------ records and files


@st.composite
def header_cell(draw: st.DrawFn, column: Column, unicode_ok: bool) -> str:
    alias = draw(st.sampled_from([column.name, *column.aliases]))
    alias = alias.replace("_", draw(st.sampled_from([" ", "_"])))
    alias = draw(_accented(alias))
    alias = draw(case_and_accents(alias, unicode_ok))
    return draw(padded(alias, tabs=False))


@st.composite
def extra_cell(draw: st.DrawFn, feed: FeedFile) -> Cell:
    text = draw(st.sampled_from(EXTRA_VALUES))
    value = parsed(text, feed) or None
    return Cell(text, None, value)


@st.composite
def feed_records(draw: st.DrawFn, feed: FeedFile, contract: Contract, serials: list[int]) -> list[Record]:
    count = draw(st.integers(0, 8))
    records: list[Record] = []
    needs_anchor = feed.delimiter == ";" and any(
        contract.column(c).decimal for c in feed.columns if not c.startswith("extra:")
    )
    for i in range(count):
        anchor_col = None
        if i == 0 and needs_anchor:
            anchor_col = next(c for c in feed.columns if not c.startswith("extra:") and contract.column(c).decimal)
            kind = "row"
        else:
            kind = draw(st.sampled_from(["row"] * 16 + ["short", "long", "spaces", "copy", "copy"]))
        if kind == "copy" and records:
            records.append(draw(st.sampled_from(records)))
            continue
        if kind == "spaces":
            records.append(Record("spaces", (), draw(st.sampled_from([" ", "   ", "\t", " \t "]))))
            continue
        cells = []
        clean = draw(st.integers(0, 9)) < 6
        for name in feed.columns:
            if name.startswith("extra:"):
                cells.append(draw(extra_cell(feed)))
                continue
            anchor = ("comma" if feed.decimal_comma else "point") if name == anchor_col else None
            serials[0] += 1
            cells.append(draw(cell_for(feed.entity, contract.column(name), feed, anchor, serials[0], clean)))
        row = Record("row", tuple(cells))
        if kind == "short":
            keep = draw(st.integers(1, len(cells) - 1))
            row = Record("short", tuple(cells[:keep]))
            if not record_text(row, feed.delimiter):
                row = Record("short", tuple(cells[:keep]), '""')  # an empty line would be no record
        elif kind == "long":
            extra = draw(st.lists(st.sampled_from(["", "x", "extra"]), min_size=1, max_size=2))
            row = Record("long", (*cells, *(Cell(e) for e in extra)))
        records.append(row)
    if records and draw(st.integers(0, 9)) == 0:
        # The last record opens a quote it never closes (a file cut in transfer). Before its last field
        # the record has too few fields; in its last field only the odd number of quotes in the file tells.
        last = records[-1] if records[-1].kind == "row" else Record("row", tuple(Cell("x") for _ in feed.columns))
        at = draw(st.integers(0, len(feed.columns) - 1))
        plain = [re.sub(r'["\r\n]', "", c.text).replace(feed.delimiter, " ") for c in last.cells]
        text = feed.delimiter.join([*plain[:at], '"' + feed.delimiter.join(plain[at:])])
        records[-1] = Record("unclosed", (), text)
    return records


@st.composite
def feed_file(draw: st.DrawFn, entity: str, name: str, date: str, serials: list[int]) -> FeedFile:
    contract = load_contract(entity)
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]))
    delimiter = draw(st.sampled_from([",", ";"]))
    decimal_comma = delimiter == ";" and draw(st.booleans())
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    unicode_ok = encoding != "cp1252"
    columns = [c.name for c in contract.columns if c.required or draw(st.booleans())]
    extras = draw(st.lists(st.sampled_from(sorted(EXTRA_HEADERS)), max_size=2, unique=True))
    header = [draw(header_cell(contract.column(c), unicode_ok)) for c in columns]
    header += extras
    columns += [f"extra:{EXTRA_HEADERS[e]}" for e in extras]
    order = draw(st.permutations(range(len(columns))))
    columns = _unique_extras([columns[i] for i in order])
    header = [header[i] for i in order]
    feed = FeedFile(
        entity=entity,
        date=date,
        name=name,
        encoding=encoding,
        delimiter=delimiter,
        decimal_comma=decimal_comma,
        newline=newline,
        final_newline=draw(st.booleans()),
        header=header,
        columns=columns,
        records=[],
    )
    feed.records = draw(feed_records(feed, contract, serials))
    if newline == "\r" and any("\n" in c.text or "\r" in c.text for r in feed.records for c in r.cells):
        feed.newline = "\n"  # CR-only files hold no line break inside a value (module docstring)
    if draw(st.integers(0, 9)) == 0:
        feed.preamble = tuple(
            draw(st.lists(st.sampled_from(["   ", "\t", " \t", delimiter * 3]), min_size=1, max_size=2))
        )
    n = len(feed.records)
    blank_at = st.integers(-1, n)
    unclosed = bool(feed.records) and feed.records[-1].kind == "unclosed"
    blanks = draw(st.dictionaries(blank_at, st.integers(1, 2), max_size=3))
    if unclosed:
        blanks.pop(n, None)  # blank lines after an unclosed quote belong to it
        feed.final_newline = False
    feed.blank_lines = blanks
    fault = draw(st.sampled_from([None] * 14 + ["missing_columns", "empty_file"]))
    if fault == "missing_columns":
        drop = draw(st.sampled_from(contract.required))
        at = feed.columns.index(drop)
        feed.header.pop(at)
        feed.columns.pop(at)
        feed.records = []
        feed.blank_lines = {}
        feed.fault = fault
    elif fault == "empty_file":
        feed.fault = fault
        feed.records = []
    feed.data = render(feed)
    if encoding == "utf-8" and _raw_bytes_outnumber_utf8(feed.data):
        feed.encoding = "utf-8-sig"
        feed.data = render(feed)
    return feed


def _raw_bytes_outnumber_utf8(data: bytes) -> bool:
    text = data.decode("utf-8", errors="surrogateescape")
    raw = len(re.findall(r"[\udc80-\udcff]", text))
    return raw > len(data) - len(text)  # bytes beyond one per character: the multi-byte ones' continuations


def _unique_extras(columns: list[str]) -> list[str]:
    """Extra columns sharing a name are told apart in header order: notes, notes_2, ..."""
    seen: set[str] = set()
    out = []
    for name in columns:
        if name.startswith("extra:"):
            base, n = name, 1
            while name in seen:
                n += 1
                name = f"{base}_{n}"
            seen.add(name)
        out.append(name)
    return out


@dataclass
class Batch:
    files: list[FeedFile]

    def __repr__(self) -> str:
        return "Batch(" + ", ".join(f"{f.rel_path}={f.data!r}" for f in self.files) + ")"


@st.composite
def batches(draw: st.DrawFn, min_files: int = 1, max_files: int = 5) -> Batch:
    """A landing folder: a few files of any entities and dates, sometimes a byte-identical copy."""
    slots = draw(
        st.lists(
            st.tuples(st.sampled_from(ENTITIES), st.sampled_from(DATES), st.sampled_from(FILE_NAMES)),
            min_size=min_files,
            max_size=max_files,
            unique=True,
        )
    )
    serials = [0]
    files = [draw(feed_file(e, n, d, serials)) for e, d, n in slots]
    for mutation in draw(st.lists(st.sampled_from(["copy", "resend"]), max_size=2)):
        original = draw(st.sampled_from(files))
        taken = {(f.entity, f.date, f.name) for f in files}
        free = [(d, n) for d in DATES for n in FILE_NAMES if (original.entity, d, n) not in taken]
        if not free:
            continue
        date, name = draw(st.sampled_from(free))
        again = FeedFile(**{**original.__dict__, "date": date, "name": name})
        if mutation == "resend" and original.records and not original.fault:
            # Some of the same records again in another file (other bytes): the same trade ids, the
            # same customers and providers, sent later.
            rest = [r for r in original.records[1:] if r.kind != "unclosed"]
            more = draw(st.lists(st.sampled_from(rest), max_size=4)) if rest else []
            again.records = [original.records[0], *more]
            if again.records[0].kind == "unclosed":
                again.records = again.records[1:]
            again.blank_lines = {}
            again.data = render(again)
        files.append(again)
    return Batch(files)
