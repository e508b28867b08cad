"""The feed generator: what to generate (``FeedSpec``) and the writing of every landing file.

Dimensions (providers, customers) keep every good row and get bad rows added at random places; the
first providers file is landed again on the last day when there are bad rows (``duplicate_file``).
Transactions, the bulk, are assembled from precomputed pools of CSV text indexed by random bytes, in
chunks; only bad rows get per-row work. Same parameters and seed -> the same bytes.
"""

from __future__ import annotations

import random
import shutil
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any, TextIO

from energy_lake.cli.generate.csv_text import decimal_text, field, line, parse
from energy_lake.cli.generate.manifest import FileCounts, clear_previous, manifest_doc, write_manifest
from energy_lake.cli.generate.parties import customer_fields, make_customers, make_providers, provider_fields
from energy_lake.cli.generate.rules import BadKinds, corrupt, row_rule_codes
from energy_lake.cli.generate.vocabulary import vocabulary
from energy_lake.etl.model.contracts import load_contract
from energy_lake.etl.model.errors import LakeError

_CHUNK = 32_768  # good trade rows assembled and written per write() call
_PARTY_POOL = 1 << 16  # counterparty entries per day (a power of two: indexed by masked random bytes)
_VALUE_POOL = 1 << 12  # quantity/price and timestamp entries per pool

ENERGIES = ("wind", "hydro", "nuclear")
# Reference price per MWh by energy; buys are below it, sells above (the trader's margin).
BASE_PRICE = {"wind": 180.0, "hydro": 150.0, "nuclear": 210.0}
SELL_ENERGY_WEIGHTS = (35, 45, 20)

# Headers: English canonical names on even days, Spanish aliases (as peers send them) on odd days.
HEADERS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "providers": (
        ("provider_name", "energy_type", "country", "capacity_mw"),
        ("nombre_proveedor", "tipo_energia", "pais", "capacidad_mw"),
    ),
    "customers": (
        ("id_type", "id_number", "customer_name", "city"),
        ("tipo_identificacion", "numero_identificacion", "nombre", "ciudad"),
    ),
    "transactions": (
        ("transaction_id", "transaction_type", "counterparty_name", "quantity", "price", "energy_type", "traded_at"),
        (
            "id_transaccion",
            "tipo_transaccion",
            "nombre_entidad",
            "cantidad_mwh",
            "precio",
            "tipo_energia",
            "fecha_hora",
        ),
    ),
}
FILE_STEMS = {
    "providers": ("providers", "proveedores"),
    "customers": ("customers", "clientes"),
    "transactions": ("transactions", "transacciones"),
}
COLUMNS = {entity: headers[0] for entity, headers in HEADERS.items()}  # contract column of each position


@dataclass(frozen=True)
class FeedSpec:
    """What to generate. ``transactions`` counts every trade row written, bad ones included."""

    transactions: int
    days: int = 3
    seed: int = 42
    bad_share: float = 0.01
    start_date: date = date(2026, 1, 1)
    rows_per_file: int = 1_000_000

    def check(self) -> None:
        if self.transactions < 1:
            raise LakeError(f"--transactions must be at least 1, got {self.transactions}")
        if not 1 <= self.days <= 3660:
            raise LakeError(f"--days must be between 1 and 3660, got {self.days}")
        if not 0 <= self.bad_share < 1:
            raise LakeError(f"--bad-share must be at least 0 and below 1, got {self.bad_share}")
        if self.rows_per_file < 1:
            raise LakeError(f"rows per file must be at least 1, got {self.rows_per_file}")


def _bad_positions(rows: int, bad: int, rnd: random.Random) -> Iterator[int]:
    """``bad`` distinct positions in ``range(rows)``, one per equal stratum: spread out, O(1) memory."""
    for j in range(bad):
        low, high = j * rows // bad, (j + 1) * rows // bad
        yield low + rnd.randrange(high - low)


