"""The deployment's own SP key pairs: sign AuthnRequests, decrypt assertions, rotate with overlap.

One key is *current* (signs, is published, decrypts); a *next* key is published beside it for
SP_KEY_ROLLOVER_DAYS so IdPs that import our metadata learn it before it signs; promotion makes it
current and the old one *previous* (still decrypts assertions encrypted to it); retiring drops a
previous key's private half. The operator may instead provide the key (SP_KEY_FILE/SP_CERT_FILE).

Private keys rest encrypted with AES-GCM under a key derived (HKDF-SHA256) from SECRET_KEY; any of
SECRET_KEY_FALLBACKS still opens them, so rotating the secret does not lose the key.
"""

import base64
import os
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.x509.oid import NameOID
from django.conf import settings
from django.db import IntegrityError, transaction

from accounts.events import event_record
from sparksso import clock
from ssogroups.certificates import EXPIRY_WARNING_DAYS, MetadataError, certificate_load
from ssogroups.event_types import SSOGroupEvent
from ssogroups.models import SPKey

KEY_SIZE = 3072
SEALED_PREFIX = "v1."
_HKDF_INFO = b"sparksso sp private key at rest v1"
_NONCE_BYTES = 12

MSG_FROM_FILES = "The SP key comes from SP_KEY_FILE/SP_CERT_FILE: rotate it by replacing those files."
MSG_UNREADABLE = "SP key {key_id} cannot be decrypted with SECRET_KEY or any of SECRET_KEY_FALLBACKS."
MSG_FILE_INVALID = "SP_KEY_FILE/SP_CERT_FILE do not hold a matching PEM private key and certificate: {reason}"


class SPKeyError(Exception):
    """A key operation that cannot be done; ``message`` is one line for the operator."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class SPKeyPair:
    id: int  # 0 for the operator's key from SP_KEY_FILE
    private_key_pem: str = field(repr=False)  # never in a log line or a traceback's locals
    certificate_pem: str
    not_after: datetime
    state: str  # "next", "current", "previous", "retired"
    sha256_fingerprint: str = ""


# --- the private key at rest ------------------------------------------------------------------


def _aead(secret: str) -> AESGCM:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_HKDF_INFO).derive(secret.encode("utf-8"))
    return AESGCM(key)


def private_key_seal(private_key_pem: str, *, fingerprint: str) -> str:
    """The PEM encrypted under SECRET_KEY; the certificate's fingerprint is bound in as associated data,
    so a sealed key moved onto another certificate's row does not open."""
    nonce = os.urandom(_NONCE_BYTES)
    sealed = _aead(settings.SECRET_KEY).encrypt(nonce, private_key_pem.encode("ascii"), fingerprint.encode("ascii"))
    return SEALED_PREFIX + base64.b64encode(nonce + sealed).decode("ascii")


def private_key_open(sealed: str, *, fingerprint: str) -> str:
    """The PEM, opened with SECRET_KEY or else any of SECRET_KEY_FALLBACKS; ValueError when none opens it."""
    if not sealed.startswith(SEALED_PREFIX):
        raise ValueError("not a sealed key")
    raw = base64.b64decode(sealed[len(SEALED_PREFIX) :])
    nonce, body = raw[:_NONCE_BYTES], raw[_NONCE_BYTES:]
    for secret in [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]:
        try:
            return _aead(secret).decrypt(nonce, body, fingerprint.encode("ascii")).decode("ascii")
        except InvalidTag:
            continue
    raise ValueError("no secret opens it")


# --- generation ---------------------------------------------------------------------------------


def key_pair_generate(*, now: datetime, days: int) -> tuple[str, str]:
    """A new RSA-3072 private key (PKCS#8 PEM) and a self-signed certificate for it, valid ``days``."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_SIZE)
    host = urlsplit(settings.BASE_URL).hostname or "sparksso"
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"sparksso SP {host}"[:64])])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_encipherment=True,
                content_commitment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    private_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode("ascii")
    return private_pem, cert.public_bytes(serialization.Encoding.PEM).decode("ascii")


def key_create(*, state: str) -> SPKey:
    """A new key row in ``state``; IntegrityError when another one in that state won the race."""
    now = clock.now()
    private_pem, cert_pem = key_pair_generate(now=now, days=settings.SP_KEY_CERT_DAYS)
    cert = certificate_load(cert_pem)
    with transaction.atomic():
        return SPKey.objects.create(
            state=state,
            private_key_encrypted=private_key_seal(private_pem, fingerprint=cert.sha256_fingerprint),
            certificate_pem=cert.pem,
            sha256_fingerprint=cert.sha256_fingerprint,
            not_before=cert.not_before,
            not_after=cert.not_after,
            created_at=now,
            promoted_at=now if state == SPKey.State.CURRENT else None,
        )


# --- reads --------------------------------------------------------------------------------------


def key_pair_from_row(row: SPKey) -> SPKeyPair:
    """The row's key pair with its private half opened; SPKeyError when no secret opens it."""
    private_pem = ""
    if row.private_key_encrypted:
        try:
            private_pem = private_key_open(row.private_key_encrypted, fingerprint=row.sha256_fingerprint)
        except ValueError as exc:
            raise SPKeyError(MSG_UNREADABLE.format(key_id=row.pk)) from exc
    return SPKeyPair(
        id=row.pk,
        private_key_pem=private_pem,
        certificate_pem=row.certificate_pem,
        not_after=row.not_after,
        state=row.state,
        sha256_fingerprint=row.sha256_fingerprint,
    )


def sp_keys_from_files() -> bool:
    """True when the operator provides the key (SP_KEY_FILE/SP_CERT_FILE): no rotation here."""
    return bool(settings.SP_KEY_FILE)


