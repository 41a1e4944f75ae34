"""The load test with faults: Redis stopped, PostgreSQL restarted, a worker killed, mid-run.

``python -m bench --only load --faults`` (and, shorter, ``make smoke``): the load of bench/load.py
(sign-ins and SCIM calls from many clients against 4 gunicorn workers) on a private PostgreSQL
cluster and a private redis-server (bench/faults.py), while a schedule

- stops Redis for 10 s (at 1/6 of the run; a quarter of it in a short run),
- stops PostgreSQL for 2 s and starts it again (at 1/2),
- ``kill -9``s one worker (at 7/10),

and /healthz is sampled once a second against the truth (a direct PING and ``SELECT 1``, read
before and after each sample; a sample during which the truth changed can be right either way and
is counted apart). Clients never retry blindly: a 503 (with Retry-After) or a dropped connection
is retried later; a POST that got no 201 (dropped, or a 503 when the database went away after its
commit) may then be told 409 (it was created); a sign-in whose connection dropped may then be told
it was used, but one told 503 was rolled back and must be accepted when posted again. Afterwards the checks: no 500 and
no traceback in the server log, no 503 outside a fault (plus a few seconds of grace), no user lost
or duplicated, no sign-in accepted twice (a tenth of accepted responses are posted again on
purpose), every 503 with Retry-After, /healthz wrong in 0 samples, all workers back.
"""

import http.client
import json
import os
import random
import signal
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from queue import Empty, Queue
from urllib.parse import quote, urlencode

from bench.faults import Backends
from bench.names import person
from bench.scim_ops import user_doc
from bench.servers import PORTS, sparksso_server

# Django's models load only after django.setup(), which main() runs once the private database is up.
SPARKSSO_SCIM = "/api/v1/users/scim/v2"
NEXT = "/reports/after-sign-in"
RESULTS = Path(__file__).resolve().parent.parent / "var" / "bench" / "faults.json"

MIX = {"sign_in": 30, "username_eq": 25, "emails_eq": 10, "post": 15, "patch_inactive": 10, "page": 10}
CREATED_FROM = 30_000_000
REPLAY_SHARE = 0.1  # accepted sign-ins posted again on purpose: each must be refused
BACKOFF_SECONDS = 0.5  # a client told 503 waits this long (Retry-After, shortened to keep the load on)
GRACE_SECONDS = 5  # after a fault ends, requests may still meet it this long (in flight, reconnecting)
DROPPED = 0  # the status of a request whose connection closed without an answer
REDIS_DOWN_SECONDS = 10
PG_DOWN_SECONDS = 2


class FaultClient:
    """One keep-alive connection. A GET whose reused connection closed unanswered is sent again
    once on a new one (what HTTP clients do for idempotent requests: the server may have closed an
    idle connection just as the request left); anything else is sent once (the caller decides)."""

    def __init__(self, port: int, token: str = ""):
        self.port = port
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.reused = False  # the connection has carried a request before
        self.last_drop_fresh = False  # the last DROPPED came on a new connection: the server failed

    def _new_connection(self) -> None:
        self.connection.close()
        self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        self.reused = False

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
        """(status, Retry-After, body); status 0 when the connection closed without an answer."""
        for attempt in (1, 2):
            reused = self.reused
            try:
                self.connection.request(method, path, body=body, headers={**self.headers, **(headers or {})})
                self.reused = True
                response = self.connection.getresponse()
                data = response.read()
            except (OSError, http.client.HTTPException):
                self._new_connection()
                if method == "GET" and reused and attempt == 1:
                    continue
                self.last_drop_fresh = not reused
                return DROPPED, None, b""
            if response.getheader("Connection", "").lower() == "close":
                self._new_connection()
            return response.status, response.getheader("Retry-After"), data
        raise AssertionError("unreachable")

    def close(self) -> None:
        self.connection.close()


@dataclass
class Outcome:
    at: float
    op: str
    status: int
    retry_after: str | None
    ok: bool
    note: str = ""


