"""Spark column expressions that read feed values: text keys, canonical codes, decimals, timestamps.

Used by both the raw hop (to decide whether a value is valid) and the transform hop (to type it),
so the two can never disagree. Built only from Spark SQL functions: no Python UDF on the hot path.
"""

from __future__ import annotations

import unicodedata
from itertools import chain

from pyspark.sql import Column
from pyspark.sql import functions as F

from energy_lake.etl.model.contracts import Column as ContractColumn


def _folding_table() -> tuple[str, str]:
    """Latin letters and compatibility characters -> the one character NFKD without marks makes of them.

    ``ó`` -> ``o``, ``Č`` -> ``c``, ``º`` -> ``o``, ``²`` -> ``2``: what ``contracts.normalise_name`` does,
    for the precomposed characters of Latin-1, Latin Extended-A/B and Latin Extended Additional. The
    few that become several characters (``ĳ``, ``¼``) are left alone.
    """
    source, target = [], []
    for code in chain(range(0xA0, 0x250), range(0x1E00, 0x1F00)):
        char = chr(code)
        folded = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c)).lower()
        if folded != char.lower() and len(folded) == 1:
            source.append(char)
            target.append(folded)
    return "".join(source), "".join(target)


_ACCENTED, _PLAIN = _folding_table()


# What Java's regex \s matches (clean_text, the raw hop's presence check): tabs and line breaks pad values too.
_WHITESPACE = " \t\n\u000b\f\r"


def stripped(col: Column) -> Column:
    """The value without leading and trailing whitespace (``trim`` removes spaces only)."""
    return F.btrim(col, F.lit(_WHITESPACE))


def clean_text(col: Column) -> Column:
    """Trimmed, inner whitespace collapsed; empty becomes null."""
    text = F.trim(F.regexp_replace(col, r"\s+", " "))
    return F.when(text == "", None).otherwise(text)


def value_key(col: Column) -> Column:
    """Matching key of a value: lower case, no accents, other characters as ``_`` (as contracts.normalise_name).

    Accents arrive precomposed (``ó``, ``č``, translated) or decomposed (``o`` + U+0301, as macOS writes
    them): the combining marks are dropped, as ``normalise_name``'s NFKD does; ``º``, ``ª`` and
    superscript digits become ``o``, ``a`` and digits, as NFKD makes them.
    """
    plain = F.translate(F.regexp_replace(F.lower(col), r"\p{M}+", ""), _ACCENTED, _PLAIN)
    return F.regexp_replace(F.regexp_replace(plain, "[^a-z0-9]+", "_"), "^_+|_+$", "")


def canonical_value(col: Column, column: ContractColumn) -> Column:
    """The allowed value a spelling stands for (``eólica`` -> ``wind``), null when unknown."""
    mapping = F.create_map(*chain.from_iterable((F.lit(k), F.lit(v)) for k, v in column.canonical_values().items()))
    return mapping[value_key(col)]


# Decimal numbers: plain, with thousands separators, or with an exponent. A decimal-comma file
# (Spanish export) writes 1.234,5 where others write 1,234.5; the file's dialect says which.
_EXP = r"([eE][+-]?\d{1,9})?"
_POINT = rf"^[+-]?(\d+(\.\d*)?|\.\d+){_EXP}$"
_POINT_GROUPED = rf"^[+-]?\d{{1,3}}(,\d{{3}})+(\.\d*)?{_EXP}$"
_COMMA = rf"^[+-]?(\d+(,\d*)?|,\d+){_EXP}$"
_COMMA_GROUPED = rf"^[+-]?\d{{1,3}}(\.\d{{3}})+(,\d*)?{_EXP}$"


def canonical_decimal_text(col: Column, decimal_comma: Column) -> Column:
    """The number as ``[-]digits[.digits][e±n]``, or null when it is not a number in the file's notation."""
    text = F.regexp_replace(stripped(col), r"^\+", "")
    comma = F.when(text.rlike(_COMMA), F.regexp_replace(text, ",", ".")).when(
        text.rlike(_COMMA_GROUPED), F.regexp_replace(F.regexp_replace(text, r"\.", ""), ",", ".")
    )
    point = F.when(text.rlike(_POINT), text).when(text.rlike(_POINT_GROUPED), F.regexp_replace(text, ",", ""))
    return F.when(decimal_comma, comma).otherwise(point)


