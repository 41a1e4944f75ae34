"""The python3-saml adjustments: the cached schema validates exactly like the library, and its clock is ours."""

from datetime import UTC, datetime

from lxml import etree
from onelogin.saml2.utils import OneLogin_Saml2_Utils
from onelogin.saml2.xml_utils import OneLogin_Saml2_XML

from ssogroups.saml import acs, library  # noqa: F401  (importing acs installs the adjustments)
from tests.ssogroups.saml.idp import sp_of

SCHEMA = "saml-schema-protocol-2.0.xsd"


def test_cache_is_installed_by_the_acs_module():
    assert library.schema_cache_installed()


def test_cached_and_original_validation_agree(idp, group):
    valid = etree.fromstring(idp.response(sp_of(group), name_id="a@example.com").encode())
    invalid = etree.fromstring(b'<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"/>')
    original = library._ORIGINAL_VALIDATE_XML
    cached = OneLogin_Saml2_XML.validate_xml

    assert cached(valid, SCHEMA) is valid and original(valid, SCHEMA) is valid
    assert cached(invalid, SCHEMA) == original(invalid, SCHEMA) == "invalid_xml"
    assert cached(b"<not-xml", SCHEMA) == original(b"<not-xml", SCHEMA) == "unloaded_xml"


def test_uninstall_and_reinstall():
    try:
        library.schema_cache_uninstall()
        assert not library.schema_cache_installed()
    finally:
        library.schema_cache_install()
    assert library.schema_cache_installed()


def test_library_now_reads_our_clock(monkeypatch):
    moved = datetime(2031, 5, 6, 7, 8, 9, tzinfo=UTC)
    monkeypatch.setattr("sparksso.clock.now", lambda: moved)
    assert OneLogin_Saml2_Utils.now() == int(moved.timestamp())
