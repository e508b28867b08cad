"""Landing -> raw, the pure part: validate landing records against their contract.

Input: landing records as ``read.read_landing`` builds them (contract columns as text, ``_extra``,
lineage, ``ingest_date`` and the per-file facts ``_decimal_comma``, ``_day_first``, ``_malformed``,
``_expected_fields``, ``_duplicate_of``, ``source_record``). Every record leaves in exactly one of
``valid_rows`` and ``quarantine_rows``; the first rule it fails names its quarantine ``rule`` and
``reason`` lists every failure.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from energy_lake.etl.model.contracts import Column as ContractColumn
from energy_lake.etl.model.contracts import Contract
from energy_lake.etl.model.schemas import conform, quarantine_schema, raw_schema
from energy_lake.etl.transforms import values

RULE, REASON = "_rule", "_reason"


def _canon(name: str) -> str:
    return f"_canon_{name}"


def _present(name: str) -> str:
    return f"_present_{name}"


def _fits(name: str) -> str:
    return f"_fits_scale_{name}"


def _number(name: str) -> str:
    return f"_number_{name}"


# A check: the rule code, when it fails (a boolean column; null counts as passing), and why.
Check = tuple[str, Column, Column]


def _shown(column: ContractColumn, value: Column) -> Column:
    """How a value appears in a reason: quoted, or withheld for personal data."""
    if column.pii:
        return F.lit(f"{column.name} (value withheld: personal data)")
    return F.concat(F.lit(f"{column.name} '"), F.coalesce(value, F.lit("")), F.lit("'"))


def _column_checks(column: ContractColumn) -> list[Check]:
    """The column's checks, over the helper columns ``validate`` computes once per record."""
    value = F.col(column.name)
    present = F.col(_present(column.name))
    shown = _shown(column, value)
    checks: list[Check] = []
    if column.required:
        checks.append((f"{column.name}_missing", ~present, F.lit(f"{column.name} is empty")))
    checks.append(
        (
            f"{column.name}_bad_encoding",
            present & value.contains("\ufffd"),
            F.concat(shown, F.lit(" has characters that are not valid in the file's encoding")),
        )
    )
    if column.decimal:
        _, scale = column.decimal
        canon = F.col(_canon(column.name))
        fits_scale = F.col(_fits(column.name))
        # Bounds are checked on the exact value only: a value with too many decimals would be compared
        # rounded (1e-400 as 0.000, "must be greater than 0") and its reason would state something false.
        number = F.col(_number(column.name))
        checks += [
            (f"{column.name}_not_a_number", present & canon.isNull(), F.concat(shown, F.lit(" is not a number"))),
            (
                f"{column.name}_too_many_decimals",
                canon.isNotNull() & ~fits_scale,
                F.concat(shown, F.lit(f" has more than {scale} decimal places")),
            ),
            (
                f"{column.name}_out_of_range",
                fits_scale & number.isNull(),
                F.concat(shown, F.lit(f" does not fit {column.type}")),
            ),
        ]
        if column.min_exclusive is not None:
            rule = "not_positive" if column.min_exclusive == 0 else "too_small"
            checks.append(
                (
                    f"{column.name}_{rule}",
                    number <= F.lit(column.min_exclusive),
                    F.concat(shown, F.lit(f" must be greater than {column.min_exclusive}")),
                )
            )
        if column.min is not None:
            rule = "negative" if column.min == 0 else "too_small"
            checks.append(
                (
                    f"{column.name}_{rule}",
                    number < F.lit(column.min),
                    F.concat(shown, F.lit(f" must be at least {column.min}")),
                )
            )
    if column.allowed:
        checks.append(
            (
                f"{column.name}_not_allowed",
                present & values.canonical_value(value, column).isNull(),
                F.concat(shown, F.lit(f" is not one of {', '.join(column.allowed)}")),
            )
        )
    if column.pattern:
        checks.append(
            (
                f"{column.name}_bad_format",
                present & ~values.stripped(value).rlike(column.pattern),
                F.concat(shown, F.lit(" is not in the expected format")),
            )
        )
    if column.type == "timestamp":
        day_first = F.col("_day_first")
        ambiguous = present & ~day_first & values.is_day_month_date(value)
        checks += [
            (
                f"{column.name}_ambiguous_date",
                ambiguous,
                F.concat(
                    shown,
                    F.lit(
                        " is a date with slashes, and the file does not say whether the day or the month comes "
                        "first (only a decimal-comma file is read day first): write it as ISO 8601, "
                        "YYYY-MM-DD[ HH:MM[:SS]]"
                    ),
                ),
            ),
            (
                f"{column.name}_not_a_timestamp",
                present & ~ambiguous & values.to_timestamp(value, day_first).isNull(),
                F.concat(
                    shown,
                    F.when(
                        day_first, F.lit(" is not an ISO 8601 date or timestamp, nor a date dd/mm/yyyy[ hh:mm[:ss]]")
                    ).otherwise(F.lit(" is not an ISO 8601 date or timestamp")),
                ),
            ),
        ]
    return checks


