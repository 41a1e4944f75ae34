"""End-to-end SP-initiated sign-ins through the real ACS view, against a real (temporary) database.

Every timed POST carries a distinct response, signed before timing starts, answering a pending
AuthnRequest created by the real sso_login_start service. So each sign-in does everything a
browser's does: group lookup, validation, pending-request consume, replay record, user lookup,
session, session tracking and the audit event. Each batch is checked afterwards: every response
a 302 to the requested page, one new session and one replay record per POST, no failure rows.
The schema cache is switched off and on in alternating rounds of the same run.
"""

import itertools
from contextlib import nullcontext
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings as django_settings
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import User, UserSession
from bench.acs_validation import LABELS, MODES, schema_cache_set, validation_compare
from bench.fixtures import Tenant, address, tenant_create, users_bulk_create
from bench.saml_response import signed_response
from bench.timing import Report, Samples
from sparksso import clock
from ssogroups.models import ConsumedAssertion, SSOLoginFailure
from ssogroups.saml import library
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
    def __init__(self, tenant: Tenant):
        self.tenant = tenant
        self.group = tenant.group
        self.path = urlsplit(self.group.acs_url).path
        self.host = urlsplit(django_settings.BASE_URL).hostname
        self.sequence = itertools.count()

    def prepare(self, n: int) -> list[SignIn]:
        """n fresh pending requests and the distinct signed responses answering them (untimed)."""
        prepared = []
        for _ in range(n):
            k = next(self.sequence)
            start = sso_login_start(group=self.group, next_path=NEXT)
            encoded = signed_response(
                keys=self.tenant.keys,
                sp_entity_id=self.group.sp_entity_id,
                acs_url=self.group.acs_url,
                idp_entity_id=self.group.idp_entity_id,
                name_id=address(k % SIGNERS),
                now=clock.now(),
                assertion_id=f"_bench_a{k}",
                response_id=f"_bench_r{k}",
                in_response_to=start.request_id,
            )
            prepared.append(SignIn(Client(HTTP_HOST=self.host), encoded))
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


def _compare_modes(runner: Runner, *, rounds: int, requests: int) -> dict:
    results = {mode: Samples() for mode in MODES}
    try:
        for mode in MODES:  # warm-up: both modes sign in, untimed
            schema_cache_set(mode)
            runner.batch(runner.prepare(3), None)
        for _ in range(rounds):
            for mode in MODES:
                prepared = runner.prepare(requests)
                schema_cache_set(mode)
                runner.batch(prepared, results[mode])
    finally:
        library.schema_cache_install()
    return results


def run(*, rounds: int, requests: int, account_users: int, **_options) -> Report:
    tenant = tenant_create("Signin")
    users_bulk_create(tenant=tenant, start=0, stop=SIGNERS)
    runner = Runner(tenant)
    small = User.objects.filter(account=tenant.account).count()
    report = Report(
        f"ACS end to end: POST /api/v1/users/saml/<account>/<group>/consume through the Django test client "
        f"on {connection.vendor} ({rounds} rounds x {requests} sign-ins per mode; a sample = one sign-in)"
    )
    results = _compare_modes(runner, rounds=rounds, requests=requests)
    group = f"SP-initiated sign-in, account of {small} users"
    report.row(group, LABELS["uncached"], results["uncached"], baseline=True)
    report.row(group, LABELS["cached"], results["cached"])

    # XML validation alone, on one of the same responses and the group's own settings.
    group_settings = saml_settings_for_group(runner.group, certificates_pem=[tenant.keys.cert_pem])
    validation = validation_compare(
        encoded=runner.prepare(1)[0].saml_response,
        settings=group_settings,
        acs_url=runner.group.acs_url,
        iterations=requests,
        rounds=rounds,
    )
    for mode in MODES:
        share = validation[mode].median_ms / results[mode].median_ms
        report.note(
            f"{LABELS[mode]}: XML validation alone {validation[mode].median_ms:.2f} ms median = "
            f"{share:.0%} of a {results[mode].median_ms:.2f} ms sign-in"
        )
    statements, writes, commits = runner.queries_per_sign_in()
    report.note(f"one sign-in = {statements} SQL statements, {writes} of them writes, in {commits} commits")

    if account_users > small:
        users_bulk_create(tenant=tenant, start=SIGNERS, stop=SIGNERS + account_users - small)
        big = User.objects.filter(account=tenant.account).count()
        large = Samples()
        for _ in range(rounds):
            prepared = runner.prepare(requests)
            runner.batch(prepared, large)
        group = "same, schema cache on, by account size"
        report.row(group, f"account of {small} users", results["cached"], baseline=True)
        report.row(group, f"account of {big} users", large)
    return report
