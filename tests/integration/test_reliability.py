"""Reliability properties that need a whole run: one run at a time, and no personal data or secret in logs."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from energy_lake.cli.local_athena import LocalAthena
from energy_lake.cli.run import run_pipeline
from energy_lake.etl.lake.lock import LakeLock
from energy_lake.etl.lake.storage import LocalStorage
from tests.conftest import TEST_PII_KEY

REPO = Path(__file__).resolve().parents[2]
LANDING = REPO / "data" / "landing"


def test_a_second_run_is_refused_while_one_holds_the_lake(tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    with LakeLock(LocalStorage(), str(lake / "_lake"), "r-holding"):  # held by this (live) process
        result = subprocess.run(
            [sys.executable, "-m", "energy_lake", "run", "--landing", str(LANDING), "--lake", str(lake)],
            env={**os.environ, "SPARK_LOCAL_IP": "127.0.0.1"},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert sorted(p.name for p in lake.iterdir()) == ["_lake"]  # it touched no table
        assert sorted(p.name for p in (lake / "_lake").iterdir()) == ["LOCK.json"]  # nor the holder's lock
    assert result.returncode == 2
    assert "error: another run (r-holding) is using this lake" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.spark
def test_logs_manifests_and_reasons_carry_no_personal_data_or_secret(
    spark: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lake = tmp_path / "lake"
    assert (
        run_pipeline(
            lake_dir=str(lake),
            landing_dir=str(LANDING),
            through="analytics",
            reprocess=[],
            summary_json=str(tmp_path / "manifest.json"),
        )
        == 0
    )
    terminal = capsys.readouterr()
    engine = LocalAthena(str(lake), "data_engineer")
    personal = {
        value
        for sql in (
            "SELECT customer_name FROM raw.customers",
            "SELECT id_number FROM raw.customers",
            "SELECT counterparty_name FROM raw.transactions WHERE transaction_type = 'sell'",
        )
        for (value,) in engine.query(sql).rows
        if value and len(value.strip()) >= 4
    }
    assert len(personal) > 20
    reasons = "\n".join(r for (r,) in engine.query("SELECT reason FROM raw.quarantine").rows)
    texts = {
        "terminal": terminal.out + terminal.err,
        "json log": "".join(p.read_text(encoding="utf-8") for p in (lake / "_lake" / "logs").glob("*.jsonl")),
        "manifest": (tmp_path / "manifest.json").read_text(encoding="utf-8"),
        "quarantine reasons": reasons,
    }

    def leaked(text: str) -> list[str]:
        return sorted(v for v in personal if re.search(rf"(?<![\w.,-]){re.escape(v)}(?![\w.,-])", text))

    # Control: the original records kept in the quarantine do hold personal data, and are found.
    records = "\n".join(r for (r,) in engine.query("SELECT source_record FROM raw.quarantine").rows)
    assert len(leaked(records)) >= 3
    for where, text in texts.items():
        assert text, where
        assert leaked(text) == [], f"personal data in the {where}: {leaked(text)[:5]}"
        assert TEST_PII_KEY not in text, where
