"""Form bodies that are not UTF-8 get the app's page with a reason (400), no traceback, no write."""

import pytest

from accounts.login_throttle import failure_target
from accounts.models import Event, User
from scim.models import ScimToken
from sparksso.encoding import MSG_FORM_ENCODING

URLENCODED = "application/x-www-form-urlencoded"
BAD_BODIES = [
    pytest.param(f"{URLENCODED}; charset=latin-1", b"identifier=caf\xe9&password=x", id="latin-1"),
    pytest.param(f"{URLENCODED}; charset=x-unknown-42", b"identifier=abc&password=x", id="unknown-charset"),
    pytest.param(URLENCODED, b"identifier=al%FFice&password=x", id="invalid-utf8-escaped"),
    pytest.param(f"{URLENCODED}; charset=utf-8", b"identifier=al\xffice&password=x", id="invalid-utf8-raw"),
    pytest.param("multipart/form-data; boundary=x; charset=utf-16", b"--x--", id="multipart-utf16"),
]


def written() -> tuple[int, int, int]:
    return Event.objects.count(), User.objects.count(), ScimToken.objects.count()


def assert_unreadable(response, caplog) -> None:
    assert response.status_code == 400
    assert MSG_FORM_ENCODING in response.content.decode()
    assert "<h1>Could not read the form</h1>" in response.content.decode()
    assert [r for r in caplog.records if r.exc_info] == []  # one warning line, no traceback


@pytest.mark.parametrize(("content_type", "body"), BAD_BODIES)
def test_login_form(client, admin, caplog, content_type, body):
    before = written()
    assert_unreadable(client.generic("POST", "/login", body, content_type=content_type), caplog)
    assert written() == before
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize(("content_type", "body"), BAD_BODIES)
@pytest.mark.parametrize("path", ["/account/users/", "/account/settings/scim-tokens/", "/account/sso/new"])
def test_admin_forms(client, admin, caplog, path, content_type, body):
    client.force_login(admin)
    before = written()
    assert_unreadable(client.generic("POST", path, body, content_type=content_type), caplog)
    assert written() == before


def test_utf8_forms_are_read_as_usual(client, admin):
    response = client.post("/login", {"identifier": "zoë@example.com", "password": "wrong"})
    assert response.status_code == 401
    # Read as UTF-8: the digest recorded for this (unknown) identifier is the one of "zoë".
    target = failure_target("zoë@example.com", known=False)
    assert Event.objects.filter(event="password_login_failure", target=target).count() == 1