def decimal_scale(canonical: Column) -> Column:
    """Decimal places the number really needs (``1.50`` needs 1, ``15e-1`` needs 1, ``1.5e3`` needs 0)."""
    pattern = r"^-?(\d*)\.?(\d*)(?:[eE]([+-]?\d+))?$"
    int_part = F.regexp_extract(canonical, pattern, 1)
    frac_part = F.regexp_extract(canonical, pattern, 2)
    exponent = F.coalesce(F.regexp_extract(canonical, pattern, 3).cast("bigint"), F.lit(0))
    digits = F.concat(int_part, frac_part)
    trailing_zeros = F.length(digits) - F.length(F.regexp_replace(digits, "0+$", ""))
    scale = F.length(frac_part) - exponent - trailing_zeros
    all_zero = F.regexp_replace(digits, "0", "") == ""
    return F.when(all_zero, F.lit(0)).otherwise(F.greatest(scale, F.lit(0)))


def to_decimal(canonical: Column, precision: int, scale: int) -> Column:
    """The typed value; null when it does not fit. Sessions run with ANSI off (see etl.jobs.session)."""
    return canonical.cast(f"decimal({precision},{scale})")


# Timestamps: ISO 8601 date, or date and time with a space or T, optional seconds, fraction, zone.
TIMESTAMP_FORMATS = (
    "yyyy-MM-dd'T'HH:mm:ss[.SSSSSS][XXX]",
    "yyyy-MM-dd'T'HH:mm[XXX]",
    "yyyy-MM-dd HH:mm:ss[.SSSSSS][XXX]",
    "yyyy-MM-dd HH:mm[XXX]",
    "yyyy-MM-dd",
)


# Day-first dates, dd/mm/yyyy[ HH:MM[:SS]] (one or two digits for day, month and hour, as spreadsheets
# write them; four for the year): what a file in a decimal-comma notation (a Spanish export) writes. In any
# other file such a date is ambiguous (day or month first?) and is never read: ``is_day_month_date``.
DAY_FIRST_FORMATS = ("d/M/yyyy H:mm:ss", "d/M/yyyy H:mm", "d/M/yyyy")
_DAY_MONTH_DATE = r"^\d{1,2}/\d{1,2}/\d{4}( \d{1,2}:\d{2}(:\d{2})?)?$"


def is_day_month_date(col: Column) -> Column:
    """Whether the text is a date written with slashes, day and month in some order."""
    return stripped(col).rlike(_DAY_MONTH_DATE)


def to_timestamp(col: Column, day_first: Column) -> Column:
    """The instant a timestamp text names (UTC when no zone is given), null when it is none of the formats.

    ``day_first`` (a boolean column: the file's notation) adds ``DAY_FIRST_FORMATS``; without it a text
    with ``/`` is no timestamp. Only the formats whose separator the text holds are tried: a format that
    fails costs Spark a parse exception per value, and a text without ``T`` can never match a ``'T'``
    format (nor one with ``T`` a format without it), so the result is that of trying all of them in turn.
    """
    text = stripped(col)

    def first_of(formats: list[str] | tuple[str, ...]) -> Column:
        return F.coalesce(*[F.to_timestamp(text, fmt) for fmt in formats])

    with_t = [f for f in TIMESTAMP_FORMATS if "'T'" in f]
    with_space = [f for f in TIMESTAMP_FORMATS if " " in f]
    date_only = [f for f in TIMESTAMP_FORMATS if f not in with_t and f not in with_space]
    # The pattern first: d/M/yyyy alone would also read 5/1/02026.
    day_first_date = F.when(day_first & is_day_month_date(col), first_of(DAY_FIRST_FORMATS))
    return (
        F.when(text.contains("/"), day_first_date)
        .when(text.contains("T"), first_of(with_t))
        .when(text.contains(" "), first_of(with_space))
        .otherwise(first_of(date_only))
    )
