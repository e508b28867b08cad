"""values.py: the Spark expressions that read feed values (numbers, codes, keys, timestamps).

Every test builds one small frame, applies the expression and compares the whole result frame with
an expected frame written out by hand (exact Decimals, exact strings).
"""

from __future__ import annotations

import unicodedata
from decimal import Decimal

import pytest
from pyspark.sql import functions as F
from pyspark.testing import assertDataFrameEqual

from energy_lake.etl.model.contracts import load_contract, normalise_name
from energy_lake.etl.transforms import values

pytestmark = pytest.mark.spark

D = Decimal

# text, decimal_comma, canonical text, decimal places needed, as decimal(18,3), as decimal(18,4)
DECIMAL_CASES = [
    # point notation (the default)
    ("1234.5", False, "1234.5", 1, D("1234.500"), D("1234.5000")),
    ("42", False, "42", 0, D("42.000"), D("42.0000")),
    (" 42 ", False, "42", 0, D("42.000"), D("42.0000")),
    ("+12", False, "12", 0, D("12.000"), D("12.0000")),
    ("-3.25", False, "-3.25", 2, D("-3.250"), D("-3.2500")),
    (".5", False, ".5", 1, D("0.500"), D("0.5000")),
    ("5.", False, "5.", 0, D("5.000"), D("5.0000")),
    ("1.50", False, "1.50", 1, D("1.500"), D("1.5000")),
    ("100", False, "100", 0, D("100.000"), D("100.0000")),
    ("0.000", False, "0.000", 0, D("0.000"), D("0.0000")),
    ("1,234.5", False, "1234.5", 1, D("1234.500"), D("1234.5000")),
    ("1,234,567", False, "1234567", 0, D("1234567.000"), D("1234567.0000")),
    ("-1,234.50", False, "-1234.50", 1, D("-1234.500"), D("-1234.5000")),
    ("1.5e3", False, "1.5e3", 0, D("1500.000"), D("1500.0000")),
    ("1E+2", False, "1E+2", 0, D("100.000"), D("100.0000")),
    ("15e-1", False, "15e-1", 1, D("1.500"), D("1.5000")),
    ("1.5e-3", False, "1.5e-3", 4, D("0.002"), D("0.0015")),
    ("0.0005", False, "0.0005", 4, D("0.001"), D("0.0005")),
    ("123.45678", False, "123.45678", 5, D("123.457"), D("123.4568")),
    ("123456789012345.678", False, "123456789012345.678", 3, D("123456789012345.678"), None),
    ("99999999999999.9999", False, "99999999999999.9999", 4, D("100000000000000.000"), D("99999999999999.9999")),
    ("1234567890123456", False, "1234567890123456", 0, None, None),  # 16 digits: fits neither
    ("1e400", False, "1e400", 0, None, None),  # huge
    ("1e-400", False, "1e-400", 400, D("0.000"), D("0.0000")),  # tiny: 400 places needed
    ("0e-400", False, "0e-400", 0, D("0.000"), D("0.0000")),
    # not numbers in point notation
    ("1,5", False, None, None, None, None),
    ("12,34", False, None, None, None, None),
    ("1.234,5", False, None, None, None, None),
    ("1 234", False, None, None, None, None),
    ("abc", False, None, None, None, None),
    ("12abc", False, None, None, None, None),
    ("", False, None, None, None, None),
    ("1e9999999999", False, None, None, None, None),  # exponent longer than 9 digits
    ("٣", False, None, None, None, None),  # a non-ASCII digit is not a number here
    (None, False, None, None, None, None),
    # decimal-comma notation (Spanish spreadsheet export)
    ("1,5", True, "1.5", 1, D("1.500"), D("1.5000")),
    ("12,34", True, "12.34", 2, D("12.340"), D("12.3400")),
    ("-0,25", True, "-0.25", 2, D("-0.250"), D("-0.2500")),
    (",5", True, ".5", 1, D("0.500"), D("0.5000")),
    ("1.234,5", True, "1234.5", 1, D("1234.500"), D("1234.5000")),
    ("1.234.567", True, "1234567", 0, D("1234567.000"), D("1234567.0000")),
    ("2.000", True, "2000", 0, D("2000.000"), D("2000.0000")),
    ("1,5e3", True, "1.5e3", 0, D("1500.000"), D("1500.0000")),
    ("+12", True, "12", 0, D("12.000"), D("12.0000")),
    # not numbers in decimal-comma notation
    ("1234.5", True, None, None, None, None),
    ("1,234.5", True, None, None, None, None),
    ("-1,234.50", True, None, None, None, None),
    (".5", True, None, None, None, None),
    ("abc", True, None, None, None, None),
]


