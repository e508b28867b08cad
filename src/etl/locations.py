"""Where each zone lives: local folders or S3 prefixes, given as job arguments, never literals."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from energy_lake.etl.storage import join


@dataclass(frozen=True)
class LakeLocations:
    landing: str
    raw: str
    transform: str
    analytics: str
    state: str  # the lake catalog (HEAD and table versions) and the run lock

    @staticmethod
    def local(lake_dir: str | Path, landing_dir: str | Path | None = None) -> LakeLocations:
        root = Path(lake_dir).resolve()
        landing = Path(landing_dir).resolve() if landing_dir else root / "landing"
        return LakeLocations(
            landing=str(landing),
            raw=str(root / "raw"),
            transform=str(root / "transform"),
            analytics=str(root / "analytics"),
            state=str(root / "_lake"),
        )

    def zone(self, zone: str) -> str:
        return str(getattr(self, zone))

    def table_location(self, table: str) -> str:
        """Location of ``<zone>.<table>``; the quarantine lives in the raw zone."""
        zone, name = table.split(".", 1)
        return join(self.zone(zone), name)
