"""Signed SAML responses for the benchmarks, signed through python3-saml's own signer.

The assertion is signed (RSA-SHA256, SHA-256 digest) with a real key pair from
tests/support/keys.py, as JumpCloud signs by default.
"""

from datetime import datetime, timedelta
from html import escape

from onelogin.saml2.constants import OneLogin_Saml2_Constants as C
from onelogin.saml2.utils import OneLogin_Saml2_Utils

from tests.support.keys import KeyPair


def _instant(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def signed_response(
    *,
    keys: KeyPair,
    sp_entity_id: str,
    acs_url: str,
    idp_entity_id: str,
    name_id: str,
    now: datetime,
    assertion_id: str = "_bench_assertion",
    response_id: str = "_bench_response",
    in_response_to: str | None = None,
) -> str:
    """A base64-encoded samlp:Response whose assertion is signed; ready to POST as SAMLResponse."""
    t = lambda d: _instant(now + d)  # noqa: E731
    irt = f' InResponseTo="{escape(in_response_to)}"' if in_response_to else ""
    name = escape(name_id)
    assertion = (
        '<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" '
        f'ID="{assertion_id}" Version="2.0" IssueInstant="{t(timedelta())}">'
        f"<saml:Issuer>{escape(idp_entity_id)}</saml:Issuer>"
        f'<saml:Subject><saml:NameID Format="{C.NAMEID_EMAIL_ADDRESS}">{name}</saml:NameID>'
        '<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">'
        f'<saml:SubjectConfirmationData NotOnOrAfter="{t(timedelta(hours=1))}" Recipient="{escape(acs_url)}"{irt}/>'
        "</saml:SubjectConfirmation></saml:Subject>"
        f'<saml:Conditions NotBefore="{t(timedelta(minutes=-1))}" NotOnOrAfter="{t(timedelta(hours=1))}">'
        f"<saml:AudienceRestriction><saml:Audience>{escape(sp_entity_id)}</saml:Audience></saml:AudienceRestriction>"
        "</saml:Conditions>"
        f'<saml:AuthnStatement AuthnInstant="{t(timedelta())}" SessionIndex="_s{assertion_id}"><saml:AuthnContext>'
        "<saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"
        "</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>"
        f'<saml:AttributeStatement><saml:Attribute Name="email"><saml:AttributeValue>{name}'
        "</saml:AttributeValue></saml:Attribute></saml:AttributeStatement>"
        "</saml:Assertion>"
    )
    signed = OneLogin_Saml2_Utils.add_sign(
        assertion, keys.key_pem, keys.cert_pem, sign_algorithm=C.RSA_SHA256, digest_algorithm=C.SHA256
    ).decode()
    signed = signed.split("?>", 1)[-1] if signed.startswith("<?xml") else signed
    response = (
        '<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" '
        'xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" '
        f'ID="{response_id}" Version="2.0" IssueInstant="{t(timedelta())}" Destination="{escape(acs_url)}"{irt}>'
        f"<saml:Issuer>{escape(idp_entity_id)}</saml:Issuer>"
        '<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>'
        f"{signed}</samlp:Response>"
    )
    return OneLogin_Saml2_Utils.b64encode(response)
