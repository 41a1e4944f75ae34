"""The SCIM request log: a create, a failed PATCH and a 401 with the right fields and no secret anywhere
in the stored row; the schema's never-returned attributes removed; the size cap, retention and the queue."""

import io
import json
import threading
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.forms.models import model_to_dict
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import Event
from scim import request_log
from scim.models import ScimRequestLog
from scim.request_log import request_log_flush
from scim.request_log_redact import BODY_CAP_BYTES, REDACTED, TOKEN_REMOVED, never_returned, redact
from sparksso import clock

from .conftest import BASE, GROUP_SCHEMA, USER_SCHEMA, error, patch_body

PASSWORD = "Sup3r-secret-pa55word"


def _row_text(row: ScimRequestLog) -> str:
    """Every stored value of the row, as one text: what a leak would have to hide from."""
    return json.dumps(model_to_dict(row), default=str)


def _only_row() -> ScimRequestLog:
    request_log_flush()
    [row] = ScimRequestLog.objects.all()
    return row


def test_a_create_is_logged_with_its_fields_and_without_the_password(scim):
    response = scim.post("/Users", {"schemas": [USER_SCHEMA], "userName": "alice@example.com", "password": PASSWORD})
    assert response.status_code == 201
    assert ScimRequestLog.objects.count() == 0  # the request wrote nothing: the queue does, later

    row = _only_row()
    assert (row.account, row.sso_group, row.method, row.path, row.status) == (
        scim.account, scim.group, "POST", f"{BASE}/Users", 201)  # fmt: skip
    assert (row.token_prefix, row.user_name, row.ip) == (scim.token_obj.prefix, "alice@example.com", "127.0.0.1")
    assert row.request_id == response["X-Request-ID"]
    assert row.duration_ms > 0
    assert json.loads(row.request_body) == {"schemas": [USER_SCHEMA], "userName": "alice@example.com",
                                            "password": REDACTED}  # fmt: skip
    assert json.loads(row.response_body) == response.json()
    assert row.request_headers == {"Content-Type": "application/scim+json"}
    assert (row.request_note, row.response_note) == ("", "")
    text = _row_text(row)
    assert PASSWORD not in text and scim.token not in text and scim.token[len(scim.token_obj.prefix) :] not in text
    # The event it caused is found by the request id the row keeps.
    assert Event.objects.get(request_id=row.request_id).event == "user_create_provision"


def test_a_failed_patch_is_logged_with_its_error_and_failure_event(scim):
    user = scim.create_user("bob@example.com")
    request_log_flush()
    ScimRequestLog.objects.all().delete()
    body = patch_body(
        {"op": "replace", "path": "password", "value": PASSWORD},
        {"op": "replace", "value": {"password": PASSWORD, "active": "maybe"}},
    )
    response = scim.patch(f"/Users/{user['id']}", body, HTTP_USER_AGENT="Okta SCIM Client 1.0.0")
    assert response.status_code == 400

    row = _only_row()
    assert (row.method, row.path, row.status, row.sso_group) == ("PATCH", f"{BASE}/Users/{user['id']}", 400, scim.group)
    assert row.user_name == ""  # a PATCH names no userName; the path's id says whom
    assert json.loads(row.request_body)["Operations"] == [
        {"op": "replace", "path": "password", "value": REDACTED},
        {"op": "replace", "value": {"password": REDACTED, "active": "maybe"}},
    ]
    assert json.loads(row.response_body) == response.json()
    assert json.loads(row.response_body)["status"] == "400"
    assert row.request_headers["User-Agent"] == "Okta SCIM Client 1.0.0"
    assert PASSWORD not in _row_text(row) and scim.token not in _row_text(row)
    failure = Event.objects.get(request_id=row.request_id)
    assert (failure.event, failure.outcome) == ("user_update_provision", Event.Outcome.FAILURE)


@pytest.mark.parametrize("header", ["Bearer sso_scim_AAAAnot-a-real-token-at-all", "Bearer", "Basic dXNlcjpwYXNz"])
def test_a_401_is_logged_for_the_operator_only_without_token_or_body(scim, header):
    response = Client().post(
        BASE + "/Users",
        json.dumps({"userName": "mallory@example.com", "password": PASSWORD}),
        content_type="application/scim+json",
        HTTP_AUTHORIZATION=header,
    )
    assert response.status_code == 401

    row = _only_row()
    # No tenant: nothing a refused token says may attribute traffic to an account or group.
    assert (row.account, row.sso_group, row.token_prefix, row.status, row.method) == (None, None, "", 401, "POST")
    assert (row.request_body, row.request_note) == ("", request_log.NOTE_REFUSED)
    assert json.loads(row.response_body) == response.json()
    text = _row_text(row)
    assert PASSWORD not in text and "sso_scim_" not in text and "dXNlcjpwYXNz" not in text


def test_a_valid_token_of_a_disabled_group_is_logged_in_that_group(scim):
    scim.group.enabled = False
    scim.group.save()
    assert scim.get("/Users").status_code == 401
    row = _only_row()
    assert (row.sso_group, row.token_prefix, row.status) == (scim.group, scim.token_obj.prefix, 401)


def test_lookups_write_nothing_themselves_and_the_filter_names_the_user(scim):
    scim.create_user("carol@example.com")
    request_log_flush()
    ScimRequestLog.objects.all().delete()
    with CaptureQueriesContext(connection) as queries:
        response = scim.get("/Users", {"filter": 'userName eq "carol@example.com"'})
    assert response.json()["totalResults"] == 1
    assert not [q for q in queries.captured_queries if "scim_scimrequestlog" in q["sql"]]
    row = _only_row()
    assert (row.method, row.status, row.user_name) == ("GET", 200, "carol@example.com")
    assert row.path == f"{BASE}/Users?filter=userName+eq+%22carol%40example.com%22"


