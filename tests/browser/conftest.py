"""Headless Debian Chromium driven by Playwright (never `playwright install`: no browser downloads)."""

import os
import re
import shutil
import sys
import threading
from pathlib import Path

import pytest
from playwright.sync_api import Error as PlaywrightError

from devidp.server import server_make

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

# Playwright's sync API runs an event loop in this thread; live_server's ORM calls are safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser():
    if not shutil.which(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: run `make bootstrap` as root (it installs Debian's chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


def sign_in(page, base_url: str, identifier: str, password: str) -> None:
    """Through the real two-step login form, as a person does it."""
    page.goto(f"{base_url}/login")
    page.get_by_label("Email or username").fill(identifier)
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base_url}/")


@pytest.fixture
def devidp(tmp_path):
    """The dev IdP, served by its own server code on a free loopback port (fresh keys and state)."""
    server, app = server_make(port=0, state_dir=tmp_path / "devidp")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield app
    server.shutdown()
    server.server_close()


@pytest.fixture
def sparksso(live_server, settings):
    """The app on http://localhost:<port>, allowed to fetch the dev IdP's http loopback metadata."""
    assert live_server.url.startswith("http://localhost:")
    settings.BASE_URL = live_server.url
    # What development mode defaults to; set here so the tests do not depend on the defaults.
    settings.SSO_METADATA_ALLOW_PRIVATE_URLS = True
    settings.SSO_METADATA_ALLOW_HTTP = True
    return live_server.url


@pytest.fixture
def devidp_setup(sparksso, devidp, browser):
    """An enterprise account whose admin connected the dev IdP and generated a SCIM token."""
    from accounts.users import account_create
    from tests.browser.devidp_flow import ADMIN_EMAIL, ADMIN_PASSWORD, admin_connects_devidp

    account_create(name="Demo", admin_email=ADMIN_EMAIL, admin_password=ADMIN_PASSWORD, plan="enterprise")
    admin = browser.new_context()
    admin_page = admin.new_page()
    admin_page.set_default_timeout(15000)
    setup = admin_connects_devidp(admin_page, sparksso, devidp)
    admin.close()
    return setup


# --- On failure: a screenshot and the HTML of every open page, in a folder the output names. ---

ARTIFACTS_DIR = Path(__file__).resolve().parents[2] / "var" / "test-artifacts"


def artifacts_write(browser, directory: Path) -> list[Path]:
    """Screenshot and HTML of every page open in ``browser``; the files written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for c, context in enumerate(browser.contexts):
        for p, page in enumerate(context.pages):
            stem = directory / f"context{c}-page{p}"
            try:
                page.screenshot(path=f"{stem}.png", full_page=True)
                written.append(Path(f"{stem}.png"))
                Path(f"{stem}.html").write_text(f"<!-- {page.url} -->\n{page.content()}")
                written.append(Path(f"{stem}.html"))
            except PlaywrightError as exc:  # a crashed or closed page: say so, keep the rest
                Path(f"{stem}.error.txt").write_text(f"{page.url}\n{exc}\n")
                written.append(Path(f"{stem}.error.txt"))
    return written


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Before the failure report is built (pages are still open): save them and name the folder."""
    browser = item.funcargs.get("browser") if hasattr(item, "funcargs") else None
    if call.when == "call" and call.excinfo is not None and browser is not None:
        directory = ARTIFACTS_DIR / re.sub(r"[^A-Za-z0-9_.-]+", "_", item.nodeid)
        written = artifacts_write(browser, directory)
        message = f"browser artifacts ({len(written)} files): {directory}"
        item.add_report_section("call", "browser artifacts", message)
        sys.stderr.write(f"\n{message}\n")
    yield
