"""Which IdP /login sends an identifier to: only a verified domain or a user unique across all accounts.

One account's data (a SCIM user, an email) never steers another account's users, and unknown,
ambiguous and password identifiers get the same page.
"""

import re

import pytest
from django.test import Client

from accounts.models import Account, Event, User
from scim.tokens import scim_token_create
from sparksso import clock
from ssogroups.models import SSODomain
from ssogroups.saml.selectors import ssogroup_for_identifier

PASSWORD = "correct horse 42"
SCIM_USERS = "/api/v1/users/scim/v2/Users"
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
CSRF = re.compile(rb'name="csrfmiddlewaretoken" value="[^"]*"')


def verify(group, domain: str) -> SSODomain:
    """A verified claim, as ssodomain_verify leaves it (the DNS path has its own tests)."""
    return SSODomain.objects.create(
        account=group.account, group=group, domain=domain, verification_token="t", verified_at=clock.now()
    )


def identifier_step(identifier: str):
    return Client().post("/login", {"identifier": identifier})


def routed_to(identifier: str) -> str | None:
    response = identifier_step(identifier)
    if response.status_code == 302:
        return response["Location"]
    assert response.status_code == 200
    assert b'name="password"' in response.content
    return None


def page_without(response, identifier: str) -> bytes:
    """The page minus what must differ: the CSRF token and the identifier echoed in its field."""
    return CSRF.sub(b"", response.content).replace(identifier.encode(), b"IDENTIFIER")


@pytest.fixture
def account_b(make_account):
    """Account B: its admin (a password user) has an address at B's domain."""
    account, admin = make_account(name="B")
    admin.email = "boss@b.example"
    admin.save(update_fields=["email"])
    return account, admin


@pytest.fixture
def scim_a(account, group, admin):
    """Account A's SCIM token, acting for A's SSO group (the ``group`` fixture)."""
    _, plaintext = scim_token_create(account=account, sso_group=group, label="a", created_by=admin)
    return {"HTTP_AUTHORIZATION": f"Bearer {plaintext}"}


def scim_create(headers, user_name: str, email: str) -> dict:
    body = {"schemas": [USER_SCHEMA], "userName": user_name, "emails": [{"value": email, "primary": True}]}
    response = Client().post(SCIM_USERS, body, content_type="application/scim+json", **headers)
    assert response.status_code == 201, response.content
    return response.json()


# ---- (a) a verified domain ----


def test_an_unverified_claim_routes_nothing(group):
    SSODomain.objects.create(account=group.account, group=group, domain="corp.example", verification_token="t")
    assert routed_to("newcomer@corp.example") is None


def test_a_verified_domain_routes_its_addresses_to_its_group(group):
    verify(group, "corp.example")
    assert routed_to("newcomer@Corp.Example") == group.login_url
    assert routed_to("newcomer@sub.corp.example") is None  # exactly the domain, not its subdomains
    assert routed_to("newcomer") is None


@pytest.mark.parametrize("why", ["group disabled", "plan without SSO"])
def test_a_verified_domain_of_an_unusable_group_routes_nothing(group, why):
    verify(group, "corp.example")
    if why == "group disabled":
        group.enabled = False
        group.save()
    else:
        Account.objects.filter(pk=group.account_id).update(plan=Account.Plan.STARTER)
    assert routed_to("newcomer@corp.example") is None


def test_a_managed_user_goes_to_their_own_group_before_the_domains(account, group, make_ssogroup, make_user):
    other = make_ssogroup(account, slug="contractors")
    verify(group, "corp.example")
    make_user(account, "carl@corp.example", sso_group=other)
    assert routed_to("carl@corp.example") == other.login_url
    assert routed_to("dora@corp.example") == group.login_url


# ---- (b) a user unique across all accounts ----


def test_a_unique_managed_user_routes_by_username_or_email(account, group, make_user):
    make_user(account, "erin", email="erin@mail.example", sso_group=group)
    assert routed_to("ERIN") == group.login_url
    assert routed_to("Erin@Mail.example") == group.login_url


@pytest.mark.parametrize("state", ["inactive", "group disabled", "unmanaged"])
def test_a_unique_user_who_cannot_use_sso_routes_nothing(account, group, make_user, state):
    make_user(
        account,
        "frank@mail.example",
        sso_group=None if state == "unmanaged" else group,
        is_active=state != "inactive",
        password=PASSWORD if state == "unmanaged" else None,
    )
    if state == "group disabled":
        group.enabled = False
        group.save()
    assert routed_to("frank@mail.example") is None


def test_a_name_in_two_accounts_routes_nothing_even_if_the_other_is_inactive(
    account, group, make_user, make_account, make_ssogroup
):
    make_user(account, "gail@mail.example", sso_group=group)
    other_account, _ = make_account()
    make_user(other_account, "gail@mail.example", is_active=False)
    assert routed_to("gail@mail.example") is None


