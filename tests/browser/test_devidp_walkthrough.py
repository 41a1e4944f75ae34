"""The README's "Try it with the development IdP" walkthrough, exactly as written, passes."""

import re
from pathlib import Path

import pytest

from accounts.models import User
from accounts.users import account_create
from ssogroups.models import SSOLoginFailure
from tests.browser.devidp_flow import ADMIN_EMAIL, ADMIN_PASSWORD, ALICE
from tests.browser.walkthrough import SCIM_CREATE, Shots, walkthrough

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_readme_walkthrough(sparksso, devidp, browser):
    account, _ = account_create(name="Demo", admin_email=ADMIN_EMAIL, admin_password=ADMIN_PASSWORD, plan="enterprise")
    result = walkthrough(
        browser, base=sparksso, idp=devidp.base_url, admin_email=ADMIN_EMAIL, admin_password=ADMIN_PASSWORD,
        shots=Shots(None),
    )  # fmt: skip
    assert (result["created"]["userName"], result["created"]["active"]) == (ALICE, True)
    alice = User.objects.get(account=account, username=ALICE)
    assert (alice.sso_group.slug, alice.first_name, alice.last_name) == ("devidp", "Alice", "Liddell")
    assert SSOLoginFailure.objects.get().reference == result["reference"]


def test_the_readme_shows_what_the_walkthrough_runs():
    """The README section and this test must not drift apart: same commands, same SCIM body, same screens."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = readme.split("## Try it with the development IdP", 1)[1].split("\n## ", 1)[0]
    assert "`make run`" in section and "`make idp`" in section
    assert "`http://127.0.0.1:8001/metadata`" in section
    assert f"-d '{SCIM_CREATE}'" in section
    shots = sorted(p.name for p in (Path(__file__).resolve().parents[2] / "docs" / "walkthrough").glob("*.png"))
    assert shots == sorted(re.findall(r"docs/walkthrough/([\w-]+\.png)", section))
    assert len(shots) == 10
