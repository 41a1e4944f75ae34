"""Settings from the environment: production refuses a missing or short SECRET_KEY, passes check --deploy."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from sparksso.hostport import host_port_parse

ROOT = Path(__file__).resolve().parents[1]
SETUP = "import django; django.setup(); from django.conf import settings; print(settings.SESSION_COOKIE_SECURE)"
PROXY_HEADER = SETUP.replace("SESSION_COOKIE_SECURE", "SECURE_PROXY_SSL_HEADER")
GOOD_KEY = secrets.token_urlsafe(50)


# The subprocess starts from a clean slate: ours, and the browser tests' DJANGO_ALLOW_ASYNC_UNSAFE
# (which check --deploy rightly refuses) when they ran earlier in the same process.
OURS = (
    "SECRET_KEY",
    "SPARKSSO_MODE",
    "BASE_URL",
    "TRUSTED_PROXIES",
    "SECURE_HSTS_PRELOAD",
    "SECURE_SSL_REDIRECT",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
)


def run_setup(tmp_path, *args: str, code: str = SETUP, **env):
    base = {k: v for k, v in os.environ.items() if k not in OURS}
    env = {**base, "DJANGO_SETTINGS_MODULE": "sparksso.settings", "SPARKSSO_VAR_DIR": str(tmp_path), **env}
    command = [sys.executable, *args] if args else [sys.executable, "-c", code]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)


def test_production_refuses_to_start_without_secret_key(tmp_path):
    result = run_setup(tmp_path, SPARKSSO_MODE="production")
    assert result.returncode != 0
    assert "SECRET_KEY must be set when SPARKSSO_MODE=production." in result.stderr
    assert not (tmp_path / "secret_key").exists()


def test_production_starts_with_a_secret_key_and_https_cookies(tmp_path):
    result = run_setup(tmp_path, SPARKSSO_MODE="production", SECRET_KEY=GOOD_KEY, BASE_URL="https://sso.example.com")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"


def test_development_generates_a_key_once(tmp_path):
    assert run_setup(tmp_path).returncode == 0
    key = (tmp_path / "secret_key").read_text()
    assert len(key) >= 50
    assert run_setup(tmp_path).stdout.strip() == "False"
    assert (tmp_path / "secret_key").read_text() == key


def test_bad_base_url_is_refused(tmp_path):
    result = run_setup(tmp_path, BASE_URL="sso.example.com")
    assert result.returncode != 0
    assert "BASE_URL must be an absolute http(s) URL" in result.stderr


@pytest.mark.parametrize("key", ["x", "k" * 49, "ab" * 40])
def test_production_refuses_a_short_or_repetitive_secret_key(tmp_path, key):
    result = run_setup(tmp_path, SPARKSSO_MODE="production", SECRET_KEY=key, BASE_URL="https://sso.example.com")
    assert result.returncode != 0
    assert "SECRET_KEY must be at least 50 random characters when SPARKSSO_MODE=production." in result.stderr


def _check_deploy(tmp_path, **env):
    """`manage.py check --deploy --fail-level WARNING` in production mode with an https BASE_URL."""
    production = {"SPARKSSO_MODE": "production", "SECRET_KEY": GOOD_KEY, "BASE_URL": "https://sso.example.com"}
    return run_setup(tmp_path, "manage.py", "check", "--deploy", "--fail-level", "WARNING", **production, **env)


def test_check_deploy_is_clean_with_an_https_base_url(tmp_path):
    result = _check_deploy(tmp_path)
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_reports_hsts_preload_turned_off(tmp_path):
    """The setting is real: turning preload off is what check --deploy then reports (W021)."""
    result = _check_deploy(tmp_path, SECURE_HSTS_PRELOAD="0")
    assert result.returncode != 0
    assert "security.W021" in result.stderr


@pytest.mark.parametrize(("trusted", "header"), [("", "None"), ("1", "('HTTP_X_FORWARDED_PROTO', 'https')")])
def test_proxy_ssl_header_is_trusted_only_behind_trusted_proxies(tmp_path, trusted, header):
    env = {"SPARKSSO_MODE": "production", "SECRET_KEY": GOOD_KEY, "BASE_URL": "https://sso.example.com"}
    result = run_setup(tmp_path, code=PROXY_HEADER, TRUSTED_PROXIES=trusted, **env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == header


def test_a_malformed_trusted_proxies_is_refused(tmp_path):
    result = run_setup(tmp_path, TRUSTED_PROXIES="10.0.0.0/8,proxy.internal")
    assert result.returncode != 0
    assert "TRUSTED_PROXIES must be a number of proxy hops or comma-separated CIDRs; 'proxy.internal' is neither." in (
        result.stderr
    )


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DNS_RESOLVER": "dns.example.com:53"}, "DNS_RESOLVER must be an IP address with an optional port"),
        ({"DNS_RESOLVER": "127.0.0.1:99999"}, "DNS_RESOLVER must be an IP address with an optional port"),
        ({"DNS_TIMEOUT_SECONDS": "0"}, "DNS_TIMEOUT_SECONDS must be more than 0 and at most 30."),
    ],
)
def test_a_bad_dns_resolver_setting_stops_start_up(tmp_path, env, message):
    result = run_setup(tmp_path, **env)
    assert result.returncode != 0
    assert message in result.stderr


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("127.0.0.1:5353", ("127.0.0.1", 5353)),
        ("10.0.0.2", ("10.0.0.2", 53)),
        ("[::1]:8753", ("::1", 8753)),
        ("::1", ("::1", 53)),
    ],
)
def test_dns_resolver_addresses(value, expected):
    assert host_port_parse(value, default_port=53, name="DNS_RESOLVER") == expected


# --- safe by default (issue 25) ---------------------------------------------------------------

EXIT_APP_LOAD_ERROR = 4
# What a deployment serves: the production flags, and the headers of a real response.
SERVED = (
    "import django; django.setup(); from django.conf import settings; from django.test import Client; "
    "r = Client().get('/login', secure=True, HTTP_HOST='sso.example.com'); "
    "print(settings.MODE, settings.SSO_METADATA_ALLOW_PRIVATE_URLS, settings.SSO_METADATA_ALLOW_HTTP, "
    "r.status_code, r.get('Strict-Transport-Security'))"
)
INSECURE_BASE_URL = (
    "sparksso cannot start: BASE_URL is http:// in production{note}, which sends session cookies without "
    "Secure; use https://, or set ALLOW_INSECURE_BASE_URL=true."
)
IMPLIED = " (the default when SECRET_KEY is set)"


def assert_refused_in_one_line(result, line: str) -> None:
    assert result.returncode == EXIT_APP_LOAD_ERROR, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [line]


def test_a_secret_key_from_the_environment_means_production(tmp_path):
    """No SPARKSSO_MODE (gunicorn or cron started without serve.sh) but a real key: the SSRF guard
    is on, metadata must be https, and responses carry HSTS."""
    result = run_setup(tmp_path, code=SERVED, SECRET_KEY=GOOD_KEY, BASE_URL="https://sso.example.com")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "production False False 200 max-age=31536000; includeSubDomains; preload"


def test_without_a_secret_key_it_is_development(tmp_path):
    result = run_setup(tmp_path, code=SERVED, BASE_URL="https://sso.example.com")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "development True True 200 None"


def test_an_explicit_development_mode_wins_over_a_secret_key(tmp_path):
    env = {"SECRET_KEY": GOOD_KEY, "BASE_URL": "https://sso.example.com", "SPARKSSO_MODE": "development"}
    result = run_setup(tmp_path, code=SERVED, **env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "development True True 200 None"


def test_a_misspelled_mode_is_refused_in_one_line(tmp_path):
    result = run_setup(tmp_path, SPARKSSO_MODE="prod", SECRET_KEY=GOOD_KEY)
    assert_refused_in_one_line(
        result, "sparksso cannot start: SPARKSSO_MODE must be 'development' or 'production', not 'prod'."
    )


def test_an_implied_production_refuses_a_short_key_and_says_why(tmp_path):
    result = run_setup(tmp_path, SECRET_KEY="short", BASE_URL="https://sso.example.com")
    assert_refused_in_one_line(
        result,
        "sparksso cannot start: SECRET_KEY must be at least 50 random characters when SPARKSSO_MODE=production"
        f"{IMPLIED}.",
    )


@pytest.mark.parametrize(("mode", "note"), [("production", ""), ("", IMPLIED)], ids=["explicit", "implied"])
def test_production_refuses_an_http_base_url_in_one_line(tmp_path, mode, note):
    env = {"SPARKSSO_MODE": mode, "SECRET_KEY": GOOD_KEY, "BASE_URL": "http://sso.example.com"}
    result = run_setup(tmp_path, **env)
    assert_refused_in_one_line(result, INSECURE_BASE_URL.format(note=note))
    assert not (tmp_path / "db.sqlite3").exists()  # refused before anything was created


def test_allow_insecure_base_url_lets_production_start_on_http(tmp_path):
    env = {"SPARKSSO_MODE": "production", "SECRET_KEY": GOOD_KEY, "BASE_URL": "http://127.0.0.1:8280"}
    result = run_setup(tmp_path, ALLOW_INSECURE_BASE_URL="true", **env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"  # SESSION_COOKIE_SECURE: the operator asked for it


# Records every chmod the process makes (a CPython audit event), so the test can show the files
# were private from creation rather than tightened afterwards.
CHMOD_AUDIT = """
import os, sys

