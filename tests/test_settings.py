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