def _split(total: int, parts: int) -> list[int]:
    return [total // parts + (1 if i < total % parts else 0) for i in range(parts)]


def _share(total: int, weights: Sequence[int]) -> list[int]:
    """``total`` spread over ``weights`` proportionally, summing exactly to ``total``."""
    whole = sum(weights)
    out: list[int] = []
    cum = 0
    for w in weights:
        before = total * cum // whole if whole else 0
        cum += w
        out.append((total * cum // whole if whole else 0) - before)
    return out


def _dimension_bad_rows(good: int, share: float) -> int:
    """Extra bad rows that make ``share`` of a dimension file (its good rows are all kept)."""
    return round(good * share / (1 - share)) if share else 0


class _Generator:
    def __init__(self, out: Path, spec: FeedSpec) -> None:
        self.out = out
        self.spec = spec
        self.dates = [spec.start_date + timedelta(days=d) for d in range(spec.days)]
        self.counts: dict[str, dict[str, FileCounts]] = {e: {} for e in HEADERS}
        self.duplicates: dict[str, str] = {}
        self.bytes = 0
        master = random.Random(f"energy-lake:{spec.seed}")  # noqa: S311 - test data, not secrets
        self.providers = make_providers(random.Random(master.random()))  # noqa: S311
        n_customers = max(20, min(50_000, spec.transactions // 50))
        self.customers = make_customers(random.Random(master.random()), n_customers)  # noqa: S311
        self.kinds = {e: BadKinds(load_contract(e), random.Random(master.random())) for e in HEADERS}  # noqa: S311
        self.bad_rnd = random.Random(master.random())  # noqa: S311
        # Customers introduced per day: 60% on the first, the rest evenly after.
        first = n_customers if spec.days == 1 else max(1, n_customers * 6 // 10)
        self.new_customers = [first, *_split(n_customers - first, spec.days - 1)]

    def rel(self, entity: str, day: int, name: str) -> str:
        return f"{entity}/ingest_date={self.dates[day].isoformat()}/{name}"

    def open(self, rel: str) -> TextIO:
        path = self.out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        return path.open("w", encoding="utf-8", newline="")

    def file_name(self, entity: str, day: int, suffix: str = "") -> str:
        return f"{FILE_STEMS[entity][day % 2]}_{self.dates[day].isoformat()}{suffix}.csv"

    # dimensions: every good row is kept, bad rows are added at random places
    def write_dimension(self, entity: str, day: int, rows: list[list[str]]) -> str:
        contract = self.kinds[entity].contract
        rel = self.rel(entity, day, self.file_name(entity, day))
        bad = _dimension_bad_rows(len(rows), self.spec.bad_share)
        total = len(rows) + bad
        positions = set(_bad_positions(total, bad, self.bad_rnd))  # small files: a set is fine
        counts = self.counts[entity].setdefault(rel, FileCounts())
        good = iter(rows)
        with self.open(rel) as handle:
            handle.write(line(HEADERS[entity][day % 2]))
            for position in range(total):
                if position in positions:
                    code = self.kinds[entity].next()
                    template = rows[self.bad_rnd.randrange(len(rows))]
                    handle.write(line(corrupt(template, code, contract, COLUMNS[entity], self.bad_rnd)))
                    counts.reasons[code] += 1
                else:
                    handle.write(line(next(good)))
                    counts.rows_valid += 1
                counts.rows_read += 1
        return rel

    def write_providers(self) -> None:
        rnd = random.Random(f"{self.spec.seed}:providers")  # noqa: S311
        rel = self.write_dimension("providers", 0, [provider_fields(p, rnd) for p in self.providers])
        if self.spec.bad_share > 0:  # the same file sent again under another name: every row a duplicate
            last = self.spec.days - 1
            copy = self.rel("providers", last, self.file_name("providers", 0, "_resent"))
            (self.out / copy).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(self.out / rel, self.out / copy)
            rows = self.counts["providers"][rel].rows_read
            self.counts["providers"][copy] = FileCounts(rows, 0, Counter({"duplicate_file": rows}))
            self.duplicates[copy] = rel

    def write_customers(self) -> None:
        start = 0
        for day, count in enumerate(self.new_customers):
            if count:
                rnd = random.Random(f"{self.spec.seed}:customers:{day}")  # noqa: S311
                rows = [customer_fields(c, rnd) for c in self.customers[start : start + count]]
                self.write_dimension("customers", day, rows)
            start += count

    # transactions: the bulk; pools of CSV text, random bytes as indices
    def _pools(self, day: int, rows: int, rnd: random.Random) -> tuple[list[str], list[list[str]], list[str], int, int]:
        """Counterparty, quantity/price/energy and timestamp text, sized to a power of two near ``rows``."""
        size = 1
        while size < min(rows, _PARTY_POOL):
            size *= 2
        value_size = min(size, _VALUE_POOL)
        spellings = vocabulary().spellings
        known = sum(self.new_customers[: day + 1])
        quoted_providers = [(field(p.name), p.energy) for p in self.providers]
        quoted_customers = [field(c.name) for c in self.customers[:known]]
        value_pools: dict[tuple[str, str], list[str]] = {}
        for kind in ("buy", "sell"):
            for energy in ENERGIES:
                pool = []
                for _ in range(value_size):
                    quantity = decimal_text(rnd.lognormvariate(3.5, 1.0) + 0.5, 3, rnd)
                    factor = rnd.uniform(0.80, 1.0) if kind == "buy" else rnd.uniform(1.05, 1.30)
                    price = decimal_text(BASE_PRICE[energy] * factor, 4, rnd)
                    pool.append(f"{quantity},{price},{rnd.choice(spellings['energy_type'][energy])}")
                value_pools[(kind, energy)] = pool
        parties: list[str] = []
        values: list[list[str]] = []
        for _ in range(size):
            if rnd.random() < 0.45:
                name, energy = rnd.choice(quoted_providers)
                kind = "buy"
            else:
                name = rnd.choice(quoted_customers)
                energy = rnd.choices(ENERGIES, weights=SELL_ENERGY_WEIGHTS)[0]
                kind = "sell"
            parties.append(f"{rnd.choice(spellings['transaction_type'][kind])},{name}")
            values.append(value_pools[(kind, energy)])
        day_text = self.dates[day].isoformat()
        stamps = []
        for _ in range(value_size):
            h, m, s = rnd.randrange(24), rnd.randrange(60), rnd.randrange(60)
            stamps.append(
                rnd.choice(
                    (
                        f"{day_text}T{h:02d}:{m:02d}:{s:02d}Z",
                        f"{day_text} {h:02d}:{m:02d}:{s:02d}",
                        f"{day_text}T{h:02d}:{m:02d}:{s:02d}-05:00",
                        f"{day_text} {h:02d}:{m:02d}",
                        f"{day_text}T{h:02d}:{m:02d}:{s:02d}",
                        "",
                    )
                )
            )
        return parties, values, stamps, size - 1, value_size - 1

    def write_transactions(self) -> None:
        per_day = _split(self.spec.transactions, self.spec.days)
        files_per_day = [-(-rows // self.spec.rows_per_file) for rows in per_day]
        sizes = [n for rows, files in zip(per_day, files_per_day, strict=True) for n in _split(rows, files)]
        bad_per_file = iter(_share(round(self.spec.transactions * self.spec.bad_share), sizes))
        contract = self.kinds["transactions"].contract
        for day, rows in enumerate(per_day):
            if not rows:
                continue  # fewer trades than days: no file rather than a header-only one
            rnd = random.Random(f"{self.spec.seed}:transactions:{day}")  # noqa: S311
            parties, values, stamps, mask, vmask = self._pools(day, rows, rnd)
            prefix = f"TX{self.dates[day]:%Y%m%d}-"
            first_id = 0
            parts = _split(rows, files_per_day[day])
            for part, n in enumerate(parts):
                suffix = f"_part{part + 1:03d}" if len(parts) > 1 else ""
                rel = self.rel("transactions", day, self.file_name("transactions", day, suffix))
                bad = next(bad_per_file)
                counts = self.counts["transactions"].setdefault(rel, FileCounts(n, n - bad))
                positions = _bad_positions(n, bad, self.bad_rnd)
                next_bad = next(positions, n)
                with self.open(rel) as handle:
                    handle.write(line(HEADERS["transactions"][day % 2]))
                    for start in range(0, n, _CHUNK):
                        k = min(_CHUNK, n - start)
                        r = memoryview(rnd.randbytes(6 * k)).cast("H")
                        ids = range(first_id + start, first_id + start + k)
                        lines = [
                            f"{prefix}{i:08d},{parties[x & mask]},{values[x & mask][y & vmask]},{stamps[z & vmask]}\n"
                            for i, x, y, z in zip(ids, r[0::3], r[1::3], r[2::3], strict=True)
                        ]
                        while next_bad < start + k:
                            code = self.kinds["transactions"].next()
                            fields = parse(lines[next_bad - start])
                            lines[next_bad - start] = line(
                                corrupt(fields, code, contract, COLUMNS["transactions"], self.bad_rnd)
                            )
                            counts.reasons[code] += 1
                            next_bad = next(positions, n)
                        handle.write("".join(lines))
                first_id += n

    def manifest(self) -> dict[str, Any]:
        params = asdict(self.spec)
        params["start_date"] = self.spec.start_date.isoformat()
        rule_codes = {e: row_rule_codes(k.contract) for e, k in self.kinds.items()}
        return manifest_doc(params, self.dates, rule_codes, self.counts, self.duplicates)


def generate_feeds(out: str | Path, spec: FeedSpec) -> dict[str, Any]:
    """Write the feeds of ``spec`` under ``out`` in the landing layout, plus ``_manifest.json``; return it."""
    spec.check()
    root = Path(out)
    clear_previous(root)
    gen = _Generator(root, spec)
    gen.write_providers()
    gen.write_customers()
    gen.write_transactions()
    doc = gen.manifest()
    write_manifest(root, doc)
    return doc
