"""``docs/data-quality.md``: the rules and their severities, generated from the definitions.

``python -m energy_lake.scripts.docs.data_quality > docs/data-quality.md``; a test fails when the file is stale.
"""

from __future__ import annotations

from energy_lake.etl.quality.dqdl import render_rule
from energy_lake.etl.quality.rules import GATES, load_rules

HEAD = """# Data quality

Dataset-level rules, on top of the row-level validation of the raw hop (which quarantines single bad
records). **Generated** from the `quality:` sections of the contracts (`src/contracts/<entity>.yaml`) by
`python -m energy_lake.scripts.docs.data_quality > docs/data-quality.md`; a test fails when this page is stale.

## How the rules run

- **One definition.** Each contract's `quality:` section switches rule kinds on for its entity and sets
  their severity and thresholds; the columns come from the contract (key, required columns, allowed
  values). `transactions.yaml` also lists the cross-entity rules. The same definitions are rendered as
  Glue Data Quality DQDL (`python -m energy_lake.etl.quality.dqdl` writes `src/contracts/generated/`:
  one `.dqdl` file per table and `rulesets.json` for Terraform's `aws_glue_data_quality_ruleset`); a
  test compares the rendered DQDL with the rules and runs its SQL against the local evaluation.
- **Evaluation: cuallee** (Python package `cuallee`, Apache-2.0). It evaluates checks as
  native PySpark column expressions, one pass over a frame for a group of rules, and needs no JVM jar,
  so the same code runs on local Spark 3.5.6 and on Glue 5.1 (pinned in `requirements-glue.txt`,
  shipped to Glue in the deploy's zip of wheels). PyDeequ needs the Deequ jar (not installable here,
  and tied to Spark versions); Great Expectations is a large framework (data context, stores, many
  dependencies) for what are here about twenty rules; Glue's own `EvaluateDataQuality` exists only on
  Glue. Volume and freshness look at a feed rather than at rows: they judge the per-day row counts the
  lake catalog already holds, directly in Python (no data read, no Spark job).
- **Where promotion stops.** A rule checks one table, and the hop that promotes that table evaluates
  it, on what it is about to promote: `raw.<entity>` rules in **raw -> transform** (the raw ingest
  dates it will read), `transform.<entity>` rules in **transform -> analytics** (the trade dates whose
  marts it rebuilds; a dimension when the summary that reads it is rebuilt).
  - `warn`: recorded and reported (log, manifest, `analytics.quality_results`, `energy-lake report`).
  - `fail`: also stops that entity's promotion: the target keeps its previous version, the terminal
    prints `STOPPED ...`, the manifest lists it under `quality.stopped` with status `needs_attention`,
    and `energy-lake run` exits 3; on AWS the Glue job still succeeds (the other entities go on) and
    the `promotions-stopped` alarm fires (docs/operations.md, "A rejected file or a data quality
    stop"). A stopped entity is checked again by every later run until its data changes, so nothing
    slips through on a re-run.
- **Results** go to `analytics.quality_results` (one partition per run, append-only; analysts may read it
  too, it holds rule ids, counts and messages, never values: `energy-lake query "SELECT rule, outcome,
  message FROM quality_results"`),
  to the manifest's `quality` key and to the CloudWatch metric `RuleFailures` (rules that did not pass,
  per entity and per job; see `src/etl/jobs/metric_names.py`).
- **Semantics.** A rule passes when the share of rows (days for volume) that satisfy it is at least
  its `min_pass_rate` (1 unless given). Nothing to check passes. Local evaluation judges each day a run
  promotes; the Glue ruleset, which sees the whole table, judges the newest day.

## The committed sample feeds

`make run` passes with warnings only: every feed is older than 48 hours (`freshness`); customers and
transactions each repeat a key on one day (documented duplicates, the transform keeps one:
`key_unique_per_day`); one sell goes to a customer no customers feed knows (`sell_counterparty_is_customer`).

## Rules
"""


def render() -> str:
    lines = [HEAD]
    tables: dict[str, list[str]] = {}
    for rule in load_rules():
        tables.setdefault(rule.table, []).append(
            f"| `{rule.id}` | {rule.check} | **{rule.severity}** | {rule.description} | `{render_rule(rule)[:80]}"
            + ("..." if len(render_rule(rule)) > 80 else "")
            + "` |"
        )
    for table, rows in tables.items():
        zone = table.split(".", 1)[0]
        lines.append(f"\n### `{table}` (checked by {GATES[zone].replace('_to_', ' -> ')})\n")
        lines.append("| rule | check | severity | what it means | DQDL |")
        lines.append("|---|---|---|---|---|")
        lines += rows
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(render(), end="")
