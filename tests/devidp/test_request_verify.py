"""The dev IdP's "require signed requests" option, against sparksso's real request signing: its metadata
says WantAuthnRequestsSigned="true", so the group created from it signs; the IdP verifies each request
(HTTP-Redirect query signature, HTTP-POST enveloped signature) with the certificate in sparksso's real SP
metadata, and answers it. Unsigned, tampered or foreign-signed requests get an error page, no assertion."""

import base64
import io
import re
import zlib
from html import unescape
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import xmlsec
from django.test import Client
from lxml import etree
from onelogin.saml2.utils import OneLogin_Saml2_Utils

from accounts.users import user_create
from devidp import request_verify, spfetch
from devidp.app import DevIdP
from ssogroups.constants import BINDING_POST
from ssogroups.models import SSOGroup, SSOLoginFailure
from ssogroups.saml import request_signing
from tests.conftest import recent_sign_in
from tests.devidp.conftest import IDP_BASE, Answer, authn_request, call, redirect_encode
from tests.devidp.test_encrypt import sp_key_files  # noqa: F401 (fixture: a real SP key from files)
from tests.devidp.test_through_the_acs import ALICE, BASE_URL, _field, _path
from tests.support.keys import make_keypair

REFUSED = "Sign-in request refused"


@pytest.fixture
def signing(settings, state_dir, make_account, sp_key_files):  # noqa: F811 (the fixture imported above)
    """The dev IdP requiring signed requests; a group created from its metadata (so sparksso signs).

    The IdP learns the SP, and its signing certificate, from sparksso's real SP metadata view.
    """
    settings.BASE_URL = BASE_URL
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    account, admin = make_account()
    sp_client = Client()

    def served(entity_id: str) -> bytes:
        response = sp_client.get(_path(entity_id))
        assert response.status_code == 200
        return response.content

    idp = DevIdP(
        base_url=IDP_BASE,
        state_dir=state_dir,
        sp_learn=lambda entity_id: spfetch.sp_metadata_parse(served(entity_id), url=entity_id),
        sp_signing_certificates=lambda entity_id: request_verify.signing_certificates(served(entity_id), url=entity_id),
        require_signed_requests=True,
    )
    admin_browser = Client()
    admin_browser.force_login(admin, backend="accounts.backends.AccountUserBackend")
    recent_sign_in(admin_browser)
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
    assert (group.want_authn_requests_signed, group.sign_authn_requests) == (True, False)  # from the metadata alone
    user_create(account=account, username=ALICE, email=ALICE, sso_group=group)
    return idp, group


def _redirect_query(browser: Client, group: SSOGroup) -> dict[str, str]:
    started = browser.get(f"/api/v1/users/saml/{group.account_id}/devidp/login?next=/account/")
    assert started.status_code == 302
    assert started["Location"].startswith(f"{IDP_BASE}/sso?")
    return {k: v[0] for k, v in parse_qs(urlsplit(started["Location"]).query).items()}


def _post_request(browser: Client, group: SSOGroup) -> dict[str, str]:
    # As if the IdP offered HTTP-POST only (sparksso prefers HTTP-Redirect when both are listed).
    endpoints = [{"binding": BINDING_POST, "location": group.sso_url}]
    SSOGroup.objects.filter(pk=group.pk).update(sso_binding=BINDING_POST, sso_endpoints=endpoints)
    started = browser.get(f"/api/v1/users/saml/{group.account_id}/devidp/login?next=/account/")
    assert started.status_code == 200
    html = started.content.decode()
    relay = re.search(r'name="RelayState" value="([^"]*)"', html)
    return {"SAMLRequest": _field(html, "SAMLRequest"), **({"RelayState": unescape(relay.group(1))} if relay else {})}


def _refused(idp: DevIdP, answer, message: str) -> None:
    assert answer.status == 403, answer.body
    assert REFUSED in answer.body
    assert unescape(answer.body).count(message) == 1
    assert "SAMLResponse" not in answer.body and 'name="pending"' not in answer.body
    assert idp.store.sps() == []  # the IdP noted nothing: no tile, no pending sign-in


def test_metadata_says_signed_requests_are_wanted_only_when_the_option_is_on(signing, state_dir):
    idp, _ = signing
    assert 'WantAuthnRequestsSigned="true"' in call(idp, "GET", "/metadata").body
    plain = DevIdP(base_url=IDP_BASE, state_dir=state_dir)
    assert 'WantAuthnRequestsSigned="false"' in call(plain, "GET", "/metadata").body


