"""Disabling or deleting an SSO group ends the sessions signed in through it, and only those."""

import pytest
from django.test import Client

from accounts.models import UserSession
from ssogroups.services import ssogroup_delete, ssogroup_set_enabled
from tests.ssogroups.saml.conftest import acs_post, session_json
from tests.ssogroups.saml.idp import sp_of

PASSWORD = "correct horse 42"


@pytest.mark.parametrize("end_group", ["disable", "delete"])
def test_disabling_or_deleting_the_group_ends_its_sso_sessions(client, idp, group, alice, admin, end_group):
    assert acs_post(client, group, idp.response(sp_of(group), name_id="alice@example.com")).status_code == 302
    assert session_json(client).json()["auth_method"] == "sso"
    admin_browser = Client()
    assert admin_browser.post("/login", {"identifier": admin.email, "password": PASSWORD}).status_code == 302

    if end_group == "disable":
        ssogroup_set_enabled(group=group, enabled=False, actor=admin.username)
    else:
        ssogroup_delete(group=group, actor=admin.username)

    assert session_json(client).status_code == 401
    assert not UserSession.objects.filter(user=alice).exists()
    # The admin signed in with a password, not through the group: still signed in.
    assert session_json(admin_browser).status_code == 200
