"""Terraform and the Python side agree: static checks on the HCL (python-hcl2), no terraform binary needed.

The values Terraform computes (table columns, job arguments, named queries, alarm metrics) are also
checked on the plan and the moto apply in test_terraform.py; these checks read the source itself.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from typing import Any

import hcl2
import pytest

from energy_lake.etl.jobs import metric_names
from energy_lake.etl.jobs.args import DATABASE_ARGUMENTS, JOBS, REQUIRED
from energy_lake.etl.model.contracts import ENTITIES
from tests.integration.terraform_harness import (
    COMPOSITION,
    ENVIRONMENTS,
    MODULES,
    READ_BY_ENVIRONMENTS,
    REPO,
    TERRAFORM_ROOT,
)

MODULES_DIR = TERRAFORM_ROOT / "modules"
ENVIRONMENTS_DIR = TERRAFORM_ROOT / "environments"


def load(path: Path) -> dict[str, Any]:
    with path.open() as handle:
        return dict(hcl2.load(handle))


def locals_of(path: Path) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for block in load(path).get("locals", []):
        merged.update(block)
    return merged


def variable_defaults(module: str) -> dict[str, Any]:
    out = {}
    for block in load(MODULES_DIR / module / "variables.tf")["variable"]:
        for name, spec in block.items():
            if "default" in spec:
                out[name] = spec["default"]
    return out


def test_every_module_has_the_five_files() -> None:
    for module in (*MODULES, COMPOSITION):
        names = {p.name for p in (MODULES_DIR / module).iterdir()}
        assert {"main.tf", "variables.tf", "outputs.tf", "versions.tf", "README.md"} <= names, module
    assert {p.name for p in MODULES_DIR.iterdir() if p.is_dir()} == {*MODULES, COMPOSITION}


def test_modules_never_configure_providers_or_reach_outside() -> None:
    """A module stands alone; the composition reaches only its sibling modules and the contract folders."""
    allowed = {f"../{m}" for m in MODULES} | {f"../../../../{folder}" for folder in READ_BY_ENVIRONMENTS}
    for module in (*MODULES, COMPOSITION):
        for tf in (MODULES_DIR / module).glob("*.tf"):
            text = tf.read_text()
            assert not re.search(r'^provider\s+"', text, flags=re.M), tf
            assert "backend" not in load(tf).get("terraform", [{}])[0], tf
            reached = set(re.findall(r'"(?:\$\{path\.module\}/)?((?:\.\./)+[a-z_/]+)', text))
            if module == COMPOSITION:
                assert reached <= allowed, f"{tf} reaches {sorted(reached - allowed)}"
            else:
                assert "../" not in text, f"{tf} reaches outside its module by relative path"


def test_variables_are_typed_and_described() -> None:
    for module in (*MODULES, COMPOSITION):
        for block in load(MODULES_DIR / module / "variables.tf")["variable"]:
            for name, spec in block.items():
                assert spec.get("description"), f"{module}.{name} has no description"
                assert "type" in spec and "any" not in str(spec["type"]), f"{module}.{name} must have a concrete type"
        for block in load(MODULES_DIR / module / "outputs.tf")["output"]:
            for name, spec in block.items():
                # The composition's outputs are the environments' contract with the deploy script and
                # operators (artifacts_bucket, glue_jobs, ...): named for what they are, not prefixed.
                if module != COMPOSITION:
                    assert name.startswith(f"{module}_"), f"output {name} of {module} must start with the module noun"
                assert spec.get("description"), f"{module}.{name} has no description"


def test_an_environment_is_a_call_of_the_composition_with_its_settings() -> None:
    """Issue 16: environments hold the call, their settings, backend and providers; nothing else to drift."""
    for env in ENVIRONMENTS:
        folder = ENVIRONMENTS_DIR / env
        assert {p.name for p in folder.iterdir() if p.is_file()} >= {"main.tf", "terraform.tfvars", "backend.tf"}
        (call,) = load(folder / "main.tf")["module"]
        assert call == {"lake": {"source": "../../modules/lake", "settings": "${var.settings}"}}, env
        assert load(folder / "terraform.tfvars")["settings"]["environment"] == env
    dev, prod = (load(ENVIRONMENTS_DIR / env / "terraform.tfvars")["settings"] for env in ENVIRONMENTS)
    assert dev["force_destroy"] is True and prod["force_destroy"] is False
    assert dev["deletion_protection"] is False and prod["deletion_protection"] is True
    assert prod["kms_deletion_window_days"] == 30
    workers = {
        env: sum(j["number_of_workers"] for j in t["glue_job_capacity"].values())
        for env, t in (("dev", dev), ("prod", prod))
    }
    assert workers["prod"] > workers["dev"]


def test_backend_is_s3_with_lock_file_and_partial() -> None:
    for env in ENVIRONMENTS:
        (backend,) = load(ENVIRONMENTS_DIR / env / "backend.tf")["terraform"][0]["backend"]
        settings = backend["s3"]
        assert settings["use_lockfile"] is True
        assert not {"bucket", "key", "region"} & set(settings), "bucket/key/region come from -backend-config"


def test_job_keys_scripts_and_library() -> None:
    defaults = variable_defaults("glue_jobs")
    for env in ENVIRONMENTS:
        assert set(load(ENVIRONMENTS_DIR / env / "terraform.tfvars")["settings"]["glue_job_capacity"]) == set(JOBS)
    # The script of job J is <script_prefix>J.py in the artifacts bucket; the repo file is src/etl/J.py.
    assert defaults["script_prefix"] == "glue/scripts/"
    assert "${var.script_prefix}${job}.py" in str(locals_of(MODULES_DIR / "glue_jobs" / "main.tf")["script_keys"])
    for job in JOBS:
        assert (REPO / "src" / "etl" / f"{job}.py").is_file(), f"no script for job {job}"
    assert defaults["library_key"] == "glue/lib/energy_lake.zip"
    assert defaults["glue_version"] == "5.1"


def test_every_required_job_argument_is_set_by_terraform() -> None:
    local = locals_of(MODULES_DIR / "glue_jobs" / "main.tf")
    common = set(re.findall(r"[\"']--([A-Za-z_-]+)[\"']", str(local["common_arguments"])))
    per_job = set(re.findall(r"[\"']--([A-Za-z_-]+)[\"']", str(local["default_arguments"])))
    access = local["access"]
    assert set(access) == set(JOBS)
    for job in JOBS:
        for name in REQUIRED[job]:
            if name in common:
                continue
            assert name == "pii_key_parameter" and name in per_job and access[job]["pii_key"], (
                f"--{name} is not set for {job}"
            )
        assert access[job]["pii_key"] == ("pii_key_parameter" in REQUIRED[job])
    # --<zone>_database for every catalogued zone, the names jobs.args expects.
    assert "--${zone}_database" in str(local["common_arguments"])
    assert {f"{zone}_database" for zone in ("raw", "transform", "analytics")} == set(DATABASE_ARGUMENTS)
    for flag in ("job-language", "env", "extra-py-files", "additional-python-modules", "enable-metrics"):
        assert flag in common


def test_alarm_metric_names_are_the_python_constants() -> None:
    local = locals_of(MODULES_DIR / "monitoring" / "main.tf")
    assert set(local["metric"].values()) == set(metric_names.METRICS)
    assert set(local["dimension"].values()) == set(metric_names.DIMENSIONS)
    assert variable_defaults("monitoring")["metrics_namespace"] == metric_names.NAMESPACE
    assert variable_defaults("glue_jobs")["metrics_namespace"] == metric_names.NAMESPACE
    # No metric name written anywhere else in the module: alarms and dashboard go through local.metric.
    text = (MODULES_DIR / "monitoring" / "main.tf").read_text()
    for name in metric_names.METRICS:
        assert text.count(f'"{name}"') == 1, name


def test_terraform_binds_the_catalog_the_job_code_names() -> None:
    from energy_lake.etl.lake.iceberg import CATALOG, TABLE_PROPERTIES

    assert variable_defaults("glue_jobs")["iceberg_catalog"] == CATALOG
    assert variable_defaults("glue_catalog")["iceberg_format_version"] == TABLE_PROPERTIES["format-version"]
    conf = str(locals_of(MODULES_DIR / "glue_jobs" / "main.tf")["iceberg_conf"])
    # On AWS the Glue Data Catalog; a hadoop catalog is for a local folder only.
    assert "org.apache.iceberg.aws.glue.GlueCatalog" in conf and "org.apache.iceberg.aws.s3.S3FileIO" in conf
    assert ".type=hadoop" not in conf


def test_environment_reads_the_contract_folders() -> None:
    local = locals_of(MODULES_DIR / "lake" / "main.tf")
    base = MODULES_DIR / "lake"
    for key, folder in (("contracts_dir", "src/contracts"), ("sql_dir", "src/sql")):
        path = str(local[key]).replace("${path.module}", str(base))
        assert Path(path).resolve() == (REPO / folder).resolve()
    # Entities: every contract YAML but the shared conventions, as the Python side lists them.
    conventions = {"lake", "marts", "personas"}
    found = {p.stem for p in (REPO / "src" / "contracts").glob("*.yaml")} - conventions
    assert found == set(ENTITIES)


def test_every_sql_file_can_become_a_named_query() -> None:
    pattern = None
    for block in load(MODULES_DIR / "athena" / "variables.tf")["variable"]:
        if "queries" in block:
            pattern = re.search(r'regex\("(.+?)", k\)', str(block["queries"]["validation"][0]["condition"]))
    assert pattern
    regex = pattern.group(1).replace("\\\\", "\\")
    for sql in (REPO / "src" / "sql").glob("*.sql"):
        assert re.fullmatch(regex, sql.stem), sql
        assert 0 < len(sql.read_text()) <= 262144, sql


def test_module_readme_tables_are_current() -> None:
    spec = importlib.util.spec_from_file_location("readme_tables", TERRAFORM_ROOT / "readme_tables.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for name in MODULES:
        readme = MODULES_DIR / name / "README.md"
        assert module.render(readme.read_text(), MODULES_DIR / name) == readme.read_text(), (
            f"{readme} is stale: run .venv/bin/python infrastructure/terraform/readme_tables.py"
        )


@pytest.mark.parametrize("doc", ["docs/infrastructure.md", "docs/security.md"])
def test_docs_exist(doc: str) -> None:
    assert (REPO / doc).read_text().strip()


def test_every_checkov_skip_has_a_reason_and_is_listed() -> None:
    security = (REPO / "docs" / "security.md").read_text()
    skips = []
    for tf in TERRAFORM_ROOT.rglob("*.tf"):
        for line in tf.read_text().splitlines():
            match = re.search(r"#checkov:skip=([A-Z0-9_]+):(.*)", line)
            if match:
                skips.append((tf, match.group(1), match.group(2).strip()))
    assert skips
    for tf, check, reason in skips:
        assert len(reason) > 20, f"{tf}: skip {check} needs a reason"
        assert check in security, f"{check} ({tf}) is not listed in docs/security.md"


def _policy_documents(module: str) -> dict[str, Any]:
    blocks = load(MODULES_DIR / module / "main.tf").get("data", [])
    return {name: doc for block in blocks for name, doc in block.get("aws_iam_policy_document", {}).items()}


def _service_trusts(module: str) -> dict[str, list[dict[str, Any]]]:
    """The trust policies (sts:AssumeRole by a service principal) of a module, by document name."""
    trusts: dict[str, list[dict[str, Any]]] = {}
    for name, doc in _policy_documents(module).items():
        for statement in doc.get("statement", []):
            services = [p for p in statement.get("principals", []) if p.get("type") == "Service"]
            if services and "sts:AssumeRole" in statement.get("actions", []):
                trusts.setdefault(name, []).append(statement)
    return trusts


def test_roles_glue_and_lake_formation_assume_carry_no_source_conditions() -> None:
    """Issue 13, defect 11. AWS documents the trust policies of the roles Glue and Lake Formation assume
    without aws:SourceAccount/aws:SourceArn (https://docs.aws.amazon.com/glue/latest/dg/create-an-iam-role.html,
    https://docs.aws.amazon.com/lake-formation/latest/dg/registration-role.html) and nowhere that these
    services send those keys on AssumeRole: a condition they do not satisfy stops every job."""
    trusts = {f"{m}.{n}": s for m in MODULES for n, s in _service_trusts(m).items()}
    assert {"glue_jobs.assume", "glue_catalog.optimizer_assume", "lake_formation.data_access_assume"} <= set(trusts)
    conditioned = {
        name: [c["variable"] for s in statements for c in s.get("condition", [])]
        for name, statements in trusts.items()
        if any(c["variable"].startswith("aws:Source") for s in statements for c in s.get("condition", []))
    }
    assert conditioned == {}


def test_the_lake_formation_location_role_trusts_glue_and_lake_formation() -> None:
    """ "The role must have trust relationships with glue.amazonaws.com and lakeformation.amazonaws.com"
    (https://docs.aws.amazon.com/lake-formation/latest/dg/registration-role.html)."""
    (statement,) = _service_trusts("lake_formation")["data_access_assume"]
    (principal,) = statement["principals"]
    assert sorted(principal["identifiers"]) == ["glue.amazonaws.com", "lakeformation.amazonaws.com"]
