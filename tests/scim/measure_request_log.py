"""What the SCIM request log costs a lookup, and what a row in the request's own commit would cost.

    DATABASE_URL=sqlite:////tmp/scimlog-measure.sqlite3 .venv/bin/python -m tests.scim.measure_request_log
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sparksso_scimlog .venv/bin/python -m tests.scim.measure_request_log

Not a test (no assertions on time): it prints medians of alternating rounds, log on and log off, of
``GET /Users?filter=userName eq "…"`` through Django's whole stack (in process, no network), and the
cost of inserting one log row inside an open transaction (the "same commit" alternative) and alone.
"""

import os
import statistics
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sparksso.settings")
os.environ.setdefault("SPARKSSO_VAR_DIR", "/tmp/scimlog-measure-var")

import django  # noqa: E402
import django.utils.timezone  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402

from accounts.models import Account  # noqa: E402
from accounts.users import account_create, user_create  # noqa: E402
from scim import request_log  # noqa: E402
from scim.models import ScimRequestLog  # noqa: E402
from scim.tokens import scim_token_create  # noqa: E402
from ssogroups.models import SSOGroup  # noqa: E402

USERS, ROUNDS, PER_ROUND = 200, 10, 200
PAUSE = 0.6  # seconds between bursts of 100: the writer's FLUSH_SECONDS and then some
ENTRY = dict(time=None, request_id="r" * 32, method="GET", path="/api/v1/users/scim/v2/Users?filter=x",
             query_filter='userName eq "u77@example.com"', status=200, duration_ms=1.0, account_id=None,
             sso_group_id=None, token_prefix="", ip="127.0.0.1",
             response_body=b'{"schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"], "totalResults": 1, '
             b'"Resources": [{"userName": "u77@example.com", "emails": [{"value": "u77@example.com"}]}]}')  # fmt: skip


def setup() -> tuple[str, str]:
    call_command("migrate", verbosity=0)
    account, admin = account_create(
        name=f"measure {time.time()}", admin_email=f"m{time.time()}@example.com", admin_password="x" * 20,
        plan=Account.Plan.ENTERPRISE,
    )  # fmt: skip
    idp = {"idp_entity_id": "https://idp.example/m", "sso_url": "https://idp.example/sso"}
    group = SSOGroup.objects.create(account=account, name="M", slug=f"m{int(time.time())}", enabled=True, **idp)
    for n in range(USERS):
        user_create(account=account, username=f"u{n}@example.com", email=f"u{n}@example.com", sso_group=group)
    _, token = scim_token_create(account=account, sso_group=group, label="m", created_by=admin)
    return token, "u77@example.com"


def lookup(client: Client, token: str, name: str) -> float:
    """Milliseconds of one lookup."""
    started = time.perf_counter()
    response = client.get(
        "/api/v1/users/scim/v2/Users", {"filter": f'userName eq "{name}"'}, HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    elapsed = (time.perf_counter() - started) * 1000
    assert response.status_code == 200, response.content
    return elapsed


def insert_costs() -> tuple[float, float]:
    """Median ms of one log row inserted inside an open transaction, and in a transaction of its own."""
    row = dict(method="GET", path="/api/v1/users/scim/v2/Users?filter=x", status=200, duration_ms=1.0,
               request_id="x" * 32, response_body="{}" * 300)  # fmt: skip
    inside, alone = [], []
    for _ in range(PER_ROUND):
        with transaction.atomic():
            started = time.perf_counter()
            ScimRequestLog.objects.create(**row)
            inside.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        with transaction.atomic():
            ScimRequestLog.objects.create(**row)
        alone.append((time.perf_counter() - started) * 1000)
    return statistics.median(inside), statistics.median(alone)


def main() -> None:
    token, name = setup()
    ENTRY["time"] = django.utils.timezone.now()
    client = Client(HTTP_HOST="127.0.0.1")
    request_log.request_log_background_set(True)
    for _ in range(50):  # warm up
        lookup(client, token, name)
    # Interleaved one by one, so that load from other processes falls on every variant alike.
    on, off = [], []
    for n in range(ROUNDS * PER_ROUND):
        settings.SCIM_REQUEST_LOG = True
        on.append(lookup(client, token, name))
        settings.SCIM_REQUEST_LOG = False
        off.append(lookup(client, token, name))
        if n % 100 == 99:
            time.sleep(PAUSE)  # bursts of 100, as an IdP's sync sends them
    # The request's own share: entries queued, no writer thread (forgotten every 100).
    request_log.request_log_flush()
    request_log.request_log_background_set(False)
    time.sleep(request_log.FLUSH_SECONDS * 5)  # the thread sees it is off and ends
    queued, off_again = [], []
    for n in range(ROUNDS * PER_ROUND):
        settings.SCIM_REQUEST_LOG = True
        queued.append(lookup(client, token, name))
        settings.SCIM_REQUEST_LOG = False
        off_again.append(lookup(client, token, name))
        if n % 100 == 99:
            request_log.request_log_discard()
    request_log.request_log_flush()
    written = time.perf_counter()
    entries = [request_log.Captured(**ENTRY) for _ in range(PER_ROUND)]
    request_log.rows_write(entries)
    per_entry = (time.perf_counter() - written) * 1000 / PER_ROUND
    inside, alone = insert_costs()
    on_ms, off_ms = statistics.median(on), statistics.median(off)
    request_log.request_log_discard()
    print(f"database: {connection.vendor}  rows logged: {ScimRequestLog.objects.count()}")
    print(f"lookup, log off: {off_ms:.3f} ms   log on: {on_ms:.3f} ms   cost: {(on_ms - off_ms) / off_ms:+.1%}")
    queued_ms = statistics.median(queued)
    off_again_ms = statistics.median(off_again)
    print(
        f"queued only (no writer thread): {queued_ms:.3f} ms vs off {off_again_ms:.3f} ms "
        f"({(queued_ms - off_again_ms) / off_again_ms:+.1%})"
    )
    print(f"writer: {per_entry:.3f} ms per entry (redact, cap, insert in a batch of {PER_ROUND})")
    print(f"one log row: inside an open transaction {inside:.3f} ms, in its own commit {alone:.3f} ms")
    request_log.request_log_background_set(False)
    sys.exit(0)


if __name__ == "__main__":
    main()
