"""Load: concurrent clients mixing sign-ins and SCIM calls against several sparksso workers.

``--load-clients`` threads (32), each with its own keep-alive connection, for ``--load-seconds``
(60) against ``--load-workers`` gunicorn workers (4), on the database DATABASE_URL names
(PostgreSQL for the figures in docs/performance.md) with the Redis cache (CACHE_URL, Redis DB 2
unless SPARKSSO_BENCH_CACHE_URL says otherwise). Sign-ins use responses signed beforehand, one
per sign-in. Afterwards: no 5xx, no 429 for a valid token, every sign-in a 302 to its
RelayState, and no user lost or duplicated (every created userName exactly once, the count
what it was plus the creates). ``python -m bench --faults`` runs this load while the backends are
broken on a schedule (bench/fault_load.py).
"""

import os
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from queue import Empty, Queue

from accounts.models import User
from bench.client import Client
from bench.fixtures import database_analyze, tenant_create, users_bulk_create
from bench.live import SPARKSSO_SCIM, database_url
from bench.scale import p95
from bench.scim_ops import BenchmarkFailed, ScimTarget, emails_eq, page, patch_inactive, post_user, username_eq
from bench.servers import PORTS, sparksso_server
from bench.side_by_side import NEXT, responses
from scim.tokens import scim_token_create

CACHE_URL = os.environ.get("SPARKSSO_BENCH_CACHE_URL", "redis://127.0.0.1:6379/2")  # Redis DB 2: the bench's
MIX = {"sign_in": 30, "username_eq": 25, "emails_eq": 10, "post": 15, "patch_inactive": 10, "page": 10}
CREATED_FROM = 20_000_000


@dataclass
class Outcome:
    at: float  # seconds since the start, when the reply arrived
    op: str
    status: int
    seconds: float


@dataclass
class Shared:
    signed: Queue
    created: list[str] = field(default_factory=list)
    outcomes: list[Outcome] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _expected(op: str, status: int) -> bool:
    return status == {"sign_in": 302, "post": 201}.get(op, 200)


