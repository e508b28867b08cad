"""What every deploy step shares: the errors an operator can fix and how AWS errors read to an operator.

:class:`DeployError` (exit code 1) and :class:`OutputsError` (exit code 2) carry a message that says
what to do; :func:`explain` turns a boto error into that one line and :func:`aws` raises it for a
block of AWS calls. :data:`Runner` is the type of the injectable ``subprocess.run`` the Terraform and
pip steps take. Imports no other module of this package; touches nothing (no AWS, files or processes).
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
)

NO_CREDENTIALS = (
    "no AWS credentials found: set AWS_PROFILE (or pass --profile), or AWS_ACCESS_KEY_ID and "
    "AWS_SECRET_ACCESS_KEY, or log in with `aws sso login --profile NAME`"
)
ACCESS_DENIED_CODES = frozenset(
    {"AccessDenied", "AccessDeniedException", "Forbidden", "403", "AllAccessDisabled", "AuthorizationError"}
)
BAD_CREDENTIAL_CODES = frozenset(
    {
        "InvalidAccessKeyId",
        "SignatureDoesNotMatch",
        "UnrecognizedClientException",
        "InvalidClientTokenId",
        "ExpiredToken",
        "ExpiredTokenException",
        "InvalidToken",
        "AuthFailure",
    }
)


class DeployError(Exception):
    """A problem the operator can fix; the message says what and, where possible, how."""

    exit_code = 1


class OutputsError(DeployError):
    """The Terraform outputs are missing, unreadable or not what the deploy needs."""

    exit_code = 2


Runner = Callable[..., "subprocess.CompletedProcess[str]"]


def error_code(err: ClientError) -> str:
    return str(err.response.get("Error", {}).get("Code", ""))


def error_status(err: ClientError) -> int:
    return int(err.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)


def _error_message(err: ClientError) -> str:
    message = str(err.response.get("Error", {}).get("Message", "") or "")
    if message.lstrip().startswith("<"):  # some endpoints (and moto) wrap the reason in XML
        found = re.search(r"<Message>(?:<!\[CDATA\[)?(.*?)(?:\]\]>)?</Message>", message, re.S)
        message = found.group(1).strip() if found else ""
    return message


def is_access_denied(err: ClientError) -> bool:
    return error_code(err) in ACCESS_DENIED_CODES or error_status(err) == 403


def explain(err: Exception, action: str) -> str:
    """One line for the operator: what failed while doing ``action``, and the likely fix."""
    if isinstance(err, NoCredentialsError | PartialCredentialsError):
        return NO_CREDENTIALS
    if isinstance(err, NoRegionError):
        return "no AWS region: pass --region, set AWS_REGION, or give the outputs a 'region'"
    if isinstance(err, EndpointConnectionError):
        return f"cannot reach AWS while {action}: {err} (check AWS_ENDPOINT_URL and the network)"
    if isinstance(err, ClientError):
        code, message = error_code(err), _error_message(err)
        if code in BAD_CREDENTIAL_CODES:
            return f"AWS rejected the credentials while {action} ({code}): {message or 'check the profile or keys'}"
        if is_access_denied(err):
            reason = f": {message}" if message and message not in ("Forbidden", "Access Denied") else ""
            return f"access denied while {action}{reason}; the deploying identity needs that permission"
        return f"{action} failed: {code or error_status(err)} {message}".rstrip()
    if isinstance(err, BotoCoreError):
        return f"{action} failed: {err}"
    return f"{action} failed: {err}"


@contextmanager
def aws(action: str) -> Iterator[None]:
    """Turn boto errors into a :class:`DeployError` that says what was being done."""
    try:
        yield
    except (BotoCoreError, ClientError) as err:
        raise DeployError(explain(err, action)) from None
