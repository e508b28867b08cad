"""deploy_glue_jobs: archive, uploads, job checks, dry run, errors and workflow runs, on in-process moto.

What moto 5.1.15 cannot show is tested with botocore's Stubber, whose canned answers are checked
against the real Glue service model: a workflow run that ends (moto's runs stay RUNNING forever and
carry no graph of job runs) and Glue's real ``AccessDeniedException`` shape.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws, settings
from moto.core.responses import ActionAuthenticatorMixin

from energy_lake.etl.jobs.args import JOBS
from energy_lake.etl.model.contracts import ENTITIES
from energy_lake.scripts import deploy
from energy_lake.scripts import deploy_glue_jobs as cli

REGION = "eu-west-1"
ENV = "dev"
SRC = Path(cli.PACKAGE_ROOT)
BUCKET = "acme-dev-eu-west-1-123456789012-artifacts"
LIBRARY_KEY = "glue/lib/energy_lake.zip"
MODULES_KEY = "glue/lib/python-modules.gluewheels.zip"


def job_name(key: str) -> str:
    return f"energy-lake-{ENV}-{key.replace('_', '-')}"


def outputs_doc(bucket: str = BUCKET, kms_key_arn: str | None = None, env: str = ENV) -> dict[str, Any]:
    """What `terraform output -json` prints for an environment (the contract of the Terraform outputs)."""
    values: dict[str, Any] = {
        "artifacts_bucket": bucket,
        "glue_jobs": {k: {"name": job_name(k), "script_key": f"glue/scripts/{k}.py"} for k in JOBS},
        "library_key": LIBRARY_KEY,
        "python_modules_key": MODULES_KEY,
        "workflow_name": f"energy-lake-{env}-pipeline",
        "zone_buckets": {z: f"acme-{env}-{z}" for z in ("landing", "raw", "transform", "analytics")},
        "glue_databases": {z: f"acme_{env}_{z}" for z in ("raw", "transform", "analytics")},
        "state_uri": f"s3://acme-{env}-raw/_lake",
        "athena_workgroups": {"analyst": f"energy-lake-{env}-analyst"},
        "kms_key_arn": kms_key_arn,
        "environment": env,
        "region": REGION,
    }
    return {"lake": {"value": values, "type": "object", "sensitive": False}}


def create_infrastructure(session: Any, doc: dict[str, Any]) -> None:
    """The resources as Terraform creates them: versioned bucket, jobs pointing at the keys, workflow."""
    values = doc["lake"]["value"]
    s3 = session.client("s3")
    s3.create_bucket(Bucket=values["artifacts_bucket"], CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_bucket_versioning(Bucket=values["artifacts_bucket"], VersioningConfiguration={"Status": "Enabled"})
    glue = session.client("glue")
    library_uri = f"s3://{values['artifacts_bucket']}/{values['library_key']}"
    for job in values["glue_jobs"].values():
        glue.create_job(
            Name=job["name"],
            Role="arn:aws:iam::123456789012:role/energy-lake-glue",
            Command={
                "Name": "glueetl",
                "ScriptLocation": f"s3://{values['artifacts_bucket']}/{job['script_key']}",
                "PythonVersion": "3",
            },
            DefaultArguments={
                "--extra-py-files": library_uri,
                "--additional-python-modules": f"s3://{values['artifacts_bucket']}/{values['python_modules_key']}",
                "--job-language": "python",
            },
            GlueVersion="5.1",
        )
    glue.create_workflow(Name=values["workflow_name"])


@pytest.fixture(autouse=True)
def aws_environment(fake_aws_environment: None) -> None:
    """Every test here: moto's fake credentials, never a developer's profile (tests/unit/conftest.py)."""


@pytest.fixture
def session() -> Iterator[Any]:
    with mock_aws():
        yield boto3.Session(region_name=REGION)


@pytest.fixture
def kms_key_arn(session: Any) -> str:
    return str(session.client("kms").create_key(Description="lake key")["KeyMetadata"]["Arn"])


@pytest.fixture
def outputs(session: Any, kms_key_arn: str) -> dict[str, Any]:
    doc = outputs_doc(kms_key_arn=kms_key_arn)
    create_infrastructure(session, doc)
    return doc


@pytest.fixture
def targets(outputs: dict[str, Any]) -> deploy.Targets:
    return deploy.parse_outputs(outputs, "test outputs")


@pytest.fixture
def package_root(tmp_path: Path) -> Path:
    """A copy of the package tree, so a test can change a file."""
    root = tmp_path / "src"
    shutil.copytree(SRC, root, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return root


WHEEL_PINS = ("toolz==1.2.0", "PyYAML==6.0.2")


@pytest.fixture
def wheels(tmp_path: Path) -> tuple[Path, Path]:
    """A requirements-glue.txt and its wheels already downloaded (stand-in bytes: deploy only zips them)."""
    requirements = tmp_path / "requirements-glue.txt"
    requirements.write_text("# the closure\n" + "\n".join(WHEEL_PINS) + "\n", encoding="utf-8")
    wheel_dir = tmp_path / "wheels"
    wheel_dir.mkdir()
    (wheel_dir / "toolz-1.2.0-py3-none-any.whl").write_bytes(b"toolz wheel")
    (wheel_dir / "PyYAML-6.0.2-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl").write_bytes(b"yaml")
    return requirements, wheel_dir


@pytest.fixture
def options(package_root: Path, tmp_path: Path, wheels: tuple[Path, Path]) -> deploy.Options:
    requirements, wheel_dir = wheels
    return deploy.Options(
        package_root=package_root,
        build_dir=tmp_path / "build",
        requirements=requirements,
        wheel_dir=wheel_dir,
        metadata={"source-commit": "t"},
    )


def run_deploy(session: Any, targets: deploy.Targets, options: deploy.Options) -> tuple[int, str]:
    out = io.StringIO()
    code = deploy.execute(targets, session.client("s3"), session.client("glue"), options, out)
    return code, out.getvalue()


def bucket_state(session: Any, bucket: str = BUCKET) -> list[tuple[str, str, str]]:
    """Every object version in the bucket: (key, version id, sha256 metadata)."""
    s3 = session.client("s3")
    versions = s3.list_object_versions(Bucket=bucket).get("Versions", [])
    return sorted(
        (
            v["Key"],
            v["VersionId"],
            s3.head_object(Bucket=bucket, Key=v["Key"], VersionId=v["VersionId"])["Metadata"].get("sha256", ""),
        )
        for v in versions
    )


# ------------------------------------------------------------------------------------------------
# The library archive


def test_archive_holds_the_job_library_and_its_data_but_not_cli_scripts_or_caches(package_root: Path) -> None:
    for folder in (package_root / "etl", package_root / "etl" / "jobs"):
        (folder / "__pycache__").mkdir(exist_ok=True)
        (folder / "__pycache__" / "x.cpython-311.pyc").write_bytes(b"cache")
        (folder / ".hidden.py").write_text("x = 1\n")
    names = [name for name, _ in deploy.library_files(package_root)]

    assert names == sorted(names)
    assert "energy_lake/__init__.py" in names
    assert "energy_lake/etl/jobs/runner.py" in names and "energy_lake/etl/landing_to_raw.py" in names
    rooms = sorted(p.parent.name for p in (package_root / "etl").glob("*/__init__.py"))  # etl's subpackages
    assert len(rooms) == 7 and {f"energy_lake/etl/{room}/__init__.py" for room in rooms} <= set(names)
    assert "energy_lake/utils/logging.py" in names
    assert {f"energy_lake/contracts/{e}.yaml" for e in ENTITIES} <= set(names)
    expected_sql = {f"energy_lake/sql/{p.name}" for p in (package_root / "sql").glob("*.sql")}
    assert expected_sql <= set(names)
    top = {name.split("/")[1] for name in names}
    assert top <= {"__init__.py", "etl", "utils", "contracts", "sql"}
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc") or "/." in n or "cli/" in n]


def test_archive_bytes_are_deterministic(package_root: Path, tmp_path: Path) -> None:
    first = deploy.build_library(package_root, tmp_path / "a")
    for path in package_root.rglob("*"):  # new mtimes, as after a fresh checkout
        os.utime(path, (1_700_000_000, 1_700_000_000))
    second = deploy.build_library(package_root, tmp_path / "b")

    assert not first.cached and not second.cached
    assert first.path.read_bytes() == second.path.read_bytes()
    assert first.sha256 == second.sha256 == hashlib.sha256(first.path.read_bytes()).hexdigest()
    with zipfile.ZipFile(first.path) as archive:
        infos = archive.infolist()
    assert [i.filename for i in infos] == sorted(i.filename for i in infos)
    assert {i.date_time for i in infos} == {deploy.ZIP_EPOCH}


def test_archive_is_built_once_per_version_and_cached_under_build(package_root: Path, tmp_path: Path) -> None:
    build = tmp_path / "build"
    first = deploy.build_library(package_root, build)
    again = deploy.build_library(package_root, build)
    assert again.cached and again.path == first.path and again.sha256 == first.sha256

    (package_root / "contracts" / "customers.yaml").write_text(
        (package_root / "contracts" / "customers.yaml").read_text() + "# changed\n"
    )
    changed = deploy.build_library(package_root, build)
    assert not changed.cached and changed.sha256 != first.sha256
    assert sorted(p.name for p in build.iterdir()) == sorted([first.path.name, changed.path.name])


def test_archive_imports_and_reads_contracts_from_the_zip_as_glue_does(tmp_path: Path) -> None:
    library = deploy.build_library(SRC, tmp_path / "build")
    probe = (
        "import energy_lake, energy_lake.etl.jobs.runner, energy_lake.utils.logging\n"
        "from energy_lake.etl.model.contracts import load_contract\n"
        "print(energy_lake.__file__)\n"
        "print(load_contract('transactions').entity)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(library.path)}
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, check=False)
    assert done.returncode == 0, done.stderr
    loaded_from, entity = done.stdout.split()
    assert loaded_from.startswith(str(library.path)), loaded_from  # imported from the zip, not src/
    assert entity == "transactions"


# ------------------------------------------------------------------------------------------------
# Uploads


def test_deploy_uploads_library_and_scripts_with_hash_metadata_and_kms(
    session: Any, targets: deploy.Targets, options: deploy.Options, kms_key_arn: str, package_root: Path
) -> None:
    code, out = run_deploy(session, targets, options)

    assert code == 0, out
    assert "5 uploaded, 0 unchanged, 0 failed; 3/3 jobs check out" in out
    assert out.rstrip().endswith("deploy succeeded")
    s3 = session.client("s3")
    expected = {
        LIBRARY_KEY: None,
        MODULES_KEY: None,
        **{f"glue/scripts/{k}.py": package_root / "etl" / f"{k}.py" for k in JOBS},
    }
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET)["Contents"])
    assert keys == sorted(expected)
    for key, local in expected.items():
        obj = s3.get_object(Bucket=BUCKET, Key=key)
        body = obj["Body"].read()
        assert obj["Metadata"]["sha256"] == hashlib.sha256(body).hexdigest()
        assert obj["Metadata"]["source-commit"] == "t"
        assert obj["ServerSideEncryption"] == "aws:kms" and obj["SSEKMSKeyId"] == kms_key_arn
        if local is not None:
            assert body == local.read_bytes()
    library = s3.get_object(Bucket=BUCKET, Key=LIBRARY_KEY)["Body"].read()
    assert library == deploy.build_library(package_root, options.build_dir).path.read_bytes()
    assert zipfile.ZipFile(io.BytesIO(library)).testzip() is None
    modules = zipfile.ZipFile(io.BytesIO(s3.get_object(Bucket=BUCKET, Key=MODULES_KEY)["Body"].read()))
    assert {i.filename: modules.read(i) for i in modules.infolist()} == {
        "PyYAML-6.0.2-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl": b"yaml",
        "toolz-1.2.0-py3-none-any.whl": b"toolz wheel",
    }


def test_without_a_kms_key_in_the_outputs_uploads_use_the_bucket_default(session: Any, options: deploy.Options) -> None:
    doc = outputs_doc(kms_key_arn=None)
    create_infrastructure(session, doc)
    code, out = run_deploy(session, deploy.parse_outputs(doc, "t"), options)
    assert code == 0, out
    head = session.client("s3").head_object(Bucket=BUCKET, Key=LIBRARY_KEY)
    assert head.get("ServerSideEncryption") != "aws:kms"


def test_second_deploy_of_unchanged_code_uploads_nothing(
    session: Any, targets: deploy.Targets, options: deploy.Options
) -> None:
    run_deploy(session, targets, options)
    before = bucket_state(session)

    code, out = run_deploy(session, targets, options)

    assert code == 0, out
    assert "0 uploaded, 5 unchanged, 0 failed" in out
    assert "cached build" in out
    assert bucket_state(session) == before  # no new object version at all


def test_a_changed_library_module_uploads_only_the_library(
    session: Any, targets: deploy.Targets, options: deploy.Options, package_root: Path
) -> None:
    run_deploy(session, targets, options)
    before = {(k, v) for k, v, _ in bucket_state(session)}
    values = package_root / "etl" / "transforms" / "values.py"
    values.write_text(values.read_text() + "\n# a change\n")

    code, out = run_deploy(session, targets, options)

    assert code == 0, out
    assert "1 uploaded, 4 unchanged, 0 failed" in out
    assert [k for k, v, _ in bucket_state(session) if (k, v) not in before] == [LIBRARY_KEY]


def test_a_changed_entry_script_uploads_that_script_and_the_library_only(
    session: Any, targets: deploy.Targets, options: deploy.Options, package_root: Path
) -> None:
    run_deploy(session, targets, options)
    before = {(k, v) for k, v, _ in bucket_state(session)}
    script = package_root / "etl" / "raw_to_transform.py"
    script.write_text(script.read_text() + "\n# a change\n")

    code, out = run_deploy(session, targets, options)

    assert code == 0, out
    assert "2 uploaded, 3 unchanged, 0 failed" in out
    new = sorted(k for k, v, _ in bucket_state(session) if (k, v) not in before)
    assert new == sorted([LIBRARY_KEY, "glue/scripts/raw_to_transform.py"])  # the library ships etl/ too
    stored = session.client("s3").get_object(Bucket=BUCKET, Key="glue/scripts/raw_to_transform.py")
    assert stored["Body"].read() == script.read_bytes()


def test_an_object_changed_behind_the_deploys_back_is_uploaded_again(
    session: Any, targets: deploy.Targets, options: deploy.Options
) -> None:
    run_deploy(session, targets, options)
    key = "glue/scripts/landing_to_raw.py"
    session.client("s3").put_object(Bucket=BUCKET, Key=key, Body=b"print('hand edit')\n")  # no hash metadata

    code, out = run_deploy(session, targets, options)

    assert code == 0, out
    assert "1 uploaded, 4 unchanged" in out and "uploaded       landing_to_raw" in out


# ------------------------------------------------------------------------------------------------
# Job checks


def replace_job(session: Any, name: str, script: str, default_arguments: dict[str, str]) -> None:
    glue = session.client("glue")  # moto has no update_job: delete and re-create, as a console edit would
    glue.delete_job(JobName=name)
    glue.create_job(
        Name=name,
        Role="arn:aws:iam::123456789012:role/x",
        Command={"Name": "glueetl", "ScriptLocation": script},
        DefaultArguments={"--additional-python-modules": f"s3://{BUCKET}/{MODULES_KEY}", **default_arguments},
    )


def test_job_check_passes_when_every_job_runs_the_uploaded_keys(session: Any, targets: deploy.Targets) -> None:
    checks = deploy.check_jobs(session.client("glue"), targets)
    assert [(c.job.key, c.ok, c.differences) for c in checks] == [(k, True, ()) for k in JOBS]


def test_job_check_says_exactly_what_differs(session: Any, targets: deploy.Targets, options: deploy.Options) -> None:
    old_style = {"--env": "dev", "--additional-python-modules": "cuallee==0.15.4"}  # from PyPI at every start
    replace_job(session, job_name("raw_to_transform"), "s3://old-bucket/scripts/raw.py", old_style)
    replace_job(
        session,
        job_name("transform_to_analytics"),
        f"s3://{BUCKET}/glue/scripts/transform_to_analytics.py",
        {"--extra-py-files": "s3://old-bucket/lib.zip,s3://old-bucket/other.zip"},
    )

    checks = {c.job.key: c for c in deploy.check_jobs(session.client("glue"), targets)}

    assert checks["landing_to_raw"].ok
    assert checks["raw_to_transform"].differences == (
        f"Command.ScriptLocation is 's3://old-bucket/scripts/raw.py', "
        f"expected 's3://{BUCKET}/glue/scripts/raw_to_transform.py'",
        f"DefaultArguments['--extra-py-files'] is not set, expected it to include 's3://{BUCKET}/{LIBRARY_KEY}'",
        f"DefaultArguments['--additional-python-modules'] is 'cuallee==0.15.4', expected 's3://{BUCKET}/{MODULES_KEY}'",
    )
    assert checks["transform_to_analytics"].differences == (
        "DefaultArguments['--extra-py-files'] is 's3://old-bucket/lib.zip,s3://old-bucket/other.zip', "
        f"expected it to include 's3://{BUCKET}/{LIBRARY_KEY}'",
    )
    code, out = run_deploy(session, targets, options)
    assert code == 1
    assert f"DIFFERS  raw_to_transform: Glue job '{job_name('raw_to_transform')}' Command.ScriptLocation is" in out
    assert "1/3 jobs check out" in out and "deploy FAILED" in out and "deploy succeeded" not in out


def test_library_among_several_extra_py_files_is_accepted(session: Any, targets: deploy.Targets) -> None:
    replace_job(
        session,
        job_name("landing_to_raw"),
        f"s3://{BUCKET}/glue/scripts/landing_to_raw.py",
        {"--extra-py-files": f"s3://x/a.zip, s3://{BUCKET}/{LIBRARY_KEY}"},
    )
    assert deploy.check_job(session.client("glue"), targets, targets.jobs[0]).ok


def test_missing_job_is_reported_and_fails_the_deploy(
    session: Any, targets: deploy.Targets, options: deploy.Options
) -> None:
    session.client("glue").delete_job(JobName=job_name("landing_to_raw"))

    code, out = run_deploy(session, targets, options)

    assert code == 1
    assert (
        f"MISSING  landing_to_raw: Glue job '{job_name('landing_to_raw')}' does not exist in {REGION}; "
        "run `terraform apply` for this environment" in out
    )
    assert "2/3 jobs check out" in out and "deploy FAILED" in out


# ------------------------------------------------------------------------------------------------
# Dry run


def test_dry_run_prints_the_plan_and_changes_nothing(
    session: Any, targets: deploy.Targets, options: deploy.Options, package_root: Path
) -> None:
    empty = bucket_state(session)
    dry = dataclasses.replace(options, dry_run=True, start=True)

    code, out = run_deploy(session, targets, dry)

    assert code == 0, out
    assert bucket_state(session) == empty == []
    assert f"  upload     library                s3://{BUCKET}/{LIBRARY_KEY}" in out
    for key in JOBS:
        assert f"s3://{BUCKET}/glue/scripts/{key}.py" in out
    assert "dry run: would upload 5, 0 unchanged; 3/3 jobs check out; nothing was changed" in out
    assert f"would start Glue workflow {targets.workflow_name}" in out
    assert session.client("glue").get_workflow_runs(Name=targets.workflow_name)["Runs"] == []


def test_dry_run_after_a_deploy_shows_what_is_unchanged_and_what_would_change(
    session: Any, targets: deploy.Targets, options: deploy.Options, package_root: Path
) -> None:
    run_deploy(session, targets, options)
    before = bucket_state(session)
    (package_root / "contracts" / "providers.yaml").write_text("# changed\n", encoding="utf-8")
    dry = dataclasses.replace(options, dry_run=True)

    code, out = run_deploy(session, targets, dry)

    assert code == 0, out
    assert bucket_state(session) == before
    assert "  upload     library" in out and "  unchanged  landing_to_raw" in out
    assert "would upload 1, 4 unchanged" in out


# ------------------------------------------------------------------------------------------------
# Errors: clear message, non-zero exit, never a traceback, nothing half-uploaded reported as success


def write_outputs(tmp_path: Path, doc: object) -> Path:
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(doc))
    return path


def run_cli(args: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(args, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_cli_deploys_from_a_saved_outputs_file(
    session: Any, outputs: dict[str, Any], tmp_path: Path, wheels: tuple[Path, Path]
) -> None:
    path = write_outputs(tmp_path, outputs)
    requirements, wheel_dir = wheels
    args = ["--env", ENV, "--outputs-json", str(path), "--build-dir", str(tmp_path / "b")]
    args += ["--requirements", str(requirements), "--wheel-dir", str(wheel_dir)]

    code, out, err = run_cli(args)
    assert (code, err) == (0, ""), out
    assert f"deploying environment dev to region {REGION}" in out
    assert "identity: arn:aws:sts::123456789012:user/moto" in out
    assert "5 uploaded" in out
    assert run_cli(args)[0] == 0
    meta = session.client("s3").head_object(Bucket=BUCKET, Key=LIBRARY_KEY)["Metadata"]
    assert meta["package-version"] and meta["source-commit"]


def test_no_credentials(session: Any, outputs: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # mock_aws is active, so nothing could leave the machine even if a request were sent
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))

    code, out, err = run_cli(["--env", ENV, "--outputs-json", str(write_outputs(tmp_path, outputs))])

    assert code == 1
    assert err == f"error: {deploy.NO_CREDENTIALS}\n"
    assert "Traceback" not in out + err and "uploaded" not in out


def test_unknown_profile(tmp_path: Path) -> None:
    path = write_outputs(tmp_path, outputs_doc())
    code, _, err = run_cli(["--env", ENV, "--outputs-json", str(path), "--profile", "nope"])
    assert code == 1 and "nope" in err and err.startswith("error: ")


def test_missing_bucket(session: Any, tmp_path: Path) -> None:
    doc = outputs_doc(bucket="acme-dev-not-created")
    code, out, err = run_cli(["--env", ENV, "--outputs-json", str(write_outputs(tmp_path, doc))])
    assert code == 1
    assert err.startswith("error: artifacts bucket 'acme-dev-not-created' does not exist")
    assert "uploaded" not in out


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ("not json", "is not JSON"),
        ([], "expected the JSON object `terraform output -json` prints"),
        ({}, "no outputs at all"),
        ({"artifacts_bucket": {"value": "b"}}, "no output 'lake' with a 'value' (found artifacts_bucket)"),
        ({"lake": "b"}, "no output 'lake' with a 'value'"),
        ({"lake": {"value": ["b"]}}, "output 'lake' must be an object of the composition's outputs"),
        (
            {"lake": {"value": {"artifacts_bucket": "b"}}},
            "missing output(s) glue_jobs, library_key, python_modules_key, workflow_name",
        ),
    ],
)
def test_bad_outputs_file(tmp_path: Path, doc: object, message: str) -> None:
    path = tmp_path / "outputs.json"
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc))
    code, out, err = run_cli(["--env", ENV, "--outputs-json", str(path)])
    assert code == 2 and message in err and "Traceback" not in err, err
    assert out == ""


def test_outputs_missing_a_job_or_for_another_environment(tmp_path: Path) -> None:
    doc = outputs_doc()
    del doc["lake"]["value"]["glue_jobs"]["raw_to_transform"]
    doc["lake"]["value"]["glue_jobs"]["extra_job"] = {"name": "x", "script_key": "y"}
    code, _, err = run_cli(["--env", ENV, "--outputs-json", str(write_outputs(tmp_path, doc))])
    assert code == 2
    assert "must have the keys landing_to_raw, raw_to_transform, transform_to_analytics " in err
    assert "(missing raw_to_transform; unknown extra_job)" in err

    code, _, err = run_cli(["--env", "prod", "--outputs-json", str(write_outputs(tmp_path, outputs_doc()))])
    assert code == 2 and "is for environment 'dev', but --env prod was given" in err

    code, _, err = run_cli(["--env", ENV, "--outputs-json", str(tmp_path / "absent.json")])
    assert code == 2 and "cannot read outputs file" in err


def test_terraform_output_is_read_in_the_tf_dir(tmp_path: Path) -> None:
    calls: list[dict[str, Any]] = []

    def fake(cmd: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        calls.append({"cmd": cmd, **kwargs})
        return subprocess.CompletedProcess(cmd, 0, json.dumps(outputs_doc()), "")

    targets = deploy.terraform_outputs(tmp_path, run=fake)
    assert calls[0]["cmd"] == ["terraform", "output", "-json"] and calls[0]["cwd"] == tmp_path
    assert targets.artifacts_bucket == BUCKET and targets.source == f"terraform output -json in {tmp_path}"

    def failing(cmd: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        return subprocess.CompletedProcess(cmd, 1, "", "Error: Backend initialization required\n run init")

    with pytest.raises(deploy.OutputsError, match=r"failed in .*: Error: Backend initialization required run init"):
        deploy.terraform_outputs(tmp_path, run=failing)

    def absent(cmd: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        raise FileNotFoundError("terraform")

    with pytest.raises(deploy.OutputsError, match="terraform is not on PATH"):
        deploy.terraform_outputs(tmp_path, run=absent)
    with pytest.raises(deploy.OutputsError, match="no Terraform environment at"):
        deploy.terraform_outputs(tmp_path / "nope", run=fake)


# Access denied through moto's own IAM enforcement (in-process: the switch moto's
# set_initial_no_auth_action_count flips), with a deployer user whose policy is limited.


def deployer_session(session: Any, statements: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch) -> Any:
    iam = session.client("iam")
    iam.create_user(UserName="deployer")
    policy = {"Version": "2012-10-17", "Statement": statements}
    iam.put_user_policy(UserName="deployer", PolicyName="deploy", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName="deployer")["AccessKey"]
    monkeypatch.setattr(settings, "INITIAL_NO_AUTH_ACTION_COUNT", 0)  # from now on moto checks IAM
    monkeypatch.setattr(ActionAuthenticatorMixin, "request_count", 0)
    return boto3.Session(
        aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"], region_name=REGION
    )


READ_ONLY = {
    "Effect": "Allow",
    # moto names HeadBucket's action s3:HeadBucket; AWS checks s3:ListBucket for it
    "Action": ["s3:ListBucket", "s3:HeadBucket", "s3:GetObject", "glue:GetJob", "sts:GetCallerIdentity"],
    "Resource": "*",
}


def test_access_denied_on_upload_reports_every_object_and_fails(
    session: Any, targets: deploy.Targets, options: deploy.Options, monkeypatch: pytest.MonkeyPatch
) -> None:
    deployer = deployer_session(session, [READ_ONLY], monkeypatch)

    code, out = run_deploy(deployer, targets, options)

    assert code == 1
    assert f"FAILED         library                s3://{BUCKET}/{LIBRARY_KEY}: access denied while uploading" in out
    assert out.count("NOT ATTEMPTED") == 4 and "the library upload failed" in out
    assert "0 uploaded, 0 unchanged, 5 failed" in out and "deploy FAILED" in out
    assert "deploy succeeded" not in out and "  uploaded " not in out
    monkeypatch.setattr(settings, "INITIAL_NO_AUTH_ACTION_COUNT", float("inf"))
    assert "Contents" not in session.client("s3").list_objects_v2(Bucket=BUCKET)


def test_one_denied_script_fails_the_deploy_while_the_others_are_reported_uploaded(
    session: Any, targets: deploy.Targets, options: deploy.Options, monkeypatch: pytest.MonkeyPatch
) -> None:
    put = {
        "Effect": "Allow",
        "Action": ["s3:PutObject"],
        "Resource": [
            f"arn:aws:s3:::{BUCKET}/glue/lib/*",
            f"arn:aws:s3:::{BUCKET}/glue/scripts/landing_to_raw.py",
            f"arn:aws:s3:::{BUCKET}/glue/scripts/transform_to_analytics.py",
        ],
    }
    deployer = deployer_session(session, [READ_ONLY, put], monkeypatch)

    code, out = run_deploy(deployer, targets, options)

    assert code == 1
    assert "4 uploaded, 0 unchanged, 1 failed" in out
    assert f"FAILED         raw_to_transform       s3://{BUCKET}/glue/scripts/raw_to_transform.py: access denied" in out
    assert "deploy FAILED" in out
    # a re-run with the permission fixed uploads only what is missing
    monkeypatch.setattr(settings, "INITIAL_NO_AUTH_ACTION_COUNT", float("inf"))
    code, out = run_deploy(session, targets, options)
    assert code == 0 and "1 uploaded, 4 unchanged" in out


def test_access_denied_reading_the_bucket_stops_before_any_upload(
    session: Any, outputs: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    deployer = deployer_session(
        session, [{"Effect": "Allow", "Action": "sts:GetCallerIdentity", "Resource": "*"}], monkeypatch
    )
    creds = deployer.get_credentials()
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", creds.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", creds.secret_key)

    code, out, err = run_cli(["--env", ENV, "--outputs-json", str(write_outputs(tmp_path, outputs))])

    assert code == 1
    assert err.startswith(f"error: access denied while checking the artifacts bucket '{BUCKET}'")
    assert "uploads:" not in out


def test_glue_access_denied_in_the_shape_aws_sends_it(targets: deploy.Targets) -> None:
    # moto answers a denied Glue call with code "403" and an XML message (also handled); AWS sends this:
    glue = boto3.client("glue", region_name=REGION)
    with Stubber(glue) as stub:
        stub.add_client_error(
            "get_job",
            service_error_code="AccessDeniedException",
            service_message="User: arn:aws:iam::1:user/d is not authorized to perform: glue:GetJob",
            http_status_code=400,
        )
        with pytest.raises(deploy.DeployError) as caught:
            deploy.check_job(glue, targets, targets.jobs[0])
    assert str(caught.value) == (
        f"access denied while reading Glue job '{job_name('landing_to_raw')}': User: arn:aws:iam::1:user/d is not "
        "authorized to perform: glue:GetJob; the deploying identity needs that permission"
    )


# ------------------------------------------------------------------------------------------------
# --start: the workflow run


def test_start_with_moto_starts_the_workflow_and_stops_following_at_the_timeout(
    session: Any, targets: deploy.Targets, options: deploy.Options
) -> None:
    start = dataclasses.replace(options, start=True, timeout=0.0, poll_interval=0.01)

    code, out = run_deploy(session, targets, start)

    runs = session.client("glue").get_workflow_runs(Name=targets.workflow_name)["Runs"]
    assert len(runs) == 1 and runs[0]["Status"] == "RUNNING"  # moto never moves a run on
    run_id = runs[0]["WorkflowRunId"]
    assert code == 1
    assert f"started Glue workflow {targets.workflow_name}: run {run_id}" in out
    assert "workflow RUNNING" in out
    assert (
        f"still RUNNING after 0 s; the run goes on in AWS: aws glue get-workflow-run --name {targets.workflow_name}"
        in out
    )
    assert "run manifests (one per job run, by lake run_id): s3://acme-dev-raw/_lake/runs/<run_id>.json" in out
    assert f"workflow run {run_id} NOT FINISHED within --timeout 0 s" in out


def test_start_is_not_attempted_when_the_deploy_failed(
    session: Any, targets: deploy.Targets, options: deploy.Options
) -> None:
    session.client("glue").delete_job(JobName=job_name("raw_to_transform"))
    start = dataclasses.replace(options, start=True)
    code, out = run_deploy(session, targets, start)
    assert code == 1 and "deploy FAILED: not starting the workflow" in out
    assert session.client("glue").get_workflow_runs(Name=targets.workflow_name)["Runs"] == []


def test_deploying_while_a_workflow_run_is_in_progress_warns(
    session: Any, targets: deploy.Targets, options: deploy.Options
) -> None:
    run_id = session.client("glue").start_workflow_run(Name=targets.workflow_name)["RunId"]
    code, out = run_deploy(session, targets, options)
    assert code == 0, out
    assert f"warning: workflow {targets.workflow_name} run {run_id} is in progress" in out


def test_starting_a_missing_workflow(session: Any, targets: deploy.Targets) -> None:
    with pytest.raises(deploy.DeployError, match="Glue workflow 'nope' does not exist"):
        deploy.start_workflow(session.client("glue"), "nope")


def graph(states: dict[str, tuple[str, str | None] | None]) -> dict[str, Any]:
    nodes: list[dict[str, Any]] = []
    for key, state in states.items():
        runs = []
        if state is not None:
            run: dict[str, Any] = {
                "Id": f"jr_{key}",
                "JobName": job_name(key),
                "JobRunState": state[0],
                "StartedOn": datetime(2025, 1, 1, tzinfo=UTC),
            }
            if state[1]:
                run["ErrorMessage"] = state[1]
            runs.append(run)
        nodes.append({"Type": "JOB", "Name": job_name(key), "UniqueId": key, "JobDetails": {"JobRuns": runs}})
    nodes.append({"Type": "TRIGGER", "Name": "start", "UniqueId": "t"})
    return {"Nodes": nodes}


def workflow_run(status: str, states: dict[str, tuple[str, str | None] | None], **stats: int) -> dict[str, Any]:
    return {
        "Run": {
            "Name": "energy-lake-dev-pipeline",
            "WorkflowRunId": "wr_1",
            "Status": status,
            "StartedOn": datetime(2025, 1, 1, tzinfo=UTC),
            "Statistics": stats,
            "Graph": graph(states),
        }
    }


def follow(responses: list[dict[str, Any]], targets: deploy.Targets) -> tuple[deploy.RunResult, str, list[float]]:
    glue = boto3.client("glue", region_name=REGION)
    sleeps: list[float] = []
    now = [0.0]

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        now[0] += seconds

    out = io.StringIO()
    with Stubber(glue) as stub:
        for response in responses:
            expected = {"Name": targets.workflow_name, "RunId": "wr_1", "IncludeGraph": True}
            stub.add_response("get_workflow_run", response, expected)
        result = deploy.follow_run(
            glue, targets, "wr_1", timeout=600, poll_interval=30, out=out, sleep=sleep, clock=lambda: now[0]
        )
        stub.assert_no_pending_responses()
    return result, out.getvalue(), sleeps


def test_follow_run_to_success_printing_job_states(targets: deploy.Targets) -> None:
    ok = ("SUCCEEDED", None)
    result, out, sleeps = follow(
        [
            workflow_run(
                "RUNNING",
                {"landing_to_raw": ("RUNNING", None), "raw_to_transform": None, "transform_to_analytics": None},
            ),
            workflow_run(
                "RUNNING", {"landing_to_raw": ok, "raw_to_transform": ("RUNNING", None), "transform_to_analytics": None}
            ),
            workflow_run("COMPLETED", {k: ok for k in JOBS}, TotalActions=3, SucceededActions=3),
        ],
        targets,
    )
    assert result.ok and result.status == "COMPLETED" and result.problems == []
    assert sleeps == [30, 30]
    assert f"job landing_to_raw ({job_name('landing_to_raw')}): RUNNING" in out
    assert f"job raw_to_transform ({job_name('raw_to_transform')}): NOT STARTED" in out
    assert f"[    60s] job transform_to_analytics ({job_name('transform_to_analytics')}): SUCCEEDED" in out
    assert out.count("landing_to_raw (") == 2  # printed when the state changes, not on every poll


def test_follow_run_reports_a_failed_job_even_when_the_workflow_completed(targets: deploy.Targets) -> None:
    result, _, _ = follow(
        [
            workflow_run(
                "COMPLETED",
                {
                    "landing_to_raw": ("SUCCEEDED", None),
                    "raw_to_transform": ("FAILED", "LakeBusy: another run"),
                    "transform_to_analytics": None,
                },
                TotalActions=3,
                SucceededActions=1,
                FailedActions=1,
            )
        ],
        targets,
    )
    assert not result.ok
    assert result.problems == [
        "FailedActions = 1",
        f"job raw_to_transform ({job_name('raw_to_transform')}) FAILED: LakeBusy: another run",
        f"job transform_to_analytics ({job_name('transform_to_analytics')}) did not run",
    ]


def test_follow_run_reports_a_workflow_error(targets: deploy.Targets) -> None:
    response = workflow_run("ERROR", {k: None for k in JOBS})
    response["Run"]["ErrorMessage"] = "Internal service error"
    result, _, _ = follow([response], targets)
    assert not result.ok and result.problems[0] == "workflow run ended ERROR: Internal service error"


def test_follow_run_times_out(targets: deploy.Targets) -> None:
    running = workflow_run(
        "RUNNING", {"landing_to_raw": ("RUNNING", None), "raw_to_transform": None, "transform_to_analytics": None}
    )
    glue = boto3.client("glue", region_name=REGION)
    now = [0.0]
    with Stubber(glue) as stub:
        for _ in range(3):
            stub.add_response("get_workflow_run", running)
        result = deploy.follow_run(
            glue,
            targets,
            "wr_1",
            timeout=50,
            poll_interval=30,
            out=io.StringIO(),
            sleep=lambda s: now.__setitem__(0, now[0] + s),
            clock=lambda: now[0],
        )
    assert not result.ok and result.status == "TIMEOUT"
    assert result.problems[0].startswith("still RUNNING after 50 s")


def test_a_concurrent_run_is_a_clear_error(targets: deploy.Targets) -> None:
    glue = boto3.client("glue", region_name=REGION)
    with Stubber(glue) as stub:
        stub.add_client_error(
            "start_workflow_run",
            service_error_code="ConcurrentRunsExceededException",
            service_message="Concurrent runs exceeded",
        )
        with pytest.raises(deploy.DeployError, match="is already running; wait for that run to end"):
            deploy.start_workflow(glue, targets.workflow_name)


# ------------------------------------------------------------------------------------------------
# The runbook's rollback (docs/operations.md): copy a previous object version back over the key


def test_rollback_by_copying_the_previous_version_back(
    session: Any, targets: deploy.Targets, options: deploy.Options, package_root: Path, kms_key_arn: str
) -> None:
    run_deploy(session, targets, options)
    s3 = session.client("s3")
    good = s3.head_object(Bucket=BUCKET, Key=LIBRARY_KEY)
    values = package_root / "etl" / "transforms" / "values.py"
    original = values.read_bytes()
    values.write_bytes(original + b"\n# a bad release\n")
    run_deploy(session, targets, options)
    assert s3.head_object(Bucket=BUCKET, Key=LIBRARY_KEY)["Metadata"]["sha256"] != good["Metadata"]["sha256"]

    # aws s3api copy-object --bucket B --key K --copy-source "B/K?versionId=V" --metadata-directive COPY
    #   --server-side-encryption aws:kms --ssekms-key-id KMS_KEY_ARN
    s3.copy_object(
        Bucket=BUCKET,
        Key=LIBRARY_KEY,
        CopySource={"Bucket": BUCKET, "Key": LIBRARY_KEY, "VersionId": good["VersionId"]},
        MetadataDirective="COPY",
        ServerSideEncryption="aws:kms",
        SSEKMSKeyId=kms_key_arn,
    )

    restored = s3.get_object(Bucket=BUCKET, Key=LIBRARY_KEY)
    assert restored["Metadata"] == good["Metadata"]
    assert hashlib.sha256(restored["Body"].read()).hexdigest() == good["Metadata"]["sha256"]
    values.write_bytes(original)  # the good tree again: the deploy sees the rolled-back object as current
    code, out = run_deploy(session, targets, options)
    assert code == 0 and "0 uploaded, 5 unchanged" in out


# ------------------------------------------------------------------------------------------------
# The zip of wheels (requirements-glue.txt)


def test_a_loose_requirement_is_refused_with_its_line(tmp_path: Path) -> None:
    requirements = tmp_path / "requirements-glue.txt"
    requirements.write_text("PyYAML==6.0.2\n# a comment\ncuallee>=0.15\n", encoding="utf-8")
    with pytest.raises(deploy.DeployError, match=r"requirements-glue.txt:3: 'cuallee>=0.15' is not pinned"):
        deploy.pinned_requirements(requirements)


def test_only_missing_wheels_are_downloaded_for_glues_platform(tmp_path: Path, wheels: tuple[Path, Path]) -> None:
    requirements, wheel_dir = wheels
    requirements.write_text("toolz==1.2.0\ncuallee==0.15.4\n", encoding="utf-8")
    calls: list[list[str]] = []

    def pip(command: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        calls.append(command)
        (wheel_dir / "cuallee-0.15.4-py3-none-any.whl").write_bytes(b"cuallee")
        return subprocess.CompletedProcess(command, 0, "", "")

    got = deploy.fetch_wheels(requirements, wheel_dir, run=pip)

    assert [w.name for w in got] == ["toolz-1.2.0-py3-none-any.whl", "cuallee-0.15.4-py3-none-any.whl"]
    pip_download = [sys.executable, "-m", "pip", "download", "--quiet", "--only-binary=:all:", "--no-deps"]
    platform = ["--platform", "manylinux2014_x86_64", "--python-version", "3.11", "--implementation", "cp"]
    assert calls == [[*pip_download, *platform, "-d", str(wheel_dir), "cuallee==0.15.4"]]
    assert deploy.fetch_wheels(requirements, wheel_dir, run=pip) == got and len(calls) == 1  # nothing missing now


def test_a_failed_wheel_download_says_what_and_why(tmp_path: Path, wheels: tuple[Path, Path]) -> None:
    requirements, wheel_dir = wheels
    requirements.write_text("cuallee==0.15.4\n", encoding="utf-8")

    def pip(command: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        return subprocess.CompletedProcess(command, 1, "", "ERROR: No matching distribution found for cuallee==0.15.4")

    with pytest.raises(deploy.DeployError) as error:
        deploy.fetch_wheels(requirements, wheel_dir, run=pip)
    assert str(error.value) == (
        f"pip could not download the Glue wheels cuallee==0.15.4 into {wheel_dir} (PyPI reachable?): "
        "ERROR: No matching distribution found for cuallee==0.15.4"
    )


def test_the_zip_of_wheels_is_named_for_glue_and_rebuilt_only_when_a_wheel_changes(
    tmp_path: Path, wheels: tuple[Path, Path]
) -> None:
    requirements, wheel_dir = wheels
    first = deploy.build_python_modules(requirements, wheel_dir, tmp_path / "out")
    again = deploy.build_python_modules(requirements, wheel_dir, tmp_path / "out")
    assert first.path.name.endswith(".gluewheels.zip") and first.files == 2 and not first.cached
    assert again.cached and again.path == first.path
    (wheel_dir / "toolz-1.2.0-py3-none-any.whl").write_bytes(b"another build")
    assert deploy.build_python_modules(requirements, wheel_dir, tmp_path / "out").path != first.path
