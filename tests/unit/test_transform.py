"""transform.py: type and standardise, dimension snapshots with tokens, trade ids, dedup, counterparties.

Input frames are raw-zone rows built from the contracts (``schemas.raw_schema``); expected frames are
written out with exact Decimals, and tokens computed independently with Python's hmac.
"""

from __future__ import annotations

import hashlib
import unicodedata
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from pyspark.sql import functions as F
from pyspark.sql import types as T
from pyspark.testing import assertDataFrameEqual

from energy_lake.etl.model.contracts import Contract, load_contract
from energy_lake.etl.model.schemas import raw_schema, spark_type, transform_schema
from energy_lake.etl.transforms import tokens, transform

pytestmark = pytest.mark.spark

D = Decimal
DAY1, DAY2 = date(2024, 5, 1), date(2024, 5, 2)
INGESTED = datetime(2024, 5, 3, 6, 0, tzinfo=UTC)
RUN = "r20240503T060000Z-000001"


def lineage(file: str, line: int) -> tuple[Any, ...]:
    return (file, line, INGESTED, RUN)


def raw_rows(spark, contract: Contract, rows: list[tuple[date, str, int, dict[str, Any]]]):
    """Raw-zone rows: (ingest date, file name, record number, contract values as text)."""
    data = [
        (
            *[values.get(c.name) for c in contract.columns],
            values.get("_extra", {}),
            values.get("_day_first", False),
            *lineage(f"{contract.entity}/ingest_date={day}/{name}", line),
            day,
        )
        for day, name, line, values in rows
    ]
    return spark.createDataFrame(data, raw_schema(contract))


ANA = {
    "transaction_type": "venta",
    "counterparty_name": "Ana Gómez",
    "quantity": "2",
    "price": "3.5",
    "energy_type": "nuclear",
}


def path(entity: str, day: date, name: str) -> str:
    return f"{entity}/ingest_date={day}/{name}"


def test_city_name(spark):
    cases = [
        ("BOGOTÁ", "Bogota"),
        (" bogota ", "Bogota"),
        ("medellín", "Medellin"),
        ("san  josé de cúcuta", "San Jose De Cucuta"),
        (unicodedata.normalize("NFD", "Bogotá"), "Bogota"),
        ("  ", None),
        (None, None),
    ]
    frame = spark.createDataFrame([(c[0],) for c in cases], "text string")
    actual = frame.select("text", transform.city_name(F.col("text")).alias("city"))
    assertDataFrameEqual(actual, spark.createDataFrame(cases, "text string, city string"))


def test_id_key(spark):
    cases = [("800.123.456-1", "8001234561"), (" 1012345678 ", "1012345678"), ("e-12345", "E12345"), (None, None)]
    frame = spark.createDataFrame([(c[0],) for c in cases], "text string")
    actual = frame.select("text", transform.id_key(F.col("text")).alias("key"))
    assertDataFrameEqual(actual, spark.createDataFrame(cases, "text string, key string"))


