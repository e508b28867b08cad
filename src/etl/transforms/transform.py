"""Raw -> transform, the pure part: type, standardise, deduplicate, tokenise and resolve.

Every function takes and returns DataFrames and ends in the transform table's schema. Personal
data (contract ``pii`` columns) leaves as keyed tokens of the normalised value, so the same name
gives the same token in every table and run; counterparties are matched on those tokens.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F
from pyspark.sql.window import WindowSpec

from energy_lake.etl.model.contracts import Contract
from energy_lake.etl.model.schemas import conform, transform_schema
from energy_lake.etl.transforms import tokens, values

_ACCENTS = ("áàâäãåéèêëíìîïóòôöõúùûüñç", "aaaaaaeeeeiiiiooooouuuunc")


def standardise(raw: DataFrame, contract: Contract) -> DataFrame:
    """Typed contract columns: trimmed text, canonical codes, decimals, UTC timestamps."""
    df = raw
    for column in contract.columns:
        value = F.col(column.name)
        if column.decimal:
            typed = values.to_decimal(value, *column.decimal)  # raw holds canonical decimal text
        elif column.type == "timestamp":
            # Raw keeps dates as sent; rows from before the notation column was added hold only ISO dates.
            typed = values.to_timestamp(value, F.coalesce(F.col("_day_first"), F.lit(False)))
        elif column.allowed:
            typed = values.canonical_value(value, column)
        else:
            typed = values.clean_text(value)
        df = df.withColumn(column.name, typed)
    return df


def city_name(col: Column) -> Column:
    """One spelling per city: accents dropped, title case (``BOGOTÁ``, ``bogota`` -> ``Bogota``).

    Decomposed accents (``a`` + U+0301) lose their combining mark, precomposed ones are translated.
    """
    plain = F.regexp_replace(F.lower(values.clean_text(col)), r"\p{M}+", "")
    return F.initcap(F.translate(plain, *_ACCENTS))


def _latest_first(*keys: str) -> WindowSpec:
    return Window.partitionBy(*keys).orderBy(
        F.col("ingest_date").desc(), F.col("_source_file").desc(), F.col("_source_line").desc()
    )


def _current_rows(df: DataFrame, *keys: str) -> DataFrame:
    """One row per key, the latest ingested, with the first and last ingest dates of that key."""
    by_key = Window.partitionBy(*keys)
    return (
        df.withColumn("first_seen_date", F.min("ingest_date").over(by_key))
        .withColumn("last_seen_date", F.max("ingest_date").over(by_key))
        .withColumn("_rank", F.row_number().over(_latest_first(*keys)))
        .where(F.col("_rank") == 1)
    )


def providers(raw: DataFrame, contract: Contract) -> DataFrame:
    df = standardise(raw, contract).withColumn("provider_key", values.value_key(F.col("provider_name")))
    return conform(_current_rows(df, "provider_key"), transform_schema(contract))


def id_key(col: Column) -> Column:
    """An ID number without spaces, dots or dashes, upper case (``800.123.456-1`` -> ``8001234561``)."""
    return F.upper(F.regexp_replace(col, "[^0-9A-Za-z]", ""))


def customers(raw: DataFrame, contract: Contract, pads: DataFrame) -> DataFrame:
    """Current customers; ``id_number`` and ``customer_name`` become tokens. Needs the token key pads."""
    df = (
        standardise(raw, contract)
        .withColumn("_id", id_key(F.col("id_number")))
        .withColumn("city", city_name(F.col("city")))
    )
    df = _current_rows(df, "id_type", "_id")
    df = tokens.with_pads(df, pads)
    df = (
        df.withColumn("customer_key", tokens.token(F.concat_ws(":", "id_type", "_id")))
        .withColumn("id_number", tokens.token(F.col("_id")))
        .withColumn("customer_name", tokens.token(values.value_key(F.col("customer_name"))))
    )
    return conform(tokens.without_pads(df), transform_schema(contract))


def derived_transaction_id(source_file: Column, source_line: Column) -> Column:
    """Stable id for a trade the feed sent without one: same file and record -> same id, across runs."""
    return F.concat(F.lit("d-"), F.substring(F.sha2(F.concat_ws(":", source_file, source_line), 256), 1, 24))


def with_transaction_ids(df: DataFrame) -> DataFrame:
    sent = F.col("transaction_id").isNotNull()
    return df.withColumn("id_source", F.when(sent, "feed").otherwise("derived")).withColumn(
        "transaction_id",
        F.coalesce("transaction_id", derived_transaction_id(F.col("_source_file"), F.col("_source_line"))),
    )


def deduplicate(df: DataFrame, earlier_ids: DataFrame) -> DataFrame:
    """One row per transaction_id: the first ingested wins, and ids already in earlier partitions are dropped."""
    first = Window.partitionBy("transaction_id").orderBy("ingest_date", "_source_file", "_source_line")
    unique = df.withColumn("_n", F.row_number().over(first)).where(F.col("_n") == 1).drop("_n")
    return unique.join(earlier_ids.select("transaction_id").distinct(), on="transaction_id", how="left_anti")


def resolve_counterparties(df: DataFrame, providers_df: DataFrame, customers_df: DataFrame) -> DataFrame:
    """Match buys to providers (by name key) and sells to customers (by name token); flag the rest."""
    provider_keys = providers_df.select(F.col("provider_key").alias("_provider_key"))
    by_name = customers_df.groupBy(F.col("customer_name").alias("_name_token")).agg(
        F.count(F.lit(1)).alias("_matches"),
        F.min("customer_key").alias("_customer_key"),
        F.min("city").alias("_customer_city"),
    )
    is_buy = F.col("transaction_type") == "buy"
    matched = (
        df.withColumn("_name_key", values.value_key(F.col("counterparty_name")))
        .withColumn("_name_token", tokens.token(F.col("_name_key")))
        .join(F.broadcast(provider_keys), on=(F.col("_name_key") == F.col("_provider_key")) & is_buy, how="left")
        .join(F.broadcast(by_name), on=["_name_token"], how="left")
    )
    sell_match = ~is_buy & F.col("_matches").isNotNull()
    return (
        matched.withColumn(
            "counterparty_status",
            F.when(is_buy & F.col("_provider_key").isNotNull(), "resolved")
            .when(sell_match & (F.col("_matches") == 1), "resolved")
            .when(sell_match, "ambiguous")
            .otherwise("unresolved"),
        )
        .withColumn(
            "counterparty_key",
            F.when(is_buy, F.col("_provider_key")).when(
                F.col("counterparty_status") == "resolved", F.col("_customer_key")
            ),
        )
        .withColumn(
            "counterparty_city",
            F.when(~is_buy & (F.col("counterparty_status") == "resolved"), F.col("_customer_city")),
        )
        .withColumn("counterparty_name", F.col("_name_token"))
    )


def transactions(
    raw: DataFrame,
    contract: Contract,
    providers_df: DataFrame,
    customers_df: DataFrame,
    earlier_ids: DataFrame,
    pads: DataFrame,
) -> DataFrame:
    """Typed, deduplicated trades with resolved counterparties; the counterparty name is a token."""
    df = standardise(raw, contract).transform(with_transaction_ids).transform(lambda d: deduplicate(d, earlier_ids))
    df = df.withColumn("amount", (F.col("quantity") * F.col("price")).cast("decimal(38,7)"))
    df = tokens.with_pads(df, pads)
    df = resolve_counterparties(df, providers_df, customers_df)
    return conform(tokens.without_pads(df), transform_schema(contract))
