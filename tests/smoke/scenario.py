"""The production smoke scenario (`make smoke`): drive a running sparksso over HTTP as an operator,
JumpCloud and users would. deploy/smoke.sh starts the server with deploy/serve.sh (gunicorn with
several workers, PostgreSQL, Redis) and runs this with the server's environment, so the commands
here (create_account, ssogroup_import, scim_token_create, events_export) reach the same database.

Every response is checked against the server's JSON request log: one line per request, with the
request id of X-Request-ID, and the worker pid that served it (which proves the work was spread).
"""

import argparse
import json
import os
import subprocess
import sys
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from tempfile import TemporaryDirectory

import requests
from saml2.metadata import entity_descriptor

from tests.ssogroups.saml.idp import SP, TestIdP, authn_request_from_redirect, b64
from tests.support.keys import make_keypair

ROOT = Path(__file__).resolve().parents[2]
SCIM = "/api/v1/users/scim/v2"
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
IDP_ENTITY_ID = "https://idp.smoke.test/saml"
PARALLEL = 12  # concurrent clients: more than the workers, so every worker gets requests


class SmokeFailure(Exception):
    """One failed expectation; deploy/smoke.sh prints it as one line and exits non-zero."""


def check(condition: bool, message: str) -> None:
    if not condition:
        raise SmokeFailure(message)


class Smoke:
    """The server under test, the requests made to it (by request id), and the test IdP."""

    def __init__(self, base_url: str, workdir: Path):
        self.base = base_url.rstrip("/")
        self.requests: dict[str, tuple[str, str, int]] = {}  # X-Request-ID -> method, path, status
        self.tagged: dict[str, list[str]] = {}  # what a group of requests was for -> their ids
        self.lock = threading.Lock()
        self.idp = TestIdP(workdir / "idp", make_keypair("Smoke IdP"), entity_id=IDP_ENTITY_ID)
        self.workdir = workdir

    def manage(self, *args: str) -> str:
        result = subprocess.run(  # noqa: S603 - our own manage.py with fixed arguments
            [sys.executable, "manage.py", *args], cwd=ROOT, capture_output=True, text=True, timeout=120
        )
        check(result.returncode == 0, f"manage.py {args[0]} exited {result.returncode}: {result.stderr.strip()}")
        return result.stdout

    def http(self, session: requests.Session, method: str, path: str, *, tag: str, **kwargs) -> requests.Response:
        response = session.request(method, self.base + path, allow_redirects=False, timeout=60, **kwargs)
        request_id = response.headers.get("X-Request-ID", "")
        check(len(request_id) == 32, f"{method} {path}: no X-Request-ID header")
        with self.lock:
            self.requests[request_id] = (method, path.split("?")[0], response.status_code)
            self.tagged.setdefault(tag, []).append(request_id)
        return response

    def scim(self, method: str, path: str, token: str, body: dict | None = None, tag: str = "scim"):
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/scim+json"}
        if body is not None:
            headers["Content-Type"] = "application/scim+json"
        data = json.dumps(body) if body is not None else None
        return self.http(requests.Session(), method, SCIM + path, tag=tag, headers=headers, data=data)


def expect(response: requests.Response, status: int, what: str) -> requests.Response:
    check(
        response.status_code == status, f"{what}: expected {status}, got {response.status_code}: {response.text[:300]}"
    )
    return response


def tenant_create(smoke: Smoke) -> dict:
    """The operator's commands: an account, an SSO group from the IdP's metadata, a SCIM token."""
    account = json.loads(smoke.manage("create_account", "--name", "Smoke", "--admin-email", "admin@smoke.test",
                                      "--plan", "enterprise"))  # fmt: skip
    metadata = smoke.workdir / "idp-metadata.xml"
    metadata.write_text(str(entity_descriptor(smoke.idp.server(SP("urn:smoke", "urn:smoke")).config)))
    group = json.loads(smoke.manage("ssogroup_import", "--account", str(account["account_id"]), "--name", "Smoke IdP",
                                    "--slug", "smoke", "--metadata", str(metadata), "--enable"))  # fmt: skip
    check(group["acs_url"].startswith(smoke.base), f"ACS {group['acs_url']} is not under BASE_URL {smoke.base}")
    token = smoke.manage("scim_token_create", "--account", str(account["account_id"]), "--group", "smoke").strip()
    check(token.startswith("sso_scim_"), "scim_token_create printed no token")
    return {"account_id": account["account_id"], "group": group, "token": token}


