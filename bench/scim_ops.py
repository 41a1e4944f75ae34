"""The SCIM calls the live benchmarks time, each checked, against sparksso or the django-scim2 peer.

Both servers get the very same calls (JumpCloud's shapes: a create, ``userName eq`` and
``emails[value eq]`` lookups, 100-user pages, PATCH ``active=false``, a full PUT). Every reply
is checked — status, the user found, the page's length — and a wrong one stops the run with
BenchmarkFailed: only successes are timed.
"""

import base64
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import quote

from bench.client import Client, Reply
from bench.names import person

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
PAGE = 100
NEW_USERS_FROM = 10_000_000  # created users' numbers, far from the loaded ones


class BenchmarkFailed(AssertionError):
    """A timed request did not do what it must: the figures would be meaningless."""


@dataclass
class ScimTarget:
    name: str
    port: int
    base: str  # "/api/v1/users/scim/v2" or "/scim/v2"
    token: str
    client: Client | None = field(default=None, repr=False)
    # The floor: sparksso's recorded replies by operation ({status, headers, body (base64)}).
    recorded: dict[str, dict] | None = field(default=None, repr=False)

    def connect(self) -> Client:
        if self.client is None:
            self.client = Client(self.port, token=self.token)
        return self.client

    def close(self) -> None:
        if self.client is not None:
            self.client.close()
            self.client = None


def expect(reply: Reply, status: int, what: str) -> Reply:
    if reply.status != status:
        raise BenchmarkFailed(f"{what}: HTTP {reply.status}, expected {status}: {reply.body[:300]!r}")
    return reply


def user_doc(n: int, *, family_suffix: str = "") -> dict:
    email, given, family = person(n)
    return {
        "schemas": [USER_SCHEMA],
        "userName": email,
        "name": {"givenName": given, "familyName": family + family_suffix},
        "emails": [{"value": email, "type": "work", "primary": True}],
        "active": True,
    }


def _filter_path(target: ScimTarget, expression: str) -> str:
    return f"{target.base}/Users?filter={quote(expression)}"


def _found_one(reply: Reply, email: str, what: str) -> dict:
    doc = expect(reply, 200, what).json()
    resources = doc.get("Resources") or []
    if doc.get("totalResults") != 1 or len(resources) != 1 or resources[0].get("userName", "").lower() != email:
        raise BenchmarkFailed(f"{what}: expected exactly {email}, got {reply.body[:300]!r}")
    return resources[0]


def username_eq(target: ScimTarget, n: int) -> Reply:
    email = person(n)[0]
    reply = target.connect().request("GET", _filter_path(target, f'userName eq "{email}"'))
    _found_one(reply, email, f"{target.name} userName eq")
    return reply


def emails_eq(target: ScimTarget, n: int) -> Reply:
    email = person(n)[0]
    reply = target.connect().request("GET", _filter_path(target, f'emails[value eq "{email}"]'))
    _found_one(reply, email, f"{target.name} emails[value eq]")
    return reply


def scim_id(target: ScimTarget, n: int) -> str:
    """The SCIM id of loaded user n, looked up (untimed) through the server itself."""
    return username_eq(target, n).json()["Resources"][0]["id"]


def post_user(target: ScimTarget, n: int) -> Reply:
    doc = user_doc(NEW_USERS_FROM + n)
    reply = expect(target.connect().scim("POST", f"{target.base}/Users", doc), 201, f"{target.name} POST /Users")
    if reply.json().get("userName", "").lower() != doc["userName"]:
        raise BenchmarkFailed(f"{target.name} POST /Users answered {reply.body[:300]!r}")
    return reply


def patch_inactive(target: ScimTarget, user_id: str) -> Reply:
    doc = {"schemas": [PATCH_SCHEMA], "Operations": [{"op": "replace", "path": "active", "value": False}]}
    reply = target.connect().scim("PATCH", f"{target.base}/Users/{user_id}", doc)
    if reply.status == 204:
        return reply
    if expect(reply, 200, f"{target.name} PATCH active=false").json().get("active") is not False:
        raise BenchmarkFailed(f"{target.name} PATCH active=false answered {reply.body[:300]!r}")
    return reply


def put_user(target: ScimTarget, user_id: str, n: int) -> Reply:
    doc = user_doc(n, family_suffix="-Put")
    reply = expect(target.connect().scim("PUT", f"{target.base}/Users/{user_id}", doc), 200, f"{target.name} PUT")
    if reply.json()["name"]["familyName"] != doc["name"]["familyName"]:
        raise BenchmarkFailed(f"{target.name} PUT answered {reply.body[:300]!r}")
    return reply


