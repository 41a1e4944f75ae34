"""The SCIM API and the ACS skip the web-page middleware they do not use; every page keeps it."""

import pytest
from django.conf import settings
from django.test import Client

from sparksso.lean import LEAN, lean_middleware

SCIM_USERS = "/api/v1/users/scim/v2/Users"


def test_settings_use_the_wrappers_in_the_same_order():
    assert settings.MIDDLEWARE == lean_middleware(settings.MIDDLEWARE)
    assert not set(LEAN) & set(settings.MIDDLEWARE)


@pytest.mark.django_db
def test_a_scim_response_carries_no_cookie_frame_header_or_vary_cookie(client):
    response = client.get(SCIM_USERS)  # no token: a SCIM 401, through the whole stack
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/scim+json")
    assert "X-Frame-Options" not in response
    assert "Cookie" not in response.get("Vary", "")
    assert not response.cookies
    assert response["X-Request-ID"]  # the request id middleware still runs


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
def test_the_acs_keeps_the_frame_header_on_its_pages(client):
    response = client.post("/api/v1/users/saml/999/nope/consume", {"SAMLResponse": "x"})
    assert response.status_code == 404
    assert response["X-Frame-Options"] == "DENY"
