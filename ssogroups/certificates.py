"""Certificate text -> Certificate: PEM blocks, bare base64, base64 of a PEM, in linear time with caps.

Pure, like ssogroups.metadata (which re-exports everything here). The text comes from outsiders —
an admin's "SAML 2.0 Certificate" field, a fetched metadata document whoever runs the IdP's URL
controls — so the cost of reading it grows at most linearly with its length, and the length and
the number of certificates are capped before any of that work. The former regex
``BEGIN(.*?)END`` rescanned the rest of the text from every BEGIN marker: quadratic, about three
minutes for 1 MiB of markers.
"""

import base64
import binascii
import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography import x509

EXPIRY_WARNING_DAYS = 30
# A 4096-bit RSA certificate is about 2 KiB of PEM; the cap leaves room for a long chain, and
# matches the certificate file upload's 64 KiB.
MAX_CERTIFICATE_TEXT_CHARS = 64 * 1024
# An IdP signs with one certificate, two during a rollover.
MAX_CERTIFICATES = 10

PEM_BEGIN = "-----BEGIN CERTIFICATE-----"
PEM_END = "-----END CERTIFICATE-----"

MSG_CERT_INVALID = "The signing certificate is not valid: {value!r} is not a base64-encoded X.509 certificate."
MSG_CERT_TEXT_INVALID = "The certificate is not valid: {value!r} is not a PEM or base64-encoded X.509 certificate."
MSG_CERT_EMPTY = "No certificate was given."
MSG_CERT_PRIVATE_KEY = (
    "That is a private key, not a certificate. Paste the IdP's certificate (BEGIN CERTIFICATE); "
    "a private key should never leave the IdP."
)
MSG_CERT_TEXT_TOO_LONG = (
    f"The certificate text is longer than {MAX_CERTIFICATE_TEXT_CHARS // 1024} KiB "
    f"({MAX_CERTIFICATE_TEXT_CHARS:,} characters); a certificate is normally about 2 KiB."
)
MSG_TOO_MANY_CERTIFICATES = (
    f"The certificate text holds more than {MAX_CERTIFICATES} certificates; "
    "an IdP signs with one, two during a rollover."
)
WARN_CERT_EXPIRED = "Certificate {subject} expired on {date}; sign-in will fail until the IdP uses a current one."
WARN_CERT_EXPIRING = "Certificate {subject} expires on {date} (within {days} days); plan the rollover."