def _record_checks() -> list[Check]:
    return [
        (
            "duplicate_file",
            F.col("_duplicate_of").isNotNull(),
            F.concat(F.lit("the file is identical to "), F.col("_duplicate_of"), F.lit(", ingested before")),
        ),
        (
            "wrong_field_count",
            F.col("_malformed"),
            F.concat(
                F.lit("the record does not have the header's "),
                F.col("_expected_fields").cast("string"),
                F.lit(" fields (or has an unclosed quote)"),
            ),
        ),
    ]


def validate(records: DataFrame, contract: Contract) -> DataFrame:
    """Landing records plus ``_rule``/``_reason`` (null when valid) and canonical decimal text.

    Every expensive value (a decimal's canonical text and scale, whether a value is present, each
    check's outcome) is computed once per record, in its own projection that Spark keeps separate
    because later ones use it more than once: inlined, the regular expressions ran up to ten times
    per value. No higher-order function either: those are interpreted, and take the whole check
    list out of generated code with them. ``source_record`` is kept for quarantined records only
    (the one consumer), so a cached validated frame stays small.
    """
    names = list(records.columns)
    decimals = [c for c in contract.columns if c.decimal]
    # Present: not null and not only whitespace (what clean_text(value) IS NOT NULL means, without the copy).
    helpers = [
        F.coalesce(F.col(c.name).rlike(r"\S"), F.lit(False)).alias(_present(c.name)) for c in contract.columns
    ] + [values.canonical_decimal_text(F.col(c.name), F.col("_decimal_comma")).alias(_canon(c.name)) for c in decimals]
    df = records.select("*", *helpers)
    df = df.select(
        "*",
        *[
            (F.col(_canon(c.name)).isNotNull() & (values.decimal_scale(F.col(_canon(c.name))) <= c.decimal[1])).alias(
                _fits(c.name)
            )
            for c in decimals
            if c.decimal
        ],
    )
    df = df.select(
        "*",
        *[
            F.when(F.col(_fits(c.name)), values.to_decimal(F.col(_canon(c.name)), *c.decimal)).alias(_number(c.name))
            for c in decimals
            if c.decimal
        ],
    )
    checks = _record_checks() + [c for column in contract.columns for c in _column_checks(column)]
    outcome = [f"_check_{i}" for i in range(len(checks))]
    df = df.select("*", *[cond.alias(name) for (_, cond, _), name in zip(checks, outcome, strict=True)])
    failed = [F.col(name) for name in outcome]  # null counts as passing, as in F.when
    rule = F.coalesce(*[F.when(f, F.lit(code)) for f, (code, _, _) in zip(failed, checks, strict=True)])
    reasons = F.concat_ws("; ", *[F.when(f, reason) for f, (_, _, reason) in zip(failed, checks, strict=True)])
    kept = [
        F.when(rule.isNotNull(), F.col(n)).alias(n) if n == "source_record" else F.col(n)
        for n in [*names, *[_canon(c.name) for c in decimals]]
    ]
    return df.select(
        *kept,
        rule.alias(RULE),
        F.when(rule.isNotNull(), reasons).alias(REASON),
    )


def valid_rows(validated: DataFrame, contract: Contract) -> DataFrame:
    """Rows for the raw table: text as sent, decimals in canonical notation, and ``_day_first``: dates stay
    as sent, and the transform reads them in the file's order."""
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