@dataclass
class Shared:
    signed: Queue
    t0: float = 0.0
    outcomes: list[Outcome] = field(default_factory=list)
    created: set[str] = field(default_factory=set)  # userNames the server confirmed (201, or 409 after a drop)
    pending: set[str] = field(default_factory=set)  # userNames still to confirm
    accepted: Counter = field(default_factory=Counter)  # response index -> 302s received
    created_unanswered: int = 0  # creates whose attempt went unanswered (dropped or 503) yet committed
    crashes: list[str] = field(default_factory=list)  # a client thread that died: the run proves nothing
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, op: str, status: int, retry_after: str | None, ok: bool, note: str = "") -> None:
        with self.lock:
            self.outcomes.append(Outcome(time.perf_counter() - self.t0, op, status, retry_after, ok, note))
        if status == 503:
            time.sleep(BACKOFF_SECONDS)


def _scim_json(body: dict) -> tuple[bytes, dict]:
    return json.dumps(body).encode(), {"Content-Type": "application/scim+json"}


def _drop_note(client: FaultClient, status: int) -> str:
    if status != DROPPED:
        return ""
    return "fresh connection" if client.last_drop_fresh else "reused connection"


def _client(k: int, shared: Shared, **kwargs) -> None:
    try:
        _client_loop(k, shared, **kwargs)
    except Exception as exc:  # noqa: BLE001 - reported as a failed check, never swallowed
        with shared.lock:
            shared.crashes.append(f"client {k}: {type(exc).__name__}: {exc}")


def _client_loop(k: int, shared: Shared, *, token: str, acs: str, users: int, deadline: float, drain: float):
    """One client: the load's mix, then (after ``deadline``) only what it still owes (retries)."""
    rng = random.Random(k)
    scim = FaultClient(PORTS["sparksso"], token)
    browser = FaultClient(PORTS["sparksso"])
    ops, weights = zip(*MIX.items(), strict=True)
    retries: list[tuple[str, object, bool]] = []  # (op, argument, the earlier attempt may have committed)
    number = CREATED_FROM + k * 1_000_000
    while True:
        now = time.perf_counter()
        if now >= drain or (now >= deadline and not retries):
            break
        if retries and (now >= deadline or rng.random() < 0.5):
            op, arg, dropped = retries.pop(0)
        elif now < deadline:
            op, arg, dropped = rng.choices(ops, weights)[0], None, False
        else:
            time.sleep(0.05)
            continue
        if op == "sign_in":
            if arg is None:
                try:
                    arg = shared.signed.get_nowait()
                except Empty:
                    op = "username_eq"
        if op in ("sign_in", "replay"):
            index, encoded = arg
            status, retry_after, _ = browser.request(
                "POST",
                acs,
                urlencode({"SAMLResponse": encoded, "RelayState": NEXT}).encode(),
                {"Content-Type": "application/x-www-form-urlencoded"},
            )
            if status == 302:
                with shared.lock:
                    shared.accepted[index] += 1
                if op == "sign_in" and rng.random() < REPLAY_SHARE:
                    retries.append(("replay", arg, False))
            ok = status == 302 if op == "sign_in" and not dropped else status in (302, 403)
            if op == "replay":
                ok = status == 403
            shared.record(op, status, retry_after, ok, _drop_note(browser, status))
            if status in (DROPPED, 503) and op == "sign_in":
                retries.append(("sign_in", arg, status == DROPPED))
            continue
        if op == "post":
            if arg is None:
                arg, number = number, number + 1
            doc = user_doc(arg)
            name = doc["userName"].lower()
            with shared.lock:
                shared.pending.add(name)
            body, headers = _scim_json(doc)
            status, retry_after, data = scim.request("POST", f"{SPARKSSO_SCIM}/Users", body, headers)
            # 409 after an attempt without an answer (dropped, or 503 because the database went away
            # after the commit, while the answer was being built): that attempt created the user.
            confirmed = status == 201 or (status == 409 and dropped)
            if confirmed:
                with shared.lock:
                    shared.created.add(name)
                    shared.pending.discard(name)
                    shared.created_unanswered += status == 409
            elif status in (DROPPED, 503):
                retries.append(("post", arg, True))
            note = _drop_note(scim, status) or data[:120].decode("utf-8", "replace")
            shared.record(op, status, retry_after, confirmed or status in (DROPPED, 503), note)
            continue
        n = rng.randrange(users)
        if op == "patch_inactive":
            n = users // 2 + rng.randrange(users - users // 2)  # the second half: the first signs in
        email = person(n)[0]
        if op in ("username_eq", "patch_inactive"):
            path = f"{SPARKSSO_SCIM}/Users?filter=" + quote(f'userName eq "{email}"')
        elif op == "emails_eq":
            path = f"{SPARKSSO_SCIM}/Users?filter=" + quote(f'emails[value eq "{email}"]')
        else:
            path = f"{SPARKSSO_SCIM}/Users?startIndex={1 + 100 * rng.randrange(max(1, users // 100))}&count=100"
        status, retry_after, data = scim.request("GET", path)
        if status == 200 and op != "page" and json.loads(data).get("totalResults") != 1:
            shared.record(op, status, retry_after, False, f"{email} not found exactly once")
            continue
        if status == 200 and op == "patch_inactive":
            user_id = json.loads(data)["Resources"][0]["id"]
            body, headers = _scim_json(
                {
                    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                    "Operations": [{"op": "replace", "path": "active", "value": False}],
                }  # fmt: skip
            )
            status, retry_after, data = scim.request("PATCH", f"{SPARKSSO_SCIM}/Users/{user_id}", body, headers)
        note = _drop_note(scim, status) or data[:120].decode("utf-8", "replace")
        shared.record(op, status, retry_after, status in (200, 204), note)
    scim.close()
    browser.close()


