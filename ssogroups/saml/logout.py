"""Single Logout: our settings additions and our signed messages (LogoutRequest, LogoutResponse) on
either binding. No database. The IdP's messages are read and checked in logout_checks.py.
"""

import base64
import copy
from dataclasses import dataclass
from urllib.parse import urlencode
from xml.sax.saxutils import escape

from lxml import etree
from onelogin.saml2.constants import OneLogin_Saml2_Constants as C
from onelogin.saml2.errors import OneLogin_Saml2_Error
from onelogin.saml2.logout_request import OneLogin_Saml2_Logout_Request
from onelogin.saml2.logout_response import OneLogin_Saml2_Logout_Response
from onelogin.saml2.settings import OneLogin_Saml2_Settings
from onelogin.saml2.utils import OneLogin_Saml2_Utils
from onelogin.saml2.xml_utils import OneLogin_Saml2_XML
from onelogin.saml2.xmlparser import DTDForbidden, EntitiesForbidden, NotSupportedError

from ssogroups.constants import BINDING_POST, BINDING_REDIRECT, NAMEID_UNSPECIFIED
from ssogroups.saml import reasons
from ssogroups.saml.errors import SamlRejected

REQUEST, RESPONSE = "SAMLRequest", "SAMLResponse"
_MD = "urn:oasis:names:tc:SAML:2.0:metadata"


@dataclass(frozen=True)
class SloEndpoint:
    """The IdP's SingleLogoutService: where our LogoutRequest goes, and where our LogoutResponse goes."""

    binding: str
    location: str
    response_location: str = ""


@dataclass(frozen=True)
class SessionClaims:
    """What a sign-in's assertion said about the session: repeated in our LogoutRequest."""

    name_id: str
    name_id_format: str = ""
    name_qualifier: str = ""
    sp_name_qualifier: str = ""
    session_index: str = ""


@dataclass(frozen=True)
class Outgoing:
    """A signed message for the browser to carry: a redirect to ``url``, or a form posted to it."""

    binding: str
    url: str
    field: str  # SAMLRequest or SAMLResponse (the POST form's field)
    value: str  # for HTTP-POST: base64 of the signed XML
    relay_state: str
    message_id: str


def slo_endpoint_choose(*, metadata_xml: str, slo_url: str) -> SloEndpoint | None:
    """The binding (HTTP-Redirect preferred) and ResponseLocation the IdP's metadata gives its SLO URL.

    The group keeps only the URL; the metadata it came from says how to use it. Without metadata
    (fields typed in by hand) HTTP-Redirect, which every IdP with SLO supports.
    """
    if not slo_url:
        return None
    offered: list[SloEndpoint] = []
    if metadata_xml:
        try:
            document = OneLogin_Saml2_XML.to_etree(metadata_xml.encode())
        except (etree.XMLSyntaxError, DTDForbidden, EntitiesForbidden, NotSupportedError, ValueError):
            document = None
        if document is not None:
            for service in document.iterfind(f".//{{{_MD}}}IDPSSODescriptor/{{{_MD}}}SingleLogoutService"):
                if (service.get("Location") or "").strip() == slo_url:
                    response_location = (service.get("ResponseLocation") or "").strip()
                    offered.append(SloEndpoint(service.get("Binding") or "", slo_url, response_location))
    for wanted in (BINDING_REDIRECT, BINDING_POST):
        for endpoint in offered:
            if endpoint.binding == wanted:
                return endpoint
    return SloEndpoint(BINDING_REDIRECT, slo_url)


