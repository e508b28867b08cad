"""The modules' variable validations and preconditions, proven by `terraform test` (issue 13, item 12).

Each module with rules a user can trip holds ``tests/validations.tftest.hcl``: a plan with valid inputs,
then one run per rule with the input that must be refused (``expect_failures``). The AWS provider is
mocked (``mock_provider``), so nothing reaches AWS or moto; the provider comes from the filesystem
mirror, as for the other Terraform tests.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.integration.terraform_harness import (
    MODULES,
    Terraform,
    Workspace,
    terraform_or_skip,
)

pytestmark = [pytest.mark.terraform, pytest.mark.timeout(600)]

TESTED = sorted(m for m in MODULES if (Workspace(Path(__file__).resolve().parents[2]).module(m) / "tests").is_dir())


@pytest.fixture(scope="module")
def terraform(tmp_path_factory: pytest.TempPathFactory) -> Terraform:
    return terraform_or_skip(tmp_path_factory.mktemp("terraform-home"))


def test_the_rule_bearing_modules_have_validation_tests() -> None:
    assert TESTED == ["glue_jobs", "lake_settings", "monitoring", "network"]


@pytest.mark.parametrize("module", TESTED)
def test_module_validations_refuse_what_they_must(terraform: Terraform, module: str, tmp_path: Path) -> None:
    directory = Workspace.copy(tmp_path).module(module)
    terraform.run(directory, "init", "-backend=false", "-input=false")
    done = terraform.run(directory, "test", check=False)
    runs = dict(re.findall(r"run \"([a-z0-9_]+)\"\.\.\. (pass|fail)", done.stdout))
    declared = re.findall(r'^run "([a-z0-9_]+)"', (directory / "tests" / "validations.tftest.hcl").read_text(), re.M)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert runs == dict.fromkeys(declared, "pass") and len(declared) >= 3
