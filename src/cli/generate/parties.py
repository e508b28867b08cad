"""The counterparties of the feeds: providers (wind, hydro, nuclear generators) and customers (people, companies).

Names, places and spellings come from the reference data (``vocabulary``); what is drawn from them, with
which weights and document numbers, is decided here.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from energy_lake.cli.generate.csv_text import decimal_text
from energy_lake.cli.generate.vocabulary import vocabulary
from energy_lake.etl.model.errors import LakeError


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
    words = vocabulary()
    providers: list[Provider] = []
    wind = rnd.sample([f.format(p) for f in words.provider_forms["wind"] for p in words.wind_places], 14)
    hydro = rnd.sample([f.format(p) for f in words.provider_forms["hydro"] for p in words.hydro_places], 18)
    for names, energy, low, high in ((wind, "wind", 20, 500), (hydro, "hydro", 40, 2400)):
        for name in names:
            country = rnd.choice(words.provider_countries)
            capacity = decimal_text(rnd.uniform(low, high), 3, rnd) if rnd.random() < 0.9 else ""
            providers.append(Provider(f"{name} {rnd.choice(words.provider_suffixes)}", energy, country, capacity))
    for name, country in rnd.sample(words.nuclear_providers, 8):
        capacity = decimal_text(rnd.uniform(600, 1600), 3, rnd) if rnd.random() < 0.9 else ""
        providers.append(Provider(f"{name} {rnd.choice(words.nuclear_suffixes)}", "nuclear", country, capacity))
    return providers


def make_customers(rnd: random.Random, count: int) -> list[Customer]:
    """``count`` customers with unique names and documents: people (CC, CE, TI, PA) and companies (NIT)."""
    words = vocabulary()
    first_names, surnames = words.first_names, words.surnames
    trades, company_names, legal_forms = words.company_trades, words.company_names, words.legal_forms
    company_space = len(trades) * len(company_names) * len(legal_forms)
    companies = min(count // 4, company_space)
    people = count - companies
    person_space = len(first_names) * len(surnames) * len(surnames)
    if people > person_space:
        raise LakeError(f"cannot make {count} distinct customers (at most {person_space + company_space})")
    customers: list[Customer] = []
    cities = rnd.choices(words.cities, weights=words.city_weights, k=count)
    n_s = len(surnames)
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
        name = f"{first_names[first]} {surnames[s1]} {surnames[s2]}"
        id_type = kinds[i]
        number = next(numbers[id_type])
        if id_type == "PA":
            serial, pair = divmod(number, 23 * 23)
            id_number = f"{letters[pair // 23]}{letters[pair % 23]}{serial:07d}"
        else:
            id_number = str(number)
        customers.append(Customer(id_type, id_number, name, cities[i]))
    nits = rnd.sample(range(800_000_000, 999_999_999), companies)
    n_names, n_forms = len(company_names), len(legal_forms)
    for j, index in enumerate(rnd.sample(range(company_space), companies)):
        trade, rest = divmod(index, n_names * n_forms)
        core, form = divmod(rest, n_forms)
        name = f"{trades[trade]} {company_names[core]} {legal_forms[form]}"
        nit = str(nits[j])
        customers.append(Customer("NIT", f"{nit}-{nit_check_digit(nit)}", name, cities[people + j]))
    rnd.shuffle(customers)
    return customers


def customer_fields(c: Customer, rnd: random.Random) -> list[str]:
    """A customers-file record, the document type in one of its spellings."""
    return [rnd.choice(vocabulary().spellings["id_type"][c.id_type]), c.id_number, c.name, c.city]


def provider_fields(p: Provider, rnd: random.Random) -> list[str]:
    """A providers-file record, the energy type in one of its spellings."""
    return [p.name, rnd.choice(vocabulary().spellings["energy_type"][p.energy]), p.country, p.capacity_mw]
