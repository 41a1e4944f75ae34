"""An independent test IdP: pysaml2 7.5.5 builds and signs (through the xmlsec1 program) real responses.

Nothing here shares code with the SP under test except reading the group's public URLs.
"""

import base64
import contextlib
import datetime as dt
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from unittest import mock
from urllib.parse import parse_qs, urlsplit

from lxml import etree
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT, time_util
from saml2.config import IdPConfig
from saml2.saml import (
    NAMEID_FORMAT_EMAILADDRESS,
    NAMEID_FORMAT_PERSISTENT,
    NAMEID_FORMAT_TRANSIENT,
    NAMEID_FORMAT_UNSPECIFIED,
    NameID,
)
from saml2.server import Server
from saml2.sigver import pre_signature_part
from saml2.xmldsig import DIGEST_SHA1, DIGEST_SHA256, SIG_RSA_SHA1, SIG_RSA_SHA256

from tests.support.keys import KeyPair

NS = {
    "samlp": "urn:oasis:names:tc:SAML:2.0:protocol",
    "saml": "urn:oasis:names:tc:SAML:2.0:assertion",
    "ds": "http://www.w3.org/2000/09/xmldsig#",
}
ASSERTION_NODE = "urn:oasis:names:tc:SAML:2.0:assertion:Assertion"
RESPONSE_NODE = "urn:oasis:names:tc:SAML:2.0:protocol:Response"
SHA256 = (SIG_RSA_SHA256, DIGEST_SHA256)
SHA1 = (SIG_RSA_SHA1, DIGEST_SHA1)
# NameID formats as IdPs other than JumpCloud send them (SimpleSAMLphp: transient; Entra: persistent).
EMAIL, TRANSIENT, PERSISTENT, UNSPECIFIED = (
    NAMEID_FORMAT_EMAILADDRESS,
    NAMEID_FORMAT_TRANSIENT,
    NAMEID_FORMAT_PERSISTENT,
    NAMEID_FORMAT_UNSPECIFIED,
)
# Keep attribute names exactly as given (pysaml2's default maps rename e.g. "email" to a URN).
AS_IS_MAP = 'MAP = {"identifier": "urn:oasis:names:tc:SAML:2.0:attrname-format:basic", "fro": {}, "to": {}}\n'


@dataclass
class SP:
    entity_id: str
    acs_url: str


def sp_of(group) -> SP:
    return SP(entity_id=group.sp_entity_id, acs_url=group.acs_url)


def _sp_metadata(sp: SP) -> str:
    return (
        f'<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="{sp.entity_id}">'
        '<md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
        f"<md:NameIDFormat>{NAMEID_FORMAT_EMAILADDRESS}</md:NameIDFormat>"
        f'<md:AssertionConsumerService Binding="{BINDING_HTTP_POST}" Location="{sp.acs_url}" index="0"/>'
        "</md:SPSSODescriptor></md:EntityDescriptor>"
    )


@contextlib.contextmanager
def idp_clock_shift(seconds: int) -> Iterator[None]:
    """Run pysaml2 as an IdP whose clock is ``seconds`` off ours (the SP's clock is untouched)."""
    shift = dt.timedelta(seconds=seconds)

    def instant(format=time_util.TIME_FORMAT, time_stamp=0):
        base = dt.datetime.fromtimestamp(time_stamp, dt.UTC) if time_stamp else dt.datetime.now(dt.UTC)
        return (base + shift).strftime(format)

    def in_a_while(format=time_util.TIME_FORMAT, **kwargs):
        return (dt.datetime.now(dt.UTC) + shift + dt.timedelta(**kwargs)).strftime(format or time_util.TIME_FORMAT)

    with (
        mock.patch("saml2.assertion.instant", instant),
        mock.patch("saml2.entity.instant", instant),
        mock.patch("saml2.assertion.in_a_while", in_a_while),
    ):
        yield


