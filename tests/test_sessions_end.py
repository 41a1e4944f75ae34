"""Deactivation is immediate, whichever way it comes: every session of the user ends in the same
request, on every path that deactivates or deletes her or ends her SSO group — and only hers.

One place for all the paths (DESIGN.md: "Deactivation is immediate"); each user signs in for real,
through the strict ACS with a response the independent test IdP signed, in two browsers.
"""

import json
from collections.abc import Callable

import pytest
from django.test import Client

from accounts.models import Event, User, UserSession
from accounts.users import user_deactivate, user_delete
from scim.tokens import scim_token_create
from ssogroups.services import ssogroup_delete
from ssogroups.trust import Authority, ssogroup_change
from tests.scim.conftest import BASE, USER_SCHEMA, patch_body
from tests.ssogroups.saml.conftest import acs_post
from tests.ssogroups.saml.idp import TestIdP, sp_of
from tests.support.keys import shared_keypair

PASSWORD = "correct horse 42"
IDP_ENTITY_ID = "https://idp.example.test/saml"


def _scim(account, group, admin) -> Callable:
    _token, plaintext = scim_token_create(account=account, sso_group=group, label="t", created_by=admin)

    def call(method: str, user: User, body=None):
        kwargs = {"content_type": "application/scim+json", "HTTP_AUTHORIZATION": f"Bearer {plaintext}"}
        path = f"{BASE}/Users/{user.scim_id}"

        response = getattr(Client(), method)(path, json.dumps(body) if body is not None else "", **kwargs)
        assert response.status_code in (200, 204), response.content
        return response

    return call


PATHS = {
    "service-deactivate": lambda ctx, u: user_deactivate(user=u, actor="admin"),
    "service-delete": lambda ctx, u: user_delete(user=u, actor="admin"),
    "users-page-deactivate": lambda ctx, u: ctx["admin_browser"].post(
        f"/account/users/{u.pk}/active", {"active": "false"}
    ),
    "scim-patch-string-False": lambda ctx, u: ctx["scim"](
        "patch", u, patch_body({"op": "Replace", "path": "active", "value": "False"})
    ),
    "scim-put-inactive": lambda ctx, u: ctx["scim"](
        "put", u, {"schemas": [USER_SCHEMA], "userName": u.username, "active": False}
    ),
    "scim-delete": lambda ctx, u: ctx["scim"]("delete", u),
    "group-disable": lambda ctx, u: ssogroup_change(
        group=ctx["group"], authority=Authority.OPERATOR, actor="admin", enabled=False
    ),
    "group-delete": lambda ctx, u: ssogroup_delete(group=ctx["group"], actor="admin"),
}


@pytest.fixture
def ctx(tmp_path, make_account, make_ssogroup, settings):
    settings.BASE_URL = "https://sso.example.test"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    account, admin = make_account(password=PASSWORD)
    keys = shared_keypair("saml-idp-main")
    group = make_ssogroup(account, slug="jumpcloud", cert_pem=keys.cert_pem, idp_entity_id=IDP_ENTITY_ID)
    admin_browser = Client()
    assert admin_browser.post("/login", {"identifier": admin.email, "password": PASSWORD}).status_code == 302
    return {
        "account": account,
        "group": group,
        "admin": admin,
        "admin_browser": admin_browser,
        "idp": TestIdP(tmp_path / "idp", keys, entity_id=IDP_ENTITY_ID),
        "scim": _scim(account, group, admin),
    }


@pytest.mark.parametrize("path", list(PATHS))
def test_every_path_that_ends_a_user_ends_all_her_sessions_and_no_one_elses(ctx, make_user, path):
    alice = make_user(ctx["account"], "alice@example.com", sso_group=ctx["group"])
    bob = make_user(ctx["account"], "bob@example.com", sso_group=ctx["group"])
    browsers = [Client(), Client()]
    for browser in browsers:
        response = acs_post(browser, ctx["group"], ctx["idp"].response(sp_of(ctx["group"]), name_id=alice.email))
        assert response.status_code == 302
        assert browser.get("/api/v1/session").json()["username"] == "alice@example.com"
    bobs = Client()
    bobs.force_login(bob)
    assert UserSession.objects.filter(user=alice).count() == 2

    PATHS[path](ctx, alice)

    assert [b.get("/api/v1/session").status_code for b in browsers] == [401, 401]
    assert not UserSession.objects.filter(user_id=alice.pk).exists()
    assert ctx["admin_browser"].get("/api/v1/session").status_code == 200  # the admin signed in with a password
    if not path.startswith("group-"):
        assert bobs.get("/api/v1/session").status_code == 200  # another user of the same group keeps hers
        assert Event.objects.filter(target="alice@example.com").exclude(event="sso_login_success").exists()
