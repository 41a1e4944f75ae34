"""Real RSA key pairs and self-signed certificates for tests (no fixtures checked in)."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID


@dataclass(frozen=True)
class KeyPair:
    key_pem: str
    cert_pem: str

    @property
    def cert_b64(self) -> str:
        """The certificate as metadata carries it: bare base64, no PEM armour."""
        return "".join(line for line in self.cert_pem.splitlines() if "-----" not in line)


def make_keypair(common_name: str = "Test IdP", *, days: int = 365, not_before_days: int = -1) -> KeyPair:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    start = datetime.now(UTC) + timedelta(days=not_before_days)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=days))
        .sign(key, hashes.SHA256())
    )
    return KeyPair(
        key_pem=key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode(),
        cert_pem=cert.public_bytes(serialization.Encoding.PEM).decode(),
    )


@cache
def shared_keypair(name: str) -> KeyPair:
    """One key pair per name for the whole test session (RSA generation is slow-ish)."""
    return make_keypair(name)
