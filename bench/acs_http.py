"""End-to-end SP-initiated sign-ins through the real ACS view, against a real (temporary) database.

Every timed POST carries a distinct response, signed before timing starts, answering a pending
AuthnRequest created by the real sso_login_start service. So each sign-in does everything a
browser's does: group lookup, validation, pending-request consume, replay record, user lookup,
session, session tracking and the audit event. Each batch is checked afterwards: every response
a 302 to the requested page, one new session and one replay record per POST, no failure rows.

Variants alternate within every round of the same run: schema cache off, on, and on in an
account of ``--account-users`` users. The notes add XML validation's share of a sign-in, the cost
of opening a database connection, and the SQL a sign-in sends; a last table compares the ACS user
lookup as it was (``username__iexact``) with the shipped one (LOWER() on both sides, the index).
"""

import itertools
import random
from contextlib import nullcontext
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings as django_settings
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import User, UserSession
from accounts.selectors import username_is
from bench.acs_validation import LABELS, schema_cache_set, validation_compare
from bench.fixtures import Tenant, database_analyze, query_plan, tenant_create, users_bulk_create
from bench.names import address
from bench.saml_response import signed_response
from bench.timing import Report, Samples
from sparksso import clock
from ssogroups.models import ConsumedAssertion, SSOLoginFailure
from ssogroups.saml import library
from ssogroups.saml.browser_secret import AUTHN_COOKIE, browser_secret_hash
from ssogroups.saml.config import saml_settings_for_group
from ssogroups.saml.services import sso_login_start

NEXT = "/account/sso/"
SIGNERS = 50  # distinct users signing in, round-robin


class BenchmarkFailed(AssertionError):
    """A timed request did not do what a sign-in must do: the figures would be meaningless."""


@dataclass(frozen=True)
class SignIn:
    client: Client
    saml_response: str


def _state() -> dict[str, int]:
    return {
        "sessions": Session.objects.count(),
        "tracked": UserSession.objects.count(),
        "consumed": ConsumedAssertion.objects.count(),
        "failures": SSOLoginFailure.objects.count(),
    }


class Runner:
    def __init__(self, tenant: Tenant, signers: list[int] | None = None):
        self.tenant = tenant
        # Which users sign in (round-robin): spread over the account, so no lookup gets lucky early.
        self.signers = signers or list(range(SIGNERS))
        self.group = tenant.group
        self.path = urlsplit(self.group.acs_url).path
        self.host = urlsplit(django_settings.BASE_URL).hostname
        self.sequence = itertools.count()

    def prepare(self, n: int) -> list[SignIn]:
        """n fresh pending requests and the distinct signed responses answering them (untimed)."""
        prepared = []
        for _ in range(n):
            k = next(self.sequence)
            # Each sign-in is its own browser, bound to its request as the login view binds it.
            secret = f"bench{k:038d}"
            start = sso_login_start(group=self.group, next_path=NEXT, browser_hash=browser_secret_hash(secret))
            encoded = signed_response(
                keys=self.tenant.keys,
                sp_entity_id=self.group.sp_entity_id,
                acs_url=self.group.acs_url,
                idp_entity_id=self.group.idp_entity_id,
                name_id=address(self.signers[k % len(self.signers)]),
                now=clock.now(),
                assertion_id=f"_bench_a{k}",
                response_id=f"_bench_r{k}",
                in_response_to=start.request_id,
            )
            client = Client(HTTP_HOST=self.host)
            client.cookies[AUTHN_COOKIE] = secret
            prepared.append(SignIn(client, encoded))
        return prepared

    def post(self, sign_in: SignIn):
        return sign_in.client.post(self.path, {"SAMLResponse": sign_in.saml_response})

    def batch(self, prepared: list[SignIn], samples: Samples | None, *, captured: list | None = None) -> None:
        """POST each response (timing each when ``samples``), then prove every one signed someone in.

        With ``captured``, the SQL of the POSTs (only) is appended to it.
        """
        before = _state()
        outcomes = []
        # Capturing wraps every cursor in Django's debug wrapper: never while timing.
        with CaptureQueriesContext(connection) if captured is not None else nullcontext() as queries:
            for sign_in in prepared:
                if samples is None:
                    response = self.post(sign_in)
                else:
                    response = samples.time(lambda s=sign_in: self.post(s))
                outcomes.append((response.status_code, response.headers.get("Location")))
        if captured is not None:
            captured.extend(queries.captured_queries)
        after = _state()
        n = len(prepared)
        bad = [o for o in outcomes if o != (302, NEXT)]
        if bad:
            raise BenchmarkFailed(f"{len(bad)} of {n} sign-ins did not redirect to {NEXT}: {bad[:3]}")
        expected = {"sessions": n, "tracked": n, "consumed": n, "failures": 0}
        changed = {key: after[key] - before[key] for key in before}
        if changed != expected:
            raise BenchmarkFailed(f"database changes {changed}, expected {expected}")

    def queries_per_sign_in(self) -> tuple[int, int, int]:
        """(statements, writes, commits) of one more sign-in, as Django sent them."""
        captured: list = []
        self.batch(self.prepare(1), None, captured=captured)
        sql = [q["sql"].lstrip().upper() for q in captured]
        statements = [q for q in sql if not q.startswith(("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE"))]
        writes = [q for q in statements if q.startswith(("INSERT", "UPDATE", "DELETE"))]
        # Outside a transaction each write commits on its own; inside one, COMMIT shows up.
        autocommitted = _autocommitted(captured)
        return len(statements), len(writes), sum(1 for q in sql if q.startswith("COMMIT")) + autocommitted


