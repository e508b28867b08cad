"""The wheels deploy ships to Glue (requirements-glue.txt), as `make glue-build` downloads them once.

Tests that run the deploy end to end use these real wheels; a test never downloads (no network), so
without them it fails and says which make target fetches them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from energy_lake.scripts import deploy

REPO = Path(__file__).resolve().parents[1]
REQUIREMENTS = REPO / "requirements-glue.txt"
WHEELS = REPO / "build" / "glue" / "wheels"


def wheel_args() -> list[str]:
    """deploy_glue_jobs.py arguments that use the downloaded wheels (and fail the test if they are absent)."""

    def offline(*args: object, **kwargs: object) -> None:
        pytest.fail(f"the Glue wheels are not all in {WHEELS}: `make glue-build` downloads them (make test does)")

    deploy.fetch_wheels(REQUIREMENTS, WHEELS, run=offline)  # type: ignore[arg-type]
    return ["--requirements", str(REQUIREMENTS), "--wheel-dir", str(WHEELS)]