def total_users(target: ScimTarget) -> int:
    reply = expect(target.connect().request("GET", f"{target.base}/Users?startIndex=1&count=1"), 200, "count")
    return int(reply.json()["totalResults"])


def page(target: ScimTarget, start: int, total: int | None) -> Reply:
    """A 100-user page; with ``total`` unknown (other clients creating), any 1..100 users will do."""
    path = f"{target.base}/Users?startIndex={start}&count={PAGE}"
    reply = expect(target.connect().request("GET", path), 200, f"{target.name} page {start}")
    got = len(reply.json().get("Resources") or [])
    if (got != max(0, min(PAGE, total - start + 1))) if total is not None else not 1 <= got <= PAGE:
        raise BenchmarkFailed(f"{target.name} page at {start} of {total}: {got} users")
    return reply


def page_starts(total: int) -> dict[str, int]:
    """startIndex of the first, a middle and the last 100-user page of ``total`` users."""
    last = ((total - 1) // PAGE) * PAGE + 1
    middle = ((total // 2) // PAGE) * PAGE + 1
    return {"page_first": 1, "page_middle": middle, "page_last": last}


OPERATIONS = ("post", "username_eq", "emails_eq", "page_first", "page_middle", "page_last", "patch_inactive", "put")
LABELS = {
    "post": "POST /Users",
    "username_eq": 'filter=userName eq "…"',
    "emails_eq": 'filter=emails[value eq "…"]',
    "page_first": "first 100-user page",
    "page_middle": "middle 100-user page",
    "page_last": "last 100-user page",
    "patch_inactive": "PATCH active=false",
    "put": "PUT /Users/{id}",
}


@dataclass
class Plan:
    """Which loaded users each operation touches in one round: distinct, spread over the account."""

    lookups: list[int]
    writes: list[int]


def plan_for(size: int, count: int, seed: int) -> Plan:
    rng = random.Random(seed)
    chosen = rng.sample(range(size), min(size, 2 * count))
    return Plan(lookups=chosen[:count], writes=chosen[count : 2 * count])


def recording(reply: Reply) -> dict:
    """A reply as the floor replays it: status, the headers that describe the body, the body."""
    headers = {k: v for k, v in reply.headers.items() if k in ("content-type", "location", "etag", "set-cookie")}
    return {"status": reply.status, "headers": headers, "body": base64.b64encode(reply.body).decode()}


def floor_call(target: ScimTarget, operation: str, n: int, start: int = 1) -> Reply:
    """The same request as sparksso gets, to the floor; its reply must be sparksso's recorded bytes."""
    client = target.connect()
    if operation == "post":
        reply = client.scim("POST", f"{target.base}/Users", user_doc(NEW_USERS_FROM + n))
    elif operation == "username_eq":
        reply = client.request("GET", _filter_path(target, f'userName eq "{person(n)[0]}"'))
    else:
        reply = client.request("GET", f"{target.base}/Users?startIndex={start}&count={PAGE}")
    expected = target.recorded[operation if operation in target.recorded else "page_middle"]
    if reply.status != expected["status"] or reply.body != base64.b64decode(expected["body"]):
        raise BenchmarkFailed(f"floor {operation}: HTTP {reply.status} {reply.body[:200]!r}")
    return reply


def calls(target: ScimTarget, operation: str, plan: Plan, *, counter: Callable[[], int]) -> list[Callable[[], Reply]]:
    """The round's calls of ``operation`` on ``target``, ids resolved beforehand (untimed)."""
    if target.recorded is not None:
        numbers = [counter() for _ in plan.lookups] if operation == "post" else plan.lookups
        return [lambda k=k: floor_call(target, operation, k) for k in numbers]
    if operation == "post":
        numbers = [counter() for _ in plan.lookups]
        return [lambda k=k: post_user(target, k) for k in numbers]
    if operation == "username_eq":
        return [lambda n=n: username_eq(target, n) for n in plan.lookups]
    if operation == "emails_eq":
        return [lambda n=n: emails_eq(target, n) for n in plan.lookups]
    if operation.startswith("page_"):
        total = total_users(target)
        start = page_starts(total)[operation]
        return [lambda: page(target, start, total) for _ in plan.lookups]
    ids = [(scim_id(target, n), n) for n in plan.writes]
    if operation == "patch_inactive":
        return [lambda i=i: patch_inactive(target, i) for i, _ in ids]
    if operation == "put":
        return [lambda i=i, n=n: put_user(target, i, n) for i, n in ids]
    raise ValueError(operation)