def test_standardise_transactions(spark):
    contract = load_contract("transactions")
    raw = raw_rows(
        spark,
        contract,
        [
            (
                DAY1,
                "t.csv",
                2,
                {
                    "transaction_id": " T-1 ",
                    "transaction_type": " Compra ",
                    "counterparty_name": "  Energía   Verde S.A. ",
                    "quantity": "1234.5",
                    "price": "1.5e3",
                    "energy_type": "EÓLICA",
                    "traded_at": "2024-05-01T10:00:00+02:00",
                },
            ),
            (
                DAY1,
                "t.csv",
                3,
                {
                    "transaction_type": "venta",
                    "counterparty_name": "Laura Martínez",
                    "quantity": "0.001",
                    "price": "0",
                    "energy_type": "hidroeléctrica",
                    "traded_at": "2024-05-01",
                    "_extra": {"notas": "x"},
                },
            ),
            # a decimal-comma file: day first; a row written before raw had the column: ISO dates only
            (DAY1, "t.csv", 4, {**ANA, "traded_at": "15/01/2024 9:05", "_day_first": True}),
            (DAY1, "t.csv", 5, {**ANA, "traded_at": "2024-01-15", "_day_first": None}),
        ],
    )
    typed = T.StructType(
        [
            *[T.StructField(c.name, spark_type(c)) for c in contract.columns],
            *raw_schema(contract).fields[len(contract.columns) :],
        ]
    )
    f = path("transactions", DAY1, "t.csv")
    ana = (None, "sell", "Ana Gómez", D("2.000"), D("3.5000"), "nuclear")
    expected = spark.createDataFrame(
        [
            (
                "T-1",
                "buy",
                "Energía Verde S.A.",
                D("1234.500"),
                D("1500.0000"),
                "wind",
                datetime(2024, 5, 1, 8, 0, tzinfo=UTC),
                {},
                False,
                *lineage(f, 2),
                DAY1,
            ),
            (
                None,
                "sell",
                "Laura Martínez",
                D("0.001"),
                D("0.0000"),
                "hydro",
                datetime(2024, 5, 1, 0, 0, tzinfo=UTC),
                {"notas": "x"},
                False,
                *lineage(f, 3),
                DAY1,
            ),
            (*ana, datetime(2024, 1, 15, 9, 5, tzinfo=UTC), {}, True, *lineage(f, 4), DAY1),
            (*ana, datetime(2024, 1, 15, tzinfo=UTC), {}, None, *lineage(f, 5), DAY1),
        ],
        typed,
    )
    assertDataFrameEqual(transform.standardise(raw, contract), expected)


def test_providers_one_current_row_per_name_key(spark):
    contract = load_contract("providers")
    raw = raw_rows(
        spark,
        contract,
        [
            (
                DAY1,
                "a.csv",
                2,
                {
                    "provider_name": "Energía Verde S.A.",
                    "energy_type": "eolica",
                    "country": "Colombia",
                    "capacity_mw": "100",
                },
            ),
            (
                DAY2,
                "a.csv",
                2,
                {"provider_name": "ENERGIA  VERDE S.A.", "energy_type": "Eólica", "capacity_mw": "120.5"},
            ),
            (DAY1, "a.csv", 3, {"provider_name": "HidroPlus", "energy_type": "hidroelectrica"}),
            (
                DAY1,
                "b.csv",
                2,
                {"provider_name": "hidroplus", "energy_type": "hídrica", "country": "Perú", "capacity_mw": "50"},
            ),
            (DAY1, "b.csv", 3, {"provider_name": "Nucleo Power", "energy_type": "nuclear"}),
            (DAY1, "b.csv", 4, {"provider_name": "Nucleo Power", "energy_type": "Nuclear", "country": "Chile"}),
        ],
    )
    expected = spark.createDataFrame(
        [
            # latest ingest date wins; then the later file; then the later record
            (
                "ENERGIA VERDE S.A.",
                "wind",
                None,
                D("120.500"),
                "energia_verde_s_a",
                DAY1,
                DAY2,
                {},
                *lineage(path("providers", DAY2, "a.csv"), 2),
            ),
            (
                "hidroplus",
                "hydro",
                "Perú",
                D("50.000"),
                "hidroplus",
                DAY1,
                DAY1,
                {},
                *lineage(path("providers", DAY1, "b.csv"), 2),
            ),
            (
                "Nucleo Power",
                "nuclear",
                "Chile",
                None,
                "nucleo_power",
                DAY1,
                DAY1,
                {},
                *lineage(path("providers", DAY1, "b.csv"), 4),
            ),
        ],
        transform_schema(contract),
    )
    assertDataFrameEqual(transform.providers(raw, contract), expected)