def _hook(event, args):
    if event == "os.chmod":
        with open(os.environ["CHMOD_LOG"], "a") as log:
            log.write(f"{args[0]}\\n")

sys.addaudithook(_hook)
"""
# Writes through a real connection, then lists var/ while it is open (SQLite removes -wal and -shm
# when the last connection closes).
CONNECT = (
    "import os, django; django.setup(); from django.conf import settings; from django.db import connection; "
    "connection.cursor().execute('CREATE TABLE t (x int)'); var = settings.VAR_DIR; "
    "print(f'var {os.stat(var).st_mode & 0o777:o}'); "
    "[print(n, f'{os.stat(var / n).st_mode & 0o777:o}') for n in sorted(os.listdir(var)) if n != 'staticfiles']"
)


def test_var_and_its_secrets_are_private_from_creation(tmp_path):
    """Under umask 000 (the worst case), with no chmod anywhere: var/ 0700, the key and the SQLite
    files (password hashes, session keys) 0600. Before: var/ 0755, db.sqlite3 0644, and the key
    written 0644 and then chmod-ed."""
    audit = tmp_path / "audit"
    audit.mkdir()
    (audit / "sitecustomize.py").write_text(CHMOD_AUDIT)
    var = tmp_path / "var"
    log = tmp_path / "chmod.log"
    base = {k: v for k, v in os.environ.items() if k not in OURS and k != "DATABASE_URL"}
    env = {
        **base,
        "DJANGO_SETTINGS_MODULE": "sparksso.settings",
        "SPARKSSO_VAR_DIR": str(var),
        "PYTHONPATH": str(audit),
        "CHMOD_LOG": str(log),
    }
    result = subprocess.run([sys.executable, "-c", CONNECT], cwd=ROOT, env=env, capture_output=True, text=True, umask=0)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "var 700",
        "db.sqlite3 600",
        "db.sqlite3-shm 600",
        "db.sqlite3-wal 600",
        "secret_key 600",
    ]
    assert not log.exists() or str(var) not in log.read_text()
