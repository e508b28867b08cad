"""What the property tests tried, summed over a pytest session and printed at its end (``make fuzz``).

Counted from the generation choices and the oracle, after each example's comparison passed, so every
figure printed is of records that were checked: every record of every feed ended where the oracle
says (raw and the transform with exactly the generated values, or the quarantine with its rule and
its original record), none lost, none changed.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from tests.property.feeds import Batch, FeedFile
from tests.property.oracle import Expected

_RAW_BYTE = re.compile("[\udc80-\udcff]")


@dataclass
class Tally:
    examples: int = 0
    feeds: int = 0
    records: int = 0
    loaded: int = 0
    quarantined: int = 0
    rejected_files: int = 0
    mutations: Counter[str] = field(default_factory=Counter)

    def add(self, batch: Batch, expected: Expected) -> None:
        self.examples += 1
        self.feeds += len(batch.files)
        self.records += len(expected.outcomes)
        self.quarantined += sum(1 for o in expected.outcomes if o.rule is not None)
        self.loaded += sum(1 for o in expected.outcomes if o.rule is None)
        self.rejected_files += sum(len(r) for r in expected.rejected.values())
        for feed in batch.files:
            self.mutations.update(_mutations(feed))
        self.mutations["duplicate file"] += len(expected.duplicate_of)

    def lines(self) -> list[str]:
        total = sum(self.mutations.values())
        kinds = ", ".join(f"{kind} {n}" for kind, n in self.mutations.most_common())
        return [
            f"hostile feeds: {self.feeds} feeds in {self.examples} pipeline runs, {self.records} records, "
            f"{total} mutations",
            f"  mutations: {kinds}",
            f"  every record accounted for: {self.loaded} loaded with exactly the generated values, "
            f"{self.quarantined} quarantined with their expected rule and original record, "
            f"{self.rejected_files} files refused with their expected rule; 0 lost, 0 changed",
        ]


def _mutations(feed: FeedFile) -> Counter[str]:
    """The hostile choices in one file: bad values by rule, malformed records, file faults."""
    found: Counter[str] = Counter()
    if feed.fault:
        found[feed.fault] += 1
    for record in feed.records:
        if record.kind != "row":
            found[f"{record.kind} record"] += 1
        for cell in record.cells:
            if _RAW_BYTE.search(cell.text):  # a bad_encoding cell whose lost character is a raw byte
                found["stray byte"] += 1
            elif cell.rule:
                found[_rule_kind(cell.rule)] += 1
    return found


def _rule_kind(rule: str) -> str:
    """``quantity_not_a_number`` -> ``not_a_number``: the kind of fault, whatever the column."""
    for kind in (
        "bad_encoding", "not_a_number", "too_many_decimals", "out_of_range", "not_positive", "negative",
        "too_small", "not_allowed", "bad_format", "ambiguous_date", "not_a_timestamp", "missing",
    ):  # fmt: skip
        if rule.endswith(f"_{kind}"):
            return kind
    return rule


SESSION = Tally()
