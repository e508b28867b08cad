"""What the three hops share: :class:`RunContext` (the session, the lake, the run and its quality log), the data
quality :func:`gate` and :func:`flush_quality`, and the planning helpers that compare a table's recorded inputs
with its source (:func:`stale_partitions`, :func:`inputs_by_day`, :func:`ingest_days`).

Every table write is one Iceberg commit replacing whole partitions, and a hop records what it built
(``state``) only after its data is committed, so a hop that dies leaves every table readable and
the next run redoes exactly the missing work, overwriting the same partitions with the same rows.
The Glue entry scripts (through ``runner``) and the local runner both call the hops: ``build_raw``,
``build_transform``, ``build_analytics``, each importing this module and no other of the room.

Imports ``lake``, ``quality.results`` and ``utils.logging``, no other module of this room; touches the lake
through ``RunContext.tables`` (writes, the state tables) and ``analytics.quality_results`` (flush_quality).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date

from pyspark.sql import DataFrame, SparkSession

from energy_lake.etl.lake.locations import LakeLocations
from energy_lake.etl.lake.state import LakeState, Partition, Table
from energy_lake.etl.lake.storage import Storage
from energy_lake.etl.lake.tables import LakeTables, partition_id
from energy_lake.etl.quality.results import (
    FAIL,
    PASS,
    RESULTS_PARTITION,
    RESULTS_TABLE,
    WARN,
    QualityLog,
    RuleResult,
    results_frame,
)
from energy_lake.utils.logging import Logger


@dataclass
class RunContext:
    spark: SparkSession  # its catalog ``lake`` bound (session.lake_session)
    lake: LakeLocations
    storage: Storage
    run_id: str
    log: Logger
    pii_key: bytes = b""
    reprocess: frozenset[str] = frozenset()
    # Called after each hop's state is recorded to show the run is alive (extends the lake lock).
    heartbeat: Callable[[], None] | None = None
    # Called with (hop, entity or table) when a hop starts on it: the terminal's progress line (cli.progress).
    on_step: Callable[[str, str], None] | None = None
    # Data quality results of this run and the promotions they stopped (written by flush_quality).
    quality: QualityLog = field(default_factory=QualityLog)
    tables: LakeTables = field(init=False)
    state: LakeState = field(init=False)

    def __post_init__(self) -> None:
        self.tables = LakeTables(self.spark, self.lake.databases)
        self.state = LakeState(self.tables)

    def write(
        self, name: str, df: DataFrame, pids: list[str], inputs: dict[str, dict[str, str]]
    ) -> dict[str, Partition]:
        """Replace ``pids`` of table ``name`` by ``df`` (one commit); the partitions as the state records them."""
        rows = self.tables.overwrite(name, df, pids, self.run_id)
        return {pid: Partition(self.run_id, rows[pid], inputs.get(pid, {})) for pid in pids}

    def record_builds(self, built: list[Table], changed: dict[str, list[str]]) -> None:
        self.state.record_builds(built, changed, self.run_id)
        self.alive()

    def step(self, hop: str, name: str) -> None:
        if self.on_step is not None:
            self.on_step(hop, name)

    def alive(self) -> None:
        if self.heartbeat is not None:
            self.heartbeat()


# ---------------------------------------------------------------- data quality gates


def gate(ctx: RunContext, hop: str, entity: str, results: Sequence[RuleResult], target: str) -> bool:
    """Record ``results``; False (promotion stopped, said loudly) when a ``fail`` rule broke."""
    ctx.quality.results.extend(results)
    json_only = Logger(ctx.log.run_id, json_stream=ctx.log.json_stream)  # passes: log file, not terminal
    for r in results:
        fields = {"hop": hop, "entity": entity, "rule": r.rule.id, "severity": r.rule.severity}
        if r.outcome == PASS:
            json_only.info("rule passed", **fields, violations=r.violations, rows=r.rows)
        elif r.outcome == WARN:
            ctx.log.warning("rule broken", **fields, message=r.message)
    failed = [r for r in results if r.outcome == FAIL]
    if not failed:
        return True
    message = ctx.quality.stop(entity, hop, failed, target)
    ctx.log.error("promotion stopped", hop=hop, entity=entity, rules=[r.rule.id for r in failed], message=message)
    return False


def flush_quality(ctx: RunContext) -> int:
    """Write this run's quality results to analytics.quality_results (one partition per run)."""
    pending = ctx.quality.results[ctx.quality.committed :]
    if not pending:
        return 0
    if ctx.quality.committed:
        raise RuntimeError("a run writes its quality results once, after its hops")
    pid = partition_id({RESULTS_PARTITION: ctx.run_id})
    frame = results_frame(ctx.spark, pending, ctx.run_id)
    rows = ctx.tables.overwrite(RESULTS_TABLE, frame, [pid], ctx.run_id)
    ctx.quality.committed = len(ctx.quality.results)
    ctx.log.info("quality results committed", table=RESULTS_TABLE, rows=rows[pid])
    return len(pending)


# ---------------------------------------------------------------- planning from the recorded inputs


def stale_partitions(target: Table, wanted: dict[str, dict[str, str]], forced: set[str]) -> list[str]:
    """Partitions of ``target`` whose recorded inputs differ from ``wanted`` (or that ``--reprocess`` names)."""
    pids = set(wanted) | set(target.partitions)
    return sorted(
        pid
        for pid in pids
        if pid in forced or target.partitions.get(pid) is None or target.partitions[pid].inputs != wanted.get(pid, {})
    )


def inputs_by_day(source: Table, pids: set[str]) -> dict[str, dict[str, str]]:
    """Inputs of each daily partition built from ``source``: the same day of it, at its current version."""
    return {
        pid: ({f"{source.name}/{pid}": source.partitions[pid].run_id} if pid in source.partitions else {})
        for pid in pids
    }


def ingest_days(pids: list[str]) -> list[date]:
    return sorted(date.fromisoformat(pid.split("=", 1)[1]) for pid in pids)
