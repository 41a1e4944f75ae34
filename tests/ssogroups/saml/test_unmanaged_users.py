"""An IdP signs in only the users its SSO group manages (issue #8).

A valid, strictly checked response that names a password user (the account's admin, say) signs no
one in, binds no one and changes no one: reason ``unmanaged_user``. The group's adopt policy is the
one exception, and only for non-admins without a password whose email is in a verified domain.
"""

import pytest

from accounts.models import Event, User
from sparksso import clock
from ssogroups.models import SSODomain
from tests.ssogroups.saml.conftest import acs_post, counts, session_json
from tests.ssogroups.saml.idp import sp_of
from tests.ssogroups.saml.test_acs_rejections import assert_refused


def _snapshot(user: User) -> tuple:
    user.refresh_from_db()
    return (user.sso_group_id, user.password, user.email, user.first_name, user.role, user.is_active, user.updated_at)


def _after_refusal() -> dict:
    """What a refusal after validation leaves: no session; the assertion is spent (single use)."""
    expected = counts()
    expected["consumed"] += 1
    return expected


def _verified(group, domain: str = "example.com", *, verified: bool = True) -> SSODomain:
    return SSODomain.objects.create(
        account=group.account,
        group=group,
        domain=domain,
        verification_token="tok",
        verified_at=clock.now() if verified else None,
    )


def test_the_password_admin_asserted_by_the_idp_is_refused(client, idp, group, admin):
    before, admin_before, events_before = _after_refusal(), _snapshot(admin), Event.objects.count()
    xml = idp.response(sp_of(group), name_id=admin.email, attributes={"firstName": ["Mallory"]})

    response = acs_post(client, group, xml)

    failure = assert_refused(client, response, group, "unmanaged_user", before=before)
    assert failure.name_id == admin.email
    assert _snapshot(admin) == admin_before  # not bound, no password removed, profile untouched
    assert Event.objects.count() == events_before + 1  # only the failure itself
    assert not Event.objects.filter(event__in=["user_bind", "user_adopt_sso", "user_update_sso"]).exists()


def test_jit_never_creates_a_twin_of_an_unmanaged_user(client, idp, group, account, make_user):
    group.jit_provisioning = True
    group.save()
    dave = make_user(account, "dave@example.com")
    users_before = User.objects.count()

    response = acs_post(client, group, idp.response(sp_of(group), name_id="DAVE@example.com"))

    assert_refused(client, response, group, "unmanaged_user")
    assert User.objects.count() == users_before
    dave.refresh_from_db()
    assert dave.sso_group_id is None


def test_the_adopt_policy_takes_over_a_user_in_a_verified_domain(client, idp, group, account, make_user):
    group.adopt_existing_users = True
    group.save()
    _verified(group)
    erin = make_user(account, "erin@example.com")

    response = acs_post(client, group, idp.response(sp_of(group), name_id="erin@example.com"))

    assert response.status_code == 302
    assert session_json(client).json()["username"] == "erin@example.com"
    erin.refresh_from_db()
    assert erin.sso_group_id == group.pk
    event = Event.objects.get(event="user_adopt_sso")
    assert (event.target, event.actor, event.changes["sso_group"]) == (
        "erin@example.com",
        f"sso:{group.slug}",
        group.slug,
    )


@pytest.mark.parametrize(
    "case",
    ["policy-off", "domain-unverified", "domain-of-another-group", "admin", "has-password"],
)
def test_the_adopt_policy_never_covers_anyone_else(client, idp, group, account, make_user, make_ssogroup, case):
    group.adopt_existing_users = case != "policy-off"
    group.save()
    if case == "domain-of-another-group":
        _verified(make_ssogroup(account))
    else:
        _verified(group, verified=case != "domain-unverified")
    fields = {"role": "admin"} if case == "admin" else {}
    if case == "has-password":
        fields["password"] = "correct horse 42"
    frank = make_user(account, "frank@example.com", **fields)
    frank_before, before = _snapshot(frank), _after_refusal()

    response = acs_post(client, group, idp.response(sp_of(group), name_id="frank@example.com"))

    assert_refused(client, response, group, "unmanaged_user", before=before)
    assert _snapshot(frank) == frank_before
