"""After a commit, the Glue Data Catalog points at exactly the committed partition folders (moto Glue)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from energy_lake.etl.catalog import Partition, Table
from energy_lake.etl.glue_sync import GluePartitionSync

DB = "energy_dev_transform"
SD = {
    "Columns": [{"Name": "transaction_id", "Type": "string"}],
    "Location": "s3://lake-transform/transactions",
    "InputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
    "OutputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
    "SerdeInfo": {"SerializationLibrary": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"},
}


@pytest.fixture
def glue() -> Iterator[Any]:
    with mock_aws():
        client = boto3.session.Session(region_name="eu-west-1").client("glue")
        client.create_database(DatabaseInput={"Name": DB})
        client.create_table(
            DatabaseName=DB,
            TableInput={
                "Name": "transactions",
                "StorageDescriptor": SD,
                "PartitionKeys": [{"Name": "ingest_date", "Type": "date"}],
                "TableType": "EXTERNAL_TABLE",
            },
        )
        client.create_table(
            DatabaseName=DB,
            TableInput={
                "Name": "customers",
                "StorageDescriptor": {**SD, "Location": "s3://lake-transform/customers"},
                "TableType": "EXTERNAL_TABLE",
            },
        )
        yield client


def _locations(glue: Any) -> dict[str, str]:
    parts = glue.get_partitions(DatabaseName=DB, TableName="transactions")["Partitions"]
    return {p["Values"][0]: p["StorageDescriptor"]["Location"] for p in parts}


def _tx(**runs: tuple[str, int]) -> Table:
    parts = {
        f"ingest_date={day}": Partition(f"ingest_date={day}/run={run}", run, rows) for day, (run, rows) in runs.items()
    }
    return Table("transform.transactions", "s3://lake-transform/transactions", ("ingest_date",), 1, parts)


def test_partitions_are_created_repointed_and_dropped(glue: Any) -> None:
    sync = GluePartitionSync(glue, {"transform": DB})
    assert sync.sync(_tx(**{"2026-01-01": ("r1", 5), "2026-01-02": ("r1", 3)})) == {
        "created": 2,
        "updated": 0,
        "dropped": 0,
    }
    assert _locations(glue) == {
        "2026-01-01": "s3://lake-transform/transactions/ingest_date=2026-01-01/run=r1",
        "2026-01-02": "s3://lake-transform/transactions/ingest_date=2026-01-02/run=r1",
    }
    # r2 rebuilt the first day, emptied the second (0 rows) and added a third.
    assert sync.sync(_tx(**{"2026-01-01": ("r2", 6), "2026-01-02": ("r2", 0), "2026-01-03": ("r2", 1)})) == {
        "created": 1,
        "updated": 1,
        "dropped": 1,
    }
    assert _locations(glue) == {
        "2026-01-01": "s3://lake-transform/transactions/ingest_date=2026-01-01/run=r2",
        "2026-01-03": "s3://lake-transform/transactions/ingest_date=2026-01-03/run=r2",
    }
    partition = glue.get_partition(DatabaseName=DB, TableName="transactions", PartitionValues=["2026-01-01"])
    assert partition["Partition"]["StorageDescriptor"]["Columns"] == SD["Columns"]
    # A second sync of the same state is a no-op (what a re-run after a crash does).
    assert sync.sync(_tx(**{"2026-01-01": ("r2", 6), "2026-01-03": ("r2", 1)})) == {
        "created": 0,
        "updated": 0,
        "dropped": 0,
    }


def test_snapshot_tables_move_their_location(glue: Any) -> None:
    sync = GluePartitionSync(glue, {"transform": DB})
    customers = Table("transform.customers", "s3://lake-transform/customers", (), 1, {"": Partition("run=r7", "r7", 9)})
    assert sync.sync(customers) == {"updated": 1}
    table = glue.get_table(DatabaseName=DB, Name="customers")["Table"]
    assert table["StorageDescriptor"]["Location"] == "s3://lake-transform/customers/run=r7"
    assert sync.sync(customers) == {"updated": 0}


def test_zones_without_a_database_are_left_alone(glue: Any) -> None:
    sync = GluePartitionSync(glue, {"analytics": "other"})
    assert sync.sync(_tx(**{"2026-01-01": ("r1", 5)})) == {}
    assert _locations(glue) == {}


def test_a_lock_held_by_a_finished_glue_job_run_is_taken_over() -> None:
    """A retried Glue job finds the lock of its killed attempt: Glue says that run is over."""
    from energy_lake.etl.job_runner import glue_run_alive

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
