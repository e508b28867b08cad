"""Start a Glue entry script the way Glue 5.1 does, in the Glue-environment test's interpreter.

    python launcher.py SCRIPT ARG...

Run by ``tests/integration/test_glue_environment.py`` with the Glue 5.1 environment's Python, never
imported by the project venv. Glue's own ``awsglue.utils.getResolvedOptions`` (awsglue-dev, path in
``AWSGLUE_DEV``) parses the arguments; ``GlueContext`` and ``Job`` need Glue's JVM classes, so they are
replaced by stand-ins that hand the script a plain SparkSession, as Glue hands it its own. Spark is
started as ``spark-submit`` would be (``PYSPARK_SUBMIT_ARGS``: master, the Iceberg jar that Glue's
``--datalake-formats iceberg`` provides); the catalog ``lake`` is left unbound, so the job binds a local
Hadoop catalog (the Glue Data Catalog binding is checked on the Terraform plan instead).
"""

from __future__ import annotations

import os
import runpy
import sys
import types
from typing import Any


class GlueContext:
    def __init__(self, spark_context: Any) -> None:
        from pyspark.sql import SparkSession

        self.spark_session = SparkSession(spark_context)


class Job:
    def __init__(self, glue_context: GlueContext) -> None:
        self.glue_context = glue_context

    def init(self, name: str, args: dict[str, str]) -> None:
        self.name = name

    def commit(self) -> None:
        pass


def main(argv: list[str]) -> None:
    sys.path.insert(0, os.environ["AWSGLUE_DEV"])
    import awsglue.utils  # noqa: F401  (the real parser, imported before the stand-ins replace its siblings)

    for name, attribute, value in (("awsglue.context", "GlueContext", GlueContext), ("awsglue.job", "Job", Job)):
        module = types.ModuleType(name)
        setattr(module, attribute, value)
        sys.modules[name] = module
    script = argv[1]
    sys.argv = [script, *argv[2:]]
    runpy.run_path(script, run_name="__main__")


if __name__ == "__main__":
    main(sys.argv)
