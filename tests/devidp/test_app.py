"""The dev IdP's pages through its WSGI interface: metadata, the sign-in page for an AuthnRequest
on either binding, the auto-POST to a listed ACS only, recent users, and the tile page."""

import base64
import re
from html import unescape

import pytest
from lxml import etree

from devidp import app as devidp_app
from devidp import saml
from tests.devidp.conftest import (
    IDP_BASE,
    SP_ACS,
    SP_ENTITY,
    authn_request,
    call,
    redirect_encode,
    sp_metadata,
)

NS = {"samlp": "urn:oasis:names:tc:SAML:2.0:protocol", "saml": "urn:oasis:names:tc:SAML:2.0:assertion"}


def field(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert match, f"no {name} field in {html[:2000]}"
    return unescape(match.group(1))


def posted_response(html: str) -> etree._Element:
    return etree.fromstring(base64.b64decode(field(html, "SAMLResponse")))


def start(idp, **request) -> str:
    """Send an AuthnRequest (HTTP-Redirect) and return the pending key of the sign-in page."""
    page = call(
        idp, "GET", "/sso", query={"SAMLRequest": redirect_encode(authn_request(**request)), "RelayState": "rs1"}
    )
    assert page.status == 200, page.body
    return field(page.body, "pending")


def test_metadata_is_jumpcloud_shaped_and_offered_as_a_download(idp):
    inline = call(idp, "GET", "/metadata")
    assert (inline.status, inline.headers["Content-Type"]) == (200, "application/samlmetadata+xml")
    assert inline.headers["Content-Disposition"] == 'inline; filename="JumpCloud-devidp-metadata.xml"'
    download = call(idp, "GET", "/metadata/download")
    assert download.headers["Content-Disposition"] == 'attachment; filename="JumpCloud-devidp-metadata.xml"'
    assert download.body == inline.body
    root = etree.fromstring(inline.body.encode())
    md = {"md": "urn:oasis:names:tc:SAML:2.0:metadata", "ds": "http://www.w3.org/2000/09/xmldsig#"}
    assert root.get("entityID") == f"{IDP_BASE}/metadata"
    assert [(s.get("Binding"), s.get("Location")) for s in root.xpath("//md:SingleSignOnService", namespaces=md)] == [
        ("urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST", f"{IDP_BASE}/sso"),
        ("urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect", f"{IDP_BASE}/sso"),
    ]
    assert root.xpath("string(//ds:X509Certificate)", namespaces=md) == idp.keys.cert_b64


def test_the_sign_in_page_has_email_and_sign_in_and_names_the_sp(idp):
    page = call(idp, "GET", "/sso", query={"SAMLRequest": redirect_encode(authn_request())})
    assert page.status == 200
    assert '<label for="email">Email</label>' in page.body
    assert '<button type="submit">Sign in</button>' in page.body
    assert "devidp (account 7) on localhost:8000" in page.body
    assert SP_ACS in page.body


@pytest.mark.parametrize("sign", ["assertion", "response", "both"])
def test_an_answer_posts_a_signed_response_to_the_acs_in_response_to_the_request(idp, sign):
    key = start(idp)
    answer = call(idp, "POST", "/sso/answer", form={"pending": key, "email": "alice@example.com", "sign": sign})
    assert answer.status == 200
    assert f'action="{SP_ACS}"' in answer.body
    assert field(answer.body, "RelayState") == "rs1"
    response = posted_response(answer.body)
    assert (response.get("InResponseTo"), response.get("Destination")) == ("ONELOGIN_req1", SP_ACS)
    assert response.xpath("string(//saml:Audience)", namespaces=NS) == SP_ENTITY
    assert response.xpath("string(//saml:NameID)", namespaces=NS) == "alice@example.com"
    signed = {
        "response": bool(response.xpath("ds:Signature", namespaces={"ds": "http://www.w3.org/2000/09/xmldsig#"})),
        "assertion": bool(
            response.xpath("saml:Assertion/ds:Signature", namespaces={**NS, "ds": "http://www.w3.org/2000/09/xmldsig#"})
        ),
    }
    assert signed == {"response": sign in ("response", "both"), "assertion": sign in ("assertion", "both")}


def test_the_post_binding_is_answered_too(idp):
    xml = authn_request(request_id="ONELOGIN_post")
    page = call(idp, "POST", "/sso", form={"SAMLRequest": base64.b64encode(xml.encode()).decode()})
    assert page.status == 200
    answer = call(idp, "POST", "/sso/answer", form={"pending": field(page.body, "pending"), "email": "a@example.com"})
    assert posted_response(answer.body).get("InResponseTo") == "ONELOGIN_post"
    assert 'name="RelayState"' not in answer.body


def test_a_request_is_answered_once(idp):
    key = start(idp)
    assert call(idp, "POST", "/sso/answer", form={"pending": key, "email": "a@example.com"}).status == 200
    again = call(idp, "POST", "/sso/answer", form={"pending": key, "email": "a@example.com"})
    assert (again.status, devidp_app.MSG_PENDING_GONE in again.body) == (400, True)
    assert "SAMLResponse" not in again.body


@pytest.mark.parametrize(
    ("request_kwargs", "learned_doc", "message"),
    [
        ({"acs": "https://evil.example/acs"}, None, devidp_app.MSG_ACS_NOT_LISTED.format(acs="https://evil.example/acs")),
        ({"acs": None, "extra": ' AssertionConsumerServiceIndex="5"'}, None,
         devidp_app.MSG_ACS_INDEX.format(index="5")),
        ({"issuer": None}, None, saml.MSG_REQUEST_ISSUER),
        ({"issuer": "http://localhost:8000/unknown"}, None,
         "The SP's metadata at http://localhost:8000/unknown answered HTTP 404; expected 200."),
        ({}, sp_metadata("http://localhost:8000/other"), "describes the entity http://localhost:8000/other"),
    ],
)  # fmt: skip
def test_requests_the_idp_cannot_answer_safely_are_refused(idp, learned, request_kwargs, learned_doc, message):
    if learned_doc is not None:
        learned[SP_ENTITY] = learned_doc
    page = call(idp, "GET", "/sso", query={"SAMLRequest": redirect_encode(authn_request(**request_kwargs))})
    assert page.status == 400
    assert message in unescape(page.body)
    assert 'name="pending"' not in page.body
    assert idp.store.sps() == []


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({}, devidp_app.MSG_NO_REQUEST),
        ({"SAMLRequest": "%%%not base64"}, saml.MSG_REQUEST_ENCODING),
        ({"SAMLRequest": base64.b64encode(b"not deflated").decode()}, saml.MSG_REQUEST_ENCODING),
        ({"SAMLRequest": redirect_encode("<x/>")}, saml.MSG_REQUEST_XML),
        ({"SAMLRequest": redirect_encode('<!DOCTYPE x [<!ENTITY e "e">]><x>&e;</x>')}, saml.MSG_REQUEST_XML),
        ({"SAMLRequest": redirect_encode(" " * 70000)}, saml.MSG_REQUEST_ENCODING),
        ({"SAMLRequest": redirect_encode(authn_request()), "RelayState": "r" * 1025}, devidp_app.MSG_RELAY_STATE),
    ],
)
def test_malformed_requests_get_a_clear_400(idp, query, message):
    page = call(idp, "GET", "/sso", query=query)
    assert page.status == 400
    assert message in unescape(page.body)


