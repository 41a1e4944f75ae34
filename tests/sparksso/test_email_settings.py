"""Email settings (ssogroups_check's warnings): EMAIL_URL or EMAIL_HOST and friends, console in
development, SMTP in production; a bad EMAIL_URL stops start-up in one line."""

import json

import pytest

from tests.test_settings import GOOD_KEY, run_setup

EMAIL = (
    "import django, json; django.setup(); from django.conf import settings as s; print(json.dumps({k: getattr(s, k) "
    "for k in ('EMAIL_BACKEND', 'EMAIL_HOST', 'EMAIL_PORT', 'EMAIL_HOST_USER', 'EMAIL_HOST_PASSWORD', "
    "'EMAIL_USE_TLS', 'EMAIL_USE_SSL', 'DEFAULT_FROM_EMAIL')}))"
)
SMTP = "django.core.mail.backends.smtp.EmailBackend"
CONSOLE = "django.core.mail.backends.console.EmailBackend"
CLEAR = dict.fromkeys(("EMAIL_URL", "EMAIL_HOST", "DEFAULT_FROM_EMAIL"), "")


def email_settings(tmp_path, **env) -> dict:
    result = run_setup(tmp_path, code=EMAIL, **{**CLEAR, **env})
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_development_prints_mail_to_the_console(tmp_path):
    found = email_settings(tmp_path)
    assert (found["EMAIL_BACKEND"], found["DEFAULT_FROM_EMAIL"]) == (CONSOLE, "sparksso <noreply@127.0.0.1>")


def test_production_sends_through_smtp(tmp_path):
    found = email_settings(tmp_path, SECRET_KEY=GOOD_KEY, BASE_URL="https://sso.example.com")
    assert (found["EMAIL_BACKEND"], found["EMAIL_HOST"], found["EMAIL_PORT"]) == (SMTP, "localhost", 25)
    assert found["DEFAULT_FROM_EMAIL"] == "sparksso <noreply@sso.example.com>"


def test_email_url_sets_the_smtp_server(tmp_path):
    found = email_settings(
        tmp_path, EMAIL_URL="smtp+tls://alerts:p%40ss@mail.example.com:587", DEFAULT_FROM_EMAIL="sso@example.com"
    )
    assert found == {
        "EMAIL_BACKEND": SMTP,
        "EMAIL_HOST": "mail.example.com",
        "EMAIL_PORT": 587,
        "EMAIL_HOST_USER": "alerts",
        "EMAIL_HOST_PASSWORD": "p@ss",
        "EMAIL_USE_TLS": True,
        "EMAIL_USE_SSL": False,
        "DEFAULT_FROM_EMAIL": "sso@example.com",
    }


def test_email_host_in_development_sends_through_smtp(tmp_path):
    found = email_settings(tmp_path, EMAIL_HOST="mail.example.com", EMAIL_PORT="2525", EMAIL_USE_TLS="true")
    assert (found["EMAIL_BACKEND"], found["EMAIL_HOST"], found["EMAIL_PORT"], found["EMAIL_USE_TLS"]) == (
        SMTP,
        "mail.example.com",
        2525,
        True,
    )


@pytest.mark.parametrize("url", ["http://mail.example.com", "mail.example.com:25"])
def test_a_bad_email_url_stops_start_up_in_one_line(tmp_path, url):
    result = run_setup(tmp_path, code=EMAIL, **{**CLEAR, "EMAIL_URL": url})
    assert result.returncode == 4
    assert result.stderr.strip().splitlines()[-1] == (
        "sparksso cannot start: EMAIL_URL must start with smtp://, smtp+tls://, smtps://, consolemail:// or "
        "filemail://."
    )