class TestIdP:
    """One IdP (entity id + key pair); ``response()`` returns the XML of a SAML Response."""

    __test__ = False

    def __init__(self, workdir: Path, keypair: KeyPair, entity_id: str = "https://idp.example.test/saml"):
        self.workdir = workdir
        self.keypair = keypair
        self.entity_id = entity_id
        workdir.mkdir(parents=True, exist_ok=True)
        self.key_file = workdir / "idp-key.pem"
        self.cert_file = workdir / "idp-cert.pem"
        self.key_file.write_text(keypair.key_pem)
        self.cert_file.write_text(keypair.cert_pem)
        (workdir / "maps").mkdir(exist_ok=True)
        (workdir / "maps" / "as_is_attributes.py").write_text(AS_IS_MAP)

    def server(self, sp: SP) -> Server:
        md = self.workdir / f"sp-{abs(hash((sp.entity_id, sp.acs_url)))}.xml"
        md.write_text(_sp_metadata(sp))
        config = IdPConfig()
        config.load(
            {
                "entityid": self.entity_id,
                "key_file": str(self.key_file),
                "cert_file": str(self.cert_file),
                "xmlsec_binary": "/usr/bin/xmlsec1",
                "attribute_map_dir": str(self.workdir / "maps"),
                "metadata": {"local": [str(md)]},
                "service": {
                    "idp": {
                        "endpoints": {"single_sign_on_service": [(f"{self.entity_id}/sso", BINDING_HTTP_REDIRECT)]},
                        "policy": {
                            "default": {
                                "lifetime": {"minutes": 5},
                                "attribute_restrictions": None,
                                "name_form": "urn:oasis:names:tc:SAML:2.0:attrname-format:basic",
                            }
                        },
                        "name_id_format": [NAMEID_FORMAT_EMAILADDRESS, NAMEID_FORMAT_TRANSIENT],
                    }
                },
            }
        )
        return Server(config=config)

    def response(
        self,
        sp: SP,
        *,
        name_id: str,
        name_id_format: str = EMAIL,
        attributes: dict[str, list[str]] | None = None,
        in_response_to: str | None = None,
        sign_assertion: bool = True,
        sign_response: bool = False,
        algorithms: tuple[str, str] = SHA256,
        destination: str | None = None,
        session_not_on_or_after: str | None = None,
        authn_instant: dt.datetime | None = None,
        mutate: Callable[[etree._Element], None] | None = None,
    ) -> str:
        """A response from this IdP, naming the user by ``name_id`` in ``name_id_format``.
        ``authn_instant``: when the user authenticated (default: now, as pysaml2 says). ``mutate`` edits
        the unsigned tree before pysaml2 signs it."""
        authn = {"class_ref": "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"}
        if authn_instant is not None:
            authn["authn_instant"] = int(authn_instant.timestamp())
        server = self.server(sp)
        unsigned = server.create_authn_response(
            identity=attributes or {},
            in_response_to=in_response_to,
            destination=destination or sp.acs_url,
            sp_entity_id=sp.entity_id,
            name_id=NameID(format=name_id_format, text=name_id),
            sign_assertion=False,
            sign_response=False,
            session_not_on_or_after=session_not_on_or_after,
            authn=authn,
        )
        tree = etree.fromstring(str(unsigned).encode())
        if mutate:
            mutate(tree)
        sign_alg, digest_alg = algorithms
        if sign_assertion:
            assertion = tree.find("saml:Assertion", NS)
            self._insert_signature_template(assertion, sign_alg, digest_alg)
        if sign_response:
            self._insert_signature_template(tree, sign_alg, digest_alg)
        xml = etree.tostring(tree).decode()
        if sign_assertion:
            xml = server.sec.sign_statement(
                xml, ASSERTION_NODE, key_file=str(self.key_file), node_id=tree.find("saml:Assertion", NS).get("ID")
            )
        if sign_response:
            xml = server.sec.sign_statement(xml, RESPONSE_NODE, key_file=str(self.key_file), node_id=tree.get("ID"))
        return xml

    def _insert_signature_template(self, element, sign_alg: str, digest_alg: str) -> None:
        template = pre_signature_part(
            ident=element.get("ID"), public_key=self.keypair.cert_b64, sign_alg=sign_alg, digest_alg=digest_alg
        )
        issuer = element.find("saml:Issuer", NS)
        issuer.addnext(etree.fromstring(str(template).encode()))

    def native_response(
        self, sp: SP, *, name_id: str, attributes=None, in_response_to=None, sign_assertion=True, sign_response=False
    ) -> str:
        """pysaml2's own end-to-end signing path (no template insertion by us), SHA-256."""
        return str(
            self.server(sp).create_authn_response(
                identity=attributes or {},
                in_response_to=in_response_to,
                destination=sp.acs_url,
                sp_entity_id=sp.entity_id,
                name_id=NameID(format=NAMEID_FORMAT_EMAILADDRESS, text=name_id),
                sign_assertion=sign_assertion,
                sign_response=sign_response,
                sign_alg=SIG_RSA_SHA256,
                digest_alg=DIGEST_SHA256,
                authn={"class_ref": "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"},
            )
        )


def b64(xml: str) -> str:
    return base64.b64encode(xml.encode()).decode()


def authn_request_from_redirect(url: str) -> tuple[etree._Element, dict[str, list[str]]]:
    """Decode the AuthnRequest our HTTP-Redirect binding carries (deflate + base64)."""
    query = parse_qs(urlsplit(url).query)
    xml = zlib.decompress(base64.b64decode(query["SAMLRequest"][0]), -15)
    return etree.fromstring(xml), query