def test_customers_tokens_and_one_row_per_document(spark, pii_key):
    contract = load_contract("customers")
    raw = raw_rows(
        spark,
        contract,
        [
            (
                DAY1,
                "a.csv",
                2,
                {"id_type": "CC", "id_number": "1012345678", "customer_name": "Laura Martínez", "city": "BOGOTÁ"},
            ),
            (
                DAY2,
                "a.csv",
                2,
                {
                    "id_type": "cédula",
                    "id_number": "1.012.345.678",
                    "customer_name": "LAURA  MARTINEZ",
                    "city": "bogota",
                },
            ),
            (
                DAY1,
                "a.csv",
                3,
                {
                    "id_type": "NIT",
                    "id_number": "800.123.456-1",
                    "customer_name": "Industria Solar S.A.",
                    "city": "medellín",
                },
            ),
            (
                DAY1,
                "a.csv",
                4,
                {
                    "id_type": "nit",
                    "id_number": "800123456-1",
                    "customer_name": "Industria Solar SA",
                    "city": "Medellín",
                    "_extra": {"segmento": "industrial"},
                },
            ),
            (
                DAY1,
                "a.csv",
                5,
                {"id_type": "CE", "id_number": "e-12345", "customer_name": "José Ñúñez", "city": "cali"},
            ),
        ],
    )

    def tok(text: str) -> str:
        return tokens.python_token(pii_key, text)

    expected = spark.createDataFrame(
        [
            (
                "CC",
                tok("1012345678"),
                tok("laura_martinez"),
                "Bogota",
                tok("CC:1012345678"),
                DAY1,
                DAY2,
                {},
                *lineage(path("customers", DAY2, "a.csv"), 2),
            ),
            (
                "NIT",
                tok("8001234561"),
                tok("industria_solar_sa"),
                "Medellin",
                tok("NIT:8001234561"),
                DAY1,
                DAY1,
                {"segmento": "industrial"},
                *lineage(path("customers", DAY1, "a.csv"), 4),
            ),
            (
                "CE",
                tok("E12345"),
                tok("jose_nunez"),
                "Cali",
                tok("CE:E12345"),
                DAY1,
                DAY1,
                {},
                *lineage(path("customers", DAY1, "a.csv"), 5),
            ),
        ],
        transform_schema(contract),
    )
    out = transform.customers(raw, contract, tokens.key_pads(spark, pii_key))
    assertDataFrameEqual(out, expected)
    assert tok("laura_martinez").startswith("tok_") and len(tok("laura_martinez")) == 36


def _derived(file: str, line: int) -> str:
    return "d-" + hashlib.sha256(f"{file}:{line}".encode()).hexdigest()[:24]


def test_with_transaction_ids_derives_only_missing_ids_stably(spark):
    a, b = path("transactions", DAY1, "a.csv"), path("transactions", DAY2, "a.csv")
    schema = "transaction_id string, _source_file string, _source_line int"
    frame = spark.createDataFrame([("T-1", a, 2), (None, a, 3), (None, a, 4), (None, b, 3)], schema)
    expected = spark.createDataFrame(
        [
            ("T-1", a, 2, "feed"),
            (_derived(a, 3), a, 3, "derived"),
            (_derived(a, 4), a, 4, "derived"),
            (_derived(b, 3), b, 3, "derived"),
        ],
        f"{schema}, id_source string",
    )
    assertDataFrameEqual(transform.with_transaction_ids(frame), expected)
    # the same file and record give the same id in a later run (nothing run-specific goes in)
    again = spark.createDataFrame([(None, b, 3), (None, a, 3)], schema)
    assertDataFrameEqual(
        transform.with_transaction_ids(again),
        spark.createDataFrame(
            [(_derived(b, 3), b, 3, "derived"), (_derived(a, 3), a, 3, "derived")], f"{schema}, id_source string"
        ),
    )


