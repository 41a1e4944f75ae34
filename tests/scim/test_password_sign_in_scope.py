"""Password sign-in finds the right user deterministically (issue 25): rows another tenant writes
never crowd out, or stand next to, the owner of an address."""

import pytest
from django.test import Client

from accounts.backends import password_candidates
from accounts.models import Event
from sparksso import clock
from ssogroups.models import SSODomain

PASSWORD = "correct horse 42"


def _sign_in(identifier: str, password: str = PASSWORD):
    return Client().post("/login", {"identifier": identifier, "password": password})


@pytest.mark.django_db
def test_another_tenants_scim_users_with_her_email_do_not_lock_her_out(make_scim, make_account):
    """The attack as reported: ten SCIM users carrying the victim's email, created before her."""
    attacker = make_scim()
    victim_email = "anna@victim.example"
    for n in range(12):
        attacker.create_user(f"decoy{n}@attacker.example", emails=[{"value": victim_email, "primary": True}])
    assert attacker.account.users.filter(email=victim_email).count() == 12
    account, anna = make_account()
    anna.username, anna.email = "anna", victim_email  # she signs in with her email
    anna.save()

    response = _sign_in(victim_email)

    assert response.status_code == 302, response.content
    assert Event.objects.filter(event="password_login_success", account=account).count() == 1
    assert password_candidates(victim_email) == [anna]


@pytest.mark.django_db
def test_a_verified_domain_keeps_other_accounts_password_users_out(make_account, make_ssogroup):
    """Another account's password user with the owner's address and (say) a guessed password is not a
    candidate once the owner has verified the domain: the same password would otherwise make both
    ambiguous and sign no one in."""
    other, stranger = make_account()
    owner, anna = make_account()
    for user in (stranger, anna):
        user.username = user.email = "anna@owner.example"
        user.save()
    assert _sign_in("anna@owner.example").status_code == 401  # two accounts, one password: nobody
    group = make_ssogroup(owner)
    SSODomain.objects.create(account=owner, group=group, domain="owner.example", verified_at=clock.now())

    assert password_candidates("anna@owner.example") == [anna]
    response = Client().post("/login?method=password", {"identifier": "anna@owner.example", "password": PASSWORD})
    assert response.status_code == 302


@pytest.mark.django_db
def test_candidates_are_unmanaged_users_with_a_password_one_per_account_username_first(make_account, make_user):
    account, admin = make_account()
    by_email = make_user(account, "zed", email="shared@example.com", password=PASSWORD)
    make_user(account, "amy", email="shared@example.com", password=PASSWORD)
    make_user(account, "nopass", email="shared@example.com")  # unusable password: never a candidate
    assert password_candidates("shared@example.com") == [by_email]  # the oldest email match
    named = make_user(account, "shared@example.com", email="", password=PASSWORD)
    assert password_candidates("shared@example.com") == [named]  # the username match wins
