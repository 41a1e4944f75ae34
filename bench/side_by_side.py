"""sparksso against its plainest peers, same run, same shape: the headline figures, with ratios.

Every server runs under gunicorn (1 worker, gthread, keep-alive) and one sequential client
alternates between them call by call (who goes first rotating):

- SCIM ``POST /Users``, ``filter=userName eq`` and a 100-user list page: sparksso against a
  minimal django-scim2 app (bench/peers/scim_peer), both holding ``--peer-users`` users.
- A whole IdP-initiated sign-in: the very same signed responses (RSA-SHA256, a real key pair)
  POSTed to sparksso's ACS, to the plainest strict python3-saml SP (bench/peers/saml_peer.py,
  in-memory sessions and replay cache, sparksso's own python3-saml settings) and to djangosaml2
  (bench/peers/djsaml_peer, pysaml2, database sessions, its strictest settings). Each response
  is accepted once by each SP; every reply must be the 302 to the RelayState, and sparksso must
  have written one session and one replay record per sign-in.
- The floor (bench/peers/floor): bare Django under the same gunicorn shape, no middleware and
  no database, answering each of these calls with the very bytes sparksso answered. Every figure
  is printed against its peer and against the floor.

The cost of a sign-in and of a lookup is then split into layers (bench/layers.py).
"""

import base64
import itertools
import json
import statistics
from pathlib import Path

from django.contrib.sessions.models import Session

from bench.acs_validation import validation_compare
from bench.client import Client
from bench.fixtures import Tenant
from bench.layer_probe import probe
from bench.layers import request_layers, sign_in_layers
from bench.live import (
    SPARKSSO_SCIM,
    accounts_create,
    database_url,
    djsaml_peer_settings,
    peer_database,
    saml_peer_settings,
)
from bench.names import person
from bench.saml_response import signed_response
from bench.scale import measure
from bench.scim_ops import BenchmarkFailed, ScimTarget, page_starts, post_user, recording, total_users, username_eq
from bench.servers import (
    PORTS,
    Server,
    djsaml_peer_server,
    floor_server,
    saml_peer_server,
    scim_peer_server,
    sparksso_server,
)
from bench.timing import Report, Samples
from sparksso import clock
from ssogroups.models import ConsumedAssertion
from ssogroups.saml.config import saml_settings_for_group

NEXT = "/account/sso/"
FLOOR = "floor: bare Django, the same bytes from memory"
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


def _record(path: Path, kind: str, recorded: dict) -> None:
    saved = json.loads(path.read_text()) if path.exists() else {}
    path.write_text(json.dumps({**saved, kind: recorded}))


def floor_sign_in(client: Client, path: str, encoded: str, recorded: dict) -> float:
    reply = client.form(path, {"SAMLResponse": encoded, "RelayState": NEXT})
    if reply.status != recorded["status"] or reply.body != base64.b64decode(recorded["body"]):
        raise BenchmarkFailed(f"floor sign-in: HTTP {reply.status} {reply.body[:200]!r}")
    return reply.seconds


def sign_ins(
    tenant: Tenant, var_dir: Path, dsn: str, peer_env: dict, floor_json: Path, *, users: int, requests: int, rounds: int
) -> dict:
    path = tenant.group.acs_url.split(str(PORTS["sparksso"]), 1)[1]
    settings_json = saml_peer_settings(tenant, var_dir / "saml_peer.json")
    djsaml_json = djsaml_peer_settings(tenant, var_dir, peer_env)
    samples = {who: Samples() for who in ("sparksso", "peer", "djangosaml2", "floor")}
    with (
        sparksso_server(database_url=dsn, var_dir=var_dir).start(),
        saml_peer_server(settings_json=settings_json, var_dir=var_dir).start(),
        djsaml_peer_server(peer_env=peer_env, settings_json=djsaml_json, var_dir=var_dir).start(),
        floor_server(responses_json=floor_json, var_dir=var_dir).start(),
    ):
        clients = {
            "sparksso": Client(PORTS["sparksso"]),
            "peer": Client(PORTS["saml_peer"]),
            "djangosaml2": Client(PORTS["djsaml_peer"]),
            "floor": Client(PORTS["floor"]),
        }
        names = {"sparksso": "sparksso", "peer": "python3-saml", "djangosaml2": "djangosaml2"}
        warm = responses(tenant, 3, users=users, first=10_000)
        for encoded in warm:
            reply = clients["sparksso"].form(path, {"SAMLResponse": encoded, "RelayState": NEXT})
            if reply.status != 302 or reply.headers.get("location") != NEXT:
                raise BenchmarkFailed(f"sparksso sign-in: HTTP {reply.status} {reply.body[:200]!r}")
            for who in ("peer", "djangosaml2"):
                sign_in(clients[who], path, encoded, names[who])
        recorded = recording(reply)
        _record(floor_json, "sign_in", recorded)
        floor_sign_in(clients["floor"], path, warm[0], recorded)
        replayed = {
            who: clients[who].form(path, {"SAMLResponse": warm[0], "RelayState": NEXT}).status
            for who in ("sparksso", "peer", "djangosaml2")
        }
        order = ["sparksso", "peer", "djangosaml2", "floor"]
        for r in range(rounds):
            batch = responses(tenant, requests, users=users, first=r * requests)
            sessions, consumed = Session.objects.count(), ConsumedAssertion.objects.count()
            for k, encoded in enumerate(batch):  # response by response, each server first in turn
                for who in order[k % 4 :] + order[: k % 4]:
                    if who == "floor":
                        seconds = floor_sign_in(clients[who], path, encoded, recorded)
                    else:
                        seconds = sign_in(clients[who], path, encoded, names[who])
                    samples[who].add(seconds, 0.0)
            written = (Session.objects.count() - sessions, ConsumedAssertion.objects.count() - consumed)
            if written != (requests, requests):
                raise BenchmarkFailed(f"sparksso wrote {written} sessions/replay records for {requests} sign-ins")
        for client in clients.values():
            client.close()
    settings = saml_settings_for_group(tenant.group, certificates_pem=[tenant.keys.cert_pem])
    one = responses(tenant, 1, users=users, first=999_999)[0]
    validation = validation_compare(
        encoded=one, settings=settings, acs_url=tenant.group.acs_url, iterations=requests, rounds=rounds
    )
    return {**samples, "validation": validation, "replayed": replayed}


