"""SP-initiated sign-in across sites in real Chromium, and the login-CSRF attack it must refuse.

The app runs on http://localhost:<live port>; the IdP is a small server on http://127.0.0.1:<port>
(a different site) that signs real responses with the independent pysaml2 test IdP and answers
with an auto-posting form, as JumpCloud does. The browser's cross-site POST to the ACS must carry
the sparksso_authn cookie back, or sign-in is refused as other_browser.
"""

import html
import http.server
import threading
from urllib.parse import urlsplit

import pytest

from accounts.models import Event, UserSession
from accounts.users import account_create, user_create
from ssogroups.models import ConsumedAssertion, SSOCertificate, SSOGroup, SSOLoginFailure
from tests.browser.conftest import CHROMIUM, FLAGS
from tests.ssogroups.saml.idp import TestIdP, authn_request_from_redirect, b64, sp_of
from tests.support.keys import shared_keypair

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
IDP_ENTITY_ID = "https://idp.example.test/saml"
IDP_PORTS = range(8550, 8600)  # this suite's share of the port range (COMMON.md)
GENERIC = "We could not sign you in with single sign-on."


class IdPServer:
    """GET /sso?SAMLRequest=…: sign a response to that request and auto-post it to the ACS.

    With ``hold`` set, the signed response is kept instead of delivered (the attacker keeps the
    answer to their own request); GET /attack then auto-posts the held response from whichever
    browser loads it.
    """

    def __init__(self, idp: TestIdP, group: SSOGroup) -> None:
        self.idp, self.group = idp, group
        self.hold = False
        self.held = ""
        self.requests: list[str] = []
        self.httpd = self._bind()
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def _bind(self) -> http.server.ThreadingHTTPServer:
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's naming
                path = urlsplit(self.path).path
                if path == "/sso":
                    request_xml, _ = authn_request_from_redirect(f"http://x{self.path}")
                    request_id = request_xml.get("ID")
                    server.requests.append(request_id)
                    xml = server.idp.response(
                        sp_of(server.group), name_id="alice@example.com", in_response_to=request_id
                    )
                    if server.hold:
                        server.held = xml
                        return self._page("<p>Response kept by the attacker.</p>")
                    return self._page(server.auto_post(xml))
                if path == "/attack":
                    return self._page("<h1>Free prizes</h1>" + server.auto_post(server.held))
                self.send_error(404)

            def _page(self, body: str) -> None:
                data = f"<!doctype html><html><body>{body}</body></html>".encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        for port in IDP_PORTS:
            try:
                return http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
            except OSError:
                continue
        raise RuntimeError("no free port in 8550-8599")

    def auto_post(self, xml: str) -> str:
        return (
            f'<form id="f" method="post" action="{html.escape(self.group.acs_url)}">'
            f'<input type="hidden" name="SAMLResponse" value="{b64(xml)}"></form>'
            '<script>document.getElementById("f").submit()</script>'
        )


@pytest.fixture
def cross_site(live_server, settings, tmp_path):
    """Account, group and user; the app on http://localhost, the IdP on http://127.0.0.1."""
    assert urlsplit(live_server.url).hostname == "localhost"
    settings.BASE_URL = live_server.url
    account, _ = account_create(
        name="Cross", admin_email="admin@example.com", admin_password="browser pass 42", plan="enterprise"
    )
    keys = shared_keypair("saml-idp-main")
    group = SSOGroup.objects.create(
        account=account, name="IdP", slug="idp", enabled=True, idp_entity_id=IDP_ENTITY_ID, sso_url="https://x/"
    )
    SSOCertificate.objects.create(group=group, pem=keys.cert_pem, sha256_fingerprint="main")
    server = IdPServer(TestIdP(tmp_path / "idp", keys, entity_id=IDP_ENTITY_ID), group)
    group.sso_url = f"http://127.0.0.1:{server.port}/sso"
    group.save()
    user_create(account=account, username="alice@example.com", email="alice@example.com", sso_group=group)
    server.thread.start()
    try:
        yield server
    finally:
        server.httpd.shutdown()
        server.httpd.server_close()
        server.thread.join(timeout=5)


