"""Every backend a documented DATABASE_URL or CACHE_URL can name imports with the pinned packages.

The URLs are read from README.md's configuration table and turned into Django settings by the
same parser sparksso/settings.py uses (django-environ), then loaded through Django's own import
path. Documenting a backend whose client is not in requirements.txt fails here, not in production.
"""

import re

import environ
import pytest
from django.core.cache import caches
from django.db.utils import load_backend

from sparksso.backends import url_without_credentials
from tests.sparksso.production import ROOT

README = (ROOT / "README.md").read_text()


def documented_urls(variable: str) -> list[str]:
    """The `scheme://…` examples in the README table row of ``variable``."""
    [row] = [line for line in README.splitlines() if line.startswith(f"| `{variable}` |")]
    return re.findall(r"`([a-z]+://[^`]*)`", row)


DATABASE_URLS = documented_urls("DATABASE_URL")
CACHE_URLS = documented_urls("CACHE_URL")


def test_the_readme_documents_postgresql_sqlite_and_redis():
    assert {url.split("://")[0] for url in DATABASE_URLS} == {"postgres", "sqlite"}
    assert {"redis", "rediss", "dbcache", "locmemcache"} <= {url.split("://")[0] for url in CACHE_URLS}


@pytest.mark.parametrize("url", DATABASE_URLS)
def test_database_backend_loads(url):
    engine = environ.Env.db_url_config(url)["ENGINE"]
    backend = load_backend(engine)  # imports the driver (psycopg for PostgreSQL)
    assert backend.DatabaseWrapper.vendor in ("postgresql", "sqlite")


@pytest.mark.parametrize("url", CACHE_URLS)
def test_cache_backend_loads(url, settings):
    settings.CACHES = {**settings.CACHES, "documented": environ.Env.cache_url_config(url)}
    cache = caches.create_connection("documented")
    # RedisCache imports the Redis client only when it builds its client object (no connection yet).
    client = getattr(cache, "_cache", None)
    if "redis" in url:
        import redis

        assert isinstance(client._pool_class, type) and issubclass(client._pool_class, redis.ConnectionPool)


def test_redis_client_is_pinned():
    pins = dict(line.split("==", 1) for line in (ROOT / "requirements.txt").read_text().splitlines() if "==" in line)
    assert "redis" in pins


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("redis://:secret@cache:6379/0", "redis://cache:6379/0"),
        ("rediss://user:secret@cache/1", "rediss://cache/1"),
        ("redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/0"),
    ],
)
def test_cache_location_is_shownurl_without_credentials(url, shown):
    assert url_without_credentials(url) == shown
