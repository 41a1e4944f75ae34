"""The pure metadata parser: the JumpCloud export, real-world quirks, and every refusal."""

import base64
from datetime import UTC, datetime

import pytest
from django.core.management import CommandError, call_command

from accounts.models import Event
from ssogroups import metadata as m
from ssogroups.metadata import MetadataError, certificate_load, certificates_parse, parse_metadata
from ssogroups.models import SSOCertificate, SSOGroup
from tests.conftest import force_recent_login
from tests.ssogroups import samples as s
from tests.ssogroups.samples import FIXED_NOW, cert_b64, cert_pem

GOOD = cert_b64("Good IdP")
MD = s.MD


def parse(data):
    return parse_metadata(data, now=FIXED_NOW)


def test_jumpcloud_export():
    result = parse(s.jumpcloud_bytes())
    assert result.entity_id == "samlify"
    assert result.sso_endpoint == m.Endpoint(binding=s.REDIRECT, location=s.JUMPCLOUD_SSO_URL)
    assert result.sso_endpoints == (
        m.Endpoint(binding=s.POST, location=s.JUMPCLOUD_SSO_URL),
        m.Endpoint(binding=s.REDIRECT, location=s.JUMPCLOUD_SSO_URL),
    )
    (cert,) = result.certificates
    assert cert.subject == "CN=JumpCloudSAMLUser,OU=JumpCloudSAMLIdP,O=Test,L=Boulder,ST=CO,C=US"
    assert cert.not_after == datetime(2027, 8, 4, 11, 57, 54, tzinfo=UTC)
    assert cert.sha256_fingerprint == s.JUMPCLOUD_FINGERPRINT
    assert cert.pem.startswith("-----BEGIN CERTIFICATE-----\nMIIFdDCCA1ygAwIBAgIUL52bG9K4lNpLt1JLx8CzDXlP9/gw")
    assert all(len(line) <= 64 for line in cert.pem.splitlines())
    assert result.name_id_formats == ("urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",)
    assert result.want_authn_requests_signed is True
    assert result.slo_url == ""
    assert result.warnings == ()


