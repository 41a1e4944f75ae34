"""One view for every measured call: the kind of call picks sparksso's recorded reply."""

import base64
import json
import os

from django.http import HttpResponse
from django.urls import re_path

_replies: dict[str, dict] = {}


def _reply(kind: str) -> dict:
    """The recorded reply of ``kind``; the file is read again only for a kind not yet seen."""
    if kind not in _replies:
        with open(os.environ["FLOOR_RESPONSES"]) as f:
            _replies.update(json.load(f))
    return _replies[kind]


def kind_of(method: str, path: str, query: dict) -> str:
    if method == "POST":
        return "sign_in" if path.endswith("/consume") else "post"
    return "username_eq" if "filter" in query else "page_middle"


def answer(request, path: str = ""):
    request.body  # noqa: B018  (received in full, as every server does)
    recorded = _reply(kind_of(request.method, request.path, request.GET))
    response = HttpResponse(base64.b64decode(recorded["body"]), status=recorded["status"])
    for name, value in recorded["headers"].items():
        response[name] = value
    return response


urlpatterns = [re_path(r"^(?P<path>.*)$", answer)]
