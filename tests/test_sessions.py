"""Sessions: a new key is one INSERT, with its data, and a colliding key is still refused."""

import pytest
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sparksso import sessions
from sparksso.sessions import SessionStore

pytestmark = pytest.mark.django_db


def _statements(queries) -> list[str]:
    return [q["sql"].split()[0].upper() for q in queries if not q["sql"].upper().startswith(("SAVEPOINT", "RELEASE"))]


@pytest.mark.plans
def test_a_new_session_is_one_insert():
    store = SessionStore()
    store["k"] = "v"
    with CaptureQueriesContext(connection) as queries:
        store.create()
    assert _statements(queries.captured_queries) == ["INSERT"]
    assert Session.objects.filter(session_key=store.session_key).exists()


def test_a_key_that_already_exists_is_not_reused(monkeypatch):
    first = SessionStore()
    first.create()
    keys = iter([first.session_key, "b" * 32])
    monkeypatch.setattr(sessions, "get_random_string", lambda length, chars: next(keys))
    second = SessionStore()
    second.create()
    assert second.session_key == "b" * 32
    assert Session.objects.count() == 2
