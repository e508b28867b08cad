"""The arguments of the three Glue jobs: one definition, read by the entry scripts, Terraform checks and docs.

On Glue the entry scripts resolve them with ``awsglue.utils.getResolvedOptions`` (``--name value``);
locally the same names are parsed with argparse, so one command line works in both places.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence

JOBS = ("landing_to_raw", "raw_to_transform", "transform_to_analytics")
ZONE_ARGUMENTS = ("landing_uri", "raw_uri", "transform_uri", "analytics_uri", "state_uri")
REQUIRED: dict[str, tuple[str, ...]] = {
    "landing_to_raw": ZONE_ARGUMENTS,
    "raw_to_transform": (*ZONE_ARGUMENTS, "pii_key_parameter"),
    "transform_to_analytics": ZONE_ARGUMENTS,
}
# Optional: reprocess_dates is a comma-separated list of YYYY-MM-DD; env names the deployment; the
# *_database names are the catalog databases (Iceberg namespaces) of the zones (set by Terraform on
# AWS; locally the zone names).
DATABASE_ARGUMENTS = ("raw_database", "transform_database", "analytics_database")
OPTIONAL = ("reprocess_dates", "env", *DATABASE_ARGUMENTS)
DESCRIPTIONS = {
    "landing_uri": "landing zone root (s3://bucket or a local folder)",
    "raw_uri": "raw zone root; the quarantine table lives under it",
    "transform_uri": "transform zone root",
    "analytics_uri": "analytics zone root",
    "state_uri": "run lock, run manifests and logs",
    "pii_key_parameter": "SSM SecureString parameter holding the PII token key (locally: 'env' or 'local')",
    "reprocess_dates": "comma-separated ingest dates to rebuild even if unchanged",
    "env": "deployment name (dev, prod, local)",
    "raw_database": "Glue database (Iceberg namespace) of the raw zone",
    "transform_database": "Glue database of the transform zone",
    "analytics_database": "Glue database of the analytics zone",
}

GetResolvedOptions = Callable[[Sequence[str], list[str]], dict[str, str]]


def resolve_glue(get_resolved_options: GetResolvedOptions, argv: Sequence[str], job: str) -> dict[str, str]:
    """Arguments through Glue's own parser; optional ones only when present (it rejects missing names)."""
    present = [name for name in OPTIONAL if f"--{name}" in argv]
    return dict(get_resolved_options(argv, ["JOB_NAME", *REQUIRED[job], *present]))


def parse_local(argv: Sequence[str], job: str) -> dict[str, str]:
    """The same arguments with argparse, for running an entry script on plain pyspark."""
    parser = argparse.ArgumentParser(prog=f"{job}.py", description=f"Glue job {job}, run locally.")
    for name in REQUIRED[job]:
        parser.add_argument(f"--{name}", required=True, help=DESCRIPTIONS[name])
    for name in OPTIONAL:
        parser.add_argument(f"--{name}", help=DESCRIPTIONS[name])
    parser.add_argument("--JOB_NAME", default=job)
    known, _ = parser.parse_known_args(list(argv[1:]))
    return {k: v for k, v in vars(known).items() if v is not None}
