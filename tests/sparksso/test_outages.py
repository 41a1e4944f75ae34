"""When a backend goes away (docs/operations.md): a Redis outage changes nothing for sign-ins and
SCIM (their state lives in the database) and /healthz says so; a database outage answers 503 with
Retry-After on every path (SCIM in its error format), one log line, no traceback, nothing written;
an outage raised after the view (a middleware) is a 503 too."""

import json
import logging
import sys
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test import Client

from accounts.models import Event, User
from accounts.views import MSG_BAD_CREDENTIALS, MSG_THROTTLED
from bench.faults import PrivateRedis
from scim.constants import ERROR_SCHEMA, MSG_AUTH_INVALID, MSG_AUTH_THROTTLED, MSG_UNAVAILABLE
from scim.tokens import scim_token_create
from sparksso.models import FailureCounter
from sparksso.outages import LOG_LINE, RETRY_AFTER_SECONDS, OutageTracebackFilter, is_outage
from tests.sparksso.production import production_run
from tests.support.outages import assert_outage_page, closed_port, redis_cache_at

PASSWORD = "correct horse 42"
SCIM_USERS = "/api/v1/users/scim/v2/Users"
WINDOW_START = datetime(2026, 11, 29, 18, 0, tzinfo=UTC)  # a multiple of every throttle window here


@pytest.fixture
def cache_down(settings):
    """The cache is Redis at a port nothing listens on: every cache call is refused."""
    settings.CACHES = {"default": redis_cache_at(closed_port())}


@pytest.fixture
def pinned_clock(monkeypatch):
    monkeypatch.setattr("sparksso.clock.now", lambda: WINDOW_START)


@pytest.fixture
def scim(make_account, make_ssogroup):
    account, admin = make_account()
    group = make_ssogroup(account, slug="jumpcloud")
    _, plaintext = scim_token_create(account=account, sso_group=group, label="t", created_by=admin)
    return plaintext


def _scim_error(response, status: int, detail: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/scim+json")
    body = response.json()
    assert body == {"schemas": [ERROR_SCHEMA], "status": str(status), "detail": detail}
    return body


# --- Redis goes away: nothing but /healthz and the test sign-in report depends on it -----------


def test_healthz_names_the_cache_with_retry_after(db, cache_down, client):
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "failing": ["cache"]}
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)


def test_a_valid_scim_token_keeps_working(cache_down, scim):
    response = Client().get(SCIM_USERS, HTTP_AUTHORIZATION=f"Bearer {scim}")
    assert response.status_code == 200
    assert response.json()["totalResults"] == 0


def test_a_bad_scim_token_is_refused_and_counted_as_ever(cache_down, scim, settings, pinned_clock):
    """The failure counters are rows in the database, not cache keys: a 401, its event and its
    count, then a 429 with Retry-After past the limit, exactly as with the cache up."""
    settings.SCIM_AUTH_FAILURE_LIMIT = 2
    bad = Client(HTTP_AUTHORIZATION="Bearer sso_scim_AAAAAAAAnot-a-real-token")
    for _ in range(2):
        _scim_error(bad.get(SCIM_USERS), 401, MSG_AUTH_INVALID)
    throttled = bad.get(SCIM_USERS)
    _scim_error(throttled, 429, MSG_AUTH_THROTTLED)
    assert throttled["Retry-After"].isdigit()
    reasons = list(Event.objects.filter(event="scim_auth_failure").values_list("reason", flat=True))
    assert reasons == ["unknown or revoked token", "unknown or revoked token", "throttled"]
    assert FailureCounter.objects.get(key="scim-auth-fail:ip:127.0.0.1").count == 3
    # The valid token is still never throttled.
    assert Client().get(SCIM_USERS, HTTP_AUTHORIZATION=f"Bearer {scim}").status_code == 200


def test_password_sign_in_keeps_its_limits(cache_down, admin, settings, pinned_clock):
    """Wrong passwords are refused and counted in the database; past the limit the address is
    refused (429) before its password is read; her right password from her own address works."""
    settings.LOGIN_FAILURE_LIMIT = 2
    guesser = Client(REMOTE_ADDR="203.0.113.66")
    for _ in range(2):
        response = guesser.post("/login", {"identifier": admin.username, "password": "wrong"})
        assert response.status_code == 401
        assert MSG_BAD_CREDENTIALS in response.content.decode()
    refused = guesser.post("/login", {"identifier": admin.username, "password": PASSWORD})
    assert refused.status_code == 429
    assert MSG_THROTTLED in refused.content.decode()
    assert "sessionid" not in refused.cookies
    reasons = list(Event.objects.filter(event="password_login_failure").values_list("reason", flat=True))
    assert reasons == ["bad credentials", "bad credentials", "throttled"]
    her = Client(REMOTE_ADDR="198.51.100.7")
    assert her.post("/login", {"identifier": admin.username, "password": PASSWORD}).status_code == 302
    assert her.get("/api/v1/session").json()["username"] == admin.username


