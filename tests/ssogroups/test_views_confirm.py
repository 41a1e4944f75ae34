"""Issue 24 on the group's page: Enable only where it can work, no pointer to a button that is not
there, disabling says what stops and can be undone from its message, the delete box beside its label."""

import pytest
from django.utils.html import escape

from accounts.models import Event
from ssogroups import views
from ssogroups.models import SSOCertificate, SSOGroup
from tests.conftest import force_recent_login
from tests.ssogroups.samples import cert_pem

pytestmark = pytest.mark.usefixtures("fixed_now")

ENABLE_FORM = 'action="/account/sso/{slug}/enable"'


@pytest.fixture
def client_admin(client, admin):
    force_recent_login(client, admin)
    return client


@pytest.fixture
def ready(account, make_ssogroup):
    """A disabled group with an endpoint and a valid certificate: it can be enabled."""
    group = make_ssogroup(account, slug="ready", enabled=False, cert_pem=cert_pem("Ready"))
    SSOCertificate.objects.filter(group=group).update(not_after="2030-01-01T00:00:00Z")
    return group


@pytest.fixture
def enabled(account, make_ssogroup):
    group = make_ssogroup(account, slug="live", cert_pem=cert_pem("Live"))
    SSOCertificate.objects.filter(group=group).update(not_after="2030-01-01T00:00:00Z")
    return group


def test_no_enable_button_on_a_group_without_certificate_or_endpoint(client_admin, account, make_ssogroup):
    make_ssogroup(account, slug="bare", enabled=False, sso_url="")
    page = client_admin.get("/account/sso/bare/").content.decode()
    assert ENABLE_FORM.format(slug="bare") not in page
    assert ">Enable</button>" not in page
    assert (
        "To enable this group, add a SAML 2.0 Endpoint and at least one valid, unexpired SAML 2.0 Certificate" in page
    )


def test_a_ready_group_offers_enable(client_admin, ready):
    page = client_admin.get("/account/sso/ready/").content.decode()
    assert ENABLE_FORM.format(slug="ready") in page
    assert "Ready to enable" in page


def test_a_disabled_group_does_not_point_to_a_test_sign_in_button_it_lacks(client_admin, ready):
    page = client_admin.get("/account/sso/ready/").content.decode()
    assert ">Test sign-in</button>" not in page
    assert "above" not in page.split('id="no-signins"', 1)[1].split("</p>", 1)[0]
    assert "Once the group is enabled, its page offers “Test sign-in”" in page


def test_an_enabled_group_points_to_its_test_sign_in_button(client_admin, enabled):
    page = client_admin.get("/account/sso/live/").content.decode()
    assert ">Test sign-in</button>" in page and "Use “Test sign-in” above" in page


def test_disable_is_a_link_to_a_page_that_says_what_stops(client_admin, enabled, account, make_user):
    make_user(account, sso_group=enabled)
    make_user(account, sso_group=enabled)
    detail = client_admin.get("/account/sso/live/").content.decode()
    assert 'href="/account/sso/live/disable"' in detail
    assert 'action="/account/sso/live/disable"' not in detail  # no one-click disable from the group page
    page = client_admin.get("/account/sso/live/disable")
    html = page.content.decode()
    assert page.status_code == 200
    assert escape(views.MSG_DISABLE_USERS.format(count=2, s="s")) in html
    assert escape(views.MSG_DISABLE_ROUTING) in html
    assert escape(views.MSG_DISABLE_UNDO) in html
    assert 'action="/account/sso/live/disable"' in html
    # Looking disables nothing.
    assert SSOGroup.objects.get(pk=enabled.pk).enabled is True
    assert not Event.objects.filter(event="sso_group_disable").exists()


def test_the_disable_page_counts_the_groups_scim_tokens(client_admin, enabled, account, admin):
    from scim.tokens import scim_token_create

    scim_token_create(account=account, sso_group=enabled, label="JC", created_by=admin)
    html = client_admin.get("/account/sso/live/disable").content.decode()
    assert "1 SCIM token provisioning into this group are refused (401) until it is enabled again." in html


def test_the_disabled_message_offers_to_enable_it_again(client_admin, enabled, admin):
    response = client_admin.post("/account/sso/live/disable", follow=True)
    html = response.content.decode()
    assert SSOGroup.objects.get(pk=enabled.pk).enabled is False
    message = html.split('class="msg msg-success"', 1)[1].split("</li>", 1)[0]
    assert escape(views.MSG_DISABLED.format(name=enabled.name)) in message
    assert 'action="/account/sso/live/enable"' in message and "Enable it again" in message
    client_admin.post("/account/sso/live/enable")
    assert SSOGroup.objects.get(pk=enabled.pk).enabled is True
    events = Event.objects.filter(event__in=["sso_group_disable", "sso_group_enable"]).values_list("event", "actor")
    assert list(events) == [("sso_group_disable", admin.username), ("sso_group_enable", admin.username)]


def test_the_disable_page_of_a_disabled_group_goes_back_to_it(client_admin, ready):
    response = client_admin.get("/account/sso/ready/disable")
    assert (response.status_code, response["Location"]) == (302, "/account/sso/ready/")


def test_another_accounts_group_has_no_disable_page(client_admin, make_account, make_ssogroup):
    other, _ = make_account()
    make_ssogroup(other, slug="theirs")
    assert client_admin.get("/account/sso/theirs/disable").status_code == 404
    assert client_admin.post("/account/sso/theirs/disable").status_code == 404
    assert SSOGroup.objects.get(slug="theirs").enabled is True


def test_the_delete_checkbox_sits_beside_its_label(client_admin, enabled):
    html = client_admin.get("/account/sso/live/delete").content.decode()
    row = html.split('<div class="check-row">', 1)[1].split("</div>", 1)[0]
    assert 'type="checkbox" name="confirm"' in row and "Yes, delete this SSO group</label>" in row
