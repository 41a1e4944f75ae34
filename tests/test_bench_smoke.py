"""The one benchmark run `make test` keeps: every benchmark once, at tiny sizes, in a subprocess.

It proves that `make bench` still runs end to end — sparksso, both SCIM/SAML peers, djangosaml2
and the floor start under gunicorn, every timed call succeeds (the benchmarks stop with BenchmarkFailed otherwise), the
load test's checks pass — and that the report prints every figure with its baseline. No time is
asserted. It never touches var/db.sqlite3 (the benchmark has its own temporary database).
"""

import os
import random
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _free_ports(span: int = 8) -> int:
    """A base port with ``span`` free ports from it (bench/servers.py takes base … base + 5), so a
    `make bench` running beside the tests (on 8300 …) does not make this run fail."""
    for _ in range(50):
        base = random.randrange(20000, 40000)
        sockets = []
        try:
            for port in range(base, base + span):
                listener = socket.socket()
                sockets.append(listener)
                listener.bind(("127.0.0.1", port))
            return base
        except OSError:
            continue
        finally:
            for listener in sockets:
                listener.close()
    raise RuntimeError("no free ports for the benchmark's servers")


# A tenth of the suite's time: `make test` skips it (marker `bench`); .ci/run runs it once.
@pytest.mark.bench
def test_every_benchmark_runs_at_tiny_sizes_and_prints_its_baselines():
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SPARKSSO_VAR_DIR", "CACHE_URL")}
    env["SPARKSSO_BENCH_PORT"] = str(_free_ports())
    db = ROOT / "var" / "db.sqlite3"
    before = db.stat().st_mtime_ns if db.exists() else None
    result = subprocess.run(
        [sys.executable, "-m", "bench", "--smoke"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    out = result.stdout
    # acs, http, scim: the in-process benchmarks against their baselines.
    assert "without schema cache (python3-saml as shipped)" in out
    assert "SP-initiated sign-in, account of 51 users" in out
    assert "without accounts_user_username_ci_per_account (baseline)" in out
    # peers: the four figures of issue #11, each against its peer and against the floor (issue #20).
    for figure in ("[SCIM POST /Users]", "[SCIM filter=userName eq]", "[SCIM 100-user list page]"):
        assert figure in out
    assert "django-scim2 minimal app" in out
    assert "strict python3-saml SP, in-memory sessions and replay cache" in out
    assert "djangosaml2 (pysaml2, xmlsec1, database session)" in out
    assert out.count("floor: bare Django, the same bytes from memory") == 5
    assert "x floor" in out
    assert "sparksso: SCIM userName eq by layer" in out and "sparksso: whole sign-in by layer" in out
    # A replayed response: sparksso refuses it; what djangosaml2 does is recorded, not asserted.
    assert "(a replay) answered: sparksso HTTP 403" in out
    # scimlog: the same calls with the SCIM request log on and off, the log's rows counted (issue 22).
    assert "SCIM request log on and off, SQLite" in out
    assert "log off: 0 rows" in out and "one per request sent" in out
    assert "target: the log costs at most 10 % of a lookup (median)" in out
    # import: a full import on both sides, checked user by user.
    assert "Full import as JumpCloud does it, SQLite" in out
    assert "imported 30 users on both sides" in out
    # scale: both servers at both sizes, with peak RSS.
    assert "SCIM at scale, SQLite" in out
    assert "40 users" in out and "80 users" in out
    assert "peak RSS per worker" in out
    # load: the checks after the run.
    assert "verdict: no 5xx, no 429, no lost or duplicated user" in out
    assert (db.stat().st_mtime_ns if db.exists() else None) == before


def test_verdicts_say_met_missed_or_not_measured_from_saved_figures():
    from bench.verdicts import table

    def calls(ms: float) -> list[float]:
        return [ms / 1000] * 3

    scim = {
        "sparksso": {"post": calls(1.0), "username_eq": calls(1.0), "page_middle": calls(2.0)},
        "django-scim2": {"post": calls(3.5), "username_eq": calls(2.0), "page_middle": calls(30.0)},
        "floor": {"post": calls(0.6), "username_eq": calls(0.6), "page_middle": calls(0.8)},
    }
    sign_in = {"sparksso": calls(4.0), "peer": calls(5.0), "djangosaml2": calls(40.0), "floor": calls(0.5)}
    size = {"seconds": {"sparksso": {op: calls(1.0) for op in ("username_eq", "emails_eq", "page_first",
                                                                 "page_middle", "page_last")}},
            "peak_rss_mb": {"sparksso": 60.0}}  # fmt: skip
    saved = {
        "sqlite": {
            "peers": {"users": 2000, "scim": {"seconds": scim}, "sign_in": sign_in},
            "scale": {"database": "SQLite", "sizes": [{**size, "size": 1000}, {**size, "size": 10000}]},
        }
    }
    text = table(saved)
    assert "| SCIM `POST /Users` ≥ 3× django-scim2 (2,000 users) | 3.50× | **met** |" in text
    assert "| SCIM `userName eq` ≥ 3× django-scim2 (2,000 users) | 2.00× | **missed** |" in text
    floor = "| every call within 2× of the floor | POST 1.7×, lookup 1.7×, page 2.5×, sign-in 8.0× | **missed** |"
    assert floor in text
    assert "| whole sign-in ahead of djangosaml2 | 10.0× | **met** |" in text
    assert "SQLite: every lookup and page at 100,000 users within 1.5× of 1,000" in text
    assert text.count("not measured") == 2  # only 10,000 users were measured


def test_verdict_of_the_scim_request_log_is_its_cost_in_percent_of_a_lookup_with_the_log_off():
    from bench.verdicts import table

    def run(lookup_on_ms: float) -> dict:
        off = {"post": [0.003] * 3, "username_eq": [0.004] * 3, "page_middle": [0.010] * 3}
        on = {"post": [0.0033] * 3, "username_eq": [lookup_on_ms / 1000] * 3, "page_middle": [0.0095] * 3}
        return {"scimlog": {"database": "SQLite", "users": 2000, "seconds": {"on": on, "off": off}}}

    target = "| SQLite: SCIM request log costs ≤ 10 % of a lookup (2,000 users) |"
    met = table({"sqlite": run(4.4)})
    assert f"{target} lookup +10.0 % (4.40 against 4.00 ms); POST +10.0 %, page -5.0 % | **met** |" in met
    assert f"{target} lookup +12.5 % (4.50 against 4.00 ms); POST +10.0 %, page -5.0 % | **missed** |" in table(
        {"sqlite": run(4.5)}
    )
