"""The three Glue jobs run in AWS Glue 5.1's Python environment with only what the deploy ships (issue 13).

The project venv is not Glue's: it holds PyYAML, numpy 1.x and everything the tests need. Here the jobs run
in ``.venv-glue`` (``make glue-env``): exactly the packages of ``../shared/glue-5.1/base-requirements.txt``,
the list AWS publishes for Glue 5.1, plus Glue's Spark (pyspark 3.5.6). Into a layer over it goes only
what a job gets on AWS:

- the zip of wheels exactly as ``deploy_glue_jobs.py`` builds it, installed as Terraform asks Glue to
  (``--additional-python-modules`` that zip, ``--python-modules-installer-option --no-index``: pip with
  no index, so a package missing from the zip fails here as it would fail a job in a VPC);
- the library archive exactly as deploy builds it, on the path as ``--extra-py-files`` puts it;
- the entry scripts, copied out of the repository as deploy uploads them, started with Glue's argument
  parser (``tests/glue_env/launcher.py``) and every argument name Terraform sets for the job.

They run the whole pipeline on a local lake, their metrics going to a moto CloudWatch on 127.0.0.1, and
must build the same lake as ``energy-lake run``. One landing file is unreadable (0 bytes): on both sides it
is rejected and the day's other files go on through every hop (issue 13, defect 10): the Glue job ends 0
(SUCCEEDED, so the workflow's next job starts) with status ``needs_attention``, as ``energy-lake run`` goes on.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from packaging.utils import canonicalize_name

from energy_lake.cli.run import run_pipeline
from energy_lake.etl.jobs import metric_names
from energy_lake.etl.jobs.args import JOBS
from energy_lake.etl.lake import iceberg
from energy_lake.scripts import deploy
from tests.integration.test_infra_crosscheck import MODULES_DIR, locals_of
from tests.lake_content import business_content

REPO = Path(__file__).resolve().parents[2]
GLUE_BASE = REPO.parent / "shared" / "glue-5.1" / "base-requirements.txt"
GLUE_VENV = REPO / ".venv-glue"
AWSGLUE_DEV = REPO / ".venv" / "awsglue-dev"
LAUNCHER = REPO / "tests" / "glue_env" / "launcher.py"
LANDING = REPO / "data" / "landing"
WHEELS = REPO / "build" / "glue" / "wheels"  # `make glue-build` downloads them once

pytestmark = pytest.mark.spark


def _pins(path: Path) -> dict[str, str]:
    pins = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        text = line.split("#", 1)[0].strip()
        if "==" in text:
            name, version = text.split("==", 1)
            pins[str(canonicalize_name(name))] = version
    return pins


def _run(command: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, timeout=600, check=False, **kwargs)


@pytest.fixture(scope="module")
def glue_python() -> Path:
    if not GLUE_BASE.is_file():
        pytest.skip(f"{GLUE_BASE} is absent: no list of Glue 5.1's packages to build the Glue environment from")
    python = GLUE_VENV / "bin" / "python"
    if not python.is_file():
        pytest.skip(f"{GLUE_VENV} is not built: `make glue-env` builds it (`make test` does)")
    if not (AWSGLUE_DEV / "awsglue").is_dir():
        pytest.skip(f"awsglue-dev (Glue's argument parser) is not installed at {AWSGLUE_DEV}: `make setup`")
    return python


def test_the_venv_has_no_awsglue() -> None:
    """Otherwise the entry scripts would take their Glue branch in the project's own runs."""
    import importlib.util

    assert importlib.util.find_spec("awsglue") is None


def test_the_glue_environment_is_glue_5_1s_packages_and_nothing_of_the_project(glue_python: Path) -> None:
    listed = json.loads(_run([str(glue_python), "-m", "pip", "list", "--format=json"]).stdout)
    got = {str(canonicalize_name(p["name"])): p["version"] for p in listed}
    expected = _pins(GLUE_BASE) | {"pyspark": _pins(REPO / "requirements.txt")["pyspark"]}
    assert {name: got.get(name) for name in expected} == expected
    assert set(got) - set(expected) == {"py4j"}  # pyspark's own dependency, as on Glue
    assert "pyyaml" not in got and got["numpy"].startswith("2.")


