"""Job arguments resolve the same with Glue's real getResolvedOptions and with the local parser."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from energy_lake.etl.jobs.args import JOBS, OPTIONAL, REQUIRED, parse_local, resolve_glue
from energy_lake.etl.jobs.runner import reprocess_dates
from energy_lake.etl.model.errors import LakeError

GLUE_DEV = Path(__file__).resolve().parents[2] / ".venv" / "awsglue-dev"


@pytest.fixture(scope="module")
def get_resolved_options() -> Callable[..., Any]:
    """awsglue-dev's pure-Python getResolvedOptions, installed apart from the venv (Makefile)."""
    if not (GLUE_DEV / "awsglue").is_dir():
        pytest.skip(f"awsglue-dev not installed at {GLUE_DEV} (make setup installs it)")
    sys.path.insert(0, str(GLUE_DEV))
    try:
        from awsglue.utils import getResolvedOptions
    finally:
        sys.path.remove(str(GLUE_DEV))
    return getResolvedOptions  # type: ignore[no-any-return]


def _argv(job: str, **extra: str) -> list[str]:
    values = {name: f"s3://bucket/{name}" for name in REQUIRED[job]} | extra
    # What Glue passes: script path, its own reserved arguments, then the job's --name value pairs.
    argv = [
        "script.py",
        "--JOB_ID",
        "j_1",
        "--JOB_RUN_ID",
        "jr_1",
        "--job-bookmark-option",
        "job-bookmark-disable",
        "--JOB_NAME",
        f"energy-dev-{job}",
        "--TempDir",
        "s3://tmp/",
    ]
    for name, value in values.items():
        argv += [f"--{name}", value]
    return argv


@pytest.mark.parametrize("job", JOBS)
def test_glue_and_local_parsing_agree(job: str, get_resolved_options: Callable[..., Any]) -> None:
    argv = _argv(job, reprocess_dates="2026-01-05,2026-01-06")
    glue = resolve_glue(get_resolved_options, argv, job)
    local = parse_local(argv, job)
    for name in (*REQUIRED[job], "reprocess_dates"):
        assert glue[name] == local[name] == dict(zip(argv[1::2], argv[2::2], strict=False))[f"--{name}"]
    assert glue["JOB_NAME"] == local["JOB_NAME"] == f"energy-dev-{job}"


def test_optional_arguments_are_only_asked_for_when_present(get_resolved_options: Callable[..., Any]) -> None:
    args = resolve_glue(get_resolved_options, _argv("landing_to_raw"), "landing_to_raw")
    assert not set(OPTIONAL) & set(k for k, v in args.items() if v is not None)


def test_a_missing_required_argument_stops_both_parsers(get_resolved_options: Callable[..., Any]) -> None:
    argv = [a for a in _argv("raw_to_transform") if a not in ("--pii_key_parameter", "s3://bucket/pii_key_parameter")]
    # Glue's parser raises GlueArgumentError (the job run fails with this message); argparse exits 2.
    with pytest.raises(Exception, match="required: --pii_key_parameter") as glue_error:
        resolve_glue(get_resolved_options, argv, "raw_to_transform")
    assert type(glue_error.value).__name__ == "GlueArgumentError"
    with pytest.raises(SystemExit) as local_exit:
        parse_local(argv, "raw_to_transform")
    assert local_exit.value.code == 2


def test_reprocess_dates() -> None:
    assert reprocess_dates("2026-01-05, 2026-01-06,") == frozenset({"2026-01-05", "2026-01-06"})
    assert reprocess_dates(None) == frozenset()
    with pytest.raises(LakeError, match="comma-separated YYYY-MM-DD"):
        reprocess_dates("2026-13-01")
