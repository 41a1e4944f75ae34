"""Performance benchmarks, each against a baseline measured in the same run.

    python -m bench [--only acs,http,scim] [--rounds N] ...

acs   ACS XML validation alone, with and without the compiled-schema cache (bench/acs_validation.py)
http  whole sign-ins through the ACS view against a real database, cache off vs on (bench/acs_http.py)
scim  SCIM user lookups and list pages, with the indexes vs with them dropped (bench/scim_lookup.py)

Runs in a temporary directory with a temporary database (bench/env.py): a SQLite file, or a
``<name>_bench`` database next to the one DATABASE_URL names when that is PostgreSQL.
"""

import argparse
import importlib
import platform
import sys
import time

BENCHMARKS = {"acs": "bench.acs_validation", "http": "bench.acs_http", "scim": "bench.scim_lookup"}
NEEDS_DATABASE = {"http", "scim"}


def _names(text: str) -> list[str]:
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"choose from {', '.join(BENCHMARKS)}")
    return names


def _sizes(text: str) -> list[int]:
    try:
        sizes = [int(n) for n in text.split(",") if n.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError("a comma-separated list of user counts, e.g. 5000,20000") from None
    if not sizes or any(n < 200 for n in sizes) or sizes != sorted(sizes):
        raise argparse.ArgumentTypeError("ascending user counts of at least 200")
    return sizes


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--only", type=_names, default=list(BENCHMARKS), help="comma-separated: acs,http,scim")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per benchmark (modes alternate by round)")
    parser.add_argument("--iterations", type=int, default=200, help="acs: validations per round and mode")
    parser.add_argument("--requests", type=int, default=60, help="http: sign-ins per round and mode")
    parser.add_argument(
        "--account-users", type=int, default=20000, help="http: also sign in within an account this large (0: skip)"
    )
    parser.add_argument("--users", type=_sizes, default=[5000, 20000], help="scim: account sizes, e.g. 5000,20000")
    parser.add_argument("--lookups", type=int, default=30, help="scim: requests per round and case")
    return parser


def main() -> None:
    args = _parser().parse_args()
    from bench.env import database, django_environment
    from bench.timing import table

    with django_environment():
        print(f"sparksso benchmarks: Python {platform.python_version()}, {platform.machine()}, rounds={args.rounds}")
        options = vars(args)
        for name in args.only:
            module = importlib.import_module(BENCHMARKS[name])
            started = time.perf_counter()
            where = "no database"
            if name in NEEDS_DATABASE:
                with database() as where:
                    report = module.run(**options)
            else:
                report = module.run(**options)
            print()
            print(table(report))
            print(f"  ({name}: {time.perf_counter() - started:.0f} s; {where})")
            sys.stdout.flush()


if __name__ == "__main__":
    main()
