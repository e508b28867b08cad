"""Shared fixtures: one SparkSession for the whole test session, and a PII key for tokens."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PEER_SAMPLES = REPO.parent / "shared" / "peer-samples"
TEST_PII_KEY = "test-key-0123456789abcdef"

os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
os.environ.setdefault("PYARROW_IGNORE_TIMEZONE", "1")  # quiets pyspark.pandas, imported by pyspark.testing
os.environ["ENERGY_LAKE_PII_KEY"] = TEST_PII_KEY


@pytest.fixture(scope="session")
def spark() -> Iterator[object]:
    from pyspark.sql import SparkSession

    from energy_lake.etl.jobs.session import configure
    from energy_lake.etl.lake.iceberg import session_conf

    session = (
        SparkSession.builder.master("local[2]")
        .appName("energy-lake-tests")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.default.parallelism", "2")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.memory", "2g")
        .config(map=session_conf())
        .config("spark.sql.warehouse.dir", str(REPO / ".pytest_cache" / "spark-warehouse"))
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    configure(session)
    yield session
    session.stop()


@pytest.fixture(scope="session")
def pii_key() -> bytes:
    return TEST_PII_KEY.encode()


@pytest.fixture
def peer_samples() -> Path:
    if not PEER_SAMPLES.is_dir():
        pytest.skip(f"peer samples not found at {PEER_SAMPLES} (CI has ../shared beside the checkout)")
    return PEER_SAMPLES
