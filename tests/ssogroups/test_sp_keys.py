"""The SP key store: generated once, sealed at rest, opened after a SECRET_KEY rotation, rotated with overlap."""

from datetime import timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from accounts.models import Event
from sparksso import clock
from ssogroups import sp_keys
from ssogroups.models import SPKey

pytestmark = pytest.mark.django_db


def test_first_use_generates_one_rsa_3072_key_with_its_certificate():
    first = sp_keys.sp_key_current()
    again = sp_keys.sp_key_current()
    assert first == again
    assert first.state == "current"
    key = serialization.load_pem_private_key(first.private_key_pem.encode(), password=None)
    assert key.key_size == 3072
    cert = x509.load_pem_x509_certificate(first.certificate_pem.encode())
    assert cert.public_key() == key.public_key()
    assert cert.not_valid_after_utc == first.not_after
    assert SPKey.objects.count() == 1
    assert list(Event.objects.filter(event="sp_key_create").values_list("target", flat=True)) == [
        first.sha256_fingerprint
    ]
    assert sp_keys.sp_key_next() is None
    assert sp_keys.sp_keys_for_decryption() == [first]
