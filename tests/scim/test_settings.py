"""Account settings → Single Sign-On: generate a SCIM token (shown once), list, revoke."""

import re

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils.html import escape

from accounts.models import Account, Event
from accounts.users import user_create
from scim import settings_views
from scim.models import ScimToken
from scim.tokens import scim_token_authenticate, scim_token_create
from tests.conftest import force_recent_login

FORM_ID = "form-id-0123456789abcdef"
TOKEN_RE = re.compile(r'id="scim-token" value="(sso_scim_[A-Za-z0-9_-]{43})"')


@pytest.fixture
def browser(admin):
    client = Client()
    force_recent_login(client, admin)
    return client


@pytest.fixture
def group(account, make_ssogroup):
    return make_ssogroup(account)


def test_generate_shows_the_token_exactly_once_with_no_store(browser, group):
    page = browser.post(
        "/account/settings/scim-tokens/", {"sso_group": group.pk, "label": "JC prod", "form_id": FORM_ID}
    )
    assert page.status_code == 201
    html = page.content.decode()
    plaintext = TOKEN_RE.search(html).group(1)
    assert "no-store" in page["Cache-Control"]
    assert "it will not be shown again" in html and "Copy token" in html
    token = ScimToken.objects.get()
    assert scim_token_authenticate(plaintext=plaintext) == token
    assert (token.label, token.sso_group, token.created_by) == ("JC prod", group, group.account.users.get())
    assert f"<code>{token.prefix}…</code>" in html
    # The plaintext rests nowhere: not in the session store, not in the token table.
    assert all(plaintext not in str(s.get_decoded()) for s in Session.objects.all())
    assert plaintext not in str(ScimToken.objects.values().get())

    again = browser.get("/account/settings/").content.decode()
    assert plaintext not in again and TOKEN_RE.search(again) is None
    assert f"<code>{token.prefix}…</code>" in again
    assert Event.objects.filter(event="scim_token_generate", target=token.prefix).count() == 1


def test_revoke_from_the_page(browser, account, admin, group):
    token, plaintext = scim_token_create(account=account, sso_group=group, label="old", created_by=admin)
    response = browser.post(f"/account/settings/scim-tokens/{token.pk}/revoke", {"confirm": "revoke"})
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert scim_token_authenticate(plaintext=plaintext) is None
    page = browser.get("/account/settings/").content.decode()
    assert f"Token {token.prefix}… revoked." in page
    assert "a revoked token cannot come back" in page
    assert Event.objects.filter(event="scim_token_revoke", actor=admin.username).count() == 1


def test_the_token_table_links_to_a_confirmation_not_a_one_click_revoke(browser, account, admin, group):
    token, _ = scim_token_create(account=account, sso_group=group, label="JC prod", created_by=admin)
    page = browser.get("/account/settings/").content.decode()
    revoke = f"/account/settings/scim-tokens/{token.pk}/revoke"
    assert f'<a class="button danger" href="{revoke}"' in page
    assert f'action="{revoke}"' not in page  # no form that revokes from the table


def test_the_confirmation_says_what_stops_and_that_it_is_final(browser, account, admin, group):
    token, _ = scim_token_create(account=account, sso_group=group, label="JC prod", created_by=admin)
    page = browser.get(f"/account/settings/scim-tokens/{token.pk}/revoke")
    html = page.content.decode()
    assert page.status_code == 200
    assert escape(settings_views.MSG_REVOKE_STOPS.format(group=group.name)) in html
    assert escape(settings_views.MSG_REVOKE_LAST.format(group=group.name)) in html
    assert escape(settings_views.MSG_REVOKE_FINAL) in html
    assert 'name="confirm" value="revoke"' in html
    assert ScimToken.objects.get().revoked_at is None  # looking revokes nothing
    assert not Event.objects.filter(event="scim_token_revoke").exists()

    scim_token_create(account=account, sso_group=group, label="new", created_by=admin)
    html = browser.get(f"/account/settings/scim-tokens/{token.pk}/revoke").content.decode()
    assert escape(settings_views.MSG_REVOKE_OTHERS.format(count=1, s="", verb="s", group=group.name)) in html


def test_a_revoke_without_the_confirmation_revokes_nothing(browser, account, admin, group):
    token, plaintext = scim_token_create(account=account, sso_group=group, label="old", created_by=admin)
    response = browser.post(f"/account/settings/scim-tokens/{token.pk}/revoke")
    assert response.status_code == 400
    assert escape(settings_views.MSG_REVOKE_UNCONFIRMED) in response.content.decode()
    assert scim_token_authenticate(plaintext=plaintext) == token
    assert not Event.objects.filter(event="scim_token_revoke").exists()


