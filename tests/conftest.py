"""Small factories for accounts, users and SSO groups, shared by every test module."""

import itertools

import pytest

from accounts.models import Account, User
from accounts.reauth import AUTH_TIME_KEY
from accounts.users import account_create, user_create
from sparksso import clock
from ssogroups.models import SSOCertificate, SSOGroup
from tests.support.dns_server import dns_server_running, dns_server_silent

_seq = itertools.count(1)
_sp_key_pool: list[tuple[str, str]] = []


@pytest.fixture(autouse=True)
def _sp_keys_pooled(request, monkeypatch):
    """Every group page and SP metadata request needs the deployment's SP key, which a fresh test
    database generates (RSA-3072, ~0.2 s each). Tests draw real pairs made once per session from a pool
    instead, a new one per generation within a test; a test that requests ``real_sp_key_generation``
    generates for real."""
    if "real_sp_key_generation" in request.fixturenames:
        return
    from ssogroups import sp_keys

    real = sp_keys.key_pair_generate
    drawn = itertools.count()

    def pooled(*, now, days):
        index = next(drawn)
        while len(_sp_key_pool) <= index:
            _sp_key_pool.append(real(now=now, days=days))
        return _sp_key_pool[index]

    monkeypatch.setattr(sp_keys, "key_pair_generate", pooled)


@pytest.fixture
def real_sp_key_generation():
    """Opt out of the pool (see ``_sp_keys_pooled``): keys are generated as in production."""


@pytest.fixture(autouse=True)
def _metadata_fetch_production_rules(settings):
    """Tests start from production's metadata-fetch rules (development turns both on by default);
    a test that needs http or a loopback server says so (tests/ssogroups/conftest.py: allow_private)."""
    settings.SSO_METADATA_ALLOW_HTTP = False
    settings.SSO_METADATA_ALLOW_PRIVATE_URLS = False


@pytest.fixture
def make_account(db):
    def make(*, name: str | None = None, plan: str = Account.Plan.ENTERPRISE, password: str = "correct horse 42"):
        n = next(_seq)
        account, admin = account_create(
            name=name or f"Account {n}", admin_email=f"admin{n}@example.com", admin_password=password, plan=plan
        )
        return account, admin

    return make


@pytest.fixture
def account_and_admin(make_account):
    return make_account()


@pytest.fixture
def account(account_and_admin):
    return account_and_admin[0]


@pytest.fixture
def admin(account_and_admin):
    return account_and_admin[1]


@pytest.fixture
def make_user(db):
    def make(account: Account, username: str | None = None, **fields) -> User:
        username = username or f"user{next(_seq)}@example.com"
        fields.setdefault("email", username if "@" in username else "")
        return user_create(account=account, username=username, **fields)

    return make


@pytest.fixture
def make_ssogroup(db):
    """An enabled group wired straight in the database, for tests that do not exercise metadata."""

    def make(account: Account, *, slug: str | None = None, cert_pem: str | None = None, **fields) -> SSOGroup:
        n = next(_seq)
        fields.setdefault("enabled", True)
        fields.setdefault("idp_entity_id", f"https://idp{n}.example.test/metadata")
        fields.setdefault("sso_url", f"https://idp{n}.example.test/sso")
        group = SSOGroup.objects.create(account=account, name=f"Group {n}", slug=slug or f"group-{n}", **fields)
        if cert_pem:
            SSOCertificate.objects.create(group=group, pem=cert_pem, sha256_fingerprint=f"test-{n}")
        return group

    return make


def force_recent_login(client, user) -> None:
    """``force_login`` plus a sign-in time of now, as a password or ForceAuthn sign-in records it:
    what sensitive admin actions (accounts.reauth.recent_auth_required) ask for."""
    client.force_login(user)
    recent_sign_in(client)


def recent_sign_in(client) -> None:
    """Mark the client's signed-in session as authenticated just now."""
    session = client.session
    session[AUTH_TIME_KEY] = int(clock.now().timestamp())
    session.save()


@pytest.fixture
def dns_zone(settings):
    """A real DNS server on 127.0.0.1 that the DNS_RESOLVER setting points at; tests fill its names."""
    with dns_server_running() as (zone, address):
        settings.DNS_RESOLVER = address
        settings.DNS_TIMEOUT_SECONDS = 2.0
        yield zone


@pytest.fixture
def dns_silent(settings):
    """A DNS server address that never answers, with a short timeout."""
    with dns_server_silent() as address:
        settings.DNS_RESOLVER = address
        settings.DNS_TIMEOUT_SECONDS = 0.3
        yield address


PLAN_CHANGED = (
    "the plan changed: this test pins a query plan or a statement count (marker `plans`). It fails when the "
    "database's planner or the ORM sends different SQL, which is not necessarily a bug: read the new plan or "
    "the statements above, measure (make bench), then update the expectation or fix the query."
)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """A failing ``plans`` test says first that a plan or a statement count changed (not a behaviour)."""
    report = yield
    if report.failed and call.when == "call" and item.get_closest_marker("plans") is not None:
        report.longrepr = f"{PLAN_CHANGED}\n\n{report.longrepr}"
    return report


@pytest.fixture(autouse=True)
def _scim_request_log_by_hand():
    """No writer thread in tests (it would write through a connection of its own, outside the test's
    transaction): entries wait in the queue, tests/scim/test_request_log.py flushes them by hand, and
    whatever a test left there is forgotten after it."""
    from scim.request_log import request_log_background_set, request_log_discard

    request_log_background_set(False)
    yield
    request_log_discard()
