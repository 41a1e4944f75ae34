"""Issue 24 in a real browser: the certificate-expiry warning on the dashboard, the SSO groups list and
the group page, and a claimed target in the event log, at 1280 and 390 px without sideways scrolling.

Screenshots go to var/screenshots/ (git-ignored) for a person to look at.
"""

from datetime import timedelta
from pathlib import Path

import pytest

from accounts.events import event_record
from accounts.models import Event
from accounts.users import account_create
from sparksso import clock
from ssogroups.event_types import SSOGroupEvent
from ssogroups.models import SSOCertificate, SSOGroup
from tests.browser.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "browser pass 42"
SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
FINGERPRINT = ":".join(f"{n:02X}" for n in range(32))
PAGES = {"dashboard": "/", "sso-list": "/account/sso/", "group": "/account/sso/jumpcloud/"}


@pytest.mark.parametrize("width", [1280, 390])
def test_expiry_warning_and_claimed_target_fit_the_page(live_server, browser, settings, width):
    settings.BASE_URL = live_server.url
    account, _ = account_create(
        name="Demo", admin_email="admin@example.com", admin_password=PASSWORD, plan="enterprise"
    )
    group = SSOGroup.objects.create(
        account=account, name="JumpCloud", slug="jumpcloud", sso_url="https://sso.jumpcloud.com/saml2/demo"
    )
    not_after = clock.now() + timedelta(days=10)
    SSOCertificate.objects.create(group=group, pem="-", sha256_fingerprint=FINGERPRINT, not_after=not_after)
    claimed = "alice.with.a.rather.long.address@subsidiary.example.com"
    event_record(
        account=account,
        event=SSOGroupEvent.SSO_LOGIN_FAILURE,
        actor="anonymous",
        target=claimed,
        outcome=Event.Outcome.FAILURE,
        reason="unknown_user",
        changes={"group": "jumpcloud", "claimed_name_id": claimed, "target_claimed": True},
    )
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15000)
    sign_in(page, live_server.url, "admin@example.com", PASSWORD)
    SHOTS.mkdir(parents=True, exist_ok=True)
    warning = page.locator("#expiry-warnings li")
    for name, path in PAGES.items():
        page.goto(live_server.url + path)
        assert warning.count() == 1, name
        text = warning.inner_text()
        assert "SSO group JumpCloud" in text and FINGERPRINT in text
        assert f"expires on {not_after:%Y-%m-%d}" in text
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), name
        page.screenshot(path=SHOTS / f"expiry-{name}-{width}.png", full_page=True)
    page.goto(live_server.url + "/account/events/?target=alice")
    assert page.locator("#events .claimed").inner_text() == f"claimed: {claimed}"
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.screenshot(path=SHOTS / f"expiry-events-claimed-{width}.png", full_page=True)
    context.close()