def test_the_log_can_be_turned_off(scim, settings):
    settings.SCIM_REQUEST_LOG = False
    scim.create_user("dave@example.com")
    assert request_log_flush() == 0
    assert not ScimRequestLog.objects.exists()


def test_never_returned_attributes_come_from_the_schemas():
    assert never_returned() == frozenset({("password",), ("members", "display")})
    group = {"schemas": [GROUP_SCHEMA], "displayName": "Ops", "members": [{"value": "1", "display": "Alice"}]}
    assert redact(group)["members"] == [{"value": "1", "display": REDACTED}]
    listing = {"Resources": [{"userName": "a", "emails": [{"value": "a@x", "display": "Work"}], "password": "p"}]}
    assert redact(listing) == {"Resources": [{"userName": "a", "emails": [{"value": "a@x", "display": "Work"}],
                                              "password": REDACTED}]}  # fmt: skip
    patch = {"Operations": [{"op": "add", "path": 'members[value eq "1"].display', "value": "x"},
                            {"op": "replace", "path": f"{USER_SCHEMA}:password", "value": "y"}]}  # fmt: skip
    assert [op["value"] for op in redact(patch)["Operations"]] == [REDACTED, REDACTED]
    assert redact({"externalId": "sso_scim_abcdefghijk"}) == {"externalId": TOKEN_REMOVED}


def test_a_body_that_is_not_json_is_kept_without_its_secrets(scim):
    raw = '{"userName": "eve@example.com", "password": "' + PASSWORD + '", '
    assert scim.post("/Users", raw=raw).status_code == 400
    row = _only_row()
    assert PASSWORD not in _row_text(row)
    assert f'"password": "{REDACTED}"' in row.request_body


def test_bodies_past_the_cap_are_cut_with_a_note(scim, make_user):
    for n in range(300):
        make_user(scim.account, f"user{n:03}-{'x' * 40}@example.com", sso_group=scim.group)
    response = scim.get("/Users", {"count": "300"})
    assert len(response.content) > BODY_CAP_BYTES
    row = _only_row()
    assert len(row.response_body.encode()) == BODY_CAP_BYTES
    assert row.response_note.startswith("Truncated: ") and str(BODY_CAP_BYTES) in row.response_note
    assert row.request_note == ""


def test_prune_deletes_rows_past_retention(scim, settings, monkeypatch):
    now = clock.now()
    for days in (31, 30, 29):
        monkeypatch.setattr(clock, "now", lambda days=days: now - timedelta(days=days, seconds=1))
        scim.get("/Users")
    monkeypatch.setattr(clock, "now", lambda: now)
    request_log_flush()
    assert ScimRequestLog.objects.count() == 3
    call_command("prune", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert sorted((now - t).days for t in ScimRequestLog.objects.values_list("time", flat=True)) == [29]
    settings.SCIM_LOG_RETENTION_DAYS = 0  # keeps every row
    call_command("prune", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert ScimRequestLog.objects.count() == 1


def test_a_full_queue_drops_entries_instead_of_waiting(scim, monkeypatch):
    monkeypatch.setattr(request_log, "QUEUE_SIZE", 2)
    monkeypatch.setattr(request_log, "_writer", request_log._Writer())
    request_log.request_log_background_set(False)
    for _ in range(4):
        assert scim.get("/Users").status_code == 200
    assert request_log._writer.dropped == 2
    assert request_log_flush() == 2


@pytest.mark.django_db(transaction=True)
def test_the_writer_thread_writes_the_rows_without_the_request(make_scim):
    scim = make_scim()
    writer = request_log._Writer()
    written = threading.Event()
    write = writer.write

    def write_and_tell(batch):
        count = write(batch)
        written.set()
        return count

    writer.write = write_and_tell
    request_log.request_log_background_set(True)
    original = request_log._writer
    request_log._writer = writer
    try:
        assert scim.get("/Users").status_code == 200
        assert written.wait(timeout=30)
    finally:
        writer.background = False
        writer._thread.join(timeout=30)
        request_log._writer = original
    assert ScimRequestLog.objects.get().status == 200


def test_a_row_whose_group_went_away_is_skipped(scim, make_scim):
    other = make_scim()
    scim.get("/Users")
    other.get("/Users")
    other.group.delete()
    assert request_log_flush() == 1
    assert ScimRequestLog.objects.get().sso_group == scim.group


def test_the_error_body_of_an_unknown_token_is_the_usual_one(scim):
    response = Client().get(BASE + "/Users", HTTP_AUTHORIZATION="Bearer nope")
    assert response.json() == error(401, response.json()["detail"])


def test_the_operator_reads_refused_requests_with_a_command(scim):
    Client().get(BASE + "/Users", HTTP_AUTHORIZATION="Bearer sso_scim_guessed")
    scim.get("/Users")
    request_log_flush()
    out = io.StringIO()
    call_command("scim_request_log", "--refused", stdout=out)
    [line] = out.getvalue().splitlines()
    row = json.loads(line)
    assert (row["status"], row["group"], row["token_prefix"], row["path"]) == (401, None, "", f"{BASE}/Users")
    out = io.StringIO()
    call_command("scim_request_log", "--account", str(scim.account.pk), stdout=out)
    [line] = out.getvalue().splitlines()
    assert (json.loads(line)["status"], json.loads(line)["group"]) == (200, scim.group.slug)
