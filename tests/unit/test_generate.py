"""``energy-lake generate``: determinism, exact counts, bad rows of every rule, the manifest, the CLI.

No Spark here: the bad rows are checked against the contracts with plain Python (patterns, allowed
values, decimals); ``tests/integration/test_sample_feeds.py`` runs generated feeds through the real
validation and compares its counts with the manifest.
"""

from __future__ import annotations

import csv
import json
import random
import re
from collections import Counter
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import pytest

from energy_lake.cli.generate import vocabulary as vocabulary_module
from energy_lake.cli.generate.feeds import COLUMNS, FeedSpec, generate_feeds
from energy_lake.cli.generate.manifest import MANIFEST_NAME
from energy_lake.cli.generate.parties import nit_check_digit
from energy_lake.cli.generate.rules import REPLACEMENT_CHAR, bad_value, row_rule_codes
from energy_lake.cli.generate.vocabulary import vocabulary
from energy_lake.cli.main import main
from energy_lake.etl.landing.recognise import match_header
from energy_lake.etl.landing.sniff import HEAD_BYTES, sniff
from energy_lake.etl.model.contracts import ENTITIES, load_contract, normalise_name

SPEC = FeedSpec(transactions=5_000, days=3, seed=7, bad_share=0.2, start_date=date(2026, 2, 1))


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _records(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    out = tmp_path_factory.mktemp("generated")
    return out, generate_feeds(out, SPEC)


# ---------------------------------------------------------------- determinism


def test_same_seed_gives_identical_bytes(tmp_path: Path, generated: tuple[Path, dict[str, Any]]) -> None:
    again = generate_feeds(tmp_path / "again", SPEC)
    assert _files(tmp_path / "again") == _files(generated[0])
    assert again == generated[1]


def test_different_seed_gives_different_feeds(tmp_path: Path, generated: tuple[Path, dict[str, Any]]) -> None:
    generate_feeds(tmp_path / "other", FeedSpec(**{**SPEC.__dict__, "seed": 8}))
    first, other = _files(generated[0]), _files(tmp_path / "other")
    assert first.keys() == other.keys()  # same layout and names ...
    assert all(first[rel] != other[rel] for rel in first if rel != MANIFEST_NAME)  # ... other content


# ---------------------------------------------------------------- layout and counts


def test_landing_layout_and_manifest_at_the_root(generated: tuple[Path, dict[str, Any]]) -> None:
    out, manifest = generated
    on_disk = set(_files(out)) - {MANIFEST_NAME}
    listed = {rel for e in manifest["entities"].values() for rel in e["per_file"]}
    assert on_disk == listed
    for rel in on_disk:
        entity, folder, name = rel.split("/")
        assert entity in ENTITIES and re.fullmatch(r"ingest_date=2026-02-0[1-3]", folder) and name.endswith(".csv")
    assert json.loads((out / MANIFEST_NAME).read_text("utf-8")) == manifest


def test_row_counts_per_file_are_exact(generated: tuple[Path, dict[str, Any]]) -> None:
    out, manifest = generated
    for stats in manifest["entities"].values():
        for rel, counts in stats["per_file"].items():
            records = _records(out / rel)
            assert len(records) - 1 == counts["rows_read"], rel
            assert counts["rows_read"] == counts["rows_valid"] + counts["rows_quarantined"], rel
            assert counts["rows_quarantined"] == sum(counts["reasons"].values()), rel
        assert stats["rows_read"] == sum(c["rows_read"] for c in stats["per_file"].values())
        assert stats["files"] == len(stats["per_file"])
    tx = manifest["entities"]["transactions"]
    assert tx["rows_read"] == SPEC.transactions
    per_day = Counter(rel.split("/")[1] for rel in tx["per_file"] for _ in range(tx["per_file"][rel]["rows_read"]))
    assert sorted(per_day.values()) == [1666, 1667, 1667]


def test_every_generated_header_is_recognised(generated: tuple[Path, dict[str, Any]]) -> None:
    out, manifest = generated
    spanish = 0
    for entity, stats in manifest["entities"].items():
        for rel in stats["per_file"]:
            head = (out / rel).read_bytes()[:HEAD_BYTES]
            dialect = sniff(head, complete=True, file=rel)
            assert match_header(dialect.header, rel).entity == entity
            spanish += dialect.header[0] != COLUMNS[entity][0]
    assert spanish  # odd days speak Spanish


def test_fewer_trades_than_days_writes_no_header_only_file(tmp_path: Path) -> None:
    manifest = generate_feeds(tmp_path, FeedSpec(transactions=2, days=3, bad_share=0))
    files = manifest["entities"]["transactions"]["per_file"]
    assert [c["rows_read"] for c in files.values()] == [1, 1]
    assert all(len(_records(tmp_path / rel)) > 1 for e in manifest["entities"].values() for rel in e["per_file"])


def test_large_days_are_split_into_parts(tmp_path: Path) -> None:
    manifest = generate_feeds(tmp_path, FeedSpec(transactions=1_000, days=1, bad_share=0.1, rows_per_file=300))
    files = manifest["entities"]["transactions"]["per_file"]
    assert [rel.rsplit("_", 1)[1] for rel in files] == ["part001.csv", "part002.csv", "part003.csv", "part004.csv"]
    assert [c["rows_read"] for c in files.values()] == [250, 250, 250, 250]
    assert sum(c["rows_quarantined"] for c in files.values()) == 100
    ids = [r[0] for rel in files for r in _records(tmp_path / rel)[1:] if r and r[0].startswith("TX2026")]
    assert len(ids) == len(set(ids))  # transaction ids stay unique across parts


# ---------------------------------------------------------------- bad rows


def test_bad_share_is_exact_for_trades_and_close_for_dimensions(generated: tuple[Path, dict[str, Any]]) -> None:
    _, manifest = generated
    assert manifest["entities"]["transactions"]["rows_quarantined"] == round(SPEC.transactions * SPEC.bad_share)
    for entity in ("providers", "customers"):
        files = {
            rel: c
            for rel, c in manifest["entities"][entity]["per_file"].items()
            if rel not in manifest["duplicate_files"]
        }
        bad = sum(c["rows_quarantined"] for c in files.values())
        read = sum(c["rows_read"] for c in files.values())
        assert abs(bad / read - SPEC.bad_share) < 0.03, entity


def test_every_row_level_rule_code_appears_in_equal_turns(generated: tuple[Path, dict[str, Any]]) -> None:
    _, manifest = generated
    for entity in ENTITIES:
        reasons = dict(manifest["entities"][entity]["quarantine_reasons"])
        duplicates = reasons.pop("duplicate_file", 0)
        codes = row_rule_codes(load_contract(entity))
        # Each code in turn: all of them once an entity has as many bad rows (40 providers at 20% give 10).
        assert set(reasons) <= set(codes) and len(reasons) == min(len(codes), sum(reasons.values())), entity
        assert max(reasons.values()) - min(reasons.values()) <= 1, entity
        if entity != "providers":
            assert set(reasons) == set(codes), entity
        assert duplicates == (
            manifest["entities"]["providers"]["per_file"][next(iter(manifest["duplicate_files"]))]["rows_read"]
            if entity == "providers"
            else 0
        )


def test_rule_codes_follow_the_contracts() -> None:
    assert row_rule_codes(load_contract("transactions")) == [
        "wrong_field_count",
        "transaction_id_bad_encoding", "transaction_id_bad_format",
        "transaction_type_missing", "transaction_type_bad_encoding", "transaction_type_not_allowed",
        "counterparty_name_missing", "counterparty_name_bad_encoding",
        "quantity_missing", "quantity_bad_encoding", "quantity_not_a_number", "quantity_too_many_decimals",
        "quantity_out_of_range", "quantity_not_positive",
        "price_missing", "price_bad_encoding", "price_not_a_number", "price_too_many_decimals",
        "price_out_of_range", "price_negative",
        "energy_type_missing", "energy_type_bad_encoding", "energy_type_not_allowed",
        "traded_at_bad_encoding", "traded_at_ambiguous_date", "traded_at_not_a_timestamp",
    ]  # fmt: skip
    assert len(row_rule_codes(load_contract("providers"))) == 12
    assert len(row_rule_codes(load_contract("customers"))) == 11


def test_duplicate_file_is_a_byte_identical_copy_on_the_last_day(generated: tuple[Path, dict[str, Any]]) -> None:
    out, manifest = generated
    [(copy, original)] = manifest["duplicate_files"].items()
    assert copy.split("/")[1] == "ingest_date=2026-02-03" and original.split("/")[1] == "ingest_date=2026-02-01"
    assert (out / copy).read_bytes() == (out / original).read_bytes()
    counts = manifest["entities"]["providers"]["per_file"][copy]
    assert counts["reasons"] == {"duplicate_file": counts["rows_read"]} and counts["rows_valid"] == 0


def test_bad_rows_seen_from_the_files(generated: tuple[Path, dict[str, Any]]) -> None:
    """Field counts and replacement characters, counted straight from the CSV, agree with the manifest."""
    out, manifest = generated
    for stats in manifest["entities"].values():
        for rel, counts in stats["per_file"].items():
            if rel in manifest["duplicate_files"]:
                continue
            records = _records(out / rel)
            width = len(records[0])
            wrong = sum(len(r) != width for r in records[1:])
            encoding = sum(REPLACEMENT_CHAR in "".join(r) for r in records[1:] if len(r) == width)
            assert wrong == counts["reasons"].get("wrong_field_count", 0), rel
            assert encoding == sum(v for k, v in counts["reasons"].items() if k.endswith("_bad_encoding")), rel


def test_no_bad_rows_at_share_zero(tmp_path: Path) -> None:
    manifest = generate_feeds(tmp_path, FeedSpec(transactions=2_000, days=2, bad_share=0))
    assert all(e["rows_quarantined"] == 0 for e in manifest["entities"].values())
    assert manifest["duplicate_files"] == {}
    text = "".join(p.read_text("utf-8") for p in tmp_path.rglob("*.csv"))
    assert REPLACEMENT_CHAR not in text


def _fails(code: str, value: str, entity: str) -> bool:
    """Whether ``value`` fails the column rule ``code`` (plain-Python reading of the contract's rules)."""
    contract = load_contract(entity)
    column = next(c for c in contract.columns if code.startswith(f"{c.name}_"))
    rule = code.removeprefix(f"{column.name}_")
    text = " ".join(value.split())
    if rule == "missing":
        return text == ""
    if rule == "bad_encoding":
        return REPLACEMENT_CHAR in value
    if rule == "not_allowed":
        return normalise_name(value) not in column.canonical_values()
    if rule == "bad_format":
        return column.pattern is not None and re.match(column.pattern, value.strip()) is None
    if rule == "ambiguous_date":  # the generated files are comma-separated: no date order is decided
        return re.fullmatch(r"\d{1,2}/\d{1,2}/\d{4}( \d{1,2}:\d{2}(:\d{2})?)?", value.strip()) is not None
    if rule == "not_a_timestamp":
        return not re.fullmatch(r"\d{4}-\d{2}-\d{2}([T ]([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?)?", value.strip()) or (
            value.strip() == "2026-02-30"
        )
    assert column.decimal
    precision, scale = column.decimal
    try:
        number = Decimal(value) if re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?", value) else None
    except InvalidOperation:
        number = None
    if rule == "not_a_number":
        return number is None
    assert number is not None
    places = max(0, -number.normalize().as_tuple().exponent) if number else 0  # type: ignore[operator]
    if rule == "too_many_decimals":
        return places > scale
    if rule == "out_of_range":
        return places <= scale and abs(number) >= Decimal(10) ** (precision - scale)
    if rule == "not_positive":
        return number <= 0
    if rule == "negative":
        return number < 0
    raise AssertionError(code)


@pytest.mark.parametrize("entity", ENTITIES)
def test_each_bad_value_fails_its_own_rule(entity: str) -> None:
    contract = load_contract(entity)
    rnd = random.Random(1)
    for code in row_rule_codes(contract):
        if code == "wrong_field_count":
            continue
        column = next(c for c in contract.columns if code.startswith(f"{c.name}_"))
        for _ in range(30):
            value = bad_value(code, column, "Bogotá 12", rnd)
            assert _fails(code, value, entity), (code, value)
            earlier = row_rule_codes(contract)[: row_rule_codes(contract).index(code)]
            for other in (c for c in earlier if c.startswith(f"{column.name}_")):
                assert not _fails(other, value, entity), (code, value, other)


def test_wrong_values_are_not_accidentally_valid() -> None:
    words = vocabulary()
    for name, values in words.not_allowed.items():
        canonical = next(c for e in ENTITIES for c in load_contract(e).columns if c.name == name).canonical_values()
        assert not {normalise_name(v) for v in values} & set(canonical), name
    for name, values in words.bad_format.items():
        pattern = next(c for e in ENTITIES for c in load_contract(e).columns if c.name == name).pattern
        assert pattern and all(re.match(pattern, v) is None for v in values), name
    assert all(not re.fullmatch(r"[+-]?\d+(\.\d+)?", v) for v in words.bad_values["not_a_number"])
    timestamps = words.bad_values["not_a_timestamp"]
    assert all(not re.fullmatch(r"\d{4}-\d{2}-\d{2}( \d{2}:\d{2})?", v) or v == "2026-02-30" for v in timestamps)
    assert not any(re.fullmatch(r"\d{1,2}/\d{1,2}/\d{4}( .*)?", v) for v in timestamps)  # those are ambiguous


# ---------------------------------------------------------------- realism


def test_counterparties_are_the_generated_providers_and_customers(generated: tuple[Path, dict[str, Any]]) -> None:
    out, manifest = generated
    providers = {r[0] for rel in manifest["entities"]["providers"]["per_file"] for r in _records(out / rel)[1:]}
    customers = {r[2] for rel in manifest["entities"]["customers"]["per_file"] for r in _records(out / rel)[1:]}
    kinds = load_contract("transactions").column("transaction_type").canonical_values()
    checked = Counter[str]()
    for rel in manifest["entities"]["transactions"]["per_file"]:
        for r in _records(out / rel)[1:]:
            kind = kinds.get(normalise_name(r[1])) if len(r) == 7 else None
            if kind and r[2].strip() and REPLACEMENT_CHAR not in r[2]:
                assert r[2] in (providers if kind == "buy" else customers), r
                checked[kind] += 1
    assert checked["buy"] > 1000 and checked["sell"] > 1000


def test_customer_documents_are_unique_and_nits_carry_their_check_digit(tmp_path: Path) -> None:
    manifest = generate_feeds(tmp_path, FeedSpec(transactions=100_000, days=2, bad_share=0))
    rows = [r for rel in manifest["entities"]["customers"]["per_file"] for r in _records(tmp_path / rel)[1:]]
    id_types = load_contract("customers").column("id_type").canonical_values()
    keys = [(id_types[normalise_name(r[0])], r[1]) for r in rows]
    assert len(rows) == 2_000 and len(set(keys)) == len(keys) and len({r[2] for r in rows}) == len(rows)
    assert {k for k, _ in keys} == {"CC", "CE", "NIT", "TI", "PA"}
    nits = [n for k, n in keys if k == "NIT"]
    assert nits and all(int(n[-1]) == nit_check_digit(n[:-2]) for n in nits)
    assert nit_check_digit("890903938") == 8  # a published NIT


# ---------------------------------------------------------------- reference data (cli/generate/reference)


def test_reference_data_is_read_once_and_every_spelling_is_recognised() -> None:
    words = vocabulary()
    assert vocabulary() is words  # cached for the process
    assert len(words.first_names) > 50 and len(words.cities) == len(words.city_weights) > 20
    assert words.provider_countries.count("Colombia") == 8 and words.spellings["id_type"]["CC"].count("CC") == 12
    for column, by_value in words.spellings.items():
        canonical = next(c for e in ENTITIES for c in load_contract(e).columns if c.name == column).canonical_values()
        for value, spellings in by_value.items():
            assert {canonical.get(normalise_name(s)) for s in spellings} == {value}, (column, value)


def test_feeds_are_made_of_the_reference_data(generated: tuple[Path, dict[str, Any]]) -> None:
    out, manifest = generated
    words = vocabulary()

    def rows(entity: str) -> list[list[str]]:
        files = [rel for rel in manifest["entities"][entity]["per_file"] if rel not in manifest["duplicate_files"]]
        return [
            r for rel in files for r in _records(out / rel)[1:] if len(r) == 4 and REPLACEMENT_CHAR not in "".join(r)
        ]

    cities = {r[3] for r in rows("customers") if r[3].strip()}
    assert cities and cities <= set(words.cities)
    countries = {r[2] for r in rows("providers")}
    assert countries <= set(words.provider_countries) | {c for _, c in words.nuclear_providers}
    stems = [f.format(p) for e, forms in words.provider_forms.items() for f in forms
             for p in (words.wind_places if e == "wind" else words.hydro_places)]  # fmt: skip
    stems += [name for name, _ in words.nuclear_providers]
    names = [r[0] for r in rows("providers") if r[0].strip()]
    assert names and all(any(n.startswith(f"{stem} ") for stem in stems) for n in names)


def test_reference_values_must_be_quoted_text(monkeypatch: pytest.MonkeyPatch) -> None:
    original = vocabulary_module._text
    monkeypatch.setattr(vocabulary_module, "_text", lambda name: original(name).replace('"-85.5"', "-85.5"))
    vocabulary.cache_clear()
    try:
        with pytest.raises(ValueError, match=r"bad_values.yaml: negative: expected a non-empty list of quoted strings"):
            vocabulary()
    finally:
        monkeypatch.undo()
        vocabulary.cache_clear()


# ---------------------------------------------------------------- CLI


def test_cli_writes_and_reports(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "feeds"
    code = main(["generate", "--transactions", "1000", "--days", "2", "--seed", "3", "--bad-share", "0.05",
                 "--start-date", "2026-03-01", "--out", str(out)])  # fmt: skip
    printed = capsys.readouterr().out
    assert code == 0
    manifest = json.loads((out / MANIFEST_NAME).read_text("utf-8"))
    assert manifest["parameters"] == {"transactions": 1000, "days": 2, "seed": 3, "bad_share": 0.05,
                                      "start_date": "2026-03-01", "rows_per_file": 1_000_000}  # fmt: skip
    for e in manifest["entities"].values():
        for rel, counts in e["per_file"].items():
            assert f"wrote {out / rel}: {counts['rows_read']} rows" in printed
    assert "transactions: 1000 rows, 950 valid, 50 bad" in printed
    assert f"wrote {out / MANIFEST_NAME}" in printed
    assert f"next: energy-lake run --landing {out}" in printed


def test_cli_replaces_its_own_earlier_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["generate", "--transactions", "500", "--days", "3", "--out", str(tmp_path)]) == 0
    assert main(["generate", "--transactions", "500", "--days", "1", "--out", str(tmp_path)]) == 0
    manifest = json.loads((tmp_path / MANIFEST_NAME).read_text("utf-8"))
    listed = {rel for e in manifest["entities"].values() for rel in e["per_file"]}
    assert set(_files(tmp_path)) - {MANIFEST_NAME} == listed  # nothing left over from the 3-day run
    capsys.readouterr()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--bad-share", "1.5"], "--bad-share must be at least 0 and below 1, got 1.5"),
        (["--bad-share", "-0.1"], "--bad-share must be at least 0 and below 1"),
        (["--transactions", "0"], "--transactions must be at least 1, got 0"),
        (["--days", "0"], "--days must be between 1 and 3660, got 0"),
        (["--start-date", "05/01/2026"], "--start-date '05/01/2026' is not a date in the form YYYY-MM-DD"),
    ],
)
def test_cli_refuses_bad_arguments(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    assert main(["generate", "--out", str(tmp_path / "x"), *args]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_cli_refuses_a_folder_holding_other_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "transactions").mkdir()
    (tmp_path / "transactions" / "mine.csv").write_text("keep me", encoding="utf-8")
    assert main(["generate", "--transactions", "10", "--out", str(tmp_path)]) == 2
    assert "already holds files that generate did not write" in capsys.readouterr().err
    assert (tmp_path / "transactions" / "mine.csv").read_text("utf-8") == "keep me"
