"""One log line per request (id, method, path, status, duration) and the same id in its events."""

import json
import logging
from io import StringIO

import pytest
from django.core.management import call_command

from accounts.models import Event
from sparksso.jsonlog import JsonFormatter
from tests.sparksso.production import production_run

SCIM = "/api/v1/users/scim/v2"
USER = "urn:ietf:params:scim:schemas:core:2.0:User"


@pytest.fixture
def request_log(caplog):
    caplog.set_level(logging.INFO, logger="sparksso.request")
    return lambda: [r for r in caplog.records if r.name == "sparksso.request"]


@pytest.fixture
def token(account, make_ssogroup):
    group = make_ssogroup(account, slug="jumpcloud")
    out = StringIO()
    call_command("scim_token_create", account=account.pk, group=group.slug, stdout=out)
    return out.getvalue().strip()


def test_request_line_carries_the_request_id_its_events_record(client, token, request_log):
    response = client.post(
        f"{SCIM}/Users",
        json.dumps({"schemas": [USER], "userName": "bjensen@example.com"}),
        content_type="application/scim+json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code == 201
    [record] = request_log()
    line = json.loads(JsonFormatter().format(record))
    assert line["request_id"] == response["X-Request-ID"]
    assert len(line["request_id"]) == 32
    assert (line["method"], line["path"], line["status"]) == ("POST", f"{SCIM}/Users", 201)
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert line["ip"] == "127.0.0.1"
    assert line["level"] == "INFO" and line["logger"] == "sparksso.request"
    event = Event.objects.get(event="user_create_provision")
    assert event.request_id == line["request_id"]


def test_secrets_never_reach_the_log(client, token, request_log, account):
    """Security-critical: bearer tokens, query strings and SAMLResponse bodies stay out of logs."""
    client.get(f"{SCIM}/Users", {"filter": 'userName eq "secret-filter"'}, HTTP_AUTHORIZATION=f"Bearer {token}")
    client.get(f"{SCIM}/Users", HTTP_AUTHORIZATION="Bearer sso_scim_not-a-real-token-but-secret")
    client.post(
        f"/api/v1/users/saml/{account.pk}/jumpcloud/consume", {"SAMLResponse": "PHNhbWxwOlJlc3BvbnNlIHNlY3JldA=="}
    )
    records = request_log()
    assert [(r.method, r.path, r.status) for r in records] == [
        ("GET", f"{SCIM}/Users", 200),
        ("GET", f"{SCIM}/Users", 401),
        ("POST", f"/api/v1/users/saml/{account.pk}/jumpcloud/consume", 400),
    ]
    text = "\n".join(JsonFormatter().format(r) for r in records)
    for secret in (token, "secret-filter", "filter=", "not-a-real-token", "Bearer", "PHNhbWxw"):
        assert secret not in text


def test_each_line_is_one_json_object_even_for_a_hostile_path(client, request_log, db):
    response = client.get("/no-such-page%0A%7B%22forged%22%3A1%7D")
    assert response.status_code == 404
    [record] = request_log()
    formatted = JsonFormatter().format(record)
    assert "\n" not in formatted
    assert json.loads(formatted)["path"] == '/no-such-page\n{"forged":1}'
    assert "\n" not in record.getMessage()  # the text format quotes the path too


def test_static_files_are_logged_too(client, request_log, db):
    response = client.get("/static/css/site.css")
    assert response.status_code == 200
    [record] = request_log()
    assert (record.path, record.status, record.request_id) == ("/static/css/site.css", 200, response["X-Request-ID"])


def test_production_writes_one_json_line_per_request(tmp_path):
    """The LOGGING settings: in production the request line reaches stderr as JSON, path only."""
    script = (
        "import django; django.setup(); from django.test import Client; "
        "r = Client(HTTP_HOST='sso.example.test').get('/healthz?token=hunter2'); print(r['X-Request-ID'])"
    )
    result = production_run(tmp_path, ["python", "-c", script])
    assert result.returncode == 0, result.stderr
    [line] = result.stderr.strip().splitlines()
    data = json.loads(line)
    assert data["request_id"] == result.stdout.strip()
    assert (data["method"], data["path"], data["status"]) == ("GET", "/healthz", 200)
    assert data["logger"] == "sparksso.request"
    assert "hunter2" not in line


def test_development_keeps_request_lines_out_of_the_console(tmp_path):
    script = (
        "import django; django.setup(); from django.test import Client; Client(HTTP_HOST='127.0.0.1').get('/healthz')"
    )
    result = production_run(
        tmp_path, ["python", "-c", script], SPARKSSO_MODE="development", BASE_URL="http://127.0.0.1:8000"
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
