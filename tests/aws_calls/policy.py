"""Evaluate IAM policies the way AWS documents it, for the principals of one account.

Why not moto's engine (``moto.iam.access_control.IAMPolicy``): moto 5.1.15 matches actions and resources
with ``*`` only (no ``?``), names a non-S3 action after the request's signing name (CloudWatch's
PutMetricData becomes ``monitoring:PutMetricData``) and checks it against the resource ``*``, so any
statement limited to an ARN denies; it evaluates a Condition only with the values a trust-policy check
passes in, so for an identity or bucket policy every condition counts as met (``s3:prefix`` on
``GetBucketLocation`` passes, a bucket policy's ``aws:SecureTransport = false`` Deny always denies), and
of the operators it knows only ``StringEquals``. The tests still let moto enforce the identity policies of
the S3 requests end to end (its IAM authentication mode), where those limits do not matter.

Here (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html), for a
principal and a resource of the same account, with no SCP, permissions boundary or session policy:

* an explicit ``Deny`` in any policy wins;
* otherwise an ``Allow`` of the identity policies or of the resource's policy (a bucket policy) allows;
* a KMS key is the exception: its key policy must allow the principal itself, or let IAM policies decide
  by allowing the account (``arn:aws:iam::<account>:root``), and then an identity policy must allow
  (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html#key-policy-default-allow-root-enable-iam);
* a request that goes through a VPC endpoint carries its id (``aws:SourceVpce``, absent otherwise:
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-sourcevpce)
  and must also be allowed by the endpoint's policy, which grants nothing itself
  (https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-endpoints-access.html). A principal's
  ``network`` names the endpoint of each service it calls through one (a Glue job in the lake's VPC); a
  request a service makes on the caller's behalf (``kms:ViaService``: S3 or SSM calling KMS) leaves from
  that service, not through the caller's endpoint.

Action, NotAction, Resource, NotResource, Principal (AWS, Service, ``*``) and the condition operators in
``OPERATORS`` are evaluated; anything else (another operator, a policy variable) raises
``UnsupportedPolicy`` rather than being guessed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from tests.aws_calls.permissions import Permission

CONDITION_OPERATORS_PAGE = (
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html"
)


class UnsupportedPolicy(AssertionError):
    """A policy element this evaluator does not implement: extend it rather than guess."""


@dataclass(frozen=True)
class Policy:
    name: str  # where it comes from, for messages: "role x / inline y", "bucket policy of b"
    document: dict[str, Any]

    def statements(self) -> list[dict[str, Any]]:
        statements = self.document.get("Statement", [])
        return statements if isinstance(statements, list) else [statements]


@dataclass(frozen=True)
class Principal:
    arn: str  # the role's ARN (aws:PrincipalArn of its sessions)
    account: str
    policies: tuple[Policy, ...]  # its identity policies
    service: str | None = None  # a service principal (glue.amazonaws.com) instead of a role
    # The VPC endpoint each service is reached through, by IAM service prefix ("s3", "cloudwatch"); a
    # service missing here is reached over its public endpoint.
    network: tuple[tuple[str, str], ...] = ()

    def endpoint(self, permission: Permission) -> str | None:
        """The VPC endpoint ``permission``'s request goes through, or None (public endpoint, or a request a
        service makes on the principal's behalf)."""
        if "kms:ViaService" in permission.conditions:
            return None
        return dict(self.network).get(permission.action.split(":", 1)[0])

    def context(self, region: str, permission: Permission) -> dict[str, str]:
        """Global condition keys this principal's request carries (the SDKs call AWS over TLS)."""
        endpoint = self.endpoint(permission)
        return {
            "aws:SecureTransport": "true",
            "aws:PrincipalArn": self.arn,
            "aws:PrincipalAccount": self.account,
            "aws:RequestedRegion": region,
        } | ({"aws:SourceVpce": endpoint} if endpoint else {})


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


