"""The SCIM requests tab, one request, the diagnostics and a sign-in trace, in Chromium at 1280 and
390 px with real traffic (SCIM over HTTP, SAML responses signed by the test IdP): no sideways scroll,
no axe-core violation; screenshots in docs/screenshots (or SPARKSSO_SCREENSHOTS)."""

import json
import os
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from accounts.users import account_create, user_create
from scim.request_log import request_log_flush
from scim.tokens import scim_token_create
from ssogroups.models import SignInTrace, SSOCertificate, SSOGroup
from tests.browser.conftest import sign_in
from tests.browser.test_pages_browser import _check, _context
from tests.ssogroups.saml.idp import SP, TestIdP, b64, sp_of
from tests.support.keys import shared_keypair

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ADMIN, PASSWORD = "admin@example.com", "browser request log 42"
SHOTS = Path(os.environ.get("SPARKSSO_SCREENSHOTS") or Path(__file__).resolve().parents[2] / "docs" / "screenshots")
ISSUER = "https://idp.example.test/saml"
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


def _scim(base: str, token: str, method: str, path: str, body=None) -> int:
    request = urllib.request.Request(
        f"{base}/api/v1/users/scim/v2{path}",
        data=json.dumps(body).encode() if body is not None else None,
        method=method,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/scim+json",
                 "User-Agent": "JumpCloud SCIM Client"},
    )  # fmt: skip
    try:
        with urllib.request.urlopen(request) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def _acs(base: str, group: SSOGroup, xml: str) -> int:
    data = urllib.parse.urlencode({"SAMLResponse": b64(xml)}).encode()
    url = f"{base}/api/v1/users/saml/{group.account_id}/{group.slug}/consume"

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    try:
        with urllib.request.build_opener(NoRedirect).open(url, data) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


@pytest.fixture
def world(sparksso, tmp_path):
    account, admin = account_create(name="Example Corp", admin_email=ADMIN, admin_password=PASSWORD,
                                    plan="enterprise")  # fmt: skip
    keys = shared_keypair("saml-idp-main")
    sso_url = "https://sso.jumpcloud.com/saml2/sparkpost"
    group = SSOGroup.objects.create(account=account, name="JumpCloud", slug="jumpcloud", enabled=True,
                                    idp_entity_id=ISSUER, sso_url=sso_url)  # fmt: skip
    SSOCertificate.objects.create(group=group, pem=keys.cert_pem, sha256_fingerprint="AB" * 32)
    user_create(account=account, username="alice@example.com", email="alice@example.com", sso_group=group,
                first_name="Alice", last_name="Liddell")  # fmt: skip
    _, token = scim_token_create(account=account, sso_group=group, label="JumpCloud", created_by=admin)
    # SCIM as JumpCloud sends it: a create (with a password), a lookup, a bad PATCH, a 409, a bad token.
    user = {"schemas": [USER_SCHEMA], "userName": "bob@example.com", "password": "Sup3r-secret-pa55word",
            "name": {"givenName": "Bob", "familyName": "Jensen"}, "emails": [{"value": "bob@example.com"}]}  # fmt: skip
    assert _scim(sparksso, token, "POST", "/Users", user) == 201
    assert _scim(sparksso, token, "GET", "/Users?filter=" + urllib.parse.quote('userName eq "bob@example.com"')) == 200
    assert _scim(sparksso, token, "GET", "/Users/00000000-0000-0000-0000-000000000000") == 404
    assert _scim(sparksso, token, "POST", "/Users", {**user, "password": None}) == 409
    assert _scim(sparksso, "sso_scim_nope", "GET", "/Users") == 401
    request_log_flush()
    # Sign-ins: JumpCloud's default audience left unchanged (refused), then a good one.
    idp = TestIdP(tmp_path / "idp", keys, entity_id=ISSUER)
    wrong = SP(entity_id="https://sso.jumpcloud.com/saml2/sparkpost", acs_url=group.acs_url)
    assert _acs(sparksso, group, idp.response(wrong, name_id="alice@example.com")) == 403
    assert _acs(sparksso, group, idp.response(sp_of(group), name_id="alice@example.com")) == 302
    return {"group": group, "failed": SignInTrace.objects.get(ok=False), "ok": SignInTrace.objects.get(ok=True)}


@pytest.mark.parametrize("width", (1280, 390))
def test_the_request_log_and_trace_pages_fit_and_pass_axe(sparksso, world, browser, width):
    from scim.models import ScimRequestLog

    context, page = _context(browser, width)
    sign_in(page, sparksso, ADMIN, PASSWORD)
    failed = ScimRequestLog.objects.get(status=409)
    pages = {
        "scim-requests": "/account/sso/jumpcloud/scim-requests/",
        "scim-request-409": f"/account/sso/jumpcloud/scim-requests/{failed.request_id}",
        "sign-in-diagnostics": "/account/sso/jumpcloud/failures",
        "sign-in-trace-refused": f"/account/sso/jumpcloud/sign-in-traces/{world['failed'].key}",
        "sign-in-trace-ok": f"/account/sso/jumpcloud/sign-in-traces/{world['ok'].key}",
    }
    found = {}
    SHOTS.mkdir(parents=True, exist_ok=True)
    for name, path in pages.items():
        if problems := _check(page, sparksso + path):
            found[name] = problems
        page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)
    # The tab shows the traffic; the 409's page both bodies, the password nowhere.
    page.goto(sparksso + pages["scim-requests"])
    assert page.locator("#scim-requests tbody tr").count() == 4  # the 401 is the operator's, not the group's
    page.goto(sparksso + pages["scim-request-409"])
    assert "uniqueness" in page.locator("#response-body").inner_text()
    assert "Sup3r-secret" not in page.content()
    context.close()
    assert found == {}, json.dumps(found, indent=1)