def _autocommitted(captured: list) -> int:
    """Writes sent outside any BEGIN..COMMIT block: each is a commit of its own."""
    depth, count = 0, 0
    for query in captured:
        sql = query["sql"].lstrip().upper()
        if sql.startswith("BEGIN"):
            depth += 1
        elif sql.startswith("COMMIT"):
            depth = max(0, depth - 1)
        elif depth == 0 and sql.startswith(("INSERT", "UPDATE", "DELETE")):
            count += 1
    return count


@dataclass(frozen=True)
class Variant:
    """One way of running the same sign-ins; the variants alternate within every round."""

    label: str
    runner: Runner
    cache: str  # "cached" | "uncached"


def _variant_set(variant: Variant) -> None:
    schema_cache_set(variant.cache)


def _compare(variants: list[Variant], *, rounds: int, requests: int) -> dict[str, Samples]:
    results = {v.label: Samples() for v in variants}
    try:
        for variant in variants:  # warm-up: every variant signs in, untimed
            _variant_set(variant)
            variant.runner.batch(variant.runner.prepare(3), None)
        for _ in range(rounds):
            for variant in variants:
                prepared = variant.runner.prepare(requests)
                _variant_set(variant)
                variant.runner.batch(prepared, results[variant.label])
    finally:
        library.schema_cache_install()
    return results


def _connect_samples(n: int) -> Samples:
    """Time to open (and initialise) a new database connection, as a request does without CONN_MAX_AGE."""
    samples = Samples()
    for _ in range(n):
        connection.close()
        samples.time(connection.ensure_connection)
    return samples


