"""Turn an SSO group into python3-saml settings: one pure function, every security flag written out."""

from dataclasses import dataclass
from typing import TYPE_CHECKING

from onelogin.saml2.constants import OneLogin_Saml2_Constants as C

from ssogroups.constants import BINDING_POST, BINDING_REDIRECT, NAMEID_EMAIL, NAMEID_UNSPECIFIED

if TYPE_CHECKING:
    from ssogroups.sp_keys import SPKeyPair


@dataclass(frozen=True)
class SsoEndpoint:
    binding: str
    location: str


def sso_endpoint_choose(*, sso_url: str, sso_binding: str, sso_endpoints: list) -> SsoEndpoint | None:
    """HTTP-Redirect when the IdP offers it, HTTP-POST when that is all it offers; None if neither."""
    offered = [
        SsoEndpoint(binding=e.get("binding", ""), location=e.get("location", ""))
        for e in sso_endpoints or []
        if isinstance(e, dict) and e.get("location")
    ]
    if sso_url:
        offered.append(SsoEndpoint(binding=sso_binding or BINDING_REDIRECT, location=sso_url))
    for wanted in (BINDING_REDIRECT, BINDING_POST):
        for endpoint in offered:
            if endpoint.binding == wanted:
                return endpoint
    return None


def saml_settings_build(
    *,
    sp_entity_id: str,
    acs_url: str,
    idp_entity_id: str,
    sso_endpoint: SsoEndpoint | None,
    certificates_pem: list[str],
    signature_requirement: str,
    allow_sha1: bool,
    name_id_format: str,
    identity_attribute: str = "",
    sp_key: "SPKeyPair | None" = None,
    sp_next_certificate_pem: str = "",
    sign_authn_requests: bool = False,
    slo_url: str = "",
) -> dict:
    """python3-saml settings for one group. Pure: no database, no request, no clock.

    Nothing is left to a library default, so a python3-saml upgrade cannot loosen us.
    ``signature_requirement`` is one of SSOGroup.SignatureRequirement; with "either" the library
    still refuses a response carrying no signature at all. ``sp_key`` is our current key pair (it
    signs AuthnRequests when ``sign_authn_requests``); ``sp_next_certificate_pem`` is published
    beside it during a rotation. ``slo_url`` is our SingleLogoutService (HTTP-Redirect; the
    metadata adds HTTP-POST at the same URL).
    """
    want_assertion_signed = signature_requirement in ("assertion", "both")
    want_response_signed = signature_requirement in ("response", "both")
    return {
        "strict": True,
        "debug": False,
        "sp": {
            "entityId": sp_entity_id,
            "assertionConsumerService": {"url": acs_url, "binding": C.BINDING_HTTP_POST},
            "singleLogoutService": {"url": slo_url, "binding": C.BINDING_HTTP_REDIRECT},
            "attributeConsumingService": {},
            # Identified by an attribute: any NameID will do, so ask for none in particular (an IdP
            # asked for an email NameID it cannot make answers with an error, as SimpleSAMLphp does).
            "NameIDFormat": NAMEID_UNSPECIFIED if identity_attribute else (name_id_format or NAMEID_EMAIL),
            # Our key pair (ssogroups.sp_keys); the next certificate is published before it signs.
            "x509cert": sp_key.certificate_pem if sp_key else "",
            "privateKey": sp_key.private_key_pem if sp_key else "",
            "x509certNew": sp_next_certificate_pem,
        },
        "idp": {
            "entityId": idp_entity_id,
            "singleSignOnService": {
                "url": sso_endpoint.location if sso_endpoint else "",
                "binding": sso_endpoint.binding if sso_endpoint else C.BINDING_HTTP_REDIRECT,
            },
            "singleLogoutService": {"url": "", "binding": C.BINDING_HTTP_REDIRECT},
            # Only explicit certificates, never a fingerprint (which would trust the KeyInfo cert).
            "x509cert": "",
            "certFingerprint": "",
            "certFingerprintAlgorithm": "sha256",
            "x509certMulti": {"signing": list(certificates_pem), "encryption": []},
        },
        "security": {
            "nameIdEncrypted": False,
            # RSA-SHA256 (signatureAlgorithm below): HTTP-Redirect query signature or enveloped on POST.
            "authnRequestsSigned": bool(sign_authn_requests and sp_key),
            "logoutRequestSigned": False,
            "logoutResponseSigned": False,
            "signMetadata": False,
            "wantMessagesSigned": want_response_signed,
            "wantAssertionsSigned": want_assertion_signed,
            "wantAssertionsEncrypted": False,
            "wantNameIdEncrypted": False,
            # With an identity attribute the NameID may be transient or absent.
            "wantNameId": not identity_attribute,
            "wantAttributeStatement": False,
            "allowRepeatAttributeName": False,
            "rejectDeprecatedAlgorithm": not allow_sha1,
            "signatureAlgorithm": C.RSA_SHA256,
            "digestAlgorithm": C.SHA256,
            "requestedAuthnContext": False,
            "requestedAuthnContextComparison": "exact",
            "failOnAuthnContextMismatch": False,
            "metadataValidUntil": None,
            "metadataCacheDuration": None,
            # URL shape only (e.g. BASE_URL=http://localhost:8000), not a trust decision.
            "allowSingleLabelDomains": True,
        },
    }


def authn_requests_signed(group) -> bool:
    """We sign a group's AuthnRequests when its IdP's metadata asks (WantAuthnRequestsSigned) or its policy says so."""
    return bool(group.want_authn_requests_signed or group.sign_authn_requests)


def saml_settings_for_group(
    group,
    *,
    certificates_pem: list[str],
    sp_key: "SPKeyPair | None" = None,
    sp_next_certificate_pem: str = "",
) -> dict:
    """Convenience wrapper reading the group's fields (certificates and keys passed in: no query here)."""
    return saml_settings_build(
        sp_entity_id=group.sp_entity_id,
        acs_url=group.acs_url,
        idp_entity_id=group.idp_entity_id,
        sso_endpoint=sso_endpoint_choose(
            sso_url=group.sso_url, sso_binding=group.sso_binding, sso_endpoints=group.sso_endpoints
        ),
        certificates_pem=certificates_pem,
        signature_requirement=group.signature_requirement,
        allow_sha1=group.allow_sha1,
        name_id_format=group.name_id_format,
        identity_attribute=group.identity_attribute,
        sp_key=sp_key,
        sp_next_certificate_pem=sp_next_certificate_pem,
        sign_authn_requests=authn_requests_signed(group),
        slo_url=group.sp_slo_url,
    )
