"""Running a hop as a Glue job: the liveness of a lock holder that is a Glue job run."""

from __future__ import annotations

import boto3
from moto import mock_aws


def test_a_lock_held_by_a_finished_glue_job_run_is_taken_over() -> None:
    """A retried Glue job finds the lock of its killed attempt: Glue says that run is over."""
    from energy_lake.etl.jobs.runner import glue_run_alive

    with mock_aws():
        client = boto3.session.Session(region_name="eu-west-1").client("glue")
        client.create_job(
            Name="energy-dev-landing_to_raw",
            Role="arn:aws:iam::123456789012:role/glue",
            Command={"Name": "glueetl", "ScriptLocation": "s3://artifacts/glue/scripts/x.py"},
        )
        run = client.start_job_run(JobName="energy-dev-landing_to_raw")["JobRunId"]  # moto: SUCCEEDED
        alive = glue_run_alive(client)
        assert alive({"glue_job_name": "energy-dev-landing_to_raw", "glue_job_run_id": run}) is False
        assert alive({"glue_job_name": "energy-dev-landing_to_raw", "glue_job_run_id": "jr_gone"}) is False
        assert alive({"run_id": "an operator's run", "host": "elsewhere", "pid": 1}) is True
