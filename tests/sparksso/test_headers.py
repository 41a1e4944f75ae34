"""Production-profile headers: a CSP without 'unsafe-inline' everywhere, no-store on admin pages."""

import re
from pathlib import Path

import pytest

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