def scim_users(smoke: Smoke, token: str) -> dict[str, str]:
    """JumpCloud's provisioning: create, look up (concurrently, over every worker), PATCH."""
    ids = {}
    for name in ("alice", "bob"):
        body = {"schemas": [USER], "userName": f"{name}@smoke.test", "name": {"givenName": name, "familyName": "Smoke"},
                "emails": [{"value": f"{name}@smoke.test", "primary": True}], "active": True}  # fmt: skip
        created = expect(smoke.scim("POST", "/Users", token, body, tag="scim_create"), 201, f"SCIM create {name}")
        ids[name] = created.json()["id"]
    found = expect(smoke.scim("GET", '/Users?filter=userName eq "alice@smoke.test"', token), 200, "SCIM filter")
    check([r["id"] for r in found.json()["Resources"]] == [ids["alice"]], f"SCIM filter found {found.text[:300]}")

    def lookup(_):
        return smoke.scim("GET", f"/Users/{ids['bob']}", token).status_code

    with ThreadPoolExecutor(PARALLEL) as pool:
        statuses = list(pool.map(lookup, range(3 * PARALLEL)))
    check(set(statuses) == {200}, f"SCIM lookups answered {Counter(statuses)}")
    patch = {"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "name.givenName", "value": "Alicia"}]}
    patched = expect(smoke.scim("PATCH", f"/Users/{ids['alice']}", token, patch), 200, "SCIM PATCH")
    check(patched.json()["name"]["givenName"] == "Alicia", f"PATCH did not apply: {patched.text[:300]}")
    return ids


def idp_initiated(smoke: Smoke, group: dict, emails: list[str]) -> list[requests.Session]:
    """Users click the IdP's tile: unsolicited signed responses posted to the ACS, concurrently."""
    sp = SP(entity_id=group["sp_entity_id"], acs_url=group["acs_url"])
    responses = [smoke.idp.response(sp, name_id=e, attributes={"email": [e]}) for e in emails]  # signing: serial
    sessions = [requests.Session() for _ in emails]
    acs = group["acs_url"].removeprefix(smoke.base)

    def post(i: int) -> int:
        return smoke.http(sessions[i], "POST", acs, tag="sign_in", data={"SAMLResponse": b64(responses[i])}).status_code

    with ThreadPoolExecutor(PARALLEL) as pool:
        statuses = list(pool.map(post, range(len(emails))))
    check(set(statuses) == {302}, f"IdP-initiated sign-ins answered {Counter(statuses)}")
    return sessions


def sp_initiated(smoke: Smoke, group: dict, email: str, count: int) -> list[requests.Session]:
    """Users start at our login URL; all AuthnRequests are issued first, then all answered, so a
    request issued by one worker is usually consumed by another (state lives in the database)."""
    sp = SP(entity_id=group["sp_entity_id"], acs_url=group["acs_url"])
    sessions = [requests.Session() for _ in range(count)]
    login = group["login_url"].removeprefix(smoke.base)
    acs = group["acs_url"].removeprefix(smoke.base)

    def start(session: requests.Session) -> str:
        response = expect(smoke.http(session, "GET", login, tag="sp_login"), 302, "SP-initiated login")
        return response.headers["Location"]

    with ThreadPoolExecutor(PARALLEL) as pool:
        locations = list(pool.map(start, sessions))
    forms = []
    for location in locations:
        authn, query = authn_request_from_redirect(location)
        xml = smoke.idp.response(sp, name_id=email, attributes={"email": [email]}, in_response_to=authn.get("ID"))
        forms.append(
            {"SAMLResponse": b64(xml), **({"RelayState": query["RelayState"][0]} if "RelayState" in query else {})}
        )

    def finish(i: int) -> int:
        # The sign-in is bound to the browser that started it (the sparksso_authn cookie). On loopback
        # http the cookie is Secure, which browsers send (loopback is a secure context) but Python's
        # cookie jar does not: hand it over explicitly, as the browser would.
        binding = {"sparksso_authn": sessions[i].cookies.get("sparksso_authn", "")}
        return smoke.http(sessions[i], "POST", acs, tag="sp_acs", data=forms[i], cookies=binding).status_code

    with ThreadPoolExecutor(PARALLEL) as pool:
        statuses = list(pool.map(finish, range(count)))
    check(set(statuses) == {302}, f"SP-initiated sign-ins answered {Counter(statuses)}")
    return sessions


def signed_in_as(smoke: Smoke, session: requests.Session, email: str) -> bool:
    response = smoke.http(session, "GET", "/api/v1/session", tag="session")
    # Email and role: never kept by a shared or back-button cache (issue 25).
    check(response.headers.get("Cache-Control") == "no-store", "/api/v1/session is not Cache-Control: no-store")
    return response.status_code == 200 and response.json().get("username") == email


def deactivate(smoke: Smoke, token: str, user_id: str, sessions: list[requests.Session], group: dict) -> None:
    """SCIM active=false ends the user's open sessions at once and refuses the next sign-in."""
    body = {"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "active", "value": False}]}
    done = expect(smoke.scim("PATCH", f"/Users/{user_id}", token, body), 200, "SCIM deactivate")
    check(done.json()["active"] is False, "SCIM deactivate: user still active")
    still = [s for s in sessions if signed_in_as(smoke, s, "alice@smoke.test")]
    check(not still, f"{len(still)} sessions of a deactivated user still signed in")
    sp = SP(entity_id=group["sp_entity_id"], acs_url=group["acs_url"])
    xml = smoke.idp.response(sp, name_id="alice@smoke.test", attributes={"email": ["alice@smoke.test"]})
    session = requests.Session()
    refused = smoke.http(session, "POST", group["acs_url"].removeprefix(smoke.base), tag="refused",
                         data={"SAMLResponse": b64(xml)})  # fmt: skip
    check(refused.status_code == 403, f"deactivated user's sign-in answered {refused.status_code}")
    check(not signed_in_as(smoke, session, "alice@smoke.test"), "deactivated user signed in")


def static_and_health(smoke: Smoke) -> None:
    session = requests.Session()
    page = expect(smoke.http(session, "GET", "/login", tag="pages"), 200, "/login")
    check("/static/css/site.css" in page.text, "/login does not link the stylesheet")
    css = expect(smoke.http(session, "GET", "/static/css/site.css", tag="static"), 200, "static stylesheet")
    check(css.content == (ROOT / "static" / "css" / "site.css").read_bytes(), "served stylesheet differs from static/")
    check(css.headers.get("Content-Type", "").startswith("text/css"), "stylesheet served without text/css")
    health = expect(smoke.http(session, "GET", "/healthz", tag="health"), 200, "/healthz")
    check(health.json() == {"status": "ok"}, f"/healthz answered {health.text}")


def request_log_check(smoke: Smoke, log_file: Path, token: str, workers: int) -> dict[str, int]:
    """One JSON line per request, matching what the client saw; no secrets; several workers served."""
    lines: dict[str, dict] = {}
    for raw in log_file.read_text().splitlines():
        if raw.startswith("{"):
            data = json.loads(raw)
            if data.get("logger") == "sparksso.request":
                check(data["request_id"] not in lines, f"two log lines for request {data['request_id']}")
                lines[data["request_id"]] = data
    for request_id, (method, path, status) in smoke.requests.items():
        line = lines.get(request_id)
        check(line is not None, f"no log line for {method} {path} ({request_id})")
        check((line["method"], line["path"], line["status"]) == (method, path, status), f"log line {line} != client")
    text = log_file.read_text()
    for secret in (token, "SAMLResponse", "filter=", "Bearer"):
        check(secret not in text, f"the server log contains {secret[:12]}…")
    pids = Counter(lines[i]["pid"] for i in smoke.requests)
    check(len(pids) >= min(workers, 3), f"only {len(pids)} of {workers} workers answered: {dict(pids)}")
    # SP-initiated: the worker that issued the AuthnRequest vs the one whose ACS consumed it.
    starts, finishes = smoke.tagged["sp_login"], smoke.tagged["sp_acs"]
    crossed = sum(lines[a]["pid"] != lines[b]["pid"] for a, b in zip(starts, finishes, strict=True))
    check(crossed >= 1, "no SP-initiated sign-in crossed workers")
    return {"requests": len(smoke.requests), "workers": len(pids), "sp_flows_crossing_workers": crossed,
            "per_worker": sorted(pids.values(), reverse=True)}  # fmt: skip


def events_check(smoke: Smoke, account_id: int) -> None:
    """Events carry the request id of the request that wrote them."""
    events = [json.loads(line) for line in smoke.manage("events_export", "--account", str(account_id)).splitlines()]
    by_name = Counter(e["event"] for e in events)
    check(by_name["user_create_provision"] == 2, f"user_create_provision events: {by_name}")
    created = [e["request_id"] for e in events if e["event"] == "user_create_provision"]
    check(created == smoke.tagged["scim_create"], f"create events' request ids {created} != the SCIM POSTs'")
    sign_ins = {e["request_id"] for e in events if e["event"] == "sso_login_success"}
    check(sign_ins == set(smoke.tagged["sign_in"] + smoke.tagged["sp_acs"]), "sign-in events' request ids differ")


def check_deploy(base_env: dict[str, str]) -> int:
    """`check --deploy` as production would run it (https BASE_URL); warnings are printed, errors fail."""
    env = {**base_env, "BASE_URL": os.environ.get("SMOKE_DEPLOY_BASE_URL", "https://sso.example.com")}
    result = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "check", "--deploy"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    output = (result.stdout + result.stderr).strip()
    indented = output.replace("\n", "\n  ")
    print(f"manage.py check --deploy (BASE_URL={env['BASE_URL']}):\n  {indented}")
    check(result.returncode == 0, "manage.py check --deploy reported errors")
    return output.count("(security.W")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--server-log", required=True, type=Path)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    try:
        with TemporaryDirectory(prefix="sparksso-smoke-") as tmp:
            smoke = Smoke(args.base_url, Path(tmp))
            tenant = tenant_create(smoke)
            ids = scim_users(smoke, tenant["token"])
            emails = ["alice@smoke.test", "bob@smoke.test"] * (PARALLEL // 2)
            tile = idp_initiated(smoke, tenant["group"], emails)
            check(all(signed_in_as(smoke, s, e) for s, e in zip(tile, emails, strict=True)), "a tile sign-in failed")
            started = sp_initiated(smoke, tenant["group"], "alice@smoke.test", PARALLEL)
            check(all(signed_in_as(smoke, s, "alice@smoke.test") for s in started), "an SP-initiated sign-in failed")
            alice_sessions = [s for s, e in zip(tile, emails, strict=True) if e.startswith("alice")] + started
            deactivate(smoke, tenant["token"], ids["alice"], alice_sessions, tenant["group"])
            check(signed_in_as(smoke, tile[1], "bob@smoke.test"), "deactivating alice signed bob out")
            static_and_health(smoke)
            events_check(smoke, tenant["account_id"])
            spread = request_log_check(smoke, args.server_log, tenant["token"], args.workers)
            warnings = check_deploy(dict(os.environ))
    except SmokeFailure as failure:
        print(f"smoke: FAILED: {failure}", file=sys.stderr)
        raise SystemExit(1) from None
    print(f"smoke: passed: {json.dumps(spread)}; check --deploy warnings: {warnings}")


if __name__ == "__main__":
    main()
