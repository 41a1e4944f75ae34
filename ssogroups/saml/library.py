"""Two adjustments to python3-saml, installed once per process by SsogroupsConfig.ready().

1. The compiled XSD schema is cached. python3-saml re-reads and compiles
   saml-schema-protocol-2.0.xsd (and its imports) on every validation, about two thirds of the
   time an ACS call takes. Validation itself is unchanged: the same schema file, the same
   ``XMLSchema.validate`` call, the same return values. The cache is per thread because an lxml
   XMLSchema object keeps its error log on the instance.
2. python3-saml's notion of "now" reads sparksso.clock, the one injectable clock, so every
   validity window (the library's and ours) moves together in tests.
3. The cached protocol schema also knows xenc11:MGF (schemas/xenc11-mgf.xsd), so an EncryptedKey
   using XML Encryption 1.1's RSA-OAEP with MGF1-SHA256 passes the strict schema check; nothing
   else about the schema changes.
"""

import threading
from os.path import dirname, join
from pathlib import Path

from lxml import etree
from onelogin.saml2 import compat
from onelogin.saml2 import xml_utils as _xml_utils_module
from onelogin.saml2.utils import OneLogin_Saml2_Utils
from onelogin.saml2.xml_utils import OneLogin_Saml2_XML

from sparksso import clock
from ssogroups.saml.decryption import decryption_cache_install

_ORIGINAL_VALIDATE_XML = OneLogin_Saml2_XML.validate_xml
_SCHEMA_DIR = join(dirname(_xml_utils_module.__file__), "schemas")
_local = threading.local()
_PROTOCOL_SCHEMA = "saml-schema-protocol-2.0.xsd"
# The protocol schema plus xenc11:MGF: a schema of imports only, so every global element is theirs.
_PROTOCOL_WITH_XENC11 = (
    '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">'
    f'<xs:import namespace="urn:oasis:names:tc:SAML:2.0:protocol" '
    f'schemaLocation="{Path(_SCHEMA_DIR, _PROTOCOL_SCHEMA).as_uri()}"/>'
    '<xs:import namespace="http://www.w3.org/2009/xmlenc11#" '
    f'schemaLocation="{(Path(__file__).parent / "schemas" / "xenc11-mgf.xsd").as_uri()}"/>'
    "</xs:schema>"
)


def _schema_get(name: str) -> etree.XMLSchema:
    cache = getattr(_local, "schemas", None)
    if cache is None:
        cache = _local.schemas = {}
    schema = cache.get(name)
    if schema is None and name == _PROTOCOL_SCHEMA:
        schema = cache[name] = OneLogin_Saml2_XML._schema_class(etree.fromstring(_PROTOCOL_WITH_XENC11))
    elif schema is None:
        with open(join(_SCHEMA_DIR, name)) as f_schema:
            schema = cache[name] = OneLogin_Saml2_XML._schema_class(etree.parse(f_schema))
    return schema


def _validate_xml_cached(xml, schema, debug=False):
    """python3-saml's validate_xml with the schema compiled once per thread (same results)."""
    assert isinstance(schema, compat.str_type)
    try:
        xml = OneLogin_Saml2_XML.to_etree(xml)
    except (etree.XMLSyntaxError, ValueError):
        return "unloaded_xml"
    xmlschema = _schema_get(schema)
    if not xmlschema.validate(xml):
        return "invalid_xml"
    return xml


def _clock_now() -> int:
    return int(clock.now().timestamp())


def schema_cache_install() -> None:
    OneLogin_Saml2_XML.validate_xml = staticmethod(_validate_xml_cached)


def schema_cache_uninstall() -> None:
    """Back to the library's own (uncached) loading; the benchmark compares both."""
    OneLogin_Saml2_XML.validate_xml = staticmethod(_ORIGINAL_VALIDATE_XML)


def schema_cache_installed() -> bool:
    return OneLogin_Saml2_XML.__dict__["validate_xml"].__func__ is _validate_xml_cached


def library_adjust() -> None:
    """Idempotent: called from SsogroupsConfig.ready()."""
    schema_cache_install()
    OneLogin_Saml2_Utils.now = staticmethod(_clock_now)
    decryption_cache_install()  # 4. ssogroups.saml.decryption: one xmlsec KeysManager per SP key
