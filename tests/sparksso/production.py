"""Run sparksso in a subprocess the way an operator starts it: production mode, env-only config.

A helper module rather than conftest.py fixtures: each test passes its own tmp_path.
"""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SECRET = "smoke-test-only-key-" + "0123456789abcdef" * 3  # 68 characters, not a real secret
# The Redis server the production-mode tests use (CI starts one on 6379 when it is down).
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/1")
# Simulates an environment where the Redis client is not installed (without uninstalling it from
# the shared venv): `import redis` fails exactly as it would, with ModuleNotFoundError.
BLOCKER = '''
import sys

class _Missing:
    """Pretend these top-level packages are not installed."""

    BLOCKED = {names!r}

    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in self.BLOCKED:
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
        return None

sys.meta_path.insert(0, _Missing())
'''
# Variables of the caller's environment that would change what the subprocess configures
# (browser tests set DJANGO_ALLOW_ASYNC_UNSAFE in this process, which check --deploy refuses).
CONFIG_VARS = ("SECRET_KEY", "SPARKSSO_MODE", "BASE_URL", "DATABASE_URL", "CACHE_URL", "LOG_FORMAT", "LOG_LEVEL",
               "TRUSTED_PROXIES", "DJANGO_ALLOW_ASYNC_UNSAFE")  # fmt: skip


def production_env(tmp_path: Path, **env: str) -> dict[str, str]:
    """The environment of a production start in ``tmp_path``: ``env`` over the defaults below."""
    (tmp_path / "staticfiles").mkdir(exist_ok=True)
    base = {k: v for k, v in os.environ.items() if k not in CONFIG_VARS and not k.startswith("PYTEST")}
    return {
        **base,
        "DJANGO_SETTINGS_MODULE": "sparksso.settings",
        "SPARKSSO_MODE": "production",
        "SECRET_KEY": SECRET,
        "BASE_URL": "https://sso.example.test",
        "SPARKSSO_VAR_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "CACHE_URL": "locmemcache://",
        "PYTHON": sys.executable,
        **env,
    }


def production_run(
    tmp_path: Path, command: list[str], *, missing: tuple[str, ...] = (), timeout: int = 120, **env: str
):
    """Run ``command`` in production mode in the repo, configured only by ``env`` over defaults.

    A command starting with "python" runs with this interpreter (serve.sh reads $PYTHON too);
    ``missing`` names top-level packages the subprocess cannot import.
    """
    full = production_env(tmp_path, **env)
    if missing:
        blocker_dir = tmp_path / "blocker"
        blocker_dir.mkdir(exist_ok=True)
        (blocker_dir / "sitecustomize.py").write_text(BLOCKER.format(names=set(missing)))
        full["PYTHONPATH"] = str(blocker_dir)
    return subprocess.run(
        [sys.executable, *command[1:]] if command[0] == "python" else command,
        cwd=ROOT,
        env=full,
        capture_output=True,
        text=True,
        timeout=120,
    )
