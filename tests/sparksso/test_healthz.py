"""/healthz: 200 {"status": "ok"} only when the database and the cache answer; 503 otherwise."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Event
from tests.sparksso.production import REDIS_URL, production_run
from tests.sparksso.test_preflight import closed_port

# Runs in a production-mode subprocess: one GET /healthz through the whole middleware stack.
HEALTHZ = """
import django, json
django.setup()
from django.test import Client
response = Client(HTTP_HOST="sso.example.test").get("/healthz")
print(json.dumps({"status": response.status_code, "body": response.json(), "cookies": list(response.cookies)}))
"""


def healthz_in_production(tmp_path, **env) -> dict:
    result = production_run(tmp_path, ["python", "-c", HEALTHZ], LOG_LEVEL="ERROR", **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.django_db
def test_ok_when_database_and_cache_answer(client):
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response["Cache-Control"].startswith("max-age=0")
    assert not response.cookies  # no session, no CSRF cookie
    assert not Event.objects.exists()
    # Reads write nothing, except the cache probe's own key (the default cache is a table).
    writes = [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))]
    assert all('"sparksso_cache"' in sql for sql in writes), writes


@pytest.mark.django_db
def test_head_answers_and_post_is_refused(client):
    assert client.head("/healthz").status_code == 200
    assert client.post("/healthz").status_code == 405


@pytest.mark.django_db
def test_unavailable_cache_is_503_naming_no_host(client, settings, caplog):
    port = closed_port()
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://:hunter2@127.0.0.1:{port}/1",
        }
    }
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "failing": ["cache"]}
    assert not response.cookies
    # The detail is for the operator's log, without the password.
    [warning] = [r.getMessage() for r in caplog.records if r.name == "sparksso.health"]
    assert warning.startswith(f"healthz: CACHE_URL: the cache at redis://127.0.0.1:{port}/1 does not answer")
    assert "hunter2" not in warning


def test_ok_in_production_on_redis(tmp_path):
    assert healthz_in_production(tmp_path, CACHE_URL=REDIS_URL) == {
        "status": 200,
        "body": {"status": "ok"},
        "cookies": [],
    }


def test_unavailable_database_is_503(tmp_path):
    missing_dir = tmp_path / "no-such-dir" / "db.sqlite3"
    assert healthz_in_production(tmp_path, DATABASE_URL=f"sqlite:///{missing_dir}") == {
        "status": 503,
        "body": {"status": "unavailable", "failing": ["database"]},
        "cookies": [],
    }


def test_database_cache_fails_with_its_database(tmp_path):
    missing_dir = tmp_path / "no-such-dir" / "db.sqlite3"
    result = healthz_in_production(tmp_path, DATABASE_URL=f"sqlite:///{missing_dir}", CACHE_URL="")
    assert result["status"] == 503
    assert result["body"] == {"status": "unavailable", "failing": ["database", "cache"]}


@pytest.mark.django_db
def test_not_redirected_to_https_when_the_site_is(client, settings):
    """A load balancer probes the app port over plain http; a 301 would read as unhealthy."""
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/login").status_code == 301
    assert client.get("/healthz").status_code == 200
