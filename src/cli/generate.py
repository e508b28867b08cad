"""``energy-lake generate``: deterministic synthetic feeds in the landing layout, with a share of bad rows.

The feeds look like the real ones: realistic Colombian provider, person and company names, cities,
document types and numbers; energy and transaction types in English and Spanish spellings and mixed
case; English headers on even days and Spanish ones on odd days. Every trade's counterparty is a
provider (buy) or a customer (sell) of the same feeds, with prices that leave a margin.

Bad rows are the kinds the landing -> raw validation quarantines, one kind per bad row, in equal
turns over every row-level rule code the contracts produce (``row_rule_codes``), so each code
appears as soon as an entity has that many bad rows. With a non-zero bad share the first providers
file is also landed again, byte for byte, under another name on the last day (``duplicate_file``).

``_manifest.json`` at the root of the output folder (ignored by the landing listing, whose names
starting with ``_`` are skipped) holds the parameters and the expected counts per file and rule,
with the same keys as the run manifest's ``entities`` section so both can be compared directly.

Fast and memory-flat: good trade rows are assembled from precomputed pools of CSV text indexed by
random bytes, in chunks; only bad rows get per-row work. Same parameters and seed -> the same bytes.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import shutil
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

from energy_lake.etl.contracts import Column, Contract, load_contract
from energy_lake.etl.errors import LakeError

MANIFEST_NAME = "_manifest.json"
MANIFEST_FORMAT = 1
FILE_RULE_CODES = ("duplicate_file",)
WRONG_FIELD_COUNT = "wrong_field_count"
REPLACEMENT_CHAR = "\ufffd"  # what a decoder leaves for bytes that are not valid in the file's encoding

_CHUNK = 32_768  # good trade rows assembled and written per write() call
_PARTY_POOL = 1 << 16  # counterparty entries per day (a power of two: indexed by masked random bytes)
_VALUE_POOL = 1 << 12  # quantity/price and timestamp entries per pool


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


# ---------------------------------------------------------------- rule codes


def row_rule_codes(contract: Contract) -> list[str]:
    """Every rule code the row validation (``etl.raw``) can give a record of this entity, in check order.

    Mirrors ``etl.raw._column_checks``; ``duplicate_file`` is a file-level fact and not listed here.
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


# Realistic wrong values, by what is wrong with them. Each one fails exactly the rule it is listed under.
NOT_ALLOWED: dict[str, tuple[str, ...]] = {
    "energy_type": ("solar", "carbón", "térmica", "gas natural", "biomasa", "geotérmica"),
    "transaction_type": ("transfer", "devolución", "swap", "anulada", "hold"),
    "id_type": ("DNI", "RUT", "RC", "NUIP", "SSN"),
}
NOT_A_NUMBER = ("N/A", "doce", "12 MWh", "1,5", "#VALUE!", "--", "12.5.1")
NOT_A_TIMESTAMP = ("2026-02-30", "ayer", "2026/01/05", "13-01-2026 08:15", "05/01/26")
# Day and month in an order a comma-separated file does not say (only decimal-comma files are day first).
AMBIGUOUS_DATE = ("05/01/2026 10:00", "12/03/2026", "1/2/2026 9:30:00")
BAD_FORMAT: dict[str, tuple[str, ...]] = {
    "id_number": ("12", "1 023 456 789", "#80012345", "80.123.456/7"),
    "transaction_id": ("TX 000123", "#000123", "-TX1", "TX/2026/01"),
}
MISSING = ("", "  ")


def _inject_replacement(value: str, rnd: random.Random) -> str:
    """The value as a wrong decoder leaves it: one character replaced by U+FFFD."""
    base = value.strip() or "sin dato"
    accented = [i for i, ch in enumerate(base) if ord(ch) > 127]
    position = accented[0] if accented else rnd.randrange(len(base))
    return base[:position] + REPLACEMENT_CHAR + base[position + 1 :]


