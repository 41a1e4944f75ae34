"""accounts asks SSO groups through hooks (accounts/idp_hooks.py) that SsogroupsConfig.ready()
fills: how a managed user re-authenticates, and whether a password admin's sign-in is break-glass.
With nothing registered, accounts stands alone: everyone confirms with a password."""

from html import escape

import pytest

from accounts import idp_hooks
from accounts.reauth import MSG_SSO_UNAVAILABLE
from ssogroups.saml.reauth_route import sso_in_use, sso_reauth_route


@pytest.fixture
def sso_admin(account, make_ssogroup, make_user):
    group = make_ssogroup(account, slug="jumpcloud")
    return make_user(account, "sso-admin@example.com", role="admin", sso_group=group)


def test_ssogroups_registers_its_hooks_once_at_start_up():
    assert idp_hooks._reauth_routers.count(sso_reauth_route) == 1
    assert idp_hooks._in_use_checks.count(sso_in_use) == 1
    idp_hooks.reauth_router_register(sso_reauth_route)  # twice is a no-op
    assert idp_hooks._reauth_routers.count(sso_reauth_route) == 1


def test_a_managed_admin_confirms_through_her_group(client, sso_admin):
    client.force_login(sso_admin)
    page = client.get("/account/reauth", {"next": "/account/users/"}).content.decode()
    url = sso_admin.sso_group.login_url + "?reauth=1&next=%2Faccount%2Fusers%2F"
    assert f'href="{escape(url)}"' in page
    assert "Sign in again with " + sso_admin.sso_group.name in page
    assert 'name="password"' not in page


def test_a_managed_admin_of_a_disabled_group_is_told_why(client, sso_admin):
    sso_admin.sso_group.enabled = False
    sso_admin.sso_group.save()
    client.force_login(sso_admin)
    page = client.get("/account/reauth").content.decode()
    assert escape(MSG_SSO_UNAVAILABLE) in page
    assert "reauth=1" not in page and 'name="password"' not in page


def test_with_no_hook_registered_everyone_confirms_with_a_password(client, sso_admin, monkeypatch):
    monkeypatch.setattr(idp_hooks, "_reauth_routers", [])
    monkeypatch.setattr(idp_hooks, "_in_use_checks", [])
    client.force_login(sso_admin)
    page = client.get("/account/reauth").content.decode()
    assert 'name="password"' in page and "reauth=1" not in page
    assert idp_hooks.account_uses_idp(sso_admin.account) is False


def test_an_account_uses_an_idp_only_with_an_enabled_group_of_its_own(account, make_account, make_ssogroup):
    other, _ = make_account()
    make_ssogroup(other)  # another tenant's enabled group says nothing about this account
    assert idp_hooks.account_uses_idp(account) is False
    group = make_ssogroup(account, enabled=False)
    assert idp_hooks.account_uses_idp(account) is False
    group.enabled = True
    group.save()
    assert idp_hooks.account_uses_idp(account) is True
