"""Property: any feed generated from the contracts, however mutated, is fully accounted for.

Each hypothesis example writes a landing folder of a few generated files (tests/property/feeds.py)
and runs the real pipeline through the transform hop once. Then, against an oracle built only from
the generation choices (tests/property/oracle.py):

- the run ends without a traceback; exit 0, or 1 exactly when a file is rejected at file level,
  with that file and rule in the manifest;
- per file, ``rows_read = rows_valid + rows_quarantined``, and the counts and rule codes are exact;
- every quarantined record carries its rule, a reason, and its original record (exact text when
  malformed, the re-assembled fields otherwise), at its record number;
- every valid row arrives in the transform zone with exactly the generated values (Decimal for
  Decimal, canonical codes, UTC instants, tokens of the matching keys), after the documented
  deduplication, snapshots and counterparty resolution.

Examples per run: ``tests/property/profiles.py`` (``HYPOTHESIS_PROFILE=thorough`` for more).
"""

from __future__ import annotations

import contextlib
import io
import json
import tempfile
import traceback
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given

from energy_lake.cli.local_athena import LocalAthena
from energy_lake.cli.run import run_pipeline
from energy_lake.etl.model.contracts import load_contract
from tests.property import oracle, profiles, tally
from tests.property.feeds import ENTITIES, Batch, batches
from tests.session_conf import restored_conf

profiles.load()
pytestmark = pytest.mark.spark
CONTRACT_ORDER = {e: load_contract(e).names for e in ENTITIES}


def run_batch(spark: Any, batch: Batch, root: Path) -> dict[str, Any]:
    landing, lake, summary = root / "landing", root / "lake", root / "summary.json"
    landing.mkdir()
    for feed in batch.files:
        path = landing / feed.rel_path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(feed.data)
    out = io.StringIO()
    try:
        with restored_conf(spark), contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            rc = run_pipeline(
                lake_dir=str(lake),
                landing_dir=str(landing),
                through="transform",
                reprocess=[],
                summary_json=str(summary),
            )
    except Exception:
        pytest.fail(f"the run raised:\n{traceback.format_exc()}\n{out.getvalue()}\n{batch!r}")
    return {"rc": rc, "manifest": json.loads(summary.read_text()), "lake": lake, "stdout": out.getvalue()}


def rows(lake: Path, sql: str) -> list[dict[str, Any]]:
    result = LocalAthena(str(lake), "data_engineer").query(sql)
    return [dict(zip(result.columns, row, strict=True)) for row in result.rows]


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def check_batch(spark: Any, pii_key: bytes, batch: Batch) -> None:
    expected = oracle.expect(batch, CONTRACT_ORDER)
    with tempfile.TemporaryDirectory(prefix="prop-feeds-") as tmp:
        run = run_batch(spark, batch, Path(tmp))
        problems = compare(run, expected, pii_key)
    assert not problems, "\n".join(problems[:40]) + f"\n\n{batch!r}"
    tally.SESSION.add(batch, expected)


def compare(run: dict[str, Any], expected: oracle.Expected, pii_key: bytes) -> list[str]:
    problems: list[str] = []
    manifest, lake = run["manifest"], run["lake"]

    # -- the run: no traceback, exit code, rejected files
    if "Traceback" in run["stdout"]:
        problems.append(f"traceback in the output:\n{run['stdout']}")
    if run["rc"] != expected.exit_code:
        problems.append(f"exit {run['rc']}, expected {expected.exit_code}:\n{run['stdout']}")
    for entity in ENTITIES:
        stats = manifest["entities"][entity]
        rejected = {(r["file"], r["rule"]) for r in stats["rejected_files"]}
        if rejected != expected.rejected.get(entity, set()):
            problems.append(f"{entity} rejected {sorted(rejected)}, expected {sorted(expected.rejected[entity])}")
        # -- per file: rows_read = rows_valid + rows_quarantined, and the exact counts
        for name, counts in stats["per_file"].items():
            if counts["rows_read"] != counts["rows_valid"] + counts["rows_quarantined"]:
                problems.append(f"{name}: rows_read != rows_valid + rows_quarantined: {counts}")
        if stats["per_file"] != expected.per_file.get(entity, {}):
            for name in sorted(set(stats["per_file"]) | set(expected.per_file.get(entity, {}))):
                got, want = stats["per_file"].get(name), expected.per_file.get(entity, {}).get(name)
                if got != want:
                    problems.append(f"{name}: manifest {got}, expected {want}")

    # -- quarantine: rule, reason and original record of every bad record
    quarantine = {
        (r["_source_file"], r["_source_line"]): r
        for r in rows(
            lake, "SELECT entity, rule, reason, source_record, _source_file, _source_line FROM raw.quarantine"
        )
    }
    want_q = expected.quarantined()
    for where in sorted(set(quarantine) | set(want_q)):
        got, want = quarantine.get(where), want_q.get(where)
        if got is None or want is None:
            problems.append(f"quarantine {where}: got {got}, expected {want}")
            continue
        if (got["entity"], got["rule"], got["source_record"]) != want:
            problems.append(
                f"quarantine {where}: got {(got['entity'], got['rule'], got['source_record'])!r}, expected {want!r}"
            )
        if not (got["reason"] or "").strip():
            problems.append(f"quarantine {where}: no reason")

    # -- transform: every valid row, exactly
    problems += _compare_transactions(lake, expected, pii_key)
    problems += _compare_providers(lake, expected)
    problems += _compare_customers(lake, expected, pii_key)
    return problems


