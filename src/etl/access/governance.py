"""Who may read which table and column: derived from ``personas.yaml`` and the contracts' ``pii`` flags.

The local ``query --as`` enforces exactly these grants; Terraform's Lake Formation grants derive
from the same YAML files, and a test compares the two, table by table and column by column.
A column is ``restricted`` when its contract marks it ``pii`` (in raw, where it is clear text, and in
transform, where it is a token); every other column is ``general``. The quarantine keeps original
records, so only personas with ``quarantine: true`` see it, whatever their classifications.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from energy_lake.etl.model.contracts import all_contracts, lake_conventions, load_marts, read_yaml
from energy_lake.etl.model.schemas import mart_schema, quarantine_schema, raw_schema, state_schema, transform_schema
from energy_lake.etl.quality.results import RESULTS_TABLE, results_schema

GENERAL, RESTRICTED = "general", "restricted"
QUARANTINE = "raw.quarantine"


@dataclass(frozen=True)
class Persona:
    name: str
    description: str
    zones: tuple[str, ...]
    classifications: tuple[str, ...]
    quarantine: bool


@cache
def personas() -> dict[str, Persona]:
    return {
        name: Persona(name, p["description"], tuple(p["zones"]), tuple(p["classifications"]), bool(p["quarantine"]))
        for name, p in read_yaml("personas.yaml")["personas"].items()
    }


@cache
def lake_tables() -> dict[str, dict[str, str]]:
    """Every table of the lake -> {column: classification}, columns in schema order."""
    tables: dict[str, dict[str, str]] = {}
    for contract in all_contracts():
        pii = {c.name for c in contract.columns if c.pii}
        for zone, schema in (("raw", raw_schema(contract)), ("transform", transform_schema(contract))):
            tables[f"{zone}.{contract.entity}"] = {
                f.name: RESTRICTED if f.name in pii else GENERAL for f in schema.fields
            }
    tables[QUARANTINE] = {f.name: RESTRICTED for f in quarantine_schema().fields}
    # Data quality results: rule ids, counts and messages (never values or personal data), in the analytics zone.
    tables[RESULTS_TABLE] = {f.name: GENERAL for f in results_schema().fields}
    for mart in load_marts():
        tables[f"analytics.{mart.name}"] = {f.name: GENERAL for f in mart_schema(mart.name).fields}
    # The incremental state: file names, fingerprints, counts and run ids (never values or personal data).
    for state in lake_conventions().state_tables:
        tables[state.name] = {f.name: GENERAL for f in state_schema(state.name).fields}
    return tables


def grants(persona: str) -> dict[str, tuple[str, ...]]:
    """Table -> the columns ``persona`` may read (tables it may not read are absent)."""
    who = personas()[persona]
    out: dict[str, tuple[str, ...]] = {}
    for table, columns in lake_tables().items():
        zone = table.split(".", 1)[0]
        if zone not in who.zones or (table == QUARANTINE and not who.quarantine):
            continue
        visible = tuple(c for c, cls in columns.items() if cls in who.classifications)
        if visible:
            out[table] = visible
    return out