def bad_value(code: str, column: Column, value: str, rnd: random.Random) -> str:
    """A value for ``column`` that fails exactly the rule ``code`` (the column's own rule code)."""
    rule = code.removeprefix(f"{column.name}_")
    if rule == "missing":
        return rnd.choice(MISSING)
    if rule == "bad_encoding":
        return _inject_replacement(value, rnd)
    if rule == "not_allowed":
        return rnd.choice(NOT_ALLOWED.get(column.name, ("desconocido",)))
    if rule == "bad_format":
        return rnd.choice(BAD_FORMAT.get(column.name, ("#no válido#",)))
    if rule == "not_a_timestamp":
        return rnd.choice(NOT_A_TIMESTAMP)
    if rule == "ambiguous_date":
        return rnd.choice(AMBIGUOUS_DATE)
    if column.decimal:
        precision, scale = column.decimal
        if rule == "not_a_number":
            return rnd.choice(NOT_A_NUMBER)
        if rule == "too_many_decimals":
            extra = "".join(str(rnd.randint(0, 9)) for _ in range(scale)) + str(rnd.randint(1, 9))
            return f"{rnd.randint(1, 999)}.{extra}"
        if rule == "out_of_range":  # one integer digit more than the type holds: W sent where MW was meant
            return str(rnd.randint(1, 9)) + "".join(str(rnd.randint(0, 9)) for _ in range(precision - scale))
        if rule == "not_positive":
            return rnd.choice(("0", "0.000", "-12.5", "-300"))
        if rule == "negative":
            return rnd.choice(("-85.5", "-0.01", "-120"))
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


# ---------------------------------------------------------------- realistic pools

