"""The public SCIM compliance checker (scim2-tester via scim2-cli) against a live server: all SUCCESS."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from scim.tokens import scim_token_create

SCIM2 = Path(sys.executable).parent / "scim2"
RESULT_RE = re.compile(r"^(SUCCESS|COMPLIANT|ACCEPTABLE|DEVIATION|ERROR|CRITICAL|SKIPPED) (\S+)", re.MULTILINE)


def _run_checker(base_url: str, token: str) -> subprocess.CompletedProcess:
    # The token goes through the environment, not argv (other users can read argv).
    env = {**os.environ, "SCIM_CLI_HEADERS": f"Authorization: Bearer {token}", "NO_COLOR": "1"}
    return subprocess.run(
        [str(SCIM2), "--url", base_url, "test"], env=env, capture_output=True, text=True, timeout=600, check=False
    )


@pytest.mark.django_db(transaction=True)
def test_scim2_tester_reports_every_check_success(live_server, make_account, make_ssogroup, settings):
    assert SCIM2.exists(), f"{SCIM2} missing: install requirements-dev.txt (scim2-cli is pinned there)"
    settings.BASE_URL = live_server.url
    account, admin = make_account()
    # The checker assigns every canonical role, admin included: this group's admin allows them all.
    group = make_ssogroup(account, scim_roles=["admin", "developer", "templates", "reporting"])
    _token, plaintext = scim_token_create(account=account, sso_group=group, label="compliance", created_by=admin)

    run = _run_checker(f"{live_server.url}/api/v1/users/scim/v2", plaintext)

    output = run.stdout + run.stderr
    results = RESULT_RE.findall(run.stdout)
    not_success = [line for line in run.stdout.splitlines() if RESULT_RE.match(line) and not line.startswith("SUCCESS")]
    assert run.returncode == 0, output
    assert len(results) > 100, output  # discovery, CRUD and PATCH checks for both resource types all ran
    assert not_success == [], output
    assert {"object_creation", "check_add_attribute", "check_remove_attribute", "check_replace_attribute",
            "search_with_attributes", "random_url"} <= {name for _status, name in results}, output  # fmt: skip
    assert plaintext not in output