def test_placeholder_certificate_is_named():
    with pytest.raises(MetadataError) as exc:
        parse(s.placeholder_bytes())
    assert (
        exc.value.message == "The signing certificate is not valid: 'TODO' is not a base64-encoded X.509 certificate."
    )


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="&lol2;"/>"""
XXE = b"""<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="&xxe;"/>"""
XXE_PARAMETER = b"""<!DOCTYPE x [<!ENTITY % p SYSTEM "http://127.0.0.1/evil.dtd"> %p;]><x/>"""
PLAIN_DOCTYPE = b"<!DOCTYPE md:EntityDescriptor>" + s.idp_metadata(GOOD).encode()


def _utf16_doctype() -> bytes:
    text = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE x [<!ENTITY a "b">]>' + s.idp_metadata(GOOD)
    return text.encode("utf-16")


def _too_large() -> bytes:
    doc = s.idp_metadata(GOOD)
    return doc.replace("<md:IDPSSODescriptor", "<!--" + "x" * (1024 * 1024) + "--><md:IDPSSODescriptor").encode()


SAML11 = 'protocolSupportEnumeration="urn:oasis:names:tc:SAML:1.1:protocol"'
TWO_IDPS = (
    f'<md:EntitiesDescriptor xmlns:md="{MD}">'
    + s.idp_metadata(GOOD, entity_id="https://a.example/idp").replace(f' xmlns:md="{MD}"', "")
    + s.idp_metadata(GOOD, entity_id="https://b.example/idp").replace(f' xmlns:md="{MD}"', "")
    + "</md:EntitiesDescriptor>"
)

BAD_INPUTS = [
    pytest.param(b"", m.MSG_EMPTY, id="empty"),
    pytest.param(b"  \n\t ", m.MSG_EMPTY, id="whitespace-only"),
    pytest.param(XXE, m.MSG_DOCTYPE, id="xxe-external-entity"),
    pytest.param(XXE_PARAMETER, m.MSG_DOCTYPE, id="xxe-parameter-entity"),
    pytest.param(BILLION_LAUGHS, m.MSG_DOCTYPE, id="billion-laughs"),
    pytest.param(PLAIN_DOCTYPE, m.MSG_DOCTYPE, id="doctype-without-entities"),
    pytest.param(_utf16_doctype(), m.MSG_DOCTYPE, id="doctype-in-utf16"),
    pytest.param(_too_large(), m.MSG_TOO_LARGE, id="over-1-mib"),
    pytest.param(b"<html><body>Sign in</body></html>", m.MSG_HTML, id="html-page"),
    pytest.param(
        '<EntityDescriptor entityID="x"><IDPSSODescriptor/></EntityDescriptor>',
        m.MSG_NOT_METADATA.format(tag="EntityDescriptor"),
        id="no-namespace",
    ),
    pytest.param(
        s.entity('<md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"/>'),
        m.MSG_NO_IDP,
        id="sp-metadata-not-idp",
    ),
    pytest.param(f'<md:EntitiesDescriptor xmlns:md="{MD}"></md:EntitiesDescriptor>', m.MSG_NO_IDP, id="empty-entities"),
    pytest.param(
        s.idp_metadata(GOOD).replace(' entityID="https://idp.example.com/entity"', ""),
        m.MSG_NO_ENTITY_ID,
        id="no-entity-id",
    ),
    pytest.param(
        s.entity(s.idp_descriptor(s.key_descriptor(GOOD) + s.sso(), attrs=SAML11)), m.MSG_NOT_SAML2, id="saml11-only"
    ),
    pytest.param(s.entity(s.idp_descriptor(s.key_descriptor(GOOD))), m.MSG_NO_SSO, id="no-sso-endpoint"),
    pytest.param(
        s.entity(s.idp_descriptor(s.key_descriptor(GOOD) + s.sso(binding="urn:oasis:names:tc:SAML:2.0:bindings:SOAP"))),
        m.MSG_NO_SUPPORTED_SSO.format(bindings="SOAP"),
        id="soap-only-endpoint",
    ),
    pytest.param(
        s.idp_metadata(GOOD, location="javascript:alert(1)"),
        m.MSG_BAD_ENDPOINT.format(location="javascript:alert(1)"),
        id="javascript-endpoint",
    ),
    pytest.param(
        s.idp_metadata(GOOD, location="ftp://idp.example.com/sso"),
        m.MSG_BAD_ENDPOINT.format(location="ftp://idp.example.com/sso"),
        id="ftp-endpoint",
    ),
    pytest.param(s.idp_metadata(GOOD, location=""), m.MSG_BAD_ENDPOINT.format(location=""), id="empty-endpoint"),
    pytest.param(s.entity(s.idp_descriptor(s.sso())), m.MSG_NO_CERT, id="no-key-descriptor"),
    pytest.param(
        s.entity(s.idp_descriptor(s.key_descriptor(GOOD, use="encryption") + s.sso())),
        m.MSG_NO_CERT,
        id="encryption-key-only",
    ),
    pytest.param(s.placeholder_bytes(), m.MSG_CERT_INVALID.format(value="TODO"), id="placeholder-todo"),
    pytest.param(
        s.idp_metadata("not a certificate!"),
        m.MSG_CERT_INVALID.format(value="not a certificate!"),
        id="cert-not-base64",
    ),
    pytest.param(
        s.idp_metadata(base64.b64encode(b"\x30\x82garbage-der" * 3).decode()),
        m.MSG_CERT_INVALID.format(value=base64.b64encode(b"\x30\x82garbage-der" * 3).decode()[:39] + "…"),
        id="cert-base64-but-not-der",
    ),
    pytest.param(s.idp_metadata(GOOD[:200]), m.MSG_CERT_INVALID.format(value=GOOD[:39] + "…"), id="cert-truncated"),
    pytest.param(
        TWO_IDPS,
        m.MSG_SEVERAL_IDPS.format(count=2, choices="https://a.example/idp, https://b.example/idp"),
        id="several-idps-ask",
    ),
]


@pytest.mark.parametrize(("data", "message"), BAD_INPUTS)
def test_bad_metadata_is_refused_with_its_reason(data, message):
    with pytest.raises(MetadataError) as exc:
        parse(data)
    assert exc.value.message == message


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"hello", id="plain-text"),
        pytest.param(b"<md:EntityDescriptor", id="truncated"),
        pytest.param(b"<a><b></a>", id="mismatched-tags"),
        pytest.param(b"\xff\xfe\x00garbage", id="binary"),
    ],
)
def test_not_xml(data):
    with pytest.raises(MetadataError) as exc:
        parse(data)
    assert exc.value.message.startswith("The metadata is not well-formed XML: ")


def test_several_idps_offer_their_entity_ids_and_one_can_be_chosen():
    with pytest.raises(MetadataError) as exc:
        parse(TWO_IDPS)
    assert exc.value.choices == ("https://a.example/idp", "https://b.example/idp")
    assert parse_metadata(TWO_IDPS, now=FIXED_NOW, entity_id="https://b.example/idp").entity_id == (
        "https://b.example/idp"
    )
    with pytest.raises(MetadataError) as exc:
        parse_metadata(TWO_IDPS, now=FIXED_NOW, entity_id="https://c.example/idp")
    assert exc.value.message == "The metadata has no identity provider with entity ID 'https://c.example/idp'."


def _wrapped(b64: str, width: int = 76) -> str:
    return "\n        " + "\n        ".join(b64[i : i + width] for i in range(0, len(b64), width)) + "\n    "


PEM_AS_BASE64 = base64.b64encode(cert_pem("Good IdP").encode()).decode()
QUIRKS = [
    pytest.param(s.idp_metadata(_wrapped(GOOD)), id="newlines-and-indent-inside-certificate"),
    pytest.param(s.idp_metadata(GOOD.replace("A", "A \t")), id="spaces-and-tabs-inside-certificate"),
    pytest.param(s.idp_metadata(PEM_AS_BASE64), id="certificate-is-base64-of-a-pem"),
    pytest.param(
        s.idp_metadata(GOOD).replace("md:", "").replace("xmlns:md=", "xmlns="), id="default-namespace-no-prefix"
    ),
    pytest.param(s.idp_metadata(GOOD).replace("md:", "saml2md:").replace("xmlns:md=", "xmlns:saml2md="), id="prefix"),
    pytest.param(s.entity(s.idp_descriptor(s.key_descriptor(GOOD, use=None) + s.sso())), id="key-without-use"),
    pytest.param(
        s.entity(s.idp_descriptor(s.key_descriptor(GOOD) + s.sso()), entity_id=" https://idp.example.com/entity "),
        id="entity-id-with-spaces",
    ),
    pytest.param(b"\xef\xbb\xbf" + s.idp_metadata(GOOD).encode(), id="utf8-bom"),
    pytest.param('<?xml version="1.0" encoding="UTF-8"?>\n' + s.idp_metadata(GOOD), id="str-with-declaration"),
    pytest.param(s.entity(s.idp_descriptor(s.key_descriptor(GOOD) + s.sso(), attrs="")), id="no-protocol-enumeration"),
    pytest.param(
        f'<md:EntitiesDescriptor xmlns:md="{MD}">'
        + s.entity('<md:SPSSODescriptor protocolSupportEnumeration="x"/>', entity_id="https://sp.example/")
        + s.idp_metadata(GOOD)
        + "</md:EntitiesDescriptor>",
        id="entities-with-one-idp-and-an-sp",
    ),
    pytest.param(
        s.entity(s.idp_descriptor(s.key_descriptor(GOOD, use="encryption") + s.key_descriptor(GOOD) + s.sso())),
        id="encryption-and-signing-keys",
    ),
    pytest.param("<!-- exported by IdP -->" + s.idp_metadata(GOOD), id="leading-comment"),
]


@pytest.mark.parametrize("data", QUIRKS)
def test_quirks_are_tolerated(data):
    result = parse(data)
    assert result.entity_id == "https://idp.example.com/entity"
    assert result.sso_endpoint == m.Endpoint(binding=s.REDIRECT, location="https://idp.example.com/sso")
    (cert,) = result.certificates
    assert cert.subject == "CN=Good IdP"
    assert cert.pem == cert_pem("Good IdP")
    assert result.warnings == ()


def test_rollover_keeps_every_signing_certificate_once():
    old, new = cert_b64("Old", days_left=200), cert_b64("New", days_left=900)
    doc = s.entity(
        s.idp_descriptor(s.key_descriptor(old) + s.key_descriptor(new) + s.key_descriptor(_wrapped(old)) + s.sso())
    )
    result = parse(doc)
    assert [c.subject for c in result.certificates] == ["CN=Old", "CN=New"]


def test_an_unreadable_certificate_next_to_a_good_one_is_ignored_with_a_warning():
    doc = s.entity(s.idp_descriptor(s.key_descriptor("TODO") + s.key_descriptor(GOOD) + s.sso()))
    result = parse(doc)
    assert [c.subject for c in result.certificates] == ["CN=Good IdP"]
    assert result.warnings == ("A signing certificate was ignored because it is not valid: 'TODO'.",)


def test_warnings_for_expiry_and_plain_http():
    doc = s.entity(
        s.idp_descriptor(
            s.key_descriptor(cert_b64("Expired", days_left=-1))
            + s.key_descriptor(cert_b64("Soon", days_left=10))
            + s.sso("http://idp.example.com/sso")
        )
    )
    result = parse(doc)
    expired_on = f"{FIXED_NOW.date().fromordinal(FIXED_NOW.date().toordinal() - 1)}"
    soon_on = f"{FIXED_NOW.date().fromordinal(FIXED_NOW.date().toordinal() + 10)}"
    assert result.warnings == (
        f"Certificate CN=Expired expired on {expired_on}; sign-in will fail until the IdP uses a current one.",
        f"Certificate CN=Soon expires on {soon_on} (within 30 days); plan the rollover.",
        "The SSO endpoint http://idp.example.com/sso is not https; assertions and requests travel unencrypted.",
    )


def test_post_only_idp_slo_and_nameid_formats():
    inner = (
        s.key_descriptor(GOOD)
        + '<md:SingleLogoutService Binding="x" Location="https://idp.example.com/slo"/>'
        + "<md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:persistent</md:NameIDFormat>"
        + "<md:NameIDFormat> urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress </md:NameIDFormat>"
        + s.sso(binding=s.POST)
    )
    result = parse(s.entity(s.idp_descriptor(inner, attrs=f'{SAML11[:-1]} urn:oasis:names:tc:SAML:2.0:protocol"')))
    assert result.sso_endpoint == m.Endpoint(binding=s.POST, location="https://idp.example.com/sso")
    assert result.slo_url == "https://idp.example.com/slo"
    assert result.name_id_formats == (
        "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent",
        "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
    )
    assert result.want_authn_requests_signed is False


def test_bad_slo_is_ignored_with_a_warning():
    inner = s.key_descriptor(GOOD) + '<md:SingleLogoutService Binding="x" Location="mailto:x@y"/>' + s.sso()
    result = parse(s.entity(s.idp_descriptor(inner)))
    assert result.slo_url == ""
    assert result.warnings == ("The SingleLogoutService location 'mailto:x@y' is not an http(s) URL and was ignored.",)


# ---- the admin's "SAML 2.0 Certificate" field ----


def test_certificate_field_accepts_pem_bare_base64_and_several():
    a, b = cert_pem("A"), cert_pem("B")
    assert [c.subject for c in certificates_parse(a)] == ["CN=A"]
    assert [c.subject for c in certificates_parse("  " + a + "\n\n" + b + a)] == ["CN=A", "CN=B"]
    assert [c.subject for c in certificates_parse(_wrapped(cert_b64("A"), 64))] == ["CN=A"]
    assert [c.subject for c in certificates_parse(cert_b64("A") + "\n\n" + cert_b64("B"))] == ["CN=A", "CN=B"]
    assert certificate_load(base64.b64encode(a.encode()).decode()).pem == a


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("", "No certificate was given.", id="empty"),
        pytest.param("TODO", "The certificate is not valid: 'TODO' is not a PEM or base64-encoded X.509 certificate."),
        pytest.param(
            "-----BEGIN CERTIFICATE-----\nTODO\n-----END CERTIFICATE-----",
            "The certificate is not valid: '-----BEGIN CERTIFICATE----- TODO -----E…' is not a PEM or "
            "base64-encoded X.509 certificate.",
            id="pem-armoured-placeholder",
        ),
        pytest.param(
            cert_pem("A") + "trailing junk",
            "The certificate is not valid: 'trailing junk' is not a PEM or base64-encoded X.509 certificate.",
            id="pem-plus-junk",
        ),
        pytest.param(
            "-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----",
            "That is a private key, not a certificate. Paste the IdP's certificate (BEGIN CERTIFICATE); "
            "a private key should never leave the IdP.",
            id="private-key-pasted",
        ),
    ],
)
def test_certificate_field_refuses(text, message):
    with pytest.raises(MetadataError) as exc:
        certificates_parse(text)
    assert exc.value.message == message


def test_document_text_keeps_the_original_encoding():
    text = '<?xml version="1.0" encoding="UTF-16"?>\n' + s.idp_metadata(GOOD).replace('.com/entity"', '.com/entité"')
    result = parse(text.encode("utf-16"))
    assert result.entity_id == "https://idp.example.com/entité"
    assert result.document == text
    latin = '<?xml version="1.0" encoding="ISO-8859-1"?>' + s.idp_metadata(GOOD).replace('.com/entity"', '.com/entité"')
    assert parse(latin.encode("iso-8859-1")).entity_id == "https://idp.example.com/entité"
    pasted = parse(latin)  # pasted text is already decoded; its declaration must not decode it again
    assert (pasted.entity_id, pasted.document) == ("https://idp.example.com/entité", latin)


# ---- bounded work: every cap refuses before the work, with a message naming the limit ----

SLO = f'<md:SingleLogoutService Binding="{s.REDIRECT}" Location="https://idp.example.com/slo"/>'
NAME_ID = "<md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat>"


def _entities(count: int) -> str:
    inner = "".join(
        s.idp_metadata(GOOD, entity_id=f"https://idp{i}.example/idp").replace(f' xmlns:md="{MD}"', "")
        for i in range(count)
    )
    return f'<md:EntitiesDescriptor xmlns:md="{MD}">{inner}</md:EntitiesDescriptor>'


def _keys(count: int) -> str:
    """One signing key and count - 1 encryption keys (which are never read, but still counted)."""
    return s.idp_metadata(GOOD, extra=s.key_descriptor(GOOD, use="encryption") * (count - 1))


def _sso(count: int) -> str:
    return s.entity(s.idp_descriptor(s.key_descriptor(GOOD) + s.sso() * count))


def _slo(count: int) -> str:
    return s.idp_metadata(GOOD, extra=SLO * count)


def _name_ids(count: int) -> str:
    return s.idp_metadata(GOOD, extra=NAME_ID * count)


def _certificates(count: int) -> str:
    return s.entity(s.idp_descriptor(s.key_descriptor(GOOD) * count + s.sso()))


def _long_certificate(count: int) -> str:
    return s.idp_metadata("A" * count)


def _too_many(limit: int, what: str) -> str:
    return m.MSG_TOO_MANY.format(limit=limit, what=what)


# (builder, the cap, the message past it); each builder makes a document with `count` of its element.
CAPS = [
    pytest.param(_entities, m.MAX_ENTITY_DESCRIPTORS, _too_many(100, m.WHAT_ENTITIES), id="entity-descriptors"),
    pytest.param(_keys, m.MAX_KEY_DESCRIPTORS, _too_many(20, m.WHAT_KEYS), id="key-descriptors"),
    pytest.param(_sso, m.MAX_SSO_ENDPOINTS, _too_many(20, m.WHAT_SSO), id="sso-endpoints"),
    pytest.param(_slo, m.MAX_SLO_ENDPOINTS, _too_many(20, m.WHAT_SLO), id="slo-endpoints"),
    pytest.param(_name_ids, m.MAX_NAME_ID_FORMATS, _too_many(20, m.WHAT_NAME_ID_FORMATS), id="name-id-formats"),
    pytest.param(_certificates, m.MAX_CERTIFICATES, _too_many(10, m.WHAT_CERTIFICATES), id="certificates"),
    pytest.param(_long_certificate, m.MAX_CERTIFICATE_TEXT_CHARS, m.MSG_CERT_TEXT_TOO_LONG, id="certificate-text"),
]


def test_cap_messages_name_the_limit():
    assert _too_many(20, m.WHAT_SSO) == (
        "The metadata has more than 20 SingleSignOnService endpoints; IdP metadata normally has one or a few."
    )
    assert m.MSG_CERT_TEXT_TOO_LONG == (
        "The certificate text is longer than 64 KiB (65,536 characters); a certificate is normally about 2 KiB."
    )
    assert m.MSG_TOO_MANY_CERTIFICATES == (
        "The certificate text holds more than 10 certificates; an IdP signs with one, two during a rollover."
    )


@pytest.mark.parametrize(("build", "limit", "message"), CAPS)
def test_one_past_each_cap_is_refused(build, limit, message):
    with pytest.raises(MetadataError) as exc:
        parse(build(limit + 1))
    assert exc.value.message == message


@pytest.mark.parametrize(("build", "limit", "message"), CAPS)
def test_each_cap_itself_is_allowed(build, limit, message):
    """At the limit the cap does not fire: the document gets its usual answer."""
    if build is _entities:  # 100 IdPs: the admin is asked to choose one
        with pytest.raises(MetadataError) as exc:
            parse(build(limit))
        assert exc.value.message.startswith("The metadata describes 100 identity providers (https://idp0.example")
        assert len(exc.value.choices) == 100
    elif build is _long_certificate:  # 64 KiB of "A" is read, and is not a certificate
        with pytest.raises(MetadataError) as exc:
            parse(build(limit))
        assert exc.value.message == m.MSG_CERT_INVALID.format(value="A" * 39 + "…")
    else:
        assert parse(build(limit)).entity_id == "https://idp.example.com/entity"


def test_the_certificate_cap_counts_before_loading_any(monkeypatch):
    """Enforced before the work: past the cap, not one certificate is decoded."""
    loaded = []
    real = m.certificate_load
    monkeypatch.setattr(m, "certificate_load", lambda *a, **kw: loaded.append(1) or real(*a, **kw))
    with pytest.raises(MetadataError):
        parse(_certificates(m.MAX_CERTIFICATES + 1))
    assert loaded == []


MARKERS = "-----BEGIN CERTIFICATE-----\n" * 40_000  # about 1 MiB: minutes per parse with the old regex


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param(MARKERS, m.MSG_CERT_TEXT_TOO_LONG, id="one-mib-of-begin-markers"),
        pytest.param("A" * (64 * 1024 + 1), m.MSG_CERT_TEXT_TOO_LONG, id="over-64-kib"),
        pytest.param(cert_pem("A") * 11, m.MSG_TOO_MANY_CERTIFICATES, id="eleven-pem-blocks"),
        pytest.param("\n\n".join([cert_b64("A")] * 11), m.MSG_TOO_MANY_CERTIFICATES, id="eleven-base64-blobs"),
        pytest.param(
            "-----BEGIN CERTIFICATE-----\n" * 3 + "-----END CERTIFICATE-----",
            "The certificate is not valid: '-----BEGIN CERTIFICATE----- -----BEGIN …' is not a PEM or "
            "base64-encoded X.509 certificate.",
            id="begin-inside-a-block",
        ),
    ],
)
def test_certificate_field_caps(text, message):
    with pytest.raises(MetadataError) as exc:
        certificates_parse(text)
    assert exc.value.message == message


def test_the_certificate_field_takes_ten_and_a_pem_on_one_line():
    pems = [cert_pem(f"Rollover {i}") for i in range(m.MAX_CERTIFICATES)]
    assert len(certificates_parse("".join(pems))) == 10
    one_line = cert_pem("A").replace("\n", "")  # pasted where line breaks were lost
    assert [c.subject for c in certificates_parse(one_line)] == ["CN=A"]


def test_metadata_with_a_megabyte_of_begin_markers_is_refused_by_the_cap():
    """Whoever controls a metadata URL cannot stall every tenant's refresh with one document."""
    with pytest.raises(MetadataError) as exc:
        parse(s.idp_metadata(MARKERS[: 900 * 1024]))
    assert exc.value.message == m.MSG_CERT_TEXT_TOO_LONG