def record_scim(target: ScimTarget, floor_json: Path, counter: itertools.count) -> dict[str, dict]:
    """sparksso's replies to one call of each measured kind: the bytes the floor will answer."""
    total = total_users(target)
    start = page_starts(total)["page_middle"]
    page = target.connect().request("GET", f"{target.base}/Users?startIndex={start}&count=100")
    recorded = {
        "post": recording(post_user(target, next(counter))),
        "username_eq": recording(username_eq(target, 0)),
        "page_middle": recording(page),
    }
    for kind, reply in recorded.items():
        _record(floor_json, kind, reply)
    return recorded


def run(*, var_dir: Path, peer_users: int, requests: int, rounds: int, **_options) -> tuple[Report, dict]:
    with peer_database(var_dir) as peer_env:
        accounts = accounts_create("Side", peer_env)
        accounts.load_to(peer_users)
        dsn = database_url()
        floor_json = var_dir / "floor_responses.json"
        counter = itertools.count(5_000_000)
        servers: list[Server] = [
            sparksso_server(database_url=dsn, var_dir=var_dir),
            scim_peer_server(peer_env=peer_env, var_dir=var_dir),
        ]
        try:
            for server in servers:
                server.start()
            ours, peer = accounts.targets()
            recorded = record_scim(ours, floor_json, counter)
            floor = ScimTarget("floor", PORTS["floor"], SPARKSSO_SCIM, "", recorded=recorded)
            servers.append(floor_server(responses_json=floor_json, var_dir=var_dir).start())
            scim = measure(
                (ours, peer, floor), tuple(servers), size=peer_users, operations=tuple(SCIM_FIGURES),
                requests=requests, rounds=rounds, counter=counter,
            )  # fmt: skip
        finally:
            for server in servers:
                server.stop()
        signin = sign_ins(
            accounts.tenant, var_dir, dsn, peer_env, floor_json, users=peer_users, requests=requests, rounds=rounds
        )
        probed = probe(accounts.tenant, accounts.sparksso_token, users=peer_users, requests=requests * rounds)

    report = Report(
        f"sparksso against its peers: gunicorn, 1 worker, gthread, keep-alive, one sequential client, "
        f"{peer_users:,} users, {rounds} rounds x {requests} requests, alternating"
    )
    for op, label in SCIM_FIGURES.items():
        report.row(label, "django-scim2 minimal app", _samples(scim.seconds["django-scim2"][op]), baseline=True)
        report.row(label, "sparksso", _samples(scim.seconds["sparksso"][op]))
        report.row(label, FLOOR, _samples(scim.seconds["floor"][op]), floor=True)
    label = "whole IdP-initiated sign-in (the same signed responses)"
    report.row(label, "strict python3-saml SP, in-memory sessions and replay cache", signin["peer"], baseline=True)
    report.row(label, "sparksso ACS (database, session, event)", signin["sparksso"])
    report.row(label, FLOOR, signin["floor"], floor=True)
    label = "whole IdP-initiated sign-in, against djangosaml2"
    report.row(label, "djangosaml2 (pysaml2, xmlsec1, database session)", signin["djangosaml2"], baseline=True)
    report.row(label, "sparksso ACS (database, session, event)", signin["sparksso"])
    report.row(label, FLOOR, signin["floor"], floor=True)
    report.note(
        "the same response POSTed a second time (a replay) answered: "
        + ", ".join(f"{who} HTTP {status}" for who, status in signin["replayed"].items())
        + " (302 = signed in again)"
    )
    layer_figures = {
        "live": {
            "lookup": _median_ms(scim.seconds["sparksso"]["username_eq"]),
            "floor_lookup": _median_ms(scim.seconds["floor"]["username_eq"]),
            "sign_in": signin["sparksso"].median_ms,
            "floor_sign_in": signin["floor"].median_ms,
        },
        "probe": probed,
        "xml": signin["validation"]["cached"].median_ms,
    }
    layers = {**request_layers(layer_figures), **sign_in_layers(signin)}
    for who, parts in layers.items():
        report.note(f"{who} by layer, ms: " + ", ".join(f"{k} {v:.2f}" for k, v in parts.items()))
    data = {
        "users": peer_users,
        "scim": scim.as_dict(),
        "sign_in": {k: v.seconds for k, v in signin.items() if k not in ("validation", "replayed")},
        "validation": {k: v.seconds for k, v in signin["validation"].items()},
        "replayed": signin["replayed"],
        "layers": layers,
        "layer_figures": layer_figures,
    }
    return report, data


def _median_ms(seconds: list[float]) -> float:
    return statistics.median(seconds) * 1000


def _samples(seconds: list[float]) -> Samples:
    samples = Samples()
    for s in seconds:
        samples.add(s, 0.0)
    return samples
