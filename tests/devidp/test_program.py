"""`make idp` runs `python -m devidp`: it refuses production mode, keeps its key pair, and serves
its metadata on 127.0.0.1:$IDP_PORT."""

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from devidp.__main__ import MSG_PORT, MSG_PRODUCTION
from devidp.keys import keypair_ensure

ROOT = Path(__file__).resolve().parents[2]


def _run(env: dict[str, str], timeout: float = 20) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "devidp"],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize(
    "mode",
    [{"SPARKSSO_MODE": "production"}, {"SPARKSSO_MODE": "Production "}, {"SPARKSSO_MODE": "", "SECRET_KEY": "k"}],
)
def test_refuses_to_start_in_production_mode(tmp_path, mode):
    result = _run({**mode, "IDP_STATE_DIR": str(tmp_path), "IDP_PORT": str(_free_port())})
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.strip() == MSG_PRODUCTION
    assert list(tmp_path.iterdir()) == []  # no key pair generated either


@pytest.mark.parametrize("port", ["http", "0", "70000", "-1"])
def test_refuses_a_bad_port(tmp_path, port):
    result = _run({"SPARKSSO_MODE": "development", "IDP_STATE_DIR": str(tmp_path), "IDP_PORT": port})
    assert (result.returncode, result.stderr.strip()) == (2, MSG_PORT.format(value=port))


def test_serves_metadata_on_idp_port_and_keeps_its_key_pair(tmp_path):
    port = _free_port()
    env = {**os.environ, "SPARKSSO_MODE": "development", "IDP_PORT": str(port), "IDP_STATE_DIR": str(tmp_path)}
    process = subprocess.Popen(  # noqa: S603 (our own program)
        [sys.executable, "-m", "devidp"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout.readline().startswith(f"Development IdP on http://127.0.0.1:{port}/")
        body = b""
        for _ in range(50):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/metadata", timeout=5) as response:
                    body = response.read()
                break
            except OSError:
                time.sleep(0.1)
        assert f'entityID="http://127.0.0.1:{port}/metadata"'.encode() in body
    finally:
        process.terminate()
        process.wait(timeout=10)
        process.stdout.close()
        process.stderr.close()
    key = (tmp_path / "idp-key.pem").read_bytes()
    cert = (tmp_path / "idp-cert.pem").read_bytes()
    assert "".join(cert.decode().splitlines()[1:-1]).encode() in body.replace(b"\n", b"")
    assert (tmp_path / "idp-key.pem").stat().st_mode & 0o777 == 0o600
    # A second start (here: the same loader) reuses the pair instead of generating a new one.
    again = keypair_ensure(state_dir=tmp_path)
    assert (again.key_file.read_bytes(), again.cert_file.read_bytes()) == (key, cert)


def test_makefile_runs_it_on_8001_by_default():
    makefile = (ROOT / "Makefile").read_text()
    assert "IDP_PORT ?= 8001" in makefile
    assert "IDP_PORT=$(IDP_PORT) $(PY) -m devidp" in makefile
    assert "idp" in makefile.split(".PHONY:", 1)[1].splitlines()[0].split()


def test_product_code_never_imports_the_dev_idp_and_the_dev_idp_never_imports_tests():
    product = [p for app in ("sparksso", "accounts", "ssogroups", "scim") for p in (ROOT / app).rglob("*.py")]
    assert product, "no product modules found"
    importing = [
        str(p.relative_to(ROOT)) for p in product if re.search(r"^\s*(from|import) devidp\b", p.read_text(), re.M)
    ]
    assert importing == []
    devidp_modules = list((ROOT / "devidp").rglob("*.py"))
    assert [p.name for p in devidp_modules if re.search(r"^\s*(from|import) tests\b", p.read_text(), re.M)] == []
    assert all(len(p.read_text().splitlines()) < 400 for p in devidp_modules)
