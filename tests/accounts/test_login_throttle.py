"""Password limits that cannot be turned against the owner (accounts/login_throttle.py): failures
from another address never refuse her right password, nor stop her open session re-authenticating;
refusals write one event per window; a made-up identifier mints no counter of its own and a
password typed into the identifier field never rests in an event."""

from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client

from accounts.login_throttle import UNKNOWN_TARGET_PREFIX
from accounts.models import Event
from accounts.reauth import AUTH_TIME_KEY
from accounts.views import MSG_BAD_CREDENTIALS, MSG_THROTTLED
from sparksso.models import FailureCounter

PASSWORD = "correct horse 42"
WINDOW_START = datetime(2026, 11, 29, 18, 0, tzinfo=UTC)  # a multiple of 900 s
HER = "198.51.100.7"
ATTACKER = "203.0.113.66"


@pytest.fixture
def at(monkeypatch):
    """Pin our clock at WINDOW_START + ``seconds`` (a window boundary cannot fall mid-test)."""

    def move(seconds: float) -> None:
        moved = WINDOW_START + timedelta(seconds=seconds)
        monkeypatch.setattr("sparksso.clock.now", lambda: moved)

    move(0)
    return move


@pytest.fixture
def limits(settings):
    settings.LOGIN_FAILURE_LIMIT = 5
    settings.LOGIN_FAILURE_WINDOW_SECONDS = 900
    settings.LOGIN_FAILURE_DELAY_MAX_SECONDS = 8
    return settings


def sign_in(address: str, identifier: str, password: str, client: Client | None = None):
    return (client or Client(REMOTE_ADDR=address)).post("/login", {"identifier": identifier, "password": password})


def failure_events() -> list[tuple[str, str, str]]:
    rows = Event.objects.filter(event="password_login_failure").order_by("pk")
    return list(rows.values_list("target", "reason", "ip"))


def test_failures_from_another_address_never_refuse_her_right_password(limits, admin, at):
    her_session = Client(REMOTE_ADDR=HER)
    assert sign_in(HER, admin.email, PASSWORD, her_session).status_code == 302  # her open session
    for _ in range(5):
        response = sign_in(ATTACKER, admin.email, "wrong")
        assert response.status_code == 401
        assert MSG_BAD_CREDENTIALS in response.content.decode()
    attacker = Client(REMOTE_ADDR=ATTACKER)
    for password in ("wrong", PASSWORD):  # the attacker's address is refused, even with the password
        refused = sign_in(ATTACKER, admin.email, password, attacker)
        assert refused.status_code == 429
        assert MSG_THROTTLED in refused.content.decode()
        assert attacker.get("/api/v1/session").status_code == 401

    # Her right password, from her own address (and from a new browser there), signs in.
    new_browser = Client(REMOTE_ADDR=HER)
    assert sign_in(HER, admin.email, PASSWORD, new_browser).status_code == 302
    assert new_browser.get("/api/v1/session").json()["username"] == admin.username
    # Her open session can still confirm it is her: re-auth counts apart from sign-in.
    assert her_session.post("/account/reauth", {"password": PASSWORD}).status_code == 302
    assert her_session.session[AUTH_TIME_KEY] == int(WINDOW_START.timestamp())

    assert failure_events() == [(admin.email, "bad credentials", ATTACKER)] * 5 + [
        (admin.email, "throttled", ATTACKER)  # one event for the window's refusals, not one each
    ]


