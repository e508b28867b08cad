"""Bad rows: the rule codes the landing -> raw validation gives, and records broken to fail exactly one of them.

The wrong values themselves are reference data (``reference/bad_values.yaml``, see ``vocabulary``).
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from energy_lake.cli.generate.vocabulary import vocabulary
from energy_lake.etl.model.contracts import Column, Contract

FILE_RULE_CODES = ("duplicate_file",)
WRONG_FIELD_COUNT = "wrong_field_count"
REPLACEMENT_CHAR = "\ufffd"  # what a decoder leaves for bytes that are not valid in the file's encoding


def row_rule_codes(contract: Contract) -> list[str]:
    """Every rule code the row validation (``etl.transforms.raw``) can give a record of this entity, in check order.

    Mirrors ``etl.transforms.raw._column_checks``; ``duplicate_file`` is a file-level fact and not listed here.
    """
    codes = [WRONG_FIELD_COUNT]
    for column in contract.columns:
        name = column.name
        if column.required:
            codes.append(f"{name}_missing")
        codes.append(f"{name}_bad_encoding")
        if column.decimal:
            codes += [f"{name}_not_a_number", f"{name}_too_many_decimals", f"{name}_out_of_range"]
            if column.min_exclusive is not None:
                codes.append(f"{name}_not_positive" if column.min_exclusive == 0 else f"{name}_too_small")
            if column.min is not None:
                codes.append(f"{name}_negative" if column.min == 0 else f"{name}_too_small")
        if column.allowed:
            codes.append(f"{name}_not_allowed")
        if column.pattern:
            codes.append(f"{name}_bad_format")
        if column.type == "timestamp":
            codes += [f"{name}_ambiguous_date", f"{name}_not_a_timestamp"]
    return codes


def _inject_replacement(value: str, rnd: random.Random) -> str:
    """The value as a wrong decoder leaves it: one character replaced by U+FFFD."""
    base = value.strip() or "sin dato"
    accented = [i for i, ch in enumerate(base) if ord(ch) > 127]
    position = accented[0] if accented else rnd.randrange(len(base))
    return base[:position] + REPLACEMENT_CHAR + base[position + 1 :]


def bad_value(code: str, column: Column, value: str, rnd: random.Random) -> str:
    """A value for ``column`` that fails exactly the rule ``code`` (the column's own rule code)."""
    words = vocabulary()
    rule = code.removeprefix(f"{column.name}_")
    if rule == "missing":
        return rnd.choice(words.bad_values["missing"])
    if rule == "bad_encoding":
        return _inject_replacement(value, rnd)
    if rule == "not_allowed":
        return rnd.choice(words.not_allowed.get(column.name, words.not_allowed_default))
    if rule == "bad_format":
        return rnd.choice(words.bad_format.get(column.name, words.bad_format_default))
    if rule in ("not_a_timestamp", "ambiguous_date"):
        return rnd.choice(words.bad_values[rule])
    if column.decimal:
        precision, scale = column.decimal
        if rule == "not_a_number":
            return rnd.choice(words.bad_values["not_a_number"])
        if rule == "too_many_decimals":
            extra = "".join(str(rnd.randint(0, 9)) for _ in range(scale)) + str(rnd.randint(1, 9))
            return f"{rnd.randint(1, 999)}.{extra}"
        if rule == "out_of_range":  # one integer digit more than the type holds: W sent where MW was meant
            return str(rnd.randint(1, 9)) + "".join(str(rnd.randint(0, 9)) for _ in range(precision - scale))
        if rule in ("not_positive", "negative"):
            return rnd.choice(words.bad_values[rule])
        if rule == "too_small":
            bound = column.min if column.min is not None else column.min_exclusive
            return str((bound or 0) - 1)
    raise ValueError(f"no bad value for rule {code!r} of column {column.name!r}")


def corrupt(fields: list[str], code: str, contract: Contract, columns: Sequence[str], rnd: random.Random) -> list[str]:
    """The record ``fields`` (in file column order ``columns``) broken so that it fails ``code`` first."""
    if code == WRONG_FIELD_COUNT:
        return fields[:-1] if rnd.random() < 0.5 else [*fields, ""]
    for column in contract.columns:
        if code.startswith(f"{column.name}_") and column.name in columns:
            broken = list(fields)
            position = columns.index(column.name)
            broken[position] = bad_value(code, column, fields[position], rnd)
            return broken
    raise ValueError(f"{contract.entity}: rule {code!r} names no column of the file")


class BadKinds:
    """Rule codes for an entity's bad rows, in equal turns over a seed-shuffled order."""

    def __init__(self, contract: Contract, rnd: random.Random) -> None:
        self.contract = contract
        self.order = row_rule_codes(contract)
        rnd.shuffle(self.order)
        self.turn = 0

    def next(self) -> str:
        code = self.order[self.turn % len(self.order)]
        self.turn += 1
        return code
