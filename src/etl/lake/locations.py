"""Where each zone lives: local folders or S3 prefixes, given as job arguments, never literals."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from pathlib import Path

from energy_lake.etl.model.errors import LakeError

ZONES = ("raw", "transform", "analytics")


@dataclass(frozen=True)
class LakeLocations:
    landing: str
    raw: str
    transform: str
    analytics: str
    state: str  # the run lock, run manifests and logs
    # Catalog database (Iceberg namespace) of each zone: the Glue databases on AWS, the zone names locally.
    databases: dict[str, str] = field(default_factory=lambda: {z: z for z in ZONES})

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

    @property
    def warehouse(self) -> str:
        """The folder a local (hadoop) Iceberg catalog keeps its tables in: the zones' common parent.

        Such a catalog puts ``<zone>.<table>`` at ``<warehouse>/<zone>/<table>``, so the zones must be
        sibling folders named after their zone (on AWS the Glue catalog knows each table's location).
        """
        parents = {posixpath.dirname(self.zone(z).rstrip("/")) for z in ZONES}
        names = [posixpath.basename(self.zone(z).rstrip("/")) for z in ZONES]
        if len(parents) != 1 or names != list(ZONES):
            raise LakeError(
                "a local lake keeps its zones in one folder as raw/, transform/ and analytics/; got "
                + ", ".join(self.zone(z) for z in ZONES)
            )
        return parents.pop()

    def zone(self, zone: str) -> str:
        return str(getattr(self, zone))
