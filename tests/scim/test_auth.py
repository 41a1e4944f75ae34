"""Bearer authentication: 401s with WWW-Authenticate, revocation, rotation, throttling, no secrets at rest."""

import logging

import pytest
from django.test import Client

from accounts.models import Account, Event, User
from scim.models import ScimToken
from scim.tokens import scim_token_create, scim_token_revoke
from sparksso import clock
from sparksso.models import FailureCounter

from .conftest import BASE, USER_SCHEMA, error


@pytest.fixture(autouse=True)
def frozen(monkeypatch):
    """Pin our clock: a throttle window's boundary cannot fall mid-test."""
    moment = clock.now()
    monkeypatch.setattr("sparksso.clock.now", lambda: moment)
    return moment


PLAN_MESSAGE = (
    "SCIM provisioning is available on the Premier and Enterprise plans. Your account is on the Starter plan; "
    "upgrade it to connect an identity provider."
)


@pytest.mark.parametrize(
    ("header", "detail", "challenge"),
    [
        (None, "Authentication required: send 'Authorization: Bearer <SCIM token>'.", 'Bearer realm="SCIM"'),
        ("Basic dXNlcjpwYXNz", "Authentication required: send 'Authorization: Bearer <SCIM token>'.",
         'Bearer realm="SCIM"'),
        ("Bearer ", "Authentication required: send 'Authorization: Bearer <SCIM token>'.", 'Bearer realm="SCIM"'),
        ("Bearer sso_scim_not-a-real-token", "The SCIM token is unknown or has been revoked.",
         'Bearer realm="SCIM", error="invalid_token"'),
        ("Bearer " + "x" * 5000, "The SCIM token is unknown or has been revoked.",
         'Bearer realm="SCIM", error="invalid_token"'),
    ],
)  # fmt: skip
def test_missing_or_unknown_tokens_are_401(scim, header, detail, challenge):
    headers = {"HTTP_AUTHORIZATION": header} if header is not None else {}
    response = Client().post(f"{BASE}/Users", {"schemas": [USER_SCHEMA], "userName": "x"},
                             content_type="application/scim+json", **headers)  # fmt: skip
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == challenge
    assert response.json() == error(401, detail)
    assert not User.objects.filter(username="x").exists()
    failure = Event.objects.get(event="scim_auth_failure")
    assert (failure.account, failure.outcome, failure.actor, failure.target) == (None, "failure", "", "")


def test_revocation_is_effective_on_the_next_request_and_tokens_rotate(scim):
    new_token, new_plaintext = scim_token_create(account=scim.account, sso_group=scim.group, label="next",
                                                 created_by=None)  # fmt: skip
    assert scim.get("/Users").status_code == 200
    scim_token_revoke(token=scim.token_obj, actor="admin")

    assert scim.get("/Users").status_code == 401
    rotated = Client().get(f"{BASE}/Users", HTTP_AUTHORIZATION=f"Bearer {new_plaintext}")
    assert rotated.status_code == 200
    new_token.refresh_from_db()
    assert new_token.last_used_at is not None


def test_a_token_works_only_for_its_own_account_and_plan(scim):
    Account.objects.filter(pk=scim.account.pk).update(plan=Account.Plan.STARTER)
    response = scim.get("/Users")
    assert response.status_code == 403
    assert response.json() == error(
        403,
        PLAN_MESSAGE,
    )


def test_a_flood_of_bad_tokens_from_one_address_leaves_a_valid_token_at_200(scim, settings):
    settings.SCIM_AUTH_FAILURE_LIMIT = 3
    bad = Client()  # the same address as the IdP (127.0.0.1): as every client is behind one proxy
    for _ in range(3):
        assert bad.get(f"{BASE}/Users", HTTP_AUTHORIZATION="Bearer sso_scim_guess").status_code == 401
    before = (Event.objects.count(), ScimToken.objects.count())

    throttled = bad.get(f"{BASE}/Users", HTTP_AUTHORIZATION="Bearer sso_scim_guess")
    assert throttled.status_code == 429
    assert 0 < int(throttled["Retry-After"]) <= 300
    assert throttled.json() == error(429, "Too many failed authentication attempts. Try again later.")
    assert bad.get(f"{BASE}/Users", HTTP_AUTHORIZATION="Bearer sso_scim_guess2").status_code == 429
    # One event for the window's refusals, then nothing more.
    assert (Event.objects.count(), ScimToken.objects.count()) == (before[0] + 1, before[1])
    assert list(Event.objects.order_by("-pk").values_list("event", "actor", "reason")[:1]) == [
        ("scim_auth_failure", "", "throttled")
    ]

    assert scim.get("/Users").status_code == 200  # the valid token, same address: never throttled


