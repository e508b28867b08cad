"""What several integration files share, built once per test session: the dev environment planned and applied
against moto, and the lake the sample feeds build (``sample_lake``, for tests that only read it).

``deployment`` costs a plan and an apply (about two minutes), so every file that needs the planned or
applied environment shares this one: ``test_policies_evaluated.py`` (the policies evaluated against the
calls the code makes) and ``test_terraform.py``, whose last test destroys it. pytest runs the files in
alphabetical order, so nothing may use the deployment in a file after ``test_terraform.py``. moto's
backends are shared by every moto server and ``mock_aws`` in the process, and leaving a ``mock_aws``
resets them: no file that runs between the two (``test_q*`` to ``test_s*``) may use ``mock_aws``.

Everything runs on a scratch copy (``terraform_harness.Workspace``); the repository is only read. What moto
cannot create is listed in ``NOT_APPLIED`` with the reason; those resources are still planned (the full
plan must contain them) and are covered by ``terraform validate`` and checkov.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.integration.terraform_harness import (
    Terraform,
    Workspace,
    free_port,
    moto_override,
    moto_server,
    resource_addresses,
    settings_override,
    terraform_or_skip,
)

REGION = "eu-west-1"
ACCOUNT = "123456789012"  # moto's account: the provider's allowed_account_ids check passes for real
ORG, ENV = "energylake", "dev"
# Terraform runs as this assumed role, as in CI; it is the one Lake Formation admin of the test apply.
DEPLOYER = f"arn:aws:iam::{ACCOUNT}:role/terraform-deployer"
# What a test deployment changes in an environment's settings: moto's account, the region, the deployer.
TEST_SETTINGS = {"account_id": ACCOUNT, "region": REGION, "lake_formation_admins": [DEPLOYER]}

# Resources moto 5.1.15 cannot create, left out of the apply (-target lists every other one).
NOT_APPLIED = {
    "module.lake.module.glue_jobs.aws_glue_security_configuration.this": (
        "moto has no CreateSecurityConfiguration; the jobs' security_configuration argument is set "
        "to null by a test-only override so they do not depend on it"
    ),
    "module.lake.module.lake_formation.aws_lakeformation_data_cells_filter.this": "moto has no CreateDataCellsFilter",
    "module.lake.module.lake_formation.aws_lakeformation_permissions.filter": "grants on the data cells filters above",
    **{
        f"module.lake.module.lake_formation.aws_lakeformation_permissions.{name}": (
            "moto's ListPermissions rejects an LFTagPolicy resource filter (it wants a catalog, database "
            "or table), so the provider cannot read a tag-policy grant back after creating it"
        )
        for name in ("databases", "tables")
    },
    "module.lake.module.glue_catalog.aws_glue_catalog_table_optimizer.this": (
        "moto 5.1.15 has no table optimizer API (CreateTableOptimizer); the planned optimizers are "
        "compared with lake.yaml's maintenance figures instead"
    ),
    "module.lake.module.data_zones.aws_s3_bucket_lifecycle_configuration.this": (
        "moto 5.1.15's GetBucketLifecycleConfiguration omits x-amz-transition-default-minimum-object-size, "
        "so the provider waits for a match until its timeout (getmoto/moto#9708, #9729)"
    ),
    "module.lake.module.data_zones.aws_s3_bucket_lifecycle_configuration.access_logs": "as above",
    "module.lake.module.glue_catalog.aws_glue_data_quality_ruleset.this": (
        "moto 5.1.15 has no Glue Data Quality API (CreateDataQualityRuleset); the planned rulesets are "
        "compared with the generated DQDL instead"
    ),
}
# Test-only overrides of module arguments, written into the scratch copy beside NOT_APPLIED.
MODULE_OVERRIDES = {
    "glue_jobs": 'resource "aws_glue_job" "this" {\n  security_configuration = null\n}\n',
}


@pytest.fixture(scope="session")
def terraform(tmp_path_factory: pytest.TempPathFactory) -> Terraform:
    return terraform_or_skip(tmp_path_factory.mktemp("terraform-home"))


@pytest.fixture(scope="session")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    return Workspace.copy(tmp_path_factory.mktemp("terraform-workspace"))


@dataclass
class Deployment:
    terraform: Terraform
    directory: Path
    endpoint: str
    session: Any
    plan: dict[str, Any]
    outputs: dict[str, Any]

    def client(self, service: str) -> Any:
        return self.session.client(service, endpoint_url=self.endpoint)

    def planned(self, address_prefix: str) -> dict[str, dict[str, Any]]:
        """Planned values of the resource instances whose address starts with ``address_prefix``."""
        return {
            c["address"]: c["change"]["after"]
            for c in self.plan["resource_changes"]
            if c["address"].startswith(address_prefix) and c["mode"] == "managed"
        }


@pytest.fixture(scope="session")
def deployment(terraform: Terraform, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    """The dev environment planned in full and applied (less NOT_APPLIED) against moto.

    In a scratch copy of its own: the override files written here must not reach ``workspace``, where
    ``terraform validate`` checks the configuration as committed, whichever test runs first."""
    workspace = Workspace.copy(tmp_path_factory.mktemp("terraform-deployment"))
    logging.getLogger("werkzeug").setLevel(logging.CRITICAL)  # moto logs every request
    server = moto_server(free_port())
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    try:
        # Terraform runs as an assumed role (DEPLOYER), as it would in CI.
        base = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION)
        role = base.client("iam", endpoint_url=endpoint).create_role(
            RoleName="terraform-deployer",
            AssumeRolePolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Principal": {"AWS": ACCOUNT}, "Action": "sts:AssumeRole"}],
                }
            ),
        )["Role"]
        creds = base.client("sts", endpoint_url=endpoint).assume_role(RoleArn=role["Arn"], RoleSessionName="ci")[
            "Credentials"
        ]
        terraform.env.update(
            AWS_ACCESS_KEY_ID=creds["AccessKeyId"],
            AWS_SECRET_ACCESS_KEY=creds["SecretAccessKey"],
            AWS_SESSION_TOKEN=creds["SessionToken"],
        )
        directory = workspace.environment(ENV)
        (directory / "moto_override.tf").write_text(moto_override(endpoint, REGION))
        for module, text in MODULE_OVERRIDES.items():
            (workspace.module(module) / "moto_override.tf").write_text(text)

        variables = settings_override(directory, **TEST_SETTINGS)
        terraform.run(directory, "init", "-input=false")
        terraform.run(directory, "plan", "-input=false", "-out=full.tfplan", *variables)
        plan = terraform.json(directory, "show", "full.tfplan")
        targets = [a for a in resource_addresses(plan) if a not in NOT_APPLIED]
        terraform.run(
            directory,
            "apply",
            "-input=false",
            "-auto-approve",
            "-parallelism=20",
            *variables,
            *[f"-target={a}" for a in targets],
            timeout=480,
        )
        # A targeted apply leaves out the outputs that depend on no resource; a refresh-only apply
        # records them all (and proves the state reads back cleanly).
        terraform.run(directory, "apply", "-input=false", "-auto-approve", "-refresh-only", *variables)
        outputs = terraform.json(directory, "output")["lake"]["value"]  # the environment's one output
        yield Deployment(terraform, directory, endpoint, base, plan, outputs)
    finally:
        server.stop()


@pytest.fixture(scope="session")
def prod_plan(deployment: Deployment) -> dict[str, Any]:
    """The prod environment planned (never applied) against the deployment's moto server, as its deployer."""
    directory = deployment.directory.parent / "prod"
    (directory / "moto_override.tf").write_text(moto_override(deployment.endpoint, REGION))
    deployment.terraform.run(directory, "init", "-input=false")
    deployment.terraform.run(
        directory, "plan", "-input=false", "-out=prod.tfplan", *settings_override(directory, **TEST_SETTINGS)
    )
    return deployment.terraform.json(directory, "show", "prod.tfplan")


# ---------------------------------------------------------------- the sample lake, once per session


@pytest.fixture(scope="session")
def sample_lake(spark: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``data/landing`` run through every hop once, for the tests that only read a lake (its run manifest
    beside it, ``manifest.json``). Read-only: a test that writes to a lake builds its own."""
    from energy_lake.cli.run import run_pipeline

    root = tmp_path_factory.mktemp("sample-lake")
    landing = Path(__file__).resolve().parents[2] / "data" / "landing"
    code = run_pipeline(
        lake_dir=str(root / "lake"),
        landing_dir=str(landing),
        through="analytics",
        reprocess=[],
        summary_json=str(root / "manifest.json"),
    )
    assert code == 0
    return root / "lake"
