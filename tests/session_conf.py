"""The shared test SparkSession's settings, kept across a pipeline run inside it."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

# run_pipeline's local_session() re-applies the job's builder settings to the active session.
KEPT = ("spark.sql.shuffle.partitions", "spark.sql.adaptive.enabled")


@contextlib.contextmanager
def restored_conf(spark: Any) -> Iterator[None]:
    """Run the block, then give the suite's session its own settings back."""
    saved = {k: spark.conf.get(k) for k in KEPT}
    try:
        yield
    finally:
        for k, v in saved.items():
            spark.conf.set(k, v)
