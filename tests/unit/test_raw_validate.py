"""raw.py: validate landing records, split them into raw rows and quarantine rows, count per file.

Input frames have the shape ``read.read_landing`` builds (raw schema + the per-file facts); every rule
code the contracts can produce has a record that fails exactly that rule first, with its reason.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from pyspark.sql import functions as F
from pyspark.sql import types as T
from pyspark.testing import assertDataFrameEqual

from energy_lake.etl.model.contracts import Column, Contract, load_contract
from energy_lake.etl.model.schemas import quarantine_schema, raw_schema
from energy_lake.etl.transforms import raw

pytestmark = pytest.mark.spark

DAY = date(2024, 5, 1)
FILE = "transactions/ingest_date=2024-05-01/trades.csv"
INGESTED = datetime(2024, 5, 1, 6, 30, tzinfo=UTC)
RUN = "r20240501T063000Z-abc123"
FACTS = [
    T.StructField("_decimal_comma", T.BooleanType()),
    T.StructField("_malformed", T.BooleanType()),
    T.StructField("_expected_fields", T.IntegerType()),
    T.StructField("_duplicate_of", T.StringType()),
    T.StructField("source_record", T.StringType()),
]
BAD = "\ufffd"  # what a byte that is not valid in the file's encoding decodes to


def landing_schema(contract: Contract) -> T.StructType:
    """The landing records read.read_landing builds: raw schema plus the per-file facts."""
    return T.StructType([*raw_schema(contract).fields, *FACTS])


def records(spark, contract: Contract, rows: list[dict[str, Any]], file: str = FILE):
    """Landing records of one file; record n (from 2, the header is 1) is rows[n - 2]."""
    full = []
    for line, row in enumerate(rows, start=2):
        sent = {c.name: row.get(c.name) for c in contract.columns}
        record = {
            **sent,
            "_extra": {},
            "_source_file": file,
            "_source_line": line,
            "_ingested_at": INGESTED,
            "_run_id": RUN,
            "ingest_date": DAY,
            "_decimal_comma": False,
            "_day_first": False,
            "_malformed": False,
            "_expected_fields": len(contract.columns),
            "_duplicate_of": None,
            "source_record": ",".join(v or "" for v in sent.values()),
        }
        record.update({k: v for k, v in row.items() if k not in sent})
        full.append(record)
    return spark.createDataFrame(full, landing_schema(contract))


def rule_catalogue(contract: Contract) -> set[str]:
    """Every rule code raw.validate can give a record of this contract (the rules raw.py derives)."""
    codes = {"duplicate_file", "wrong_field_count"}
    for c in contract.columns:
        codes.add(f"{c.name}_bad_encoding")
        if c.required:
            codes.add(f"{c.name}_missing")
        if c.decimal:
            codes |= {f"{c.name}_not_a_number", f"{c.name}_too_many_decimals", f"{c.name}_out_of_range"}
        if c.min_exclusive is not None:
            codes.add(f"{c.name}_{'not_positive' if c.min_exclusive == 0 else 'too_small'}")
        if c.min is not None:
            codes.add(f"{c.name}_{'negative' if c.min == 0 else 'too_small'}")
        if c.allowed:
            codes.add(f"{c.name}_not_allowed")
        if c.pattern:
            codes.add(f"{c.name}_bad_format")
        if c.type == "timestamp":
            codes |= {f"{c.name}_not_a_timestamp", f"{c.name}_ambiguous_date"}
    return codes


# ------------------------------------------------------------------ rule table per entity

TX_BASE = {
    "transaction_type": "venta",
    "counterparty_name": "Laura Martínez",
    "quantity": "100",
    "price": "300.5",
    "energy_type": "eólica",
}
NOT_VALID_ENCODING = " has characters that are not valid in the file's encoding"
PII = "(value withheld: personal data)"
TX_CASES: list[tuple[dict[str, Any], str | None, str | None]] = [
    # valid records (rule and reason null)
    ({}, None, None),
    (
        {
            "transaction_id": "T-2024.001",
            "traded_at": "2024-05-01T10:00:00Z",
            "transaction_type": " COMPRA ",
            "energy_type": "HIDROELÉCTRICA",
            "quantity": "1,234.5",
            "price": "0",
        },
        None,
        None,
    ),
    ({"quantity": "+7", "price": "1.5e3", "energy_type": "Nuclear", "transaction_type": "Sell"}, None, None),
    ({"_decimal_comma": True, "quantity": "1.234,5", "price": "12,75"}, None, None),
    # record rules
    (
        {"_duplicate_of": "transactions/ingest_date=2024-04-30/trades.csv"},
        "duplicate_file",
        "the file is identical to transactions/ingest_date=2024-04-30/trades.csv, ingested before",
    ),
    (
        {"_malformed": True, "energy_type": None, "source_record": "venta,Laura Martínez,100,300.5"},
        "wrong_field_count",
        "the record does not have the header's 7 fields (or has an unclosed quote); energy_type is empty",
    ),
    (
        {"_malformed": True, "_duplicate_of": "transactions/ingest_date=2024-04-30/trades.csv"},
        "duplicate_file",
        "the file is identical to transactions/ingest_date=2024-04-30/trades.csv, ingested before; "
        "the record does not have the header's 7 fields (or has an unclosed quote)",
    ),
    # transaction_id (optional, pattern)
    ({"transaction_id": "#1"}, "transaction_id_bad_format", "transaction_id '#1' is not in the expected format"),
    (
        {"transaction_id": f"T{BAD}1"},
        "transaction_id_bad_encoding",
        f"transaction_id 'T{BAD}1'{NOT_VALID_ENCODING}; transaction_id 'T{BAD}1' is not in the expected format",
    ),
    # transaction_type
    ({"transaction_type": None}, "transaction_type_missing", "transaction_type is empty"),
    ({"transaction_type": "   "}, "transaction_type_missing", "transaction_type is empty"),
    ({"transaction_type": "swap"}, "transaction_type_not_allowed", "transaction_type 'swap' is not one of buy, sell"),
    (
        {"transaction_type": f"vent{BAD}"},
        "transaction_type_bad_encoding",
        f"transaction_type 'vent{BAD}'{NOT_VALID_ENCODING}; transaction_type 'vent{BAD}' is not one of buy, sell",
    ),
    # counterparty_name (personal data: the value is never shown)
    ({"counterparty_name": ""}, "counterparty_name_missing", "counterparty_name is empty"),
    (
        {"counterparty_name": f"Mart{BAD}nez"},
        "counterparty_name_bad_encoding",
        f"counterparty_name {PII}{NOT_VALID_ENCODING}",
    ),
    # quantity decimal(18,3), > 0
    ({"quantity": None}, "quantity_missing", "quantity is empty"),
    ({"quantity": "abc"}, "quantity_not_a_number", "quantity 'abc' is not a number"),
    ({"quantity": "1.2345"}, "quantity_too_many_decimals", "quantity '1.2345' has more than 3 decimal places"),
    ({"quantity": "1e-400"}, "quantity_too_many_decimals", "quantity '1e-400' has more than 3 decimal places"),
    ({"quantity": "1e16"}, "quantity_out_of_range", "quantity '1e16' does not fit decimal(18,3)"),
    ({"quantity": "0"}, "quantity_not_positive", "quantity '0' must be greater than 0"),
    ({"quantity": "-5"}, "quantity_not_positive", "quantity '-5' must be greater than 0"),
    (
        {"quantity": f"1{BAD}"},
        "quantity_bad_encoding",
        f"quantity '1{BAD}'{NOT_VALID_ENCODING}; quantity '1{BAD}' is not a number",
    ),
    # price decimal(18,4), >= 0
    ({"price": None}, "price_missing", "price is empty"),
    ({"price": "12,5"}, "price_not_a_number", "price '12,5' is not a number"),
    ({"price": "1.23456"}, "price_too_many_decimals", "price '1.23456' has more than 4 decimal places"),
    ({"price": "1e15"}, "price_out_of_range", "price '1e15' does not fit decimal(18,4)"),
    ({"price": "-0.01"}, "price_negative", "price '-0.01' must be at least 0"),
    ({"price": f"{BAD}"}, "price_bad_encoding", f"price '{BAD}'{NOT_VALID_ENCODING}; price '{BAD}' is not a number"),
    # energy_type
    ({"energy_type": None}, "energy_type_missing", "energy_type is empty"),
    ({"energy_type": "solar"}, "energy_type_not_allowed", "energy_type 'solar' is not one of wind, hydro, nuclear"),
    (
        {"energy_type": f"e{BAD}lica"},
        "energy_type_bad_encoding",
        f"energy_type 'e{BAD}lica'{NOT_VALID_ENCODING}; energy_type 'e{BAD}lica' is not one of wind, hydro, nuclear",
    ),
    # traded_at (optional timestamp)
    (
        {"traded_at": "yesterday"},
        "traded_at_not_a_timestamp",
        "traded_at 'yesterday' is not an ISO 8601 date or timestamp",
    ),
    # dates with slashes: day first in a decimal-comma file, never guessed elsewhere
    (
        {"traded_at": "05/01/2024 10:30"},
        "traded_at_ambiguous_date",
        "traded_at '05/01/2024 10:30' is a date with slashes, and the file does not say whether the day or the month "
        "comes first (only a decimal-comma file is read day first): write it as ISO 8601, YYYY-MM-DD[ HH:MM[:SS]]",
    ),
    ({"traded_at": "15/01/2024 10:30", "price": "300,5", "_decimal_comma": True, "_day_first": True}, None, None),
    (
        {"traded_at": "31/02/2024", "price": "300,5", "_decimal_comma": True, "_day_first": True},
        "traded_at_not_a_timestamp",
        "traded_at '31/02/2024' is not an ISO 8601 date or timestamp, nor a date dd/mm/yyyy[ hh:mm[:ss]]",
    ),
    (
        {"traded_at": f"2024{BAD}"},
        "traded_at_bad_encoding",
        f"traded_at '2024{BAD}'{NOT_VALID_ENCODING}; traded_at '2024{BAD}' is not an ISO 8601 date or timestamp",
    ),
    # several failures: the first names the rule, the reason lists them all
    (
        {"quantity": "abc", "price": "-1", "energy_type": "solar"},
        "quantity_not_a_number",
        "quantity 'abc' is not a number; price '-1' must be at least 0; "
        "energy_type 'solar' is not one of wind, hydro, nuclear",
    ),
]

PROVIDER_BASE = {"provider_name": "Energía Verde S.A.", "energy_type": "eolica"}
PROVIDER_CASES: list[tuple[dict[str, Any], str | None, str | None]] = [
    ({}, None, None),
    ({"country": "Colombia", "capacity_mw": "1,250.5"}, None, None),
    (
        {"_duplicate_of": "providers/ingest_date=2024-04-30/p.csv"},
        "duplicate_file",
        "the file is identical to providers/ingest_date=2024-04-30/p.csv, ingested before",
    ),
    (
        {"_malformed": True, "_expected_fields": 2},
        "wrong_field_count",
        "the record does not have the header's 2 fields (or has an unclosed quote)",
    ),
    ({"provider_name": " "}, "provider_name_missing", "provider_name is empty"),
    (
        {"provider_name": f"Energ{BAD}a"},
        "provider_name_bad_encoding",
        f"provider_name 'Energ{BAD}a'{NOT_VALID_ENCODING}",
    ),
    ({"energy_type": None}, "energy_type_missing", "energy_type is empty"),
    ({"energy_type": "carbón"}, "energy_type_not_allowed", "energy_type 'carbón' is not one of wind, hydro, nuclear"),
    (
        {"energy_type": f"{BAD}"},
        "energy_type_bad_encoding",
        f"energy_type '{BAD}'{NOT_VALID_ENCODING}; energy_type '{BAD}' is not one of wind, hydro, nuclear",
    ),
    ({"country": f"Per{BAD}"}, "country_bad_encoding", f"country 'Per{BAD}'{NOT_VALID_ENCODING}"),
    ({"capacity_mw": "mucho"}, "capacity_mw_not_a_number", "capacity_mw 'mucho' is not a number"),
    ({"capacity_mw": "0.0001"}, "capacity_mw_too_many_decimals", "capacity_mw '0.0001' has more than 3 decimal places"),
    ({"capacity_mw": "1e9"}, "capacity_mw_out_of_range", "capacity_mw '1e9' does not fit decimal(12,3)"),
    ({"capacity_mw": "-1"}, "capacity_mw_negative", "capacity_mw '-1' must be at least 0"),
    (
        {"capacity_mw": f"{BAD}1"},
        "capacity_mw_bad_encoding",
        f"capacity_mw '{BAD}1'{NOT_VALID_ENCODING}; capacity_mw '{BAD}1' is not a number",
    ),
]

CUSTOMER_BASE = {"id_type": "CC", "id_number": "1012345678", "customer_name": "Laura Martínez", "city": "Bogotá"}
CUSTOMER_CASES: list[tuple[dict[str, Any], str | None, str | None]] = [
    ({}, None, None),
    ({"id_type": "Cédula de Ciudadanía", "id_number": "800.123.456-1"}, None, None),
    (
        {"_duplicate_of": "customers/ingest_date=2024-04-30/c.csv"},
        "duplicate_file",
        "the file is identical to customers/ingest_date=2024-04-30/c.csv, ingested before",
    ),
    (
        {"_malformed": True, "_expected_fields": 4},
        "wrong_field_count",
        "the record does not have the header's 4 fields (or has an unclosed quote)",
    ),
    ({"id_type": None}, "id_type_missing", "id_type is empty"),
    ({"id_type": "DNI"}, "id_type_not_allowed", "id_type 'DNI' is not one of CC, CE, NIT, TI, PA"),
    (
        {"id_type": f"C{BAD}"},
        "id_type_bad_encoding",
        f"id_type 'C{BAD}'{NOT_VALID_ENCODING}; id_type 'C{BAD}' is not one of CC, CE, NIT, TI, PA",
    ),
    ({"id_number": None}, "id_number_missing", "id_number is empty"),
    ({"id_number": "12"}, "id_number_bad_format", f"id_number {PII} is not in the expected format"),
    ({"id_number": "1234 5678"}, "id_number_bad_format", f"id_number {PII} is not in the expected format"),
    (
        {"id_number": f"123{BAD}"},
        "id_number_bad_encoding",
        f"id_number {PII}{NOT_VALID_ENCODING}; id_number {PII} is not in the expected format",
    ),
    ({"customer_name": None}, "customer_name_missing", "customer_name is empty"),
    ({"customer_name": f"Jos{BAD}"}, "customer_name_bad_encoding", f"customer_name {PII}{NOT_VALID_ENCODING}"),
    ({"city": ""}, "city_missing", "city is empty"),
    ({"city": f"Bogot{BAD}"}, "city_bad_encoding", f"city 'Bogot{BAD}'{NOT_VALID_ENCODING}"),
]

# A contract with non-zero lower bounds: the too_small rules no shipped contract uses yet.
GAUGES = Contract(
    entity="gauges",
    description="synthetic",
    key=("gauge",),
    partition_by=("ingest_date",),
    columns=(
        Column("gauge", "string", required=True),
        Column("level", "decimal(9,2)", required=True, min_exclusive=Decimal("5")),
        Column("floor", "decimal(9,2)", min=Decimal("1.5")),
    ),
    transform_layout="partitioned",
)
GAUGE_BASE = {"gauge": "g1", "level": "5.01"}
GAUGE_CASES: list[tuple[dict[str, Any], str | None, str | None]] = [
    ({"floor": "1.5"}, None, None),
    ({"level": "5"}, "level_too_small", "level '5' must be greater than 5"),
    ({"floor": "1.49"}, "floor_too_small", "floor '1.49' must be at least 1.5"),
]

TABLES = {
    "transactions": (TX_BASE, TX_CASES),
    "providers": (PROVIDER_BASE, PROVIDER_CASES),
    "customers": (CUSTOMER_BASE, CUSTOMER_CASES),
}


def _contract(entity: str) -> Contract:
    return GAUGES if entity == "gauges" else load_contract(entity)


def _cases(entity: str):
    return (GAUGE_BASE, GAUGE_CASES) if entity == "gauges" else TABLES[entity]


def _file(entity: str) -> str:
    return f"{entity}/ingest_date=2024-05-01/feed.csv"


def _records(spark, entity: str):
    base, cases = _cases(entity)
    return records(spark, _contract(entity), [{**base, **override} for override, _, _ in cases], _file(entity))


@pytest.mark.parametrize("entity", ["transactions", "providers", "customers"])
def test_every_rule_code_has_a_case(entity):
    _, cases = TABLES[entity]
    assert {rule for _, rule, _ in cases if rule} == rule_catalogue(load_contract(entity))


def test_synthetic_contract_covers_too_small():
    assert {rule for _, rule, _ in GAUGE_CASES if rule} | {
        "duplicate_file",
        "wrong_field_count",
        "gauge_missing",
        "gauge_bad_encoding",
        "level_missing",
        "level_bad_encoding",
        "level_not_a_number",
        "level_too_many_decimals",
        "level_out_of_range",
        "floor_bad_encoding",
        "floor_not_a_number",
        "floor_too_many_decimals",
        "floor_out_of_range",
    } == rule_catalogue(GAUGES)


@pytest.mark.parametrize("entity", ["transactions", "providers", "customers", "gauges"])
def test_validate_rule_and_reason_per_record(spark, entity):
    _, cases = _cases(entity)
    validated = raw.validate(_records(spark, entity), _contract(entity))
    actual = validated.select("_source_line", raw.RULE, raw.REASON)
    expected = spark.createDataFrame(
        [(line, rule, reason) for line, (_, rule, reason) in enumerate(cases, start=2)],
        f"_source_line int, {raw.RULE} string, {raw.REASON} string",
    )
    assertDataFrameEqual(actual, expected)


def _lineage(line: int, file: str = FILE) -> dict[str, Any]:
    return {"_source_file": file, "_source_line": line, "_ingested_at": INGESTED, "_run_id": RUN, "ingest_date": DAY}


def test_valid_transactions_come_out_exactly_with_canonical_decimals(spark):
    contract = load_contract("transactions")
    out = raw.valid_rows(raw.validate(_records(spark, "transactions"), contract), contract)
    f = _file("transactions")
    rows = [
        # text exactly as sent; numbers in canonical notation ([-]digits[.digits][e±n])
        (None, "venta", "Laura Martínez", "100", "300.5", "eólica", None, {}, False, *_lineage(2, f).values()),
        (
            "T-2024.001",
            " COMPRA ",
            "Laura Martínez",
            "1234.5",
            "0",
            "HIDROELÉCTRICA",
            "2024-05-01T10:00:00Z",
            {},
            False,
            *_lineage(3, f).values(),
        ),
        (None, "Sell", "Laura Martínez", "7", "1.5e3", "Nuclear", None, {}, False, *_lineage(4, f).values()),
        (None, "venta", "Laura Martínez", "1234.5", "12.75", "eólica", None, {}, False, *_lineage(5, f).values()),
        # a decimal-comma file: the day-first date as sent, and the notation the transform will read it in
        (
            None,
            "venta",
            "Laura Martínez",
            "100",
            "300.5",
            "eólica",
            "15/01/2024 10:30",
            {},
            True,
            *_lineage(36, f).values(),
        ),
    ]
    assertDataFrameEqual(out, spark.createDataFrame(rows, raw_schema(contract)))


def test_valid_rows_keep_extras_and_lineage(spark):
    contract = load_contract("providers")
    f = _file("providers")
    df = records(
        spark,
        contract,
        [
            {
                **PROVIDER_BASE,
                "capacity_mw": "1.234,5",
                "_decimal_comma": True,
                "_day_first": True,
                "_extra": {"id": "2", "notas": None},
            },
            {**PROVIDER_BASE, "capacity_mw": "x", "_extra": {"id": "3", "notas": "n"}},
        ],
        f,
    )
    out = raw.valid_rows(raw.validate(df, contract), contract)
    expected = [
        ("Energía Verde S.A.", "eolica", None, "1234.5", {"id": "2", "notas": None}, True, *_lineage(2, f).values())
    ]
    assertDataFrameEqual(out, spark.createDataFrame(expected, raw_schema(contract)))


@pytest.mark.parametrize("entity", ["transactions", "providers", "customers"])
def test_quarantine_rows_come_out_exactly(spark, entity):
    contract = load_contract(entity)
    base, cases = TABLES[entity]
    f = _file(entity)
    df = _records(spark, entity)
    out = raw.quarantine_rows(raw.validate(df, contract), contract)
    expected = []
    for line, (override, rule, reason) in enumerate(cases, start=2):
        if rule is None:
            continue
        row = {**base, **override}
        sent = override.get("source_record") or ",".join(row.get(c.name) or "" for c in contract.columns)
        expected.append((entity, rule, reason, sent, *_lineage(line, f).values()))
    assertDataFrameEqual(out, spark.createDataFrame(expected, quarantine_schema()))


def test_every_record_leaves_exactly_once_and_file_counts(spark):
    contract = load_contract("transactions")
    a, b = "transactions/ingest_date=2024-05-01/a.csv", "transactions/ingest_date=2024-05-01/b.csv"
    first = records(
        spark,
        contract,
        [
            TX_BASE,
            {**TX_BASE, "quantity": "2.5"},
            {**TX_BASE, "quantity": "abc"},
            {**TX_BASE, "_malformed": True},
        ],
        a,
    )
    second = records(spark, contract, [{**TX_BASE, "_duplicate_of": a}] * 3, b)
    validated = raw.validate(first.unionByName(second), contract).cache()
    counts = raw.file_counts(validated)
    expected = spark.createDataFrame(
        [
            (a, DAY, None, 2),
            (a, DAY, "quantity_not_a_number", 1),
            (a, DAY, "wrong_field_count", 1),
            (b, DAY, "duplicate_file", 3),
        ],
        T.StructType(
            [
                T.StructField("_source_file", T.StringType()),
                T.StructField("ingest_date", T.DateType()),
                T.StructField(raw.RULE, T.StringType()),
                T.StructField("records", T.LongType(), False),
            ]
        ),
    )
    assertDataFrameEqual(counts, expected)
    # rows_read = rows_valid + rows_quarantined, per file, from the frames themselves
    valid = raw.valid_rows(validated, contract).groupBy("_source_file").count()
    quarantined = raw.quarantine_rows(validated, contract).groupBy("_source_file").count()
    per_file = (
        validated.groupBy("_source_file")
        .agg(F.count(F.lit(1)).alias("read"))
        .join(valid.withColumnRenamed("count", "valid"), "_source_file", "left")
        .join(quarantined.withColumnRenamed("count", "quarantined"), "_source_file", "left")
        .select("_source_file", "read", F.coalesce("valid", F.lit(0)).alias("valid"), "quarantined")
    )
    schema = "_source_file string, read long, valid long, quarantined long"
    assertDataFrameEqual(per_file, spark.createDataFrame([(a, 4, 2, 2), (b, 3, 0, 3)], schema))
    validated.unpersist()
