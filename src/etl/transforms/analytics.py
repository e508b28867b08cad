"""Transform -> analytics, the pure part: the marts declared in ``contracts/marts.yaml``.

Daily marts depend only on the transactions of their day, so a run rebuilds just the days it
touched. Averages are ``total_amount / total_quantity`` rounded half-up to 4 places.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from energy_lake.etl.model.schemas import conform, mart_schema

QTY, MONEY = "decimal(38,3)", "decimal(38,7)"


def average_price(amount: Column, quantity: Column) -> Column:
    """amount / quantity, 4 places half-up (away from zero); null when nothing was traded.

    Exact: with amount at scale 7 and quantity at scale 3, avg x 10^4 = A / Q for the unscaled integers
    A and Q, and rounding half-up is floor((2|A| + Q) / 2Q), an integral division (``div``) of exact
    decimals. Rounding Spark's decimal quotient instead is wrong near half-way points, because the quotient
    keeps only 12 decimals: 24691350.1234567 / 200000.001 = 123.45674999999975... gave 123.4568.
    Totals stay below 10^23 currency units and 10^21 MWh (the narrowing casts).
    """
    a = F.abs(amount.cast("decimal(30,7)"))
    unit = F.when(quantity != 0, quantity).cast("decimal(24,3)") * F.lit(Decimal("0.0001"))  # Q x 10^-7, exact
    steps = F.call_function("div", a + a + unit, unit + unit)  # half-up units of 0.0001 (a bigint)
    return (F.signum(amount).cast("decimal(1,0)") * steps.cast("decimal(18,0)") * F.lit(Decimal("0.0001"))).cast(
        "decimal(18,4)"
    )


def daily_energy_summary(tx: DataFrame) -> DataFrame:
    df = tx.groupBy("ingest_date", "energy_type", "transaction_type").agg(
        F.count(F.lit(1)).alias("trade_count"),
        F.sum("quantity").cast(QTY).alias("total_quantity"),
        F.sum("amount").cast(MONEY).alias("total_amount"),
    )
    df = df.withColumn("avg_price", average_price(F.col("total_amount"), F.col("total_quantity")))
    return conform(df, mart_schema("daily_energy_summary"))


def _side(kind: str, col: str) -> Column:
    return F.when(F.col("transaction_type") == kind, F.col(col))


def daily_position(tx: DataFrame) -> DataFrame:
    df = tx.groupBy("ingest_date", "energy_type").agg(
        F.coalesce(F.sum(_side("buy", "quantity")), F.lit(0)).cast(QTY).alias("bought_quantity"),
        F.coalesce(F.sum(_side("sell", "quantity")), F.lit(0)).cast(QTY).alias("sold_quantity"),
        F.coalesce(F.sum(_side("buy", "amount")), F.lit(0)).cast(MONEY).alias("purchase_cost"),
        F.coalesce(F.sum(_side("sell", "amount")), F.lit(0)).cast(MONEY).alias("sales_revenue"),
    )
    df = (
        df.withColumn("net_position", F.col("bought_quantity") - F.col("sold_quantity"))
        .withColumn("gross_margin", F.col("sales_revenue") - F.col("purchase_cost"))
        .withColumn("avg_buy_price", average_price(F.col("purchase_cost"), F.col("bought_quantity")))
        .withColumn("avg_sell_price", average_price(F.col("sales_revenue"), F.col("sold_quantity")))
        .withColumn("price_spread", F.col("avg_sell_price") - F.col("avg_buy_price"))
    )
    return conform(df, mart_schema("daily_position"))


def _resolved(tx: DataFrame, kind: str) -> DataFrame:
    return tx.where((F.col("transaction_type") == kind) & (F.col("counterparty_status") == "resolved"))


def city_demand(tx: DataFrame) -> DataFrame:
    df = (
        _resolved(tx, "sell")
        .groupBy("ingest_date", F.col("counterparty_city").alias("city"), "energy_type")
        .agg(
            F.count(F.lit(1)).alias("trade_count"),
            F.sum("quantity").cast(QTY).alias("total_quantity"),
            F.sum("amount").cast(MONEY).alias("total_revenue"),
        )
    )
    return conform(df, mart_schema("city_demand"))


def customer_summary(tx: DataFrame, customers: DataFrame) -> DataFrame:
    sales = (
        _resolved(tx, "sell")
        .groupBy(F.col("counterparty_key").alias("customer_key"))
        .agg(
            F.count(F.lit(1)).alias("trade_count"),
            F.sum("quantity").cast(QTY).alias("total_quantity"),
            F.sum("amount").cast(MONEY).alias("total_spend"),
            F.min("ingest_date").alias("first_trade_date"),
            F.max("ingest_date").alias("last_trade_date"),
        )
    )
    df = sales.join(customers.select("customer_key", "id_type", "city"), on="customer_key", how="left")
    return conform(df, mart_schema("customer_summary"))


def provider_summary(tx: DataFrame, providers: DataFrame) -> DataFrame:
    buys = tx.where(F.col("transaction_type") == "buy")
    total = buys.agg(F.sum("quantity").alias("_all_bought"))
    per_provider = (
        _resolved(tx, "buy")
        .groupBy(F.col("counterparty_key").alias("provider_key"))
        .agg(
            F.count(F.lit(1)).alias("trade_count"),
            F.sum("quantity").cast(QTY).alias("total_quantity"),
            F.sum("amount").cast(MONEY).alias("total_cost"),
            F.min("ingest_date").alias("first_trade_date"),
            F.max("ingest_date").alias("last_trade_date"),
        )
    )
    df = (
        per_provider.crossJoin(total)
        .withColumn("purchase_share", F.round(F.col("total_quantity") / F.col("_all_bought"), 6))
        .join(providers.select("provider_key", "provider_name", "energy_type"), on="provider_key", how="left")
    )
    return conform(df, mart_schema("provider_summary"))


DAILY_MARTS: dict[str, Callable[[DataFrame], DataFrame]] = {
    "daily_energy_summary": daily_energy_summary,
    "daily_position": daily_position,
    "city_demand": city_demand,
}
