"""The SAML peer: the plainest strict python3-saml SP, a bare WSGI app with in-memory state.

What python3-saml's own demos do on their ACS, and no more: ``OneLogin_Saml2_Auth`` in strict
mode with sparksso's own settings for the group (the same security flags, written to JSON by the
benchmark: ``PEER_SAML_SETTINGS``), a replay cache of assertion IDs and a session store that are
dicts in this process, a session cookie and a 302. No database, no framework, no audit event.
The settings object is built once, at start-up; the request's URL is the configured ACS URL
(as sparksso's is BASE_URL's), so both SPs accept the very same signed responses.

    gunicorn -k gthread -w 1 --chdir bench/peers saml_peer:application
"""

import json
import os
import secrets
import threading
import time
from urllib.parse import parse_qs, urlsplit

from onelogin.saml2.auth import OneLogin_Saml2_Auth
from onelogin.saml2.settings import OneLogin_Saml2_Settings

with open(os.environ["PEER_SAML_SETTINGS"]) as f:
    SETTINGS_DICT = json.load(f)
SETTINGS = OneLogin_Saml2_Settings(SETTINGS_DICT, sp_validation_only=True)
ACS = urlsplit(SETTINGS_DICT["sp"]["assertionConsumerService"]["url"])
MAX_BODY = 256 * 1024

_lock = threading.Lock()
_seen: dict[str, float] = {}  # assertion ID -> when it can be forgotten
_sessions: dict[str, dict] = {}


def _respond(start_response, status: str, headers: list | None = None, body: bytes = b""):
    start_response(status, [("Content-Length", str(len(body))), *(headers or [])])
    return [body]


def application(environ, start_response):
    if environ.get("PATH_INFO") != ACS.path or environ["REQUEST_METHOD"] != "POST":
        return _respond(start_response, "404 Not Found")
    length = int(environ.get("CONTENT_LENGTH") or 0)
    if length > MAX_BODY:
        return _respond(start_response, "413 Payload Too Large")
    form = {k: v[0] for k, v in parse_qs(environ["wsgi.input"].read(length).decode()).items()}
    request_data = {
        "https": "on" if ACS.scheme == "https" else "off",
        "http_host": ACS.netloc,
        "script_name": "",
        "path_info": ACS.path,
        "get_data": {},
        "post_data": form,
    }
    auth = OneLogin_Saml2_Auth(request_data, SETTINGS)
    auth.process_response()
    if auth.get_errors() or not auth.is_authenticated():
        return _respond(start_response, "403 Forbidden", body=(auth.get_last_error_reason() or "").encode())
    assertion_id = auth.get_last_assertion_id()
    now = time.time()
    with _lock:
        if assertion_id in _seen:
            return _respond(start_response, "403 Forbidden", body=b"replayed assertion")
        _seen[assertion_id] = auth.get_last_assertion_not_on_or_after() or now + 3600
        sid = secrets.token_urlsafe(32)
        _sessions[sid] = {"name_id": auth.get_nameid(), "attributes": auth.get_attributes(), "at": now}
    target = form.get("RelayState") or "/"
    if not target.startswith("/") or target.startswith("//"):
        target = "/"
    return _respond(
        start_response,
        "302 Found",
        [("Location", target), ("Set-Cookie", f"sid={sid}; HttpOnly; SameSite=Lax; Path=/")],
    )
