"""Failure counters: rows of their own table (no cache can evict them), N concurrent failures count N,
the window is the setting's."""

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from django.core.cache import caches
from django.db import connection, connections
from django.test import Client

from accounts.models import Event
from accounts.views import MSG_BAD_CREDENTIALS, MSG_THROTTLED
from sparksso import throttle
from sparksso.models import FailureCounter

WINDOW_START = datetime(2026, 11, 29, 18, 0, tzinfo=UTC)  # a multiple of 900 s and of 300 s


@pytest.fixture
def at(monkeypatch) -> Callable[[float], None]:
    """Set our clock to WINDOW_START + ``seconds``."""

    def move(seconds: float) -> None:
        moved = WINDOW_START + timedelta(seconds=seconds)
        monkeypatch.setattr("sparksso.clock.now", lambda: moved)

    move(0)
    return move


def run_in_threads(count: int, work: Callable[[], object]) -> list:
    """Run ``work`` in ``count`` threads released at once; every thread's result or exception."""
    barrier = threading.Barrier(count)
    results: list = []

    def run() -> None:
        try:
            barrier.wait(timeout=20)
            results.append(work())
        except BaseException as exc:  # noqa: BLE001 - returned to the test, which asserts on it
            results.append(exc)
        finally:
            connections.close_all()  # each thread had its own database connection

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.mark.django_db
def test_counts_and_windows(at):
    assert throttle.failure_count("t", window=300) == 0
    assert [throttle.failure_count_incr("t", window=300) for _ in range(3)] == [1, 2, 3]
    at(299)  # still the same window: the count was not restarted by the increments
    assert throttle.failure_count("t", window=300) == 3
    assert throttle.retry_after(window=300) == 1
    row = FailureCounter.objects.get(key="t")
    assert (row.window_start, row.count, row.expires_at) == (WINDOW_START, 3, WINDOW_START + timedelta(seconds=300))
    at(300)  # the next window starts from zero, in a row of its own
    assert throttle.failure_count("t", window=300) == 0
    assert throttle.failure_count_incr("t", window=300) == 1
    assert throttle.failure_count("other", window=300) == 0
    throttle.failure_count_clear("t", window=300)
    assert throttle.failure_count("t", window=300) == 0
    assert FailureCounter.objects.filter(key="t").count() == 1  # the ended window's row waits for prune


@pytest.mark.django_db
def test_first_refusal_is_true_once_per_window(at):
    assert [throttle.first_refusal("r", window=300) for _ in range(3)] == [True, False, False]
    at(300)
    assert throttle.first_refusal("r", window=300) is True


@pytest.mark.django_db
def test_a_hold_lasts_until_its_time(at):
    assert throttle.hold_until("h") is None
    throttle.hold_set("h", until=WINDOW_START + timedelta(seconds=4))
    throttle.hold_set("h", until=WINDOW_START + timedelta(seconds=8))  # replaces, one row
    assert throttle.hold_until("h") == WINDOW_START + timedelta(seconds=8)
    at(7.9)
    assert throttle.hold_until("h") == WINDOW_START + timedelta(seconds=8)
    at(8)
    assert throttle.hold_until("h") is None
    assert FailureCounter.objects.filter(key="h").count() == 1


@pytest.mark.django_db
def test_long_names_are_digested_not_cut(at):
    first, second = "x" * 300 + "1", "x" * 300 + "2"
    assert throttle.failure_count_incr(first, window=300) == 1
    assert throttle.failure_count_incr(second, window=300) == 1
    assert throttle.failure_count(first, window=300) == 1
    assert all(len(key) <= 200 for key in FailureCounter.objects.values_list("key", flat=True))


@pytest.mark.parametrize("kind", ["locmem", "db"])  # not Redis: its clear() flushes a shared database
@pytest.mark.django_db
def test_counters_do_not_live_in_the_cache(use_cache, at, kind):
    """Clearing (or evicting from) the cache forgives nothing: the counters are rows of their own table."""
    use_cache(kind)
    for _ in range(3):
        throttle.failure_count_incr("kept", window=300)
    assert throttle.first_refusal("kept", window=300)
    caches["default"].clear()
    assert throttle.failure_count("kept", window=300) == 3
    assert throttle.first_refusal("kept", window=300) is False


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_increments_all_count(at):
    # ``at`` pins the clock inside one window: on the wall clock the threads could straddle a
    # window boundary and split their counts between two rows.
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serialises writers, so there is no race to lose")
    results = run_in_threads(16, lambda: [throttle.failure_count_incr("race", window=900) for _ in range(5)])
    assert [r for r in results if isinstance(r, BaseException)] == []
    assert throttle.failure_count("race", window=900) == 80
    # Every increment saw a distinct count: none was lost or read twice.
    assert sorted(n for r in results for n in r) == list(range(1, 81))
    firsts = run_in_threads(12, lambda: throttle.first_refusal("race", window=900))
    assert sorted(firsts) == [False] * 11 + [True]


def sign_in_wrong(identifier: str) -> int:
    response = Client(REMOTE_ADDR="203.0.113.9").post("/login", {"identifier": identifier, "password": "wrong"})
    assert MSG_BAD_CREDENTIALS in response.content.decode() or MSG_THROTTLED in response.content.decode()
    return response.status_code


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_parallel_failed_sign_ins_each_count_once(settings, admin, at):
    """Eight wrong passwords at once count eight: the ninth attempt is throttled at a limit of 8."""
    if connection.vendor != "postgresql":
        pytest.skip("each request also writes its event: SQLite locks concurrent writers out")
    settings.LOGIN_FAILURE_LIMIT = 8
    statuses = run_in_threads(8, lambda: sign_in_wrong(admin.email))
    assert statuses == [401] * 8
    assert Event.objects.filter(event="password_login_failure", reason="bad credentials").count() == 8
    assert sign_in_wrong(admin.email) == 429
    assert Event.objects.filter(event="password_login_failure", reason="throttled").count() == 1
    assert Event.objects.filter(account=None).exclude(event="password_login_failure").count() == 0


@pytest.mark.django_db
def test_login_failure_window_setting_is_honoured(settings, client, admin, at):
    settings.LOGIN_FAILURE_LIMIT = 2
    settings.LOGIN_FAILURE_WINDOW_SECONDS = 900
    before = Event.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    for _ in range(2):
        assert client.post("/login", {"identifier": admin.email, "password": "wrong"}).status_code == 401
    at(899)  # the default database cache used to expire this after 300 s; the window is 900
    refused = client.post("/login", {"identifier": admin.email, "password": "correct horse 42"})
    assert refused.status_code == 429
    assert MSG_THROTTLED in refused.content.decode()
    assert "_auth_user_id" not in client.session
    at(900)
    signed_in = client.post("/login", {"identifier": admin.email, "password": "correct horse 42"})
    assert signed_in.status_code == 302
    assert list(Event.objects.filter(pk__gt=before).order_by("pk").values_list("event", "reason")) == [
        ("password_login_failure", "bad credentials"),
        ("password_login_failure", "bad credentials"),
        ("password_login_failure", "throttled"),
        ("password_login_success", ""),
    ]
