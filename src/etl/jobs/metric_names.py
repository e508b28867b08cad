"""Names of the lake's custom CloudWatch metrics: defined once, read by the jobs and checked against Terraform.

Every metric goes to one namespace, ``NAMESPACE``, with the dimensions ``Environment`` (dev, prod),
``Job`` (a key of ``args.JOBS``) and ``Entity`` (providers, customers, transactions). The
monitoring module's alarms (infrastructure/terraform/modules/monitoring) watch:

- quarantine ratio: ``ROWS_QUARANTINED / ROWS_READ`` (Sum), ``Job=landing_to_raw``, per entity;
- freshness: ``LATEST_INGEST_AGE_HOURS`` (Maximum), ``Job=landing_to_raw``, per entity: hours between
  now and the newest ingest date the lake holds for the entity; no data counts as stale;
- rejected files: ``FILES_REJECTED`` (Sum), ``Job=landing_to_raw``, per entity: landing files the run
  could not read (the job still succeeds and the rest of the day goes on: docs/operations.md);
- stopped promotions: ``PROMOTIONS_STOPPED`` (Sum), per job: tables a failing data quality rule kept
  at their last good version in this run.

The dashboard also plots ``ROWS_VALID``, ``OUTPUT_ROWS``, ``DURATION_SECONDS`` and ``RULE_FAILURES``
per job. A test (tests/integration/test_infra_crosscheck.py) fails if Terraform names a metric,
namespace or dimension that is not here.
"""

from __future__ import annotations

NAMESPACE = "EnergyLake"

DIMENSION_ENVIRONMENT = "Environment"
DIMENSION_JOB = "Job"
DIMENSION_ENTITY = "Entity"

ROWS_READ = "RowsRead"
ROWS_VALID = "RowsValid"
ROWS_QUARANTINED = "RowsQuarantined"
OUTPUT_ROWS = "OutputRows"
DURATION_SECONDS = "DurationSeconds"
RULE_FAILURES = "RuleFailures"
LATEST_INGEST_AGE_HOURS = "LatestIngestAgeHours"
FILES_REJECTED = "FilesRejected"
PROMOTIONS_STOPPED = "PromotionsStopped"

DIMENSIONS = (DIMENSION_ENVIRONMENT, DIMENSION_JOB, DIMENSION_ENTITY)
METRICS = (
    ROWS_READ,
    ROWS_VALID,
    ROWS_QUARANTINED,
    OUTPUT_ROWS,
    DURATION_SECONDS,
    RULE_FAILURES,
    LATEST_INGEST_AGE_HOURS,
    FILES_REJECTED,
    PROMOTIONS_STOPPED,
)
