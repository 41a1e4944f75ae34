"""A full import as JumpCloud does it: for each of N users a ``userName eq`` lookup, then a POST
when absent; then a full paged read (``count=100``) of everything. sparksso against django-scim2.

Each size starts from an empty account on both sides (a fresh sparksso tenant and token, a fresh
peer database), both servers under gunicorn in the side-by-side shape (1 worker, gthread,
keep-alive), one sequential client. The two imports are interleaved in chunks of ``CHUNK`` users
(and the read page by page), the server going first alternating, so a noisy neighbour slows both
alike. Every reply is checked: the lookup must find nobody, the POST must answer 201 with the
user, the read must return every user exactly once. Reported: users per second over the whole
import (lookups + creates + the read), and each phase's share.
"""

import time
from pathlib import Path

from bench.client import Reply
from bench.live import accounts_create, database_url, peer_database
from bench.names import person
from bench.scim_ops import PAGE, BenchmarkFailed, ScimTarget, _filter_path, expect, user_doc
from bench.servers import scim_peer_server, sparksso_server

CHUNK = 100


def _absent(target: ScimTarget, n: int) -> None:
    email = person(n)[0]
    reply = expect(target.connect().request("GET", _filter_path(target, f'userName eq "{email}"')), 200, "lookup")
    if reply.json().get("totalResults") != 0:
        raise BenchmarkFailed(f"{target.name}: {email} exists before its import: {reply.body[:200]!r}")


def _create(target: ScimTarget, n: int) -> Reply:
    doc = user_doc(n)
    reply = expect(target.connect().scim("POST", f"{target.base}/Users", doc), 201, f"{target.name} POST /Users")
    if reply.json().get("userName", "").lower() != doc["userName"]:
        raise BenchmarkFailed(f"{target.name} POST /Users answered {reply.body[:300]!r}")
    return reply


def _page(target: ScimTarget, start: int) -> dict:
    path = f"{target.base}/Users?startIndex={start}&count={PAGE}"
    return expect(target.connect().request("GET", path), 200, f"{target.name} page {start}").json()


class Import:
    """One side's import: its seconds by phase and the userNames its read returned."""

    def __init__(self, target: ScimTarget):
        self.target = target
        self.write_seconds = 0.0
        self.read_seconds = 0.0
        self.read: list[str] = []
        self.total: int | None = None
        self.next_start = 1

    def write(self, numbers: range) -> None:
        start = time.perf_counter()
        for n in numbers:
            _absent(self.target, n)
            _create(self.target, n)
        self.write_seconds += time.perf_counter() - start

    def read_page(self) -> bool:
        """Reads the next page; False once everything has been read."""
        if self.total is not None and self.next_start > self.total:
            return False
        start = time.perf_counter()
        doc = _page(self.target, self.next_start)
        self.read_seconds += time.perf_counter() - start
        self.total = int(doc["totalResults"])
        resources = doc.get("Resources") or []
        self.read.extend(r["userName"].lower() for r in resources)
        self.next_start += PAGE
        if not resources and self.next_start <= self.total:
            raise BenchmarkFailed(f"{self.target.name}: empty page at {self.next_start - PAGE} of {self.total}")
        return True

    def check(self, size: int) -> None:
        expected = {person(n)[0] for n in range(size)}
        got = [u for u in self.read if u in expected]
        if len(got) != size or set(got) != expected or len(self.read) != self.total:
            raise BenchmarkFailed(
                f"{self.target.name}: the read returned {len(got)} of {size} imported users "
                f"({len(self.read)} rows, {len(set(self.read))} distinct, totalResults {self.total})"
            )

    def figures(self, size: int) -> dict:
        return {"write_seconds": self.write_seconds, "read_seconds": self.read_seconds, "users": size}


def import_size(size: int, *, var_dir: Path, dsn: str, name: str) -> dict[str, dict]:
    with peer_database(var_dir) as peer_env:
        accounts = accounts_create(name, peer_env)
        servers = (
            sparksso_server(database_url=dsn, var_dir=var_dir),
            scim_peer_server(peer_env=peer_env, var_dir=var_dir),
        )
        try:
            for server in servers:
                server.start()
            imports = [Import(target) for target in accounts.targets()]
            for k, first in enumerate(range(0, size, CHUNK)):
                for side in imports if k % 2 == 0 else reversed(imports):
                    side.write(range(first, min(size, first + CHUNK)))
            k = 0
            while True:
                more = [side.read_page() for side in (imports if k % 2 == 0 else reversed(imports))]
                k += 1
                if not any(more):
                    break
            for side in imports:
                side.check(size)
                side.target.close()
        finally:
            for server in servers:
                server.stop()
    return {side.target.name: side.figures(size) for side in imports}


def import_table(results: list[dict], where: str) -> str:
    lines = [
        f"Full import as JumpCloud does it, {where}: userName eq + POST per user, then a full read (count={PAGE});"
        " users per second over the whole import (1 worker, one sequential client, interleaved)",
        f"  {'users':>9}  {'sparksso users/s':>17}  {'django-scim2 users/s':>21}  {'ratio':>7}"
        f"  {'sparksso write / read s':>24}  {'django-scim2 write / read s':>28}",
    ]
    for figures in results:
        ours, peer = figures["sparksso"], figures["django-scim2"]
        rate = {k: v["users"] / (v["write_seconds"] + v["read_seconds"]) for k, v in figures.items()}
        phases = [f"{v['write_seconds']:.1f} / {v['read_seconds']:.1f}" for v in (ours, peer)]
        lines.append(
            f"  {ours['users']:>9,}  {rate['sparksso']:>17.1f}  {rate['django-scim2']:>21.1f}"
            f"  {rate['sparksso'] / rate['django-scim2']:>6.2f}x  {phases[0]:>24}  {phases[1]:>28}"
        )
    return "\n".join(lines)


def run(*, var_dir: Path, import_sizes: list[int], **_options) -> tuple[str, dict]:
    from django.db import connection

    results = []
    for size in import_sizes:
        results.append(import_size(size, var_dir=var_dir, dsn=database_url(), name=f"Import{size}"))
        print(f"  imported {size:,} users on both sides", flush=True)
    where = "SQLite" if connection.vendor == "sqlite" else "PostgreSQL"
    return import_table(results, where), {"database": where, "sizes": results}
