"""The data quality rules, defined from the contracts: :class:`Rule` (with its :class:`Lookup`), :func:`load_rules`,
:func:`rules_for`, :data:`ROW_CHECKS`, the severities and the gates (:data:`GATES`: which hop checks which zone).

The rules are defined once, in the ``quality:`` section of each contract (``src/contracts/<entity>.yaml``):
which of the rule kinds below apply to the entity and how severe they are; their columns come from the
contract itself (key, required columns, allowed values). ``transactions.yaml`` also lists the
cross-entity rules. The same rules are rendered as Glue DQDL by ``quality.dqdl`` and documented by
``energy_lake.scripts.docs.data_quality``.

A rule checks one table, and the hop that promotes that table evaluates it on what it is about to
promote: ``raw.<entity>`` rules in raw_to_transform, ``transform.<entity>`` rules in
transform_to_analytics. A broken ``fail`` rule stops the entity's promotion; ``warn`` rules are
recorded and reported.

A module of its own because everything else in the room reads the definitions (``results``, ``evaluate``,
``dqdl``, the generated docs) and they need neither Spark nor cuallee. Imports only ``model.contracts``;
touches the contract files (read), nothing else.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Any

from energy_lake.etl.model.contracts import ENTITIES, Contract, load_contract, read_yaml

SEVERITIES = ("warn", "fail")
RAW_GATE = "raw_to_transform"
TRANSFORM_GATE = "transform_to_analytics"
GATES = {"raw": RAW_GATE, "transform": TRANSFORM_GATE}

# The rule kinds a contract's ``quality:`` section can switch on: zone checked, check type, description.
KINDS: dict[str, tuple[str, str, str]] = {
    "key_unique_per_day": (
        "raw",
        "unique",
        "A feed sends each key ({key}) at most once per ingest date; the transform keeps one row, "
        "the duplicate is reported.",
    ),
    "volume_anomaly": (
        "raw",
        "volume",
        "A feed's rows for a day stay within {min_ratio}x-{max_ratio}x of its average over the previous "
        "{window_days} days (judged once {min_history_days} of those days hold data).",
    ),
    "freshness": (
        "raw",
        "freshness",
        "The newest ingest date holding rows is at most {max_age_hours} hours old (hours since its midnight UTC).",
    ),
    "key_unique": (
        "transform",
        "primary_key",
        "The key ({key}) is complete and unique: a duplicate would be counted twice by every mart.",
    ),
    "required_complete": (
        "transform",
        "complete",
        "Every required column ({required}) is filled after typing: a value that failed to type would "
        "be a missing amount.",
    ),
    "allowed_values": (
        "transform",
        "allowed",
        "{column} holds only the contract's canonical values ({allowed}) after standardisation.",
    ),
}
PARAMS = {
    "volume": ("window_days", "min_history_days", "min_ratio", "max_ratio"),
    "freshness": ("max_age_hours",),
}


@dataclass(frozen=True)
class Lookup:
    """Columns brought in from another table before the rule is checked (a left join)."""

    table: str
    join: tuple[tuple[str, str], ...]  # (column of the checked table, column of the lookup table)
    columns: tuple[tuple[str, str], ...]  # (column of the lookup table, name it takes)


@dataclass(frozen=True)
class Rule:
    id: str
    table: str  # "<zone>.<table>"
    entity: str  # whose promotion it gates
    check: str  # unique | primary_key | complete | allowed | satisfies | volume | freshness
    severity: str
    description: str
    columns: tuple[str, ...] = ()
    allowed: tuple[str, ...] = ()
    predicate: str | None = None
    where: str | None = None  # rows the rule applies to (SQL)
    lookup: Lookup | None = None
    min_pass_rate: Decimal = Decimal(1)
    params: tuple[tuple[str, Decimal], ...] = ()

    @property
    def zone(self) -> str:
        return self.table.split(".", 1)[0]

    @property
    def hop(self) -> str:
        return GATES[self.zone]

    def param(self, name: str) -> Decimal:
        return dict(self.params)[name]


def _kind_rules(contract: Contract, kind: str, config: dict[str, Any]) -> list[Rule]:
    if kind not in KINDS:
        raise ValueError(f"{contract.entity}.yaml quality: unknown rule {kind!r}; expected one of {', '.join(KINDS)}")
    zone, check, text = KINDS[kind]
    severity = str(config.get("severity", ""))
    if severity not in SEVERITIES:
        raise ValueError(f"{contract.entity}.yaml quality.{kind}: severity must be warn or fail, got {severity!r}")
    table = f"{zone}.{contract.entity}"
    params = tuple((p, Decimal(str(config[p]))) for p in PARAMS.get(check, ()))
    words = {"key": ", ".join(contract.key), "required": ", ".join(contract.required), **dict(params)}

    def make(rule_id: str, description: str, columns: tuple[str, ...], **extra: Any) -> Rule:
        return Rule(
            id=f"{contract.entity}.{rule_id}",
            table=table,
            entity=contract.entity,
            check=check,
            severity=severity,
            description=description,
            columns=columns,
            allowed=tuple(extra.get("allowed", ())),
            where=extra.get("where"),
            params=params,
        )

    if kind == "allowed_values":
        return [
            make(
                f"{c.name}_allowed",
                text.format(column=c.name, allowed=", ".join(c.allowed)),
                (c.name,),
                allowed=c.allowed,
            )
            for c in contract.columns
            if c.allowed
        ]
    columns: tuple[str, ...] = ()
    where = None
    if kind == "key_unique_per_day":
        columns = ("ingest_date", *contract.key)
        optional = [k for k in contract.key if not contract.column(k).required]
        where = " AND ".join(f"{k} IS NOT NULL" for k in optional) or None
    elif kind == "key_unique":
        columns = contract.key
    elif kind == "required_complete":
        columns = tuple(contract.required)
    return [make(kind, text.format(**words), columns, where=where)]


def _listed_rule(entity: str, raw: dict[str, Any]) -> Rule:
    lookup = None
    if "lookup" in raw:
        lk = raw["lookup"]
        lookup = Lookup(lk["table"], tuple(lk["join"].items()), tuple(lk["columns"].items()))
    severity = str(raw["severity"])
    if severity not in SEVERITIES:
        raise ValueError(f"{entity}.yaml quality rule {raw['id']}: severity must be warn or fail, got {severity!r}")
    return Rule(
        id=f"{entity}.{raw['id']}",
        table=raw["table"],
        entity=raw["table"].split(".", 1)[1],
        check="satisfies",
        severity=severity,
        description=str(raw["description"]),
        columns=tuple(raw["columns"]),
        predicate=str(raw["predicate"]),
        lookup=lookup,
        min_pass_rate=Decimal(str(raw.get("min_pass_rate", 1))),
    )


@cache
def load_rules() -> tuple[Rule, ...]:
    """Every rule, in contract order: each entity's derived rules, then its listed ones."""
    rules: list[Rule] = []
    for entity in ENTITIES:
        contract = load_contract(entity)
        section = read_yaml(f"{entity}.yaml").get("quality") or {}
        for kind, config in section.items():
            if kind == "rules":
                rules += [_listed_rule(entity, r) for r in config]
            else:
                rules += _kind_rules(contract, kind, config or {})
    ids = [r.id for r in rules]
    if len(ids) != len(set(ids)):
        raise ValueError(f"duplicate quality rule ids: {sorted({i for i in ids if ids.count(i) > 1})}")
    return tuple(rules)


def rules_for(table: str, checks: Sequence[str] | None = None) -> list[Rule]:
    return [r for r in load_rules() if r.table == table and (checks is None or r.check in checks)]


ROW_CHECKS = ("unique", "primary_key", "complete", "allowed", "satisfies")