def test_a_bad_email_keeps_the_request_open_and_says_why(idp):
    key = start(idp)
    page = call(idp, "POST", "/sso/answer", form={"pending": key, "email": "not an email"})
    assert page.status == 400
    assert devidp_app.MSG_EMAIL in page.body
    retry = call(idp, "POST", "/sso/answer", form={"pending": field(page.body, "pending"), "email": "a@example.com"})
    assert posted_response(retry.body).get("InResponseTo") == "ONELOGIN_req1"


def test_unknown_options_are_refused(idp):
    page = call(idp, "POST", "/sso/answer", form={"pending": start(idp), "email": "a@example.com", "sign": "none"})
    assert (page.status, devidp_app.MSG_OPTION in page.body, "SAMLResponse" in page.body) == (400, True, False)


def test_recent_users_are_remembered_for_one_click_reuse(idp, state_dir):
    form = {"pending": start(idp), "email": "alice@example.com", "first_name": "Alice", "last_name": "Liddell"}
    call(idp, "POST", "/sso/answer", form=form)
    page = call(idp, "GET", "/sso", query={"SAMLRequest": redirect_encode(authn_request(request_id="ONELOGIN_2"))})
    assert 'name="recent" value="alice@example.com"' in page.body
    answer = call(
        idp, "POST", "/sso/answer", form={"pending": field(page.body, "pending"), "recent": "alice@example.com"}
    )
    response = posted_response(answer.body)
    assert response.xpath("string(//saml:Attribute[@Name='firstName'])", namespaces=NS) == "Alice"
    assert response.xpath("string(//saml:NameID)", namespaces=NS) == "alice@example.com"
    # Kept across restarts, with the SPs seen.
    restarted = devidp_app.DevIdP(base_url=IDP_BASE, state_dir=state_dir, sp_learn=idp.sp_learn)
    assert restarted.store.users() == [saml.Person("alice@example.com", "Alice", "Liddell")]
    assert [sp["entity_id"] for sp in restarted.store.sps()] == [SP_ENTITY]


