"""Failed ACS posts are limited per address and per group; claimed values never become the actor."""

import threading
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.cache import caches
from django.db import connection, connections
from django.test import Client

from accounts.models import Event, UserSession
from sparksso import clock
from ssogroups.models import SSOLoginFailure
from ssogroups.saml.views import MSG_FAILED, MSG_THROTTLED
from tests.ssogroups.saml.conftest import acs_post, session_json
from tests.ssogroups.saml.idp import sp_of

GARBAGE = "<not-saml"  # base64 of it is a malformed_xml refusal: cheap, and signs nobody in
FORGED_ISSUER = "https://evil.example/idp"


def post_from(group, address: str, xml: str = GARBAGE, client: Client | None = None):
    return acs_post(client or Client(REMOTE_ADDR=address), group, xml)


def written() -> tuple[int, int]:
    return SSOLoginFailure.objects.count(), Event.objects.count()


def assert_throttled(response) -> None:
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    body = response.content.decode()
    assert MSG_THROTTLED in body
    assert 'id="reference"' not in body  # no diagnostics row, so no reference to quote


def throttle_events(group) -> list[tuple]:
    return list(
        Event.objects.filter(event="sso_login_failure", reason="throttled").values_list(
            "account_id", "actor", "target", "changes"
        )
    )


@pytest.fixture(autouse=True)
def frozen(monkeypatch):
    """Pin our clock: a throttle window's boundary cannot fall mid-test (the IdP's responses stay valid)."""
    moment = clock.now()
    monkeypatch.setattr("sparksso.clock.now", lambda: moment)
    return moment


@pytest.fixture
def limits(settings):
    settings.SSO_ACS_FAILURE_LIMIT = 3
    settings.SSO_ACS_GROUP_FAILURE_LIMIT = 100
    settings.SSO_ACS_FAILURE_WINDOW_SECONDS = 300
    return settings


def test_an_address_past_its_limit_is_refused_unread_with_one_event(limits, idp, group, alice, monkeypatch):
    start = clock.now()  # frozen: the IdP's responses stay valid, the window's end is ours to choose
    window_left = 300 - int(start.timestamp()) % 300
    monkeypatch.setattr("sparksso.clock.now", lambda: start)
    for _ in range(3):
        assert post_from(group, "203.0.113.7").status_code == 400
    assert SSOLoginFailure.objects.filter(reason="malformed_xml").count() == 3
    before = written()

    first = post_from(group, "203.0.113.7")
    assert_throttled(first)
    assert first["Retry-After"] == str(window_left)
    assert written() == (before[0], before[1] + 1)
    assert throttle_events(group) == [(group.account_id, "anonymous", "", {"group": group.slug, "limit": "address"})]

    # Even a valid response from that address waits: it is not read at all.
    valid = Client(REMOTE_ADDR="203.0.113.7")
    assert_throttled(acs_post(valid, group, idp.response(sp_of(group), name_id="alice@example.com")))
    assert session_json(valid).status_code == 401
    assert written() == (before[0], before[1] + 1)
    assert UserSession.objects.count() == 0

    # Another address is not affected.
    other = Client(REMOTE_ADDR="198.51.100.2")
    assert acs_post(other, group, idp.response(sp_of(group), name_id="alice@example.com")).status_code == 302

    # The window ends on our clock: failures are read and recorded again.
    monkeypatch.setattr("sparksso.clock.now", lambda: start + timedelta(seconds=window_left))
    again = post_from(group, "203.0.113.7")
    assert again.status_code == 400
    assert MSG_FAILED in again.content.decode()
    assert SSOLoginFailure.objects.filter(reason="malformed_xml").count() == 4


def test_test_sign_in_failures_count_against_the_acs_limits(limits, client, admin, group):
    """A pending test sign-in's RelayState is no way around the limits: past them, 429, no
    diagnostics row and one event for the window."""
    client.force_login(admin)
    started = client.post(f"/account/sso/{group.slug}/test-sign-in")
    relay = parse_qs(urlsplit(started["Location"]).query)["RelayState"][0]
    attacker = Client(REMOTE_ADDR="203.0.113.7")
    for _ in range(3):
        response = acs_post(attacker, group, GARBAGE, relay_state=relay)
        assert response.status_code == 302  # to the admin's report
        assert response["Location"].startswith(f"/account/sso/{group.slug}/test-sign-in/")
    # Each refused test is reported and evented as a test (never a diagnostics row), and counted.
    assert SSOLoginFailure.objects.count() == 0
    assert Event.objects.filter(event="sso_test_sign_in", outcome="failure").count() == 3
    before = written()
    for _ in range(5):
        assert_throttled(acs_post(attacker, group, GARBAGE, relay_state=relay))
    assert written() == (before[0], before[1] + 1)
    assert throttle_events(group) == [(group.account_id, "anonymous", "", {"group": group.slug, "limit": "address"})]


