"""The key behind the PII tokens. Never in the repository.

- locally: ``ENERGY_LAKE_PII_KEY`` (16+ characters), or a random key created once inside the lake
  (``_lake/local_pii_key``, readable by its owner only) so a laptop lake needs no setup;
- on AWS: an SSM SecureString parameter whose name the job receives as ``--pii_key_parameter``.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from energy_lake.etl.model.errors import LakeError

ENV_VAR = "ENERGY_LAKE_PII_KEY"


def _checked(key: str, source: str) -> bytes:
    if len(key) < 16:
        raise LakeError(f"the PII token key from {source} must be at least 16 characters")
    return key.encode("utf-8")


def local_key(state_dir: str | Path) -> bytes:
    if os.environ.get(ENV_VAR):
        return _checked(os.environ[ENV_VAR], ENV_VAR)
    path = Path(state_dir) / "local_pii_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    return _checked(path.read_text().strip(), str(path))


def ssm_key(ssm_client: Any, parameter_name: str) -> bytes:
    value = ssm_client.get_parameter(Name=parameter_name, WithDecryption=True)["Parameter"]["Value"]
    return _checked(str(value), f"SSM parameter {parameter_name}")
