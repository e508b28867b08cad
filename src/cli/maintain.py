"""``energy-lake maintain``: compact, expire old snapshots and remove orphan files of every lake table.

Takes the lake lock, so it never runs beside a pipeline run. The retention comes from
``src/contracts/lake.yaml`` (``maintenance``); on AWS the Glue table optimizers do this work.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from energy_lake.etl.lake.locations import LakeLocations
from energy_lake.etl.lake.lock import LakeLock
from energy_lake.etl.lake.manifest import new_run_id
from energy_lake.etl.lake.storage import LocalStorage
from energy_lake.etl.model.errors import LakeError

COLUMNS = ("files_compacted", "files_written", "data_files_expired", "manifests_expired", "orphans_removed")


def maintain_command(lake_dir: str) -> int:
    lake = LakeLocations.local(lake_dir)
    if not Path(lake.raw).is_dir():
        raise LakeError(f"{Path(lake_dir).resolve()} holds no lake tables yet (run `energy-lake run` first)")
    from energy_lake.etl.jobs.session import lake_session, local_session
    from energy_lake.etl.lake.maintenance import maintain, retention
    from energy_lake.etl.lake.tables import LakeTables

    config = retention()
    print(
        f"maintaining {Path(lake_dir).resolve()}: snapshots kept {config.snapshot_retention_days} days "
        f"(at least {config.min_snapshots_to_keep}), "
        f"orphan files older than {config.orphan_file_retention_days} days removed"
    )
    with LakeLock(LocalStorage(), lake.state, new_run_id()):
        tables = LakeTables(lake_session(local_session("energy-lake-maintain"), lake))
        figures = maintain(tables, datetime.now(UTC).replace(tzinfo=None))
    print(f"{'table':<34}" + "".join(f"{c:>20}" for c in COLUMNS))
    for name, row in figures.items():
        print(f"{name:<34}" + "".join(f"{row[c]:>20}" for c in COLUMNS))
    return 0
