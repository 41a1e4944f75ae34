"""The SCIM request log: every SCIM request and answer, written off the request's path.

Why a queue: a lookup writes nothing (DESIGN: "Reads write nothing on the hot paths"), and a row
of its own in the request would be a transaction of its own on every lookup. So the request only
copies what it already has into a bounded in-process queue (``capture``); a writer thread per
process turns entries into rows (bodies redacted and capped there, not in the request) and inserts
them in batches every ``FLUSH_SECONDS``. When the queue is full an entry is
dropped and counted (a warning in the log), never waited for. Entries still queued when a process
is killed are lost; a normal exit writes them (atexit).

A request whose token was refused (401) has no account and no group: nothing it says can be trusted
to name a tenant, so it is the operator's row, without the token's prefix or the request body.
A 429 (bad tokens past the throttle) is not logged: the throttle's event already says it.
"""

import atexit
import logging
import os
import queue
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import DatabaseError, IntegrityError, close_old_connections, transaction
from django.http import HttpRequest, HttpResponse
from django.http.request import RawPostDataException

from scim.models import ScimRequestLog, ScimToken
from scim.request_log_redact import body_text, capped, scrubbed, user_name_of
from sparksso import clock
from sparksso.middleware import client_ip
from ssogroups.models import SSOGroup

logger = logging.getLogger(__name__)

QUEUE_SIZE = 10_000
BATCH_SIZE = 500
FLUSH_SECONDS = 0.5
KEPT_HEADERS = ("Content-Type", "Accept", "User-Agent", "If-Match", "If-None-Match")  # never Authorization
NOTE_REFUSED = "Not kept: the request's token was refused."
NOTE_TOO_LARGE = "Not kept: larger than the SCIM API accepts."
PATH_MAX = 2048


@dataclass(frozen=True)
class Captured:
    """What a request hands the queue: copies of what it already had, nothing computed."""

    time: datetime
    request_id: str
    method: str
    path: str
    query_filter: str
    status: int
    duration_ms: float
    account_id: int | None
    sso_group_id: int | None
    token_prefix: str
    ip: str | None
    headers: dict[str, str] = field(default_factory=dict)
    request_body: bytes = b""
    request_note: str = ""
    response_body: bytes = b""


def _request_body(request: HttpRequest, status: int) -> tuple[bytes, str]:
    if request.method not in ("POST", "PUT", "PATCH"):
        return b"", ""
    if status == 413:
        return b"", NOTE_TOO_LARGE
    try:
        return bytes(request.body), ""  # read already by the view (or small: its size was checked)
    except (RequestDataTooBig, RawPostDataException, OSError):  # not readable now: not kept
        return b"", NOTE_TOO_LARGE


def capture(*, request: HttpRequest, token: ScimToken | None, response: HttpResponse, started: float) -> None:
    """Queue the entry of one SCIM request (called by scim.http.scim_endpoint once it has answered)."""
    if not settings.SCIM_REQUEST_LOG or (token is None and response.status_code == 429):
        return
    refused = token is None
    body, note = (b"", NOTE_REFUSED) if refused else _request_body(request, response.status_code)
    entry = Captured(
        time=clock.now(),
        request_id=getattr(request, "request_id", "") or os.urandom(16).hex(),
        method=request.method or "",
        path=request.get_full_path(),
        query_filter=request.GET.get("filter", ""),
        status=response.status_code,
        duration_ms=round((time.perf_counter() - started) * 1000, 3),
        account_id=None if refused else token.account_id,
        sso_group_id=None if refused else token.sso_group_id,
        token_prefix="" if refused else token.prefix,  # a refused token's prefix may be a pasted secret
        ip=client_ip(request),
        headers={name: request.headers[name][:200] for name in KEPT_HEADERS if name in request.headers},
        request_body=body,
        request_note=note,
        response_body=b"" if response.streaming else bytes(response.content),
    )
    _writer.put(entry)


def row_of(entry: Captured) -> ScimRequestLog:
    """The row an entry becomes: redacted, capped bodies, the userName it concerned."""
    request_text, request_json = body_text(entry.request_body)
    response_text, response_json = body_text(entry.response_body)
    request_text, request_cut = capped(request_text)
    response_text, response_cut = capped(response_text)
    path = scrubbed(entry.path)
    return ScimRequestLog(
        account_id=entry.account_id,
        sso_group_id=entry.sso_group_id,
        time=entry.time,
        request_id=entry.request_id,
        method=entry.method,
        path=path[:PATH_MAX],
        status=entry.status,
        duration_ms=entry.duration_ms,
        token_prefix=entry.token_prefix,
        user_name=user_name_of(entry.query_filter, request_json, response_json),
        ip=entry.ip,
        request_headers=entry.headers,
        request_body=request_text,
        request_note=(entry.request_note or request_cut)[:255],
        response_body=response_text,
        response_note=response_cut[:255],
    )


