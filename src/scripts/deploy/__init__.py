"""Deploy the Glue code artifacts: the library archive, the zip of wheels and the three job entry scripts.

Terraform owns every AWS resource; this package owns only the code objects the Terraform jobs point
to. Everything it needs to know (bucket, keys, job and workflow names, KMS key) comes from the
Terraform environment's outputs (``terraform output -json``), never from literals here.

This module is the package's API: callers (``deploy_glue_jobs.py``, the smoke test, the tests) import
from ``energy_lake.scripts.deploy`` only. One module per step, each taking boto3 clients (no
module-level clients) and importing only the modules listed before it:

- :mod:`.base`: :class:`DeployError`, :class:`OutputsError`, :func:`explain` / :func:`aws` (AWS errors
  in one operator line), :data:`Runner`;
- :mod:`.outputs` (step 1): :func:`read_outputs_file` / :func:`terraform_outputs` -> :class:`Targets`;
- :mod:`.build` (step 2): :func:`build_library` zips ``energy_lake`` (package code, contracts, SQL; not
  ``cli``/``scripts``) with fixed timestamps and sorted entries, cached under ``build/`` by the source
  tree's hash; :func:`build_python_modules` zips the wheels of ``requirements-glue.txt`` (fetched once
  with pip);
- :mod:`.uploads` (steps 3, 4): :func:`plan_uploads` compares each object's sha256 with the one stored
  in its S3 metadata; :func:`upload` puts what changed (SSE-KMS when the outputs give a key), library
  first;
- :mod:`.verify` (step 5): :func:`check_jobs` verifies each Glue job runs the uploaded script with the
  uploaded library;
- :mod:`.workflow` (step 6): :func:`start_workflow` / :func:`follow_run` start the workflow and follow
  it to its end;
- :mod:`.orchestrate`: :func:`execute` strings them together for the operator script
  ``deploy_glue_jobs.py``.

Problems an operator can fix are raised as :class:`DeployError` with a message that says what to do.
"""

from __future__ import annotations

from energy_lake.scripts.deploy.base import (
    NO_CREDENTIALS,
    DeployError,
    OutputsError,
    Runner,
    aws,
    explain,
    is_access_denied,
)
from energy_lake.scripts.deploy.build import (
    ZIP_EPOCH,
    ArchiveBuild,
    build_library,
    build_python_modules,
    fetch_wheels,
    library_files,
    pinned_requirements,
)
from energy_lake.scripts.deploy.orchestrate import Options, execute
from energy_lake.scripts.deploy.outputs import (
    GlueJobTarget,
    Targets,
    output_values,
    parse_outputs,
    read_outputs_file,
    terraform_outputs,
)
from energy_lake.scripts.deploy.uploads import Artifact, PlannedObject, UploadResult, artifacts, plan_uploads, upload
from energy_lake.scripts.deploy.verify import JobCheck, check_job, check_jobs
from energy_lake.scripts.deploy.workflow import RunResult, follow_run, start_workflow

__all__ = [
    "NO_CREDENTIALS",
    "ZIP_EPOCH",
    "ArchiveBuild",
    "Artifact",
    "DeployError",
    "GlueJobTarget",
    "JobCheck",
    "Options",
    "OutputsError",
    "PlannedObject",
    "RunResult",
    "Runner",
    "Targets",
    "UploadResult",
    "artifacts",
    "aws",
    "build_library",
    "build_python_modules",
    "check_job",
    "check_jobs",
    "execute",
    "explain",
    "fetch_wheels",
    "follow_run",
    "is_access_denied",
    "library_files",
    "output_values",
    "parse_outputs",
    "pinned_requirements",
    "plan_uploads",
    "read_outputs_file",
    "start_workflow",
    "terraform_outputs",
    "upload",
]