def test_a_private_redis_stopped_then_started_again(db, settings, tmp_path):
    """A real redis-server of our own: /healthz follows it down and back up, with no restart of ours."""
    redis = PrivateRedis(closed_port(), tmp_path).start()
    try:
        settings.CACHES = {"default": redis_cache_at(redis.port)}
        client = Client()
        assert client.get("/healthz").status_code == 200
        redis.stop()
        assert client.get("/healthz").json() == {"status": "unavailable", "failing": ["cache"]}
        redis.start()
        assert client.get("/healthz").json() == {"status": "ok"}
    finally:
        redis.stop()


# --- an outage raised after the view: handler500 answers 503 too --------------------------------


class CacheAfterTheView:
    """A middleware that uses the cache after the view, as the session save uses the database."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from django.core.cache import cache

        response = self.get_response(request)
        if request.GET.get("fail") == "cache":
            cache.get("after-the-view")
        if request.GET.get("fail") == "bug":
            raise ZeroDivisionError("a bug, not an outage")
        return response


@pytest.fixture
def middleware_after_view(settings, cache_down):
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, f"{__name__}.CacheAfterTheView"]


def test_an_outage_in_a_middleware_is_a_503_page(db, middleware_after_view, caplog):
    client = Client(raise_request_exception=False)
    with caplog.at_level(logging.WARNING, logger="sparksso.outages"):
        response = client.get("/login?fail=cache")
    assert_outage_page(response)
    [line] = [r for r in caplog.records if r.name == "sparksso.outages"]
    assert line.getMessage().startswith("backend unavailable: cache (ConnectionError: ")
    assert line.getMessage().endswith("on GET /login: answered 503")
    assert not Event.objects.exists()


def test_any_other_error_stays_a_500(db, middleware_after_view):
    response = Client(raise_request_exception=False).get("/login?fail=bug")
    assert response.status_code == 500
    assert "Retry-After" not in response


def test_the_log_filter_drops_only_an_outages_traceback():
    from redis.exceptions import ConnectionError as RedisConnectionError

    def record(exc: Exception) -> logging.LogRecord:
        try:
            raise exc
        except (RedisConnectionError, ZeroDivisionError):
            return logging.LogRecord("django.request", logging.ERROR, __file__, 1, "x", (), sys.exc_info())

    outage, bug = record(RedisConnectionError("refused")), record(ZeroDivisionError())
    assert OutageTracebackFilter().filter(outage) and outage.exc_info is None
    assert OutageTracebackFilter().filter(bug) and bug.exc_info is not None
    assert is_outage(RedisConnectionError()) and not is_outage(ValueError())


# --- the database goes away: 503 everywhere, in production, one line each ----------------------

# Runs in a production-mode subprocess whose DATABASE_URL names a closed PostgreSQL port.
DATABASE_DOWN = """
import django, json
django.setup()
from django.test import Client
client = Client(HTTP_HOST="sso.example.test", raise_request_exception=False)
calls = {
    "scim": client.get("/api/v1/users/scim/v2/Users", HTTP_AUTHORIZATION="Bearer sso_scim_AAAAAAAAanything"),
    "scim_post": client.post("/api/v1/users/scim/v2/Users", data="{}", content_type="application/scim+json",
                             HTTP_AUTHORIZATION="Bearer sso_scim_AAAAAAAAanything"),
    "login_page": client.get("/login"),
    "password": client.post("/login", {"identifier": "ann@example.com", "password": "guess"}),
    "acs": client.post("/api/v1/users/saml/1/jumpcloud/consume", {"SAMLResponse": "PD94"}),
    "healthz": client.get("/healthz"),
}
print(json.dumps({name: {"status": r.status_code, "retry_after": r.get("Retry-After"),
                         "type": r.get("Content-Type"), "body": r.content.decode()} for name, r in calls.items()}))