def test_a_guesser_with_many_addresses_meets_a_growing_delay_not_a_wall(limits, admin, at):
    assert sign_in(HER, admin.email, PASSWORD).status_code == 302  # her usual address, known from now on
    for n in range(8):  # 8 failures from 8 addresses: past the limit of 5, waits of 1, 2 and 4 s
        at(n * 10)  # each after the previous wait
        assert sign_in(f"203.0.113.{n}", admin.email, "wrong").status_code == 401
    at(70)  # the 8th failure (at 70 s) set a wait of 4 s
    fresh = "192.0.2.50"
    refused = sign_in(fresh, admin.email, PASSWORD)
    assert refused.status_code == 429  # a new address waits, even with the right password...
    assert sign_in(HER, admin.email, PASSWORD).status_code == 302  # ...her own address never does
    at(74)
    assert sign_in(fresh, admin.email, PASSWORD).status_code == 302  # the delay has passed: no wall

    at(80)  # the delay grows with each failure, and stops at LOGIN_FAILURE_DELAY_MAX_SECONDS (8)
    for n in range(8, 14):
        assert sign_in(f"203.0.113.{n}", admin.email, "wrong").status_code == 401
        at(80 + (n - 7) * 8)
    hold = FailureCounter.objects.get(key__startswith="login-wait:id:", window_start__year=1970)
    assert (hold.expires_at - WINDOW_START).total_seconds() == 80 + 5 * 8 + 8


def test_refused_attempts_write_one_event_per_window(limits, admin, at):
    limits.LOGIN_FAILURE_LIMIT = 2
    for _ in range(2):
        assert sign_in(ATTACKER, admin.email, "wrong").status_code == 401
    before = Event.objects.count()
    for _ in range(20):
        assert sign_in(ATTACKER, admin.email, "wrong").status_code == 429
    assert Event.objects.count() == before + 1
    at(900)  # the next window: counted afresh
    assert sign_in(ATTACKER, admin.email, "wrong").status_code == 401
    assert [reason for _target, reason, _ip in failure_events()] == ["bad credentials"] * 2 + [
        "throttled",
        "bad credentials",
    ]


def test_a_password_typed_as_the_identifier_is_never_stored(limits, admin, at):
    typed = "Tr0ub4dor&3-my-password"
    assert sign_in(HER, typed, "anything").status_code == 401
    event = Event.objects.get(event="password_login_failure")
    assert event.target.startswith(UNKNOWN_TARGET_PREFIX) and len(event.target) == len(UNKNOWN_TARGET_PREFIX) + 12
    for row in Event.objects.all():
        assert typed.lower() not in f"{row.actor}{row.target}{row.reason}{row.changes}".lower()
    # An identifier that names no user has no counter of its own: only the address and the pair.
    keys = sorted(key.split(":")[1] for key in FailureCounter.objects.values_list("key", flat=True))
    assert keys == ["idip", "ip"]


def test_an_address_spraying_identifiers_meets_its_own_looser_limit(limits, admin, at):
    for n in range(20):  # 4x the limit, each for a different (made-up) identifier
        assert sign_in(ATTACKER, f"nobody{n}@example.com", "wrong").status_code == 401
    assert sign_in(ATTACKER, "nobody99@example.com", "wrong").status_code == 429
    assert sign_in(ATTACKER, admin.email, PASSWORD).status_code == 429
    assert sign_in(HER, admin.email, PASSWORD).status_code == 302
    assert FailureCounter.objects.filter(key__startswith="login-fail:idip:").count() == 20
    assert not FailureCounter.objects.filter(key__startswith="login-fail:id:").exists()


def test_reauth_failures_count_per_session_apart_from_sign_in(limits, admin, at):
    stolen = Client(REMOTE_ADDR=HER)
    assert sign_in(HER, admin.email, PASSWORD, stolen).status_code == 302
    for _ in range(5):
        assert stolen.post("/account/reauth", {"password": "wrong"}).status_code == 401
    assert stolen.post("/account/reauth", {"password": PASSWORD}).status_code == 429
    # Neither her sign-in from the same address nor her other session's re-auth is affected.
    hers = Client(REMOTE_ADDR=HER)
    assert sign_in(HER, admin.email, PASSWORD, hers).status_code == 302
    assert hers.post("/account/reauth", {"password": PASSWORD}).status_code == 302
    assert not Event.objects.filter(event="password_login_failure").exists()