@cache
def _pattern(text: str, ignore_case: bool) -> re.Pattern[str]:
    if "${" in text:
        raise UnsupportedPolicy(f"policy variable in {text!r}: not evaluated here")
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in text)
    return re.compile(f"^{body}$", re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


def matches(pattern: str, value: str, ignore_case: bool = False) -> bool:
    """IAM's wildcard match: ``*`` any run of characters, ``?`` one character."""
    return _pattern(pattern, ignore_case).match(value) is not None


# --------------------------------------------------------------------------------------------------
# Conditions (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html)


def _string_equals(expected: str, actual: str) -> bool:
    return expected == actual


def _string_like(expected: str, actual: str) -> bool:
    return matches(expected, actual)


def _bool(expected: str, actual: str) -> bool:
    return str(expected).lower() == str(actual).lower()


OPERATORS: dict[str, Callable[[str, str], bool]] = {
    "StringEquals": _string_equals,
    "StringEqualsIgnoreCase": lambda e, a: e.lower() == a.lower(),
    "StringLike": _string_like,
    "ArnEquals": _string_equals,
    "ArnLike": _string_like,
    "Bool": _bool,
}
NEGATED = {
    "StringNotEquals": "StringEquals",
    "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
    "StringNotLike": "StringLike",
    "ArnNotEquals": "ArnEquals",
    "ArnNotLike": "ArnLike",
}


def _condition_holds(operator: str, key: str, expected: Any, context: dict[str, str]) -> bool:
    if operator.startswith(("ForAnyValue:", "ForAllValues:")):
        raise UnsupportedPolicy(f"set operator {operator} on {key}: not evaluated here")
    if_exists = operator.endswith("IfExists")
    base = operator.removesuffix("IfExists")
    if base not in OPERATORS and base not in NEGATED and base != "Null":
        raise UnsupportedPolicy(f"condition operator {operator} ({CONDITION_OPERATORS_PAGE}): not evaluated here")
    present = key in context
    if base == "Null":
        return (not present) == _bool(_as_list(expected)[0], "true")
    if not present:
        # "If the key that you specify in a policy condition is not present in the request context, the
        # values do not match and the condition is false"; true for a negated operator and for ...IfExists.
        return if_exists or base in NEGATED
    values = [str(v) for v in _as_list(expected)]
    if base in NEGATED:
        test = OPERATORS[NEGATED[base]]
        return not any(test(v, context[key]) for v in values)
    return any(OPERATORS[base](v, context[key]) for v in values)


def conditions_hold(statement: dict[str, Any], context: dict[str, str]) -> bool:
    return all(
        _condition_holds(operator, key, expected, context)
        for operator, tests in statement.get("Condition", {}).items()
        for key, expected in tests.items()
    )


# --------------------------------------------------------------------------------------------------
# Statements


def _action_matches(statement: dict[str, Any], action: str) -> bool:
    if "NotAction" in statement:
        return not any(matches(p, action, ignore_case=True) for p in _as_list(statement["NotAction"]))
    return any(matches(p, action, ignore_case=True) for p in _as_list(statement.get("Action", [])))


def _resource_matches(statement: dict[str, Any], resource: str) -> bool:
    if "NotResource" in statement:
        return not any(matches(p, resource) for p in _as_list(statement["NotResource"]))
    return any(matches(p, resource) for p in _as_list(statement.get("Resource", [])))


def _principal(statement: dict[str, Any], principal: Principal) -> str | None:
    """How a statement names ``principal``: "direct" (its ARN, its service, ``*``; an identity policy's
    statements, which name nobody, are the principal's own), "account" (its account, which hands the
    decision to the account's IAM policies), or None."""
    if "NotPrincipal" in statement:
        raise UnsupportedPolicy("NotPrincipal: not evaluated here")
    named = statement.get("Principal")
    if named is None or named == "*":
        return "direct"
    if principal.service is not None:
        return "direct" if principal.service in _as_list(named.get("Service", [])) else None
    values = _as_list(named.get("AWS", []))
    if "*" in values or principal.arn in values:
        return "direct"
    if principal.account in values or f"arn:aws:iam::{principal.account}:root" in values:
        return "account"
    return None


def _where(policy: Policy, statement: dict[str, Any]) -> str:
    return f"{policy.name}#{statement.get('Sid', '(no Sid)')}"


def _effects(
    policies: Iterable[Policy], permission: Permission, principal: Principal, context: dict[str, str]
) -> dict[tuple[str, str], list[str]]:
    """(effect, how the principal is named) -> the statements that apply."""
    found: dict[tuple[str, str], list[str]] = {}
    for policy in policies:
        for statement in policy.statements():
            how = _principal(statement, principal)
            if (
                how is not None
                and _action_matches(statement, permission.action)
                and _resource_matches(statement, permission.resource)
                and conditions_hold(statement, context)
            ):
                found.setdefault((statement["Effect"], how), []).append(_where(policy, statement))
    return found


def decide(
    principal: Principal,
    permission: Permission,
    resource_policy: Policy | None = None,
    *,
    key_policy: bool = False,
    region: str = "eu-west-1",
    endpoint_policy: Policy | None = None,
) -> Decision:
    """May ``principal`` do ``permission``? ``resource_policy``: the bucket or key policy of the resource;
    ``endpoint_policy``: the policy of the VPC endpoint the request goes through (``principal.endpoint``),
    None for an endpoint without one (full access)."""
    context = principal.context(region, permission) | permission.conditions
    identity = _effects(principal.policies, permission, principal, context)
    resource = _effects([resource_policy] if resource_policy is not None else [], permission, principal, context)
    endpoint = _effects([endpoint_policy] if endpoint_policy is not None else [], permission, principal, context)
    denies = [
        w
        for found in (identity, resource, endpoint)
        for (effect, _), where in found.items()
        if effect == "Deny"
        for w in where
    ]
    if denies:
        return Decision(False, f"explicitly denied by {', '.join(denies)}")
    if endpoint_policy is not None and not endpoint.get(("Allow", "direct")):
        return Decision(False, f"the policy of endpoint {principal.endpoint(permission)} does not allow it")
    identity_allows = identity.get(("Allow", "direct"), [])
    if key_policy:
        if resource_policy is None:
            return Decision(False, "no key policy: a KMS key without one allows nobody")
        if resource.get(("Allow", "direct")):
            return Decision(True, f"allowed by the key policy: {', '.join(resource[('Allow', 'direct')])}")
        if not resource.get(("Allow", "account")):
            return Decision(False, "the key policy neither allows the principal nor lets IAM policies decide")
        if identity_allows:
            return Decision(True, f"allowed by {', '.join(identity_allows)} (the key policy lets IAM decide)")
        return Decision(False, "no identity policy allows it (the key policy lets IAM decide)")
    # A resource policy naming the account only hands the decision to the account's IAM policies.
    allows = identity_allows + resource.get(("Allow", "direct"), [])
    if allows:
        return Decision(True, f"allowed by {', '.join(allows)}")
    return Decision(False, "no statement allows it (implicit deny)")


def denied(
    principal: Principal,
    permissions: Sequence[Permission],
    resource_policy_of: Callable[[Permission], tuple[Policy | None, bool]],
    region: str,
) -> list[tuple[Permission, Decision]]:
    """The permissions of ``permissions`` that ``principal`` is not allowed, with the reason."""
    out = []
    for permission in permissions:
        policy, is_key = resource_policy_of(permission)
        decision = decide(principal, permission, policy, key_policy=is_key, region=region)
        if not decision.allowed:
            out.append((permission, decision))
    return out
