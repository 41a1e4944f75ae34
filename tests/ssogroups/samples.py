"""IdP metadata documents for tests, built around real certificates (tests/support/keys.py)."""

from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

DATA = Path(__file__).parent / "data"
JUMPCLOUD = DATA / "jumpcloud-export.xml"
PLACEHOLDER = DATA / "jumpcloud-placeholder-cert.xml"

JUMPCLOUD_ENTITY_ID = "samlify"
JUMPCLOUD_SSO_URL = "https://sso.jumpcloud.com/saml2/samlify"
JUMPCLOUD_FINGERPRINT = (
    "FF:D2:07:4B:14:B6:D0:49:71:31:92:85:65:F7:1F:E4:E9:B3:DF:89:61:64:F3:E7:FB:6A:84:DB:BA:8F:E5:66"
)

POST = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
REDIRECT = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
MD = "urn:oasis:names:tc:SAML:2.0:metadata"


def jumpcloud_bytes() -> bytes:
    return JUMPCLOUD.read_bytes()


def placeholder_bytes() -> bytes:
    return PLACEHOLDER.read_bytes()


def key_descriptor(cert_b64: str, use: str | None = "signing") -> str:
    use_attr = f' use="{use}"' if use else ""
    return (
        f'<md:KeyDescriptor{use_attr}><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#">'
        f"<ds:X509Data><ds:X509Certificate>{cert_b64}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>"
        "</md:KeyDescriptor>"
    )


def sso(location: str = "https://idp.example.com/sso", binding: str = REDIRECT) -> str:
    return f'<md:SingleSignOnService Binding="{binding}" Location="{location}"/>'


def idp_descriptor(inner: str, attrs: str = 'protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"') -> str:
    return f"<md:IDPSSODescriptor {attrs}>{inner}</md:IDPSSODescriptor>"


def entity(inner: str, entity_id: str = "https://idp.example.com/entity") -> str:
    return f'<md:EntityDescriptor xmlns:md="{MD}" entityID="{entity_id}">{inner}</md:EntityDescriptor>'


def idp_metadata(
    cert_b64: str,
    *,
    entity_id: str = "https://idp.example.com/entity",
    location: str = "https://idp.example.com/sso",
    extra: str = "",
) -> str:
    return entity(idp_descriptor(key_descriptor(cert_b64) + extra + sso(location)), entity_id)


# ---- certificates with absolute validity windows, so tests never depend on the wall clock ----

FIXED_NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


@cache
def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def cert_pem(common_name: str = "Test IdP", *, days_left: int = 365) -> str:
    """A real self-signed certificate valid until FIXED_NOW + days_left (negative: expired)."""
    return _cert_pem(common_name, days_left)


@cache
def _cert_pem(common_name: str, days_left: int) -> str:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    end = FIXED_NOW + timedelta(days=days_left)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(_key().public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(end - timedelta(days=730))
        .not_valid_after(end)
        .sign(_key(), hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def cert_b64(common_name: str = "Test IdP", *, days_left: int = 365) -> str:
    return "".join(line for line in cert_pem(common_name, days_left=days_left).splitlines() if "-----" not in line)