class MetadataError(ValueError):
    """Metadata (or a certificate) that cannot be used; ``message`` is meant for the admin."""

    def __init__(self, message: str, *, choices: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.message = message
        # When the document holds several IdPs: their entity IDs, so the caller can ask.
        self.choices = choices


@dataclass(frozen=True)
class Certificate:
    pem: str
    sha256_fingerprint: str
    subject: str
    not_before: datetime
    not_after: datetime


def short(value: str, limit: int = 40) -> str:
    """``value`` on one line, cut to ``limit`` characters, for a message."""
    value = " ".join(value.split())
    return value if len(value) <= limit else value[: limit - 1] + "…"


def pem_blocks(text: str) -> tuple[list[str], str]:
    """The bodies of the PEM CERTIFICATE blocks in ``text``, and what is left outside them.

    One pass with ``str.find``: every character is looked at a bounded number of times, however
    many BEGIN markers the text holds. A block must close before the next one opens; one that
    does not (a BEGIN inside a block, a BEGIN without END) ends the scan and is left over, so the
    caller refuses the text. Blocks may span lines or sit on one (a PEM pasted without its breaks).
    """
    bodies: list[str] = []
    leftover: list[str] = []
    position = 0
    while True:
        begin = text.find(PEM_BEGIN, position)
        if begin < 0:
            leftover.append(text[position:])
            break
        leftover.append(text[position:begin])
        start = begin + len(PEM_BEGIN)
        end = text.find(PEM_END, start)
        if end < 0 or text.find(PEM_BEGIN, start, end) >= 0:
            leftover.append(text[begin:])
            break
        bodies.append(text[start:end])
        position = end + len(PEM_END)
    return bodies, "".join(leftover).strip()


def blank_line_chunks(text: str) -> list[str]:
    """``text`` split at blank lines (bare base64 certificates, one after another), line by line."""
    chunks: list[list[str]] = [[]]
    for line in text.splitlines():
        if line.strip():
            chunks[-1].append(line)
        elif chunks[-1]:
            chunks.append([])
    return ["\n".join(lines) for lines in chunks if lines]


def _fingerprint(der: bytes) -> str:
    return ":".join(f"{b:02X}" for b in hashlib.sha256(der).digest())


def _certificate_from_der(der: bytes) -> Certificate:
    cert = x509.load_der_x509_certificate(der)
    body = base64.encodebytes(der).decode().replace("\n", "")
    lines = "\n".join(body[i : i + 64] for i in range(0, len(body), 64))
    return Certificate(
        pem=f"{PEM_BEGIN}\n{lines}\n{PEM_END}\n",
        sha256_fingerprint=_fingerprint(der),
        subject=cert.subject.rfc4514_string(),
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
    )


def _b64decode(text: str) -> bytes:
    compact = "".join(text.split())
    if not compact:
        raise ValueError("empty")
    return base64.b64decode(compact, validate=True)


def _single_pem_body(text: str) -> str:
    bodies, _ = pem_blocks(text)
    if not bodies:
        raise ValueError("truncated PEM")
    return bodies[0]


def certificate_load(value: str, *, message: str = MSG_CERT_TEXT_INVALID) -> Certificate:
    """One certificate given as PEM, bare base64 (whitespace anywhere), or base64 of a PEM."""
    if len(value) > MAX_CERTIFICATE_TEXT_CHARS:
        raise MetadataError(MSG_CERT_TEXT_TOO_LONG)  # before any work on it
    text = value.strip()
    try:
        if PEM_BEGIN in text:
            return _certificate_from_der(_b64decode(_single_pem_body(text)))
        der = _b64decode(text)
        if der.lstrip().startswith(PEM_BEGIN.encode()):  # base64 of a PEM (seen in the wild)
            der = _b64decode(_single_pem_body(der.decode("ascii")))
        return _certificate_from_der(der)
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        # cryptography raises ValueError for DER it cannot read; base64 raises binascii.Error.
        raise MetadataError(message.format(value=short(text))) from exc


def certificates_parse(text: str) -> list[Certificate]:
    """The admin's "SAML 2.0 Certificate" field: one or more PEM blocks, or base64 blobs split by blank lines."""
    if len(text) > MAX_CERTIFICATE_TEXT_CHARS:
        raise MetadataError(MSG_CERT_TEXT_TOO_LONG)  # before any work on it
    text = text.strip()
    if not text:
        raise MetadataError(MSG_CERT_EMPTY)
    if "PRIVATE KEY-----" in text:
        raise MetadataError(MSG_CERT_PRIVATE_KEY)
    if "-----BEGIN" in text:
        if text.count("-----BEGIN") > MAX_CERTIFICATES:
            raise MetadataError(MSG_TOO_MANY_CERTIFICATES)
        bodies, leftover = pem_blocks(text)
        if leftover or not bodies:
            raise MetadataError(MSG_CERT_TEXT_INVALID.format(value=short(leftover or text)))
        chunks = [f"{PEM_BEGIN}{body}{PEM_END}" for body in bodies]
    else:
        chunks = blank_line_chunks(text)
        if len(chunks) > MAX_CERTIFICATES:
            raise MetadataError(MSG_TOO_MANY_CERTIFICATES)
    found: dict[str, Certificate] = {}
    for chunk in chunks:
        cert = certificate_load(chunk)
        found.setdefault(cert.sha256_fingerprint, cert)
    return list(found.values())


def certificate_warnings(certificates: list[Certificate] | tuple[Certificate, ...], *, now: datetime) -> list[str]:
    """Expired and soon-expiring certificates, as messages for the admin."""
    warnings = []
    for cert in certificates:
        date = f"{cert.not_after:%Y-%m-%d}"
        if cert.not_after <= now:
            warnings.append(WARN_CERT_EXPIRED.format(subject=cert.subject, date=date))
        elif cert.not_after <= now + timedelta(days=EXPIRY_WARNING_DAYS):
            warnings.append(WARN_CERT_EXPIRING.format(subject=cert.subject, date=date, days=EXPIRY_WARNING_DAYS))
    return warnings
