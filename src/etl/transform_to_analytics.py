"""AWS Glue job: transform -> analytics. Thin: arguments and session here, the work in energy_lake.etl.

Runs unchanged on Glue 5.1 and locally on plain pyspark:
    python src/etl/transform_to_analytics.py --landing_uri data/landing --raw_uri lake/raw ... (see job_args.py)
"""

import sys

from energy_lake.etl.job_runner import run_hop

JOB = "transform_to_analytics"


def main(argv: list[str]) -> int:
    try:  # on Glue
        from awsglue.context import GlueContext
        from awsglue.job import Job
        from awsglue.utils import getResolvedOptions
        from pyspark.context import SparkContext
    except ImportError:  # plain pyspark
        from energy_lake.etl.job_args import parse_local
        from energy_lake.etl.session import local_session

        doc = run_hop(JOB, local_session(JOB), parse_local(argv, JOB))
        return 0 if doc["status"] == "succeeded" else 1
    import boto3

    from energy_lake.etl.job_args import resolve_glue

    args = resolve_glue(getResolvedOptions, argv, JOB)
    glue_context = GlueContext(SparkContext.getOrCreate())
    job = Job(glue_context)
    job.init(args["JOB_NAME"], args)
    doc = run_hop(JOB, glue_context.spark_session, args, boto3.Session())
    job.commit()
    return 0 if doc["status"] == "succeeded" else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
