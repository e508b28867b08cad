"""Recognise a landing file's dialect from its first bytes: encoding, delimiter, decimal separator, header.

Only what can be recognised without guessing: a byte-order mark or valid UTF-8 means UTF-8,
anything else that decodes as Windows-1252 is Windows-1252 (the Spanish spreadsheet export).
"""

from __future__ import annotations

import csv
import io
import re
import string
from dataclasses import dataclass

from energy_lake.etl.errors import FeedRejected

HEAD_BYTES = 256 * 1024
DELIMITERS = (",", ";", "\t", "|")
_BLANK = "".join(DELIMITERS) + string.whitespace
_CP1252_UNDEFINED = {0x81, 0x8D, 0x8F, 0x90, 0x9D}
_DECIMAL_COMMA_VALUE = re.compile(r"^\s*[+-]?\d[\d.]*,\d+\s*$")
_DECIMAL_POINT_VALUE = re.compile(r"^\s*[+-]?\d+\.(\d{1,2}|\d{4,})\s*$")


@dataclass(frozen=True)
class Dialect:
    encoding: str  # name Spark's CSV reader understands
    delimiter: str
    decimal_comma: bool
    header: tuple[str, ...]  # header cells as sent (BOM removed)
    sample: tuple[tuple[str, ...], ...] = ()  # first data records, for decisions that need values
    # Records Spark's reader sees before the header: lines of only whitespace or delimiters (it skips empty ones).
    header_offset: int = 0


def _decode(head: bytes, complete: bool, file: str) -> tuple[str, str]:
    if head.startswith(b"\xff\xfe") or head.startswith(b"\xfe\xff"):
        raise FeedRejected(file, "UTF-16 files are not accepted; export as UTF-8 or Windows-1252", "bad_encoding")
    if head.startswith(b"\xef\xbb\xbf"):
        return "UTF-8", head[3:].decode("utf-8", errors="replace")
    try:
        return "UTF-8", head.decode("utf-8")
    except UnicodeDecodeError as err:
        # A multi-byte character cut at the end of the head is still UTF-8.
        if not complete and err.start >= len(head) - 3 and err.reason == "unexpected end of data":
            return "UTF-8", head[: err.start].decode("utf-8")
    if any(b in _CP1252_UNDEFINED for b in head):
        raise FeedRejected(file, "the file is neither UTF-8 nor Windows-1252 text", "bad_encoding")
    return "windows-1252", head.decode("cp1252")


def _first_records(text: str, delimiter: str, limit: int) -> tuple[list[list[str]], int]:
    """The first non-blank records, and how many non-empty blank records came before the first of them."""
    # newline="": records end at \n, \r\n or a lone \r (old Mac exports), as Spark's multi-line reader sees them.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"')
    records: list[list[str]] = []
    blank_before = 0
    try:
        for row in reader:
            if row and any(cell.strip() for cell in row):
                records.append(row)
            elif row and not records:
                blank_before += 1
            if len(records) >= limit:
                break
    except csv.Error:
        pass  # a record cut at the end of the head; Spark parses the whole file later
    return records, blank_before


def _delimiter(header_line: str) -> str:
    counts = {d: len(next(csv.reader([header_line], delimiter=d), [])) - 1 for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","


def sniff(head: bytes, *, complete: bool, file: str) -> Dialect:
    """Dialect of a file from its first ``HEAD_BYTES`` (``complete`` when that is the whole file)."""
    if not head.replace(b"\xef\xbb\xbf", b"").strip():
        raise FeedRejected(file, "the file is empty (no header, no records)", "empty_file")
    encoding, text = _decode(head, complete, file)
    text = text.lstrip("\ufeff")
    # The header is the first line with a character other than whitespace and delimiters; the reader
    # drops the records before it by position (header_offset).
    header_line = next((line for line in text.splitlines() if line.strip(_BLANK)), "")
    delimiter = _delimiter(header_line)
    records, header_offset = _first_records(text, delimiter, limit=200)
    header = tuple(cell.strip() for cell in records[0]) if records else ()
    sample = tuple(tuple(r) for r in records[1:])
    return Dialect(encoding, delimiter, _decimal_comma(delimiter, sample), header, sample, header_offset)


def _decimal_comma(delimiter: str, sample: tuple[tuple[str, ...], ...]) -> bool:
    """Semicolon exports use a decimal comma unless their numbers say otherwise."""
    if delimiter != ";":
        return False
    cells = [c for row in sample for c in row]
    if any(_DECIMAL_COMMA_VALUE.match(c) for c in cells):
        return True
    return not any(_DECIMAL_POINT_VALUE.match(c) for c in cells)
