"""Production refuses to start, with one line naming the setting, when a backend is unusable.

Each case runs a real start in a subprocess: importing the WSGI application (what any WSGI
server does), gunicorn itself, and deploy/serve.sh. A missing client library is simulated with an
import blocker in that subprocess only (tests/sparksso/conftest.py), never by uninstalling it.
"""

import socket

import pytest

from tests.sparksso.production import REDIS_URL, ROOT, production_run

IMPORT_WSGI = ["python", "-c", "import sparksso.wsgi"]
REDIS_MISSING = (
    "sparksso cannot start: CACHE_URL: the cache backend django.core.cache.backends.redis.RedisCache"
    " cannot be loaded: No module named 'redis'"
)
PSYCOPG_MISSING = (
    "sparksso cannot start: DATABASE_URL: the database backend django.db.backends.postgresql"
    " cannot be loaded: Error loading psycopg2 or psycopg module"
)
EXIT_APP_LOAD_ERROR = 4


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def assert_one_line(result, expected: str) -> None:
    assert result.returncode == EXIT_APP_LOAD_ERROR, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [expected]


def test_missing_redis_client_stops_the_wsgi_application_with_one_line(tmp_path):
    result = production_run(tmp_path, IMPORT_WSGI, missing=("redis",), CACHE_URL=REDIS_URL)
    assert_one_line(result, REDIS_MISSING)


def test_unreachable_redis_host_is_named_without_its_password(tmp_path):
    port = closed_port()
    result = production_run(tmp_path, IMPORT_WSGI, CACHE_URL=f"redis://:hunter2-secret@127.0.0.1:{port}/1")
    assert result.returncode == EXIT_APP_LOAD_ERROR, result.stderr
    assert "Traceback" not in result.stderr
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(
        f"sparksso cannot start: CACHE_URL: the cache at redis://127.0.0.1:{port}/1 does not answer: "
    )
    assert "hunter2" not in line


def test_missing_postgresql_driver_is_named(tmp_path):
    result = production_run(
        tmp_path,
        IMPORT_WSGI,
        missing=("psycopg", "psycopg2"),
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/sparksso",
    )
    assert_one_line(result, PSYCOPG_MISSING)


def test_unreachable_database_is_named_without_its_password(tmp_path):
    port = closed_port()
    result = production_run(
        tmp_path, IMPORT_WSGI, DATABASE_URL=f"postgres://postgres:hunter2-secret@127.0.0.1:{port}/sparksso_x"
    )
    assert result.returncode == EXIT_APP_LOAD_ERROR, result.stderr
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(f"sparksso cannot start: DATABASE_URL: the database at 127.0.0.1:{port}/sparksso_x does not")
    assert "hunter2" not in line


def test_usable_backends_start(tmp_path):
    result = production_run(tmp_path, IMPORT_WSGI, CACHE_URL=REDIS_URL)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""


def test_development_mode_does_not_probe_at_import(tmp_path):
    """Development keeps starting as before (runserver shows errors per request, with debug pages)."""
    result = production_run(
        tmp_path, IMPORT_WSGI, missing=("redis",), SPARKSSO_MODE="development", CACHE_URL="redis://127.0.0.1:1/1"
    )
    assert result.returncode == 0, result.stderr


def test_gunicorn_halts_with_one_line_when_the_redis_client_is_missing(tmp_path):
    """A plain `gunicorn sparksso.wsgi` from the repository reads gunicorn.conf.py (preload): the
    application loads once, in the master, so the line is printed once and gunicorn exits 4."""
    port = closed_port()
    command = ["python", "-m", "gunicorn", "sparksso.wsgi", "--workers", "2", "--bind", f"127.0.0.1:{port}"]
    result = production_run(tmp_path, command, missing=("redis",), CACHE_URL=REDIS_URL)
    assert_one_line(result, REDIS_MISSING)


def test_serve_script_stops_before_serving_when_the_redis_client_is_missing(tmp_path):
    port = closed_port()
    result = production_run(
        tmp_path,
        ["bash", str(ROOT / "deploy" / "serve.sh")],
        missing=("redis",),
        CACHE_URL=REDIS_URL,
        BIND=f"127.0.0.1:{port}",
        WORKERS="2",
    )
    assert result.returncode == EXIT_APP_LOAD_ERROR, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [REDIS_MISSING]
    assert not (tmp_path / "staticfiles" / "css").exists()  # stopped before migrate and collectstatic


@pytest.mark.parametrize(
    "command",
    [
        ["python", "manage.py", "collectstatic", "--noinput", "-v0"],
        ["python", "manage.py", "check", "--deploy"],
    ],
    ids=["collectstatic", "check-deploy"],
)
def test_management_commands_need_no_backend(tmp_path, command):
    """collectstatic runs at build time, before any database or cache exists; check --deploy
    inspects settings only. Neither is stopped by the start-up probe."""
    result = production_run(tmp_path, command, missing=("redis",), CACHE_URL=REDIS_URL)
    assert result.returncode == 0, result.stderr
    assert "cannot start" not in result.stderr


def test_gunicorn_halts_with_one_line_on_an_http_base_url(tmp_path):
    """A settings refusal stops gunicorn like a backend refusal: one line, exit 4, no worker loop."""
    port = closed_port()
    command = ["python", "-m", "gunicorn", "sparksso.wsgi", "--workers", "2", "--bind", f"127.0.0.1:{port}"]
    result = production_run(tmp_path, command, SPARKSSO_MODE="", BASE_URL="http://sso.example.test")
    assert_one_line(
        result,
        "sparksso cannot start: BASE_URL is http:// in production (the default when SECRET_KEY is set), which "
        "sends session cookies without Secure; use https://, or set ALLOW_INSECURE_BASE_URL=true.",
    )
