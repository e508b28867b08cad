"""Fixtures of the unit tests: ``store``, one Storage and a state folder, locally and on moto's S3."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from energy_lake.etl.storage import LocalStorage, S3Storage, Storage

BUCKET = "energy-lake-test-state"


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Storage, str]]:
    if request.param == "local":
        yield LocalStorage(), str(tmp_path / "_lake")
        return
    with mock_aws():
        s3 = boto3.session.Session(region_name="us-east-1").client("s3")
        s3.create_bucket(Bucket=BUCKET)
        yield S3Storage(s3), f"s3://{BUCKET}/_lake"
