"""What a request spends in each of sparksso's own layers, measured in this process.

The live benchmark gives the whole request under gunicorn and the floor (bare Django, the same
bytes). In between sits sparksso's work; this probe runs the same calls through the Django test
client with every SQL statement timed by ``connection.execute_wrapper`` (Django's public hook),
the ORM's building of each statement timed around the compiler (a probe in this process only:
the ORM's Python is most of a query's cost here, SQLite's own work a few µs), and every commit
timed, each statement classed by what it touches:

auth        the SCIM token check's statements (``accounts_scimtoken``)
queries     every other read, its ORM query building included
writes      session, session tracking and replay records
audit       the event row (``accounts_event``)
commit      COMMIT, and BEGIN / SAVEPOINT / RELEASE

The middleware's cost is a 404 through sparksso's middleware less the same 404 with none
(``override_settings(MIDDLEWARE=[])``); the view's own Python (parsing, validation that is not
SQL, serialisation) is what is left of the in-process request after that 404 and the SQL.
Medians per request over ``requests`` calls.
"""

import logging
import statistics
import time
from collections import defaultdict
from contextlib import contextmanager
from urllib.parse import urlsplit

from django.conf import settings as django_settings
from django.db import connection
from django.db.models.sql import compiler
from django.test import Client, override_settings

from bench.names import person
from bench.saml_response import signed_response
from bench.scim_ops import BenchmarkFailed
from sparksso import clock

CATEGORIES = ("auth", "queries", "writes", "audit", "commit")


def _category(sql: str) -> str:
    text = sql.lstrip().upper()
    if text.startswith(("BEGIN", "SAVEPOINT", "RELEASE", "COMMIT")):
        return "commit"
    if "ACCOUNTS_SCIMTOKEN" in text:
        return "auth"
    if text.startswith("INSERT") and "ACCOUNTS_EVENT" in text:
        return "audit"
    if text.startswith(("INSERT", "UPDATE", "DELETE")):
        return "writes"
    return "queries"


COMPILERS = (compiler.SQLCompiler, compiler.SQLInsertCompiler)


@contextmanager
def _timed_sql(spent: dict[str, float]):
    """Adds each statement's (with the ORM's building of it) and each commit's seconds to ``spent``."""
    state = {"depth": 0, "sql": 0.0, "last": "queries"}

    def wrapper(execute, sql, params, many, context):
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            seconds = time.perf_counter() - start
            state["last"] = _category(sql)
            state["sql"] += seconds
            spent[state["last"]] += seconds

    def orm(original):
        def execute_sql(self, *args, **kwargs):
            if state["depth"]:
                return original(self, *args, **kwargs)
            state["depth"], sql_before, start = 1, state["sql"], time.perf_counter()
            try:
                return original(self, *args, **kwargs)
            finally:
                building = time.perf_counter() - start - (state["sql"] - sql_before)
                spent[state["last"]] += max(0.0, building)
                state["depth"] = 0

        return execute_sql

    originals = {cls: cls.__dict__["execute_sql"] for cls in COMPILERS}
    for cls, original in originals.items():
        cls.execute_sql = orm(original)

    commit = connection.commit

    def timed_commit():
        start = time.perf_counter()
        try:
            return commit()
        finally:
            spent["commit"] += time.perf_counter() - start

    connection.commit = timed_commit  # this process's connection only: the benchmark's own probe
    try:
        with connection.execute_wrapper(wrapper):
            yield
    finally:
        del connection.commit
        for cls, original in originals.items():
            cls.execute_sql = original


def _probe(send, count: int) -> dict[str, float]:
    """Median ms per request: the whole in-process request and each SQL category."""
    per_request: dict[str, list[float]] = defaultdict(list)
    for k in range(count):
        spent: dict[str, float] = defaultdict(float)
        with _timed_sql(spent):
            start = time.perf_counter()
            send(k)
            total = time.perf_counter() - start
        per_request["total"].append(total * 1000)
        for category in CATEGORIES:
            per_request[category].append(spent[category] * 1000)
    return {k: statistics.median(v) for k, v in per_request.items()}


def probe(tenant, token: str, *, users: int, requests: int) -> dict[str, dict[str, float]]:
    """In-process medians for a middleware-only request, a ``userName eq`` lookup and a sign-in."""
    host = urlsplit(django_settings.BASE_URL).hostname
    scim = Client(HTTP_HOST=host, HTTP_AUTHORIZATION=f"Bearer {token}")
    group = tenant.group
    acs = urlsplit(group.acs_url).path

    quiet = logging.getLogger("django.request")
    level = quiet.level
    quiet.setLevel(logging.ERROR)  # the 404s, once per probe request

    def bare(_k):
        scim.get("/bench-no-such-page")

    with override_settings(MIDDLEWARE=[]):
        plain = Client(HTTP_HOST=host)

        def no_middleware(_k):
            plain.get("/bench-no-such-page")

        no_middleware(0)
        without = _probe(no_middleware, requests)

    def lookup(k):
        email = person((k * 7919) % users)[0]
        reply = scim.get("/api/v1/users/scim/v2/Users", {"filter": f'userName eq "{email}"'})
        if reply.status_code != 200:
            raise BenchmarkFailed(f"probe lookup: HTTP {reply.status_code}")

    signed = [
        signed_response(
            keys=tenant.keys,
            sp_entity_id=group.sp_entity_id,
            acs_url=group.acs_url,
            idp_entity_id=group.idp_entity_id,
            name_id=person((k * 7919) % users)[0],
            now=clock.now(),
            assertion_id=f"_probe_a{k}",
            response_id=f"_probe_r{k}",
        )  # fmt: skip
        for k in range(requests + 3)
    ]

    def sign_in(k):
        reply = Client(HTTP_HOST=host).post(acs, {"SAMLResponse": signed[k], "RelayState": "/account/sso/"})
        if reply.status_code != 302:
            raise BenchmarkFailed(f"probe sign-in: HTTP {reply.status_code} {reply.content[:200]!r}")

    try:
        for send in (bare, lookup):  # warm-up
            send(0)
        sign_in(requests + 2)
        return {
            "no_middleware": without,
            "middleware": _probe(bare, requests),
            "lookup": _probe(lookup, requests),
            "sign_in": _probe(sign_in, requests),
        }
    finally:
        quiet.setLevel(level)
