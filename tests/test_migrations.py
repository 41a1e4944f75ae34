"""Models that moved keep their data: a database populated at the schema before the SCIM app
existed migrates forward with every token, SCIM group, membership and domain claim intact."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("accounts", "0004_scim_users_groups"), ("ssogroups", "0001_initial")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_a_database_at_the_previous_schema_keeps_its_rows():
    old = _migrate(BEFORE)
    Account = old.get_model("accounts", "Account")
    User = old.get_model("accounts", "User")
    SSOGroup = old.get_model("ssogroups", "SSOGroup")
    SSODomain = old.get_model("ssogroups", "SSODomain")
    Token = old.get_model("accounts", "ScimToken")
    ScimGroup = old.get_model("accounts", "ScimGroup")
    Membership = old.get_model("accounts", "ScimGroupMembership")

    account = Account.objects.create(name="Old", plan="enterprise")
    group = SSOGroup.objects.create(account=account, name="JC", slug="jc", metadata_url="https://idp.example/md")
    user = User.objects.create(account=account, username="alice@example.com", sso_group=group, password="!")
    SSODomain.objects.create(group=group, domain="example.com")
    token = Token.objects.create(account=account, sso_group=group, label="old", prefix="sso_scim_abcd", digest="d" * 64)
    scim_group = ScimGroup.objects.create(account=account, display_name="Engineering")
    Membership.objects.create(group=scim_group, user=user, position=0)

    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    apps = _migrate(latest)

    NewToken = apps.get_model("scim", "ScimToken")
    NewGroup = apps.get_model("scim", "ScimGroup")
    NewSSOGroup = apps.get_model("ssogroups", "SSOGroup")
    NewDomain = apps.get_model("ssogroups", "SSODomain")
    moved = NewToken.objects.get(pk=token.pk)
    assert (moved.label, moved.prefix, moved.digest, moved.sso_group_id) == ("old", "sso_scim_abcd", "d" * 64, group.pk)
    kept = NewGroup.objects.get(pk=scim_group.pk)
    assert (kept.display_name, kept.sso_group_id) == ("Engineering", group.pk)  # the account's only SSO group
    assert list(kept.members.values_list("pk", flat=True)) == [user.pk]
    assert NewSSOGroup.objects.get(pk=group.pk).idp_metadata_url == "https://idp.example/md"
    claim = NewDomain.objects.get(domain="example.com")
    assert (claim.account_id, claim.verified_at, len(claim.verification_token) > 20) == (account.pk, None, True)