def logout_settings_extend(
    settings: dict, *, sp_slo_url: str, endpoint: SloEndpoint | None, private_key_pem: str, certificate_pem: str
) -> dict:
    """python3-saml settings (config.saml_settings_build) plus what Single Logout needs: both SLO
    endpoints, our key pair, and every logout message signed, ours and theirs, whatever the group's
    response-signature setting (a logout message has no signed assertion to fall back on).

    Without our key (empty PEMs) the settings only read and check the IdP's messages: checking needs
    no key of ours, so an unusable SP key never stops an IdP's logout from ending sessions."""
    extended = copy.deepcopy(settings)
    extended["sp"]["singleLogoutService"] = {"url": sp_slo_url, "binding": C.BINDING_HTTP_REDIRECT}
    extended["sp"]["x509cert"] = certificate_pem
    extended["sp"]["privateKey"] = private_key_pem
    if endpoint is not None:
        # Escaped: python3-saml pastes these into its XML templates as they are.
        extended["idp"]["singleLogoutService"] = {
            "url": escape(endpoint.location, {'"': "&quot;"}),
            "responseUrl": escape(endpoint.response_location or endpoint.location, {'"': "&quot;"}),
            "binding": endpoint.binding,
        }
    extended["security"].update(
        {
            "logoutRequestSigned": bool(private_key_pem),
            "logoutResponseSigned": bool(private_key_pem),
            "wantMessagesSigned": True,
            "signatureAlgorithm": C.RSA_SHA256,
            "digestAlgorithm": C.SHA256,
        }
    )
    return extended


def library_settings(settings: dict) -> OneLogin_Saml2_Settings:
    try:
        # A group signed in only from the IdP's tile has no SSO URL: check the SP half only.
        return OneLogin_Saml2_Settings(settings, sp_validation_only=True)
    except OneLogin_Saml2_Error as exc:
        raise SamlRejected(reasons.GROUP_MISCONFIGURED, str(exc)) from exc


def _outgoing(*, field: str, xml: str, message_id: str, url: str, binding: str, relay_state: str, settings: dict):
    key, cert = settings["sp"]["privateKey"], settings["sp"]["x509cert"]
    if binding == BINDING_POST:
        signed = OneLogin_Saml2_Utils.add_sign(xml, key, cert, sign_algorithm=C.RSA_SHA256, digest_algorithm=C.SHA256)
        value = base64.b64encode(signed if isinstance(signed, bytes) else signed.encode()).decode()
        return Outgoing(BINDING_POST, url, field, value, relay_state, message_id)
    # HTTP-Redirect: the signature covers the query exactly as sent (SAML bindings 3.4.4.1).
    query = [(field, OneLogin_Saml2_Utils.deflate_and_base64_encode(xml))]
    if relay_state:
        query.append(("RelayState", relay_state))
    query.append(("SigAlg", C.RSA_SHA256))
    signed_query = urlencode(query)
    signature = OneLogin_Saml2_Utils.sign_binary(signed_query, key)
    full = f"{signed_query}&{urlencode({'Signature': base64.b64encode(signature).decode()})}"
    return Outgoing(BINDING_REDIRECT, f"{url}{'&' if '?' in url else '?'}{full}", field, "", relay_state, message_id)


def logout_request_build(*, settings: dict, endpoint: SloEndpoint, session: SessionClaims, relay_state: str = ""):
    """Our signed LogoutRequest for one session (settings from logout_settings_extend)."""
    library = library_settings(settings)
    request = OneLogin_Saml2_Logout_Request(
        library,
        name_id=session.name_id,
        # Escaped: python3-saml pastes the SessionIndex into its template as it is.
        session_index=escape(session.session_index) or None,
        nq=session.name_qualifier or None,
        # Unspecified (omitted) rather than python3-saml's default of our own NameIDFormat setting.
        name_id_format=session.name_id_format or NAMEID_UNSPECIFIED,
        spnq=session.sp_name_qualifier or None,
    )
    return _outgoing(
        field=REQUEST,
        xml=request.get_xml(),
        message_id=request.id,
        url=endpoint.location,
        binding=endpoint.binding,
        relay_state=relay_state,
        settings=settings,
    )


def logout_response_build(
    *, settings: dict, endpoint: SloEndpoint, in_response_to: str, relay_state: str = "", status: str = C.STATUS_SUCCESS
) -> Outgoing:
    """Our signed LogoutResponse to the IdP's LogoutRequest ``in_response_to``."""
    response = OneLogin_Saml2_Logout_Response(library_settings(settings))
    response.build(in_response_to, status)
    return _outgoing(
        field=RESPONSE,
        xml=response.get_xml(),
        message_id=response.id,
        url=endpoint.response_location or endpoint.location,
        binding=endpoint.binding,
        relay_state=relay_state,
        settings=settings,
    )
