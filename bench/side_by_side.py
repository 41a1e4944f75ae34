"""sparksso against its plainest peers, same run, same shape: the headline figures, with ratios.

Every server runs under gunicorn (1 worker, gthread, keep-alive) and one sequential client
alternates between them round by round:

- SCIM ``POST /Users``, ``filter=userName eq`` and a 100-user list page: sparksso against a
  minimal django-scim2 app (bench/peers/scim_peer), both holding ``--peer-users`` users.
- A whole IdP-initiated sign-in: the very same signed responses (RSA-SHA256, a real key pair)
  POSTed to sparksso's ACS and to the plainest strict python3-saml SP (bench/peers/saml_peer.py,
  in-memory sessions and replay cache, sparksso's own python3-saml settings). Each response is
  accepted once by each SP; every reply must be the 302 to the RelayState, and sparksso must have
  written one session and one replay record per sign-in.

The cost of a sign-in is then split into layers: HTTP + gunicorn (a 404 from the bare WSGI
peer), XML validation and signature check (in this process, the same response), and the rest.
"""

import itertools
from pathlib import Path

from django.contrib.sessions.models import Session

from bench.acs_validation import validation_compare
from bench.client import Client
from bench.fixtures import Tenant
from bench.layers import sign_in_layers
from bench.live import accounts_create, database_url, peer_database, saml_peer_settings
from bench.names import person
from bench.saml_response import signed_response
from bench.scale import measure
from bench.scim_ops import BenchmarkFailed
from bench.servers import PORTS, saml_peer_server, scim_peer_server, sparksso_server
from bench.timing import Report, Samples
from sparksso import clock
from ssogroups.models import ConsumedAssertion
from ssogroups.saml.config import saml_settings_for_group

NEXT = "/account/sso/"
SCIM_FIGURES = {
    "post": "SCIM POST /Users",
    "username_eq": "SCIM filter=userName eq",
    "page_middle": "SCIM 100-user list page",
}


def responses(tenant: Tenant, count: int, *, users: int, first: int) -> list[str]:
    """``count`` distinct IdP-initiated responses (own assertion IDs), signed before any timing."""
    group = tenant.group
    return [
        signed_response(
            keys=tenant.keys,
            sp_entity_id=group.sp_entity_id,
            acs_url=group.acs_url,
            idp_entity_id=group.idp_entity_id,
            name_id=person((k * 7919) % users)[0],
            now=clock.now(),
            assertion_id=f"_side_a{k}",
            response_id=f"_side_r{k}",
        )  # fmt: skip
        for k in range(first, first + count)
    ]


def sign_in(client: Client, path: str, encoded: str, who: str) -> float:
    reply = client.form(path, {"SAMLResponse": encoded, "RelayState": NEXT})
    if reply.status != 302 or reply.headers.get("location") != NEXT:
        raise BenchmarkFailed(
            f"{who} sign-in: HTTP {reply.status} {reply.headers.get('location')} {reply.body[:200]!r}"
        )
    return reply.seconds


def sign_ins(tenant: Tenant, var_dir: Path, dsn: str, *, users: int, requests: int, rounds: int) -> dict:
    path = tenant.group.acs_url.split(str(PORTS["sparksso"]), 1)[1]
    settings_json = saml_peer_settings(tenant, var_dir / "saml_peer.json")
    ours, peer, floor = Samples(), Samples(), Samples()
    with (
        sparksso_server(database_url=dsn, var_dir=var_dir).start(),
        saml_peer_server(settings_json=settings_json, var_dir=var_dir).start(),
    ):
        a, b = Client(PORTS["sparksso"]), Client(PORTS["saml_peer"])
        for encoded in responses(tenant, 3, users=users, first=10_000):  # warm-up
            sign_in(a, path, encoded, "sparksso"), sign_in(b, path, encoded, "python3-saml")
        for r in range(rounds):
            batch = responses(tenant, requests, users=users, first=r * requests)
            sessions, consumed = Session.objects.count(), ConsumedAssertion.objects.count()
            pairs = ((a, ours, "sparksso"), (b, peer, "python3-saml"))
            for client, samples, who in pairs if r % 2 == 0 else tuple(reversed(pairs)):
                for encoded in batch:
                    seconds = sign_in(client, path, encoded, who)
                    samples.add(seconds, 0.0)
            written = (Session.objects.count() - sessions, ConsumedAssertion.objects.count() - consumed)
            if written != (requests, requests):
                raise BenchmarkFailed(f"sparksso wrote {written} sessions/replay records for {requests} sign-ins")
            for _ in range(requests):
                floor.add(b.request("GET", "/floor").seconds, 0.0)
        a.close(), b.close()
    settings = saml_settings_for_group(tenant.group, certificates_pem=[tenant.keys.cert_pem])
    one = responses(tenant, 1, users=users, first=999_999)[0]
    validation = validation_compare(
        encoded=one, settings=settings, acs_url=tenant.group.acs_url, iterations=requests, rounds=rounds
    )
    return {"sparksso": ours, "peer": peer, "floor": floor, "validation": validation}


def run(*, var_dir: Path, peer_users: int, requests: int, rounds: int, **_options) -> tuple[Report, dict]:
    with peer_database(var_dir) as peer_env:
        accounts = accounts_create("Side", peer_env)
        accounts.load_to(peer_users)
        dsn = database_url()
        targets = accounts.targets()
        servers = (
            sparksso_server(database_url=dsn, var_dir=var_dir),
            scim_peer_server(peer_env=peer_env, var_dir=var_dir),
        )
        try:
            for server in servers:
                server.start()
            scim = measure(
                targets, servers, size=peer_users, operations=tuple(SCIM_FIGURES), requests=requests,
                rounds=rounds, counter=itertools.count(5_000_000),
            )  # fmt: skip
        finally:
            for server in servers:
                server.stop()
        signin = sign_ins(accounts.tenant, var_dir, dsn, users=peer_users, requests=requests, rounds=rounds)

    report = Report(
        f"sparksso against its peers: gunicorn, 1 worker, gthread, keep-alive, one sequential client, "
        f"{peer_users:,} users, {rounds} rounds x {requests} requests, alternating"
    )
    for op, label in SCIM_FIGURES.items():
        report.row(label, "django-scim2 minimal app", _samples(scim.seconds["django-scim2"][op]), baseline=True)
        report.row(label, "sparksso", _samples(scim.seconds["sparksso"][op]))
    label = "whole IdP-initiated sign-in (the same signed responses)"
    report.row(label, "strict python3-saml SP, in-memory sessions and replay cache", signin["peer"], baseline=True)
    report.row(label, "sparksso ACS (database, session, event)", signin["sparksso"])
    layers = sign_in_layers(signin)
    report.note(
        "a sign-in by layer, best ms: "
        + "; ".join(f"{who}: " + ", ".join(f"{k} {v:.2f}" for k, v in parts.items()) for who, parts in layers.items())
    )
    data = {
        "users": peer_users,
        "scim": scim.as_dict(),
        "sign_in": {k: v.seconds for k, v in signin.items() if k != "validation"},
        "validation": {k: v.seconds for k, v in signin["validation"].items()},
        "layers": layers,
    }
    return report, data


def _samples(seconds: list[float]) -> Samples:
    samples = Samples()
    for s in seconds:
        samples.add(s, 0.0)
    return samples