@pytest.fixture(scope="module")
def shipped(glue_python: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A layer over the Glue environment holding what deploy ships, installed as Glue installs it."""
    root = tmp_path_factory.mktemp("glue")

    def offline(*args: Any, **kwargs: Any) -> subprocess.CompletedProcess[str]:
        pytest.fail("the Glue wheels are not in build/glue/wheels: `make glue-build` downloads them (make test does)")

    modules = deploy.build_python_modules(REPO / "requirements-glue.txt", WHEELS, root / "build", run=offline)
    library = deploy.build_library(REPO / "src", root / "build")
    wheels = root / "wheels"
    with zipfile.ZipFile(modules.path) as archive:
        archive.extractall(wheels)
    job_python = _layer(glue_python, root / "job")
    installed = _install(glue_python, job_python, sorted(wheels.glob("*.whl")))
    assert installed.returncode == 0, installed.stdout[-2000:] + installed.stderr[-2000:]
    scripts = root / "scripts"
    scripts.mkdir()
    for artifact in deploy.artifacts(_targets(), REPO / "src", library, modules)[2:]:
        shutil.copy(artifact.path, scripts / Path(artifact.key).name)
    return {"python": job_python, "library": library.path, "scripts": scripts}


def _layer(glue_python: Path, folder: Path) -> Path:
    """A venv that sees Glue's packages (a .pth to them): pip resolves against them and installs the rest in it."""
    made = _run([str(glue_python), "-m", "venv", "--without-pip", str(folder)])
    assert made.returncode == 0, made.stderr
    python = folder / "bin" / "python"
    site = Path(_run([str(python), "-c", "import site; print(site.getsitepackages()[0])"]).stdout.strip())
    glue_site = _run([str(glue_python), "-c", "import site; print(site.getsitepackages()[0])"]).stdout.strip()
    (site / "glue-5.1.pth").write_text(glue_site + "\n", encoding="utf-8")
    return python


# The network switched off for pip: every connection it opens goes to a proxy on a closed loopback port,
# as a job's pip in the lake's VPC reaches no index (no internet route: modules/network).
NO_NETWORK = ["--proxy", "http://127.0.0.1:9", "--retries", "0", "--timeout", "2"]


def _install(
    glue_python: Path, python: Path, wheels: list[Path], index: bool = False
) -> subprocess.CompletedProcess[str]:
    """pip install --no-index, as the jobs' --python-modules-installer-option asks, with the network off;
    --isolated: no pip configuration of this machine (find-links, extra indexes) may supply a package the
    zip lacks. ``index``: let pip look for what is missing on PyPI (it cannot reach it)."""
    command = [str(glue_python), "-m", "pip", "--isolated", *NO_NETWORK, "--python", str(python), "install"]
    return _run(command + (["-vv"] if index else ["--no-index"]) + [str(w) for w in wheels])


def _targets() -> deploy.Targets:
    jobs = tuple(deploy.GlueJobTarget(job, f"energy-local-{job}", f"glue/scripts/{job}.py") for job in JOBS)
    return deploy.Targets("artifacts", "glue/lib/energy_lake.zip", "glue/lib/x.gluewheels.zip", "workflow", jobs)


def _imported_modules(files: list[tuple[str, Path]]) -> set[str]:
    """Top-level modules the library's code imports anywhere (lazily inside functions too)."""
    import ast

    names: set[str] = set()
    for _, path in files:
        if path.suffix != ".py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module.split(".")[0])
    return names


def test_every_module_the_library_imports_is_in_glue_or_shipped(shipped: dict[str, Path]) -> None:
    """Static, so a module imported only on a rare path is caught too: each top-level import of the
    library archive resolves in the job's environment (Glue 5.1 plus the zip of wheels). awsglue is
    Glue's runtime, present only on Glue (glue_entry.py imports it behind ImportError)."""
    imported = _imported_modules(deploy.library_files(REPO / "src")) - set(sys.stdlib_module_names)
    imported -= {"energy_lake", "__future__", "awsglue"}
    assert {"pyspark", "yaml", "cuallee", "boto3"} <= imported
    probe = (
        "import importlib.util, sys; print(' '.join(n for n in sys.argv[1:] if importlib.util.find_spec(n) is None))"
    )
    found = _run([str(shipped["python"]), "-c", probe, *sorted(imported)])
    assert (found.returncode, found.stdout.split()) == (0, []), found.stderr


def test_every_shipped_package_is_one_glue_lacks(glue_python: Path) -> None:
    """A wheel of a package Glue has would replace Glue's own version in every job."""
    assert not set(_pins(REPO / "requirements-glue.txt")) & set(_pins(GLUE_BASE))


def _terraform_arguments() -> dict[str, str]:
    """Every --name the glue_jobs module passes a job (common and per-job) with its value in the HCL."""
    local = locals_of(MODULES_DIR / "glue_jobs" / "main.tf")
    text = str(local["common_arguments"]) + str(local["default_arguments"])
    return dict(re.findall(r"[\"']--([A-Za-z_-]+)[\"']\s*:\s*[\"']([^\"']*)[\"']", text))


@pytest.fixture()
def moto_endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    from tests.integration.terraform_harness import free_port

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


def test_the_jobs_run_in_glue_5_1_and_build_the_lake_the_cli_builds(
    spark: Any, shipped: dict[str, Path], moto_endpoint: str, tmp_path: Path
) -> None:
    landing = tmp_path / "landing"
    shutil.copytree(LANDING, landing)
    empty = next(landing.glob("providers/ingest_date=*/")) / "empty.csv"
    empty.write_bytes(b"")
    lake = tmp_path / "jobs"
    values = {
        "landing_uri": str(landing),
        "raw_uri": str(lake / "raw"),
        "transform_uri": str(lake / "transform"),
        "analytics_uri": str(lake / "analytics"),
        "state_uri": str(lake / "_lake"),
        "env": "local",
        "pii_key_parameter": "env",
        **{f"{zone}_database": zone for zone in ("raw", "transform", "analytics")},  # the local namespaces
    }
    terraform = _terraform_arguments()
    assert terraform["python-modules-installer-option"] == "--no-index"
    assert {"additional-python-modules", "extra-py-files", "raw_uri", "pii_key_parameter"} <= set(terraform)
    environment = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", str(tmp_path)),
        **({"JAVA_HOME": os.environ["JAVA_HOME"]} if "JAVA_HOME" in os.environ else {}),
        "PYTHONPATH": str(shipped["library"]),  # --extra-py-files
        "AWSGLUE_DEV": str(AWSGLUE_DEV),
        "ENERGY_LAKE_PII_KEY": os.environ["ENERGY_LAKE_PII_KEY"],  # the key the CLI run below uses (conftest)
        "PYSPARK_SUBMIT_ARGS": f"--master local[2] --conf spark.ui.enabled=false --conf "
        f"spark.sql.extensions={iceberg.EXTENSIONS} --jars {iceberg.runtime_jar()} pyspark-shell",
        "SPARK_LOCAL_IP": "127.0.0.1",
        "AWS_ENDPOINT_URL": moto_endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "eu-west-1",
    }
    for job in JOBS:
        # What Glue passes: its reserved arguments, then every default argument of the job.
        argv = ["--JOB_ID", f"j_{job}", "--JOB_RUN_ID", f"jr_{job}", "--JOB_NAME", f"energy-local-{job}"]
        for name, value in sorted(terraform.items()):
            if name != "pii_key_parameter" or job == "raw_to_transform":
                # Literal values as Terraform sets them; interpolated ones (names, S3 URIs) for this lake.
                argv += [f"--{name}", values.get(name, value if "${" not in value else "set-by-terraform")]
        script = shipped["scripts"] / f"{job}.py"
        result = _run([str(shipped["python"]), str(LAUNCHER), str(script), *argv], env=environment, cwd=tmp_path)
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        assert "Traceback" not in result.stderr, result.stderr[-3000:]
        lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
        assert lines and all(line["run_id"] == lines[0]["run_id"] for line in lines)
        status = "needs_attention" if job == "landing_to_raw" else "succeeded"
        assert (lines[-1]["event"], lines[-1]["status"]) == ("job finished", status)
    manifests = [json.loads(p.read_text()) for p in sorted((lake / "_lake" / "runs").glob("*.json"))]
    assert sorted(m["job"] for m in manifests) == sorted(JOBS)
    (raw_manifest,) = [m for m in manifests if m["job"] == "landing_to_raw"]
    rejected = [f["file"] for e in raw_manifest["entities"].values() for f in e["rejected_files"]]
    assert rejected == [str(empty.relative_to(landing))]
    cloudwatch = boto3.client(
        "cloudwatch",
        endpoint_url=moto_endpoint,
        region_name="eu-west-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    published = {m["MetricName"] for m in cloudwatch.list_metrics(Namespace=metric_names.NAMESPACE)["Metrics"]}
    assert published and published <= set(metric_names.METRICS)
    cli = tmp_path / "cli"
    summary = tmp_path / "cli.json"
    code = run_pipeline(
        lake_dir=str(cli), landing_dir=str(landing), through="analytics", reprocess=[], summary_json=str(summary)
    )
    assert code == 1  # locally one process: the rejected file is its exit code, after every hop ran
    local = json.loads(summary.read_text())
    assert local["status"] == "needs_attention" and local["entities"] == raw_manifest["entities"]
    assert business_content(lake) == business_content(cli)


def test_a_package_missing_from_the_zip_stops_the_install(glue_python: Path, tmp_path: Path) -> None:
    """The install has teeth: cuallee without its dependency toolz (which Glue lacks) does not install."""
    wheels = sorted(WHEELS.glob("cuallee-*.whl"))
    if not wheels:
        pytest.fail("no cuallee wheel in build/glue/wheels: `make glue-build` downloads it (make test does)")
    result = _install(glue_python, _layer(glue_python, tmp_path / "job"), wheels)
    assert result.returncode != 0
    assert "No matching distribution found for toolz" in result.stdout + result.stderr


def test_pip_has_no_network_in_the_glue_environment_test(glue_python: Path, tmp_path: Path) -> None:
    """The install of the shipped zip (``shipped``) runs with the network off: allowed an index, pip fails to
    reach it for the missing toolz (so nothing it installed there came from the network)."""
    wheels = sorted(WHEELS.glob("cuallee-*.whl"))
    if not wheels:
        pytest.fail("no cuallee wheel in build/glue/wheels: `make glue-build` downloads it (make test does)")
    result = _install(glue_python, _layer(glue_python, tmp_path / "job"), wheels, index=True)
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "Could not fetch URL https://pypi.org/simple/toolz/" in output and "Cannot connect to proxy" in output
