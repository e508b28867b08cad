"""The committed sample feeds (data/landing) and generated feeds through the real landing -> raw hop.

Expectations come from one source, ``data/make_samples.py``, through ``data/landing_expectations.json``
(checked here against the script and against the table in ``data/README.md``). The Spark tests assert
that every documented bad record is quarantined with exactly its rule code and record number, that
nothing else is, and that every other record reaches raw.

The whole landing folder goes through one run, as ``make run`` does: all three entities quarantine
rows in that run (a regression test for the unexpected-partition guard fixed in a4fa128).
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from energy_lake.cli.generate.feeds import FeedSpec, generate_feeds
from energy_lake.cli.generate.rules import row_rule_codes
from energy_lake.etl.landing.recognise import match_header
from energy_lake.etl.landing.sniff import HEAD_BYTES, sniff
from energy_lake.etl.model.contracts import ENTITIES, load_contract

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "data"
LANDING = DATA / "landing"
EXPECTED: dict[str, Any] = json.loads((DATA / "landing_expectations.json").read_text("utf-8"))


def _load_make_samples() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_samples", DATA / "make_samples.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["make_samples"] = module
    spec.loader.exec_module(module)
    return module


# ---------------------------------------------------------------- no Spark: the samples and their documentation


def test_committed_files_are_what_the_script_writes() -> None:
    make_samples = _load_make_samples()
    assert make_samples.main(["--check"]) == 0, "run: .venv/bin/python data/make_samples.py"


def test_readme_table_lists_exactly_the_expected_bad_records() -> None:
    readme = (DATA / "README.md").read_text("utf-8")
    table = readme.split("<!-- bad-rows:begin -->", 1)[1].split("<!-- bad-rows:end -->", 1)[0]
    rows = [
        (m.group(1), int(m.group(2)), m.group(3))
        for m in re.finditer(r"^\| `([^`]+)` \| (\d+) \| `([a-z_]+)` \| .+ \|$", table, re.MULTILINE)
    ]
    expected = [(r["file"], r["record"], r["rule"]) for r in EXPECTED["bad_rows"]]
    assert len(table.strip().splitlines()) == len(expected) + 2  # header and separator
    assert rows == expected


def test_expectation_counts_add_up() -> None:
    for rel, f in EXPECTED["files"].items():
        bad = [r for r in EXPECTED["bad_rows"] if r["file"] == rel]
        assert f["rows_read"] == f["rows_valid"] + f["rows_quarantined"], rel
        assert f["rows_quarantined"] == len(bad) == sum(f["reasons"].values()), rel
        assert all(2 <= r["record"] <= f["rows_read"] + 1 for r in bad), rel
    for entity, e in EXPECTED["entities"].items():
        files = [f for f in EXPECTED["files"].values() if f["entity"] == entity]
        assert e["files"] == len(files)
        assert e["rows_valid"] == sum(f["rows_valid"] for f in files)


def test_samples_cover_every_row_level_rule_of_every_entity() -> None:
    for entity in ENTITIES:
        seen = {r["rule"] for r in EXPECTED["bad_rows"] if r["file"].startswith(f"{entity}/")}
        missing = set(row_rule_codes(load_contract(entity))) - seen
        assert not missing, f"{entity} samples have no bad record for {sorted(missing)}"
    assert "duplicate_file" in {r["rule"] for r in EXPECTED["bad_rows"]}


def test_two_ingest_dates_and_a_byte_identical_duplicate() -> None:
    dates = {rel.split("/")[1] for rel in EXPECTED["files"]}
    assert dates == {"ingest_date=2026-01-05", "ingest_date=2026-01-06"}
    dup = LANDING / "transactions/ingest_date=2026-01-06/trades_desk_b_resent.csv"
    assert dup.read_bytes() == (LANDING / "transactions/ingest_date=2026-01-05/trades_desk_b.csv").read_bytes()


@pytest.mark.parametrize("rel", sorted(EXPECTED["files"]))
def test_every_sample_file_is_accepted_with_its_declared_dialect(rel: str) -> None:
    path = LANDING / rel
    expected = EXPECTED["files"][rel]
    head = path.read_bytes()[:HEAD_BYTES]
    dialect = sniff(head, complete=path.stat().st_size <= HEAD_BYTES, file=rel)
    match = match_header(dialect.header, rel, expected["entity"])  # raises FeedRejected when not accepted
    assert match.entity == expected["entity"]
    declared = expected["dialect"]
    assert (dialect.encoding, dialect.delimiter) == (declared["encoding"], declared["delimiter"])
    if expected["entity"] != "customers":  # customers have no numbers: the decimal separator is moot there
        assert dialect.decimal_comma == declared["decimal_comma"]
    assert head.startswith(b"\xef\xbb\xbf") == declared["bom"]
    assert (b"\r\n" in head) == (declared["line_ends"] == "CRLF")
    assert head.endswith(b"\n") == declared["final_newline"]


# ---------------------------------------------------------------- Spark: the real landing -> raw hop


def _run_raw(landing: Path, lake: Path) -> dict[str, Any]:
    from energy_lake.cli.run import run_pipeline

    summary = lake.parent / f"{lake.name}-summary.json"
    code = run_pipeline(
        lake_dir=str(lake), landing_dir=str(landing), through="raw", reprocess=[], summary_json=str(summary)
    )
    assert code == 0
    doc: dict[str, Any] = json.loads(summary.read_text("utf-8"))
    return doc


def _table_rows(spark: Any, lake: Path, table: str, entity: str) -> list[Any]:
    from tests import lake_tables

    df = lake_tables.read(spark, lake, table)
    if table == "raw.quarantine":
        df = df.where(df.entity == entity)
    return list(df.collect())


@pytest.fixture(scope="module")
def sample_run(spark: Any, sample_lake: Path) -> dict[str, dict[str, Any]]:
    """Per entity: its run-manifest section, quarantine rows and raw rows, from the session's run over
    data/landing (``conftest.sample_lake``)."""
    lake = sample_lake
    doc: dict[str, Any] = json.loads((lake.parent / "manifest.json").read_text("utf-8"))
    return {
        entity: {
            "stats": doc["entities"][entity],
            "quarantine": _table_rows(spark, lake, "raw.quarantine", entity),
            "raw": _table_rows(spark, lake, f"raw.{entity}", entity),
        }
        for entity in ENTITIES
    }


def _expected_bad(entity: str) -> set[tuple[str, int, str]]:
    return {(r["file"], r["record"], r["rule"]) for r in EXPECTED["bad_rows"] if r["file"].startswith(f"{entity}/")}


def _expected_valid_records(entity: str) -> set[tuple[str, int]]:
    bad = {(f, n) for f, n, _ in _expected_bad(entity)}
    return {
        (rel, n)
        for rel, f in EXPECTED["files"].items()
        if f["entity"] == entity
        for n in range(2, f["rows_read"] + 2)
        if (rel, n) not in bad
    }


@pytest.mark.spark
@pytest.mark.parametrize("entity", ENTITIES)
def test_sample_counts_match_the_run_manifest(sample_run: dict[str, dict[str, Any]], entity: str) -> None:
    stats = sample_run[entity]["stats"]
    expected = EXPECTED["entities"][entity]
    assert stats["rejected_files"] == []
    for key in ("files", "rows_read", "rows_valid", "rows_quarantined", "quarantine_reasons"):
        assert stats[key] == expected[key], key
    per_file = {
        rel: {k: f[k] for k in ("rows_read", "rows_valid", "rows_quarantined", "reasons")}
        for rel, f in EXPECTED["files"].items()
        if f["entity"] == entity
    }
    assert stats["per_file"] == per_file


@pytest.mark.spark
@pytest.mark.parametrize("entity", ENTITIES)
def test_every_documented_bad_record_is_quarantined_with_its_rule(
    sample_run: dict[str, dict[str, Any]], entity: str
) -> None:
    quarantined = {(r["_source_file"], r["_source_line"], r["rule"]) for r in sample_run[entity]["quarantine"]}
    assert len(sample_run[entity]["quarantine"]) == len(quarantined)
    assert quarantined == _expected_bad(entity)
    assert all(r["reason"] for r in sample_run[entity]["quarantine"])


@pytest.mark.spark
@pytest.mark.parametrize("entity", ENTITIES)
def test_every_other_record_reaches_raw(sample_run: dict[str, dict[str, Any]], entity: str) -> None:
    raw = sample_run[entity]["raw"]
    records = {(r["_source_file"], r["_source_line"]) for r in raw}
    assert len(raw) == len(records)
    assert records == _expected_valid_records(entity)


@pytest.mark.spark
def test_extra_columns_are_carried_in_raw(sample_run: dict[str, dict[str, Any]]) -> None:
    providers = {
        r["_source_line"]: r["_extra"]
        for r in sample_run["providers"]["raw"]
        if r["_source_file"].endswith("providers_update.csv")
    }
    assert providers[2] == {"notes": "capacity revised after maintenance"}
    trades = {
        r["_source_line"]: r["_extra"]
        for r in sample_run["transactions"]["raw"]
        if r["_source_file"].endswith("trades_2026-01-06.csv")
    }
    assert trades[2] == {"desk": "renewables"}


@pytest.mark.spark
def test_spanish_export_numbers_reach_raw_in_canonical_notation(sample_run: dict[str, dict[str, Any]]) -> None:
    rows = {
        r["_source_line"]: r
        for r in sample_run["transactions"]["raw"]
        if r["_source_file"].endswith("transacciones_excel.csv")
    }
    assert (rows[2]["quantity"], rows[2]["price"], rows[2]["counterparty_name"]) == (
        "1234.5",
        "129.8",
        "Hidroeléctrica del Sinú S.A. E.S.P.",
    )
    assert rows[5]["quantity"] == "2000"


# ---------------------------------------------------------------- Spark: generated feeds


@pytest.mark.spark
def test_generated_feeds_are_quarantined_exactly_as_their_manifest_says(spark: Any, tmp_path: Path) -> None:
    """Each generated bad row really is quarantined, with the rule the generator meant."""
    out = tmp_path / "generated"
    manifest = generate_feeds(out, FeedSpec(transactions=3_000, days=2, seed=11, bad_share=0.25))
    stats = _run_raw(out, tmp_path / "lake")["entities"]
    for entity in ENTITIES:
        assert set(manifest["entities"][entity]["quarantine_reasons"]) >= set(row_rule_codes(load_contract(entity)))
        assert stats[entity]["rejected_files"] == []
        for key in ("files", "rows_read", "rows_valid", "rows_quarantined", "quarantine_reasons", "per_file"):
            assert stats[entity][key] == manifest["entities"][entity][key], (entity, key)
