"""The last-admin and break-glass rules hold under concurrent requests (issue 18 item 7).

Real threads, each with its own database connection, send the requests at once through a barrier,
tens of times: on PostgreSQL (``postgres_only`` in CI) and on SQLite in a WAL file. Before the rule
was checked under the account lock, two admins deactivating each other left none in 29 of 40 tries.
"""

import json
import threading
from collections.abc import Callable

import pytest
from django.core.exceptions import ValidationError
from django.db import connections
from django.test import Client

from accounts.models import Account, User
from accounts.users import MSG_LAST_ADMIN, account_create, user_create, user_update
from scim.tokens import scim_token_create
from ssogroups.models import SSOGroup
from tests.conftest import force_recent_login
from tests.scim.conftest import BASE, patch_body
from tests.support.race_db import race_db  # noqa: F401 - a fixture

TRIES = 20
PASSWORD = "correct horse 42"

pytestmark = [pytest.mark.usefixtures("race_db"), pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _at_once(*calls: Callable[[], object]) -> list[object]:
    """Run the calls in threads released together; each thread closes its own connection."""
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)
    errors: list[BaseException] = []

    def run(i: int, call: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout=30)
            results[i] = call()
        except ValidationError as exc:  # the service refused: what a losing request should get
            results[i] = exc
        except BaseException as exc:  # noqa: BLE001 - surfaced by the assertion below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    return results


def _two_admins(n: int) -> tuple[User, User]:
    account, first = account_create(
        name=f"Race {n}", admin_email=f"a{n}@race.example", admin_password=PASSWORD, plan=Account.Plan.ENTERPRISE
    )
    second = user_create(
        account=account, username=f"b{n}@race.example", email=f"b{n}@race.example", role=User.Role.ADMIN,
        password=PASSWORD,
    )  # fmt: skip
    return first, second


def _browser(user: User) -> Client:
    browser = Client()
    force_recent_login(browser, user)
    return browser


def _active_admins(account_id: int) -> int:
    return User.objects.filter(account_id=account_id, role=User.Role.ADMIN, is_active=True).count()


def _break_glass_admins(account_id: int) -> int:
    users = User.objects.filter(account_id=account_id, role=User.Role.ADMIN, is_active=True, sso_group=None)
    return users.exclude(password__startswith="!").exclude(password="").count()


def _deactivate_each_other(n: int) -> None:
    a, b = _two_admins(n)
    browser_a, browser_b = _browser(a), _browser(b)
    statuses = _at_once(
        lambda: browser_a.post(f"/account/users/{b.pk}/active", {"active": "false"}).status_code,
        lambda: browser_b.post(f"/account/users/{a.pk}/active", {"active": "false"}).status_code,
    )
    assert statuses == [302, 302]  # the loser is told why on the users page
    assert _active_admins(a.account_id) == 1, f"try {n}: no active admin left"
    assert _break_glass_admins(a.account_id) == 1


def _demote_each_other(n: int) -> None:
    a, b = _two_admins(n)
    results = _at_once(
        lambda: user_update(user=User.objects.get(pk=b.pk), actor=a.username, role=User.Role.REPORTING),
        lambda: user_update(user=User.objects.get(pk=a.pk), actor=b.username, role=User.Role.REPORTING),
    )
    refused = [r for r in results if isinstance(r, ValidationError)]
    assert len(refused) == 1, f"try {n}: {results}"
    assert refused[0].messages == [MSG_LAST_ADMIN.format(username=refused[0].messages[0].split(" ")[0])]
    assert _active_admins(a.account_id) == 1


def _deactivate_other_and_bind_self(n: int) -> None:
    a, b = _two_admins(n)
    group = SSOGroup.objects.create(
        account=a.account, name="IdP", slug=f"idp-{n}", enabled=True,
        idp_entity_id=f"https://idp{n}.example.test", sso_url=f"https://idp{n}.example.test/sso",
    )  # fmt: skip
    browser_a, browser_a2 = _browser(a), _browser(a)
    statuses = _at_once(
        lambda: browser_a.post(f"/account/users/{b.pk}/active", {"active": "false"}).status_code,
        lambda: browser_a2.post(f"/account/users/{a.pk}/bind", {"sso_group": group.pk}).status_code,
    )
    assert statuses == [302, 302]
    assert _break_glass_admins(a.account_id) == 1, f"try {n}: no break-glass admin left"


def _scim_deactivate_both(n: int) -> None:
    """Over SCIM: the account's only active admins are two users its IdP manages. (SCIM writes already
    ran in one transaction, so SQLite serialised these before; PostgreSQL lost this race.)"""
    a, _b = _two_admins(n)
    group = SSOGroup.objects.create(
        account=a.account, name="IdP", slug=f"idp-{n}", enabled=True, scim_roles=["admin", "reporting"],
        idp_entity_id=f"https://idp{n}.example.test", sso_url=f"https://idp{n}.example.test/sso",
    )  # fmt: skip
    managed = [
        user_create(account=a.account, username=f"m{i}-{n}@race.example", role=User.Role.ADMIN, sso_group=group)
        for i in range(2)
    ]
    User.objects.filter(account=a.account, sso_group=None).update(is_active=False)  # setup: no password admin
    _token, plaintext = scim_token_create(account=a.account, sso_group=group, label="race", created_by=a)
    body = json.dumps(patch_body({"op": "replace", "path": "active", "value": False}))

    def deactivate(user: User) -> int:
        return Client().patch(
            f"{BASE}/Users/{user.scim_id}", body, content_type="application/scim+json",
            HTTP_AUTHORIZATION=f"Bearer {plaintext}",
        ).status_code  # fmt: skip

    statuses = _at_once(lambda: deactivate(managed[0]), lambda: deactivate(managed[1]))
    assert sorted(statuses) == [200, 403], f"try {n}: {statuses}"
    assert _active_admins(a.account_id) == 1, f"try {n}: no active admin left"


def test_scim_deactivating_the_last_two_admins_at_once_leaves_one():
    for n in range(TRIES):
        _scim_deactivate_both(n)


def test_two_admins_deactivating_each_other_at_once_leave_one():
    for n in range(TRIES):
        _deactivate_each_other(n)


def test_two_admins_demoting_each_other_at_once_leave_one():
    for n in range(TRIES):
        _demote_each_other(n)


def test_deactivating_the_other_admin_while_binding_oneself_leaves_a_break_glass_admin():
    for n in range(TRIES):
        _deactivate_other_and_bind_self(n)
