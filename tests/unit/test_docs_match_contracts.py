"""Docs generated from the contracts are up to date."""

from __future__ import annotations

from pathlib import Path

from energy_lake.scripts.docs.data_model import render

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_data_model_doc_is_generated_from_the_contracts() -> None:
    assert (DOCS / "data-model.md").read_text(encoding="utf-8") == render(), (
        "docs/data-model.md is stale: python -m energy_lake.scripts.docs.data_model > docs/data-model.md"
    )


def test_governance_doc_is_generated_from_personas_and_contracts() -> None:
    from energy_lake.scripts.docs.governance import render as render_governance

    assert (DOCS / "governance.md").read_text(encoding="utf-8") == render_governance(), (
        "docs/governance.md is stale: python -m energy_lake.scripts.docs.governance > docs/governance.md"
    )
