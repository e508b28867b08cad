"""Recognise a landing file's dialect from its first bytes: encoding, delimiter, decimal separator, header.

Only what can be recognised without guessing: a UTF-16 byte-order mark (either byte order: Excel's
"Unicode Text" export) means UTF-16, a UTF-8 byte-order mark means UTF-8; without a mark the bytes
decide between UTF-8 (also with a few stray bytes, whose records are quarantined) and Windows-1252 (the
Spanish spreadsheet export), or refuse a file that mixes them (``etl/landing/encoding.py``).

A file that is no text at all is refused saying what it is, recognised by its first bytes (``_MAGIC``):
an Excel workbook, a zip archive, a gzip stream under a name without ``.gz``, a PDF... Such a file
stays in landing as sent; the message says what to land in its place.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import string
import struct
from dataclasses import dataclass

from energy_lake.etl.landing.encoding import TextEvidence
from energy_lake.etl.model.errors import FeedRejected

HEAD_BYTES = 256 * 1024
DELIMITERS = (",", ";", "\t", "|")
_BLANK = "".join(DELIMITERS) + string.whitespace
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
    marked: bool = False  # a byte-order mark gave the encoding; else the bytes did (etl/landing/encoding.py)

    @property
    def day_first(self) -> bool:
        """Dates are written day first (dd/mm/yyyy) in a decimal-comma notation: the Spanish (and most
        European) spreadsheet export. No other notation decides between day and month first."""
        return self.decimal_comma


# Byte-order mark -> (name Spark's reader understands, Python codec).
_UTF16_BOMS = {b"\xff\xfe": ("UTF-16LE", "utf-16-le"), b"\xfe\xff": ("UTF-16BE", "utf-16-be")}
_UTF32_BOMS = (b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")


def _decode(head: bytes, complete: bool, file: str, encoding: str | None) -> tuple[str, str, bool]:
    """(encoding, text of the head, whether a byte-order mark said so)."""
    if head.startswith(_UTF32_BOMS):  # before UTF-16: UTF-32LE's mark starts with UTF-16LE's
        raise FeedRejected(file, "UTF-32 files are not accepted; save the file as UTF-8 or UTF-16", "bad_encoding")
    if head[:2] in _UTF16_BOMS:
        # Spark's reader is given the byte order and drops the mark itself (checked on Spark 3.5, multiLine).
        # Undecodable code units become U+FFFD as in Spark, whose raw hop quarantines them (bad_encoding).
        spark_name, codec = _UTF16_BOMS[head[:2]]
        decoder = codecs.getincrementaldecoder(codec)("replace")
        # A head cut inside a code unit or a surrogate pair keeps the whole characters before it.
        return spark_name, decoder.decode(head[2:], final=complete), True
    if head.startswith(b"\xef\xbb\xbf"):
        return "UTF-8", _utf8(head[3:], complete), True
    if encoding is None:
        evidence = TextEvidence()
        evidence.update(head, final=complete)
        encoding = evidence.decide(file)
    # Stray bytes in UTF-8 text become U+FFFD, as Spark's reader makes them; undefined Windows-1252 bytes
    # were refused by decide.
    text = _utf8(head, complete) if encoding == "UTF-8" else head.decode("cp1252", errors="replace")
    return encoding, text, False


def _utf8(head: bytes, complete: bool) -> str:
    # A multi-byte character cut at the end of the head is left out, not replaced.
    return codecs.getincrementaldecoder("utf-8")("replace").decode(head, final=complete)


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


def sniff(head: bytes, *, complete: bool, file: str, encoding: str | None = None) -> Dialect:
    """Dialect of a file from its first ``HEAD_BYTES`` (``complete`` when that is the whole file).

    Without a byte-order mark the head's bytes decide the encoding (``etl/landing/encoding.py``) unless
    ``encoding`` is given: the one all of the file's bytes decided (``plan.examine``).
    """
    _refuse_binary(head, file)
    encoding, text, marked = _decode(head, complete, file, encoding)
    text = text.lstrip("\ufeff")
    if not text.strip():
        raise FeedRejected(file, "the file is empty (no header, no records)", "empty_file")
    # The header is the first line with a character other than whitespace and delimiters; the reader
    # drops the records before it by position (header_offset).
    header_line = next((line for line in text.splitlines() if line.strip(_BLANK)), "")
    delimiter = _delimiter(header_line)
    records, header_offset = _first_records(text, delimiter, limit=200)
    header = tuple(cell.strip() for cell in records[0]) if records else ()
    sample = tuple(tuple(r) for r in records[1:])
    return Dialect(encoding, delimiter, _decimal_comma(delimiter, sample), header, sample, header_offset, marked)


def _decimal_comma(delimiter: str, sample: tuple[tuple[str, ...], ...]) -> bool:
    """Semicolon exports use a decimal comma unless their numbers say otherwise."""
    if delimiter != ";":
        return False
    cells = [c for row in sample for c in row]
    if any(_DECIMAL_COMMA_VALUE.match(c) for c in cells):
        return True
    return not any(_DECIMAL_POINT_VALUE.match(c) for c in cells)


# ------------------------------------------------------------------ files that are not text

# Formats recognised by their first bytes: (signature, what the file is, what to land instead). Each
# signature is the one its format's specification puts at offset 0 (a pattern where the bytes after a
# short text-like mark are needed too, so that no text file is taken for one):
# - gzip: ID1 ID2 = 0x1f 0x8b (RFC 1952, 2.3.1); handled apart (_gzip), it depends on the file's name.
# - zip: local file header signature 0x04034b50, "PK\x03\x04", or an empty archive's end of central
#   directory 0x06054b50 (PKWARE APPNOTE.TXT 6.3, 4.3.7 and 4.3.16); what is inside decides (_zip).
# - PDF: "%PDF-" and the version, "1.7" (ISO 32000-1:2008, 7.5.2 File Header).
# - OLE2 compound file (Excel 97-2003 .xls, also old .doc/.ppt): D0 CF 11 E0 A1 B1 1A E1 ([MS-CFB] 2.2).
# - bzip2: "BZh", the block size "1"-"9", then a block's 31 41 59 26 53 59 or the end's 17 72 45 38 50 90
#   (the bzip2 format as in bzip2 1.0.8's decompress.c); xz: FD "7zXZ" 00 (.xz file format 1.2.0, 2.1.1.1);
#   7z: "7z" BC AF 27 1C (7-Zip's 7zFormat.txt); zstd: frame magic 0xFD2FB528, little-endian (RFC 8878,
#   3.1.1); RAR: "Rar!" 1A 07 (RAR 5.0 technote; RAR 4.x shares these 6 bytes).
# - Parquet: "PAR1" then the first page's Thrift header (Apache Parquet file format; the file also ends
#   with "PAR1"): here "PAR1" and a byte that is not text.
_SAVE_AS_CSV = "save the sheet as CSV (UTF-8) and land the CSV in its place"
_EXPORT_AS_CSV = "export the data as CSV (UTF-8) and land the CSV in its place"
_DECOMPRESS = "decompress it and land the CSV in its place"
_EXTRACT = "extract the CSV file(s) and land them in its place"
_MAGIC: tuple[tuple[re.Pattern[bytes], str, str], ...] = tuple(
    (re.compile(signature, re.DOTALL), what, todo)
    for signature, what, todo in (
        (rb"%PDF-\d", "a PDF document", _EXPORT_AS_CSV),
        (
            rb"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
            "an Excel 97-2003 workbook (.xls) or another old Office document",
            _SAVE_AS_CSV,
        ),
        (rb"BZh[1-9](\x31\x41\x59\x26\x53\x59|\x17\x72\x45\x38\x50\x90)", "bzip2-compressed", _DECOMPRESS),
        (rb"\xfd7zXZ\x00", "xz-compressed", _DECOMPRESS),
        (rb"7z\xbc\xaf\x27\x1c", "a 7-Zip archive", _EXTRACT),
        (rb"\x28\xb5\x2f\xfd", "zstd-compressed", _DECOMPRESS),
        (rb"Rar!\x1a\x07", "a RAR archive", _EXTRACT),
        (rb"PAR1[\x00-\x08\x0e-\x1f\x80-\xff]", "a Parquet file", _EXPORT_AS_CSV),
    )
)
_ZIP_SIGNATURES = (b"PK\x03\x04", b"PK\x05\x06")
# OpenDocument: the first entry is "mimetype", stored, holding the media type (ODF 1.2 Part 3, 3.3).
_ODS_MIMETYPE = b"mimetypeapplication/vnd.oasis.opendocument.spreadsheet"


def _zip_names(head: bytes) -> list[str]:
    """The entries the head's local file headers name (APPNOTE 4.3.7: the name's length is the little-endian
    16-bit field at offset 26, the name starts at offset 30). A signature inside compressed data adds a
    junk name, which decides nothing: only names under ``xl/`` do."""
    names = []
    start = head.find(b"PK\x03\x04")
    while 0 <= start <= len(head) - 30:
        (length,) = struct.unpack_from("<H", head, start + 26)
        names.append(head[start + 30 : start + 30 + length].decode("cp437"))
        start = head.find(b"PK\x03\x04", start + 4)
    return names


def _zip(head: bytes) -> tuple[str, str]:
    """What a zip is: an Excel workbook (an OOXML package, ECMA-376 Part 2: ``[Content_Types].xml`` and
    the SpreadsheetML parts under ``xl/``), an OpenDocument spreadsheet, or an archive."""
    names = _zip_names(head)
    if any(n.startswith("xl/") for n in names):
        return "an Excel workbook", _SAVE_AS_CSV
    if head[30:].startswith(_ODS_MIMETYPE):
        return "an OpenDocument spreadsheet", _SAVE_AS_CSV
    return "a zip archive", _EXTRACT


def _gzip(file: str) -> tuple[str, str]:
    """A gzip stream reaches sniff only from a file Spark would not decompress: one not named ``.gz``."""
    name = file.rsplit("/", 1)[-1]
    if name.endswith(".gz"):  # decompressed once already, by its name: gzip inside gzip
        return "gzip-compressed twice", "decompress it once and land the result"
    if name.lower().endswith(".gz"):  # Spark picks the codec by the exact, lower-case suffix
        return "gzip-compressed but not named .gz", f"rename it {name[:-3]}.gz"
    return "gzip-compressed but not named .gz", f"rename it {name}.gz"


def _refuse_binary(head: bytes, file: str) -> None:
    """FeedRejected naming the format when the first bytes are a known binary format's signature."""
    if head.startswith(b"\x1f\x8b"):
        what, todo = _gzip(file)
    elif head.startswith(_ZIP_SIGNATURES):
        what, todo = _zip(head)
    else:
        found = next(((w, t) for magic, w, t in _MAGIC if magic.match(head)), None)
        if found is None:
            return
        what, todo = found
    raise FeedRejected(file, f"the file is {what}: {todo}", "not_csv")


# ------------------------------------------------------------------ quotes


class QuoteCount:
    """How many '"' characters a stream of the file's bytes holds, in the file's encoding.

    In UTF-8 and Windows-1252 every 0x22 byte is a '"' (UTF-8's multi-byte sequences use only bytes
    0x80 and up), so the bytes are counted. In UTF-16 a 0x22 byte is also half of other characters:
    ™ (U+2122) is 22 21 in UTF-16LE, • (U+2022) 22 20, ∂ (U+2202) 02 22. There the text is decoded
    (incrementally: a chunk may end inside a code unit) and its '"' counted.
    """

    def __init__(self, encoding: str) -> None:
        codec = next((c for e, c in _UTF16_BOMS.values() if e == encoding), None)
        self._decoder = codecs.getincrementaldecoder(codec)("replace") if codec else None
        self.count = 0

    def update(self, chunk: bytes) -> None:
        if self._decoder is None:
            self.count += chunk.count(b'"')
            return
        self.count += self._decoder.decode(chunk).count('"')
