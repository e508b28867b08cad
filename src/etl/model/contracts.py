"""Entity contracts: the one definition of each feed that every part of the lake reads.

A contract (``src/contracts/<entity>.yaml``) lists the columns with their type, rules, aliases
and governance class. The Spark schemas, validation rules, typed transform schema, Glue tables,
data quality rules and Lake Formation tags are all derived from it; nothing restates a column list.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any

import yaml

ENTITIES = ("providers", "customers", "transactions")
_DECIMAL = re.compile(r"^decimal\((\d+),\s*(\d+)\)$")


def normalise_name(text: str) -> str:
    """Header/value matching key: no BOM, accents or case; runs of other characters become ``_``."""
    text = unicodedata.normalize("NFKD", text.replace("\ufeff", ""))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    return re.sub(r"[^a-z0-9]+", "_", text).strip("_")


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    required: bool = False
    description: str = ""
    pii: bool = False
    allowed: tuple[str, ...] = ()
    synonyms: tuple[tuple[str, str], ...] = ()
    aliases: tuple[str, ...] = ()
    min: Decimal | None = None
    min_exclusive: Decimal | None = None
    pattern: str | None = None

    @property
    def decimal(self) -> tuple[int, int] | None:
        """(precision, scale) for decimal columns, else None."""
        m = _DECIMAL.match(self.type)
        return (int(m.group(1)), int(m.group(2))) if m else None

    def canonical_values(self) -> dict[str, str]:
        """Normalised spelling -> canonical value, for allowed values and their synonyms."""
        mapping = {normalise_name(v): v for v in self.allowed}
        mapping.update({normalise_name(k): v for k, v in self.synonyms})
        return mapping


@dataclass(frozen=True)
class Contract:
    entity: str
    description: str
    key: tuple[str, ...]
    partition_by: tuple[str, ...]
    columns: tuple[Column, ...]
    transform_layout: str
    derived: tuple[Column, ...] = field(default=())

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"{self.entity} has no column {name!r}")

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    def header_keys(self) -> dict[str, str]:
        """Normalised header spelling -> contract column (the column's own name is an alias too)."""
        keys: dict[str, str] = {}
        for col in self.columns:
            for alias in (col.name, *col.aliases):
                keys[normalise_name(alias)] = col.name
        return keys

    def transform_columns(self) -> list[Column]:
        """Columns of the typed transform table, in order: contract columns then derived ones."""
        return [*self.columns, *self.derived]


def _column(raw: dict[str, Any]) -> Column:
    def dec(key: str) -> Decimal | None:
        return Decimal(str(raw[key])) if key in raw else None

    return Column(
        name=raw["name"],
        type=raw["type"],
        required=bool(raw.get("required", False)),
        description=str(raw.get("description", "")),
        pii=bool(raw.get("pii", False)),
        allowed=tuple(str(v) for v in raw.get("allowed", ())),
        synonyms=tuple((str(k), str(v)) for k, v in (raw.get("synonyms") or {}).items()),
        aliases=tuple(str(a) for a in raw.get("aliases", ())),
        min=dec("min"),
        min_exclusive=dec("min_exclusive"),
        pattern=raw.get("pattern"),
    )


def read_yaml(name: str) -> Any:
    """A YAML file from the contracts folder (packaged with the library, also on Glue)."""
    return yaml.safe_load(resources.files("energy_lake").joinpath("contracts", name).read_text("utf-8"))


@cache
def load_contract(entity: str) -> Contract:
    if entity not in ENTITIES:
        raise KeyError(f"unknown entity {entity!r}; expected one of {', '.join(ENTITIES)}")
    raw = read_yaml(f"{entity}.yaml")
    transform = raw.get("transform", {})
    return Contract(
        entity=raw["entity"],
        description=raw.get("description", ""),
        key=tuple(raw["key"]),
        partition_by=tuple(raw.get("partition_by", ())),
        columns=tuple(_column(c) for c in raw["columns"]),
        transform_layout=transform.get("layout", "partitioned"),
        derived=tuple(_column(c) for c in transform.get("derived", ())),
    )


def all_contracts() -> list[Contract]:
    return [load_contract(e) for e in ENTITIES]


@dataclass(frozen=True)
class LakeConventions:
    """Shared zone conventions from ``lake.yaml``: lineage columns, extra-column map, quarantine."""

    partition_key: str
    lineage: tuple[Column, ...]
    extra: Column
    notation: Column  # raw only: the file's date order (values.to_timestamp)
    quarantine_columns: tuple[Column, ...]
    state_tables: tuple[StateTable, ...]

    def state_table(self, name: str) -> StateTable:
        return next(t for t in self.state_tables if t.name == name)


@dataclass(frozen=True)
class StateTable:
    """A table of the lake's incremental state (``lake.yaml`` ``state_tables``)."""

    name: str  # "<zone>.<table>"
    description: str
    partition_by: tuple[str, ...]
    columns: tuple[Column, ...]


@cache
def lake_conventions() -> LakeConventions:
    raw = read_yaml("lake.yaml")
    return LakeConventions(
        partition_key=raw["partition_key"]["name"],
        lineage=tuple(_column(c) for c in raw["lineage"]),
        extra=_column(raw["extra_column"]),
        notation=_column(raw["notation_column"]),
        quarantine_columns=tuple(_column(c) for c in raw["quarantine"]["columns"]),
        state_tables=tuple(
            StateTable(
                f"{t['zone']}.{t['name']}",
                t["description"],
                tuple(t["partition_by"]),
                tuple(_column(c) for c in t["columns"]),
            )
            for t in raw["state_tables"]
        ),
    )


@dataclass(frozen=True)
class Mart:
    name: str
    description: str
    partition_by: tuple[str, ...]
    columns: tuple[Column, ...]


@cache
def load_marts() -> tuple[Mart, ...]:
    return tuple(
        Mart(
            name=m["name"],
            description=m.get("description", ""),
            partition_by=tuple(m.get("partition_by", ())),
            columns=tuple(_column(c) for c in m["columns"]),
        )
        for m in read_yaml("marts.yaml")["marts"]
    )


def load_mart(name: str) -> Mart:
    for mart in load_marts():
        if mart.name == name:
            return mart
    raise KeyError(f"unknown mart {name!r}")
