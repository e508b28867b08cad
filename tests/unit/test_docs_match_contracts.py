"""Docs generated from the contracts are up to date."""

from __future__ import annotations

from pathlib import Path

from energy_lake.scripts.data_model_doc import render

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_data_model_doc_is_generated_from_the_contracts() -> None:
    assert (DOCS / "data-model.md").read_text(encoding="utf-8") == render(), (
        "docs/data-model.md is stale: python -m energy_lake.scripts.data_model_doc > docs/data-model.md"
    )
