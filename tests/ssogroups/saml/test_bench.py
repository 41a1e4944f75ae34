"""The benchmarks keep running, and each one really does what it claims to time.

Tiny sizes only, and no timing is asserted: what matters is that every benchmark completes,
which means every timed sign-in answered 302 with a session and every SCIM request its
expected result (the benchmarks raise otherwise), and that the report names its baselines.
The subprocess runs are marked ``bench`` and left out of ``make test`` (run them with
``pytest -m bench``); tests/test_bench_smoke.py is the one bench run make test keeps.
"""

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.acs_http import SIGNERS, BenchmarkFailed, Runner
from bench.fixtures import tenant_create, users_bulk_create
from tests.support.keys import shared_keypair

ROOT = Path(__file__).resolve().parents[3]


def _bench(*args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SPARKSSO_VAR_DIR")}
    return subprocess.run(
        [sys.executable, "-m", "bench", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.mark.bench
def test_acs_validation_reports_both_modes():
    result = _bench("--only", "acs", "--iterations", "3", "--rounds", "1")
    assert result.returncode == 0, result.stderr
    assert "without schema cache (python3-saml as shipped)" in result.stdout
    assert "with schema cache" in result.stdout
    assert "baseline" in result.stdout


@pytest.mark.bench
def test_acs_http_signs_in_through_the_view_in_both_modes():
    result = _bench("--only", "http", "--requests", "2", "--rounds", "1", "--account-users", "300")
    assert result.returncode == 0, result.stderr
    assert "SP-initiated sign-in, account of 51 users" in result.stdout
    assert "account of 300 users" in result.stdout
    assert "XML validation alone" in result.stdout
    assert "SQL statements" in result.stdout


@pytest.mark.bench
def test_scim_lookups_with_and_without_indexes():
    result = _bench("--only", "scim", "--users", "300", "--lookups", "3", "--rounds", "1")
    assert result.returncode == 0, result.stderr
    assert "without accounts_user_username_ci_per_account (baseline)" in result.stdout
    assert "without accounts_useremail_value_ci (baseline)" in result.stdout
    assert "query plan with the index" in result.stdout
    assert "startIndex=201 (last page)" in result.stdout


@pytest.mark.bench
def test_bench_leaves_var_alone(tmp_path):
    """The benchmark never writes the developer's database or var/ directory."""
    db = ROOT / "var" / "db.sqlite3"
    before = db.stat().st_mtime_ns if db.exists() else None
    result = _bench("--only", "scim", "--users", "200", "--lookups", "1", "--rounds", "1")
    assert result.returncode == 0, result.stderr
    assert (db.stat().st_mtime_ns if db.exists() else None) == before


def test_a_failed_sign_in_stops_the_benchmark(db):
    """The check after each batch is not vacuous: a refused response (wrong key) aborts the run."""
    tenant = tenant_create("Refused")
    users_bulk_create(tenant=tenant, start=0, stop=SIGNERS)
    runner = Runner(tenant)
    runner.batch(runner.prepare(1), None)  # the real key signs in
    runner.tenant = dataclasses.replace(tenant, keys=shared_keypair("not the group's IdP"))
    with pytest.raises(BenchmarkFailed, match="did not redirect"):
        runner.batch(runner.prepare(1), None)
