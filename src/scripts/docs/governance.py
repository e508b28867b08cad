"""Render docs/governance.md: the persona x table x column matrix, from personas.yaml and the contracts.

python -m energy_lake.scripts.docs.governance > docs/governance.md
"""

from __future__ import annotations

from energy_lake.etl.access.governance import RESTRICTED, grants, lake_tables, personas


def render() -> str:
    people = personas()
    names = list(people)
    out = [
        "# Governance",
        "",
        "Generated from `src/contracts/personas.yaml` and the contracts by",
        "`python -m energy_lake.scripts.docs.governance`; a test fails when they disagree.",
        "",
        "Lake Formation in AWS and `energy-lake query --as PERSONA` locally enforce the same grants: both",
        "derive them from these files (a test compares the Terraform grants with this derivation).",
        "Columns a contract marks `pii` are classified `restricted` (LF-tag `classification=restricted`),",
        "all others `general`; tables carry the LF-tag `zone`. In the transform zone the restricted",
        "columns hold HMAC-SHA256 tokens, never clear values; analysts reach customers through the",
        "tokenised keys of the analytics marts.",
        "",
        "Besides the personas, service roles hold grants (`modules/lake_formation`): each Glue job may commit to the",
        "tables of the zone it writes and read those of the zone it reads; the table optimizers may",
        "ALTER, DESCRIBE, INSERT and DELETE on every table. None of them is a person's role.",
        "",
        "## Personas",
        "",
        "| persona | zones | classifications | quarantine | description |",
        "|---|---|---|---|---|",
    ]
    for p in people.values():
        out.append(
            f"| `{p.name}` | {', '.join(p.zones)} | {', '.join(p.classifications)} | "
            f"{'yes' if p.quarantine else 'no'} | {p.description} |"
        )
    out += ["", "## Table and column access", "", "✔ readable, ✘ not readable.", ""]
    granted = {name: grants(name) for name in names}
    for table, columns in lake_tables().items():
        out += [
            f"### {table}",
            "",
            "| column | classification | " + " | ".join(names) + " |",
            "|---|---|" + "---|" * len(names),
        ]
        for column, cls in columns.items():
            marks = ["✔" if column in granted[n].get(table, ()) else "✘" for n in names]
            label = f"**{cls}**" if cls == RESTRICTED else cls
            out.append(f"| `{column}` | {label} | " + " | ".join(marks) + " |")
        out.append("")
    return "\n".join(out).rstrip() + "\n"


if __name__ == "__main__":
    print(render(), end="")
