"""Where a sequential import's last page ended, so the next page seeks instead of skipping.

JumpCloud (like every SCIM client) reads a full list as startIndex=1, 101, 201, … with one token.
OFFSET makes page N cost N pages of index steps; a remembered cursor makes every page cost one:
after a page ending at list position P with key K, a request for startIndex P+1 with the same token
and the same query shape reads the rows after K. Any other startIndex (random access, a retry, two
imports interleaved) finds no cursor and uses OFFSET, so answers never depend on the cursor being
there. Only the default order (created_at, id) has a cursor: its key is unique and never changes.

Where: the shared cache (every worker sees the same cursors), except when that cache is the
database's: a page is a read and reads write nothing, so the cursor then stays in the process
(a worker that did not serve the previous page falls back to OFFSET). A cache that is down is a
missing cursor, never an error.
"""

import hashlib
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime

from django.core.cache import caches
from django.core.cache.backends.db import DatabaseCache

from scim.query import ListParams
from scim.resource_types import ResourceType
from sparksso.backends import cache_errors

TTL_SECONDS = 600  # an import pauses between pages for seconds, not minutes
LOCAL_ENTRIES = 1024
CACHE_ERRORS = cache_errors()  # a cache that is down means OFFSET, never an error


@dataclass(frozen=True)
class PageCursor:
    """The list position that continues (``start_index``) and the key of the row before it."""

    start_index: int
    created_at: datetime
    pk: int


def cursor_key(*, token_digest: str, resource_type: ResourceType, params: ListParams) -> str:
    """Per token and query shape: a filtered import and an unfiltered one never share a cursor. By the
    token's digest, not its id: an id can be reused (SQLite, a restored database), a digest cannot."""
    shape = f"{token_digest}\0{resource_type.name}\0{params.filter or ''}"
    return "scim-cursor:" + hashlib.sha256(shape.encode()).hexdigest()[:40]


class _LocalCursors:
    """A bounded, thread-safe LRU with the shared cache's expiry, for when that cache is the database
    (see the module docstring)."""

    def __init__(self, size: int):
        self.size = size
        self.items: OrderedDict[str, tuple[float, tuple]] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: str) -> tuple | None:
        with self.lock:
            expires, value = self.items.get(key, (0.0, None))
            if value is None or expires < time.monotonic():
                return None
            self.items.move_to_end(key)
            return value

    def set(self, key: str, value: tuple) -> None:
        with self.lock:
            self.items[key] = (time.monotonic() + TTL_SECONDS, value)
            self.items.move_to_end(key)
            while len(self.items) > self.size:
                self.items.popitem(last=False)


_local = _LocalCursors(LOCAL_ENTRIES)


def _shared():
    cache = caches["default"]
    return None if isinstance(cache, DatabaseCache) else cache


def cursor_get(key: str, *, start_index: int) -> PageCursor | None:
    """The cursor that continues at ``start_index``, or None (then the page uses OFFSET)."""
    cache = _shared()
    try:
        value = _local.get(key) if cache is None else cache.get(key)
    except CACHE_ERRORS:
        return None
    if not value or value[0] != start_index:
        return None
    return PageCursor(start_index=value[0], created_at=datetime.fromisoformat(value[1]), pk=value[2])


def cursor_put(key: str, cursor: PageCursor) -> None:
    value = (cursor.start_index, cursor.created_at.isoformat(), cursor.pk)
    cache = _shared()
    if cache is None:
        _local.set(key, value)
        return
    try:
        cache.set(key, value, TTL_SECONDS)
    except CACHE_ERRORS:
        pass  # the next page uses OFFSET
