"""No input reaches a 500: every malformed POST gets a 400-class page and a recorded reason."""

import base64

import pytest

from ssogroups.models import SSOLoginFailure
from ssogroups.saml.views import MAX_POST_BYTES
from tests.ssogroups.saml.conftest import counts, session_json
from tests.ssogroups.saml.idp import sp_of


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


XXE = b"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_1" Version="2.0">&xxe;</samlp:Response>"""
BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol">&lol2;</samlp:Response>"""
NOT_A_RESPONSE = b'<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_1" Version="2.0"/>'
BARE_RESPONSE = (
    b'<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_1" Version="2.0" '
    b'IssueInstant="2026-01-01T00:00:00Z"><samlp:Status><samlp:StatusCode '
    b'Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status></samlp:Response>'
)
BAD_TIME = BARE_RESPONSE.replace(b"2026-01-01T00:00:00Z", b"2026-13-45T99:00:00+02:00")
IDP_ERROR = BARE_RESPONSE.replace(b"status:Success", b"status:Requester")


@pytest.mark.parametrize(
    ("data", "status", "reason"),
    [
        ({}, 400, "missing_response"),
        ({"SAMLResponse": ""}, 400, "missing_response"),
        ({"SAMLResponse": "!!!not base64!!!"}, 400, "bad_base64"),
        ({"SAMLResponse": "QUJ"}, 400, "bad_base64"),
        ({"SAMLResponse": "ünïcödé"}, 400, "bad_base64"),
        ({"SAMLResponse": _b64(b"not xml at all")}, 400, "malformed_xml"),
        ({"SAMLResponse": _b64(b"")}, 400, "missing_response"),
        ({"SAMLResponse": _b64(b"\xff\xfe\x00<")}, 400, "malformed_xml"),
        ({"SAMLResponse": _b64(XXE)}, 400, "forbidden_xml"),
        ({"SAMLResponse": _b64(BOMB)}, 400, "forbidden_xml"),
        ({"SAMLResponse": _b64(NOT_A_RESPONSE)}, 400, "invalid_response"),
        ({"SAMLResponse": _b64(BARE_RESPONSE)}, 400, "invalid_response"),
        ({"SAMLResponse": _b64(BAD_TIME)}, 400, "bad_timestamp"),
        ({"SAMLResponse": _b64(IDP_ERROR)}, 403, "idp_error_status"),
    ],
    ids=[
        "no-field",
        "empty",
        "not-base64",
        "bad-padding",
        "non-ascii",
        "not-xml",
        "empty-xml",
        "binary",
        "xxe",
        "bomb",
        "wrong-root",
        "no-assertion",
        "bad-timestamp",
        "idp-error-status",
    ],
)
def test_malformed_post_gets_a_clear_refusal(client, group, data, status, reason):
    before = counts()
    response = client.post(f"/api/v1/users/saml/{group.account_id}/{group.slug}/consume", data)
    assert response.status_code == status
    failure = SSOLoginFailure.objects.get(group=group)
    assert failure.reason == reason
    assert failure.reference.encode() in response.content
    assert b"We could not sign you in" in response.content
    assert b"Traceback" not in response.content and b"passwd" not in response.content
    assert counts() == before
    assert session_json(client).status_code == 401


def test_oversize_post_is_capped_before_parsing(client, group):
    before = counts()
    body = "SAMLResponse=" + "A" * (MAX_POST_BYTES + 10)
    response = client.post(
        f"/api/v1/users/saml/{group.account_id}/{group.slug}/consume",
        body,
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 413
    assert SSOLoginFailure.objects.get(group=group).reason == "oversize"
    assert counts() == before


def test_unreadable_multipart_body_is_refused(client, group):
    response = client.generic(
        "POST",
        f"/api/v1/users/saml/{group.account_id}/{group.slug}/consume",
        b"--x\r\nContent-Disposition: form-data; name=SAMLResponse\r\n\r\nabc",
        content_type="multipart/form-data; boundary=",
    )
    assert response.status_code == 400
    failure = SSOLoginFailure.objects.get(group=group)
    assert (failure.reason, failure.detail.startswith("unreadable form body")) == ("missing_response", True)


def test_too_many_fields_are_refused(client, group, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 5
    body = "&".join(f"f{i}=1" for i in range(10))
    response = client.post(
        f"/api/v1/users/saml/{group.account_id}/{group.slug}/consume",
        body,
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 413
    assert SSOLoginFailure.objects.get(group=group).reason == "oversize"


def test_encrypted_assertion_is_refused_plainly(client, idp, group, alice):
    xml = idp.response(sp_of(group), name_id="alice@example.com", sign_assertion=False)
    encrypted = xml.replace("<ns1:Assertion ", "<ns1:EncryptedAssertion ").replace(
        "</ns1:Assertion>", "</ns1:EncryptedAssertion>"
    )
    response = client.post(
        f"/api/v1/users/saml/{group.account_id}/{group.slug}/consume", {"SAMLResponse": _b64(encrypted.encode())}
    )
    assert response.status_code == 400
    assert SSOLoginFailure.objects.get(group=group).reason == "encrypted_unsupported"


def test_get_on_the_acs_is_not_allowed(client, group):
    assert client.get(f"/api/v1/users/saml/{group.account_id}/{group.slug}/consume").status_code == 405
    assert not SSOLoginFailure.objects.exists()


@pytest.mark.parametrize("slug_kind", ["unknown", "disabled", "other-account"])
def test_acs_for_unknown_or_disabled_group_is_404(client, idp, group, alice, make_account, slug_kind):
    account_id, slug = group.account_id, group.slug
    if slug_kind == "unknown":
        slug = "no-such-group"
    elif slug_kind == "disabled":
        group.enabled = False
        group.save()
    else:
        account_id = make_account()[0].pk
    xml = idp.response(sp_of(group), name_id="alice@example.com")
    response = client.post(f"/api/v1/users/saml/{account_id}/{slug}/consume", {"SAMLResponse": _b64(xml.encode())})
    assert response.status_code == 404
    assert session_json(client).status_code == 401
    assert counts()["consumed"] == 0


def test_starter_plan_group_is_404(client, idp, group, alice):
    group.account.plan = "starter"
    group.account.save()
    xml = idp.response(sp_of(group), name_id="alice@example.com")
    response = client.post(
        f"/api/v1/users/saml/{group.account_id}/{group.slug}/consume", {"SAMLResponse": _b64(xml.encode())}
    )
    assert response.status_code == 404


def test_group_without_certificates_is_refused(client, idp, group, alice):
    group.certificates.all().delete()
    xml = idp.response(sp_of(group), name_id="alice@example.com")
    response = client.post(
        f"/api/v1/users/saml/{group.account_id}/{group.slug}/consume", {"SAMLResponse": _b64(xml.encode())}
    )
    assert response.status_code == 400
    assert SSOLoginFailure.objects.get(group=group).reason == "group_misconfigured"
    assert session_json(client).status_code == 401


# A group without an IdP entity ID pins the first verified Issuer: tests/ssogroups/saml/test_issuer_pin.py