def rows_write(entries: list[Captured]) -> int:
    """Insert the entries' rows in one statement; the number written. A row whose group was deleted
    meanwhile is skipped (should one go in the moment it is, each row goes in alone after all)."""
    groups = {entry.sso_group_id for entry in entries if entry.sso_group_id is not None}
    alive = set(SSOGroup.objects.filter(pk__in=groups).values_list("pk", flat=True)) if groups else set()
    rows = [row_of(entry) for entry in entries if entry.sso_group_id is None or entry.sso_group_id in alive]
    try:
        with transaction.atomic():
            ScimRequestLog.objects.bulk_create(rows)
        return len(rows)
    except IntegrityError:
        written = 0
        for row in rows:
            row.pk = None
            try:
                with transaction.atomic():
                    row.save()
                written += 1
            except IntegrityError:
                pass
        return written


class _Writer:
    """The bounded queue and the thread that drains it, one per process (re-made after a fork)."""

    def __init__(self) -> None:
        self.background = True  # tests turn it off and call request_log_flush() instead
        self.dropped = 0
        self._lock = threading.Lock()
        self._pid = 0
        self._queue: queue.Queue[Captured] = queue.Queue(QUEUE_SIZE)
        self._thread: threading.Thread | None = None

    def put(self, entry: Captured) -> None:
        if self._pid != os.getpid():
            self._forked()
        try:
            self._queue.put_nowait(entry)
        except queue.Full:
            self.dropped += 1
            if self.dropped % 1000 == 1:
                logger.warning("SCIM request log queue full: %d entries dropped so far", self.dropped)
        if self.background and (self._thread is None or not self._thread.is_alive()):
            self._start()

    def _forked(self) -> None:
        """A new process (a gunicorn worker forked after the parent queued): its own queue and thread."""
        with self._lock:
            if self._pid != os.getpid():
                self._pid, self._queue, self._thread = os.getpid(), queue.Queue(QUEUE_SIZE), None

    def _start(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="scim-request-log", daemon=True)
                self._thread.start()

    def take(self) -> list[Captured]:
        """Up to a batch of the entries queued now (never waits)."""
        batch: list[Captured] = []
        try:
            while len(batch) < BATCH_SIZE:
                batch.append(self._queue.get_nowait())
        except queue.Empty:
            pass
        return batch

    def _run(self) -> None:
        # On a clock, not woken by each entry: a thread woken in the middle of every request would
        # take the GIL from it (measured: a lookup ran 2x slower on a loaded machine).
        while self.background:
            time.sleep(FLUSH_SECONDS)
            while batch := self.take():
                close_old_connections()  # this thread's own connection, under the rules of a request's
                try:
                    self.write(batch)
                finally:
                    close_old_connections()

    def write(self, batch: list[Captured]) -> int:
        try:
            return rows_write(batch)
        except DatabaseError as exc:  # an outage: these entries are lost, the next batch tries again
            logger.warning("SCIM request log: %d entries not written: %s", len(batch), exc)
            return 0

    def discard(self) -> None:
        while self.take():
            pass


_writer = _Writer()


def request_log_flush() -> int:
    """Write every queued entry now, in this thread; the number written (tests, and at exit)."""
    written = 0
    while batch := _writer.take():
        written += _writer.write(batch)
    return written


def request_log_background_set(on: bool) -> None:
    """Whether a writer thread drains the queue (on in every process; tests flush by hand instead)."""
    _writer.background = on


def request_log_discard() -> None:
    """Forget every queued entry (tests: one test's requests never reach another's database)."""
    _writer.discard()


atexit.register(request_log_flush)


def request_log_prune(*, now: datetime, delete) -> int:
    """Rows older than SCIM_LOG_RETENTION_DAYS (0 keeps them), deleted by ``delete`` (in batches)."""
    days = settings.SCIM_LOG_RETENTION_DAYS
    if days <= 0:
        return 0
    return delete(ScimRequestLog.objects.filter(time__lt=now - timedelta(days=days)))
