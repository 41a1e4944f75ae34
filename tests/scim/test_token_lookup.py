"""The SCIM token lookup is hand-written SQL (scim/tokens.py): its instances must be the ORM's, value
for value and type for type (datetimes, JSON, booleans, nulls), on SQLite and on PostgreSQL, in one
SELECT; and only an unrevoked token with exactly this digest is found."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Account
from scim.models import ScimToken
from scim.tokens import scim_token_active, scim_token_create, scim_token_revoke, token_digest
from sparksso import clock


@pytest.fixture
def minted(make_account, make_ssogroup):
    account, admin = make_account(plan=Account.Plan.PREMIER)
    group = make_ssogroup(
        account,
        slug="jumpcloud",
        sso_endpoints=[{"binding": "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST", "url": "https://idp/sso"}],
        scim_roles=["admin", "developer"],
        metadata_warnings=["one", {"nested": [1, 2.5, None, True]}],
        issuer_pinned_at=datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC),
        allow_idp_initiated=False,
        jit_provisioning=True,
    )
    token, plaintext = scim_token_create(account=account, sso_group=group, label="JumpCloud é", created_by=admin)
    ScimToken.objects.filter(pk=token.pk).update(last_used_at=datetime(2026, 3, 4, 5, 6, 7, 89, tzinfo=UTC))
    return token, plaintext


def _fields(instance) -> list[tuple]:
    return [
        (field.attname, getattr(instance, field.attname), type(getattr(instance, field.attname)))
        for field in type(instance)._meta.concrete_fields
    ]


@pytest.mark.plans
@pytest.mark.django_db
def test_the_lookup_builds_what_the_orm_builds_in_one_select(minted):
    token, plaintext = minted
    expected = ScimToken.objects.select_related("account", "sso_group").get(pk=token.pk)
    with CaptureQueriesContext(connection) as queries:
        found = scim_token_active(digest=token_digest(plaintext))
        assert (found.account.plan, found.sso_group.scim_roles) == ("premier", ["admin", "developer"])
    assert len(queries.captured_queries) == 1  # the account and the group came with the token
    for built, orm in ((found, expected), (found.account, expected.account), (found.sso_group, expected.sso_group)):
        assert _fields(built) == _fields(orm)
        assert (built._state.adding, built._state.db) == (False, "default")  # a saved row: save() updates
    assert found.created_by_id == token.created_by_id and found.revoked_at is None
    assert found.sso_group.metadata_warnings == ["one", {"nested": [1, 2.5, None, True]}]
    assert found.sso_group.issuer_pinned_at == datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
    assert found.sso_group.enabled is True and found.sso_group.allow_idp_initiated is False


@pytest.mark.django_db
def test_only_an_unrevoked_token_with_exactly_this_digest_is_found(minted, monkeypatch):
    token, plaintext = minted
    digest = token_digest(plaintext)
    assert scim_token_active(digest=digest.upper()) is None  # the digest is compared as it is stored
    assert scim_token_active(digest=digest[:-1]) is None
    assert scim_token_active(digest="' OR 1=1 --") is None  # a parameter, never SQL
    monkeypatch.setattr(clock, "now", lambda: datetime(2026, 5, 1, tzinfo=UTC))
    scim_token_revoke(token=token, actor="test")
    assert scim_token_active(digest=digest) is None