def _writes() -> tuple[int, int, int]:
    """Groups, certificates and events other than a refusal's own failure event."""
    successes = Event.objects.exclude(outcome=Event.Outcome.FAILURE)
    return SSOGroup.objects.count(), SSOCertificate.objects.count(), successes.count()


FORM = {"name": "Capped", "slug": "capped", "allow_idp_initiated": "on", "default_role": "reporting",
        "signature_requirement": "either"}  # fmt: skip


@pytest.mark.usefixtures("fixed_now")
@pytest.mark.parametrize(("build", "limit", "message"), CAPS)
def test_the_create_page_names_each_cap_and_saves_nothing(client, admin, build, limit, message):
    force_recent_login(client, admin)
    before = _writes()
    response = client.post("/account/sso/new", {**FORM, "metadata_xml": build(limit + 1)})
    assert response.status_code == 400
    assert response.context["form"].errors["metadata_xml"] == [message]
    assert "Nothing was saved" in response.content.decode()
    assert _writes() == before


@pytest.mark.usefixtures("fixed_now")
@pytest.mark.parametrize(
    ("text", "message"),
    [(MARKERS, m.MSG_CERT_TEXT_TOO_LONG), (cert_pem("A") * 11, m.MSG_TOO_MANY_CERTIFICATES)],
    ids=["one-mib-of-begin-markers", "eleven-pem-blocks"],
)
def test_the_certificate_field_names_its_cap_and_saves_nothing(client, admin, text, message):
    force_recent_login(client, admin)
    before = _writes()
    form = {**FORM, "idp_entity_id": "https://idp.example.com/entity", "sso_url": "https://idp.example.com/sso"}
    response = client.post("/account/sso/new", {**form, "certificates": text})
    assert response.status_code == 400
    assert response.context["form"].errors["certificates"] == [message]
    assert _writes() == before


@pytest.mark.usefixtures("fixed_now")
@pytest.mark.parametrize(("build", "limit", "message"), CAPS)
def test_ssogroup_import_names_each_cap_and_saves_nothing(account, tmp_path, build, limit, message):
    path = tmp_path / "metadata.xml"
    path.write_text(build(limit + 1))
    before = _writes()
    with pytest.raises(CommandError) as exc:
        call_command("ssogroup_import", "--account", str(account.pk), "--name", "X", "--metadata", str(path))
    assert str(exc.value) == message
    assert _writes() == before
