"""Can the configured database and cache be used? One probe each, shared by start-up and /healthz.

A backend whose client library is missing (CACHE_URL=redis://… without the Redis client) or whose
server does not answer must be named at start-up in one line, not discovered as a 500 on every
request. Each probe returns None when the backend answers, else that line.
"""

import uuid
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.core.cache import InvalidCacheBackendError, caches
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError, connections
from django.db.utils import load_backend

MSG_DB_LOAD = "DATABASE_URL: the database backend {engine} cannot be loaded: {error}"
MSG_DB_DOWN = "DATABASE_URL: the database {where} does not answer: {error}"
MSG_CACHE_LOAD = "CACHE_URL: the cache backend {backend} cannot be loaded: {error}"
MSG_CACHE_DOWN = "CACHE_URL: the cache {where} does not answer: {error}"
MSG_CACHE_LOST = "CACHE_URL: the cache {where} did not return the value just stored in it"
# The cache key the probe writes, reads and deletes; unique per probe so concurrent probes
# (several workers behind one load balancer) never read each other's value.
PROBE_KEY = "sparksso:probe:{nonce}"
MAX_ERROR_CHARS = 200


def _one_line(error: BaseException) -> str:
    """The first line of an error, without the driver's multi-line hints; never empty."""
    lines = str(error).strip().splitlines()
    text = " ".join(lines[0].split()) if lines else ""
    return (text or type(error).__name__)[:MAX_ERROR_CHARS]


def url_without_credentials(url: str) -> str:
    """A cache URL fit for a log line: redis://:secret@host:6379/0 -> redis://host:6379/0."""
    parts = urlsplit(url)
    if not parts.hostname:
        return url
    host = parts.hostname if parts.port is None else f"{parts.hostname}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def _database_where(alias: str) -> str:
    db = settings.DATABASES[alias]
    if "sqlite" in db["ENGINE"]:
        return f"(SQLite file {db['NAME']})"
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"at {db.get('HOST') or 'localhost'}{port}/{db['NAME']}"


def _cache_where(alias: str) -> str:
    cache = settings.CACHES[alias]
    location = cache.get("LOCATION", "")
    if cache["BACKEND"].endswith("DatabaseCache"):
        return f"(database table {location})"
    if isinstance(location, str) and "://" in location:
        return f"at {url_without_credentials(location)}"
    return f"({cache['BACKEND'].rsplit('.', 1)[-1]})"


def cache_errors() -> tuple[type[BaseException], ...]:
    """What a cache round trip raises when its server is down: sockets, the database cache's
    DatabaseError, and the Redis client's own errors when that client is installed."""
    errors: list[type[BaseException]] = [OSError, DatabaseError]
    try:
        from redis.exceptions import RedisError
    except ImportError:
        pass
    else:
        errors.append(RedisError)
    return tuple(errors)


def database_backend_problem(alias: str = "default") -> str | None:
    """None when the database backend and its driver import; else one line naming DATABASE_URL.

    Needs settings only: Django itself loads the backend while it defines the models, so this
    runs before django.setup() to name a missing driver instead of failing inside it.
    """
    engine = settings.DATABASES[alias]["ENGINE"]
    try:
        load_backend(engine)
    except (ImproperlyConfigured, ImportError) as exc:
        return MSG_DB_LOAD.format(engine=engine, error=_one_line(exc))
    return None


def database_problem(alias: str = "default") -> str | None:
    """None when the database answers a query; else one line naming DATABASE_URL."""
    problem = database_backend_problem(alias)
    if problem:
        return problem
    connection = connections[alias]
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        return MSG_DB_DOWN.format(where=_database_where(alias), error=_one_line(exc))
    return None


def cache_problem(alias: str = "default") -> str | None:
    """None when the cache stores and returns a value; else one line naming CACHE_URL.

    The Redis backend imports its client on first use, so the round trip is what proves it loads.
    """
    backend = settings.CACHES[alias]["BACKEND"]
    try:
        cache = caches[alias]
    except (InvalidCacheBackendError, ImproperlyConfigured, ImportError) as exc:
        return MSG_CACHE_LOAD.format(backend=backend, error=_one_line(exc))
    nonce = uuid.uuid4().hex
    key = PROBE_KEY.format(nonce=nonce)
    try:
        cache.set(key, nonce, timeout=30)
        value = cache.get(key)
        cache.delete(key)
    except ImportError as exc:
        return MSG_CACHE_LOAD.format(backend=backend, error=_one_line(exc))
    except cache_errors() as exc:
        return MSG_CACHE_DOWN.format(where=_cache_where(alias), error=_one_line(exc))
    if value != nonce:
        return MSG_CACHE_LOST.format(where=_cache_where(alias))
    return None