def test_a_group_past_its_limit_records_nothing_more_but_still_signs_in(settings, idp, group, alice):
    settings.SSO_ACS_FAILURE_LIMIT = 100
    settings.SSO_ACS_GROUP_FAILURE_LIMIT = 3
    for n in range(3):
        assert post_from(group, f"203.0.113.{n}").status_code == 400
    before = written()
    for n in range(3, 6):  # a distributed flood: every address new
        assert_throttled(post_from(group, f"203.0.113.{n}"))
    assert written() == (before[0], before[1] + 1)
    assert throttle_events(group) == [(group.account_id, "anonymous", "", {"group": group.slug, "limit": "group"})]

    valid = Client(REMOTE_ADDR="198.51.100.9")
    response = acs_post(valid, group, idp.response(sp_of(group), name_id="alice@example.com"))
    assert response.status_code == 302
    assert session_json(valid).json()["username"] == "alice@example.com"


def test_a_forged_issuer_is_stored_as_a_claim_never_as_the_actor(client, idp, group, alice):
    xml = idp.response(sp_of(group), name_id="admin@example.com", sign_assertion=False, sign_response=False)
    xml = xml.replace(idp.entity_id, FORGED_ISSUER)
    response = acs_post(client, group, xml)
    assert response.status_code == 403
    failure = SSOLoginFailure.objects.get()
    assert (failure.issuer, failure.name_id) == (FORGED_ISSUER, "admin@example.com")
    event = Event.objects.get(event="sso_login_failure")
    # The claimed NameID is the target only marked as claimed (searchable, never presented as a fact).
    assert (event.actor, event.target) == ("anonymous", "admin@example.com")
    assert event.changes == {
        "group": group.slug,
        "reference": failure.reference,
        "claimed_issuer": FORGED_ISSUER,
        "claimed_name_id": "admin@example.com",
        "target_claimed": True,
    }
    assert not Event.objects.filter(actor__in=[FORGED_ISSUER, "admin@example.com"]).exists()
    assert not Event.objects.filter(target="admin@example.com", changes__target_claimed__isnull=True).exists()


def test_the_failures_page_calls_them_claimed(client, admin, group):
    post_from(group, "203.0.113.7")
    client.force_login(admin)
    page = client.get(f"/account/sso/{group.slug}/failures").content.decode()
    assert "Claimed issuer" in page and "Claimed NameID" in page


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/x-www-form-urlencoded; charset=latin-1", b"SAMLResponse=caf\xe9"),
        ("application/x-www-form-urlencoded; charset=x-unknown-42", b"SAMLResponse=abc"),
        ("application/x-www-form-urlencoded", b"SAMLResponse=%FF%FEabc"),
    ],
)
def test_a_non_utf8_body_is_a_recorded_failure_without_a_traceback(client, group, caplog, content_type, body):
    url = f"/api/v1/users/saml/{group.account_id}/{group.slug}/consume"
    before = Event.objects.count()
    response = client.generic("POST", url, body, content_type=content_type)
    assert response.status_code == 400
    assert MSG_FAILED in response.content.decode()
    failure = SSOLoginFailure.objects.get()
    assert failure.reason == "form_encoding"
    assert failure.reference in response.content.decode()
    assert list(Event.objects.filter(event__startswith="sso_").values_list("event", "reason")) == [
        ("sso_login_failure", "form_encoding")
    ]
    assert Event.objects.count() == before + 1
    assert [r for r in caplog.records if r.exc_info] == []


@pytest.mark.postgres_only
@pytest.mark.parametrize("kind", ["db", "redis"])
@pytest.mark.django_db(transaction=True)
def test_concurrent_failures_record_exactly_the_limit(limits, group, kind):
    """Twelve garbage posts at once from one address, limit 3: three rows, one throttle event."""
    if connection.vendor != "postgresql":
        pytest.skip("concurrent requests write rows: SQLite locks the writers out, so there is no race to test")
    from tests.sparksso.conftest import CACHE_BACKENDS

    limits.CACHES = {"default": CACHE_BACKENDS[kind]()}
    caches["default"].clear()
    barrier = threading.Barrier(12)
    statuses: list = []

    def post() -> None:
        try:
            client = Client(REMOTE_ADDR="203.0.113.50")
            barrier.wait(timeout=20)
            statuses.append(post_from(group, "", client=client).status_code)
        except BaseException as exc:  # noqa: BLE001 - asserted below
            statuses.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=post) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(statuses) == [400] * 3 + [429] * 9
    assert SSOLoginFailure.objects.count() == 3
    assert Event.objects.filter(event="sso_login_failure", reason="malformed_xml").count() == 3
    assert len(throttle_events(group)) == 1