def test_canonical_decimal_text_scale_and_decimal(spark):
    frame = spark.createDataFrame([c[:2] for c in DECIMAL_CASES], "text string, decimal_comma boolean")
    canonical = values.canonical_decimal_text(F.col("text"), F.col("decimal_comma"))
    actual = frame.withColumn("canonical", canonical).select(
        "text",
        "decimal_comma",
        "canonical",
        # decimal_scale is only meaningful for a number (raw.py guards it with canonical IS NOT NULL)
        F.when(F.col("canonical").isNotNull(), values.decimal_scale(F.col("canonical"))).alias("scale"),
        values.to_decimal(F.col("canonical"), 18, 3).alias("qty"),
        values.to_decimal(F.col("canonical"), 18, 4).alias("price"),
    )
    expected = spark.createDataFrame(
        DECIMAL_CASES,
        "text string, decimal_comma boolean, canonical string, scale bigint, qty decimal(18,3), price decimal(18,4)",
    )
    assertDataFrameEqual(actual, expected)


def test_clean_text(spark):
    cases = [("  Ana   María  ", "Ana María"), ("\tX\n", "X"), ("   ", None), ("", None), (None, None), ("a b", "a b")]
    frame = spark.createDataFrame([(c[0],) for c in cases], "text string")
    actual = frame.select("text", values.clean_text(F.col("text")).alias("clean"))
    assertDataFrameEqual(actual, spark.createDataFrame(cases, "text string, clean string"))


VALUE_KEYS = [
    ("Eólica", "eolica"),
    ("HIDROELÉCTRICA", "hidroelectrica"),
    ("  Hidro-Eléctrica  ", "hidro_electrica"),
    ("Energía Verde S.A.", "energia_verde_s_a"),
    ("ÑANDÚ Çelik", "nandu_celik"),
    ("Über, Ltda.", "uber_ltda"),
    ("Laura  Martínez", "laura_martinez"),
    ("Cliente 1", "cliente_1"),
    (unicodedata.normalize("NFD", "Eólica José"), "eolica_jose"),  # decomposed accents (macOS exports)
    ("---", ""),
    ("", ""),
]


def test_value_key(spark):
    frame = spark.createDataFrame([(t,) for t, _ in [*VALUE_KEYS, (None, None)]], "text string")
    actual = frame.select("text", values.value_key(F.col("text")).alias("key"))
    assertDataFrameEqual(actual, spark.createDataFrame([*VALUE_KEYS, (None, None)], "text string, key string"))


@pytest.mark.parametrize(("text", "key"), VALUE_KEYS)
def test_value_key_table_agrees_with_python_normalise_name(text, key):
    # The Spark key is documented as the same as contracts.normalise_name: the table above holds both.
    assert normalise_name(text) == key


CANONICAL = [
    # column, value as sent, canonical value
    ("energy_type", "eólica", "wind"),
    ("energy_type", "EÓLICA", "wind"),
    ("energy_type", "Eolico", "wind"),
    ("energy_type", "viento", "wind"),
    ("energy_type", "wind", "wind"),
    ("energy_type", "hidroeléctrica", "hydro"),
    ("energy_type", "Hidroelectrica", "hydro"),
    ("energy_type", "hídrica", "hydro"),
    ("energy_type", "Hydropower", "hydro"),
    ("energy_type", " Nuclear ", "nuclear"),
    ("energy_type", unicodedata.normalize("NFD", "Eólica"), "wind"),
    ("energy_type", "solar", None),
    ("energy_type", "", None),
    ("energy_type", None, None),
    ("transaction_type", "Compra", "buy"),
    ("transaction_type", "VENTA", "sell"),
    ("transaction_type", "compra", "buy"),
    ("transaction_type", "Venta", "sell"),
    ("transaction_type", "Purchase", "buy"),
    ("transaction_type", "sale", "sell"),
    ("transaction_type", "BUY", "buy"),
    ("transaction_type", "comprar", "buy"),
    ("transaction_type", "swap", None),
]


def test_canonical_value_transactions(spark):
    contract = load_contract("transactions")
    frame = spark.createDataFrame([c[:2] for c in CANONICAL], "column string, text string")
    mapped = F.when(
        F.col("column") == "energy_type", values.canonical_value(F.col("text"), contract.column("energy_type"))
    ).otherwise(values.canonical_value(F.col("text"), contract.column("transaction_type")))
    actual = frame.select("column", "text", mapped.alias("canonical"))
    assertDataFrameEqual(actual, spark.createDataFrame(CANONICAL, "column string, text string, canonical string"))


