"""The frame every SCIM endpoint runs in: size limit, bearer auth, method check, JSON body, errors."""

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from accounts.events import event_record
from accounts.models import Event
from scim import request_log
from scim.auth import token_admit, token_identify
from scim.constants import (
    ACCEPTED_CONTENT_TYPES,
    INVALID_SYNTAX,
    MAX_BODY_BYTES,
    MSG_BAD_JSON,
    MSG_BODY_TOO_LARGE,
    MSG_CONTENT_TYPE,
    MSG_METHOD,
)
from scim.errors import ScimError, error_response
from scim.models import ScimToken
from scim.tokens import token_actor

WRITE_METHODS = ("POST", "PUT", "PATCH")


@dataclass(frozen=True)
class ScimRequest:
    """An authenticated SCIM request: the HTTP request, the token it carries, its JSON body (writes)."""

    request: HttpRequest
    token: ScimToken
    body: Any = None


def _read_json(request: HttpRequest) -> Any:
    content_type = (request.content_type or "").lower()
    if content_type and content_type not in ACCEPTED_CONTENT_TYPES:
        raise ScimError(415, MSG_CONTENT_TYPE, INVALID_SYNTAX)
    try:
        raw = request.body
    except RequestDataTooBig:  # no Content-Length (chunked) and larger than Django will buffer
        raise ScimError(413, MSG_BODY_TOO_LARGE) from None
    if len(raw) > MAX_BODY_BYTES:
        raise ScimError(413, MSG_BODY_TOO_LARGE)
    try:
        return json.loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ScimError(400, MSG_BAD_JSON.format(error=str(exc)[:200]), INVALID_SYNTAX) from exc
    except RecursionError as exc:
        raise ScimError(400, MSG_BAD_JSON.format(error="nested too deeply"), INVALID_SYNTAX) from exc


def _printable(text: str) -> str:
    """Client-supplied text for an event: no NUL (PostgreSQL refuses it), no lone surrogates."""
    return text.replace("\x00", "\ufffd").encode("utf-8", "replace").decode("utf-8")


def _check_size(request: HttpRequest) -> None:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise ScimError(400, "Invalid Content-Length header.", INVALID_SYNTAX) from None
    if length > MAX_BODY_BYTES:
        raise ScimError(413, MSG_BODY_TOO_LARGE)


def _answer(
    request: HttpRequest, handler: Callable[..., HttpResponse], methods: tuple[str, ...], kwargs: dict[str, Any]
) -> tuple[ScimToken | None, HttpResponse]:
    """The token the request carried (None when refused) and the answer: every failure a SCIM error body."""
    token = None
    try:
        _check_size(request)
        token = token_identify(request)
        token_admit(request, token)
        if request.method not in methods:
            raise ScimError(
                405,
                MSG_METHOD.format(method=request.method, path=request.path),
                headers={"Allow": ", ".join(methods)},
            )
        body = _read_json(request) if request.method in WRITE_METHODS else None
        return token, handler(ScimRequest(request=request, token=token, body=body), **kwargs)
    except ScimError as error:
        if token is not None and error.event is not None:
            event_record(
                account=token.account,
                event=error.event.name,
                actor=token_actor(token),
                target=_printable(error.event.target),
                outcome=Event.Outcome.FAILURE,
                reason=_printable(error.reason),
                request=request,
            )
        return token, error_response(error)


def scim_endpoint(*methods: str) -> Callable:
    """Wrap a view ``(scim_request, **kwargs) -> HttpResponse``; every failure becomes a SCIM error body,
    and one that carries a failure event (``scim.errors.failures_recorded_as``) records it."""

    def decorator(handler: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @csrf_exempt
        @wraps(handler)
        def view(request: HttpRequest, **kwargs: Any) -> HttpResponse:
            started = time.perf_counter()
            token, response = _answer(request, handler, methods, kwargs)
            request_log.capture(request=request, token=token, response=response, started=started)
            return response

        return view

    return decorator