def test_redirect_request_signed_by_sparksso_is_verified_and_answered_through_the_acs(signing):
    idp, group = signing
    browser = Client()
    query = _redirect_query(browser, group)
    assert query["SigAlg"] == "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256" and query["Signature"]

    page = call(idp, "GET", "/sso", query=query)

    assert page.status == 200, page.body
    assert request_verify.MSG_VERIFIED in unescape(page.body)
    answer = call(idp, "POST", "/sso/answer", form={"pending": _field(page.body, "pending"), "email": ALICE})
    form = {"SAMLResponse": _field(answer.body, "SAMLResponse")}
    if "RelayState" in query:
        form["RelayState"] = _field(answer.body, "RelayState")
    posted = browser.post(_path(group.acs_url), form)
    assert posted.status_code == 302, list(SSOLoginFailure.objects.values_list("reason", "detail"))
    assert posted["Location"] == "/account/"


def test_post_request_with_sparksso_enveloped_signature_is_verified(signing):
    idp, group = signing
    params = _post_request(Client(), group)
    xml = etree.fromstring(base64.b64decode(params["SAMLRequest"]))
    assert xml.find("{http://www.w3.org/2000/09/xmldsig#}Signature") is not None

    page = call(idp, "POST", "/sso", form=params)

    assert page.status == 200, page.body
    assert 'name="pending"' in page.body


def test_unsigned_redirect_request_is_refused(signing):
    idp, group = signing
    query = _redirect_query(Client(), group)
    del query["Signature"], query["SigAlg"]
    _refused(idp, call(idp, "GET", "/sso", query=query), "carries no signature")


def test_unsigned_post_request_is_refused(signing):
    idp, group = signing
    xml = authn_request(issuer=group.sp_entity_id, acs=group.acs_url)
    answer = call(idp, "POST", "/sso", form={"SAMLRequest": base64.b64encode(xml.encode()).decode()})
    _refused(idp, answer, "carries no signature")


@pytest.mark.parametrize("part", ["Signature", "RelayState", "SAMLRequest"])
def test_tampered_redirect_request_is_refused(signing, part):
    idp, group = signing
    query = _redirect_query(Client(), group)
    if part == "Signature":
        raw = bytearray(base64.b64decode(query["Signature"]))
        raw[10] ^= 0x01
        query["Signature"] = base64.b64encode(bytes(raw)).decode()
    elif part == "RelayState":
        query["RelayState"] = "https://evil.example/"
    else:  # the same request with another IssueInstant, re-encoded; the signature kept
        text = zlib.decompress(base64.b64decode(query["SAMLRequest"]), -15).decode()
        changed = re.sub(r'IssueInstant="[^"]+"', 'IssueInstant="2030-01-01T00:00:00Z"', text, count=1)
        assert changed != text
        query["SAMLRequest"] = redirect_encode(changed)
    _refused(idp, call(idp, "GET", "/sso", query=query), "does not verify")


def test_tampered_post_request_is_refused(signing):
    idp, group = signing
    params = _post_request(Client(), group)
    xml = base64.b64decode(params["SAMLRequest"]).decode()
    changed = re.sub(r'IssueInstant="[^"]+"', 'IssueInstant="2030-01-01T00:00:00Z"', xml, count=1)
    assert changed != xml
    params["SAMLRequest"] = base64.b64encode(changed.encode()).decode()
    _refused(idp, call(idp, "POST", "/sso", form=params), "does not verify")


def test_requests_signed_with_a_key_the_sp_does_not_publish_are_refused(signing):
    """Real signatures from sparksso's signing functions, with another key: both bindings refused."""
    idp, group = signing
    foreign = make_keypair("not the SP")
    query = _redirect_query(Client(), group)
    resigned = request_signing.redirect_query_signed(
        saml_request=query["SAMLRequest"], relay_state=query.get("RelayState", ""), private_key_pem=foreign.key_pem
    )
    answer = call(idp, "GET", "/sso", query={k: v[0] for k, v in parse_qs(resigned).items()})
    _refused(idp, answer, "does not verify")

    xml = authn_request(issuer=group.sp_entity_id, acs=group.acs_url)
    signed = request_signing.post_request_signed(
        request_xml=xml, private_key_pem=foreign.key_pem, certificate_pem=foreign.cert_pem
    )
    _refused(idp, call(idp, "POST", "/sso", form={"SAMLRequest": signed}), "does not verify")


def test_a_signature_not_over_the_request_itself_does_not_count(signing):
    """A validly signed element elsewhere (wrapped in Extensions) is not the request's signature."""
    idp, group = signing
    params = _post_request(Client(), group)
    root = etree.fromstring(base64.b64decode(params["SAMLRequest"]))
    signature = root.find("{http://www.w3.org/2000/09/xmldsig#}Signature")
    extensions = etree.SubElement(root, "{urn:oasis:names:tc:SAML:2.0:protocol}Extensions")
    extensions.append(signature)
    params["SAMLRequest"] = base64.b64encode(etree.tostring(root)).decode()
    _refused(idp, call(idp, "POST", "/sso", form=params), "does not verify")


