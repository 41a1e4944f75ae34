"""ACS validation throughput with and without the compiled-schema cache, measured in one run.

    python -m bench [--iterations N]

Signs one response (assertion-signed, RSA-SHA256) with a fresh key pair through python3-saml's
own signer, then validates it repeatedly through ssogroups.saml.acs.validate_response, exactly
as the ACS does minus the database steps. The two modes alternate in rounds so that machine
noise hits both equally.
"""

import argparse
import os
import time
from datetime import timedelta

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sparksso.settings")
django.setup()

from onelogin.saml2.constants import OneLogin_Saml2_Constants as C  # noqa: E402
from onelogin.saml2.utils import OneLogin_Saml2_Utils  # noqa: E402

from sparksso import clock  # noqa: E402
from ssogroups.models import BINDING_REDIRECT  # noqa: E402
from ssogroups.saml import library  # noqa: E402
from ssogroups.saml.acs import validate_response  # noqa: E402
from ssogroups.saml.config import SsoEndpoint, saml_settings_build  # noqa: E402
from tests.support.keys import make_keypair  # noqa: E402  (the same real key pairs the tests use)

SP = "https://sp.example/api/v1/users/saml/1/bench/metadata"
ACS = "https://sp.example/api/v1/users/saml/1/bench/consume"
IDP = "https://idp.example/saml"


def _response(key_pem: str, cert_pem: str) -> str:
    now = clock.now()
    t = lambda d: (now + d).strftime("%Y-%m-%dT%H:%M:%SZ")  # noqa: E731
    assertion = (
        '<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" '
        f'ID="_bench_assertion" Version="2.0" IssueInstant="{t(timedelta())}">'
        f"<saml:Issuer>{IDP}</saml:Issuer>"
        '<saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress">'
        "user@example.com</saml:NameID>"
        '<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">'
        f'<saml:SubjectConfirmationData NotOnOrAfter="{t(timedelta(hours=1))}" Recipient="{ACS}"/>'
        "</saml:SubjectConfirmation></saml:Subject>"
        f'<saml:Conditions NotBefore="{t(timedelta(minutes=-1))}" NotOnOrAfter="{t(timedelta(hours=1))}">'
        f"<saml:AudienceRestriction><saml:Audience>{SP}</saml:Audience></saml:AudienceRestriction>"
        "</saml:Conditions>"
        f'<saml:AuthnStatement AuthnInstant="{t(timedelta())}" SessionIndex="_s1"><saml:AuthnContext>'
        "<saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"
        "</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>"
        '<saml:AttributeStatement><saml:Attribute Name="email"><saml:AttributeValue>user@example.com'
        "</saml:AttributeValue></saml:Attribute></saml:AttributeStatement>"
        "</saml:Assertion>"
    )
    signed = OneLogin_Saml2_Utils.add_sign(
        assertion, key_pem, cert_pem, sign_algorithm=C.RSA_SHA256, digest_algorithm=C.SHA256
    ).decode()
    signed = signed.split("?>", 1)[-1] if signed.startswith("<?xml") else signed
    response = (
        '<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" '
        'xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" '
        f'ID="_bench_response" Version="2.0" IssueInstant="{t(timedelta())}" Destination="{ACS}">'
        f"<saml:Issuer>{IDP}</saml:Issuer>"
        '<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>'
        f"{signed}</samlp:Response>"
    )
    return OneLogin_Saml2_Utils.b64encode(response)


def _rate(encoded: str, settings: dict, iterations: int) -> float:
    skew = timedelta(seconds=120)
    start = time.perf_counter()
    for _ in range(iterations):
        validate_response(saml_response=encoded, settings=settings, acs_url=ACS, now=clock.now(), clock_skew=skew)
    return iterations / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=200, help="validations per round and mode")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    idp = make_keypair("bench idp")
    key_pem, cert_pem = idp.key_pem, idp.cert_pem
    encoded = _response(key_pem, cert_pem)
    settings = saml_settings_build(
        sp_entity_id=SP,
        acs_url=ACS,
        idp_entity_id=IDP,
        sso_endpoint=SsoEndpoint(BINDING_REDIRECT, "https://idp.example/sso"),
        certificates_pem=[cert_pem],
        signature_requirement="either",
        allow_sha1=False,
        name_id_format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
    )
    results: dict[str, list[float]] = {"cached": [], "uncached": []}
    for mode in ("cached", "uncached"):  # warm-up, and proof both modes accept the response
        (library.schema_cache_install if mode == "cached" else library.schema_cache_uninstall)()
        _rate(encoded, settings, 5)
    for _ in range(args.rounds):
        for mode in ("uncached", "cached"):
            (library.schema_cache_install if mode == "cached" else library.schema_cache_uninstall)()
            results[mode].append(_rate(encoded, settings, args.iterations))
    library.schema_cache_install()

    best = {mode: max(rates) for mode, rates in results.items()}
    print(f"ACS validations/sec ({args.rounds} rounds x {args.iterations}, best round; one CPU core)")
    print(f"  without schema cache: {best['uncached']:8.1f}/s  ({1000 / best['uncached']:.2f} ms each)")
    print(f"  with schema cache:    {best['cached']:8.1f}/s  ({1000 / best['cached']:.2f} ms each)")
    print(f"  speed-up:             {best['cached'] / best['uncached']:8.2f}x")


if __name__ == "__main__":
    main()
