"""The frame every SCIM endpoint runs in: size limit, bearer auth, method check, JSON body, errors."""

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from accounts.events import event_record
from accounts.models import Event
from scim.auth import authenticate
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


@dataclass
class Call:
    request: HttpRequest
    token: ScimToken
    body: Any = None
    failure_event: str = ""  # recorded, with the reason, when the call ends in a SCIM error
    target: str = ""


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


def scim_endpoint(*methods: str) -> Callable:
    """Wrap a handler ``(call, **kwargs) -> HttpResponse``; every failure becomes a SCIM error body."""

    def decorator(handler: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @csrf_exempt
        @wraps(handler)
        def view(request: HttpRequest, **kwargs: Any) -> HttpResponse:
            call = None
            try:
                _check_size(request)
                token = authenticate(request)
                call = Call(request=request, token=token)
                if request.method not in methods:
                    raise ScimError(
                        405,
                        MSG_METHOD.format(method=request.method, path=request.path),
                        headers={"Allow": ", ".join(methods)},
                    )
                if request.method in WRITE_METHODS:
                    call.body = _read_json(request)
                return handler(call, **kwargs)
            except ScimError as error:
                if call is not None and call.failure_event:
                    event_record(
                        account=call.token.account,
                        event=call.failure_event,
                        actor=token_actor(call.token),
                        target=_printable(call.target),
                        outcome=Event.Outcome.FAILURE,
                        reason=_printable(f"{error.status} {error.scim_type or ''} {error.detail}".replace("  ", " ")),
                        request=request,
                    )
                return error_response(error)

        return view

    return decorator