def test_the_tile_page_asks_who_you_are_then_lists_the_sps_seen(idp):
    first = call(idp, "GET", "/")
    assert "Sign in to the dev IdP" in first.body and '<label for="email">Email</label>' in first.body
    signed_in = call(idp, "POST", "/", form={"email": "alice@example.com"})
    assert (signed_in.status, signed_in.headers["Location"]) == (303, "/")
    cookie = signed_in.cookies[0].split(";")[0]
    assert "SameSite=Lax" in signed_in.cookies[0] and "HttpOnly" in signed_in.cookies[0]
    empty = call(idp, "GET", "/", cookie=cookie)
    assert "No applications yet" in empty.body
    start(idp)
    tiles = call(idp, "GET", "/", cookie=cookie)
    assert f'name="sp" value="{SP_ENTITY}"' in tiles.body


def test_a_tile_posts_an_idp_initiated_response_to_the_default_acs(idp):
    start(idp)  # the IdP has now seen the SP
    cookie = call(idp, "POST", "/", form={"email": "bob@example.com"}).cookies[0].split(";")[0]
    launched = call(idp, "POST", "/launch", form={"sp": SP_ENTITY, "sign": "both"}, cookie=cookie)
    assert launched.status == 200
    response = posted_response(launched.body)
    assert (response.get("InResponseTo"), response.get("Destination")) == (None, SP_ACS)
    assert response.xpath("string(//saml:NameID)", namespaces=NS) == "bob@example.com"
    assert 'name="RelayState"' not in launched.body


def test_a_tile_needs_an_idp_sign_in_and_a_known_sp(idp):
    assert call(idp, "POST", "/launch", form={"sp": SP_ENTITY}).headers["Location"] == "/"
    cookie = call(idp, "POST", "/", form={"email": "bob@example.com"}).cookies[0].split(";")[0]
    unknown = call(idp, "POST", "/launch", form={"sp": SP_ENTITY}, cookie=cookie)  # never seen: no tile
    assert (unknown.status, devidp_app.MSG_UNKNOWN_SP in unknown.body, "SAMLResponse" in unknown.body) == (
        400,
        True,
        False,
    )
    signed_out = call(idp, "POST", "/logout", cookie=cookie)
    assert "Max-Age=0" in signed_out.cookies[0]
    assert "Sign in to the dev IdP" in call(idp, "GET", "/", cookie=cookie).body


def test_unknown_paths_and_methods(idp):
    assert call(idp, "GET", "/nope").status == 404
    assert call(idp, "DELETE", "/metadata").status == 405


def test_an_oversized_form_is_refused_unread(idp):
    key = start(idp)
    page = call(idp, "POST", "/sso/answer", form={"pending": key, "email": "a@example.com", "x": "y" * 600_000})
    assert (page.status, devidp_app.MSG_TOO_LARGE in page.body, "SAMLResponse" in page.body) == (413, True, False)
    # The request is still open: nothing was read, nothing was answered.
    assert call(idp, "POST", "/sso/answer", form={"pending": key, "email": "a@example.com"}).status == 200
