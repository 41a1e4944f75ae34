"""Bad bearer tokens arriving at once are counted exactly (PostgreSQL's database cache, Redis):
the limit's number of 401s and events, 429 for the rest, and the valid token still answers 200."""

import threading

import pytest
from django.core.cache import caches
from django.db import connection, connections
from django.test import Client

from accounts.models import Event
from tests.sparksso.conftest import CACHE_BACKENDS

from .conftest import BASE

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.postgres_only
@pytest.mark.parametrize("kind", ["db", "redis"])
def test_a_concurrent_flood_counts_exactly_and_spares_the_valid_token(scim, settings, kind):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent requests write events: SQLite locks the writers out, so there is no race to test")
    settings.CACHES = {"default": CACHE_BACKENDS[kind]()}
    caches["default"].clear()
    settings.SCIM_AUTH_FAILURE_LIMIT = 4
    barrier = threading.Barrier(12)
    statuses: list = []

    def attempt(n: int) -> None:
        try:
            client = Client(REMOTE_ADDR="203.0.113.80")
            barrier.wait(timeout=20)
            statuses.append(client.get(f"{BASE}/Users", HTTP_AUTHORIZATION=f"Bearer sso_scim_{n:04d}x").status_code)
        except BaseException as exc:  # noqa: BLE001 - asserted below
            statuses.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(statuses) == [401] * 4 + [429] * 8
    failures = Event.objects.filter(event="scim_auth_failure").values_list("reason", flat=True)
    assert sorted(failures) == ["throttled"] + ["unknown or revoked token"] * 4
    assert scim.get("/Users", REMOTE_ADDR="203.0.113.80").status_code == 200
