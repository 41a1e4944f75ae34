"""Performance benchmarks, each against a baseline measured in the same run.

    python -m bench [--only acs,http,scim,peers,scimlog,scale,import,load] [--rounds N] ...

acs    ACS XML validation alone, with and without the compiled-schema cache (bench/acs_validation.py)
http   whole sign-ins through the ACS view against a real database, cache off vs on (bench/acs_http.py)
scim   SCIM user lookups and list pages, with the indexes vs with them dropped (bench/scim_lookup.py)
peers  sparksso vs django-scim2, a strict python3-saml SP, djangosaml2 and the floor, all under gunicorn
       (bench/side_by_side.py)
scimlog  the same SCIM calls to sparksso with SCIM_REQUEST_LOG on and off, call by call (bench/scim_log.py)
scale  SCIM at 1,000 / 10,000 / 100,000 users, sparksso vs django-scim2, peak RSS (bench/scale.py)
import a full import as JumpCloud does it (lookup, POST, full read), users/s vs django-scim2 (bench/full_import.py)
load   concurrent clients mixing sign-ins and SCIM calls against 4 workers (bench/load.py)

Runs in a temporary directory with a temporary database (bench/env.py): a SQLite file, or a
``<name>_bench`` database next to the one DATABASE_URL names when that is PostgreSQL. The live
benchmarks (peers, scale, load) also write their figures to var/bench/<database>.json, from
which ``python -m bench.charts`` draws docs/performance/*.png.
"""

import argparse
import importlib
import json
import platform
import sys
import time
from pathlib import Path

BENCHMARKS = {
    "acs": "bench.acs_validation",
    "acs_encrypted": "bench.acs_encrypted",
    "http": "bench.acs_http",
    "scim": "bench.scim_lookup",
    "peers": "bench.side_by_side",
    "scimlog": "bench.scim_log",
    "scale": "bench.scale",
    "import": "bench.full_import",
    "load": "bench.load",
}
NEEDS_DATABASE = {"http", "scim", "peers", "scimlog", "scale", "import", "load"}
RESULTS = Path(__file__).resolve().parent.parent / "var" / "bench"
# --smoke: every benchmark once, at sizes that prove it runs (make test), never for figures.
SMOKE = {
    "rounds": 1, "iterations": 3, "requests": 2, "account_users": 300, "users": [300], "lookups": 2,
    "peer_users": 60, "scim_requests": 2, "sizes": [40, 80], "load_seconds": 3, "load_clients": 3,
    "load_workers": 2, "load_users": 50, "load_cache": "", "import_sizes": [30], "log_requests": 2,
}  # fmt: skip


def _names(text: str) -> list[str]:
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"choose from {', '.join(BENCHMARKS)}")
    return names


def _counts(minimum: int):
    def parse(text: str) -> list[int]:
        try:
            sizes = [int(n) for n in text.split(",") if n.strip()]
        except ValueError:
            raise argparse.ArgumentTypeError("a comma-separated list of user counts, e.g. 5000,20000") from None
        if not sizes or any(n < minimum for n in sizes) or sizes != sorted(sizes):
            raise argparse.ArgumentTypeError(f"ascending user counts of at least {minimum}")
        return sizes

    return parse


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--only", type=_names, default=list(BENCHMARKS), help="comma-separated: " + ",".join(BENCHMARKS)
    )
    parser.add_argument("--rounds", type=int, default=3, help="rounds per benchmark (modes alternate by round)")
    parser.add_argument("--iterations", type=int, default=200, help="acs: validations per round and mode")
    parser.add_argument("--requests", type=int, default=60, help="http, peers: sign-ins per round and mode")
    parser.add_argument(
        "--account-users", type=int, default=20000, help="http: also sign in within an account this large (0: skip)"
    )
    parser.add_argument("--users", type=_counts(200), default=[5000, 20000], help="scim: account sizes")
    parser.add_argument("--lookups", type=int, default=30, help="scim: requests per round and case")
    parser.add_argument("--peer-users", type=int, default=2000, help="peers, scimlog: users on each side")
    parser.add_argument("--scim-requests", type=int, default=30, help="peers, scale: SCIM calls per round and case")
    parser.add_argument("--log-requests", type=int, default=200, help="scimlog: calls per round, operation and server")
    parser.add_argument("--sizes", type=_counts(20), default=[1000, 10000, 100000], help="scale: account sizes")
    parser.add_argument(
        "--import-sizes", type=_counts(10), default=[1000, 10000, 100000], help="import: users imported from empty"
    )
    parser.add_argument("--load-seconds", type=int, default=60, help="load: how long")
    parser.add_argument("--load-clients", type=int, default=32, help="load: concurrent clients")
    parser.add_argument("--load-workers", type=int, default=4, help="load: gunicorn workers")
    parser.add_argument("--load-users", type=int, default=10000, help="load: users in the account")
    parser.add_argument(
        "--load-cache", default=None, help="load: CACHE_URL for the workers (default Redis DB 2; '' = database cache)"
    )
    parser.add_argument(
        "--faults",
        action="store_true",
        help="load on a private PostgreSQL and Redis broken mid-run, then the fault checks (bench/fault_load.py)",
    )
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: proves every benchmark runs (no figures)")
    return parser


def _save(name: str, vendor: str, data: dict) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{vendor}.json"
    saved = json.loads(path.read_text()) if path.exists() else {}
    saved[name] = {**data, "measured_at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    path.write_text(json.dumps(saved, indent=1))
    return path


def main() -> None:
    args = _parser().parse_args()
    if args.faults:  # its own backends (started before Django) and its own checks: exits non-zero on a problem
        from bench.fault_load import main as faults_main

        sys.exit(faults_main(args))
    if args.smoke:
        for key, value in SMOKE.items():
            setattr(args, key, value)
    from bench.env import database, django_environment
    from bench.timing import Report, table

    with django_environment() as var_dir:
        from django.db import connection

        print(f"sparksso benchmarks: Python {platform.python_version()}, {platform.machine()}, rounds={args.rounds}")
        options = {**vars(args), "var_dir": var_dir}
        live = {
            "peers": {"requests": args.scim_requests},
            "scimlog": {"requests": args.log_requests},
            "scale": {"requests": args.scim_requests, "rounds": min(args.rounds, 2)},
        }
        for name in args.only:
            module = importlib.import_module(BENCHMARKS[name])
            started = time.perf_counter()
            where = "no database"
            if name in NEEDS_DATABASE:
                with database() as where:
                    report = module.run(**{**options, **live.get(name, {})})
            else:
                report = module.run(**options)
            print()
            if isinstance(report, tuple):  # the live benchmarks: (report or text, figures to keep)
                report, data = report
                if not args.smoke:
                    print(f"  (figures saved to {_save(name, connection.vendor, data)})")
            print(table(report) if isinstance(report, Report) else report)
            print(f"  ({name}: {time.perf_counter() - started:.0f} s; {where})")
            sys.stdout.flush()


if __name__ == "__main__":
    main()
