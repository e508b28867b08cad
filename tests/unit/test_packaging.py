"""What pip installs is the source tree: every package under ``src/`` is in pyproject's ``packages``, and
every data file the code reads is covered by ``package-data`` (setuptools' glob patterns, relative to the
package folder). Derived from the tree, so a new subpackage or data file cannot be left out of a wheel."""

from __future__ import annotations

import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SRC = REPO / "src"  # the folder of the package energy_lake (pyproject: package-dir)
SETUPTOOLS = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))["tool"]["setuptools"]

# Files under src/ that are not package data, each with the reason (glob patterns relative to src/).
NOT_PACKAGE_DATA = {
    "contracts/generated/**/*": "written by `python -m energy_lake.etl.quality.dqdl` for Terraform (jsondecode) "
    "and compared by the tests, both from the repository; no module of the package reads them",
}


def _tree() -> set[str]:
    """Every file under src/ (posix paths relative to it), without caches and hidden files."""
    return {
        p.relative_to(SRC).as_posix()
        for p in SRC.rglob("*")
        if p.is_file() and not any(part == "__pycache__" or part.startswith(".") for part in p.relative_to(SRC).parts)
    }


def _globbed(patterns: list[str]) -> set[str]:
    return {p.relative_to(SRC).as_posix() for pattern in patterns for p in SRC.glob(pattern) if p.is_file()}


def test_every_package_under_src_is_in_pyproject_packages() -> None:
    found = {".".join(("energy_lake", *Path(f).parent.parts)) for f in _tree() if Path(f).name == "__init__.py"}
    assert set(SETUPTOOLS["packages"]) == found  # none missing, none stale
    assert SETUPTOOLS["package-dir"] == {"energy_lake": "src"}


def test_every_data_file_under_src_is_package_data() -> None:
    assert set(SETUPTOOLS["package-data"]) == {"energy_lake"}  # patterns relative to src/
    patterns = SETUPTOOLS["package-data"]["energy_lake"]
    data = {f for f in _tree() if not f.endswith(".py")}
    assert data, "no data files found under src/"
    assert sorted(data - _globbed(patterns) - _globbed(list(NOT_PACKAGE_DATA))) == []
    assert [p for p in patterns if not _globbed([p])] == []  # no pattern that matches nothing
    assert [p for p in NOT_PACKAGE_DATA if not _globbed([p])] == []
    assert not _globbed(patterns) & _globbed(list(NOT_PACKAGE_DATA))
