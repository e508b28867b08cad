"""Same feeds, two versions of the code, the same tables: the equivalence proof of a performance change.

``python bench/equivalence.py --base <rev>`` generates N trades (default 1,000,000, the bench's N/5) once,
runs ``energy-lake run`` on them with the code at ``<rev>`` (a git worktree) and with the working tree,
both with the same PII key, and compares every lake table of the two lakes in DuckDB, every column but the
run's own lineage, ``EXCEPT ALL`` both ways (a multiset difference, as Spark's ``exceptAll``). Prints one
line per table and exits 1 when any differs. Not part of ``make test`` (the sample feeds' version of this
check is ``tests/golden``); its figures go to docs/performance.md.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from energy_lake.cli.local_athena import iceberg_connection, table_folder  # noqa: E402
from energy_lake.etl.lake.tables import specs  # noqa: E402
from tests.lake_content import RUN_SPECIFIC  # noqa: E402

PII_KEY = "equivalence-key-0123456789"
# Differ between any two runs by design: when and by which run, the messages stating the feed's age.
VOLATILE = {"analytics.quality_results": ("message", "evaluated_at", "run_id")}
SKIPPED = ("raw.ingest_log", "analytics.build_log")  # run ids, times and storage versions of files


def _run(python: str, code_root: Path, landing: Path, lake: Path, log: Path) -> float:
    env = {**os.environ, "ENERGY_LAKE_PII_KEY": PII_KEY}
    if code_root != REPO:
        # The package is `energy_lake` mapped onto src/: a folder of that name on PYTHONPATH, pointing at the
        # other tree's src, is found before the venv's editable install (which points at this tree).
        shim = lake.parent / f"{lake.name}-import"
        shim.mkdir(parents=True, exist_ok=True)
        link = shim / "energy_lake"
        if not link.exists():
            link.symlink_to(code_root / "src")
        env["PYTHONPATH"] = str(shim)
    clock = time.perf_counter()
    with log.open("w", encoding="utf-8") as out:
        command = [python, "-m", "energy_lake.cli.main", "run", "--landing", str(landing), "--lake", str(lake)]
        code = subprocess.run(command, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=code_root, check=False)
    if code.returncode != 0:
        raise SystemExit(f"energy-lake run ({code_root}) exited {code.returncode}; see {log}")
    return time.perf_counter() - clock


def compare(lake_a: Path, lake_b: Path) -> dict[str, tuple[int, int, int, int]]:
    """Per table: rows in a, rows in b, rows of a not in b, rows of b not in a (multisets)."""
    con = iceberg_connection()
    out = {}
    for table in specs():
        if table in SKIPPED:
            continue
        sources = [f"iceberg_scan('{table_folder(lake, table)}')" for lake in (lake_a, lake_b)]
        names = [d[0] for d in con.execute(f"SELECT * FROM {sources[0]} LIMIT 0").description]  # nosec B608
        dropped = set(RUN_SPECIFIC) | set(VOLATILE.get(table, ()))
        cols = ", ".join(f'"{c}"' for c in names if c not in dropped)
        a, b = (f"SELECT {cols} FROM {s}" for s in sources)  # nosec B608
        counts = [
            con.execute(f"SELECT count(*) FROM ({q})").fetchone()[0]  # type: ignore[index]  # nosec B608
            for q in (a, b, f"{a} EXCEPT ALL {b}", f"{b} EXCEPT ALL {a}")
        ]
        out[table] = (counts[0], counts[1], counts[2], counts[3])
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", required=True, help="the git revision to compare the working tree with")
    parser.add_argument("--transactions", "-n", type=int, default=1_000_000)
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "energy-lake-equivalence")
    args = parser.parse_args(argv)
    python, work = sys.executable, args.workdir
    if work.exists():
        subprocess.run(["git", "worktree", "remove", "--force", str(work / "base")], cwd=REPO, check=False)
        shutil.rmtree(work)
    work.mkdir(parents=True)
    landing = work / "landing"
    generate = [python, "-m", "energy_lake.cli.main", "generate", "--transactions", str(args.transactions)]
    subprocess.run([*generate, "--days", "3", "--seed", "42", "--out", str(landing)], cwd=REPO, check=True)
    subprocess.run(["git", "worktree", "add", "--detach", str(work / "base"), args.base], cwd=REPO, check=True)
    try:
        seconds_base = _run(python, work / "base", landing, work / "lake-base", work / "base.log")
        seconds_head = _run(python, REPO, landing, work / "lake-head", work / "head.log")
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(work / "base")], cwd=REPO, check=False)
    print(f"{args.transactions:,} trades: base {args.base} {seconds_base:.1f} s, working tree {seconds_head:.1f} s")
    differing = 0
    for table, (a, b, only_a, only_b) in compare(work / "lake-base", work / "lake-head").items():
        same = a == b and only_a == 0 and only_b == 0
        differing += 0 if same else 1
        verdict = "same" if same else "DIFFERENT"
        print(f"{verdict:<9} {table:<36} {a:>10,} {b:>10,}  base-only {only_a:,} head-only {only_b:,}")
    return 1 if differing else 0


if __name__ == "__main__":
    raise SystemExit(main())
