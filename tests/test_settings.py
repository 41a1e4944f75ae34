"""Settings from the environment: production refuses to start without a SECRET_KEY."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SETUP = "import django; django.setup(); from django.conf import settings; print(settings.SESSION_COOKIE_SECURE)"


def run_setup(tmp_path, **env):
    base = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "SPARKSSO_MODE", "BASE_URL")}
    env = {**base, "DJANGO_SETTINGS_MODULE": "sparksso.settings", "SPARKSSO_VAR_DIR": str(tmp_path), **env}
    return subprocess.run([sys.executable, "-c", SETUP], cwd=ROOT, env=env, capture_output=True, text=True)


def test_production_refuses_to_start_without_secret_key(tmp_path):
    result = run_setup(tmp_path, SPARKSSO_MODE="production")
    assert result.returncode != 0
    assert "SECRET_KEY must be set when SPARKSSO_MODE=production." in result.stderr
    assert not (tmp_path / "secret_key").exists()


def test_production_starts_with_a_secret_key_and_https_cookies(tmp_path):
    result = run_setup(tmp_path, SPARKSSO_MODE="production", SECRET_KEY="x" * 50, BASE_URL="https://sso.example.com")
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