WIND_PLACES = (
    "Alta Guajira",
    "Uribia",
    "Cabo de la Vela",
    "Jepírachi",
    "Maicao",
    "Puerto Bolívar",
    "Manaure",
    "Galerazamba",
    "Barrancas",
    "Riohacha",
    "Camarones",
    "Tres Picos",
    "Punta Gallinas",
    "Albania",
)
WIND_FORMS = ("Parque Eólico {}", "Eólica {}", "Vientos de {}", "Energía Eólica {}", "{} Wind Power")
HYDRO_PLACES = (
    "del Sinú",
    "Río Cauca",
    "Magdalena Medio",
    "Sogamoso",
    "Guatapé",
    "Porce",
    "Chivor",
    "Betania",
    "Urrá",
    "San Carlos",
    "La Miel",
    "Calima",
    "Alto Anchicayá",
    "Guavio",
    "Salvajina",
    "Prado",
    "Río Bogotá",
    "Nare",
    "Jaguas",
    "Playas",
)
HYDRO_FORMS = ("Hidroeléctrica {}", "Central Hidroeléctrica {}", "Generadora {}", "Hidroenergía {}")
NUCLEAR_NAMES = (
    ("Atómica del Sur", "Argentina"),
    ("Nuclear Andina", "Argentina"),
    ("Energía Atómica Austral", "Chile"),
    ("Nucleobrás Geração", "Brasil"),
    ("Eletronuclear Angra", "Brasil"),
    ("Laguna Nuclear", "México"),
    ("NucleoPower Ibérica", "España"),
    ("Centrale Atlantique", "France"),
    ("Candu Energy North", "Canada"),
    ("Palo Verde Nuclear Trading", "Estados Unidos"),
)
COMPANY_SUFFIXES = ("S.A. E.S.P.", "S.A.S. E.S.P.", "S.A.S.", "S.A.")
FIRST_NAMES = (
    "María",
    "José",
    "Luis",
    "Ana",
    "Carlos",
    "Laura",
    "Juan",
    "Sofía",
    "Andrés",
    "Valentina",
    "Camilo",
    "Daniela",
    "Santiago",
    "Paula",
    "Felipe",
    "Natalia",
    "Jorge",
    "Catalina",
    "Alejandro",
    "Isabella",
    "Diego",
    "Mariana",
    "Sebastián",
    "Gabriela",
    "Julián",
    "Manuela",
    "Mateo",
    "Juliana",
    "Nicolás",
    "Carolina",
    "Óscar",
    "Lucía",
    "Héctor",
    "Beatriz",
    "Ramiro",
    "Inés",
    "Germán",
    "Ángela",
    "Iván",
    "Mónica",
    "Hernán",
    "Martha",
    "Álvaro",
    "Luz Marina",
    "Juan Pablo",
    "María Fernanda",
    "Jhon Jairo",
    "Yolanda",
    "Wilson",
    "Claudia",
    "Édgar",
    "Sandra",
    "Fabián",
    "Liliana",
    "Rubén",
    "Esperanza",
)
SURNAMES = (
    "García",
    "Rodríguez",
    "Martínez",
    "López",
    "González",
    "Hernández",
    "Pérez",
    "Sánchez",
    "Ramírez",
    "Torres",
    "Díaz",
    "Vargas",
    "Castro",
    "Rojas",
    "Moreno",
    "Jiménez",
    "Gómez",
    "Muñoz",
    "Álvarez",
    "Romero",
    "Suárez",
    "Ortiz",
    "Restrepo",
    "Cárdenas",
    "Ospina",
    "Zapata",
    "Arango",
    "Mejía",
    "Quintero",
    "Salazar",
    "Valencia",
    "Cardona",
    "Henao",
    "Giraldo",
    "Londoño",
    "Echeverri",
    "Montoya",
    "Betancur",
    "Gutiérrez",
    "Peña",
    "Rincón",
    "Córdoba",
    "Mosquera",
    "Ibarra",
    "Barrios",
    "Fuentes",
    "Acosta",
    "Navarro",
    "Aguilar",
    "Benítez",
    "Palacios",
    "Escobar",
    "Duarte",
    "Patiño",
    "Villamizar",
    "Ordóñez",
)
COMPANY_TRADES = (
    "Industrias",
    "Comercializadora",
    "Textiles",
    "Alimentos",
    "Inversiones",
    "Grupo",
    "Constructora",
    "Distribuidora",
    "Agroindustrial",
    "Cementos",
    "Plásticos",
    "Laboratorios",
    "Hoteles",
    "Transportes",
    "Clínica",
    "Lácteos",
    "Papeles",
    "Metalmecánica",
    "Frigorífico",
    "Curtiembres",
    "Cerámicas",
    "Molinos",
    "Ingenio",
    "Acerías",
    "Vidrios",
)
COMPANY_NAMES = (
    "del Valle",
    "Andina",
    "La Esperanza",
    "San Jorge",
    "El Dorado",
    "del Caribe",
    "Santa Fe",
    "Los Andes",
    "La Sabana",
    "del Pacífico",
    "Colombiana",
    "Antioqueña",
    "Santandereana",
    "del Huila",
    "La Montaña",
    "El Progreso",
    "Nacional",
    "del Norte",
    "San Rafael",
    "La Estrella",
    "Boyacá",
    "del Llano",
    "Monserrate",
    "La Candelaria",
    "Cafetera",
    "Altamira",
    "Guadalupe",
    "El Roble",
)
LEGAL_FORMS = ("S.A.S.", "S.A.", "Ltda.", "S.A.S. BIC", "& Cía. S.C.A.")
# City, relative weight (roughly by population).
CITIES = (
    ("Bogotá", 30),
    ("Medellín", 11),
    ("Cali", 9),
    ("Barranquilla", 7),
    ("Cartagena", 4),
    ("Bucaramanga", 4),
    ("Cúcuta", 3),
    ("Pereira", 2),
    ("Manizales", 2),
    ("Santa Marta", 2),
    ("Ibagué", 2),
    ("Villavicencio", 2),
    ("Pasto", 2),
    ("Montería", 2),
    ("Neiva", 1),
    ("Armenia", 1),
    ("Popayán", 1),
    ("Valledupar", 1),
    ("Sincelejo", 1),
    ("Tunja", 1),
    ("Riohacha", 1),
    ("Yopal", 1),
    ("Quibdó", 1),
    ("Envigado", 1),
)

