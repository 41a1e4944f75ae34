"""The dev IdP's signing key pair: generated once under its state directory, then kept.

Keeping it means an SSO group created from the IdP's metadata keeps working across restarts.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

CERT_YEARS = 10


@dataclass(frozen=True)
class KeyFiles:
    key_file: Path
    cert_file: Path

    @property
    def cert_b64(self) -> str:
        """The certificate as metadata carries it: bare base64, no PEM armour."""
        lines = self.cert_file.read_text().splitlines()
        return "".join(line.strip() for line in lines if "-----" not in line)


def _generate(key_file: Path, cert_file: Path, common_name: str) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    start = datetime.now(UTC) - timedelta(days=1)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=365 * CERT_YEARS))
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    # Written with owner-only permissions from the start: it is a private key, even if a dev one.
    key_file.touch(mode=0o600)
    key_file.write_bytes(key_pem)
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def keypair_ensure(*, state_dir: Path, name: str = "idp", common_name: str = "sparksso dev IdP") -> KeyFiles:
    """``<state_dir>/<name>-key.pem`` and ``-cert.pem``, generated on first use and reused after."""
    state_dir.mkdir(parents=True, exist_ok=True)
    files = KeyFiles(key_file=state_dir / f"{name}-key.pem", cert_file=state_dir / f"{name}-cert.pem")
    if not (files.key_file.exists() and files.cert_file.exists()):
        _generate(files.key_file, files.cert_file, common_name)
    return files
