"""Turn an SSO group into python3-saml settings: one pure function, every security flag written out."""

from dataclasses import dataclass

from onelogin.saml2.constants import OneLogin_Saml2_Constants as C

from ssogroups.constants import BINDING_POST, BINDING_REDIRECT, NAMEID_EMAIL, NAMEID_UNSPECIFIED


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
) -> dict:
    """python3-saml settings for one group. Pure: no database, no request, no clock.

    Nothing is left to a library default, so a python3-saml upgrade cannot loosen us.
    ``signature_requirement`` is one of SSOGroup.SignatureRequirement; with "either" the library
    still refuses a response carrying no signature at all.
    """
    want_assertion_signed = signature_requirement in ("assertion", "both")
    want_response_signed = signature_requirement in ("response", "both")
    return {
        "strict": True,
        "debug": False,
        "sp": {
            "entityId": sp_entity_id,
            "assertionConsumerService": {"url": acs_url, "binding": C.BINDING_HTTP_POST},
            "singleLogoutService": {"url": "", "binding": C.BINDING_HTTP_REDIRECT},
            "attributeConsumingService": {},
            # Identified by an attribute: any NameID will do, so ask for none in particular (an IdP
            # asked for an email NameID it cannot make answers with an error, as SimpleSAMLphp does).
            "NameIDFormat": NAMEID_UNSPECIFIED if identity_attribute else (name_id_format or NAMEID_EMAIL),
            # We sign nothing and decrypt nothing: no SP key pair.
            "x509cert": "",
            "privateKey": "",
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
            "authnRequestsSigned": False,
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


def saml_settings_for_group(group, *, certificates_pem: list[str]) -> dict:
    """Convenience wrapper reading the group's fields (certificates passed in: no query here)."""
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
    )
