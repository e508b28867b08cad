"""``energy-lake``: the local data lake on one machine (also ``python -m energy_lake``)."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from energy_lake.etl.model.contracts import ENTITIES
from energy_lake.etl.model.errors import LakeError

DEFAULT_LAKE = os.environ.get("ENERGY_LAKE_DIR", "lake")

EPILOG = """\
a first session:
  energy-lake run --landing data/landing        build ./lake from the sample feeds
  energy-lake ingest my_trades.csv              land a file of yours (entity recognised from its header)
  energy-lake run                               process what is new in ./lake/landing
  energy-lake report                            charts of ./lake in ./lake/report.html
  energy-lake query --as-of '2026-01-05 12:00' --file src/sql/revenue_by_city.sql   as it was then
  energy-lake maintain                          compact and expire old snapshots (retention: lake.yaml)
  energy-lake generate --transactions 100000 --days 5 --out /tmp/feeds
"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="energy-lake",
        description="Energy trading data lake: landing -> raw -> transform -> analytics on local Spark.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    ingest = sub.add_parser("ingest", help="place source CSV files into the landing layout")
    ingest.add_argument("files", nargs="+", metavar="FILE", help="CSV files as the sources sent them")
    ingest.add_argument("--entity", choices=ENTITIES, help="force the entity (default: recognised from the header)")
    ingest.add_argument("--date", help="ingest date YYYY-MM-DD (default: today, UTC)")
    ingest.add_argument("--landing", help=f"landing folder (default: {DEFAULT_LAKE}/landing)")

    run = sub.add_parser("run", help="process new landing files through the zones")
    run.add_argument("--landing", help=f"landing folder (default: {DEFAULT_LAKE}/landing)")
    run.add_argument("--lake", default=DEFAULT_LAKE, help="lake folder (default: %(default)s, or $ENERGY_LAKE_DIR)")
    run.add_argument(
        "--through",
        choices=("raw", "transform", "analytics"),
        default="analytics",
        help="last zone to build (default: %(default)s)",
    )
    run.add_argument(
        "--reprocess",
        action="append",
        default=[],
        metavar="YYYY-MM-DD",
        help="rebuild this ingest date even if nothing changed (repeatable)",
    )
    run.add_argument("--summary-json", metavar="PATH", help="also write the run manifest to PATH")
    run.epilog = (
        "exit status: 0 every file processed (quarantined rows and data quality warnings are not failures); "
        "1 a file was rejected or the run failed; 3 a data quality rule of severity fail stopped a promotion"
    )

    query = sub.add_parser("query", help="run Athena SQL against the local lake (DuckDB)")
    query.add_argument("sql", nargs="?", help="the SQL text (or use --file)")
    query.add_argument("--file", help="a .sql file, e.g. src/sql/top_customers_by_spend.sql")
    query.add_argument("--as", dest="persona", help="apply a persona's Lake Formation grants (analyst, data_engineer)")
    query.add_argument("--format", choices=("table", "csv", "json"), default="table", help="output (default: table)")
    query.add_argument(
        "--as-of",
        metavar="TIMESTAMP|SNAPSHOT_ID",
        help="read every table as it was at this UTC time ('2026-12-06 10:00:00') or at this snapshot id, "
        "as FOR TIMESTAMP AS OF / FOR VERSION AS OF would (a table with its own clause in the SQL keeps it)",
    )
    query.add_argument("--lake", default=DEFAULT_LAKE, help="lake folder (default: %(default)s)")

    report = sub.add_parser("report", help="write a self-contained HTML report with charts of the lake")
    report.add_argument("--lake", default=DEFAULT_LAKE, help="lake folder (default: %(default)s)")
    report.add_argument("--out", metavar="FILE", help="HTML file to write (default: <lake>/report.html)")

    maintain = sub.add_parser(
        "maintain", help="compact, expire old snapshots and remove orphan files of every lake table"
    )
    maintain.add_argument("--lake", default=DEFAULT_LAKE, help="lake folder (default: %(default)s)")
    maintain.epilog = "retention from src/contracts/lake.yaml (maintenance); see docs/operations.md"

    gen = sub.add_parser("generate", help="write deterministic synthetic feeds in the landing layout")
    gen.add_argument("--transactions", type=int, default=10_000, help="trades in total (default: %(default)s)")
    gen.add_argument("--days", type=int, default=3, help="ingest dates (default: %(default)s)")
    gen.add_argument("--seed", type=int, default=42, help="random seed (default: %(default)s)")
    gen.add_argument(
        "--bad-share", type=float, default=0.01, help="share of deliberately bad rows (default: %(default)s)"
    )
    gen.add_argument("--start-date", default="2026-01-01", help="first ingest date (default: %(default)s)")
    gen.add_argument("--out", required=True, help="landing folder to write into")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "ingest":
            from energy_lake.cli.ingest import ingest_files

            return ingest_files(
                args.files,
                entity=args.entity,
                ingest_date=args.date,
                landing=args.landing or os.path.join(DEFAULT_LAKE, "landing"),
            )
        if args.command == "run":
            from energy_lake.cli.run import run_pipeline

            return run_pipeline(
                lake_dir=args.lake,
                landing_dir=args.landing,
                through=args.through,
                reprocess=args.reprocess,
                summary_json=args.summary_json,
            )
        if args.command == "query":
            from energy_lake.cli.query import query_command

            return query_command(
                args.sql, args.file, persona=args.persona, fmt=args.format, lake=args.lake, as_of=args.as_of
            )
        if args.command == "report":
            from energy_lake.cli.report import report_command

            return report_command(args.lake, args.out)
        if args.command == "maintain":
            from energy_lake.cli.maintain import maintain_command

            return maintain_command(args.lake)
        if args.command == "generate":
            from energy_lake.cli.generate.command import generate_command

            return generate_command(args)
    except LakeError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
