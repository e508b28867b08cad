"""Render docs/data-model.md from the contracts, so the doc cannot drift from what the jobs do.

python -m energy_lake.scripts.docs.data_model > docs/data-model.md
"""

from __future__ import annotations

from energy_lake.etl.model.contracts import Column, Contract, all_contracts, lake_conventions, load_marts


def _rules(col: Column) -> str:
    rules = []
    if col.allowed:
        rules.append("one of " + ", ".join(f"`{v}`" for v in col.allowed))
    if col.synonyms:
        rules.append("also accepts " + ", ".join(f"`{k}`→`{v}`" for k, v in col.synonyms))
    if col.min_exclusive is not None:
        rules.append(f"> {col.min_exclusive}")
    if col.min is not None:
        rules.append(f">= {col.min}")
    if col.pattern:
        rules.append(f"matches `{col.pattern}`")
    return "; ".join(rules)


def _feed_table(contract: Contract) -> list[str]:
    lines = [
        "| column | type | required | personal data | rules | header spellings accepted |",
        "|---|---|---|---|---|---|",
    ]
    for c in contract.columns:
        aliases = ", ".join(f"`{a}`" for a in c.aliases)
        pii = "yes (token in transform)" if c.pii else ""
        lines.append(f"| `{c.name}` | {c.type} | {'yes' if c.required else ''} | {pii} | {_rules(c)} | {aliases} |")
    return lines


def _columns(columns: list[Column] | tuple[Column, ...]) -> list[str]:
    lines = ["| column | type | description |", "|---|---|---|"]
    lines += [f"| `{c.name}` | {c.type} | {c.description} |" for c in columns]
    return lines


def render() -> str:
    conv = lake_conventions()
    out = [
        "# Data model",
        "",
        "Generated from `src/contracts/*.yaml` by `python -m energy_lake.scripts.docs.data_model`;",
        "a test fails when this file and the contracts disagree. Edit the contracts, then regenerate.",
        "",
        "Every table of the raw, transform and analytics zones is an Apache Iceberg table (format v2),",
        "partitioned as below; landing keeps the files as sent (docs/adr/0002-iceberg-tables.md).",
        "",
        "Headers are matched after normalising: accents, case, byte-order mark and punctuation do not",
        "matter (`Cantidad Comprada ` and `cantidad_comprada` are the same header). Values of columns",
        "with allowed values are matched the same way (`Eólica`, `EOLICA` and `eolica` all mean `wind`).",
        "",
        "## Lineage (every raw and transform row)",
        "",
        *_columns(conv.lineage),
        f"| `{conv.extra.name}` | {conv.extra.type} | {conv.extra.description} |",
        f"| `{conv.notation.name}` (raw only) | {conv.notation.type} | {conv.notation.description} |",
        "",
    ]
    for contract in all_contracts():
        layout = (
            "partitioned by `ingest_date`"
            if contract.transform_layout == "partitioned"
            else "one current row per key (latest ingest wins), unpartitioned"
        )
        out += [
            f"## {contract.entity}",
            "",
            contract.description,
            "",
            f"- key: {', '.join(f'`{k}`' for k in contract.key)}",
            "- raw zone: every column below as text (decimals in canonical notation), partitioned by `ingest_date`",
            f"- transform zone: typed, {layout}",
            "",
            "### Feed columns",
            "",
            *_feed_table(contract),
            "",
            "### Derived in the transform zone",
            "",
            *_columns(contract.derived),
            "",
        ]
    out += [
        "## quarantine (raw zone)",
        "",
        "One row per rejected record, partitioned by `entity` and `ingest_date`; readable by data engineers only.",
        "",
        *_columns(conv.quarantine_columns),
        "",
        "## Analytics marts",
        "",
    ]
    for mart in load_marts():
        partitioning = "partitioned by `ingest_date`" if mart.partition_by else "unpartitioned, rebuilt each run"
        out += [f"### {mart.name}", "", f"{mart.description} ({partitioning})", "", *_columns(mart.columns), ""]
    out += [
        "## Incremental state",
        "",
        "What each run built from what, in Iceberg tables an operator can query (`energy-lake query`, Athena).",
        "A hop writes them after the data they describe.",
        "",
    ]
    for state in conv.state_tables:
        keys = ", ".join(f"`{k}`" for k in state.partition_by)
        partitioning = f"partitioned by {keys}" if keys else "unpartitioned"
        out += [f"### {state.name}", "", f"{state.description} ({partitioning})", "", *_columns(state.columns), ""]
    return "\n".join(out).rstrip() + "\n"


if __name__ == "__main__":
    print(render(), end="")
