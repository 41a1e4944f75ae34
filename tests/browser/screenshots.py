"""`make screenshots`: regenerate every image in docs/walkthrough/ from the real pages.

Starts sparksso (`manage.py runserver`, a fresh SQLite database in a temporary folder, the demo
account) on 127.0.0.1:8100 and the dev IdP on 127.0.0.1:8101, runs the README walkthrough
(tests/browser/walkthrough.py, which types what the README says) with screenshots, and stops both.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "walkthrough screenshots 1"


def _wait_for(url: str, process: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"screenshots: the server for {url} exited with {process.returncode}")
        try:
            urllib.request.urlopen(url, timeout=2)  # noqa: S310 (our own loopback server)
            return
        except urllib.error.HTTPError:
            return  # it answers
        except OSError:
            time.sleep(0.3)
    sys.exit(f"screenshots: nothing answered at {url}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "walkthrough")
    parser.add_argument("--port", type=int, default=8100)
    parser.add_argument("--idp-port", type=int, default=8101)
    args = parser.parse_args()
    base, idp = f"http://127.0.0.1:{args.port}", f"http://127.0.0.1:{args.idp_port}"
    with tempfile.TemporaryDirectory(prefix="sparksso-shots-") as tmp:
        env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "CACHE_URL", "SECRET_KEY"}}
        env.update(
            SPARKSSO_MODE="development", SPARKSSO_VAR_DIR=f"{tmp}/var", BASE_URL=base,
            DEMO_ADMIN_PASSWORD=PASSWORD, IDP_PORT=str(args.idp_port), IDP_STATE_DIR=f"{tmp}/devidp",
        )  # fmt: skip
        python = sys.executable
        subprocess.run(
            [python, "manage.py", "migrate", "--noinput"], cwd=ROOT, env=env, check=True, capture_output=True
        )  # noqa: S603
        subprocess.run([python, "manage.py", "demo_setup"], cwd=ROOT, env=env, check=True, capture_output=True)  # noqa: S603
        servers = [
            subprocess.Popen(  # noqa: S603
                [python, "manage.py", "runserver", "--noreload", f"127.0.0.1:{args.port}"],
                cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            ),
            subprocess.Popen(  # noqa: S603
                [python, "-m", "devidp"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            ),
        ]  # fmt: skip
        try:
            _wait_for(f"{base}/login", servers[0])
            _wait_for(f"{idp}/metadata", servers[1])
            from playwright.sync_api import sync_playwright

            from tests.browser.conftest import CHROMIUM, FLAGS
            from tests.browser.walkthrough import Shots, walkthrough

            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
                shots = Shots(args.out)
                walkthrough(
                    browser, base=base, idp=idp, admin_email="admin@example.com", admin_password=PASSWORD,
                    shots=shots,
                )  # fmt: skip
                browser.close()
        finally:
            for server in servers:
                server.terminate()
                server.wait(timeout=10)
    print(f"screenshots: {len(shots.taken)} images written to {args.out}")


if __name__ == "__main__":
    main()