def test_canonical_value_customer_id_type(spark):
    cases = [
        ("cc", "CC"),
        ("Cédula de Ciudadanía", "CC"),
        ("cedula", "CC"),
        ("Cédula de extranjería", "CE"),
        ("nit", "NIT"),
        ("Pasaporte", "PA"),
        ("PP", "PA"),
        ("ti", "TI"),
        ("DNI", None),
    ]
    frame = spark.createDataFrame([(c[0],) for c in cases], "text string")
    column = load_contract("customers").column("id_type")
    actual = frame.select("text", values.canonical_value(F.col("text"), column).alias("canonical"))
    assertDataFrameEqual(actual, spark.createDataFrame(cases, "text string, canonical string"))


TIMESTAMPS = [
    ("2024-03-01T10:15:30Z", "2024-03-01 10:15:30.000000"),
    ("2024-03-01T10:15:30.123456+02:00", "2024-03-01 08:15:30.123456"),
    ("2024-03-01T10:15:30.5Z", "2024-03-01 10:15:30.500000"),
    ("2024-03-01T10:15:30", "2024-03-01 10:15:30.000000"),
    ("2024-03-01T10:15", "2024-03-01 10:15:00.000000"),
    ("2024-03-01T10:15+05:30", "2024-03-01 04:45:00.000000"),
    ("2024-03-01 10:15:30", "2024-03-01 10:15:30.000000"),
    ("2024-03-01 10:15:30-03:00", "2024-03-01 13:15:30.000000"),
    ("2024-03-01 10:15", "2024-03-01 10:15:00.000000"),
    ("2024-03-01", "2024-03-01 00:00:00.000000"),
    (" 2024-03-01 ", "2024-03-01 00:00:00.000000"),
    ("01/03/2024", None),
    ("2024-13-01", None),
    ("2024-02-30", None),
    ("2024-03-01T10:15:30+0200", None),  # offsets need the colon (ISO 8601 extended)
    ("2024-03-01 10:15:30.1234567", None),  # more than microseconds
    ("garbage", None),
    ("", None),
    (None, None),
]


# In a decimal-comma file (day first): dd/mm/yyyy[ hh:mm[:ss]], one or two digits, as spreadsheets write them.
DAY_FIRST = [
    ("15/01/2026", "2026-01-15 00:00:00.000000"),
    ("5/1/2026", "2026-01-05 00:00:00.000000"),
    (" 05/01/2026 9:05 ", "2026-01-05 09:05:00.000000"),
    ("15/01/2026 10:30", "2026-01-15 10:30:00.000000"),
    ("15/01/2026 10:30:45", "2026-01-15 10:30:45.000000"),
    ("29/02/2024", "2024-02-29 00:00:00.000000"),
    ("2026-01-15T10:30:00Z", "2026-01-15 10:30:00.000000"),  # ISO 8601 is read in every file
    ("29/02/2025", None),
    ("31/04/2026", None),
    ("15/13/2026", None),
    ("00/01/2026", None),
    ("15/01/2026 24:00", None),
    ("15/01/2026 10:30:5", None),
    ("15/01/26", None),  # a two-digit year is not read
    ("15/01/02026", None),
    ("15/01/2026  10:30", None),
    ("15-01-2026", None),
]


@pytest.mark.parametrize(("cases", "day_first"), [(TIMESTAMPS, False), (DAY_FIRST, True)])
def test_to_timestamp(spark, cases, day_first):
    frame = spark.createDataFrame([(t,) for t, _ in cases], "text string")
    # Rendered in the session time zone (UTC, set by etl.jobs.session.configure): independent of the machine's zone.
    utc = F.date_format(values.to_timestamp(F.col("text"), F.lit(day_first)), "yyyy-MM-dd HH:mm:ss.SSSSSS")
    actual = frame.select("text", utc.alias("utc"))
    assertDataFrameEqual(actual, spark.createDataFrame(cases, "text string, utc string"))


def test_a_day_first_date_outside_a_day_first_file_is_no_timestamp(spark):
    frame = spark.createDataFrame([(t,) for t, _ in DAY_FIRST], "text string")
    parsed = frame.select(values.to_timestamp(F.col("text"), F.lit(False)).alias("t")).where("t IS NOT NULL")
    assert parsed.count() == 1  # only the ISO one