def _diff(label: Any, got: dict[str, Any], want: dict[str, Any]) -> list[str]:
    out = []
    for column, value in want.items():
        if column.startswith("_source"):
            continue
        actual = _iso(got.get(column))
        if actual != value or type(actual) is not type(value):
            out.append(f"{label} {column}: got {actual!r}, expected {value!r}")
    return out


def _compare_transactions(lake: Path, expected: oracle.Expected, pii_key: bytes) -> list[str]:
    want = oracle.transactions(expected, pii_key)
    got = {
        (r["_source_file"], r["_source_line"]): r
        for r in rows(
            lake,
            "SELECT transaction_id, id_source, transaction_type, counterparty_name, quantity, price, energy_type, "
            "traded_at, amount, counterparty_status, counterparty_key, counterparty_city, _extra, ingest_date, "
            "_source_file, _source_line FROM transform.transactions",
        )
    }
    problems = []
    for where in sorted(set(got) | set(want)):
        if where not in got or where not in want:
            problems.append(f"transform.transactions {where}: got {got.get(where)}, expected {want.get(where)}")
            continue
        row = dict(got[where])
        if row["traded_at"] is not None:
            row["traded_at"] = row["traded_at"].strftime("%Y-%m-%d %H:%M:%S.%f")
        row["_extra"] = dict(row["_extra"] or {})
        problems += _diff(f"transform.transactions {where}", row, want[where])
    return problems


def _compare_providers(lake: Path, expected: oracle.Expected) -> list[str]:
    want = oracle.providers(expected)
    got = {
        r["provider_key"]: r
        for r in rows(
            lake,
            "SELECT provider_key, provider_name, energy_type, country, capacity_mw, first_seen_date, "
            "last_seen_date, _source_file, _source_line FROM transform.providers",
        )
    }
    problems = []
    for k in sorted(set(got) | set(want)):
        if k not in got or k not in want:
            problems.append(f"transform.providers {k}: got {got.get(k)}, expected {want.get(k)}")
            continue
        if (got[k]["_source_file"], got[k]["_source_line"]) != want[k]["_source"]:
            problems.append(f"transform.providers {k}: latest row {got[k]}, expected {want[k]['_source']}")
        problems += _diff(f"transform.providers {k}", got[k], want[k])
    return problems


def _compare_customers(lake: Path, expected: oracle.Expected, pii_key: bytes) -> list[str]:
    want = oracle.customers(expected, pii_key)
    got = {
        r["customer_key"]: r
        for r in rows(
            lake,
            "SELECT customer_key, id_type, id_number, customer_name, city, first_seen_date, last_seen_date, "
            "_source_file, _source_line FROM transform.customers",
        )
    }
    problems = []
    for k in sorted(set(got) | set(want)):
        if k not in got or k not in want:
            problems.append(f"transform.customers {k}: got {got.get(k)}, expected {want.get(k)}")
            continue
        if (got[k]["_source_file"], got[k]["_source_line"]) != want[k]["_source"]:
            problems.append(f"transform.customers {k}: latest row {got[k]}, expected {want[k]['_source']}")
        problems += _diff(f"transform.customers {k}", got[k], {c: v for c, v in want[k].items() if c != "name_key"})
    return problems


@given(batch=batches(*profiles.files_per_batch()))
def test_generated_feeds_are_fully_accounted_for(spark, pii_key, batch):
    check_batch(spark, pii_key, batch)