@dataclass
class Fault:
    name: str
    start: float
    end: float | None = None


class Schedule(threading.Thread):
    """Breaks the backends at fixed points of the run; records when each fault started and ended."""

    def __init__(self, backends: Backends, server, seconds: float, t0: float):
        super().__init__(daemon=True)
        self.backends, self.server, self.seconds, self.t0 = backends, server, seconds, t0
        self.faults: list[Fault] = []
        self.killed: int | None = None
        self.error: str = ""

    def _at(self, fraction: float) -> None:
        time.sleep(max(0.0, self.t0 + fraction * self.seconds - time.perf_counter()))

    def _now(self) -> float:
        return time.perf_counter() - self.t0

    def run(self) -> None:
        try:
            down = min(REDIS_DOWN_SECONDS, self.seconds / 4)
            self._at(1 / 6)
            fault = Fault("redis stopped", self._now())
            self.faults.append(fault)
            self.backends.redis.stop()
            time.sleep(down)
            self.backends.redis.start()
            fault.end = self._now()
            self._at(1 / 2)
            fault = Fault("postgresql restarted", self._now())
            self.faults.append(fault)
            self.backends.postgres.stop_fast()
            time.sleep(PG_DOWN_SECONDS)
            self.backends.postgres.start()
            fault.end = self._now()
            self._at(7 / 10)
            workers = self.server.workers()
            self.killed = workers[0]
            fault = Fault(f"worker {self.killed} killed (SIGKILL)", self._now())
            self.faults.append(fault)
            os.kill(self.killed, signal.SIGKILL)
            deadline = time.perf_counter() + 30
            while time.perf_counter() < deadline:
                if len(self.server.workers()) == len(workers) and self.killed not in self.server.workers():
                    break
                time.sleep(0.1)
            fault.end = self._now()
        except Exception as exc:  # noqa: BLE001 - reported as the run's failure, never swallowed
            self.error = f"{type(exc).__name__}: {exc}"


@dataclass
class Sample:
    at: float
    truth_before: bool
    truth_after: bool
    status: int