def test_bad_tokens_with_a_valid_tokens_prefix_do_not_lock_it_out(scim, settings):
    """Failures also count per presented prefix (the visible sso_scim_XXXX), across addresses."""
    settings.SCIM_AUTH_FAILURE_LIMIT = 3
    forged = scim.token_obj.prefix + "forged-rest-of-token"
    for n in range(3):
        response = Client(REMOTE_ADDR=f"203.0.113.{n}").get(f"{BASE}/Users", HTTP_AUTHORIZATION=f"Bearer {forged}")
        assert response.status_code == 401
    fresh_address = Client(REMOTE_ADDR="198.51.100.1")
    assert fresh_address.get(f"{BASE}/Users", HTTP_AUTHORIZATION=f"Bearer {forged}").status_code == 429
    other_prefix = "sso_scim_ZZZZ-another"
    assert fresh_address.get(f"{BASE}/Users", HTTP_AUTHORIZATION=f"Bearer {other_prefix}").status_code == 401
    assert scim.get("/Users", REMOTE_ADDR="203.0.113.0").status_code == 200


def test_an_unknown_prefix_counts_per_address_only(scim, settings):
    """A made-up prefix mints no counter of its own: a flood of them cannot grow the table without end."""
    for n in range(5):
        response = Client(REMOTE_ADDR="203.0.113.9").get(
            f"{BASE}/Users", HTTP_AUTHORIZATION=f"Bearer sso_scim_{n:04d}x"
        )
        assert response.status_code == 401
    keys = list(FailureCounter.objects.values_list("key", "count"))
    assert keys == [("scim-auth-fail:ip:203.0.113.9", 5)]


def test_behind_trusted_proxies_each_client_counts_on_its_own(scim, settings):
    settings.SCIM_AUTH_FAILURE_LIMIT = 2
    settings.TRUSTED_PROXIES = "1"
    proxy = {"REMOTE_ADDR": "10.0.0.1"}
    attacker = {**proxy, "HTTP_X_FORWARDED_FOR": "203.0.113.66"}
    for n in range(2):
        headers = {"HTTP_AUTHORIZATION": f"Bearer sso_scim_{n}bad"}
        assert Client().get(f"{BASE}/Users", **attacker, **headers).status_code == 401
    spoofing = {**proxy, "HTTP_X_FORWARDED_FOR": "198.51.100.5, 203.0.113.66"}  # a forged entry, on the left
    assert Client().get(f"{BASE}/Users", HTTP_AUTHORIZATION="Bearer sso_scim_9bad", **spoofing).status_code == 429
    neighbour = {**proxy, "HTTP_X_FORWARDED_FOR": "203.0.113.67"}
    assert Client().get(f"{BASE}/Users", HTTP_AUTHORIZATION="Bearer sso_scim_8bad", **neighbour).status_code == 401
    ips = Event.objects.filter(event="scim_auth_failure").values_list("ip", "reason")
    assert list(ips) == [
        ("203.0.113.66", "unknown or revoked token"),
        ("203.0.113.66", "unknown or revoked token"),
        ("203.0.113.66", "throttled"),
        ("203.0.113.67", "unknown or revoked token"),
    ]


def test_the_token_never_rests_in_plaintext_or_appears_in_events_or_logs(scim, caplog):
    caplog.set_level(logging.DEBUG)
    scim.create_user("z@example.com")
    Client().get(f"{BASE}/Users", HTTP_AUTHORIZATION=f"Bearer {scim.token}x")
    stored = ScimToken.objects.get(pk=scim.token_obj.pk)

    assert scim.token not in str(stored.__dict__)
    assert stored.prefix == scim.token[:13] and len(stored.digest) == 64
    for event in Event.objects.all():
        assert scim.token[13:] not in f"{event.actor}{event.target}{event.reason}{event.changes}"
    assert scim.token[13:] not in caplog.text
