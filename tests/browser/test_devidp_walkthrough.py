"""The README's "Try it with the development IdP" walkthrough, exactly as written, passes; every label,
ID and button it quotes is on the page its step shows; its screenshots are the ones the run takes."""

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from accounts.models import User
from accounts.users import account_create
from ssogroups.models import SSOLoginFailure
from tests.browser.devidp_flow import ADMIN_EMAIL, ADMIN_PASSWORD, ALICE
from tests.browser.walkthrough import GROUP_ID, SCIM_CREATE, Shots, walkthrough

ROOT = Path(__file__).resolve().parents[2]
# The origins the README's screenshots and words assume (`make run`, `make idp`, a fresh account).
README_BASE, README_IDP, README_ACCOUNT = "127.0.0.1:8000", "127.0.0.1:8001", "(account 1)"


def readme_section() -> str:
    readme = (ROOT / "README.md").read_text()
    return readme.split("## Try it with the development IdP", 1)[1].split("\n## ", 1)[0]


def readme_steps() -> dict[int, str]:
    """The numbered steps of the section, by number."""
    steps = readme_section().split("\n\n", 1)[1]
    steps = steps[steps.index("\n1. ") :].split("\n\nThe dev IdP's", 1)[0]
    steps = re.sub(r"```.*?```", "", steps, flags=re.DOTALL)  # commands, not pages
    items = re.split(r"^(\d+)\. ", steps, flags=re.MULTILINE)[1:]
    return {int(number): text for number, text in zip(items[::2], items[1::2], strict=True)}


def quoted(step: str) -> list[str]:
    """What a step tells the reader to find or type: **bold** buttons and links (its title, the first
    bold, is not on any page), *italic* labels and `code` values; commands, URLs and paths aside."""
    bold = re.findall(r"\*\*(.+?)\*\*", step)[1:]
    italic = re.findall(r"(?<![*\w])\*([^*\s][^*]*?)\*(?![*\w])", step)
    code = [c for c in re.findall(r"`([^`]+)`", step) if not c.startswith(("make ", "http", "/", "curl"))]
    return [q for q in bold + italic + code if "](" not in q]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_every_readme_step_quotes_only_what_is_on_its_pages_when_typed_as_written(sparksso, devidp, browser, tmp_path):
    account, _ = account_create(name="Demo", admin_email=ADMIN_EMAIL, admin_password=ADMIN_PASSWORD, plan="enterprise")
    shots = Shots(tmp_path)
    result = walkthrough(
        browser, base=sparksso, idp=devidp.base_url, admin_email=ADMIN_EMAIL, admin_password=ADMIN_PASSWORD,
        shots=shots,
    )  # fmt: skip
    assert (result["created"]["userName"], result["created"]["active"]) == (ALICE, True)
    alice = User.objects.get(account=account, username=ALICE)
    assert (alice.sso_group.slug, alice.first_name, alice.last_name) == (GROUP_ID, "Alice", "Liddell")
    assert SSOLoginFailure.objects.get().reference == result["reference"]

    # Every picture the README shows is one this run takes (`make screenshots` writes them all).
    assert sorted(shots.taken) == sorted(p.name for p in (ROOT / "docs" / "walkthrough").glob("*.png"))
    assert sorted(shots.taken) == sorted(p.name for p in tmp_path.glob("*.png"))

    # Steps 1 and 5 happen in terminals; every other step shows pages.
    assert sorted(shots.seen) == [2, 3, 4, 6, 7, 8]
    missing = {}
    for number in shots.seen:
        step = readme_steps()[number]
        pages = "\n".join(shots.seen.get(number, []))
        pages = pages.replace(urlsplit(sparksso).netloc, README_BASE).replace(
            urlsplit(devidp.base_url).netloc, README_IDP
        )
        pages = pages.replace(f"(account {account.pk})", README_ACCOUNT)
        absent = [q for q in quoted(step) if q not in pages]
        if absent:
            missing[number] = absent
    assert missing == {}, f"README steps quote words their pages do not show: {missing}"


def test_the_readme_shows_what_the_walkthrough_runs():
    """The README section and this test must not drift apart: same commands, same SCIM body, same screens."""
    section = readme_section()
    assert "`make run`" in section and "`make idp`" in section
    assert "`http://127.0.0.1:8001/metadata`" in section
    assert f"-d '{SCIM_CREATE}'" in section
    shots = sorted(p.name for p in (ROOT / "docs" / "walkthrough").glob("*.png"))
    assert shots == sorted(re.findall(r"docs/walkthrough/([\w-]+\.png)", section))
    assert len(shots) == 10
    # What the quoted words of the steps the pages check are: not nothing.
    steps = readme_steps()
    assert sorted(steps) == list(range(1, 9))
    assert {"Create New SSO Group +", "Dev IdP", GROUP_ID, "Enable", "Generate SCIM token"} <= {
        q for n in (2, 3, 4) for q in quoted(steps[n])
    }


def test_make_screenshots_regenerates_the_walkthrough_folder():
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^screenshots: .*\n\t.*-m tests\.browser\.screenshots --out docs/walkthrough", makefile, re.M)


def test_the_readme_says_which_commands_install_debian_packages():
    """Only `make test`, `make idp` (and the other dev targets) install Debian packages; `make run` none."""
    readme = (ROOT / "README.md").read_text()
    assert "Both commands install everything" not in readme
    assert re.search(r"`make run` installs no Debian package", readme)
