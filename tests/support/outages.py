"""Real backend outages for tests: a Redis cache at a closed port (the connection is refused, as
when redis-server is stopped), and what every outage answer must look like."""

import socket

from sparksso.outages import MSG_PAGE, RETRY_AFTER_SECONDS


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def redis_cache_at(port: int) -> dict:
    """The production cache settings (short timeouts, sparksso/settings.py) for Redis at ``port``."""
    return {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": f"redis://127.0.0.1:{port}/0",
        "OPTIONS": {"socket_connect_timeout": 1.0, "socket_timeout": 1.0},
    }


def assert_outage_page(response) -> None:
    """The plain 503 page: the message, Retry-After, no traceback, no cookie set."""
    assert response.status_code == 503, response.content[:300]
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    content = response.content.decode()
    assert "Temporarily unavailable" in content and MSG_PAGE in content
    assert "Traceback" not in content
    assert "sessionid" not in response.cookies
