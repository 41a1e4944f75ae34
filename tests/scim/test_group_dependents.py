"""Deleting an SSO group takes its SCIM tokens with it; ssogroups counts them for the delete page
and the sso_group_delete event through the hook SCIM registers (ssogroups/dependents.py)."""

from accounts.models import Event
from scim.models import ScimToken
from scim.tokens import scim_token_create, scim_token_revoke
from ssogroups.dependents import group_dependent_counts
from tests.conftest import force_recent_login


def test_the_delete_page_and_event_count_the_groups_tokens(client, account, admin, make_ssogroup):
    group = make_ssogroup(account, slug="jumpcloud")
    other = make_ssogroup(account, slug="other")
    for _ in range(2):
        scim_token_create(account=account, sso_group=group, label="t", created_by=admin, actor="setup")
    token, _ = scim_token_create(account=account, sso_group=group, label="old", created_by=admin, actor="setup")
    scim_token_revoke(token=token, actor="setup")
    scim_token_create(account=account, sso_group=other, label="t", created_by=admin, actor="setup")
    assert group_dependent_counts(group=group) == {"scim_tokens": 3}
    force_recent_login(client, admin)

    page = client.get("/account/sso/jumpcloud/delete").content.decode()
    assert "<strong>3 SCIM tokens</strong> provisioning into this group will be deleted too." in page
    client.post("/account/sso/jumpcloud/delete", {"confirm": "on"})

    assert Event.objects.get(event="sso_group_delete").changes["scim_tokens"] == 3
    assert list(ScimToken.objects.values_list("sso_group__slug", flat=True)) == ["other"]


def test_a_group_without_tokens_says_nothing_of_them(client, account, admin, make_ssogroup):
    make_ssogroup(account, slug="jumpcloud")
    force_recent_login(client, admin)
    page = client.get("/account/sso/jumpcloud/delete").content.decode()
    assert "SCIM token" not in page