def test_deduplicate_first_ingested_wins_and_earlier_ids_are_dropped(spark):
    a1, b1 = path("transactions", DAY1, "a.csv"), path("transactions", DAY1, "b.csv")
    a2 = path("transactions", DAY2, "a.csv")
    schema = "transaction_id string, ingest_date date, _source_file string, _source_line int, tag string"
    frame = spark.createDataFrame(
        [
            ("T1", DAY2, a2, 2, "T1 on a later day"),
            ("T1", DAY1, b1, 5, "T1 first"),
            ("T2", DAY1, b1, 3, "T2 in the later file"),
            ("T2", DAY1, a1, 9, "T2 first"),
            ("T3", DAY1, a1, 7, "T3 later record"),
            ("T3", DAY1, a1, 4, "T3 first"),
            ("T4", DAY1, a1, 2, "T4 already in an earlier partition"),
            (_derived(a1, 3), DAY1, a1, 3, "identical trade 1"),
            (_derived(a1, 5), DAY1, a1, 5, "identical trade 2"),
        ],
        schema,
    )
    earlier = spark.createDataFrame([("T4",), ("T9",), ("T4",)], "transaction_id string")
    expected = spark.createDataFrame(
        [
            ("T1", DAY1, b1, 5, "T1 first"),
            ("T2", DAY1, a1, 9, "T2 first"),
            ("T3", DAY1, a1, 4, "T3 first"),
            (_derived(a1, 3), DAY1, a1, 3, "identical trade 1"),
            (_derived(a1, 5), DAY1, a1, 5, "identical trade 2"),
        ],
        schema,
    )
    assertDataFrameEqual(transform.deduplicate(frame, earlier), expected)


def test_resolve_counterparties(spark, pii_key):
    def tok(text: str) -> str:
        return tokens.python_token(pii_key, text)

    providers_df = spark.createDataFrame([("energia_verde_s_a",), ("hidroplus",)], "provider_key string")
    customers_df = spark.createDataFrame(
        [
            (tok("laura_martinez"), tok("CC:1"), "Bogota"),
            (tok("carlos_gomez"), tok("CC:2"), "Cali"),
            (tok("carlos_gomez"), tok("CC:3"), "Pereira"),
        ],
        "customer_name string, customer_key string, city string",
    )
    trades = spark.createDataFrame(
        [
            ("T1", "buy", "Energía Verde S.A."),
            ("T2", "buy", "energia verde sa"),
            ("T3", "sell", "LAURA  MARTÍNEZ"),
            ("T4", "sell", "Carlos Gómez"),
            ("T5", "sell", "Nadie"),
            ("T6", "buy", "Laura Martínez"),
            ("T7", "sell", "Energía Verde S.A."),
        ],
        "transaction_id string, transaction_type string, counterparty_name string",
    )
    with_pads = tokens.with_pads(trades, tokens.key_pads(spark, pii_key))
    out = transform.resolve_counterparties(with_pads, providers_df, customers_df).select(
        "transaction_id",
        "transaction_type",
        "counterparty_name",
        "counterparty_status",
        "counterparty_key",
        "counterparty_city",
    )
    expected = spark.createDataFrame(
        [
            ("T1", "buy", tok("energia_verde_s_a"), "resolved", "energia_verde_s_a", None),
            ("T2", "buy", tok("energia_verde_sa"), "unresolved", None, None),
            ("T3", "sell", tok("laura_martinez"), "resolved", tok("CC:1"), "Bogota"),
            ("T4", "sell", tok("carlos_gomez"), "ambiguous", None, None),
            ("T5", "sell", tok("nadie"), "unresolved", None, None),
            ("T6", "buy", tok("laura_martinez"), "unresolved", None, None),
            ("T7", "sell", tok("energia_verde_s_a"), "unresolved", None, None),
        ],
        "transaction_id string, transaction_type string, counterparty_name string, counterparty_status string, "
        "counterparty_key string, counterparty_city string",
    )
    assertDataFrameEqual(out, expected)


