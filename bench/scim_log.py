"""What the SCIM request log costs: the same SCIM calls to sparksso with SCIM_REQUEST_LOG on and off.

Two sparksso servers in production mode, the shape of bench/side_by_side.py (gunicorn, 1 worker,
gthread, keep-alive), one with the log on and one with it off, each on its own copy of the same
database (``--peer-users`` users, copied after loading). One sequential client takes them in turn
call by call, who goes first alternating: ``POST /Users``, ``filter=userName eq`` and a middle
100-user page. Every reply is checked (bench.scim_ops); afterwards the log-on server must have
written exactly one ScimRequestLog row per request it was sent (its writer thread flushes every
0.5 s: waited for) and the log-off server none, or the run stops with BenchmarkFailed.
"""

import itertools
import sqlite3
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

import psycopg
from django.db import connection

from bench.client import Reply
from bench.fixtures import database_analyze, tenant_create, users_bulk_create
from bench.live import SPARKSSO_SCIM, _pg_admin, database_url
from bench.scale import p95
from bench.scim_ops import (
    LABELS,
    BenchmarkFailed,
    ScimTarget,
    page,
    page_starts,
    plan_for,
    post_user,
    total_users,
    username_eq,
)
from bench.servers import PORTS, Server, sparksso_server
from scim.models import ScimRequestLog
from scim.tokens import scim_token_create

OPERATIONS = ("post", "username_eq", "page_middle")
MODES = ("off", "on")  # "off" is the baseline every cost is a percentage of
PORT = {"on": PORTS["sparksso"], "off": PORTS["sparksso"] + 5}
FLUSH_WAIT_SECONDS = 15  # the writer flushes every 0.5 s; a loaded machine may take a few rounds


@dataclass
class Sent:
    """What one server was sent (every request, untimed ones too): what its log must hold."""

    methods: dict[str, int] = field(default_factory=dict)

    def count(self, method: str) -> None:
        self.methods[method] = self.methods.get(method, 0) + 1

    @property
    def total(self) -> int:
        return sum(self.methods.values())


def _server(mode: str, *, dsn: str, var_dir: Path) -> Server:
    """sparksso as bench.servers starts it, on this mode's port, with the log on or off."""
    server = sparksso_server(database_url=dsn, var_dir=var_dir)
    bind = f"127.0.0.1:{server.port}"
    command = [f"127.0.0.1:{PORT[mode]}" if arg == bind else arg for arg in server.command]
    return replace(
        server,
        name=f"sparksso (log {mode})",
        port=PORT[mode],
        command=command,
        env={**server.env, "SCIM_REQUEST_LOG": mode},
        log=var_dir / "logs" / f"sparksso-log-{mode}.log",
    )


@contextmanager
def database_copy(var_dir: Path) -> Iterator[str]:
    """A copy of the benchmark's database as it is now; yields its DATABASE_URL, drops it after."""
    if connection.vendor == "sqlite":
        path = var_dir / "scimlog-off.sqlite3"
        connection.ensure_connection()
        copy = sqlite3.connect(path)
        try:
            connection.connection.backup(copy)
        finally:
            copy.close()
        try:
            yield f"sqlite:///{path}"
        finally:
            path.unlink(missing_ok=True)
        return
    name = f"{connection.settings_dict['NAME']}_logoff"
    connection.close()  # a template must have no other session
    _pg_admin(f'DROP DATABASE IF EXISTS "{name}"')
    _pg_admin(f'CREATE DATABASE "{name}" TEMPLATE "{connection.settings_dict["NAME"]}"')
    try:
        yield database_url().rsplit("/", 1)[0] + f"/{name}"
    finally:
        _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _rows_elsewhere(dsn: str) -> int:
    """ScimRequestLog rows in the log-off server's database (not this process's connection)."""
    sql = f"SELECT count(*) FROM {ScimRequestLog._meta.db_table}"
    if dsn.startswith("sqlite:///"):
        with sqlite3.connect(dsn.removeprefix("sqlite:///")) as db:
            return db.execute(sql).fetchone()[0]
    with psycopg.connect(dsn.replace("postgres://", "postgresql://", 1)) as db:
        return db.execute(sql).fetchone()[0]


def log_check(sent: Sent, *, group_id: int, off_dsn: str) -> dict:
    """The log-on server's rows are exactly what it was sent (waited for); the log-off one wrote none.
    Returns the rows, how many were still queued after the last call and how long they took to appear."""
    started = time.monotonic()
    queued = sent.total - ScimRequestLog.objects.count()
    while ScimRequestLog.objects.count() < sent.total and time.monotonic() - started < FLUSH_WAIT_SECONDS:
        time.sleep(0.05)
    waited = time.monotonic() - started
    time.sleep(1.0)  # two more flushes: anything beyond what was sent would show now
    logged = ScimRequestLog.objects.all()
    methods = {m: logged.filter(method=m).count() for m in sent.methods}
    if logged.count() != sent.total or methods != sent.methods:
        raise BenchmarkFailed(f"log on: {logged.count()} rows {methods} for {sent.total} requests {sent.methods}")
    if logged.exclude(sso_group_id=group_id).exists() or logged.exclude(status__in=(200, 201)).exists():
        raise BenchmarkFailed("log on: a row of another group or with a status the server did not answer")
    if (off := _rows_elsewhere(off_dsn)) != 0:
        raise BenchmarkFailed(f"log off: {off} rows written, expected none")
    return {
        "on": sent.total,
        "off": 0,
        "sent": sent.methods,
        "queued_at_end": queued,
        "waited_seconds": round(waited, 2),
    }


