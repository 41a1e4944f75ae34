"""Which user a NameID names: the group's own users first, so another user cannot be taken over."""

from accounts.models import User
from tests.ssogroups.saml.conftest import acs_post, session_json
from tests.ssogroups.saml.idp import sp_of


def test_a_provisioned_users_email_is_not_taken_by_an_unbound_username(client, account, idp, group, make_user):
    provisioned = make_user(account, "alice", email="alice@example.com", sso_group=group)
    # A password user whose *username* happens to be that address, bound to no group.
    other = make_user(account, "alice@example.com", email="other@example.com", password="correct horse 42")

    response = acs_post(client, group, idp.response(sp_of(group), name_id="alice@example.com"))

    assert response.status_code == 302  # the managed user, not the password user
    assert session_json(client).json()["username"] == "alice"
    other.refresh_from_db()
    assert other.sso_group is None  # not bound to the IdP by someone else's assertion
    assert User.objects.get(pk=provisioned.pk).sso_group == group
