"""The rooms of the code import only downward: import-linter's layers contracts of pyproject.toml.

import-linter (grimp) reads the import graph through Python's import system, so it sees the package
`energy_lake` mapped onto `src/` as it is (ADR 0003). A module that imports a room above its own, or a
sibling room declared independent, breaks the contract and this test names the import chain.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_every_room_imports_only_the_rooms_below_it() -> None:
    done = subprocess.run(
        [str(Path(sys.executable).parent / "lint-imports")],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "Contracts: 2 kept, 0 broken." in done.stdout, done.stdout
