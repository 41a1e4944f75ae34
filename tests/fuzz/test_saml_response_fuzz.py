"""Fuzzing the ACS with mutations of a valid signed SAMLResponse (pysaml2-signed, strict python3-saml).

Properties: a mutated response is never a 500 and never signs anyone in (no session, no consumed
assertion, no success event, no user); the refusal is a diagnostics row and a failure event.

A mutation "counts" when it changes what the signatures cover. Edits to the KeyInfo certificate
(never trusted: only the group's certificates are), comments, whitespace inside base64 values and
anything outside the root element leave the signed content as it was, so a response that still
signs in after them is correct behaviour, not a finding; those draws are discarded.
"""

import base64

import pytest
from django.test import Client
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from lxml import etree

from accounts.models import Event, User, UserSession
from ssogroups.models import ConsumedAssertion, SSOLoginFailure
from tests.fuzz.mutations import xml_mutations
from tests.ssogroups.saml.idp import TestIdP, sp_of
from tests.support.keys import shared_keypair

IDP_ENTITY_ID = "https://idp.example.test/saml"
DS = "{http://www.w3.org/2000/09/xmldsig#}"
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


def _in_key_info(element: etree._Element) -> bool:
    return any(e.tag == f"{DS}KeyInfo" for e in element.iterancestors()) or element.tag == f"{DS}KeyInfo"


def _out_of_reach(element: etree._Element) -> bool:
    """Not a target for tree edits: the Signature elements themselves (removing the response's
    signature leaves a validly signed assertion) and the untrusted KeyInfo."""
    return element.tag == f"{DS}Signature" or _in_key_info(element)


def covered(data: bytes) -> bytes | None:
    """What the signatures cover, normalised; None when the document does not parse or has a DOCTYPE."""
    try:
        tree = etree.fromstring(data, _PARSER).getroottree()
    except etree.XMLSyntaxError:
        return None
    if tree.docinfo.doctype:
        return None
    root = tree.getroot()
    for key_info in root.iter(f"{DS}KeyInfo"):
        key_info.getparent().remove(key_info)
    for value in [*root.iter(f"{DS}SignatureValue"), *root.iter(f"{DS}DigestValue")]:
        value.text = "".join((value.text or "").split())
    try:
        return etree.tostring(root, method="c14n", exclusive=True, with_comments=False)
    except etree.C14NError:  # e.g. a relative namespace URI: not a document anyone could sign
        return None


@pytest.fixture
def signed(tmp_path, account, make_ssogroup, make_user, settings):
    """A group trusting the IdP, its user, and one response signed on both the assertion and the
    response (so an edit anywhere in the document breaks a signature that is checked)."""
    # Every mutation must reach the validator: the ACS limits have their own tests (test_acs_throttle).
    settings.SSO_ACS_FAILURE_LIMIT = settings.SSO_ACS_GROUP_FAILURE_LIMIT = 10**6
    keys = shared_keypair("saml-idp-main")
    group = make_ssogroup(account, slug="fuzz", cert_pem=keys.cert_pem, idp_entity_id=IDP_ENTITY_ID)
    make_user(account, "alice@example.com", sso_group=group)
    idp = TestIdP(tmp_path / "idp", keys, entity_id=IDP_ENTITY_ID)
    xml = idp.response(sp_of(group), name_id="alice@example.com", sign_assertion=True, sign_response=True)
    return group, xml.encode()


def _post(group, data: bytes):
    client = Client()
    url = f"/api/v1/users/saml/{group.account_id}/{group.slug}/consume"
    return client, client.post(url, {"SAMLResponse": base64.b64encode(data).decode()})


def _state() -> dict:
    return {
        "sessions": UserSession.objects.count(),
        "consumed": ConsumedAssertion.objects.count(),
        "users": User.objects.count(),
        "events": Event.objects.exclude(outcome=Event.Outcome.FAILURE).count(),
    }


def test_the_unmutated_response_signs_in(signed):
    """Guard: the fuzzed document is one the ACS accepts, so refusals below are due to the mutation."""
    group, data = signed
    client, response = _post(group, data)
    assert response.status_code == 302
    assert client.get("/api/v1/session").json()["username"] == "alice@example.com"


@settings(max_examples=60)
@given(data=st.data())
def test_a_mutated_response_never_signs_anyone_in(signed, data):
    group, original = signed
    mutated = data.draw(xml_mutations(original, skip=_out_of_reach), label="mutated")
    assume(covered(mutated) is None or covered(mutated) != covered(original))
    before, failures = _state(), SSOLoginFailure.objects.count()

    client, response = _post(group, mutated)

    assert 400 <= response.status_code < 500, (response.status_code, mutated[:300])
    assert b"We could not sign you in with single sign-on." in response.content
    assert client.get("/api/v1/session").status_code == 401
    assert _state() == before
    assert SSOLoginFailure.objects.count() == failures + 1
    assert Event.objects.filter(event="sso_login_failure").order_by("-id").first().outcome == "failure"


@settings(max_examples=20)
@given(value=st.one_of(st.text(max_size=200), st.binary(max_size=200).map(lambda b: base64.b64encode(b).decode())))
def test_arbitrary_saml_response_fields_never_sign_in(signed, value):
    group, _ = signed
    before = _state()
    client = Client()
    response = client.post(
        f"/api/v1/users/saml/{group.account_id}/{group.slug}/consume", {"SAMLResponse": value.replace("\x00", "")}
    )
    assert 400 <= response.status_code < 500
    assert client.get("/api/v1/session").status_code == 401
    assert _state() == before
