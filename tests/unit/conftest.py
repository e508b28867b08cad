"""Fixtures of the unit tests: ``store``, one Storage and a state folder, locally and on moto's S3."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from energy_lake.etl.lake.storage import LocalStorage, S3Storage, Storage

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


@pytest.fixture
def fake_aws_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials and region (eu-west-1) for moto; a developer's profile, endpoint or token never leaks in."""
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
