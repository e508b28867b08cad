"""What a run over a generated batch must produce, derived from the generation choices alone.

Per file: rejected or read; per record: its record number, the first rule it fails (or none), the
quarantine's source_record; per valid row: the transform zone's values (after the documented
deduplication, snapshots and counterparty resolution).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Context, Decimal, localcontext
from typing import Any

from energy_lake.etl.transforms.tokens import python_token
from tests.property.feeds import Batch, FeedFile, Record, derived_id, source_record


@dataclass(frozen=True)
class Outcome:
    file: FeedFile
    line: int
    record: Record
    rule: str | None

    @property
    def order(self) -> tuple[str, str, int]:
        return (self.file.date, self.file.rel_path, self.line)

    def cell(self, column: str) -> Any:
        """The generated cell of a contract column (None when the file has no such column)."""
        for name, cell in zip(self.file.columns, self.record.cells, strict=True):
            if name == column:
                return cell
        return None

    def value(self, column: str) -> Any:
        cell = self.cell(column)
        return None if cell is None else cell.value

    def extras(self) -> dict[str, Any]:
        return {
            name.removeprefix("extra:"): cell.value
            for name, cell in zip(self.file.columns, self.record.cells, strict=True)
            if name.startswith("extra:")
        }


@dataclass
class Expected:
    rejected: dict[str, set[tuple[str, str]]] = field(default_factory=lambda: defaultdict(set))
    per_file: dict[str, dict[str, dict[str, Any]]] = field(default_factory=lambda: defaultdict(dict))
    outcomes: list[Outcome] = field(default_factory=list)
    duplicate_of: dict[str, str] = field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        return 1 if any(self.rejected.values()) else 0

    def quarantined(self) -> dict[tuple[str, int], tuple[str, str, str]]:
        return {
            (o.file.rel_path, o.line): (o.file.entity, o.rule, source_record(o.record, o.file))
            for o in self.outcomes
            if o.rule is not None
        }

    def valid(self, entity: str) -> list[Outcome]:
        return [o for o in self.outcomes if o.rule is None and o.file.entity == entity]


def _first_rule(record: Record) -> str | None:
    if record.kind in ("short", "long", "spaces", "unclosed"):
        return "wrong_field_count"
    # Columns are checked in contract order; the record's cells are in file order.
    return None


def expect(batch: Batch, contract_order: dict[str, list[str]]) -> Expected:
    out = Expected()
    owners: dict[tuple[str, bytes], str] = {}  # per entity: the first file (date, path) with these bytes
    for feed in sorted(batch.files, key=lambda f: (f.date, f.rel_path)):
        if feed.fault:
            out.rejected[feed.entity].add((feed.rel_path, feed.fault))
            continue
        owner = owners.setdefault((feed.entity, feed.data), feed.rel_path)
        duplicate = owner != feed.rel_path
        if duplicate:
            out.duplicate_of[feed.rel_path] = owner
        reasons: Counter[str] = Counter()
        valid = 0
        for i, record in enumerate(feed.records):
            rule = _first_rule(record)
            if rule is None:
                by_column = dict(zip(feed.columns, record.cells, strict=True))
                rule = next(
                    (by_column[c].rule for c in contract_order[feed.entity] if c in by_column and by_column[c].rule),
                    None,
                )
            if duplicate:
                rule = "duplicate_file"
            out.outcomes.append(Outcome(feed, i + 2, record, rule))
            if rule is None:
                valid += 1
            else:
                reasons[rule] += 1
        out.per_file[feed.entity][feed.rel_path] = {
            "rows_read": len(feed.records),
            "rows_valid": valid,
            "rows_quarantined": len(feed.records) - valid,
            "reasons": dict(reasons),
        }
    return out


def exact_product(a: Decimal, b: Decimal) -> Decimal:
    """a x b with every digit (Decimal's default context keeps 28 significant digits; amounts need 36)."""
    with localcontext(Context(prec=100)):
        return a * b


def id_key(text: str) -> str:
    """A document number without separators, upper case (the customers' documented matching rule)."""
    return re.sub(r"[^0-9A-Za-z]", "", text).upper()


def _latest(rows: list[Outcome], key_of: Any) -> dict[Any, tuple[Outcome, str, str]]:
    """Per key: the latest row (ingest date, file, record) and the first and last ingest dates."""
    out: dict[Any, tuple[Outcome, str, str]] = {}
    for o in sorted(rows, key=lambda o: o.order):
        k = key_of(o)
        first = out[k][1] if k in out else o.file.date
        out[k] = (o, first, o.file.date)
    return out


def providers(expected: Expected) -> dict[str, dict[str, Any]]:
    latest = _latest(expected.valid("providers"), lambda o: o.cell("provider_name").match_key)
    return {
        k: {
            "provider_name": o.value("provider_name"),
            "energy_type": o.value("energy_type"),
            "country": o.value("country"),
            "capacity_mw": o.value("capacity_mw"),
            "_source": (o.file.rel_path, o.line),
            "first_seen_date": first,
            "last_seen_date": last,
        }
        for k, (o, first, last) in latest.items()
    }


def customers(expected: Expected, pii_key: bytes) -> dict[str, dict[str, Any]]:
    latest = _latest(expected.valid("customers"), lambda o: (o.value("id_type"), id_key(o.value("id_number"))))
    out = {}
    for (id_type, number), (o, first, last) in latest.items():
        token = python_token(pii_key, f"{id_type}:{number}")
        out[token] = {
            "id_type": id_type,
            "id_number": python_token(pii_key, number),
            "customer_name": python_token(pii_key, o.cell("customer_name").match_key),
            "name_key": o.cell("customer_name").match_key,
            "city": o.value("city"),
            "_source": (o.file.rel_path, o.line),
            "first_seen_date": first,
            "last_seen_date": last,
        }
    return out


def transactions(expected: Expected, pii_key: bytes) -> dict[tuple[str, int], dict[str, Any]]:
    provider_keys = set(providers(expected))
    by_name: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for token, c in customers(expected, pii_key).items():
        by_name[c["name_key"]].append((token, c["city"]))
    first_by_id: dict[str, Outcome] = {}
    for o in sorted(expected.valid("transactions"), key=lambda o: o.order):
        tid = o.value("transaction_id") or derived_id(o.file.rel_path, o.line)
        first_by_id.setdefault(tid, o)
    out = {}
    for tid, o in first_by_id.items():
        quantity: Decimal = o.value("quantity")
        price: Decimal = o.value("price")
        kind = o.value("transaction_type")
        name_key = o.cell("counterparty_name").match_key
        if kind == "buy":
            resolved = name_key in provider_keys
            status, cp_key, city = ("resolved" if resolved else "unresolved"), (name_key if resolved else None), None
        else:
            matches = by_name.get(name_key, [])
            status = {0: "unresolved", 1: "resolved"}.get(len(matches), "ambiguous")
            cp_key, city = matches[0] if status == "resolved" else (None, None)
        out[(o.file.rel_path, o.line)] = {
            "transaction_id": tid,
            "id_source": "feed" if o.value("transaction_id") else "derived",
            "transaction_type": kind,
            "counterparty_name": python_token(pii_key, name_key),
            "quantity": quantity,
            "price": price,
            "energy_type": o.value("energy_type"),
            "traded_at": o.value("traded_at"),
            "amount": exact_product(quantity, price),
            "counterparty_status": status,
            "counterparty_key": cp_key,
            "counterparty_city": city,
            "_extra": o.extras(),
            "ingest_date": o.file.date,
        }
    return out
