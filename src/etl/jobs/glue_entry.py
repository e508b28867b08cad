"""The body of the three Glue entry scripts: arguments and a session (Glue's or local), then one hop.

The only module that imports ``awsglue``; it falls back to plain pyspark when that is absent, so the
same scripts run unchanged on Glue 5.1 and on this machine.
"""

from __future__ import annotations

from energy_lake.etl.jobs.runner import run_hop


def exit_code(doc: dict[str, object]) -> int:
    """0 unless the hop failed. A rejected file or a stopped promotion ends ``needs_attention`` with
    exit 0, so the workflow's next job runs with the good data, as ``energy-lake run`` goes on; the
    FilesRejected and PromotionsStopped alarms say it (docs/operations.md)."""
    return 1 if doc["status"] == "failed" else 0


def main(job: str, argv: list[str]) -> int:
    """Run ``job`` with the command line ``argv``; 0 when the hop succeeded."""
    try:  # on Glue
        from awsglue.context import GlueContext
        from awsglue.job import Job
        from awsglue.utils import getResolvedOptions
        from pyspark.context import SparkContext
    except ImportError:  # plain pyspark
        from energy_lake.etl.jobs.args import parse_local
        from energy_lake.etl.jobs.session import local_session

        doc = run_hop(job, local_session(job), parse_local(argv, job))
        return exit_code(doc)
    import boto3

    from energy_lake.etl.jobs.args import resolve_glue

    args = resolve_glue(getResolvedOptions, argv, job)
    glue_context = GlueContext(SparkContext.getOrCreate())
    glue_job = Job(glue_context)
    glue_job.init(args["JOB_NAME"], args)
    doc = run_hop(job, glue_context.spark_session, args, boto3.Session())
    glue_job.commit()
    return exit_code(doc)
