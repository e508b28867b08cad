"""Landing -> raw, the pure part: validate landing records against their contract.

Input: landing records as ``io.read_landing`` builds them (contract columns as text, ``_extra``,
lineage, ``ingest_date`` and the per-file facts ``_decimal_comma``, ``_malformed``,
``_expected_fields``, ``_duplicate_of``, ``source_record``). Every record leaves in exactly one of
``valid_rows`` and ``quarantine_rows``; the first rule it fails names its quarantine ``rule`` and
``reason`` lists every failure.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from energy_lake.etl import values
from energy_lake.etl.contracts import Column as ContractColumn
from energy_lake.etl.contracts import Contract
from energy_lake.etl.schemas import conform, quarantine_schema, raw_schema

RULE, REASON = "_rule", "_reason"


def _canon(name: str) -> str:
    return f"_canon_{name}"


def _fail(cond: Column, rule: str, reason: Column) -> Column:
    return F.when(cond, F.struct(F.lit(rule).alias("rule"), reason.alias("reason")))


def _shown(column: ContractColumn, value: Column) -> Column:
    """How a value appears in a reason: quoted, or withheld for personal data."""
    if column.pii:
        return F.lit(f"{column.name} (value withheld: personal data)")
    return F.concat(F.lit(f"{column.name} '"), F.coalesce(value, F.lit("")), F.lit("'"))


def _column_checks(column: ContractColumn) -> list[Column]:
    value = F.col(column.name)
    present = values.clean_text(value).isNotNull()
    shown = _shown(column, value)
    checks = []
    if column.required:
        checks.append(_fail(~present, f"{column.name}_missing", F.lit(f"{column.name} is empty")))
    checks.append(
        _fail(
            present & value.contains("\ufffd"),
            f"{column.name}_bad_encoding",
            F.concat(shown, F.lit(" has characters that are not valid in the file's encoding")),
        )
    )
    if column.decimal:
        precision, scale = column.decimal
        canon = F.col(_canon(column.name))
        fits_scale = canon.isNotNull() & (values.decimal_scale(canon) <= scale)
        # Bounds are checked on the exact value only: a value with too many decimals would be compared
        # rounded (1e-400 as 0.000, "must be greater than 0") and its reason would state something false.
        number = F.when(fits_scale, values.to_decimal(canon, precision, scale))
        checks += [
            _fail(present & canon.isNull(), f"{column.name}_not_a_number", F.concat(shown, F.lit(" is not a number"))),
            _fail(
                canon.isNotNull() & ~fits_scale,
                f"{column.name}_too_many_decimals",
                F.concat(shown, F.lit(f" has more than {scale} decimal places")),
            ),
            _fail(
                fits_scale & number.isNull(),
                f"{column.name}_out_of_range",
                F.concat(shown, F.lit(f" does not fit {column.type}")),
            ),
        ]
        if column.min_exclusive is not None:
            rule = "not_positive" if column.min_exclusive == 0 else "too_small"
            checks.append(
                _fail(
                    number <= F.lit(column.min_exclusive),
                    f"{column.name}_{rule}",
                    F.concat(shown, F.lit(f" must be greater than {column.min_exclusive}")),
                )
            )
        if column.min is not None:
            rule = "negative" if column.min == 0 else "too_small"
            checks.append(
                _fail(
                    number < F.lit(column.min),
                    f"{column.name}_{rule}",
                    F.concat(shown, F.lit(f" must be at least {column.min}")),
                )
            )
    if column.allowed:
        checks.append(
            _fail(
                present & values.canonical_value(value, column).isNull(),
                f"{column.name}_not_allowed",
                F.concat(shown, F.lit(f" is not one of {', '.join(column.allowed)}")),
            )
        )
    if column.pattern:
        checks.append(
            _fail(
                present & ~F.trim(value).rlike(column.pattern),
                f"{column.name}_bad_format",
                F.concat(shown, F.lit(" is not in the expected format")),
            )
        )
    if column.type == "timestamp":
        checks.append(
            _fail(
                present & values.to_timestamp(value).isNull(),
                f"{column.name}_not_a_timestamp",
                F.concat(shown, F.lit(" is not an ISO 8601 date or timestamp")),
            )
        )
    return checks


def validate(records: DataFrame, contract: Contract) -> DataFrame:
    """Landing records plus ``_rule``/``_reason`` (null when valid) and canonical decimal text."""
    df = records
    for column in contract.columns:
        if column.decimal:
            canonical = values.canonical_decimal_text(F.col(column.name), F.col("_decimal_comma"))
            df = df.withColumn(_canon(column.name), canonical)
    record_checks = [
        _fail(
            F.col("_duplicate_of").isNotNull(),
            "duplicate_file",
            F.concat(F.lit("the file is identical to "), F.col("_duplicate_of"), F.lit(", ingested before")),
        ),
        _fail(
            F.col("_malformed"),
            "wrong_field_count",
            F.concat(
                F.lit("the record does not have the header's "),
                F.col("_expected_fields").cast("string"),
                F.lit(" fields (or has an unclosed quote)"),
            ),
        ),
    ]
    checks = record_checks + [c for column in contract.columns for c in _column_checks(column)]
    errors = F.filter(F.array(*checks), lambda e: e.isNotNull())
    return (
        df.withColumn("_errors", errors)
        .withColumn(RULE, F.col("_errors")[0]["rule"])
        .withColumn(
            REASON,
            F.when(F.col(RULE).isNotNull(), F.concat_ws("; ", F.transform(F.col("_errors"), lambda e: e["reason"]))),
        )
        .drop("_errors")
    )


def valid_rows(validated: DataFrame, contract: Contract) -> DataFrame:
    """Rows for the raw table: text as sent, decimals in canonical notation (the file's locale is not kept)."""
    df = validated.where(F.col(RULE).isNull())
    for column in contract.columns:
        if column.decimal:
            df = df.withColumn(column.name, F.col(_canon(column.name)))
    return conform(df, raw_schema(contract))


def quarantine_rows(validated: DataFrame, contract: Contract) -> DataFrame:
    df = validated.where(F.col(RULE).isNotNull()).select(
        "*", F.lit(contract.entity).alias("entity"), F.col(RULE).alias("rule"), F.col(REASON).alias("reason")
    )
    return conform(df, quarantine_schema())


def file_counts(validated: DataFrame) -> DataFrame:
    """Per file and rule (null rule = valid): how many records. Small: one row per file and rule."""
    return validated.groupBy("_source_file", "ingest_date", RULE).agg(F.count(F.lit(1)).alias("records"))