class Sampler(threading.Thread):
    """GET /healthz once a second on a fresh connection, between two readings of the truth."""

    def __init__(self, backends: Backends, t0: float, stop: threading.Event):
        super().__init__(daemon=True)
        self.backends, self.t0, self.stop_event = backends, t0, stop
        self.samples: list[Sample] = []

    def _truth(self) -> bool:
        return self.backends.redis.ok() and self.backends.postgres.ok()

    def run(self) -> None:
        while not self.stop_event.is_set():
            started = time.perf_counter()
            before = self._truth()
            client = FaultClient(PORTS["sparksso"])
            status, _, _ = client.request("GET", "/healthz")
            if status == DROPPED:  # the killed worker had accepted it: ask again, as a balancer does
                status, _, _ = client.request("GET", "/healthz")
            client.close()
            after = self._truth()
            self.samples.append(Sample(started - self.t0, before, after, status))
            self.stop_event.wait(max(0.0, 1.0 - (time.perf_counter() - started)))


def _in_fault(at: float, faults: list[Fault]) -> bool:
    return any(f.start - 1 <= at <= (f.end if f.end is not None else f.start) + GRACE_SECONDS for f in faults)


def run(
    *, var_dir: Path, backends: Backends, load_seconds: int, load_clients: int, load_workers: int, load_users: int
) -> tuple[str, dict]:
    from django.db import connection

    from accounts.models import User
    from bench.fixtures import database_analyze, tenant_create, users_bulk_create
    from bench.live import database_url
    from bench.side_by_side import responses
    from scim.tokens import scim_token_create

    tenant = tenant_create("Faults")
    users_bulk_create(tenant=tenant, start=0, stop=load_users, progress=False)
    database_analyze()
    _, token = scim_token_create(
        account=tenant.account, sso_group=tenant.group, label="faults", created_by=tenant.admin, actor="bench"
    )
    before = User.objects.filter(account=tenant.account).count()
    signed: Queue = Queue()
    count = min(2000, 15 * load_seconds)
    for index, encoded in enumerate(responses(tenant, count, users=load_users // 2, first=0)):
        signed.put((index, encoded))
    acs = tenant.group.acs_url.split(str(PORTS["sparksso"]), 1)[1]
    shared = Shared(signed=signed)
    # Every client is 127.0.0.1: the deliberate replays must not trip the per-address ACS limit
    # (429 for everyone after 20 failures), which would hide what the faults do.
    os.environ["SSO_ACS_FAILURE_LIMIT"] = os.environ["SSO_ACS_GROUP_FAILURE_LIMIT"] = "1000000"
    server = sparksso_server(
        database_url=database_url(), var_dir=var_dir, workers=load_workers, threads=8, cache_url=backends.redis.url
    )
    connection.close()  # ours is about to be cut by the restart: reconnect afterwards
    with server.start():
        shared.t0 = t0 = time.perf_counter()
        stop = threading.Event()
        sampler = Sampler(backends, t0, stop)
        schedule = Schedule(backends, server, load_seconds, t0)
        sampler.start()
        schedule.start()
        deadline, drain = t0 + load_seconds, t0 + load_seconds + 30
        threads = [
            threading.Thread(
                target=_client,
                args=(k, shared),
                kwargs={"token": token, "acs": acs, "users": load_users, "deadline": deadline, "drain": drain},
                daemon=True,  # a SIGTERM must not wait for them
            )  # fmt: skip
            for k in range(load_clients)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        schedule.join(timeout=60)
        stop.set()
        sampler.join(timeout=10)
        elapsed = time.perf_counter() - t0
        workers_after = server.workers()
    log_text = server.log.read_text(errors="replace") if server.log.exists() else ""
    return _verdict(
        shared=shared, schedule=schedule, sampler=sampler, tenant=tenant, before=before, elapsed=elapsed,
        workers=load_workers, workers_after=workers_after, log_text=log_text, clients=load_clients,
    )  # fmt: skip


def _verdict(*, shared, schedule, sampler, tenant, before, elapsed, workers, workers_after, log_text, clients):
    from django.db import connection

    from accounts.models import Event, User
    from ssogroups.models import ConsumedAssertion

    connection.close()
    outcomes = shared.outcomes
    statuses = Counter(o.status for o in outcomes)
    faults = schedule.faults
    server_errors = [o for o in outcomes if o.status >= 500 and o.status != 503]
    unavailable = [o for o in outcomes if o.status == 503]
    late_503 = [o for o in unavailable if not _in_fault(o.at, faults)]
    no_retry_after = [o for o in unavailable if not (o.retry_after or "").isdigit()]
    dropped = [o for o in outcomes if o.status == DROPPED]
    # Outside a fault, a reused keep-alive connection may meet the server closing it (a race every
    # HTTP client knows); a new connection closing unanswered, or a worker dying, is a failure.
    late_drops = [o for o in dropped if not _in_fault(o.at, faults) and o.note == "fresh connection"]
    keepalive_races = [o for o in dropped if not _in_fault(o.at, faults) and o.note != "fresh connection"]
    boots = log_text.count("Booting worker")
    timeouts = log_text.count("WORKER TIMEOUT")
    wrong = [o for o in outcomes if not o.ok and o.status not in (DROPPED, 503)]
    names = Counter(u.lower() for u in User.objects.filter(account=tenant.account).values_list("username", flat=True))
    after = sum(names.values())
    lost = [n for n in shared.created if names[n] != 1]
    duplicates = [n for n, c in names.items() if c > 1]
    unconfirmed = sorted(shared.pending)
    twice = [i for i, c in shared.accepted.items() if c > 1]
    consumed = ConsumedAssertion.objects.filter(group=tenant.group).count()
    successes = Event.objects.filter(account=tenant.account, event="sso_login_success").count()
    replays = [o for o in outcomes if o.op == "replay"]
    samples = sampler.samples
    settled = [s for s in samples if s.truth_before == s.truth_after]
    # A sample without an answer is wrong, unless the killed worker had taken it (and its retry).
    healthz_wrong = [
        s
        for s in settled
        if (s.status == DROPPED and not _in_fault(s.at, faults[2:]))
        or (s.status != DROPPED and ((s.status == 200) != s.truth_before or s.status not in (200, 503)))
    ]
    tracebacks = log_text.count("Traceback") + log_text.count('"exc":')
    problems = []
    if server_errors:
        problems.append(f"{len(server_errors)} 5xx other than 503: {Counter(o.status for o in server_errors)}")
    if tracebacks:
        problems.append(f"{tracebacks} tracebacks in the server log")
    redis = faults[0] if faults else None
    redis_503 = [o for o in unavailable if redis and redis.start + 0.5 <= o.at <= (redis.end or redis.start)]
    if redis_503:
        problems.append(f"{len(redis_503)} 503 while only Redis was down (sign-ins and SCIM must not need it)")
    if late_503:
        problems.append(f"{len(late_503)} 503 outside a fault (+{GRACE_SECONDS} s): first at {late_503[0].at:.1f} s")
    if no_retry_after:
        problems.append(f"{len(no_retry_after)} 503 without Retry-After")
    if late_drops:
        problems.append(f"{len(late_drops)} new connections closed unanswered outside a fault: {late_drops[:3]}")
    if timeouts or boots != workers + 1:
        problems.append(f"workers booted {boots} times (expected {workers} + 1 after the kill), {timeouts} timeouts")
    if wrong:
        problems.append(f"{len(wrong)} wrong answers: {[(o.op, o.status, o.note[:80]) for o in wrong[:3]]}")
    if lost or duplicates or after != before + len(shared.created) or unconfirmed:
        problems.append(
            f"users: {len(lost)} lost, {len(duplicates)} duplicated, {len(unconfirmed)} never confirmed, "
            f"{after} after vs {before} + {len(shared.created)}"
        )
    if twice or consumed != successes or sum(shared.accepted.values()) > consumed:
        problems.append(f"sign-ins: {len(twice)} accepted twice; {consumed} consumed vs {successes} successes")
    if healthz_wrong:
        problems.append(f"/healthz wrong in {len(healthz_wrong)} samples: {healthz_wrong[:3]}")
    if shared.crashes:
        problems.append(f"{len(shared.crashes)} client threads failed: {shared.crashes[:2]}")
    if schedule.error:
        problems.append(f"the fault schedule failed: {schedule.error}")
    if len(workers_after) != workers or schedule.killed in workers_after:
        problems.append(f"workers afterwards: {workers_after}")
    data = {
        "seconds": elapsed,
        "clients": clients,
        "workers": workers,
        "requests": len(outcomes),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "faults": [{"name": f.name, "start": round(f.start, 1), "end": round(f.end or f.start, 1)} for f in faults],
        "server_errors": len(server_errors),
        "unavailable": len(unavailable),
        "unavailable_outside_faults": len(late_503),
        "dropped": len(dropped),
        "keepalive_races": len(keepalive_races),
        "workers_booted": boots,
        "tracebacks": tracebacks,
        "users_before": before,
        "users_created": len(shared.created),
        "users_created_unanswered": shared.created_unanswered,
        "users_after": after,
        "users_lost": len(lost),
        "users_duplicated": len(duplicates),
        "sign_ins_accepted": sum(shared.accepted.values()),
        "sign_ins_accepted_twice": len(twice),
        "replays_refused": sum(1 for o in replays if o.status == 403),
        "replays": len(replays),
        "consumed_assertions": consumed,
        "sign_in_events": successes,
        "healthz_samples": len(samples),
        "healthz_settled": len(settled),
        "healthz_wrong": len(healthz_wrong),
        "healthz_503": sum(1 for s in samples if s.status == 503),
        "problems": problems,
    }
    by_fault = []
    for f in faults:
        window = [o for o in outcomes if f.start <= o.at <= (f.end or f.start) + 1]
        by_fault.append(
            f"  {f.name} at {f.start:.1f}-{(f.end or f.start):.1f} s: {len(window)} requests until 1 s after, "
            f"statuses {dict(sorted(Counter(o.status for o in window).items()))}"
        )
    lines = [
        f"Faults: {clients} clients for {elapsed:.0f} s against {workers} workers (private PostgreSQL and Redis)",
        f"  {len(outcomes):,} requests; statuses {data['statuses']} (0 = connection closed by the killed worker)",
        *by_fault,
        f"  users: {before:,} before, {len(shared.created):,} created, {after:,} after; "
        f"{len(lost)} lost, {len(duplicates)} duplicated; {shared.created_unanswered} created by an attempt that "
        "got no 201 (dropped, or 503 after the commit), confirmed by the 409 of the next",
        f"  sign-ins: {data['sign_ins_accepted']} accepted, {len(twice)} accepted twice; "
        f"{data['replays_refused']} of {len(replays)} deliberate replays refused; "
        f"{consumed} assertions consumed, {successes} sign-in events",
        f"  /healthz: {len(samples)} samples ({data['healthz_503']} said 503), {len(samples) - len(settled)} during a "
        f"change of the truth, wrong in {len(healthz_wrong)}",
        f"  server log: {tracebacks} tracebacks, {boots} workers booted ({workers} + the replacement), "
        f"{timeouts} worker timeouts; {len(workers_after)} of {workers} workers afterwards",
        f"  dropped connections: {len(dropped)} ({len(keepalive_races)} reused keep-alive connections outside a fault)",
        "  verdict: "
        + (
            "; ".join(problems)
            if problems
            else "no 500, nothing lost, duplicated or replayed, /healthz right in every sample"
        ),  # fmt: skip
    ]
    data["verdict_ok"] = not problems
    return "\n".join(lines), data


def main(args) -> int:
    """``python -m bench --faults [--load-seconds N …]``: 0 when every check held, else 1."""
    import sys

    from bench.env import database, django_environment

    # SIGTERM (a CI timeout, smoke.sh's cleanup) unwinds like Ctrl-C: the server and backends stop.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    with Backends() as backends:
        os.environ["DATABASE_URL"] = backends.postgres.url("sparksso")
        with django_environment() as var_dir, database() as where:
            print(f"Fault run on {where}, Redis {backends.redis.url}; {args.load_seconds} s", flush=True)
            report, data = run(
                var_dir=var_dir, backends=backends, load_seconds=args.load_seconds, load_clients=args.load_clients,
                load_workers=args.load_workers, load_users=args.load_users,
            )  # fmt: skip
    print(report)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps({**data, "measured_at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}, indent=1)
    )
    print(f"  (figures saved to {RESULTS})")
    sys.stdout.flush()
    return 0 if data["verdict_ok"] else 1
