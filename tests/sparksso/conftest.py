"""Cache backends the throttle must count right on: locmem, the database cache, Redis."""

import os
import uuid

import pytest

REDIS_URL = os.environ.get("SPARKSSO_TEST_REDIS_URL", "redis://127.0.0.1:6379/3")


def redis_cache() -> dict:
    # A prefix of its own per test: runs sharing the Redis database never see each other's keys.
    return {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": f"test-{uuid.uuid4().hex}",
    }


CACHE_BACKENDS = {
    "locmem": lambda: {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": uuid.uuid4().hex},
    "db": lambda: {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "sparksso_cache"},
    "redis": redis_cache,
}


@pytest.fixture
def use_cache(settings):
    """Switch the default cache for one test (Django resets its cache handlers on the change)."""

    def use(kind: str) -> None:
        settings.CACHES = {"default": CACHE_BACKENDS[kind]()}

    return use