ENERGIES = ("wind", "hydro", "nuclear")
ENERGY_SPELLINGS: dict[str, tuple[str, ...]] = {
    "wind": ("wind", "wind", "wind", "Wind", "eólica", "eólica", "eolica", "EÓLICA", "Eólica"),
    "hydro": (
        "hydro",
        "hydro",
        "hydro",
        "Hydro",
        "hidroeléctrica",
        "hidroeléctrica",
        "hidroelectrica",
        "Hidroeléctrica",
        "hidráulica",
    ),
    "nuclear": ("nuclear", "nuclear", "nuclear", "Nuclear", "NUCLEAR"),
}
TYPE_SPELLINGS: dict[str, tuple[str, ...]] = {
    "buy": ("buy", "buy", "buy", "buy", "Buy", "compra", "compra", "Compra", "COMPRA"),
    "sell": ("sell", "sell", "sell", "sell", "Sell", "venta", "venta", "Venta", "VENTA"),
}
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


def _field(value: str) -> str:
    """One CSV field: quoted when it holds the delimiter, a quote or a line break."""
    if any(ch in value for ch in ',"\n\r'):
        return '"' + value.replace('"', '""') + '"'
    return value


def _line(fields: Sequence[str]) -> str:
    return ",".join(_field(f) for f in fields) + "\n"


def _parse(line: str) -> list[str]:
    return next(csv.reader([line]))


def _decimal_text(value: float, max_decimals: int, rnd: random.Random) -> str:
    """``value`` with 0..max_decimals places, trailing zeros dropped (as feeds write numbers)."""
    text = f"{value:.{rnd.randint(0, max_decimals)}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


@dataclass(frozen=True)
class Provider:
    name: str
    energy: str
    country: str
    capacity_mw: str


@dataclass(frozen=True)
class Customer:
    id_type: str
    id_number: str
    name: str
    city: str


def nit_check_digit(number: str) -> int:
    """The DIAN verification digit of a Colombian NIT."""
    weights = (3, 7, 13, 17, 19, 23, 29, 37, 41, 43, 47, 53, 59, 67, 71)
    total = sum(int(d) * w for d, w in zip(reversed(number), weights, strict=False))
    rest = total % 11
    return rest if rest < 2 else 11 - rest


def make_providers(rnd: random.Random) -> list[Provider]:
    """About 40 providers: Colombian wind and hydro generators, foreign nuclear ones."""
    providers: list[Provider] = []
    wind = rnd.sample([f.format(p) for f in WIND_FORMS for p in WIND_PLACES], 14)
    hydro = rnd.sample([f.format(p) for f in HYDRO_FORMS for p in HYDRO_PLACES], 18)
    for names, energy, low, high in ((wind, "wind", 20, 500), (hydro, "hydro", 40, 2400)):
        for name in names:
            country = rnd.choice(("Colombia",) * 8 + ("Ecuador", "Panamá", ""))
            capacity = _decimal_text(rnd.uniform(low, high), 3, rnd) if rnd.random() < 0.9 else ""
            providers.append(Provider(f"{name} {rnd.choice(COMPANY_SUFFIXES)}", energy, country, capacity))
    for name, country in rnd.sample(NUCLEAR_NAMES, 8):
        capacity = _decimal_text(rnd.uniform(600, 1600), 3, rnd) if rnd.random() < 0.9 else ""
        providers.append(
            Provider(f"{name} {rnd.choice(('S.A.', 'S.A. de C.V.', 'Ltd.', 'SE'))}", "nuclear", country, capacity)
        )
    return providers


def _weighted_cities(rnd: random.Random, k: int) -> list[str]:
    return rnd.choices([c for c, _ in CITIES], weights=[w for _, w in CITIES], k=k)