def _writes() -> dict:
    return {
        "sessions": UserSession.objects.count(),
        "consumed": ConsumedAssertion.objects.count(),
        "events": Event.objects.exclude(event="sso_login_failure").count(),
    }


def test_sp_initiated_sign_in_works_across_sites(cross_site, live_server, browser):
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(20000)
    try:
        group = cross_site.group
        page.goto(f"{group.login_url}?next=/api/v1/session")
        page.wait_for_url(f"{live_server.url}/api/v1/session")
        session = page.evaluate("fetch('/api/v1/session').then(r => r.json())")
        assert (session["authenticated"], session["username"], session["sso_group"]) == (
            True,
            "alice@example.com",
            "idp",
        )
        cookie = next(c for c in context.cookies() if c["name"] == "sparksso_authn")
        assert (cookie["sameSite"], cookie["secure"], cookie["httpOnly"]) == ("None", True, True)
        assert len(cross_site.requests) == 1
        assert Event.objects.filter(event="sso_login_success", actor="alice@example.com").count() == 1
        assert not SSOLoginFailure.objects.exists()
    finally:
        context.close()


def test_response_to_the_attackers_request_posted_from_the_victims_browser_is_refused(cross_site, live_server, browser):
    attacker, victim = browser.new_context(), browser.new_context()
    try:
        attacker_page = attacker.new_page()
        attacker_page.set_default_timeout(20000)
        cross_site.hold = True
        attacker_page.goto(cross_site.group.login_url)
        attacker_page.get_by_text("Response kept by the attacker.").wait_for()
        assert cross_site.held
        before = _writes()

        victim_page = victim.new_page()
        victim_page.set_default_timeout(20000)
        victim_page.goto(f"http://127.0.0.1:{cross_site.port}/attack")
        victim_page.wait_for_url(f"{cross_site.group.acs_url}")
        assert GENERIC in victim_page.content()
        failure = SSOLoginFailure.objects.get()
        assert failure.reason == "other_browser"
        assert failure.reference in victim_page.content()
        event = Event.objects.get(event="sso_login_failure")
        assert (event.reason, event.changes["reference"]) == ("other_browser", failure.reference)
        assert victim_page.evaluate("fetch('/api/v1/session').then(r => r.status)") == 401
        assert _writes() == before
    finally:
        attacker.close()
        victim.close()


@pytest.fixture
def named_host_browser(browser):
    """Chromium resolving sso.test to 127.0.0.1: a plain-http origin that is not a secure context.

    Launched through the session's Playwright (a second sync_playwright() cannot run beside it)."""
    named = browser.browser_type.launch(
        executable_path=CHROMIUM, args=[*FLAGS, "--host-resolver-rules=MAP sso.test 127.0.0.1"], headless=True
    )
    yield named
    named.close()


def test_sp_initiated_sign_in_on_a_plain_http_named_host(cross_site, live_server, settings, named_host_browser):
    """Development on http://<name> (not loopback): the cookie has no SameSite attribute and still
    comes back with the IdP's top-level cross-site POST (Chromium's Lax-by-default allowance)."""
    port = urlsplit(live_server.url).port
    settings.BASE_URL = f"http://sso.test:{port}"
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "sso.test"]
    context = named_host_browser.new_context()
    page = context.new_page()
    page.set_default_timeout(20000)
    try:
        page.goto(f"{cross_site.group.login_url}?next=/api/v1/session")
        page.wait_for_url(f"http://sso.test:{port}/api/v1/session")
        cookie = next(c for c in context.cookies() if c["name"] == "sparksso_authn")
        assert cookie["secure"] is False
        assert page.evaluate("fetch('/api/v1/session').then(r => r.json())")["username"] == "alice@example.com"
        assert not SSOLoginFailure.objects.exists()
    finally:
        context.close()
