"""Count failures in the shared cache: password sign-ins per identifier and IP, SCIM auth per IP."""

import hashlib

from django.conf import settings
from django.core.cache import cache

IP_LIMIT_FACTOR = 4  # many people may share one address (NAT), so the per-IP limit is looser


def _keys(identifier: str, ip: str | None) -> list[tuple[str, int]]:
    limit = settings.LOGIN_FAILURE_LIMIT
    digest = hashlib.sha256(identifier.strip().lower().encode()).hexdigest()
    keys = [(f"login-fail:id:{digest}", limit)]
    if ip:
        keys.append((f"login-fail:ip:{ip}", limit * IP_LIMIT_FACTOR))
    return keys


def failure_count(key: str) -> int:
    return cache.get(key) or 0


def failure_count_incr(key: str, *, window: int) -> None:
    """Count one failure under ``key``; the count expires ``window`` seconds after the first."""
    if not cache.add(key, 1, window):
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, window)


def login_throttled(*, identifier: str, ip: str | None) -> bool:
    return any(failure_count(key) >= limit for key, limit in _keys(identifier, ip))


def login_failure_record(*, identifier: str, ip: str | None) -> None:
    for key, _limit in _keys(identifier, ip):
        failure_count_incr(key, window=settings.LOGIN_FAILURE_WINDOW_SECONDS)


def login_failures_clear(*, identifier: str) -> None:
    cache.delete(_keys(identifier, None)[0][0])