def test_one_users_email_and_anothers_username_make_the_name_ambiguous(account, group, make_user, make_account):
    make_user(account, "hank", email="hank@mail.example", sso_group=group)
    other_account, _ = make_account()
    make_user(other_account, "hank@mail.example", email="")
    assert routed_to("hank@mail.example") is None
    assert routed_to("hank") == group.login_url


# ---- one account's data never steers another's users ----


def test_a_scim_user_with_another_accounts_admin_address_does_not_phish_her(client, group, scim_a, account_b):
    """The issue's attack: A's SCIM creates a user whose email is B's admin's address."""
    _, boss = account_b
    unknown_before = identifier_step("nobody@b.example")
    scim_create(scim_a, "boss-lookalike", boss.email)
    assert User.objects.filter(email__iexact=boss.email).count() == 2

    response = identifier_step(boss.email)

    assert response.status_code == 200  # the password step, not A's IdP
    assert page_without(response, boss.email) == page_without(unknown_before, "nobody@b.example")
    assert ssogroup_for_identifier(identifier=boss.email) is None
    assert client.post("/login", {"identifier": boss.email, "password": PASSWORD}).status_code == 302
    assert client.get("/api/v1/session").json()["account_id"] == boss.account_id


def test_a_verified_domain_beats_another_accounts_managed_user(group, scim_a, account_b, make_ssogroup):
    account, _ = account_b
    b_group = make_ssogroup(account, slug="b-idp")
    verify(b_group, "b.example")
    scim_create(scim_a, "ivan@b.example", "ivan@b.example")  # unique, managed by A's group
    assert User.objects.get(username="ivan@b.example").sso_group == group

    assert routed_to("ivan@b.example") == b_group.login_url
    assert routed_to("IVAN@B.EXAMPLE") == b_group.login_url


def test_a_foreign_managed_user_at_a_verified_domain_whose_group_is_disabled_routes_nothing(
    group, scim_a, account_b, make_ssogroup
):
    account, _ = account_b
    b_group = make_ssogroup(account, slug="b-idp", enabled=False)
    verify(b_group, "b.example")
    scim_create(scim_a, "judy@b.example", "judy@b.example")
    assert routed_to("judy@b.example") is None  # never A's group, even with B's group off


def test_another_account_cannot_verify_or_claim_its_way_into_a_verified_domain(group, make_account, make_ssogroup):
    verify(group, "corp.example")
    rival_account, _ = make_account()
    rival = make_ssogroup(rival_account)
    SSODomain.objects.create(account=rival_account, group=rival, domain="corp.example", verification_token="r")
    assert routed_to("kim@corp.example") == group.login_url


# ---- one answer for everything that does not route ----


def test_unknown_ambiguous_password_and_unroutable_identifiers_get_the_same_page(
    account, admin, group, make_user, make_account, make_ssogroup
):
    other_account, _ = make_account()
    other_group = make_ssogroup(other_account)
    make_user(account, "twin@mail.example", sso_group=group)
    make_user(other_account, "twin@mail.example", sso_group=other_group)
    make_user(account, "pat@mail.example", password=PASSWORD)
    SSODomain.objects.create(account=account, group=group, domain="claimed.example", verification_token="t")
    cases = {
        "unknown": "nobody@nowhere.example",
        "ambiguous": "twin@mail.example",
        "password user": "pat@mail.example",
        "admin": admin.email,
        "unverified domain": "lee@claimed.example",
    }
    responses = {name: identifier_step(identifier) for name, identifier in cases.items()}
    assert {name: r.status_code for name, r in responses.items()} == dict.fromkeys(cases, 200)
    pages = {name: page_without(responses[name], cases[name]) for name in cases}
    assert len(set(pages.values())) == 1, [name for name in cases if pages[name] != pages["unknown"]]
    assert not Event.objects.filter(event__startswith="sso_login").exists()


def test_a_password_admin_at_a_verified_domain_can_still_use_her_password(client, account, admin, group):
    admin.email = "root@corp.example"
    admin.save(update_fields=["email"])
    verify(group, "corp.example")
    assert routed_to(admin.email) == group.login_url

    page = client.get("/login")
    assert b'href="/login?method=password"' in page.content
    both = client.get("/login?method=password&next=/reports")
    assert b'name="identifier"' in both.content and b'name="password"' in both.content
    assert b'value="/reports"' in both.content

    response = client.post("/login", {"identifier": admin.email, "password": PASSWORD, "next": "/reports"})
    assert response.status_code == 302
    assert response["Location"] == "/reports"
    assert client.get("/api/v1/session").json()["auth_method"] == "password"
