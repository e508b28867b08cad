"""Record the AWS calls a piece of code makes, through botocore's event system.

``Recorder.attach(session_or_client)`` registers two handlers: ``before-parameter-build`` keeps the
request's API parameters, ``after-call`` (or ``after-call-error`` when no answer came) adds a ``Call``
with the HTTP status, the response headers and the parsed answer. Register on a boto3 Session before
creating its clients (each client copies the session's handlers when it is created), or on one client
(``client.meta.events``). Every API call is one ``Call``: a paginator's pages, a retried conflict and a
failed request each count (AWS authorizes a request before it answers, whatever the answer).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

_PARAMS = "aws_calls.params"
# API parameters that carry data, not anything an authorization decision reads.
_DATA_PARAMS = frozenset({"Body", "MetricData"})


@dataclass(frozen=True)
class Call:
    service: str  # botocore's hyphenized service id: "s3", "cloudwatch", "glue", "ssm", "athena", "sts"
    operation: str  # the API operation: "GetObject", "PutMetricData", ...
    params: dict[str, Any]
    region: str
    status: int | None = None  # HTTP status of the answer; None when none came (connection error)
    headers: dict[str, str] = field(default_factory=dict)  # response headers, lower-case names
    response: dict[str, Any] = field(default_factory=dict)  # parsed answer without the body stream

    @property
    def succeeded(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    def label(self) -> str:
        return f"{self.service}.{self.operation}"


class Recorder:
    def __init__(self) -> None:
        self.calls: list[Call] = []

    def attach(self, target: Any) -> Any:
        """Record every call made through ``target`` (a boto3 Session or a client); returns ``target``."""
        meta = getattr(target, "meta", None)
        events = meta.events if meta is not None and hasattr(meta, "events") else target.events
        uid = f"aws-calls-recorder-{id(self)}"
        events.register("before-parameter-build", self._params, unique_id=f"{uid}-params")
        events.register("after-call", self._answered, unique_id=f"{uid}-answer")
        events.register("after-call-error", self._unanswered, unique_id=f"{uid}-error")
        return target

    def _params(self, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context[_PARAMS] = {k: ("<data>" if k in _DATA_PARAMS else v) for k, v in params.items()}

    def _answered(
        self, http_response: Any, parsed: dict[str, Any], model: Any, context: dict[str, Any], **_: Any
    ) -> None:
        headers = {str(k).lower(): str(v) for k, v in (getattr(http_response, "headers", None) or {}).items()}
        response = {k: v for k, v in (parsed or {}).items() if k not in ("Body", "ResponseMetadata")}
        self.calls.append(
            Call(
                model.service_model.service_id.hyphenize(),
                model.name,
                context.get(_PARAMS, {}),
                str(context.get("client_region")),
                int(http_response.status_code),
                headers,
                response,
            )
        )

    def _unanswered(self, exception: Exception, context: dict[str, Any], event_name: str, **_: Any) -> None:
        _, service, operation = event_name.split(".", 2)
        self.calls.append(Call(service, operation, context.get(_PARAMS, {}), str(context.get("client_region"))))

    def clear(self) -> None:
        self.calls.clear()