def measure(
    targets: dict[str, ScimTarget], sent: dict[str, Sent], *, users: int, requests: int, rounds: int
) -> dict[str, dict[str, list[float]]]:
    """Seconds per call by mode and operation, the servers taking turns call by call."""
    counter = itertools.count()
    totals = {mode: total_users(target) for mode, target in targets.items()}
    for mode in targets:
        sent[mode].count("GET")

    def call(mode: str, op: str, n: int) -> Callable[[], Reply]:
        target = targets[mode]
        if op == "post":
            return lambda: post_user(target, n)
        if op == "username_eq":
            return lambda: username_eq(target, n)
        start = page_starts(users)["page_middle"]
        return lambda: page(target, start, totals[mode])

    def run_one(mode: str, op: str, n: int) -> float:
        reply = call(mode, op, n)()
        sent[mode].count("POST" if op == "post" else "GET")
        if op == "post":
            totals[mode] += 1
        return reply.seconds

    for op in OPERATIONS:  # warm-up, untimed: imports, connections, the writer thread's start
        for n in (next(counter) for _ in range(3)):
            for mode in MODES:
                run_one(mode, op, n)
    seconds = {mode: {op: [] for op in OPERATIONS} for mode in MODES}
    for r in range(rounds):
        for op in OPERATIONS:
            plan = plan_for(users, requests, seed=r * 1000 + OPERATIONS.index(op))
            numbers = [next(counter) for _ in plan.lookups] if op == "post" else plan.lookups
            for i, n in enumerate(numbers):
                for mode in MODES if i % 2 == 0 else tuple(reversed(MODES)):
                    seconds[mode][op].append(run_one(mode, op, n))
    return seconds


def cost_percent(seconds: dict[str, dict[str, list[float]]], op: str, *, of=statistics.median) -> float:
    """The log's cost of one call: log on against log off, in % of the log-off figure."""
    return (of(seconds["on"][op]) / of(seconds["off"][op]) - 1) * 100


def log_table(data: dict) -> str:
    seconds = data["seconds"]
    lines = [
        f"SCIM request log on and off, {data['database']}: median / p95 ms (gunicorn 1 worker, gthread, "
        f"keep-alive; one sequential client, {data['users']:,} users, {data['rounds']} rounds x "
        f"{data['requests']} calls per operation, alternating call by call)",
        f"  {'call':<28}{'log off':>18}{'log on':>18}{'cost (median)':>16}{'cost (p95)':>13}",
    ]
    for op in OPERATIONS:
        cells = "".join(
            f"{f'{statistics.median(seconds[m][op]) * 1000:.2f} / {p95(seconds[m][op]) * 1000:.2f}':>18}" for m in MODES
        )
        median, tail = cost_percent(seconds, op), cost_percent(seconds, op, of=p95)
        lines.append(f"  {LABELS.get(op, op):<28}{cells}{f'{median:+.1f} %':>16}{f'{tail:+.1f} %':>13}")
    rows = data["rows"]
    lines.append(
        f"  * log on: {rows['on']:,} ScimRequestLog rows, one per request sent ({rows['queued_at_end']} still "
        f"queued after the last call, written {rows['waited_seconds']:.2f} s later); log off: {rows['off']} rows"
    )
    verdict = "met" if round(cost_percent(seconds, "username_eq"), 1) <= 10 else "missed"
    lines.append(f"  * target: the log costs at most 10 % of a lookup (median): {verdict}")
    return "\n".join(lines)


def run(*, var_dir: Path, peer_users: int, requests: int, rounds: int, **_options) -> tuple[str, dict]:
    tenant = tenant_create("Log")
    _, token = scim_token_create(
        account=tenant.account, sso_group=tenant.group, label="bench", created_by=tenant.admin, actor="bench"
    )
    users_bulk_create(tenant=tenant, start=0, stop=peer_users, progress=True)
    database_analyze()
    on_dsn = database_url()
    with database_copy(var_dir) as off_dsn:
        servers = {
            "on": _server("on", dsn=on_dsn, var_dir=var_dir),
            "off": _server("off", dsn=off_dsn, var_dir=var_dir),
        }
        targets = {mode: ScimTarget(f"sparksso log {mode}", PORT[mode], SPARKSSO_SCIM, token) for mode in MODES}
        sent = {mode: Sent() for mode in MODES}
        try:
            for server in servers.values():
                server.start()
            seconds = measure(targets, sent, users=peer_users, requests=requests, rounds=rounds)
            rows = log_check(sent["on"], group_id=tenant.group.pk, off_dsn=off_dsn)
        finally:
            for target in targets.values():
                target.close()
            for server in servers.values():
                server.stop()
    data = {
        "database": "SQLite" if connection.vendor == "sqlite" else "PostgreSQL",
        "users": peer_users,
        "requests": requests,
        "rounds": rounds,
        "seconds": seconds,
        "rows": rows,
    }
    return log_table(data), data
