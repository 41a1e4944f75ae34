"""Concurrent creates of one userName on PostgreSQL: exactly one 201, the rest 409 uniqueness."""

import threading

import pytest
from django.db import connection
from django.test import Client

from accounts.models import User

from .conftest import BASE, USER_SCHEMA

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serialises writers, so there is no race to lose")


def test_concurrent_creates_yield_exactly_one_user(scim):
    results: list[int] = []
    barrier = threading.Barrier(6)

    def create(name: str) -> None:
        client = Client()
        barrier.wait()
        try:
            response = client.post(
                f"{BASE}/Users",
                {"schemas": [USER_SCHEMA], "userName": name},
                content_type="application/scim+json",
                HTTP_AUTHORIZATION=f"Bearer {scim.token}",
            )
            results.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=create, args=(n,)) for n in ["race@example.com", "RACE@example.com"] * 3]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sorted(results) == [201, 409, 409, 409, 409, 409]
    assert User.objects.filter(account=scim.account, username__iexact="race@example.com").count() == 1
