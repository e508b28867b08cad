"""The words the generated feeds are made of, read once per process from ``reference/`` next to this file.

- ``*.csv``: the long lists, one value a row under a header: first names and surnames, company trades and
  names (customers), wind and hydro places and nuclear providers with their country (providers), cities
  with a relative weight (roughly by population);
- ``names.yaml``: the short parts of names (provider name forms and suffixes, legal forms) and the
  providers' countries by weight;
- ``spellings.yaml``: how the feeds spell each canonical value, by weight;
- ``bad_values.yaml``: realistic wrong values, by the rule they fail.

Order is part of the data: the generator draws by position, so the same files and seed give the same bytes.
A weight ``n`` repeats its value ``n`` times where it stands in the list drawn from.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

Strings = tuple[str, ...]


@dataclass(frozen=True)
class Vocabulary:
    # customers
    first_names: Strings
    surnames: Strings
    company_trades: Strings
    company_names: Strings
    legal_forms: Strings
    cities: Strings
    city_weights: tuple[int, ...]
    # providers
    wind_places: Strings
    hydro_places: Strings
    provider_forms: Mapping[str, Strings]  # energy -> forms with one "{}" for the place
    provider_suffixes: Strings
    provider_countries: Strings  # repeated by weight
    nuclear_providers: tuple[tuple[str, str], ...]  # (name, country)
    nuclear_suffixes: Strings
    # column -> canonical value -> spellings, repeated by weight
    spellings: Mapping[str, Mapping[str, Strings]]
    # bad values: rule -> values (missing, not_a_number, not_a_timestamp, ambiguous_date, not_positive, negative)
    bad_values: Mapping[str, Strings]
    not_allowed: Mapping[str, Strings]  # by column
    not_allowed_default: Strings
    bad_format: Mapping[str, Strings]  # by column
    bad_format_default: Strings


def _text(name: str) -> str:
    return resources.files("energy_lake.cli.generate").joinpath("reference", name).read_text("utf-8")


def _csv(name: str, header: tuple[str, ...]) -> list[list[str]]:
    rows = list(csv.reader(io.StringIO(_text(name), newline="")))
    if not rows or tuple(rows[0]) != header:
        raise ValueError(f"reference/{name}: the header must be {','.join(header)}")
    for number, row in enumerate(rows[1:], start=2):
        if len(row) != len(header) or not all(row):
            raise ValueError(f"reference/{name}, line {number}: expected {len(header)} non-empty fields, got {row}")
    return rows[1:]


def _column(name: str, header: str) -> Strings:
    return tuple(row[0] for row in _csv(name, (header,)))


def _strings(value: Any, where: str) -> Strings:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{where}: expected a non-empty list of quoted strings, got {value!r}")
    return tuple(value)


def _weighted(value: Any, where: str) -> Strings:
    """``{value: weight, ...}`` as the values repeated by weight, in order."""
    if not isinstance(value, dict) or not value:
        raise ValueError(f"{where}: expected a mapping of value to weight, got {value!r}")
    for key, weight in value.items():
        if not isinstance(key, str) or not isinstance(weight, int) or isinstance(weight, bool) or weight < 1:
            raise ValueError(f"{where}: {key!r}: expected a string with a positive whole weight, got {weight!r}")
    return tuple(key for key, weight in value.items() for _ in range(weight))


def _yaml(name: str) -> dict[str, Any]:
    doc = yaml.safe_load(_text(name))
    if not isinstance(doc, dict):
        raise ValueError(f"reference/{name}: expected a mapping at the top")
    return doc


def _by_key(value: Any, where: str, each: Any) -> dict[str, Any]:
    if not isinstance(value, dict) or not value:
        raise ValueError(f"{where}: expected a mapping, got {value!r}")
    return {str(key): each(item, f"{where}.{key}") for key, item in value.items()}


@cache
def vocabulary() -> Vocabulary:
    """The reference data, read and checked on the first call of the process."""
    names, spellings, bad = _yaml("names.yaml"), _yaml("spellings.yaml"), _yaml("bad_values.yaml")
    cities = _csv("cities.csv", ("city", "weight"))
    if not all(weight.isdigit() and int(weight) > 0 for _, weight in cities):
        raise ValueError("reference/cities.csv: every weight must be a positive whole number")
    rules = ("missing", "not_a_number", "not_a_timestamp", "ambiguous_date", "not_positive", "negative")
    return Vocabulary(
        first_names=_column("first_names.csv", "first_name"),
        surnames=_column("surnames.csv", "surname"),
        company_trades=_column("company_trades.csv", "trade"),
        company_names=_column("company_names.csv", "name"),
        legal_forms=_strings(names.get("legal_forms"), "names.yaml: legal_forms"),
        cities=tuple(city for city, _ in cities),
        city_weights=tuple(int(weight) for _, weight in cities),
        wind_places=_column("wind_places.csv", "place"),
        hydro_places=_column("hydro_places.csv", "place"),
        provider_forms=_by_key(names.get("provider_forms"), "names.yaml: provider_forms", _strings),
        provider_suffixes=_strings(names.get("provider_suffixes"), "names.yaml: provider_suffixes"),
        provider_countries=_weighted(names.get("provider_countries"), "names.yaml: provider_countries"),
        nuclear_providers=tuple(
            (name, country) for name, country in _csv("nuclear_providers.csv", ("name", "country"))
        ),
        nuclear_suffixes=_strings(names.get("nuclear_suffixes"), "names.yaml: nuclear_suffixes"),
        spellings={
            str(column): _by_key(values, f"spellings.yaml: {column}", _weighted) for column, values in spellings.items()
        },
        bad_values={rule: _strings(bad.get(rule), f"bad_values.yaml: {rule}") for rule in rules},
        not_allowed=_by_key(bad.get("not_allowed"), "bad_values.yaml: not_allowed", _strings),
        not_allowed_default=_strings(bad.get("not_allowed_default"), "bad_values.yaml: not_allowed_default"),
        bad_format=_by_key(bad.get("bad_format"), "bad_values.yaml: bad_format", _strings),
        bad_format_default=_strings(bad.get("bad_format_default"), "bad_values.yaml: bad_format_default"),
    )
