"""An admin sees a held change of trust (certificate and endpoint) on the group page (desktop and
phone widths) and approves it.

Screenshots go to var/screenshots/ (git-ignored) for a person to look at.
"""

from pathlib import Path

import pytest

from accounts.models import Event
from accounts.users import account_create
from ssogroups.intake import metadata_load, ssogroup_create_from_metadata, ssogroup_refresh
from ssogroups.metadata import certificate_load
from ssogroups.models import SSOCertificate
from tests.browser.conftest import sign_in
from tests.ssogroups import samples
from tests.support.keys import shared_keypair

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "browser pass 42"
ENTITY = "https://idp.example.test/saml"
SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


def _metadata(cert_b64: str, location: str = "https://idp.example.test/sso") -> bytes:
    return samples.idp_metadata(cert_b64, entity_id=ENTITY, location=location).encode()


def test_admin_approves_a_held_certificate_change(live_server, browser, settings):
    settings.BASE_URL = live_server.url
    account, _ = account_create(
        name="Demo", admin_email="admin@example.com", admin_password=PASSWORD, plan="enterprise"
    )
    old, new = shared_keypair("saml-idp-main"), shared_keypair("saml-idp-rotated")
    source = metadata_load(url="https://md.example/idp.xml", fetch=lambda url: _metadata(old.cert_b64))
    group = ssogroup_create_from_metadata(
        account=account, name="JumpCloud", slug="jumpcloud", source=source, actor="test", enable=True
    )
    moved = _metadata(new.cert_b64, location="https://idp.example.test/sso-v2")
    group = ssogroup_refresh(group=group, actor="ssogroups_refresh", fetch=lambda url: moved)
    new_fingerprint = certificate_load(new.cert_b64).sha256_fingerprint
    SHOTS.mkdir(parents=True, exist_ok=True)

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15000)
    try:
        sign_in(page, live_server.url, "admin@example.com", PASSWORD)
        page.goto(f"{live_server.url}/account/sso/jumpcloud/")
        card = page.locator("#trust-change")
        assert card.get_by_role("heading", level=2).inner_text() == "A change of trust is waiting for your approval"
        assert new_fingerprint in card.inner_text()
        assert "https://idp.example.test/sso-v2" in card.inner_text()
        page.screenshot(path=str(SHOTS / "trust-change-1280.png"), full_page=True)
        page.set_viewport_size({"width": 390, "height": 844})
        page.screenshot(path=str(SHOTS / "trust-change-390.png"), full_page=True)

        page.goto(f"{live_server.url}/account/sso/jumpcloud/edit")
        page.screenshot(path=str(SHOTS / "trust-edit-form-390.png"), full_page=True)
        page.set_viewport_size({"width": 1280, "height": 900})
        page.screenshot(path=str(SHOTS / "trust-edit-form-1280.png"), full_page=True)
        page.goto(f"{live_server.url}/account/sso/jumpcloud/")
        page.get_by_role("button", name="Approve this change").click()
        page.wait_for_url(f"{live_server.url}/account/sso/jumpcloud/")
        assert "is now in effect" in page.content()
        assert page.locator("#trust-change").count() == 0
        assert list(SSOCertificate.objects.filter(group=group).values_list("sha256_fingerprint", flat=True)) == [
            new_fingerprint
        ]
        assert Event.objects.filter(event="sso_group_trust_change_approve", actor="admin@example.com").exists()
    finally:
        context.close()
