"""Run Terraform offline from tests: find the binary and a provider mirror, work on a scratch copy.

- ``terraform_binary``: ``terraform`` on PATH, or None (the tests then skip, saying why).
- ``provider_mirror``: a filesystem mirror holding ``registry.terraform.io/hashicorp/aws`` (the
  machine image ships one at /opt/tf-plugins without a CLI configuration for it); when there is
  one, a temporary CLI configuration points Terraform at it, otherwise Terraform uses the registry.
- ``Workspace``: a scratch copy of ``infrastructure/terraform`` beside the contract and SQL folders
  the environments read (``src/contracts``, ``src/sql``), so ``init``, plans, state and any test-only
  override file never touch the repository.
- ``moto_override``: the test-only ``*_override.tf`` that points every AWS endpoint at a moto server.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import socket
import subprocess
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
TERRAFORM_ROOT = REPO / "infrastructure" / "terraform"
ENVIRONMENTS = ("dev", "prod")
MODULES = (
    "data_zones",
    "lake_settings",
    "glue_catalog",
    "glue_jobs",
    "lake_formation",
    "athena",
    "monitoring",
    "network",
)
# The composition: wires the modules above for one environment (environments/<env>/main.tf calls it).
COMPOSITION = "lake"
PROVIDER = "registry.terraform.io/hashicorp/aws"
MIRROR_CANDIDATES = (Path("/opt/tf-plugins"), Path.home() / ".terraform.d" / "plugins")
# What the composition reads from outside infrastructure/ (relative to the repository root).
READ_BY_ENVIRONMENTS = ("src/contracts", "src/sql")
# AWS services the configuration talks to; each gets the moto endpoint in the test override.
AWS_SERVICES = (
    "athena",
    "cloudwatch",
    "ec2",
    "events",
    "glue",
    "iam",
    "kms",
    "lakeformation",
    "logs",
    "s3",
    "sns",
    "ssm",
    "sts",
)


def terraform_binary() -> str | None:
    return shutil.which("terraform")


def provider_mirror(candidates: Sequence[Path] = MIRROR_CANDIDATES) -> Path | None:
    """The first filesystem mirror that holds some version of the AWS provider, else None."""
    for root in candidates:
        provider_dir = root / PROVIDER
        if provider_dir.is_dir() and any(p.is_dir() for p in provider_dir.iterdir()):
            return root
    return None


def cli_config(mirror: Path | None) -> str:
    """A Terraform CLI configuration: the AWS provider from ``mirror`` when given, else the registry."""
    if mirror is None:
        return "# No provider mirror on this machine: providers come from the registry.\n"
    return textwrap.dedent(
        f"""\
        provider_installation {{
          filesystem_mirror {{
            path    = "{mirror}"
            include = ["{PROVIDER}"]
          }}
          direct {{
            exclude = ["{PROVIDER}"]
          }}
        }}
        """
    )


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class TerraformError(AssertionError):
    pass


@dataclass
class Terraform:
    """The terraform binary with an environment of its own (CLI config, no prompts, no checkpoint)."""

    binary: str
    home: Path
    mirror: Path | None
    env: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        config = self.home / "terraform.tfrc"
        config.write_text(cli_config(self.mirror))
        self.env = {
            **os.environ,
            "TF_CLI_CONFIG_FILE": str(config),
            "TF_IN_AUTOMATION": "1",
            "TF_INPUT": "0",
            "CHECKPOINT_DISABLE": "1",
            "NO_COLOR": "1",
        }
        # Never let a developer's real credentials or profile reach a test run.
        for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_CONFIG_FILE"):
            self.env.pop(name, None)
        self.env.update(
            {
                "AWS_ACCESS_KEY_ID": "testing",
                "AWS_SECRET_ACCESS_KEY": "testing",
                "AWS_SHARED_CREDENTIALS_FILE": str(self.home / "no-credentials"),
                "AWS_EC2_METADATA_DISABLED": "true",
            }
        )

    def run(self, cwd: Path, *args: str, timeout: float = 300, check: bool = True) -> subprocess.CompletedProcess[str]:
        command, *rest = args
        flags = [] if command in ("fmt", "state", "version") else ["-no-color"]
        try:
            done = subprocess.run(
                [self.binary, command, *flags, *rest],
                cwd=cwd,
                env=self.env,
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            out = exc.stdout.decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
            raise TerraformError(f"terraform {' '.join(args)} in {cwd} took over {timeout}s\n{out[-6000:]}") from None
        if check and done.returncode != 0:
            raise TerraformError(
                f"terraform {' '.join(args)} in {cwd} exited {done.returncode}\n"
                f"--- stdout (tail) ---\n{done.stdout[-6000:]}\n--- stderr (tail) ---\n{done.stderr[-6000:]}"
            )
        return done

    def json(self, cwd: Path, command: str, *args: str) -> Any:
        """``terraform <command> -json <args>``, parsed."""
        return json.loads(self.run(cwd, command, "-json", *args).stdout)


@dataclass
class Workspace:
    """A scratch copy of the Terraform tree with the repository folders the environments read."""

    root: Path

    @classmethod
    def copy(cls, dest: Path) -> Workspace:
        ignore = shutil.ignore_patterns(".terraform", ".terraform.lock.hcl", "*.tfstate*", "*.tfplan")
        shutil.copytree(TERRAFORM_ROOT, dest / "infrastructure" / "terraform", ignore=ignore)
        for rel in READ_BY_ENVIRONMENTS:
            source = REPO / rel
            if source.is_dir():
                shutil.copytree(source, dest / rel)
            else:
                (dest / rel).mkdir(parents=True)
        return cls(dest)

    def environment(self, name: str) -> Path:
        return self.root / "infrastructure" / "terraform" / "environments" / name

    def module(self, name: str) -> Path:
        return self.root / "infrastructure" / "terraform" / "modules" / name

    def bootstrap(self) -> Path:
        return self.root / "infrastructure" / "terraform" / "bootstrap"


def terraform_or_skip(home: Path) -> Terraform:
    """Terraform with its own home (CLI configuration) and the provider mirror; the test skips, saying
    why, where Terraform is not installed."""
    import pytest

    binary = terraform_binary()
    if binary is None:
        pytest.skip("terraform is not on PATH: install Terraform >= 1.10 to run the infrastructure tests")
    return Terraform(binary, home, provider_mirror())


def settings_override(environment: Path, **changes: Any) -> list[str]:
    """The arguments that plan ``environment`` with its terraform.tfvars ``settings`` changed by ``changes``:
    a test-only var-file holding the whole object (a -var cannot change one attribute of it)."""
    import hcl2

    settings = hcl2.loads((environment / "terraform.tfvars").read_text())["settings"] | changes
    name = f"test-{hashlib.sha256(json.dumps(changes, sort_keys=True).encode()).hexdigest()[:12]}.tfvars.json"
    (environment / name).write_text(json.dumps({"settings": settings}))
    return [f"-var-file={name}"]


def moto_override(endpoint: str, region: str) -> str:
    """Test-only settings: local state, every endpoint at moto, path-style S3 (credentials: env).

    The backend becomes ``local`` (state in the scratch copy). ``allowed_account_ids`` and
    ``default_tags`` of the real provider block stay in force (an override file only replaces the
    arguments it names); moto's STS answers with its own account.
    """
    endpoints = "\n".join(f'    {service:<13} = "{endpoint}"' for service in AWS_SERVICES)
    return (
        "# Written by tests/integration/terraform_harness.py into a scratch copy; never committed.\n"
        "terraform {\n"
        '  backend "local" {}\n'
        "}\n\n"
        'provider "aws" {\n'
        f'  region                      = "{region}"\n'
        "  skip_credentials_validation = true\n"
        "  skip_metadata_api_check     = true\n"
        "  skip_region_validation      = true\n"
        "  s3_use_path_style           = true\n"
        "  endpoints {\n"
        f"{endpoints}\n"
        "  }\n"
        "}\n"
    )


def resource_addresses(plan: dict[str, Any]) -> list[str]:
    """Resource addresses (no instance keys) of the managed resources a plan creates."""
    addresses = set()
    for change in plan.get("resource_changes", []):
        if change["mode"] != "managed" or "create" not in change["change"]["actions"]:
            continue
        module = change.get("module_address")
        base = f"{change['type']}.{change['name']}"
        addresses.add(f"{module}.{base}" if module else base)
    return sorted(addresses)


# ---------------------------------------------------------------------------------------------
# moto server for Terraform
# ---------------------------------------------------------------------------------------------

# Glue timestamp members that moto 5.1.15 writes as ISO-8601 strings. The awsJson1.1 protocol sends
# timestamps as epoch-seconds numbers; botocore accepts both, but the Go SDK inside the Terraform
# provider rejects a string ("expected TimestampValue to be a JSON Number"), so reading back any Glue
# job, workflow or trigger would fail. The test server re-encodes exactly these members.
GLUE_TIMESTAMP_MEMBERS = frozenset(
    {
        "CompletedOn",
        "CreatedOn",
        "CreatedTimestamp",
        "CreationTime",
        "EndTime",
        "LastModifiedOn",
        "LastModifiedTimestamp",
        "LastUpdated",
        "LastUpdatedTime",
        "StartTime",
        "StartedOn",
    }
)


def _epoch_timestamps(value: Any) -> Any:
    from datetime import UTC, datetime

    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if key in GLUE_TIMESTAMP_MEMBERS and isinstance(item, str):
                parsed = datetime.fromisoformat(item.replace("Z", "+00:00"))
                out[key] = (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp()
            else:
                out[key] = _epoch_timestamps(item)
        return out
    if isinstance(value, list):
        return [_epoch_timestamps(v) for v in value]
    return value


class GlueTimestampFix:
    """WSGI middleware: Glue JSON responses with protocol-conformant (numeric) timestamps."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if not environ.get("HTTP_X_AMZ_TARGET", "").startswith("AWSGlue."):
            return self.app(environ, start_response)
        captured: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            captured.update(status=status, headers=headers)
            return lambda data: None

        body = b"".join(self.app(environ, capture))
        with contextlib.suppress(ValueError):  # not JSON: passed through unchanged
            body = json.dumps(_epoch_timestamps(json.loads(body))).encode()
        headers = [(k, v) for k, v in captured["headers"] if k.lower() != "content-length"]
        start_response(captured["status"], [*headers, ("Content-Length", str(len(body)))])
        return [body]


def moto_server(port: int) -> Any:
    """A ThreadedMotoServer on 127.0.0.1 whose Glue responses the Go SDK can decode."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
    from moto.server import ThreadedMotoServer
    from werkzeug.serving import make_server

    class Server(ThreadedMotoServer):  # type: ignore[misc]
        def _server_entry(self) -> None:
            app = GlueTimestampFix(DomainDispatcherApplication(create_backend_app))
            self._server = make_server(self._ip_address, self._port, app, True)
            self._server_ready_event.set()
            self._server.serve_forever()

    return Server(ip_address="127.0.0.1", port=port, verbose=False)