def test_transactions_end_to_end(spark, pii_key):
    def tok(text: str) -> str:
        return tokens.python_token(pii_key, text)

    pads = tokens.key_pads(spark, pii_key)
    providers_c, customers_c, tx_c = (load_contract(e) for e in ("providers", "customers", "transactions"))
    providers_df = transform.providers(
        raw_rows(
            spark,
            providers_c,
            [
                (DAY1, "p.csv", 2, {"provider_name": "Energía Verde S.A.", "energy_type": "eolica"}),
            ],
        ),
        providers_c,
    )
    customers_df = transform.customers(
        raw_rows(
            spark,
            customers_c,
            [
                (
                    DAY1,
                    "c.csv",
                    2,
                    {"id_type": "CC", "id_number": "1012345678", "customer_name": "Laura Martínez", "city": "Bogotá"},
                ),
            ],
        ),
        customers_c,
        pads,
    )
    trade = {
        "transaction_type": "venta",
        "counterparty_name": "Laura Martínez",
        "quantity": "100",
        "price": "300",
        "energy_type": "eolica",
    }
    raw = raw_rows(
        spark,
        tx_c,
        [
            (
                DAY1,
                "a.csv",
                2,
                {
                    "transaction_id": "T-1",
                    "transaction_type": "compra",
                    "counterparty_name": "ENERGÍA VERDE S.A.",
                    "quantity": "500",
                    "price": "1200.5",
                    "energy_type": "Eólica",
                    "traded_at": "2024-05-01 09:00",
                },
            ),
            (DAY1, "a.csv", 3, trade),
            (DAY1, "a.csv", 4, trade),  # an identical trade: still a trade of its own
            (DAY1, "a.csv", 5, {**trade, "transaction_id": "T-OLD"}),  # already in an earlier partition
            (DAY1, "a.csv", 6, {**trade, "transaction_id": "T-1"}),  # same id again: the first one wins
            (
                DAY2,
                "b.csv",
                2,
                {
                    "transaction_type": "Venta",
                    "counterparty_name": "Desconocido SAS",
                    "quantity": "1.5e1",
                    "price": "2.25",
                    "energy_type": "NUCLEAR",
                    "_extra": {"canal": "web"},
                },
            ),
        ],
    )
    earlier = spark.createDataFrame([("T-OLD",)], "transaction_id string")
    out = transform.transactions(raw, tx_c, providers_df, customers_df, earlier, pads)
    a1, b2 = path("transactions", DAY1, "a.csv"), path("transactions", DAY2, "b.csv")
    expected = spark.createDataFrame(
        [
            (
                "T-1",
                "buy",
                tok("energia_verde_s_a"),
                D("500.000"),
                D("1200.5000"),
                "wind",
                datetime(2024, 5, 1, 9, 0, tzinfo=UTC),
                "feed",
                D("600250.0000000"),
                "energia_verde_s_a",
                "resolved",
                None,
                {},
                *lineage(a1, 2),
                DAY1,
            ),
            (
                _derived(a1, 3),
                "sell",
                tok("laura_martinez"),
                D("100.000"),
                D("300.0000"),
                "wind",
                None,
                "derived",
                D("30000.0000000"),
                tok("CC:1012345678"),
                "resolved",
                "Bogota",
                {},
                *lineage(a1, 3),
                DAY1,
            ),
            (
                _derived(a1, 4),
                "sell",
                tok("laura_martinez"),
                D("100.000"),
                D("300.0000"),
                "wind",
                None,
                "derived",
                D("30000.0000000"),
                tok("CC:1012345678"),
                "resolved",
                "Bogota",
                {},
                *lineage(a1, 4),
                DAY1,
            ),
            (
                _derived(b2, 2),
                "sell",
                tok("desconocido_sas"),
                D("15.000"),
                D("2.2500"),
                "nuclear",
                None,
                "derived",
                D("33.7500000"),
                None,
                "unresolved",
                None,
                {"canal": "web"},
                *lineage(b2, 2),
                DAY2,
            ),
        ],
        transform_schema(tx_c),
    )
    assertDataFrameEqual(out, expected)