def _user_lookup_experiment(runner: Runner, report: Report, *, rounds: int, requests: int) -> None:
    """The ACS's user lookup alone (sso_user_resolve's first query) in the large account: the earlier
    ``username__iexact`` against the shipped LOWER(username) = LOWER(value), the unique index's expression."""
    users = User.objects.filter(account_id=runner.tenant.account.pk)
    before, shipped = Samples(), Samples()
    for _ in range(rounds):
        for n in range(requests):
            expected = address(runner.signers[n % len(runner.signers)])
            identity = expected.upper()
            for samples, queryset in (
                (before, users.filter(username__iexact=identity)),
                (shipped, users.filter(username_is(identity))),
            ):
                found = samples.time(queryset.first)
                if found is None or found.username != expected:
                    raise BenchmarkFailed(f"user lookup for {identity} found {found}")
    group = f"the ACS user lookup query alone, account of {users.count():,} users"
    report.row(group, "before: username__iexact", before, baseline=True)
    report.row(group, "shipped: LOWER(username) = LOWER(value)", shipped)
    for label, queryset in (
        ("iexact (before)", users.filter(username__iexact="x")),
        ("LOWER (shipped)", users.filter(username_is("x"))),
    ):
        report.note(f"ACS user lookup by {label}, query plan: {query_plan(queryset)}")


def _tenant_with(name: str, users: int) -> Runner:
    tenant = tenant_create(name)
    stop = max(SIGNERS, users - 1)  # + the account's admin
    users_bulk_create(tenant=tenant, start=0, stop=stop)
    database_analyze()
    return Runner(tenant, sorted(random.Random(stop).sample(range(stop), SIGNERS)))


def run(*, rounds: int, requests: int, account_users: int, **_options) -> Report:
    runner = _tenant_with("Signin", SIGNERS + 1)
    small = User.objects.filter(account=runner.tenant.account).count()
    uncached = Variant(LABELS["uncached"], runner, "uncached")
    cached = Variant(LABELS["cached"], runner, "cached")
    variants = [uncached, cached]
    if account_users > small:
        big = _tenant_with("Large", account_users)
        large_users = User.objects.filter(account=big.tenant.account).count()
        large = Variant(f"with schema cache, account of {large_users:,} users", big, "cached")
        variants.append(large)
    report = Report(
        f"ACS end to end: POST /api/v1/users/saml/<account>/<group>/consume through the Django test client "
        f"({rounds} rounds x {requests} sign-ins per variant, alternating; a sample = one sign-in)"
    )
    results = _compare(variants, rounds=rounds, requests=requests)
    group = f"SP-initiated sign-in, account of {small} users"
    report.row(group, uncached.label, results[uncached.label], baseline=True)
    report.row(group, cached.label, results[cached.label])
    if len(variants) > 2:
        group = "same, schema cache on, by account size"
        report.row(group, f"account of {small} users", results[cached.label], baseline=True)
        report.row(group, f"account of {large_users:,} users", results[large.label])
    if len(variants) > 2:
        _user_lookup_experiment(big, report, rounds=rounds, requests=requests)

    # XML validation alone, on one of the same responses and the group's own settings.
    group_settings = saml_settings_for_group(runner.group, certificates_pem=[runner.tenant.keys.cert_pem])
    validation = validation_compare(
        encoded=runner.prepare(1)[0].saml_response,
        settings=group_settings,
        acs_url=runner.group.acs_url,
        iterations=requests,
        rounds=rounds,
    )
    for mode, variant in (("uncached", uncached), ("cached", cached)):
        share = validation[mode].median_ms / results[variant.label].median_ms
        cpu_share = validation[mode].cpu_median_ms / results[variant.label].cpu_median_ms
        report.note(
            f"{LABELS[mode]}: XML validation alone {validation[mode].median_ms:.2f} ms median = "
            f"{share:.0%} of a {results[variant.label].median_ms:.2f} ms sign-in "
            f"({cpu_share:.0%} of its {results[variant.label].cpu_median_ms:.2f} ms CPU)"
        )
    connect = _connect_samples(rounds * 10)
    report.note(
        f"opening a database connection: {connect.median_ms:.2f} ms median. The test client keeps one open; "
        f"a real server with CONN_MAX_AGE={connection.settings_dict['CONN_MAX_AGE']} opens one per request "
        "(production's default keeps them 60 s)"
    )
    statements, writes, commits = runner.queries_per_sign_in()
    report.note(
        f"one sign-in (as shipped) = {statements} SQL statements, {writes} of them writes, in {commits} commits"
    )
    return report