def test_sha1_query_signature_is_refused(signing):
    idp, group = signing
    query = _redirect_query(Client(), group)
    query["SigAlg"] = "http://www.w3.org/2000/09/xmldsig#rsa-sha1"
    _refused(idp, call(idp, "GET", "/sso", query=query), "accepts RSA-SHA256")


def test_without_the_option_unsigned_requests_are_answered(state_dir, learned):
    idp = DevIdP(
        base_url=IDP_BASE,
        state_dir=state_dir,
        sp_learn=lambda entity_id: spfetch.sp_metadata_parse(learned[entity_id], url=entity_id),
    )
    answer = call(idp, "POST", "/sso", form={"SAMLRequest": base64.b64encode(authn_request().encode()).decode()})
    assert answer.status == 200 and 'name="pending"' in answer.body
    assert request_verify.MSG_VERIFIED not in unescape(answer.body)


def test_a_query_signed_over_its_own_url_encoding_is_verified_as_sent(signing, sp_key_files):  # noqa: F811
    """SPs such as ADFS percent-encode in lower case: the signature covers the URL's bytes, not a re-encoding."""
    idp, group = signing
    query = _redirect_query(Client(), group)
    as_python_encodes = urlencode([("SAMLRequest", query["SAMLRequest"]), ("SigAlg", query["SigAlg"])])
    signed_part = re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(), as_python_encodes)
    assert signed_part != as_python_encodes
    signature = OneLogin_Saml2_Utils.sign_binary(signed_part, sp_key_files.key_pem, xmlsec.Transform.RSA_SHA256)
    raw_query = f"{signed_part}&{urlencode({'Signature': base64.b64encode(signature).decode()})}"

    tampered = raw_query.replace("%3a", "%3A", 1)  # the same values, another encoding than the one signed
    assert tampered != raw_query and parse_qs(tampered) == parse_qs(raw_query)
    _refused(idp, _get_raw(idp, tampered), "does not verify")

    page = _get_raw(idp, raw_query)

    assert page.status == 200, page.body
    assert 'name="pending"' in page.body


def _get_raw(idp: DevIdP, query_string: str) -> Answer:
    """A GET with the query string exactly as given (``call`` re-encodes its dict)."""
    seen = {}

    def start_response(status, headers):
        seen["status"] = status

    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/sso", "QUERY_STRING": query_string, "wsgi.input": io.BytesIO()}
    body = b"".join(idp(environ, start_response)).decode()
    return Answer(int(seen["status"][:3]), {}, body)


def test_sha1_enveloped_signature_is_refused_even_by_the_sps_own_key(signing, sp_key_files):  # noqa: F811
    idp, group = signing
    xml = authn_request(issuer=group.sp_entity_id, acs=group.acs_url)
    signed = OneLogin_Saml2_Utils.add_sign(
        xml,
        sp_key_files.key_pem,
        sp_key_files.cert_pem,
        sign_algorithm="http://www.w3.org/2000/09/xmldsig#rsa-sha1",
        digest_algorithm="http://www.w3.org/2000/09/xmldsig#sha1",
    )
    answer = call(idp, "POST", "/sso", form={"SAMLRequest": OneLogin_Saml2_Utils.b64encode(signed)})
    _refused(idp, answer, "accepts RSA-SHA256")


def test_a_signature_with_a_transform_that_selects_less_than_the_request_is_refused(signing, sp_key_files):  # noqa: F811
    """Signed by the SP's own key, but over an XPath-filtered view of the request: nothing vouches for the rest."""
    idp, group = signing
    root = etree.fromstring(authn_request(issuer=group.sp_entity_id, acs=group.acs_url).encode())
    signature = xmlsec.template.create(root, xmlsec.Transform.EXCL_C14N, xmlsec.Transform.RSA_SHA256)
    root.insert(1, signature)
    reference = xmlsec.template.add_reference(signature, xmlsec.Transform.SHA256, uri=f"#{root.get('ID')}")
    xmlsec.template.add_transform(reference, xmlsec.Transform.ENVELOPED)
    xpath = xmlsec.template.add_transform(reference, xmlsec.Transform.XPATH)
    etree.SubElement(xpath, "{http://www.w3.org/2000/09/xmldsig#}XPath").text = "self::node()[false()]"
    xmlsec.tree.add_ids(root, ["ID"])
    context = xmlsec.SignatureContext()
    context.key = xmlsec.Key.from_memory(sp_key_files.key_pem, xmlsec.constants.KeyDataFormatPem)
    context.sign(signature)
    answer = call(idp, "POST", "/sso", form={"SAMLRequest": base64.b64encode(etree.tostring(root)).decode()})
    _refused(idp, answer, "does not verify")
