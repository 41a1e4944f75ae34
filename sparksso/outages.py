"""When a backend goes away: every request that meets a dead database or cache answers 503, never 500.

One place decides (docs/operations.md, "When a backend goes away"): a lost database connection
(``django.db.OperationalError``/``InterfaceError``: a restart, a refused connection, a dropped
socket) or a cache server that does not answer (the Redis client's ``ConnectionError`` and
``TimeoutError``) becomes ``503 Service Unavailable`` with ``Retry-After``, one log line without a
traceback, and no event (nothing is written while a backend is gone). A plain page for browsers;
SCIM answers its own error body through the hook below (``sparksso`` knows nothing of SCIM).

Two entry points, both public API: ``BackendOutageMiddleware.process_exception`` for what a view
raises (almost everything), and ``server_error`` (``handler500``) for what a middleware raises after
the view (the session save, the ACS commit), where the exception is the one being handled
(``sys.exc_info()``). ``OutageTracebackFilter`` keeps Django's own "Service Unavailable" log line
for the latter to one line.
"""

import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.views import defaults

logger = logging.getLogger(__name__)

# A database restart or a Redis restart takes seconds: clients (JumpCloud, browsers) try again then.
RETRY_AFTER_SECONDS = 5
MSG_PAGE_HEADING = "Temporarily unavailable"
MSG_PAGE = "sparksso cannot reach its database or cache just now. Try again in a few seconds."
LOG_LINE = "backend unavailable: %s (%s) on %s %s: answered 503"


@dataclass(frozen=True)
class OutageAnswer:
    """How requests under ``prefix`` answer an outage (a higher layer's error format)."""

    prefix: str
    respond: Callable[[int], HttpResponse]  # Retry-After seconds -> the whole 503 response


_answers: list[OutageAnswer] = []


def outage_answer_register(answer: OutageAnswer) -> None:
    """A layer with its own error format (SCIM) registers it in ``AppConfig.ready()``."""
    if answer not in _answers:
        _answers.append(answer)


@cache
def outage_errors() -> tuple[type[BaseException], ...]:
    """What a backend outage raises: Django's database errors for a lost or refused connection, and
    the Redis client's (when installed) for a cache that refuses, drops or times out."""
    errors: list[type[BaseException]] = [OperationalError, InterfaceError]
    try:
        from redis.exceptions import ConnectionError as RedisConnectionError
        from redis.exceptions import TimeoutError as RedisTimeoutError
    except ImportError:
        pass
    else:
        errors += [RedisConnectionError, RedisTimeoutError]
    return tuple(errors)


def is_outage(exc: BaseException | None) -> bool:
    return isinstance(exc, outage_errors())


def _backend(exc: BaseException) -> str:
    return "database" if isinstance(exc, (OperationalError, InterfaceError)) else "cache"


def _one_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {' '.join(lines[0].split()) if lines else ''}"[:200]


def outage_response(request: HttpRequest, exc: BaseException) -> HttpResponse:
    """The 503 for ``exc``, logged as one line (no traceback: the cause is known and not a bug)."""
    logger.warning(
        LOG_LINE,
        _backend(exc),
        _one_line(exc),
        request.method,
        request.path,
        extra={"request_id": getattr(request, "request_id", ""), "method": request.method, "path": request.path},
    )
    for answer in _answers:
        if request.path == answer.prefix or request.path.startswith(answer.prefix.rstrip("/") + "/"):
            return answer.respond(RETRY_AFTER_SECONDS)
    # Rendered without the request: no context processor runs, so the page itself needs no backend.
    back = request.path if request.method in ("GET", "HEAD") else "/"
    content = render_to_string(
        "notice.html", {"heading": MSG_PAGE_HEADING, "message": MSG_PAGE, "back_url": back, "back_label": "Try again"}
    )
    response = HttpResponse(content, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


class BackendOutageMiddleware:
    """Turn a backend outage raised by a view into the 503 of ``outage_response``.

    A 5xx is never a committed sign-in: SignInTransactionMiddleware rolls the ACS back on it, and
    SessionMiddleware saves no session for it.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if is_outage(exception):
            return outage_response(request, exception)
        return None


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: an outage raised outside a view (a middleware's session save or commit) is a 503
    too; anything else is Django's own 500 page."""
    exc = sys.exc_info()[1]
    if is_outage(exc):
        return outage_response(request, exc)
    return defaults.server_error(request)


class OutageTracebackFilter(logging.Filter):
    """Drop the traceback from a log record about an outage (Django logs a handled exception's
    response with it); the record itself stays, one line. Any other traceback is kept."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and is_outage(record.exc_info[1]):
            record.exc_info = None
            record.exc_text = None
        return True