def make_customers(rnd: random.Random, count: int) -> list[Customer]:
    """``count`` customers with unique names and documents: people (CC, CE, TI, PA) and companies (NIT)."""
    company_space = len(COMPANY_TRADES) * len(COMPANY_NAMES) * len(LEGAL_FORMS)
    companies = min(count // 4, company_space)
    people = count - companies
    person_space = len(FIRST_NAMES) * len(SURNAMES) * len(SURNAMES)
    if people > person_space:
        raise LakeError(f"cannot make {count} distinct customers (at most {person_space + company_space})")
    customers: list[Customer] = []
    cities = _weighted_cities(rnd, count)
    n_s = len(SURNAMES)
    # Document type first, then unique numbers per type (the key is type and number together).
    kinds = rnd.choices(("CC", "CE", "TI", "PA"), weights=(84, 8, 4, 4), k=people)
    ranges = {
        "CC": range(10_000_000, 1_099_999_999),
        "CE": range(100_000, 9_999_999),
        "TI": range(1_000_000_000, 1_099_999_999),
        "PA": range(23 * 23 * 10_000_000),
    }
    numbers = {k: iter(rnd.sample(ranges[k], kinds.count(k))) for k in ranges}
    letters = "ABCDEFGHJKLMNPRSTUVWXYZ"
    for i, index in enumerate(rnd.sample(range(person_space), people)):
        first, rest = divmod(index, n_s * n_s)
        s1, s2 = divmod(rest, n_s)
        name = f"{FIRST_NAMES[first]} {SURNAMES[s1]} {SURNAMES[s2]}"
        id_type = kinds[i]
        number = next(numbers[id_type])
        if id_type == "PA":
            serial, pair = divmod(number, 23 * 23)
            id_number = f"{letters[pair // 23]}{letters[pair % 23]}{serial:07d}"
        else:
            id_number = str(number)
        customers.append(Customer(id_type, id_number, name, cities[i]))
    nits = rnd.sample(range(800_000_000, 999_999_999), companies)
    n_names, n_forms = len(COMPANY_NAMES), len(LEGAL_FORMS)
    for j, index in enumerate(rnd.sample(range(company_space), companies)):
        trade, rest = divmod(index, n_names * n_forms)
        core, form = divmod(rest, n_forms)
        name = f"{COMPANY_TRADES[trade]} {COMPANY_NAMES[core]} {LEGAL_FORMS[form]}"
        nit = str(nits[j])
        customers.append(Customer("NIT", f"{nit}-{nit_check_digit(nit)}", name, cities[people + j]))
    rnd.shuffle(customers)
    return customers


ID_TYPE_SPELLINGS = {
    "CC": ("CC",) * 12 + ("cc", "Cédula de Ciudadanía"),
    "CE": ("CE",) * 6 + ("Cédula de Extranjería",),
    "NIT": ("NIT",) * 8 + ("nit", "Nit"),
    "TI": ("TI",),
    "PA": ("PA",) * 4 + ("Pasaporte",),
}


def _customer_fields(c: Customer, rnd: random.Random) -> list[str]:
    return [rnd.choice(ID_TYPE_SPELLINGS[c.id_type]), c.id_number, c.name, c.city]


def _provider_fields(p: Provider, rnd: random.Random) -> list[str]:
    return [p.name, rnd.choice(ENERGY_SPELLINGS[p.energy]), p.country, p.capacity_mw]


# ---------------------------------------------------------------- writing


@dataclass
class _FileCounts:
    rows_read: int = 0
    rows_valid: int = 0
    reasons: Counter[str] = field(default_factory=Counter)

    def as_json(self) -> dict[str, Any]:
        return {
            "rows_read": self.rows_read,
            "rows_valid": self.rows_valid,
            "rows_quarantined": self.rows_read - self.rows_valid,
            "reasons": dict(sorted(self.reasons.items())),
        }


class _BadKinds:
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
        self.counts: dict[str, dict[str, _FileCounts]] = {e: {} for e in HEADERS}
        self.duplicates: dict[str, str] = {}
        self.bytes = 0
        master = random.Random(f"energy-lake:{spec.seed}")  # noqa: S311 - test data, not secrets
        self.providers = make_providers(random.Random(master.random()))  # noqa: S311
        n_customers = max(20, min(50_000, spec.transactions // 50))
        self.customers = make_customers(random.Random(master.random()), n_customers)  # noqa: S311
        self.kinds = {e: _BadKinds(load_contract(e), random.Random(master.random())) for e in HEADERS}  # noqa: S311
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
        counts = self.counts[entity].setdefault(rel, _FileCounts())
        good = iter(rows)
        with self.open(rel) as handle:
            handle.write(_line(HEADERS[entity][day % 2]))
            for position in range(total):
                if position in positions:
                    code = self.kinds[entity].next()
                    template = rows[self.bad_rnd.randrange(len(rows))]
                    handle.write(_line(corrupt(template, code, contract, COLUMNS[entity], self.bad_rnd)))
                    counts.reasons[code] += 1
                else:
                    handle.write(_line(next(good)))
                    counts.rows_valid += 1
                counts.rows_read += 1
        return rel

    def write_providers(self) -> None:
        rnd = random.Random(f"{self.spec.seed}:providers")  # noqa: S311
        rel = self.write_dimension("providers", 0, [_provider_fields(p, rnd) for p in self.providers])
        if self.spec.bad_share > 0:  # the same file sent again under another name: every row a duplicate
            last = self.spec.days - 1
            copy = self.rel("providers", last, self.file_name("providers", 0, "_resent"))
            (self.out / copy).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(self.out / rel, self.out / copy)
            rows = self.counts["providers"][rel].rows_read
            self.counts["providers"][copy] = _FileCounts(rows, 0, Counter({"duplicate_file": rows}))
            self.duplicates[copy] = rel

    def write_customers(self) -> None:
        start = 0
        for day, count in enumerate(self.new_customers):
            if count:
                rnd = random.Random(f"{self.spec.seed}:customers:{day}")  # noqa: S311
                rows = [_customer_fields(c, rnd) for c in self.customers[start : start + count]]
                self.write_dimension("customers", day, rows)
            start += count

    # transactions: the bulk; pools of CSV text, random bytes as indices
    def _pools(self, day: int, rows: int, rnd: random.Random) -> tuple[list[str], list[list[str]], list[str], int, int]:
        """Counterparty, quantity/price/energy and timestamp text, sized to a power of two near ``rows``."""
        size = 1
        while size < min(rows, _PARTY_POOL):
            size *= 2
        value_size = min(size, _VALUE_POOL)
        known = sum(self.new_customers[: day + 1])
        quoted_providers = [(_field(p.name), p.energy) for p in self.providers]
        quoted_customers = [_field(c.name) for c in self.customers[:known]]
        value_pools: dict[tuple[str, str], list[str]] = {}
        for kind in ("buy", "sell"):
            for energy in ENERGIES:
                pool = []
                for _ in range(value_size):
                    quantity = _decimal_text(rnd.lognormvariate(3.5, 1.0) + 0.5, 3, rnd)
                    factor = rnd.uniform(0.80, 1.0) if kind == "buy" else rnd.uniform(1.05, 1.30)
                    price = _decimal_text(BASE_PRICE[energy] * factor, 4, rnd)
                    pool.append(f"{quantity},{price},{rnd.choice(ENERGY_SPELLINGS[energy])}")
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
            parties.append(f"{rnd.choice(TYPE_SPELLINGS[kind])},{name}")
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
                counts = self.counts["transactions"].setdefault(rel, _FileCounts(n, n - bad))
                positions = _bad_positions(n, bad, self.bad_rnd)
                next_bad = next(positions, n)
                with self.open(rel) as handle:
                    handle.write(_line(HEADERS["transactions"][day % 2]))
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
                            fields = _parse(lines[next_bad - start])
                            lines[next_bad - start] = _line(
                                corrupt(fields, code, contract, COLUMNS["transactions"], self.bad_rnd)
                            )
                            counts.reasons[code] += 1
                            next_bad = next(positions, n)
                        handle.write("".join(lines))
                first_id += n

    def manifest(self) -> dict[str, Any]:
        entities: dict[str, Any] = {}
        for entity, files in self.counts.items():
            per_file = {rel: c.as_json() for rel, c in sorted(files.items())}
            reasons: Counter[str] = Counter()
            for c in files.values():
                reasons.update(c.reasons)
            entities[entity] = {
                "files": len(files),
                "rows_read": sum(c.rows_read for c in files.values()),
                "rows_valid": sum(c.rows_valid for c in files.values()),
                "rows_quarantined": sum(c.rows_read - c.rows_valid for c in files.values()),
                "quarantine_reasons": dict(sorted(reasons.items())),
                "per_file": per_file,
            }
        params = asdict(self.spec)
        params["start_date"] = self.spec.start_date.isoformat()
        return {
            "generator": "energy-lake generate",
            "format": MANIFEST_FORMAT,
            "parameters": params,
            "dates": [d.isoformat() for d in self.dates],
            "rule_codes": {e: sorted(row_rule_codes(k.contract)) for e, k in self.kinds.items()},
            "entities": entities,
            "duplicate_files": dict(sorted(self.duplicates.items())),
            "files": sum(len(f) for f in self.counts.values()),
        }


def _clear_previous(out: Path) -> None:
    """Make room in ``out``: empty, or holding only an earlier ``generate`` output (whose files are removed)."""
    if not out.exists():
        return
    if not out.is_dir():
        raise LakeError(f"--out {out} is a file, not a folder")
    previous = out / MANIFEST_NAME
    if previous.is_file():
        try:
            doc = json.loads(previous.read_text("utf-8"))
            files = [f for e in doc["entities"].values() for f in e["per_file"]]
        except (ValueError, KeyError, TypeError, AttributeError):
            raise LakeError(f"{previous} is not a generate manifest; choose an empty --out folder") from None
        for rel in files:
            (out / rel).unlink(missing_ok=True)
        previous.unlink()
        for folder in sorted((p for p in out.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts)):
            if not any(folder.iterdir()):
                folder.rmdir()
    leftovers = [p for p in out.rglob("*") if p.is_file()]
    if leftovers:
        raise LakeError(
            f"--out {out} already holds files that generate did not write (e.g. {leftovers[0]}); "
            "choose an empty or new folder"
        )


def generate_feeds(out: str | Path, spec: FeedSpec) -> dict[str, Any]:
    """Write the feeds of ``spec`` under ``out`` in the landing layout, plus ``_manifest.json``; return it."""
    spec.check()
    root = Path(out)
    _clear_previous(root)
    gen = _Generator(root, spec)
    gen.write_providers()
    gen.write_customers()
    gen.write_transactions()
    doc = gen.manifest()
    root.mkdir(parents=True, exist_ok=True)
    (root / MANIFEST_NAME).write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return doc


def generate_command(args: argparse.Namespace) -> int:
    """``energy-lake generate``: write the feeds and say what was written."""
    try:
        start_date = datetime.strptime(args.start_date, "%Y-%m-%d").date()
    except ValueError:
        raise LakeError(f"--start-date {args.start_date!r} is not a date in the form YYYY-MM-DD") from None
    spec = FeedSpec(
        transactions=args.transactions, days=args.days, seed=args.seed, bad_share=args.bad_share, start_date=start_date
    )
    clock = time.perf_counter()
    doc = generate_feeds(args.out, spec)
    seconds = time.perf_counter() - clock
    out = Path(args.out)
    total_bytes = 0
    for entity, stats in doc["entities"].items():
        for rel, counts in stats["per_file"].items():
            size = (out / rel).stat().st_size
            total_bytes += size
            bad = f", {counts['rows_quarantined']} bad" if counts["rows_quarantined"] else ""
            print(f"wrote {out / rel}: {counts['rows_read']} rows{bad} ({size:,} bytes)")
        reasons = stats["quarantine_reasons"]
        shown = ", ".join(f"{k}={v}" for k, v in sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))[:4])
        more = f", ... ({len(reasons)} rule codes)" if len(reasons) > 4 else ""
        print(
            f"  {entity}: {stats['rows_read']} rows, {stats['rows_valid']} valid, "
            f"{stats['rows_quarantined']} bad{': ' + shown + more if reasons else ''}"
        )
    rate = doc["entities"]["transactions"]["rows_read"] / seconds if seconds > 0 else 0.0
    print(f"wrote {out / MANIFEST_NAME} (expected counts per file and rule)")
    print(
        f"{doc['files']} files, {total_bytes:,} bytes in {seconds:.1f}s ({rate:,.0f} transactions/s), seed {spec.seed}"
    )
    print(f"next: energy-lake run --landing {out}")
    return 0
