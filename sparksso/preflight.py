"""Refuse to start serving when the database or the cache cannot be used: one line, no traceback.

Called by wsgi.py in production (so any gunicorn start is guarded) and by deploy/serve.sh before
`migrate` (`python -m sparksso.preflight --before-migrate`), so that an operator reads

    CACHE_URL: the cache backend django.core.cache.backends.redis.RedisCache cannot be loaded: …

instead of a page of traceback or a 500 on every request. Management commands do not run it:
`collectstatic` and `check --deploy` need neither backend.
"""

import argparse
import os

import django
from django.conf import settings
from django.db import connections

from sparksso.backends import cache_problem, database_backend_problem, database_problem
from sparksso.startup import EXIT_APP_LOAD_ERROR, refuse

__all__ = ["EXIT_APP_LOAD_ERROR", "backends_problems", "backends_require", "main"]
DATABASE_CACHE = "django.core.cache.backends.db.DatabaseCache"


def backends_problems(*, before_migrate: bool = False) -> list[str]:
    """The line naming the first unusable backend, or nothing when both answer.

    Before `migrate`, the database cache's table may not exist yet: that cache is probed later,
    when the WSGI application loads.
    """
    problem = database_backend_problem()
    if problem:
        return [problem]
    django.setup()  # idempotent; the models need the database backend loaded above
    problem = database_problem()
    if problem:
        return [problem]
    if before_migrate and settings.CACHES["default"]["BACKEND"] == DATABASE_CACHE:
        return []
    problem = cache_problem()
    return [problem] if problem else []


def backends_require(*, before_migrate: bool = False) -> None:
    """Exit with one line on stderr unless the backends answer; close what the probe opened."""
    problems = backends_problems(before_migrate=before_migrate)
    # gunicorn --preload forks workers after this: they must not share the probe's connection.
    connections.close_all()
    if problems:
        refuse(problems[0])


def main(argv: list[str] | None = None) -> None:
    """`python -m sparksso.preflight [--before-migrate]`: exit 0 when the backends answer."""
    parser = argparse.ArgumentParser(prog="python -m sparksso.preflight", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--before-migrate", action="store_true", help="skip the database cache, whose table migrate creates"
    )
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sparksso.settings")
    backends_require(before_migrate=args.before_migrate)


if __name__ == "__main__":
    main()
