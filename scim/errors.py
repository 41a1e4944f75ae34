"""The one SCIM exception type and the SCIM JSON responses (RFC 7644 §3.12)."""

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.http import HttpResponse

from scim.constants import CONTENT_TYPE, ERROR_SCHEMA, MSG_UNAVAILABLE


@dataclass(frozen=True)
class FailureEvent:
    """The event a failed SCIM operation records: its name and what it was aimed at."""

    name: str
    target: str


class ScimError(Exception):
    """Raised anywhere in the SCIM code; the view turns it into a SCIM error body.

    ``event``: the failure event to record, named by the operation the error ended
    (``failures_recorded_as``); an error raised outside any operation records none.
    """

    def __init__(
        self,
        status: int,
        detail: str,
        scim_type: str | None = None,
        headers: dict[str, str] | None = None,
        *,
        event: FailureEvent | None = None,
    ):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.scim_type = scim_type
        self.headers = headers or {}
        self.event = event

    @property
    def reason(self) -> str:
        """The failure event's reason: status, scimType and detail."""
        return " ".join(str(part) for part in (self.status, self.scim_type, self.detail) if part)

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"schemas": [ERROR_SCHEMA], "status": str(self.status), "detail": self.detail}
        if self.scim_type:
            body["scimType"] = self.scim_type
        return body


@contextmanager
def failures_recorded_as(name: str, target: str) -> Iterator[None]:
    """A SCIM error leaving the block carries the failure event ``name`` aimed at ``target``,
    unless an inner block already named one (the innermost operation knows best)."""
    try:
        yield
    except ScimError as error:
        if error.event is None:
            error.event = FailureEvent(name, target)
        raise


def scim_response(body: dict[str, Any] | None, *, status: int = 200, headers: dict[str, str] | None = None):
    """A response in application/scim+json; never cached (it may hold personal data)."""
    # ASCII-only JSON: a client's lone surrogate echoed in a detail can never break the encoding.
    content = b"" if body is None else json.dumps(body).encode()
    response = HttpResponse(content, status=status, content_type=CONTENT_TYPE if body is not None else None)
    if body is None:
        del response["Content-Type"]
    response["Cache-Control"] = "no-store"
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def error_response(error: ScimError):
    return scim_response(error.body(), status=error.status, headers=error.headers)


def outage_error_response(retry_after: int):
    """A backend outage under the SCIM base URL (sparksso.outages): a SCIM 503 body, never HTML."""
    return error_response(ScimError(503, MSG_UNAVAILABLE, headers={"Retry-After": str(retry_after)}))