def _client_loop(k: int, shared: Shared, *, token: str, path: str, users: int, deadline: float, t0: float) -> None:
    rng = random.Random(k)
    target = ScimTarget("sparksso", PORTS["sparksso"], SPARKSSO_SCIM, token)
    saml = Client(PORTS["sparksso"])
    ops, weights = zip(*MIX.items(), strict=True)
    created = 0
    while time.perf_counter() < deadline:
        op = rng.choices(ops, weights)[0]
        n = rng.randrange(users)
        try:
            if op == "sign_in":
                try:
                    encoded = shared.signed.get_nowait()
                except Empty:
                    op = "username_eq"
                else:
                    reply = saml.form(path, {"SAMLResponse": encoded, "RelayState": NEXT})
                    if reply.status == 302 and reply.headers.get("location") != NEXT:
                        raise BenchmarkFailed(f"sign-in redirected to {reply.headers.get('location')}")
            if op == "username_eq":
                reply = username_eq(target, n)
            elif op == "emails_eq":
                reply = emails_eq(target, n)
            elif op == "post":
                number = CREATED_FROM + k * 1_000_000 + created
                created += 1
                reply = post_user(target, number)
                with shared.lock:
                    shared.created.append(reply.json()["userName"].lower())
            elif op == "patch_inactive":  # the second half only: the first half signs in
                n = users // 2 + rng.randrange(users - users // 2)
                reply = patch_inactive(target, username_eq(target, n).json()["Resources"][0]["id"])
            elif op == "page":
                reply = page(target, 1 + 100 * rng.randrange(max(1, users // 100)), None)
        except BenchmarkFailed as failed:
            with shared.lock:
                shared.errors.append(f"{op}: {failed}"[:300])
                shared.outcomes.append(Outcome(time.perf_counter() - t0, op, _status_of(str(failed)), 0.0))
            continue
        with shared.lock:
            shared.outcomes.append(Outcome(time.perf_counter() - t0, op, reply.status, reply.seconds))
    target.close()
    saml.close()


def _status_of(message: str) -> int:
    """The HTTP status a BenchmarkFailed message names ("...: HTTP 503, expected 200"), else 0."""
    marker = "HTTP "
    if marker in message:
        digits = message.split(marker, 1)[1][:3]
        if digits.isdigit():
            return int(digits)
    return 0


def _warm_up(token: str, workers: int) -> None:
    """Untimed requests from several connections until every worker has answered: a worker's
    first requests import the views and build the URL resolver, which is start-up, not load."""
    target = ScimTarget("sparksso", PORTS["sparksso"], SPARKSSO_SCIM, token)
    clients = [Client(PORTS["sparksso"], token=token) for _ in range(2 * workers)]
    for _ in range(3):
        threads = [threading.Thread(target=c.request, args=("GET", f"{target.base}/Users?count=1")) for c in clients]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    for client in clients:
        client.close()


def _redis_flush(url: str) -> None:
    import redis

    redis.Redis.from_url(url).flushdb()


def run(
    *,
    var_dir: Path,
    load_seconds: int,
    load_clients: int,
    load_workers: int,
    load_users: int,
    load_cache: str | None = None,
    **_options,
) -> tuple[str, dict]:
    """Returns the report and its figures; ``load_cache`` empty means the database cache."""
    load_cache = CACHE_URL if load_cache is None else load_cache
    from django.db import connection

    tenant = tenant_create("Load")
    users_bulk_create(tenant=tenant, start=0, stop=load_users, progress=True)
    database_analyze()
    _, token = scim_token_create(
        account=tenant.account, sso_group=tenant.group, label="load", created_by=tenant.admin, actor="bench"
    )
    before = User.objects.filter(account=tenant.account).count()
    signed: Queue = Queue()
    # Sign-ins are for the first half of the users; PATCH active=false deactivates the second half's.
    for encoded in responses(tenant, min(3000, 40 * load_seconds), users=load_users // 2, first=0):
        signed.put(encoded)
    path = tenant.group.acs_url.split(str(PORTS["sparksso"]), 1)[1]
    if load_cache:
        _redis_flush(load_cache)
    shared = Shared(signed=signed)
    server = sparksso_server(
        database_url=database_url(), var_dir=var_dir, workers=load_workers, threads=8, cache_url=load_cache
    )
    with server.start():
        _warm_up(token, load_workers)
        t0 = time.perf_counter()
        deadline = t0 + load_seconds
        threads = [
            threading.Thread(
                target=_client_loop,
                args=(k, shared),
                kwargs={"token": token, "path": path, "users": load_users, "deadline": deadline, "t0": t0},
            )  # fmt: skip
            for k in range(load_clients)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - t0
        peak_rss = server.peak_rss_mb()

    outcomes = shared.outcomes
    statuses = Counter(o.status for o in outcomes)
    server_errors = sum(n for s, n in statuses.items() if s >= 500)
    throttled = statuses.get(429, 0)
    wrong = [o for o in outcomes if not _expected(o.op, o.status)]
    names = Counter(u.lower() for u in User.objects.filter(account=tenant.account).values_list("username", flat=True))
    after = sum(names.values())
    created = shared.created
    present = sum(1 for name in set(created) if names[name] == 1)
    duplicates = sum(1 for n in names.values() if n > 1)
    ok = [o for o in outcomes if _expected(o.op, o.status)]
    by_op = {}
    for op in MIX:
        seconds = [o.seconds for o in ok if o.op == op]
        if seconds:
            by_op[op] = {"count": len(seconds), "p95_ms": p95(seconds) * 1000}
    per_second = Counter(int(o.at) for o in ok)
    data = {
        "database": "SQLite" if connection.vendor == "sqlite" else "PostgreSQL",
        "cache": load_cache or "database cache",
        "seconds": elapsed,
        "clients": load_clients,
        "workers": load_workers,
        "requests": len(outcomes),
        "throughput": len(ok) / elapsed,
        "p95_ms": p95([o.seconds for o in ok]) * 1000 if ok else 0.0,
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "server_errors": server_errors,
        "throttled": throttled,
        "unexpected": len(wrong),
        "errors": shared.errors[:10],
        "users_before": before,
        "users_after": after,
        "created": len(created),
        "created_present": present,
        "duplicates": duplicates,
        "by_op": by_op,
        "timeline": [per_second.get(s, 0) for s in range(int(elapsed) + 1)],
        "peak_rss_mb": peak_rss,
    }
    lost = after != before + len(created) or present != len(created)
    lines = [
        f"Load: {load_clients} concurrent clients for {elapsed:.0f} s against {load_workers} sparksso workers "
        f"({data['database']}, {data['cache']}), {load_users:,} users",
        f"  {len(outcomes):,} requests, {data['throughput']:.0f} per second, p95 {data['p95_ms']:.1f} ms; "
        f"statuses {data['statuses']}",
        *(f"  {op:<16} {v['count']:>6}  p95 {v['p95_ms']:.1f} ms" for op, v in by_op.items()),
        f"  users: {before:,} before, {len(created):,} created, {after:,} after; "
        f"{present:,} of the created found, {duplicates} duplicated userNames",
        f"  peak RSS per worker: {', '.join(f'{m:.0f} MB' for m in peak_rss)}",
    ]
    problems = []
    if server_errors:
        problems.append(f"{server_errors} 5xx")
    if throttled:
        problems.append(f"{throttled} 429 for a valid token")
    if wrong and not (server_errors or throttled):
        problems.append(f"{len(wrong)} unexpected replies: {shared.errors[:3]}")
    if lost or duplicates:
        problems.append("users lost or duplicated")
    lines.append("  verdict: " + ("; ".join(problems) if problems else "no 5xx, no 429, no lost or duplicated user"))
    data["verdict_ok"] = not problems
    return "\n".join(lines), data
