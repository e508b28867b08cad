"""The peer feeds in ../shared/peer-samples go through `ingest` + `run` with every row accounted for.

Expected counts come from the CSVs themselves (csv module, byte comparison), not from the pipeline.
Each source folder lands on its own ingest date, so files with the same name never clash.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import re
import unicodedata
from pathlib import Path
from typing import Any

import pytest

from energy_lake.cli.ingest import ingest_files
from energy_lake.cli.run import run_pipeline
from tests import lake_tables

pytestmark = pytest.mark.spark

# What each peer file really is (sesabri9812's cliente.csv is a copy of its transactions file).
ENTITY_OF = {
    "clientes.csv": "customers",
    "proveedores.csv": "providers",
    "transacciones.csv": "transactions",
    "cliente.csv": "transactions",
}
SESABRI_CLIENTE = "sesabri9812__PruebaTecnicaAmaris/cliente.csv"


def records(path: Path) -> list[list[str]]:
    """Data records of a peer CSV (header and blank lines excluded), read with the csv module."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = [r for r in csv.reader(handle) if any(cell.strip() for cell in r)]
    return rows[1:]


def key(text: str) -> str:
    plain = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)).lower()
    return re.sub(r"[^a-z0-9]+", "_", plain).strip("_")


def expected_files(peer_samples: Path) -> dict[str, dict[str, Any]]:
    """rel_path -> counts the manifest must show, from the files' bytes and records."""
    landed = []
    for day, folder in enumerate(sorted(p for p in peer_samples.iterdir() if p.is_dir()), start=1):
        for path in sorted(folder.glob("*.csv")):
            rel = f"{ENTITY_OF[path.name]}/ingest_date=2024-01-{day:02d}/{path.name}"
            landed.append((ENTITY_OF[path.name], f"2024-01-{day:02d}", rel, path))
    out, owners = {}, {}
    for entity, _day, rel, path in sorted(landed, key=lambda x: (x[0], x[1], x[2])):
        n = len(records(path))
        digest = (entity, hashlib.sha256(path.read_bytes()).hexdigest())
        duplicate = digest in owners
        owners.setdefault(digest, rel)
        out[rel] = {
            "entity": entity,
            "path": path,
            "duplicate": duplicate,
            "counts": {
                "rows_read": n,
                "rows_valid": 0 if duplicate else n,
                "rows_quarantined": n if duplicate else 0,
                "reasons": {"duplicate_file": n} if duplicate and n else {},
            },
        }
    return out


@pytest.fixture(scope="module")
def peer_run(spark, tmp_path_factory):
    from tests.conftest import PEER_SAMPLES

    if not PEER_SAMPLES.is_dir():
        pytest.skip(f"peer samples not found at {PEER_SAMPLES} (CI has ../shared beside the checkout)")
    root = tmp_path_factory.mktemp("peers")
    landing, lake, summary = root / "landing", root / "lake", root / "summary.json"
    out = io.StringIO()
    codes = []
    with contextlib.redirect_stdout(out):
        for day, folder in enumerate(sorted(p for p in PEER_SAMPLES.iterdir() if p.is_dir()), start=1):
            files = [str(p) for p in sorted(folder.glob("*.csv"))]
            codes.append(ingest_files(files, entity=None, ingest_date=f"2024-01-{day:02d}", landing=str(landing)))
    ingest_log = out.getvalue()
    saved = spark.conf.get("spark.sql.shuffle.partitions")
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            rc = run_pipeline(
                lake_dir=str(lake),
                landing_dir=str(landing),
                through="transform",
                reprocess=[],
                summary_json=str(summary),
            )
    finally:
        spark.conf.set("spark.sql.shuffle.partitions", saved)
    return {
        "ingest_codes": codes,
        "ingest_log": ingest_log,
        "rc": rc,
        "run_log": out.getvalue(),
        "manifest": json.loads(summary.read_text()),
        "landing": landing,
        "lake": lake,
    }


def test_every_peer_file_is_landed_as_what_it_is(peer_samples, peer_run):
    assert peer_run["ingest_codes"] == [0, 0, 0], peer_run["ingest_log"]
    expected = expected_files(peer_samples)
    landed = sorted(str(p.relative_to(peer_run["landing"])) for p in peer_run["landing"].rglob("*.csv"))
    assert landed == sorted(expected)
    cliente = peer_samples / SESABRI_CLIENTE
    assert f"landed {cliente} as transactions -> " in peer_run["ingest_log"]


def test_every_peer_row_is_accounted_for(peer_samples, peer_run):
    manifest = peer_run["manifest"]
    assert (peer_run["rc"], manifest["status"]) == (0, "succeeded"), peer_run["run_log"]
    expected = expected_files(peer_samples)
    for entity in ("providers", "customers", "transactions"):
        stats = manifest["entities"][entity]
        mine = {rel: e["counts"] for rel, e in expected.items() if e["entity"] == entity}
        assert stats["per_file"] == mine, entity
        assert stats["rejected_files"] == []
        assert stats["rows_read"] == sum(c["rows_read"] for c in mine.values())
        assert stats["rows_read"] == stats["rows_valid"] + stats["rows_quarantined"]
    # sesabri's cliente.csv and transacciones.csv are the same bytes: the second one is all duplicate_file
    dups = sorted(rel for rel, e in expected.items() if e["duplicate"])
    assert dups == ["transactions/ingest_date=2024-01-03/transacciones.csv"]
    assert (peer_samples / SESABRI_CLIENTE).read_bytes() == (
        peer_samples / "sesabri9812__PruebaTecnicaAmaris/transacciones.csv"
    ).read_bytes()


def test_every_valid_peer_row_reaches_transform(spark, peer_samples, peer_run):
    expected = expected_files(peer_samples)
    valid_trades = sum(e["counts"]["rows_valid"] for e in expected.values() if e["entity"] == "transactions")
    customer_keys = {
        (r[0].strip().upper(), re.sub(r"[^0-9A-Za-z]", "", r[1]).upper())
        for e in expected.values()
        if e["entity"] == "customers"
        for r in records(e["path"])
    }
    provider_keys = {key(r[0]) for e in expected.values() if e["entity"] == "providers" for r in records(e["path"])}
    snapshot = lake_tables.state(spark, peer_run["lake"])
    assert snapshot.table("transform.transactions").rows == valid_trades  # derived ids: no trade is merged
    assert snapshot.table("transform.customers").rows == len(customer_keys)
    assert snapshot.table("transform.providers").rows == len(provider_keys)
    assert (valid_trades, len(customer_keys), len(provider_keys)) == (18, 11, 12)


def test_transactions_file_ingested_as_customers_is_refused(peer_samples, tmp_path, capsys):
    cliente = peer_samples / SESABRI_CLIENTE
    rc = ingest_files([str(cliente)], entity="customers", ingest_date="2024-01-03", landing=str(tmp_path))
    out = capsys.readouterr().out
    header = ", ".join(next(csv.reader(cliente.open(encoding="utf-8"))))
    assert rc == 1
    assert out == (
        f"refused {cliente}: not a customers file: missing required column(s) id_type, id_number, customer_name, "
        f"city; the header looks like a transactions file (header: {header})\n"
    )
    assert list(tmp_path.iterdir()) == []
