"""ACS XML validation alone (no database, no HTTP), with and without the compiled-schema cache.

Signs one response with a fresh key pair, then validates it repeatedly through
ssogroups.saml.acs.validate_response, exactly as the ACS does minus the database steps. The two
modes alternate in rounds so that machine noise hits both equally; a sample is the mean time of
one round.
"""

import time
from datetime import timedelta

from django.conf import settings as django_settings

from bench.saml_response import signed_response
from bench.timing import Report, Samples
from sparksso import clock
from ssogroups.constants import BINDING_REDIRECT
from ssogroups.saml import library
from ssogroups.saml.acs import validate_response
from ssogroups.saml.config import SsoEndpoint, saml_settings_build
from tests.support.keys import make_keypair  # the same real key pairs the tests use

SP = "https://sp.example/api/v1/users/saml/1/bench/metadata"
ACS = "https://sp.example/api/v1/users/saml/1/bench/consume"
IDP = "https://idp.example/saml"
MODES = ("uncached", "cached")
LABELS = {"uncached": "without schema cache (python3-saml as shipped)", "cached": "with schema cache"}


def schema_cache_set(mode: str) -> None:
    (library.schema_cache_install if mode == "cached" else library.schema_cache_uninstall)()


def validation_round(*, encoded: str, settings: dict, acs_url: str, iterations: int) -> tuple[float, float]:
    """Mean (wall, CPU) seconds per validate_response call over ``iterations`` calls (each must succeed)."""
    skew = timedelta(seconds=django_settings.SAML_CLOCK_SKEW_SECONDS)
    start, cpu = time.perf_counter(), time.process_time()
    for _ in range(iterations):
        validate_response(saml_response=encoded, settings=settings, acs_url=acs_url, now=clock.now(), clock_skew=skew)
    return (time.perf_counter() - start) / iterations, (time.process_time() - cpu) / iterations


def validation_compare(*, encoded: str, settings: dict, acs_url: str, iterations: int, rounds: int) -> dict:
    """{"uncached": Samples, "cached": Samples}, measured alternately; leaves the cache installed."""
    results = {mode: Samples() for mode in MODES}
    try:
        for mode in MODES:  # warm-up, and proof both modes accept the response
            schema_cache_set(mode)
            validation_round(encoded=encoded, settings=settings, acs_url=acs_url, iterations=3)
        for _ in range(rounds):
            for mode in MODES:
                schema_cache_set(mode)
                results[mode].add(
                    *validation_round(encoded=encoded, settings=settings, acs_url=acs_url, iterations=iterations)
                )
    finally:
        library.schema_cache_install()
    return results


def run(*, rounds: int, iterations: int, **_options) -> Report:
    keys = make_keypair("bench idp")
    encoded = signed_response(
        keys=keys, sp_entity_id=SP, acs_url=ACS, idp_entity_id=IDP, name_id="user@example.com", now=clock.now()
    )
    settings = saml_settings_build(
        sp_entity_id=SP,
        acs_url=ACS,
        idp_entity_id=IDP,
        sso_endpoint=SsoEndpoint(BINDING_REDIRECT, "https://idp.example/sso"),
        certificates_pem=[keys.cert_pem],
        signature_requirement="either",
        allow_sha1=False,
        name_id_format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
    )
    results = validation_compare(encoded=encoded, settings=settings, acs_url=ACS, iterations=iterations, rounds=rounds)
    report = Report(
        f"ACS XML validation only: validate_response, no database "
        f"({rounds} rounds x {iterations}; a sample = one round's mean)"
    )
    group = "validate one signed response"
    report.row(group, LABELS["uncached"], results["uncached"], baseline=True)
    report.row(group, LABELS["cached"], results["cached"])
    return report
