"""SCIM at 1,000, 10,000 and 100,000 users: sparksso against the django-scim2 peer, both under gunicorn.

Each size is loaded in bulk into one sparksso account and into the peer, then both servers
start afresh (1 worker, gthread, keep-alive) and one sequential client times every operation of
bench.scim_ops on both, the servers taking turns call by call. Reported: median and p95 per
operation, each size against the smallest, and each worker's peak RSS (VmHWM) at each size.
"""

import itertools
import statistics
from dataclasses import dataclass, field
from pathlib import Path

from bench.live import Accounts
from bench.scim_ops import LABELS, OPERATIONS, ScimTarget, calls, plan_for
from bench.servers import Server, scim_peer_server, sparksso_server

SLOW_PEER_OPS = ("page_first", "page_middle", "page_last")  # the peer reads the whole table per page


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


@dataclass
class Figures:
    """Seconds per call, by server, then operation; peak RSS by server."""

    size: int
    seconds: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    peak_rss_mb: dict[str, float] = field(default_factory=dict)

    def median_ms(self, server: str, op: str) -> float:
        return statistics.median(self.seconds[server][op]) * 1000

    def p95_ms(self, server: str, op: str) -> float:
        return p95(self.seconds[server][op]) * 1000

    def as_dict(self) -> dict:
        return {"size": self.size, "seconds": self.seconds, "peak_rss_mb": self.peak_rss_mb}


def measure(
    targets: tuple[ScimTarget, ...],
    servers: tuple[Server, ...],
    *,
    size: int,
    operations: tuple[str, ...],
    requests: int,
    rounds: int,
    counter: itertools.count,
    peer_page_requests: int | None = None,
) -> Figures:
    """Time ``operations`` on every target, call by call in turn (the order reversed every round)."""
    figures = Figures(size)
    for target in targets:
        figures.seconds[target.name] = {op: [] for op in operations}
        for op in operations:  # warm-up, untimed: imports, connections, caches (one call each)
            if op in SLOW_PEER_OPS and target.name != "sparksso" and size >= 10_000:
                continue  # seconds per call at this size; its first timed call pays the warm-up
            for call in calls(target, op, plan_for(size, 1, seed=-1), counter=lambda: next(counter))[:1]:
                call()
    for r in range(rounds):
        order = targets if r % 2 == 0 else tuple(reversed(targets))
        for op in operations:
            plan = plan_for(size, requests, seed=r * 1000 + operations.index(op))
            planned = {}
            for target in order:
                planned[target.name] = calls(target, op, plan, counter=lambda: next(counter))
                if op in SLOW_PEER_OPS and target.name == "django-scim2" and peer_page_requests is not None:
                    planned[target.name] = planned[target.name][:peer_page_requests]
            # Call by call, the servers taking turns: a noisy neighbour's burst hits them alike.
            for i in range(max(len(p) for p in planned.values())):
                for target in order:
                    if i < len(planned[target.name]):
                        figures.seconds[target.name][op].append(planned[target.name][i]().seconds)
    for target, server in zip(targets, servers, strict=True):
        figures.peak_rss_mb[target.name] = max(server.peak_rss_mb(), default=0.0)
        target.close()
    return figures


def run_sizes(
    accounts: Accounts,
    *,
    var_dir: Path,
    database_url: str,
    sizes: list[int],
    requests: int,
    rounds: int,
    operations: tuple[str, ...] = OPERATIONS,
) -> list[Figures]:
    results = []
    counter = itertools.count()
    for size in sizes:
        accounts.load_to(size)
        targets = accounts.targets()
        servers = (
            sparksso_server(database_url=database_url, var_dir=var_dir),
            scim_peer_server(peer_env=accounts.peer_env, var_dir=var_dir),
        )
        try:
            for server in servers:
                server.start()
            peer_pages = max(2, requests // 10) if size < 50_000 else 2  # 10-15 s a page at 100,000
            results.append(
                measure(
                    targets,
                    servers,
                    size=size,
                    operations=operations,
                    requests=requests,
                    rounds=rounds,
                    counter=counter,
                    peer_page_requests=peer_pages,
                )  # fmt: skip
            )
        finally:
            for server in servers:
                server.stop()
        print(f"  measured {size:,} users", flush=True)
    return results


def scale_table(results: list[Figures], where: str) -> str:
    """median / p95 ms per operation and size, for both servers, and the largest size against the smallest."""
    servers = list(results[0].seconds)
    first, last = results[0], results[-1]
    head = f"  {'operation':<28}" + "".join(f"{f'{f.size:,} users':>22}" for f in results)
    lines = [f"SCIM at scale, {where}: median / p95 ms (1 worker, one sequential client)", head]
    lines[-1] += f"  {f'{last.size:,} vs {first.size:,}':>16}"
    for server in servers:
        lines.append(f"  [{server}]")
        for op in results[0].seconds[server]:
            cells = "".join(f"{f'{f.median_ms(server, op):.1f} / {f.p95_ms(server, op):.1f}':>22}" for f in results)
            growth = last.median_ms(server, op) / first.median_ms(server, op)
            lines.append(f"  {LABELS[op]:<28}{cells}  {f'{growth:.2f}x':>16}")
        rss = "".join(f"{f'{f.peak_rss_mb[server]:.0f} MB':>22}" for f in results)
        lines.append(f"  {'peak RSS per worker':<28}{rss}")
    return "\n".join(lines)


def run(*, var_dir: Path, sizes: list[int], requests: int, rounds: int, **_options) -> tuple[str, dict]:
    from django.db import connection

    from bench.live import accounts_create, database_url, peer_database

    with peer_database(var_dir) as peer_env:
        accounts = accounts_create("Scale", peer_env)
        results = run_sizes(
            accounts, var_dir=var_dir, database_url=database_url(), sizes=sizes, requests=requests, rounds=rounds
        )
    where = "SQLite" if connection.vendor == "sqlite" else "PostgreSQL"
    return scale_table(results, where), {"database": where, "sizes": [f.as_dict() for f in results]}
