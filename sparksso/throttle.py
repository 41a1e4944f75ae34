"""Failure counters in the shared cache: fixed windows whose start is part of the key.

Why fixed windows: the database cache's ``incr`` is a get-then-set that also resets the expiry,
so a counter keyed only by name never ends its window and concurrent failures overwrite each
other. Here each window is a key of its own (``<name>:<window_start>``, the start read from the
injectable clock), so a window lasts exactly its configured length whatever the backend's expiry
does, and the increment is atomic on every supported cache: a compare-and-swap UPDATE on the
database cache, INCR on Redis, the backend's lock on locmem (one process only).
"""

import base64
import hashlib
import pickle
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.db import DatabaseCache
from django.core.cache.backends.redis import RedisCache
from django.db import connections, router

from sparksso import clock

IP_LIMIT_FACTOR = 4  # many people may share one address (NAT), so the per-IP limit is looser
EXPIRY_MARGIN = 60  # seconds a window's key outlives the window: only memory, never the count
CAS_ATTEMPTS = 100  # compare-and-swap retries on the database cache before giving up


class ThrottleUnavailable(RuntimeError):
    """The database cache row kept changing under us: more contention than CAS_ATTEMPTS allows."""


@dataclass(frozen=True)
class Window:
    """One counter's current window: the cache key, and seconds until the window ends."""

    key: str
    remaining: int


def window_current(name: str, *, seconds: int) -> Window:
    """The fixed window ``name`` is counting in now (its start is the clock rounded down)."""
    now = int(clock.now().timestamp())
    start = now - now % seconds
    return Window(key=f"{name}:{start}", remaining=start + seconds - now)


def failure_count(name: str, *, window: int) -> int:
    """Failures counted under ``name`` in the current window of ``window`` seconds."""
    return int(caches["default"].get(window_current(name, seconds=window).key) or 0)


def failure_count_incr(name: str, *, window: int) -> int:
    """Count one failure under ``name`` in the current window; returns the new count."""
    current = window_current(name, seconds=window)
    return _incr(current.key, timeout=current.remaining + EXPIRY_MARGIN)


def first_refusal(name: str, *, window: int) -> bool:
    """True exactly once per window for ``name``: the refusal that records an event (cache.add is atomic)."""
    current = window_current(f"{name}:refused", seconds=window)
    return caches["default"].add(current.key, 1, current.remaining + EXPIRY_MARGIN)


def retry_after(*, window: int) -> int:
    """Seconds until the current window of ``window`` seconds ends (for a Retry-After header)."""
    return window_current("", seconds=window).remaining


def _incr(key: str, *, timeout: int) -> int:
    cache = caches["default"]
    if isinstance(cache, DatabaseCache):
        return _db_incr(cache, key, timeout=timeout)
    if isinstance(cache, RedisCache):
        full_key = cache.make_and_validate_key(key)
        client = cache._cache.get_client(full_key, write=True)
        pipe = client.pipeline(transaction=True)  # MULTI/EXEC: the key never lives without expiry
        pipe.incr(full_key)
        pipe.expire(full_key, timeout)
        count, _ = pipe.execute()
        return int(count)
    # locmem (and any backend whose add and incr hold its own lock): add creates the key with
    # the window's expiry; incr keeps that expiry.
    for _ in range(2):
        cache.add(key, 0, timeout)
        try:
            return cache.incr(key)
        except ValueError:  # evicted between add and incr
            continue
    raise ThrottleUnavailable(key)


def _db_incr(backend: DatabaseCache, key: str, *, timeout: int) -> int:
    """Atomic increment on the database cache: add the row, then compare-and-swap its value.

    A plain UPDATE per attempt (no explicit transaction): concurrent writers wait for the row
    lock, see the value changed and retry, so N failures always count N; the expiry set by
    ``add`` is never touched, and SQLite's autocommit statements cannot deadlock.
    """
    db = router.db_for_write(backend.cache_model_class)
    connection = connections[db]
    table = connection.ops.quote_name(backend._table)
    full_key = backend.make_and_validate_key(key)
    # The table name is the CACHES setting's, quoted; values are parameters.
    select = f"SELECT value FROM {table} WHERE cache_key = %s"  # noqa: S608
    update = f"UPDATE {table} SET value = %s WHERE cache_key = %s AND value = %s"  # noqa: S608
    for _ in range(CAS_ATTEMPTS):
        backend.add(key, 0, timeout)
        with connection.cursor() as cursor:
            cursor.execute(select, [full_key])
            row = cursor.fetchone()
            if row is None:  # culled between add and select
                continue
            old = connection.ops.process_clob(row[0])
            count = pickle.loads(base64.b64decode(old.encode())) + 1  # noqa: S301 - our own row, written by add
            new = base64.b64encode(pickle.dumps(count, backend.pickle_protocol)).decode("latin1")
            cursor.execute(update, [new, full_key, old])
            if cursor.rowcount == 1:
                return count
    raise ThrottleUnavailable(key)


def _login_names(identifier: str, ip: str | None) -> list[tuple[str, int]]:
    limit = settings.LOGIN_FAILURE_LIMIT
    digest = hashlib.sha256(identifier.strip().lower().encode()).hexdigest()
    names = [(f"login-fail:id:{digest}", limit)]
    if ip:
        names.append((f"login-fail:ip:{ip}", limit * IP_LIMIT_FACTOR))
    return names


def login_throttled(*, identifier: str, ip: str | None) -> bool:
    """True when the identifier or the address has used up its failures in this window."""
    window = settings.LOGIN_FAILURE_WINDOW_SECONDS
    return any(failure_count(name, window=window) >= limit for name, limit in _login_names(identifier, ip))


def login_failure_record(*, identifier: str, ip: str | None) -> None:
    for name, _limit in _login_names(identifier, ip):
        failure_count_incr(name, window=settings.LOGIN_FAILURE_WINDOW_SECONDS)


def login_failures_clear(*, identifier: str) -> None:
    """A successful sign-in forgives the identifier's failures (not the address's)."""
    name = _login_names(identifier, None)[0][0]
    caches["default"].delete(window_current(name, seconds=settings.LOGIN_FAILURE_WINDOW_SECONDS).key)
