"""A flood of 10,000 distinct made-up keys leaves every limit intact (issue: the throttles could be
flushed). Counters are rows of their own table, so nothing stored in the cache can push them out,
and a key nobody owns (an unknown token prefix, an identifier that names no user) mints no counter.

The flood goes through the functions the views call (``scim.auth.authenticate``, the password
throttle of ``accounts.views``) 10,000 times, a few hundred times over HTTP, and fills the cache
itself with 10,000 entries; then the password, SCIM and ACS limits reached before it still refuse.
Checked on the database cache (300 entries, then culled) and on Redis (``SPARKSSO_TEST_REDIS_URL``).
"""

import hashlib
from datetime import UTC, datetime

import pytest
from django.core.cache import caches
from django.test import Client, RequestFactory

from accounts.login_throttle import identifier_names_a_user, login_failure_record, login_refusal
from accounts.models import Event
from scim.auth import authenticate
from scim.errors import ScimError
from sparksso.models import FailureCounter
from tests.scim.conftest import BASE
from tests.ssogroups.saml.conftest import acs_post

from .conftest import CACHE_BACKENDS

FLOOD = 10_000
OVER_HTTP = 300
WINDOW_START = datetime(2026, 11, 29, 18, 0, tzinfo=UTC)  # a multiple of every window
ATTACKER = "203.0.113.66"
PASSWORD = "correct horse 42"


@pytest.fixture
def limits(settings, monkeypatch):
    monkeypatch.setattr("sparksso.clock.now", lambda: WINDOW_START)  # one window for the whole test
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # a flood, not a benchmark
    settings.LOGIN_FAILURE_LIMIT = 3
    settings.SCIM_AUTH_FAILURE_LIMIT = 3
    settings.SSO_ACS_FAILURE_LIMIT = 3
    return settings


def sha256(identifier: str) -> str:
    return hashlib.sha256(identifier.lower().encode()).hexdigest()


def address(n: int) -> str:
    return f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"


def scim_status(remote: str, token: str) -> int:
    return Client(REMOTE_ADDR=remote).get(f"{BASE}/Users", HTTP_AUTHORIZATION=f"Bearer {token}").status_code


def password_status(remote: str, identifier: str, password: str) -> int:
    return Client(REMOTE_ADDR=remote).post("/login", {"identifier": identifier, "password": password}).status_code


def acs_status(remote: str, group) -> int:
    return acs_post(Client(REMOTE_ADDR=remote), group, "<not-saml").status_code


def cache_flood(settings, kind: str) -> None:
    """Switch the default cache to ``kind`` and fill it past what it keeps (the database cache
    culls a third of its rows past 300 entries: what used to evict the counters)."""
    settings.CACHES = {"default": CACHE_BACKENDS[kind]()}
    cache = caches["default"]
    for n in range(FLOOD):
        cache.set(f"flood:{n}", n, 3600)


def test_every_limit_holds_after_a_flood_of_distinct_keys(limits, make_account, make_ssogroup):
    """One flood (it takes a while), then the limits checked on the database cache and on Redis."""
    limits.CACHES = {"default": CACHE_BACKENDS["db"]()}
    account, admin = make_account(password=PASSWORD)
    group = make_ssogroup(account)

    # Each limit reached by the attacker's address before the flood.
    assert [password_status(ATTACKER, admin.email, "wrong") for _ in range(3)] == [401] * 3
    assert [scim_status(ATTACKER, f"sso_scim_{n}bad") for n in range(3)] == [401] * 3
    assert [acs_status(ATTACKER, group) for _ in range(3)] == [400] * 3
    counters = FailureCounter.objects.count()

    # The flood: distinct made-up tokens and identifiers, each from a fresh address (so each is a
    # counted failure, not a refusal), through the functions the views call ...
    factory = RequestFactory()
    for n in range(FLOOD):
        request = factory.get(f"{BASE}/Users", HTTP_AUTHORIZATION=f"Bearer sso_scim_{n:04x}{n}", REMOTE_ADDR=address(n))
        with pytest.raises(ScimError) as refused:
            authenticate(request)
        assert refused.value.status == 401
    for n in range(FLOOD):
        identifier = f"nobody{n}@example.com"
        if n % 100 == 0:  # the view's check before the password; sampled, to keep the flood quick
            assert login_refusal(identifier=identifier, ip=address(n)) is None
        login_failure_record(identifier=identifier, ip=address(n), known=identifier_names_a_user(identifier))
    # ... a few hundred over HTTP ...
    for n in range(FLOOD, FLOOD + OVER_HTTP):
        assert scim_status(address(n), f"sso_scim_{n:04x}{n}") == 401
    for n in range(FLOOD, FLOOD + 20):
        assert password_status(address(n), f"nobody{n}@example.com", "wrong") == 401
    # ... and the cache itself filled past what it keeps.
    cache_flood(limits, "db")

    # Every limit still holds: the attacker's address is refused, even with the right password ...
    assert password_status(ATTACKER, admin.email, PASSWORD) == 429
    assert scim_status(ATTACKER, "sso_scim_Zbad") == 429
    assert acs_status(ATTACKER, group) == 429
    # ... and on Redis settings (CACHE_URL), after the same number of keys there.
    cache_flood(limits, "redis")
    assert password_status(ATTACKER, admin.email, PASSWORD) == 429
    assert scim_status(ATTACKER, "sso_scim_Ybad") == 429
    assert acs_status(ATTACKER, group) == 429
    assert caches["default"].get(f"flood:{FLOOD - 1}") == FLOOD - 1  # Redis it was
    caches["default"].delete_many([f"flood:{n}" for n in range(FLOOD)])  # never clear(): a shared Redis DB
    # The made-up keys minted only per-address counters: one per address (SCIM), plus the address
    # and the (identifier, address) pair for passwords; no per-token or per-identifier rows.
    flooded = FLOOD + OVER_HTTP
    keys = FailureCounter.objects.values_list("key", flat=True)
    assert not keys.filter(key__startswith="scim-auth-fail:prefix:").exists()
    assert list(keys.filter(key__startswith="login-fail:id:")) == [f"login-fail:id:{sha256(admin.email)}"]
    added = FailureCounter.objects.count() - counters
    assert added == flooded + 2 * (FLOOD + 20) + 3  # + the three limits' one-per-window markers
    assert Event.objects.filter(reason="throttled").count() == 3  # one per limit
