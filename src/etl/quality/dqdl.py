"""The data quality rules as Glue Data Quality DQDL rulesets, one per table, rendered from ``rules.load_rules``.

``python -m energy_lake.etl.quality.dqdl`` writes ``src/contracts/generated/dqdl/`` (a test fails when the
files are stale):

- ``<zone>.<table>.dqdl``: the ruleset text, for reading;
- ``rulesets.json``: ``{"<zone>.<table>": {"zone", "table", "ruleset", "rules": [{"id", "severity", "dqdl"}]}}``,
  which Terraform reads (``jsondecode``) for ``aws_glue_data_quality_ruleset`` with ``target_table``.
  CustomSql rules that read another table name it ``${<zone>_database}.<table>``; Terraform fills the
  database names in with ``templatestring``;
- ``quality_results_table.json``: the columns of ``analytics.quality_results``, for the Glue table.

Mapping: ``unique`` -> IsUnique (with ``where``), ``primary_key`` -> IsPrimaryKey, ``complete`` -> IsComplete
(one per column, combined with ``and``), ``allowed`` -> ColumnValues in [...], ``satisfies`` -> CustomSql
returning the share of rows that satisfy the predicate, ``volume`` and ``freshness`` -> CustomSql over
the table's ingest dates (Glue's dynamic rules are ETL-only, so the trailing average is computed in SQL).
The local evaluation judges each day a run promotes; the Glue ruleset judges the newest day of the table.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from string import Template
from typing import Any

from energy_lake.etl.quality.results import RESULT_COLUMNS, RESULTS_PARTITION_COLUMN, RESULTS_TABLE
from energy_lake.etl.quality.rules import Rule, load_rules

VOLUME_SQL = Template(
    "WITH d AS (SELECT ingest_date, COUNT(*) AS n FROM primary GROUP BY ingest_date), "
    "l AS (SELECT ingest_date, n FROM d WHERE ingest_date = (SELECT MAX(ingest_date) FROM d)), "
    "h AS (SELECT COUNT(*) AS days, AVG(d.n) AS avg_n FROM d CROSS JOIN l "
    "WHERE d.ingest_date < l.ingest_date AND d.ingest_date >= date_sub(l.ingest_date, $window)) "
    "SELECT COALESCE(MAX(CASE WHEN h.days >= $need AND h.avg_n > 0 THEN l.n / h.avg_n END), 1.0) "
    "FROM l CROSS JOIN h"
)
GENERATED = Path(__file__).resolve().parents[2] / "contracts" / "generated"  # src/contracts/generated
DQDL_DIR = GENERATED / "dqdl"


def _q(name: str) -> str:
    return f'"{name}"'


def _number(value: Any) -> str:
    text = format(value, "f") if not isinstance(value, str) else value
    return text.rstrip("0").rstrip(".") if "." in text else text


def _sql(statement: str) -> str:
    if '"' in statement:
        raise ValueError(f"a CustomSql statement cannot hold a double quote: {statement}")
    return _q(" ".join(statement.split()))


def satisfies_sql(rule: Rule) -> str:
    """SQL giving the share of rows (1 when none) that satisfy the rule's predicate; ``primary`` is the table."""
    source = "primary"
    if rule.lookup is not None:
        zone, name = rule.lookup.table.split(".", 1)
        on = " AND ".join(f"t.{ours} = l.{theirs}" for ours, theirs in rule.lookup.join)
        picked = ", ".join(f"l.{src} AS {alias}" for src, alias in rule.lookup.columns)
        # Names and predicates come from the contracts, never from user input (here and below).
        source = f"(SELECT t.*, {picked} FROM primary t LEFT JOIN ${{{zone}_database}}.{name} l ON {on})"  # noqa: S608  # nosec B608
    where = f" WHERE {rule.where}" if rule.where else ""
    share = f"COALESCE(AVG(CASE WHEN ({rule.predicate}) THEN 1.0 ELSE 0.0 END), 1.0)"
    return f"SELECT {share} FROM {source} s{where}"  # noqa: S608  # nosec B608


