"""Production-profile headers: a CSP without 'unsafe-inline' everywhere, no-store on admin pages and /api/."""

import re
from pathlib import Path

import pytest

from scim.tokens import scim_token_create

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
INLINE = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|<style\b|\son[a-z]+\s*=|\sstyle\s*=", re.IGNORECASE)
ADMIN_PAGES = ["/", "/account/users/", "/account/settings/", "/account/sso/", "/account/events/"]


def test_no_template_holds_inline_script_style_or_handlers():
    """The policy forbids them; this finds one before a browser silently ignores it."""
    offenders = [
        f"{path.relative_to(TEMPLATES)}: {match.group(0)}"
        for path in sorted(TEMPLATES.rglob("*.html"))
        for match in INLINE.finditer(path.read_text())
    ]
    assert offenders == []


@pytest.mark.parametrize("path", ["/login", "/healthz", "/api/v1/session", *ADMIN_PAGES])
def test_every_response_carries_the_policy(client, admin, path):
    client.force_login(admin)
    policy = client.get(path)["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "style-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy


@pytest.mark.parametrize("path", [*ADMIN_PAGES, "/account/sso/new", "/account/sso/jumpcloud/"])
def test_admin_pages_are_never_stored(client, admin, account, make_ssogroup, path):
    make_ssogroup(account, slug="jumpcloud")
    client.force_login(admin)
    response = client.get(path)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


def test_the_login_page_is_not_marked_admin(client, db):
    response = client.get("/login")
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")


@pytest.mark.parametrize("signed_in", [True, False], ids=["signed-in", "signed-out"])
def test_the_session_api_is_never_stored(client, admin, signed_in):
    """/api/v1/session carries the user's email and role: no shared or back-button cache may keep it."""
    if signed_in:
        client.force_login(admin)
    response = client.get("/api/v1/session")
    assert response.status_code == (200 if signed_in else 401)
    assert response["Cache-Control"] == "no-store"
    if signed_in:
        assert response.json()["email"] == admin.email  # the very body a cache must not keep


def test_scim_and_other_api_responses_are_never_stored(client, account, admin, make_ssogroup, settings):
    group = make_ssogroup(account, slug="jumpcloud")
    _, token = scim_token_create(account=account, sso_group=group, label="headers", created_by=admin)
    scim = client.get("/api/v1/users/scim/v2/Users", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert scim.status_code == 200
    assert scim["Cache-Control"] == "no-store"
    unknown = client.get(f"/api/v1/users/saml/{account.pk}/no-such-group/metadata")  # a plain Django 404
    assert unknown.status_code == 404
    assert unknown["Cache-Control"] == "no-store"
