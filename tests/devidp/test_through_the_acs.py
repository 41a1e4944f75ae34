"""What the dev IdP sends, through sparksso's real ACS (strict python3-saml, the group's certificate
from the dev IdP's own metadata): valid responses sign in with every signing option, and each
deliberately broken one is refused for exactly the reason it was broken."""

import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from accounts.models import User
from accounts.users import user_create
from devidp import spfetch
from devidp.app import DevIdP
from ssogroups.models import SSOGroup, SSOLoginFailure
from tests.conftest import recent_sign_in
from tests.devidp.conftest import IDP_BASE, call

BASE_URL = "http://localhost:8000"
ALICE = "alice@example.com"


def _field(html: str, name: str) -> str:
    return unescape(re.search(rf'name="{name}" value="([^"]*)"', html).group(1))


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


@pytest.fixture
def connected(settings, state_dir, make_account):
    """An account whose admin created an SSO group from the dev IdP's metadata; alice is in it.

    The dev IdP learns the SP by reading sparksso's real SP metadata view.
    """
    settings.BASE_URL = BASE_URL
    # Password hashing is not under test here and costs seconds on a loaded machine.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    account, admin = make_account()
    sp_client = Client()

    def sp_learn(entity_id: str) -> spfetch.SPInfo:
        served = sp_client.get(_path(entity_id))
        assert served.status_code == 200
        return spfetch.sp_metadata_parse(served.content, url=entity_id)

    idp = DevIdP(base_url=IDP_BASE, state_dir=state_dir, sp_learn=sp_learn)
    admin_browser = Client()
    admin_browser.force_login(admin, backend="accounts.backends.AccountUserBackend")
    recent_sign_in(admin_browser)  # creating a group with a key is a change of trust
    created = admin_browser.post(
        "/account/sso/new",
        {
            "name": "Dev IdP",
            "slug": "devidp",
            "metadata_xml": call(idp, "GET", "/metadata").body,
            "allow_idp_initiated": "on",
            "default_role": "reporting",
            "signature_requirement": "either",
            "enabled": "on",
        },
    )
    assert created.status_code == 302, created.content.decode()
    group = SSOGroup.objects.get(account=account, slug="devidp")
    assert (group.enabled, group.idp_entity_id, group.sso_url) == (True, f"{IDP_BASE}/metadata", f"{IDP_BASE}/sso")
    user_create(account=account, username=ALICE, email=ALICE, sso_group=group)
    return idp, group


def _tile(idp: DevIdP, group: SSOGroup, **options) -> str:
    """The SAMLResponse a tile click posts (the IdP has seen the SP once before)."""
    idp.store.sp_seen(group.sp_entity_id)
    cookie = call(idp, "POST", "/", form={"email": ALICE}).cookies[0].split(";")[0]
    launched = call(idp, "POST", "/launch", form={"sp": group.sp_entity_id, **options}, cookie=cookie)
    assert launched.status == 200, launched.body
    assert f'action="{group.acs_url}"' in launched.body
    return _field(launched.body, "SAMLResponse")


@pytest.mark.parametrize("sign", ["assertion", "response", "both"])
def test_sp_initiated_round_trip_signs_in_and_lands_on_next(connected, sign):
    idp, group = connected
    browser = Client()
    started = browser.get(f"/api/v1/users/saml/{group.account_id}/devidp/login", {"next": "/account/events/"})
    assert started.status_code == 302 and started["Location"].startswith(f"{IDP_BASE}/sso?")
    query = {k: v[0] for k, v in parse_qs(urlsplit(started["Location"]).query).items()}
    page = call(idp, "GET", "/sso", query=query)
    assert page.status == 200, page.body
    answer = call(
        idp, "POST", "/sso/answer", form={"pending": _field(page.body, "pending"), "email": ALICE, "sign": sign}
    )
    assert 'name="RelayState"' not in answer.body  # sparksso sends none: the pending request holds next
    posted = browser.post(_path(group.acs_url), {"SAMLResponse": _field(answer.body, "SAMLResponse")})
    assert (posted.status_code, posted["Location"]) == (302, "/account/events/")
    assert browser.get("/api/v1/session").json()["username"] == ALICE


def test_a_tile_click_signs_in(connected):
    idp, group = connected
    browser = Client()
    posted = browser.post(_path(group.acs_url), {"SAMLResponse": _tile(idp, group)})
    assert (posted.status_code, posted["Location"]) == (302, "/")
    assert browser.get("/api/v1/session").json()["auth_method"] == "sso"


@pytest.mark.parametrize(
    ("breakage", "reason"),
    [
        ("expired", "expired"),
        ("wrong_audience", "wrong_audience"),
        ("bad_signature", "bad_signature"),
        ("unknown_user", "unknown_user"),
    ],
)
@pytest.mark.parametrize("sign", ["assertion", "response"])
def test_each_broken_response_is_refused_for_its_reason(connected, breakage, reason, sign):
    idp, group = connected
    browser = Client()
    refused = browser.post(_path(group.acs_url), {"SAMLResponse": _tile(idp, group, breakage=breakage, sign=sign)})
    assert refused.status_code in (400, 403)
    failure = SSOLoginFailure.objects.get(group=group)
    assert failure.reason == reason, failure.detail
    assert failure.reference in refused.content.decode()
    assert browser.get("/api/v1/session").status_code == 401
    assert User.objects.filter(account=group.account).count() == 2  # the admin and alice: nobody created