"""


def test_a_database_outage_is_a_503_on_every_path_with_one_log_line(tmp_path):
    port = closed_port()
    result = production_run(
        tmp_path,
        ["python", "-c", DATABASE_DOWN],
        DATABASE_URL=f"postgres://postgres@127.0.0.1:{port}/gone",
        BASE_URL="http://sso.example.test",  # plain http: no https redirect in front of every answer
        ALLOW_INSECURE_BASE_URL="true",
    )
    assert result.returncode == 0, result.stderr
    calls = json.loads(result.stdout)
    for name in ("scim", "scim_post"):
        assert calls[name]["status"] == 503
        assert calls[name]["retry_after"] == str(RETRY_AFTER_SECONDS)
        assert calls[name]["type"].startswith("application/scim+json")
        body = json.loads(calls[name]["body"])
        assert body == {"schemas": [ERROR_SCHEMA], "status": "503", "detail": MSG_UNAVAILABLE}
    for name in ("password", "acs"):
        assert calls[name]["status"] == 503
        assert calls[name]["retry_after"] == str(RETRY_AFTER_SECONDS)
        assert "Temporarily unavailable" in calls[name]["body"]
    assert calls["login_page"]["status"] == 200  # the identifier page needs no backend
    assert calls["healthz"]["status"] == 503
    assert json.loads(calls["healthz"]["body"]) == {"status": "unavailable", "failing": ["database"]}
    # One JSON line per outage (our own, and Django's for the 503), never a traceback.
    assert "Traceback" not in result.stderr and '"exc"' not in result.stderr
    lines = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    ours = [line for line in lines if line["logger"] == "sparksso.outages"]
    assert [line["path"] for line in ours] == [
        "/api/v1/users/scim/v2/Users",
        "/api/v1/users/scim/v2/Users",
        "/login",
        "/api/v1/users/saml/1/jumpcloud/consume",
    ]
    assert all(line["message"].startswith("backend unavailable: database (OperationalError: ") for line in ours)
    assert LOG_LINE.startswith("backend unavailable")


SETTINGS = """
import django, json
django.setup()
from django.conf import settings
print(json.dumps({"cache": settings.CACHES["default"].get("OPTIONS"),
                  "db": settings.DATABASES["default"].get("OPTIONS"),
                  "health": settings.DATABASES["default"]["CONN_HEALTH_CHECKS"],
                  "middleware": "sparksso.outages.BackendOutageMiddleware" in settings.MIDDLEWARE}))
"""


def test_redis_and_postgresql_give_up_quickly_and_connections_are_checked(tmp_path):
    result = production_run(
        tmp_path,
        ["python", "-c", SETTINGS],
        CACHE_URL="redis://127.0.0.1:6379/4",
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/x",
    )
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert found["cache"] == {"socket_connect_timeout": 1.0, "socket_timeout": 1.0}
    assert found["db"] == {"connect_timeout": 5}
    assert found["health"] is True and found["middleware"] is True
    overridden = production_run(
        tmp_path, ["python", "-c", SETTINGS], CACHE_URL="redis://127.0.0.1:6379/4?socket_timeout=3"
    )
    assert json.loads(overridden.stdout)["cache"] == {"socket_timeout": 3, "socket_connect_timeout": 1.0}


# --- PostgreSQL only: the connection of a request in flight is terminated ----------------------


@pytest.mark.django_db(transaction=True)
def test_a_terminated_connection_is_a_503_then_the_next_request_succeeds(scim, caplog):
    if connection.vendor != "postgresql":
        pytest.skip("pg_terminate_backend: PostgreSQL only")
    users = User.objects.count()
    events = Event.objects.count()
    pid = connection.cursor().connection.info.backend_pid
    with _admin_connection() as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])
    client = Client(raise_request_exception=False, HTTP_AUTHORIZATION=f"Bearer {scim}")
    body = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "ann@example.com"}
    response = client.post(SCIM_USERS, data=json.dumps(body), content_type="application/scim+json")
    _scim_error(response, 503, MSG_UNAVAILABLE)
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    # What every request's start does (CONN_HEALTH_CHECKS): the dead connection is replaced.
    connection.close_if_unusable_or_obsolete()
    assert (User.objects.count(), Event.objects.count()) == (users, events)  # nothing was written
    again = client.post(SCIM_USERS, data=json.dumps(body), content_type="application/scim+json")
    assert again.status_code == 201
    assert User.objects.filter(username="ann@example.com").count() == 1


def _admin_connection():
    import psycopg

    s = connection.settings_dict
    return psycopg.connect(
        host=s["HOST"] or "127.0.0.1", port=s["PORT"] or 5432, user=s["USER"], dbname=s["NAME"], autocommit=True
    )
