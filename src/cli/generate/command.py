"""``energy-lake generate``: the command (its arguments are declared in ``cli/main.py``) and its report."""

from __future__ import annotations

import argparse
import time
from datetime import datetime
from pathlib import Path

from energy_lake.cli.generate.feeds import FeedSpec, generate_feeds
from energy_lake.cli.generate.manifest import MANIFEST_NAME
from energy_lake.etl.model.errors import LakeError


def generate_command(args: argparse.Namespace) -> int:
    """``energy-lake generate``: write the feeds and say what was written."""
    try:
        start_date = datetime.strptime(args.start_date, "%Y-%m-%d").date()
    except ValueError:
        raise LakeError(f"--start-date {args.start_date!r} is not a date in the form YYYY-MM-DD") from None
    spec = FeedSpec(
        transactions=args.transactions, days=args.days, seed=args.seed, bad_share=args.bad_share, start_date=start_date
    )
    clock = time.perf_counter()
    doc = generate_feeds(args.out, spec)
    seconds = time.perf_counter() - clock
    out = Path(args.out)
    total_bytes = 0
    for entity, stats in doc["entities"].items():
        for rel, counts in stats["per_file"].items():
            size = (out / rel).stat().st_size
            total_bytes += size
            bad = f", {counts['rows_quarantined']} bad" if counts["rows_quarantined"] else ""
            print(f"wrote {out / rel}: {counts['rows_read']} rows{bad} ({size:,} bytes)")
        reasons = stats["quarantine_reasons"]
        shown = ", ".join(f"{k}={v}" for k, v in sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))[:4])
        more = f", ... ({len(reasons)} rule codes)" if len(reasons) > 4 else ""
        print(
            f"  {entity}: {stats['rows_read']} rows, {stats['rows_valid']} valid, "
            f"{stats['rows_quarantined']} bad{': ' + shown + more if reasons else ''}"
        )
    rate = doc["entities"]["transactions"]["rows_read"] / seconds if seconds > 0 else 0.0
    print(f"wrote {out / MANIFEST_NAME} (expected counts per file and rule)")
    print(
        f"{doc['files']} files, {total_bytes:,} bytes in {seconds:.1f}s ({rate:,.0f} transactions/s), seed {spec.seed}"
    )
    print(f"next: energy-lake run --landing {out}")
    return 0