# The operator's files as last checked, by their contents: loading an RSA-3072 private key checks it
# (about 90 ms), too much for every encrypted sign-in; new contents are checked again.
_file_pairs: dict[tuple[str, str], SPKeyPair] = {}


def _file_pair() -> SPKeyPair:
    try:
        private_pem = Path(settings.SP_KEY_FILE).read_text(encoding="ascii")
        cert_text = Path(settings.SP_CERT_FILE).read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as exc:
        raise SPKeyError(MSG_FILE_INVALID.format(reason=exc)) from exc
    contents = (private_pem, cert_text)
    cached = _file_pairs.get(contents)
    if cached is None:
        cached = _file_pair_check(private_pem, cert_text)
        _file_pairs.clear()  # one pair at a time: the files as they are now
        _file_pairs[contents] = cached
    return cached


def _file_pair_check(private_pem: str, cert_text: str) -> SPKeyPair:
    try:
        cert = certificate_load(cert_text)
        key = serialization.load_pem_private_key(private_pem.encode("ascii"), password=None)
    except (ValueError, TypeError, MetadataError) as exc:
        raise SPKeyError(MSG_FILE_INVALID.format(reason=exc)) from exc
    public = x509.load_pem_x509_certificate(cert.pem.encode("ascii")).public_key()
    if not isinstance(key, rsa.RSAPrivateKey) or key.public_key() != public:
        raise SPKeyError(MSG_FILE_INVALID.format(reason="the key is not RSA or is not the certificate's"))
    return SPKeyPair(
        id=0,
        private_key_pem=private_pem,
        certificate_pem=cert.pem,
        not_after=cert.not_after,
        state=SPKey.State.CURRENT,
        sha256_fingerprint=cert.sha256_fingerprint,
    )


def sp_key_current() -> SPKeyPair:
    """The key that signs and is published first; the first call of a deployment generates it.

    Idempotent under concurrency: two first calls both generate, the one-current constraint lets
    one insert win, and the loser reads the winner's key.
    """
    if sp_keys_from_files():
        return _file_pair()
    row = SPKey.objects.filter(state=SPKey.State.CURRENT).first()
    if row is None:
        try:
            row = key_create(state=SPKey.State.CURRENT)
        except IntegrityError:
            row = SPKey.objects.get(state=SPKey.State.CURRENT)
        else:
            event_record(
                account=None,
                event=SSOGroupEvent.SP_KEY_CREATE,
                actor="system",
                target=row.sha256_fingerprint,
                changes={"id": row.pk, "state": row.state, "not_after": row.not_after.isoformat()},
            )
    return key_pair_from_row(row)


def sp_key_next() -> SPKeyPair | None:
    """The key published beside the current one, waiting to be promoted; None when no rotation is under way."""
    if sp_keys_from_files():
        return None
    row = SPKey.objects.filter(state=SPKey.State.NEXT).first()
    return key_pair_from_row(row) if row else None


def sp_keys_for_decryption() -> list[SPKeyPair]:
    """Every key an IdP may have encrypted to: current first, then next, then previous (newest first)."""
    keys = [sp_key_current()]
    if sp_keys_from_files():
        return keys
    rows = SPKey.objects.filter(state__in=[SPKey.State.NEXT, SPKey.State.PREVIOUS]).order_by("-created_at", "-id")
    keys += [key_pair_from_row(r) for r in rows if r.state == SPKey.State.NEXT]
    keys += [key_pair_from_row(r) for r in rows if r.state == SPKey.State.PREVIOUS and r.private_key_encrypted]
    return keys


def sp_keys_published() -> list[SPKeyPair]:
    """The keys our SP metadata lists: the current one, then the next one while a rotation is under way."""
    nxt = sp_key_next()
    return [sp_key_current(), *([nxt] if nxt else [])]


def sp_key_settings() -> dict:
    """The keyword arguments ssogroups.saml.config takes for our keys: the current pair and the next certificate."""
    nxt = sp_key_next()
    return {"sp_key": sp_key_current(), "sp_next_certificate_pem": nxt.certificate_pem if nxt else ""}


@dataclass(frozen=True)
class SPCertificateShown:
    """What an account admin sees of one published key: never the private half."""

    state: str
    certificate_pem: str
    sha256_fingerprint: str
    not_after: datetime
    expired: bool
    expiring_soon: bool


def sp_certificates_shown() -> list[SPCertificateShown]:
    """The published certificates (current, then next) for the admin's page; nothing is decrypted.

    The deployment's first key is made here if no sign-in or metadata request has made it yet.
    """
    if sp_keys_from_files():
        pairs = [(p.state, p.certificate_pem, p.sha256_fingerprint, p.not_after) for p in [_file_pair()]]
    else:
        if not SPKey.objects.filter(state=SPKey.State.CURRENT).exists():
            sp_key_current()
        rows = SPKey.objects.filter(state__in=[SPKey.State.CURRENT, SPKey.State.NEXT])
        rows = sorted(rows, key=lambda r: r.state != SPKey.State.CURRENT)
        pairs = [(r.state, r.certificate_pem, r.sha256_fingerprint, r.not_after) for r in rows]
    now = clock.now()
    soon = now + timedelta(days=EXPIRY_WARNING_DAYS)
    return [
        SPCertificateShown(
            state=state,
            certificate_pem=pem,
            sha256_fingerprint=fingerprint,
            not_after=not_after,
            expired=not_after <= now,
            expiring_soon=now < not_after <= soon,
        )
        for state, pem, fingerprint, not_after in pairs
    ]


def sp_keys_list() -> list[SPKey]:
    """Every stored key, newest first (certificates and states only; nothing is decrypted)."""
    return list(SPKey.objects.order_by("-created_at", "-id"))
