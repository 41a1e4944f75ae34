"""What encryption adds to a sign-in: validate_response on one signed response, plain vs encrypted.

The same signed assertion (bench/saml_response.py) is sent plain, encrypted to our current SP key
(AES-256-GCM, RSA-OAEP with SHA-256: what devidp and most IdPs send), and encrypted to a previous
key during a rotation (the current key is tried first and fails). The SP keys are RSA-3072 like the
production ones, held in memory: unsealing them from the database is not timed. Modes alternate in
rounds so machine noise hits each equally; a sample is the mean time of one round.
"""

import base64
import time
from datetime import timedelta

from django.conf import settings as django_settings
from lxml import etree

from bench.saml_response import signed_response
from bench.timing import Report, Samples
from sparksso import clock
from ssogroups.constants import BINDING_REDIRECT
from ssogroups.saml.acs import validate_response
from ssogroups.saml.config import SsoEndpoint, saml_settings_build
from ssogroups.saml.decryption import decryption_cache_install, decryption_cache_uninstall
from ssogroups.sp_keys import key_pair_generate
from tests.ssogroups.saml.encryptor import OAEP_SHA256, assertion_encrypt  # python-xmlsec, not our ACS code
from tests.support.keys import make_keypair

SP = "https://sp.example/api/v1/users/saml/1/bench/metadata"
ACS = "https://sp.example/api/v1/users/saml/1/bench/consume"
IDP = "https://idp.example/saml"
MODES = {
    "plain": "plain signed assertion",
    "current": "encrypted to the current key (AES-256-GCM, RSA-OAEP-SHA256)",
    "previous": "encrypted to the previous key (current tried first)",
    "uncached": "encrypted to the current key, python3-saml's decrypt_element (a KeysManager per call)",
}


def _encrypted(encoded: str, certificate_pem: str) -> str:
    tree = etree.fromstring(base64.b64decode(encoded))
    assertion_encrypt(tree, certificate_pem, key_transport=OAEP_SHA256, content="aes256-gcm")
    return base64.b64encode(etree.tostring(tree)).decode()


def _round(*, encoded: str, settings: dict, keys: list[str], iterations: int) -> tuple[float, float]:
    skew = timedelta(seconds=django_settings.SAML_CLOCK_SKEW_SECONDS)
    start, cpu = time.perf_counter(), time.process_time()
    for _ in range(iterations):
        validated = validate_response(
            saml_response=encoded, settings=settings, acs_url=ACS, now=clock.now(), clock_skew=skew,
            decryption_keys=lambda: keys,
        )  # fmt: skip
    assert validated.name_id == "user@example.com"
    return (time.perf_counter() - start) / iterations, (time.process_time() - cpu) / iterations


def run(*, rounds: int, iterations: int, **_options) -> Report:
    idp_keys = make_keypair("bench idp")
    current_key, current_cert = key_pair_generate(now=clock.now(), days=30)
    previous_key, previous_cert = key_pair_generate(now=clock.now(), days=30)
    keys = [current_key, previous_key]  # as sp_keys_for_decryption orders them
    plain = signed_response(
        keys=idp_keys, sp_entity_id=SP, acs_url=ACS, idp_entity_id=IDP, name_id="user@example.com", now=clock.now()
    )
    responses = {
        "plain": plain,
        "current": _encrypted(plain, current_cert),
        "previous": _encrypted(plain, previous_cert),
    }
    responses["uncached"] = responses["current"]
    settings = saml_settings_build(
        sp_entity_id=SP,
        acs_url=ACS,
        idp_entity_id=IDP,
        sso_endpoint=SsoEndpoint(BINDING_REDIRECT, "https://idp.example/sso"),
        certificates_pem=[idp_keys.cert_pem],
        signature_requirement="either",
        allow_sha1=False,
        name_id_format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
    )
    results = {mode: Samples() for mode in MODES}

    def measure(mode: str, n: int) -> tuple[float, float]:
        (decryption_cache_uninstall if mode == "uncached" else decryption_cache_install)()
        return _round(encoded=responses[mode], settings=settings, keys=keys, iterations=n)

    try:
        for mode in MODES:  # warm-up, and proof that each is accepted
            measure(mode, 2)
        for _ in range(rounds):
            for mode in MODES:
                results[mode].add(*measure(mode, iterations))
    finally:
        decryption_cache_install()
    report = Report(
        f"ACS validation with encrypted assertions: validate_response, no database "
        f"({rounds} rounds x {iterations}; a sample = one round's mean; SP keys RSA-3072)"
    )
    group = "validate one signed response"
    for mode, label in MODES.items():
        report.row(group, label, results[mode], baseline=mode == "plain")
    return report
