"""Refuse form bodies that are not UTF-8 with the app's own page, before anything reads them.

Why: Django raises BadRequest (generic 400 page, a logged traceback) for a declared non-UTF-8
charset, and silently replaces invalid bytes with U+FFFD otherwise, so ``al\\xffice`` would be
looked up as a different name. Every form here is UTF-8; anything else is refused with a reason.
"""

import codecs
import logging
from collections.abc import Callable
from urllib.parse import unquote_to_bytes

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

logger = logging.getLogger(__name__)

URLENCODED = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"
MSG_FORM_ENCODING = (
    "This form arrived in a character encoding other than UTF-8, so it could not be read. "
    "Reload the page and send it again."
)


def form_body_error(request: HttpRequest) -> str | None:
    """Why the request's form body is not UTF-8 (for logs and diagnostics), or None when it is."""
    if request.method not in ("POST", "PUT", "PATCH") or request.content_type not in (URLENCODED, MULTIPART):
        return None
    charset = request.content_params.get("charset")
    if charset is not None:
        try:
            name = codecs.lookup(charset).name
        except LookupError:
            return f"unknown charset {charset[:40]!r}"
        if name != "utf-8":
            return f"charset {charset[:40]!r} is not UTF-8"
    if request.content_type != URLENCODED:
        return None  # multipart parts: Django reads them in the declared (checked) charset
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return None
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if limit is not None and length > limit:
        return None  # too big to read here: the view's own size check answers
    try:
        unquote_to_bytes(request.body.replace(b"+", b" ")).decode("utf-8")
    except UnicodeDecodeError:
        return "the form body is not valid UTF-8"
    return None


def reads_own_form_encoding(view: Callable) -> Callable:
    """Mark a view that checks ``form_body_error`` itself (the ACS records it as a sign-in failure)."""
    view.reads_own_form_encoding = True
    return view


class FormEncodingMiddleware:
    """Answer a non-UTF-8 form body with a 400 page that says why; runs before CSRF reads the body."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs) -> HttpResponse | None:
        if getattr(view_func, "reads_own_form_encoding", False):
            return None
        error = form_body_error(request)
        if error is None:
            return None
        logger.warning("Unreadable form body refused: path=%s reason=%s", request.path, error)
        return render(request, "bad_request.html", {"message": MSG_FORM_ENCODING}, status=400)
