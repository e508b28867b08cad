"""Step 2: build the two archives Glue gets, reproducibly, cached under the build folder by content hash.

:func:`build_library` zips the job library (``energy_lake``'s ``etl``/``utils`` code, contracts, SQL; not
``cli``/``scripts``) with fixed timestamps and sorted entries as ``energy_lake-<hash>.zip``;
:func:`build_python_modules` zips the wheels of ``requirements-glue.txt`` (fetched once with pip) as
``python-modules-<hash>.gluewheels.zip``. Imports only :mod:`.base`; touches the source tree (read),
the build and wheel folders, and pip (PyPI) for missing wheels; no AWS.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from packaging.utils import canonicalize_name, parse_wheel_filename
from packaging.version import Version

from energy_lake.scripts.deploy.base import DeployError, Runner

PACKAGE = "energy_lake"
# What goes into the library archive, relative to the package root (the src/ folder): the job library (every
# .py below etl/ and utils/, subpackages included) and its data files. Not cli/ (local product), scripts/
# (operator tools, the doc generators) or __main__.py (imports cli).
LIBRARY_CODE_DIRS = ("etl", "utils")
LIBRARY_DATA = (("contracts", "*.yaml"), ("sql", "*.sql"))
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip entry can carry


# The wheels of the packages the library needs beyond Glue 5.1's own, for Glue's platform: Python 3.11 on
# x86_64 Linux (the platform AWS's own pip download example for Glue names:
# https://docs.aws.amazon.com/glue/latest/dg/setup-vpc-for-pypi.html); binary wheels only, no dependency
# resolution (requirements-glue.txt lists the whole closure, which the Glue-environment test proves).
GLUE_WHEEL_PLATFORM = (
    "--only-binary=:all:",
    "--no-deps",
    "--platform",
    "manylinux2014_x86_64",
    "--python-version",
    "3.11",
    "--implementation",
    "cp",
)


# --------------------------------------------------------------------------------------------------
# Library archive


def library_files(package_root: Path) -> list[tuple[str, Path]]:
    """(name in the archive, file) for everything the Glue library ships, sorted by name."""
    if not (package_root / "__init__.py").is_file():
        raise DeployError(f"{package_root} is not the {PACKAGE} package folder (no __init__.py)")
    found: dict[str, Path] = {f"{PACKAGE}/__init__.py": package_root / "__init__.py"}
    for folder in LIBRARY_CODE_DIRS:
        for path in (package_root / folder).rglob("*.py"):
            rel = path.relative_to(package_root)
            if any(part.startswith((".", "__pycache__")) or part in ("tests", "test") for part in rel.parts):
                continue
            found[f"{PACKAGE}/{rel.as_posix()}"] = path
    for folder, pattern in LIBRARY_DATA:
        for path in (package_root / folder).glob(pattern):
            if path.is_file() and not path.name.startswith("."):
                found[f"{PACKAGE}/{folder}/{path.name}"] = path
    return sorted(found.items())


def tree_digest(files: Sequence[tuple[str, Path]]) -> str:
    """sha256 over the archive names and the bytes of their files: the library's version key."""
    digest = hashlib.sha256()
    for name, path in files:
        digest.update(name.encode("utf-8") + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def archive_bytes(files: Sequence[tuple[str, Path]]) -> bytes:
    """A zip of ``files`` whose bytes depend only on their names and contents.

    Entries are sorted, carry a fixed timestamp and mode, and are stored uncompressed, so the
    bytes (and so the sha256) do not change with the machine's clock, umask or zlib build.
    """
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        for name, path in sorted(files):
            info = zipfile.ZipInfo(name, date_time=ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_STORED
            info.create_system = 3  # unix, so external_attr means a file mode
            info.external_attr = 0o100644 << 16
            archive.writestr(info, path.read_bytes())
    return buffer.getvalue()


@dataclass(frozen=True)
class ArchiveBuild:
    path: Path
    sha256: str
    size: int
    files: int
    cached: bool  # True when this version was already built


def _sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _build_archive(files: Sequence[tuple[str, Path]], build_dir: Path, stem: str, suffix: str) -> ArchiveBuild:
    """``files`` zipped once per content version, cached as ``build_dir/<stem>-<hash><suffix>``."""
    target = build_dir / f"{stem}-{tree_digest(files)[:16]}{suffix}"
    if target.is_file():
        return ArchiveBuild(target, _sha256_file(target), target.stat().st_size, len(files), cached=True)
    data = archive_bytes(files)
    build_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=build_dir, prefix=f".{target.name}.")
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.replace(tmp, target)  # never a half-written archive under the final name
    return ArchiveBuild(target, hashlib.sha256(data).hexdigest(), len(data), len(files), cached=False)


def build_library(package_root: Path, build_dir: Path) -> ArchiveBuild:
    """The library archive, cached as ``build_dir/energy_lake-<hash>.zip``."""
    return _build_archive(library_files(package_root), build_dir, PACKAGE, ".zip")


# --------------------------------------------------------------------------------------------------
# Zip of wheels: what the library needs beyond Glue 5.1's packages (requirements-glue.txt)


def pinned_requirements(requirements: Path) -> list[str]:
    """The ``name==version`` lines of ``requirements``; anything looser is refused (a job must get what was tested)."""
    try:
        lines = requirements.read_text(encoding="utf-8").splitlines()
    except OSError as problem:
        raise DeployError(f"cannot read {requirements}: {problem.strerror or problem}") from None
    pins = []
    for number, line in enumerate(lines, start=1):
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*==[A-Za-z0-9.+!]+", text):
            raise DeployError(f"{requirements}:{number}: {text!r} is not pinned as name==version")
        pins.append(text)
    return pins


def _wheel_for(pin: str, wheel_dir: Path) -> Path | None:
    name, version = pin.split("==", 1)
    for wheel in sorted(wheel_dir.glob("*.whl")):
        got_name, got_version, _, _ = parse_wheel_filename(wheel.name)
        if got_name == canonicalize_name(name) and got_version == Version(version):
            return wheel
    return None


def fetch_wheels(requirements: Path, wheel_dir: Path, run: Runner = subprocess.run) -> list[Path]:
    """One wheel per pin of ``requirements`` in ``wheel_dir``; those missing are downloaded with pip (PyPI)."""
    pins = pinned_requirements(requirements)
    missing = [pin for pin in pins if _wheel_for(pin, wheel_dir) is None]
    if missing:
        wheel_dir.mkdir(parents=True, exist_ok=True)
        command = [sys.executable, "-m", "pip", "download", "--quiet", *GLUE_WHEEL_PLATFORM, "-d", str(wheel_dir)]
        try:
            done = run([*command, *missing], capture_output=True, text=True, timeout=600, check=False)
        except (OSError, subprocess.TimeoutExpired) as problem:
            raise DeployError(f"could not run pip to download {', '.join(missing)}: {problem}") from None
        if done.returncode != 0:
            detail = (done.stderr or done.stdout or "").strip().splitlines()[-3:]
            raise DeployError(
                f"pip could not download the Glue wheels {', '.join(missing)} into {wheel_dir} "
                f"(PyPI reachable?): {' / '.join(detail)}"
            )
    wheels = []
    for pin in pins:
        wheel = _wheel_for(pin, wheel_dir)
        if wheel is None:
            raise DeployError(f"no {GLUE_WHEEL_PLATFORM[3]} / Python 3.11 wheel of {pin} in {wheel_dir}")
        wheels.append(wheel)
    return wheels


def build_python_modules(
    requirements: Path, wheel_dir: Path, build_dir: Path, run: Runner = subprocess.run
) -> ArchiveBuild:
    """The zip of wheels Glue installs (``--additional-python-modules``), the wheels at its root, cached as
    ``build_dir/python-modules-<hash>.gluewheels.zip`` (Glue 5.0+ knows a zip of wheels by that suffix:
    https://docs.aws.amazon.com/glue/latest/dg/aws-glue-programming-python-libraries.html)."""
    wheels = fetch_wheels(requirements, wheel_dir, run)
    return _build_archive([(wheel.name, wheel) for wheel in wheels], build_dir, "python-modules", ".gluewheels.zip")