def test_another_accounts_token_cannot_be_revoked(browser, make_account, make_ssogroup):
    other, other_admin = make_account()
    token, _ = scim_token_create(account=other, sso_group=make_ssogroup(other), label="", created_by=other_admin)
    assert browser.post(f"/account/settings/scim-tokens/{token.pk}/revoke").status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


@pytest.mark.parametrize(
    ("post", "message"),
    [
        ({"sso_group": "999999", "label": "x"}, "Select a valid choice."),
        ({"label": "x"}, "This field is required."),
        ({"sso_group": "{group}", "label": "x" * 101}, "Ensure this value has at most 100 characters (it has 101)."),
    ],
)
def test_bad_generate_requests_show_the_reason_and_write_nothing(browser, group, post, message):
    data = {"form_id": FORM_ID, **{k: v.format(group=group.pk) for k, v in post.items()}}
    response = browser.post("/account/settings/scim-tokens/", data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert ScimToken.objects.count() == 0


def test_foreign_or_disabled_groups_are_not_offered(browser, account, make_account, make_ssogroup):
    other, _ = make_account()
    foreign = make_ssogroup(other)
    disabled = make_ssogroup(account, enabled=False)
    for candidate in (foreign, disabled):
        response = browser.post("/account/settings/scim-tokens/", {"sso_group": candidate.pk, "form_id": FORM_ID})
        assert response.status_code == 400
    assert ScimToken.objects.count() == 0


def test_without_an_enabled_group_the_page_says_what_to_do(browser):
    page = browser.get("/account/settings/")
    assert "Generating a SCIM token needs an enabled SSO group." in page.content.decode()
    response = browser.post("/account/settings/scim-tokens/", {"label": "x"})
    assert response.status_code == 400
    assert ScimToken.objects.count() == 0


def test_only_admins_of_sso_plans_can_generate(make_account, make_ssogroup):
    account, admin = make_account(plan=Account.Plan.STARTER)
    make_ssogroup(account)
    client = Client()
    client.force_login(admin)
    page = client.get("/account/settings/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Single Sign-On and SCIM provisioning is available on the Premier and Enterprise plans." in html
    assert "Generate SCIM token" not in html
    response = client.post("/account/settings/scim-tokens/", {"label": "x"})
    assert response.status_code == 403
    assert "Premier and Enterprise plans" in response.content.decode()

    premier, _ = make_account()
    member = user_create(account=premier, username="dev@example.com", password="correct horse 42")
    client.force_login(member)
    assert client.get("/account/settings/").status_code == 403
    assert Client().get("/account/settings/").status_code == 302  # signed out: to the login page
    assert ScimToken.objects.count() == 0


def test_get_only_for_the_page_and_post_only_for_actions(browser):
    assert browser.post("/account/settings/").status_code == 405
    assert browser.get("/account/settings/scim-tokens/").status_code == 405


def _form_id(page) -> str:
    return re.search(r'name="form_id" value="([^"]+)"', page.content.decode()).group(1)


def test_the_same_form_mints_one_token_and_never_shows_it_again(browser, group):
    form_id = _form_id(browser.get("/account/settings/"))
    data = {"sso_group": group.pk, "label": "JC prod", "form_id": form_id}
    first = browser.post("/account/settings/scim-tokens/", data)
    assert first.status_code == 201
    plaintext = TOKEN_RE.search(first.content.decode()).group(1)
    assert _form_id(first) != form_id  # the page's next form is a new one

    # Reload (the browser re-POSTs), resubmission, double click: the same form id each time.
    for _ in range(2):
        again = browser.post("/account/settings/scim-tokens/", data)
        assert again.status_code == 409
        html = again.content.decode()
        assert "This form already generated its SCIM token, so no other token was made." in html
        assert "cannot be shown again" in html
        assert TOKEN_RE.search(html) is None and plaintext not in html
    assert ScimToken.objects.count() == 1
    assert Event.objects.filter(event="scim_token_generate").count() == 1
    token = ScimToken.objects.get()
    assert plaintext not in str(ScimToken.objects.values().get())
    assert token.form_digest and form_id not in token.form_digest


def test_a_form_without_its_id_mints_nothing(browser, group):
    response = browser.post("/account/settings/scim-tokens/", {"sso_group": group.pk, "label": "x"})
    assert response.status_code == 400
    assert "This form has expired. Generate the token again from the form below." in response.content.decode()
    assert ScimToken.objects.count() == 0
    assert not Event.objects.filter(event="scim_token_generate").exists()
