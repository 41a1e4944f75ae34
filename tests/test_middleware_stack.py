"""Every path goes through Django's own middleware: ALLOWED_HOSTS holds for the SCIM API and the
ACS as for every page; the SCIM API still sets no cookie and reads no session; the ACS and the SCIM
views are exempt from CSRF by their decorators; a sign-in is one transaction, found by URL name."""

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import resolve, reverse

from accounts.models import Account, Event
from scim.models import ScimToken
from scim.tokens import scim_token_create
from ssogroups.models import SSOLoginFailure
from ssogroups.saml.middleware import ACS_URL_NAME
from ssogroups.saml.views import consume_view

SCIM_USERS = "/api/v1/users/scim/v2/Users"
DJANGO_OWN = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]


@pytest.fixture
def token(make_account, make_ssogroup):
    account, admin = make_account(plan=Account.Plan.ENTERPRISE)
    group = make_ssogroup(account, slug="jumpcloud")
    token, plaintext = scim_token_create(account=account, sso_group=group, label="t", created_by=admin)
    return token, plaintext


def test_settings_list_djangos_own_middleware_in_order():
    assert [path for path in settings.MIDDLEWARE if path in DJANGO_OWN] == DJANGO_OWN
    assert settings.SILENCED_SYSTEM_CHECKS == ["auth.W004"]


@pytest.mark.django_db
def test_a_scim_response_sets_no_cookie_and_reads_no_session(client, token):
    _, plaintext = token
    with CaptureQueriesContext(connection) as queries:
        response = client.get(SCIM_USERS, HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/scim+json")
    assert not response.cookies
    assert "Cookie" not in response.get("Vary", "")  # SessionMiddleware adds it once a session is read
    assert not [q["sql"] for q in queries.captured_queries if "django_session" in q["sql"]]
    assert response["X-Request-ID"]


@pytest.mark.django_db
def test_a_scim_write_needs_no_csrf_token(token):
    _, plaintext = token
    browser = Client(enforce_csrf_checks=True)
    body = '{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "ann@example.com"}'
    response = browser.post(
        SCIM_USERS, body, content_type="application/scim+json", HTTP_AUTHORIZATION=f"Bearer {plaintext}"
    )
    assert response.status_code == 201, response.content
    assert not response.cookies


@pytest.mark.django_db
def test_web_pages_keep_the_frame_header_and_the_csrf_check():
    browser = Client(enforce_csrf_checks=True)
    page = browser.get("/login")
    assert page.status_code == 200
    assert page["X-Frame-Options"] == "DENY"
    refused = browser.post("/login", {"identifier": "someone@example.com"})  # no CSRF token
    assert refused.status_code == 403
    assert b"CSRF" in refused.content


@pytest.mark.django_db
def test_the_acs_takes_a_cross_site_post_without_a_csrf_token(make_account, make_ssogroup):
    account, _ = make_account(plan=Account.Plan.ENTERPRISE)
    group = make_ssogroup(account, slug="jumpcloud")
    browser = Client(enforce_csrf_checks=True)
    response = browser.post(f"/api/v1/users/saml/{account.pk}/jumpcloud/consume", {"SAMLResponse": "x"})
    assert response.status_code == 400  # the ACS's own refusal of an unreadable response, not CSRF's 403
    assert SSOLoginFailure.objects.get(group=group).reason == "bad_base64"


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["get", "post"])
def test_a_foreign_host_is_refused_on_the_scim_api(client, token, method):
    scim_token, plaintext = token
    before = Event.objects.count()
    call = getattr(client, method)
    response = call(SCIM_USERS, HTTP_AUTHORIZATION=f"Bearer {plaintext}", HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert b"Bad Request" in response.content
    assert Event.objects.count() == before
    assert ScimToken.objects.get(pk=scim_token.pk).last_used_at is None  # the token was never read


@pytest.mark.django_db
def test_a_foreign_host_is_refused_on_the_login_page(client):
    response = client.get("/login", HTTP_HOST="evil.example")
    assert response.status_code == 400


@pytest.mark.django_db
def test_a_foreign_host_is_refused_on_the_acs(client, make_account, make_ssogroup):
    account, _ = make_account(plan=Account.Plan.ENTERPRISE)
    group = make_ssogroup(account, slug="jumpcloud")
    before = Event.objects.count()
    response = client.post(
        f"/api/v1/users/saml/{account.pk}/jumpcloud/consume", {"SAMLResponse": "x"}, HTTP_HOST="evil.example"
    )
    assert response.status_code == 400
    assert not SSOLoginFailure.objects.filter(group=group).exists()
    assert Event.objects.count() == before


def test_the_sign_in_transaction_finds_the_acs_by_its_url_name():
    match = resolve(reverse(ACS_URL_NAME, kwargs={"account_id": 1, "slug": "jumpcloud"}))
    assert match.view_name == ACS_URL_NAME
    assert match.func is consume_view