def volume_sql(rule: Rule) -> str:
    """SQL giving the newest day's rows over the average of the previous days in the window (1 when not judged)."""
    window, need = int(rule.param("window_days")), int(rule.param("min_history_days"))
    return VOLUME_SQL.substitute(window=window, need=need)


def freshness_sql(rule: Rule) -> str:
    """SQL giving the hours since the newest ingest date's midnight (UTC)."""
    return (
        "SELECT (unix_timestamp(current_timestamp()) - unix_timestamp(CAST(MAX(ingest_date) AS TIMESTAMP))) / 3600 "
        "FROM primary"
    )


def render_rule(rule: Rule) -> str:
    where = f" where {_q(rule.where)}" if rule.where else ""
    cols = " ".join(_q(c) for c in rule.columns)
    full = rule.min_pass_rate == 1
    if rule.check in ("unique", "primary_key", "complete", "allowed") and not full:
        raise ValueError(f"{rule.id}: DQDL parity needs min_pass_rate 1 for {rule.check} rules")
    if rule.check == "unique":
        return f"IsUnique {cols}{where}"
    if rule.check == "primary_key":
        return f"IsPrimaryKey {cols}{where}"
    if rule.check == "complete":
        parts = [f"IsComplete {_q(c)}{where}" for c in rule.columns]
        return parts[0] if len(parts) == 1 else " and ".join(f"({p})" for p in parts)
    if rule.check == "allowed":
        values = ",".join(_q(v) for v in rule.allowed)
        return f"ColumnValues {_q(rule.columns[0])} in [{values}]{where}"
    if rule.check == "satisfies":
        return f"CustomSql {_sql(satisfies_sql(rule))} >= {_number(rule.min_pass_rate)}"
    if rule.check == "volume":
        sql = _sql(volume_sql(rule))
        low, high = _number(rule.param("min_ratio")), _number(rule.param("max_ratio"))
        return f"(CustomSql {sql} >= {low}) and (CustomSql {sql} <= {high})"
    if rule.check == "freshness":
        return f"CustomSql {_sql(freshness_sql(rule))} <= {_number(rule.param('max_age_hours'))}"
    raise ValueError(f"{rule.id}: no DQDL for check {rule.check!r}")


def rulesets() -> dict[str, dict[str, Any]]:
    """Table -> its ruleset, in rule order."""
    out: dict[str, dict[str, Any]] = {}
    for rule in load_rules():
        entry = out.setdefault(
            rule.table,
            {"zone": rule.zone, "table": rule.table.split(".", 1)[1], "ruleset": "", "rules": []},
        )
        entry["rules"].append({"id": rule.id, "severity": rule.severity, "dqdl": render_rule(rule)})
    for entry in out.values():
        entry["ruleset"] = "Rules = [\n" + ",\n".join(f"  {r['dqdl']}" for r in entry["rules"]) + "\n]\n"
    return dict(sorted(out.items()))


def results_table() -> dict[str, Any]:
    return {
        "table": RESULTS_TABLE,
        "columns": [{"name": c.name, "type": c.type, "description": c.description} for c in RESULT_COLUMNS],
        "partition_keys": [
            {
                "name": RESULTS_PARTITION_COLUMN.name,
                "type": RESULTS_PARTITION_COLUMN.type,
                "description": RESULTS_PARTITION_COLUMN.description,
            }
        ],
    }


def generated_files() -> dict[Path, str]:
    sets = rulesets()
    files = {DQDL_DIR / f"{table}.dqdl": entry["ruleset"] for table, entry in sets.items()}
    files[DQDL_DIR / "rulesets.json"] = json.dumps(sets, indent=1) + "\n"
    files[GENERATED / "quality_results_table.json"] = json.dumps(results_table(), indent=1) + "\n"
    return files


def main() -> int:
    DQDL_DIR.mkdir(parents=True, exist_ok=True)
    for path, text in generated_files().items():
        path.write_text(text, encoding="utf-8")
        print(path.relative_to(GENERATED.parent.parent.parent))
    return 0


if __name__ == "__main__":
    sys.exit(main())
