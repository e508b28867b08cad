"""analytics.py: every mart of marts.yaml over a small transform-zone trades frame.

Sums are written out by hand; quotients use Python Decimal with ROUND_HALF_UP (avg price to 4 places,
purchase share to 6), so the expected values never come from Spark.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal, localcontext

import pytest
from pyspark.testing import assertDataFrameEqual

from energy_lake.etl.model.contracts import load_contract, load_marts
from energy_lake.etl.model.schemas import mart_schema, transform_schema
from energy_lake.etl.transforms import analytics

pytestmark = pytest.mark.spark

D = Decimal
DAY1, DAY2 = date(2024, 5, 1), date(2024, 5, 2)
INGESTED = datetime(2024, 5, 3, 6, 0, tzinfo=UTC)


def avg(amount: str, quantity: str) -> Decimal | None:
    """total_amount / total_quantity, half-up to 4 places; null when nothing was traded."""
    if D(quantity) == 0:
        return None
    with localcontext(prec=100):  # exact quotient first, then one rounding
        return (D(amount) / D(quantity)).quantize(D("0.0001"), rounding=ROUND_HALF_UP)


def share(part: str, whole: str) -> Decimal:
    return (D(part) / D(whole)).quantize(D("0.000001"), rounding=ROUND_HALF_UP)


# id, day, buy/sell, energy, quantity, price, counterparty key, status, city
TRADES = [
    ("B1", DAY1, "buy", "wind", "1.000", "1.2344", "energia_verde", "resolved", None),
    ("B2", DAY1, "buy", "wind", "1.000", "1.2345", "energia_verde", "resolved", None),
    ("B3", DAY1, "buy", "hydro", "3.000", "10.0000", "hidroplus", "resolved", None),
    ("B4", DAY1, "buy", "hydro", "1.500", "7.1234", None, "unresolved", None),
    ("S1", DAY1, "sell", "wind", "3.000", "3.3333", "tok_k1", "resolved", "Bogota"),
    ("S2", DAY1, "sell", "wind", "0.333", "20.0000", "tok_k2", "resolved", "Cali"),
    ("S3", DAY1, "sell", "nuclear", "7.000", "100.0001", None, "ambiguous", None),
    ("B5", DAY2, "buy", "wind", "2.500", "4.0000", "energia_verde", "resolved", None),
    ("S4", DAY2, "sell", "wind", "1.250", "5.5000", "tok_k1", "resolved", "Bogota"),
    ("S5", DAY2, "sell", "hydro", "10.000", "0.0000", "tok_k2", "resolved", "Cali"),
    ("S6", DAY2, "sell", "hydro", "2.000", "3.0000", None, "unresolved", None),
]


@pytest.fixture(scope="module")
def trades(spark):
    rows = [
        (
            tid,
            kind,
            f"tok_name_{tid}",
            D(q),
            D(p),
            energy,
            None,
            "derived",
            D(q) * D(p),
            key,
            status,
            city,
            {},
            f"transactions/ingest_date={day}/t.csv",
            n + 2,
            INGESTED,
            "r1",
            day,
        )
        for n, (tid, day, kind, energy, q, p, key, status, city) in enumerate(TRADES)
    ]
    return spark.createDataFrame(rows, transform_schema(load_contract("transactions"))).cache()


def test_every_daily_mart_is_registered():
    assert set(analytics.DAILY_MARTS) == {m.name for m in load_marts() if m.partition_by}


def test_daily_energy_summary(spark, trades):
    expected = [
        # energy, type, trades, total quantity, total amount, avg price, day
        ("wind", "buy", 2, D("2.000"), D("2.4689000"), avg("2.4689", "2.000"), DAY1),  # 1.23445 -> 1.2345 (half-up)
        ("hydro", "buy", 2, D("4.500"), D("40.6851000"), avg("40.6851", "4.500"), DAY1),
        ("wind", "sell", 2, D("3.333"), D("16.6599000"), avg("16.6599", "3.333"), DAY1),
        ("nuclear", "sell", 1, D("7.000"), D("700.0007000"), avg("700.0007", "7.000"), DAY1),
        ("wind", "buy", 1, D("2.500"), D("10.0000000"), avg("10", "2.500"), DAY2),
        ("wind", "sell", 1, D("1.250"), D("6.8750000"), avg("6.875", "1.250"), DAY2),
        ("hydro", "sell", 2, D("12.000"), D("6.0000000"), avg("6", "12.000"), DAY2),
    ]
    assert [r[5] for r in expected] == [
        D("1.2345"),
        D("9.0411"),
        D("4.9985"),
        D("100.0001"),
        D("4.0000"),
        D("5.5000"),
        D("0.5000"),
    ]
    out = analytics.daily_energy_summary(trades)
    assertDataFrameEqual(out, spark.createDataFrame(expected, mart_schema("daily_energy_summary")))


def test_daily_position(spark, trades):
    expected = [
        # energy, bought, sold, net, cost, revenue, margin, avg buy, avg sell, spread, day
        (
            "wind",
            D("2.000"),
            D("3.333"),
            D("-1.333"),
            D("2.4689000"),
            D("16.6599000"),
            D("14.1910000"),
            D("1.2345"),
            D("4.9985"),
            D("3.7640"),
            DAY1,
        ),
        (
            "hydro",
            D("4.500"),
            D("0.000"),
            D("4.500"),
            D("40.6851000"),
            D("0E-7"),
            D("-40.6851000"),
            D("9.0411"),
            None,
            None,
            DAY1,
        ),
        (
            "nuclear",
            D("0.000"),
            D("7.000"),
            D("-7.000"),
            D("0E-7"),
            D("700.0007000"),
            D("700.0007000"),
            None,
            D("100.0001"),
            None,
            DAY1,
        ),
        (
            "wind",
            D("2.500"),
            D("1.250"),
            D("1.250"),
            D("10.0000000"),
            D("6.8750000"),
            D("-3.1250000"),
            D("4.0000"),
            D("5.5000"),
            D("1.5000"),
            DAY2,
        ),
        (
            "hydro",
            D("0.000"),
            D("12.000"),
            D("-12.000"),
            D("0E-7"),
            D("6.0000000"),
            D("6.0000000"),
            None,
            D("0.5000"),
            None,
            DAY2,
        ),
    ]
    out = analytics.daily_position(trades)
    assertDataFrameEqual(out, spark.createDataFrame(expected, mart_schema("daily_position")))


def test_city_demand_counts_resolved_sells_only(spark, trades):
    expected = [
        ("Bogota", "wind", 1, D("3.000"), D("9.9999000"), DAY1),
        ("Cali", "wind", 1, D("0.333"), D("6.6600000"), DAY1),
        ("Bogota", "wind", 1, D("1.250"), D("6.8750000"), DAY2),
        ("Cali", "hydro", 1, D("10.000"), D("0E-7"), DAY2),
    ]
    assertDataFrameEqual(analytics.city_demand(trades), spark.createDataFrame(expected, mart_schema("city_demand")))


def test_customer_summary(spark, trades):
    customers = spark.createDataFrame(
        [(k, t, c) for k, t, c in [("tok_k1", "CC", "Bogota"), ("tok_k2", "NIT", "Cali"), ("tok_k3", "CE", "Pasto")]],
        "customer_key string, id_type string, city string",
    )
    expected = [
        ("tok_k1", "CC", "Bogota", 2, D("4.250"), D("16.8749000"), DAY1, DAY2),
        ("tok_k2", "NIT", "Cali", 2, D("10.333"), D("6.6600000"), DAY1, DAY2),
    ]
    out = analytics.customer_summary(trades, customers)
    assertDataFrameEqual(out, spark.createDataFrame(expected, mart_schema("customer_summary")))


def test_provider_summary_share_of_all_energy_bought(spark, trades):
    providers = spark.createDataFrame(
        [
            ("energia_verde", "Energía Verde S.A.", "wind"),
            ("hidroplus", "HidroPlus", "hydro"),
            ("nucleo", "NucleoPower", "nuclear"),
        ],
        "provider_key string, provider_name string, energy_type string",
    )
    all_bought = "9.000"  # B1..B5, the unresolved B4 included
    expected = [
        ("Energía Verde S.A.", "wind", 3, D("4.500"), D("12.4689000"), share("4.500", all_bought), DAY1, DAY2),
        ("HidroPlus", "hydro", 1, D("3.000"), D("30.0000000"), share("3.000", all_bought), DAY1, DAY1),
    ]
    assert [r[5] for r in expected] == [D("0.500000"), D("0.333333")]
    out = analytics.provider_summary(trades, providers)
    assertDataFrameEqual(out, spark.createDataFrame(expected, mart_schema("provider_summary")))


def test_average_price_rounds_half_up_and_is_null_without_quantity(spark):
    cases = [
        ("0.0000500", "1.000"),
        ("2.4689000", "2.000"),
        ("-2.4689000", "2.000"),
        ("10.0000000", "3.000"),
        ("20.0000000", "3.000"),
        ("5.0000000", "0.000"),
        ("12345678901.2345678", "0.001"),
        # just below a half-way point, closer than Spark's 12-decimal quotient can tell
        ("24691350.1234567", "200000.001"),
        ("16800850228.3906630", "405582.123"),
        ("0E-7", "5.000"),
    ]
    frame = spark.createDataFrame([(D(a), D(q)) for a, q in cases], "amount decimal(38,7), quantity decimal(38,3)")
    out = frame.select("amount", "quantity", analytics.average_price(frame.amount, frame.quantity).alias("avg"))
    expected = spark.createDataFrame(
        [(D(a), D(q), avg(a, q)) for a, q in cases], "amount decimal(38,7), quantity decimal(38,3), avg decimal(18,4)"
    )
    assert [avg(a, q) for a, q in cases] == [
        D("0.0001"),
        D("1.2345"),
        D("-1.2345"),
        D("3.3333"),
        D("6.6667"),
        None,
        D("12345678901234.5678"),
        D("123.4567"),
        D("41424.0403"),
        D("0.0000"),
    ]
    assertDataFrameEqual(out, expected)
