"""gunicorn servers for the live benchmarks: sparksso in production mode and the two peers, in one shape.

Every server is ``gunicorn -k gthread`` on 127.0.0.1 with keep-alive; sparksso runs from the
project's venv, the peers from their own (var/bench-peers-venv, built from
bench/peers/requirements.txt the first time and whenever that file changes).
"""

import hashlib
import os
import secrets
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PEERS = ROOT / "bench" / "peers"
PEERS_VENV = ROOT / "var" / "bench-peers-venv"
PEERS_REQUIREMENTS = PEERS / "requirements.txt"
BASE_PORT = int(os.environ.get("SPARKSSO_BENCH_PORT", "8300"))
PORTS = {
    "sparksso": BASE_PORT,
    "scim_peer": BASE_PORT + 1,
    "saml_peer": BASE_PORT + 2,
    "floor": BASE_PORT + 3,
    "djsaml_peer": BASE_PORT + 4,
}


class ServerFailed(RuntimeError):
    """A server did not start (its log's tail is in the message)."""


def peers_python() -> Path:
    """The peers' interpreter, creating or refreshing their venv when the pinned list changed."""
    python = PEERS_VENV / "bin" / "python"
    stamp = PEERS_VENV / ".requirements-sha256"
    wanted = hashlib.sha256(PEERS_REQUIREMENTS.read_bytes()).hexdigest()
    if python.exists() and stamp.exists() and stamp.read_text() == wanted:
        return python
    print("Creating the peers' venv in var/bench-peers-venv (django-scim2, python3-saml, djangosaml2) ...", flush=True)
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(PEERS_VENV)], check=True)
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", "-r", str(PEERS_REQUIREMENTS)],
        check=True,
    )
    stamp.write_text(wanted)
    return python


def peer_manage(*args: str, env: dict[str, str], settings: str = "scim_peer.settings") -> str:
    """Run a peer's manage.py (the django-scim2 peer's by default) with the peers' venv; returns its stdout."""
    result = subprocess.run(
        [str(peers_python()), "manage.py", *args],
        cwd=PEERS,
        env={**os.environ, **env, "DJANGO_SETTINGS_MODULE": settings},
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise ServerFailed(f"peer manage.py {' '.join(args)} failed:\n{result.stderr[-2000:]}")
    return result.stdout


@dataclass
class Server:
    """One gunicorn master and its workers."""

    name: str
    port: int
    command: list[str]
    cwd: Path
    env: dict[str, str]
    log: Path
    process: subprocess.Popen | None = field(default=None, repr=False)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, *, timeout: float = 60) -> "Server":
        self.log.parent.mkdir(parents=True, exist_ok=True)
        out = self.log.open("ab")
        self.process = subprocess.Popen(self.command, cwd=self.cwd, env=self.env, stdout=out, stderr=out)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ServerFailed(f"{self.name} exited ({self.process.returncode}):\n{self._tail()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                if self.workers():
                    return self
            except OSError:
                pass
            time.sleep(0.1)
        self.stop()
        raise ServerFailed(f"{self.name} did not listen on {self.port} within {timeout:.0f} s:\n{self._tail()}")

    def _tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""

    def workers(self) -> list[int]:
        """The worker processes' ids (children of the master)."""
        if self.process is None:
            return []
        try:
            children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text()
        except OSError:
            return []
        return [int(p) for p in children.split()]

    def peak_rss_mb(self) -> list[float]:
        """Each worker's peak resident memory so far (VmHWM), in MB."""
        peaks = []
        for pid in self.workers():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            for line in status.splitlines():
                if line.startswith("VmHWM:"):
                    peaks.append(int(line.split()[1]) / 1024)
        return peaks

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def __enter__(self) -> "Server":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def _gunicorn(python: Path, app: str, port: int, *, workers: int, threads: int) -> list[str]:
    return [
        str(python), "-m", "gunicorn", app,
        "--bind", f"127.0.0.1:{port}",
        "--workers", str(workers),
        "--worker-class", "gthread",
        "--threads", str(threads),
        "--keep-alive", "30",
        "--backlog", "256",
        "--graceful-timeout", "5",
        "--access-logfile", "-" if os.environ.get("SPARKSSO_BENCH_ACCESS_LOG") else "/dev/null",
        "--no-control-socket",
    ]  # fmt: skip


def sparksso_server(
    *, database_url: str, var_dir: Path, workers: int = 1, threads: int = 4, cache_url: str = ""
) -> Server:
    """sparksso in production mode (SPARKSSO_MODE=production, DEBUG off, persistent connections)."""
    port = PORTS["sparksso"]
    env = {
        **os.environ,
        "SPARKSSO_MODE": "production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "BASE_URL": f"http://127.0.0.1:{port}",
        "ALLOW_INSECURE_BASE_URL": "true",  # loopback http: production refuses it otherwise
        "DATABASE_URL": database_url,
        "SPARKSSO_VAR_DIR": str(var_dir),
        "LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "sparksso.settings",
    }
    env.pop("CACHE_URL", None)
    if cache_url:
        env["CACHE_URL"] = cache_url
    command = _gunicorn(Path(sys.executable), "sparksso.wsgi:application", port, workers=workers, threads=threads)
    return Server("sparksso", port, command, ROOT, env, var_dir / "logs" / "sparksso.log")


def scim_peer_server(*, peer_env: dict[str, str], var_dir: Path, threads: int = 4) -> Server:
    port = PORTS["scim_peer"]
    env = {**os.environ, **peer_env, "DJANGO_SETTINGS_MODULE": "scim_peer.settings"}
    command = _gunicorn(peers_python(), "scim_peer.wsgi:application", port, workers=1, threads=threads)
    return Server("django-scim2", port, command, PEERS, env, var_dir / "logs" / "scim_peer.log")


def saml_peer_server(*, settings_json: Path, var_dir: Path, threads: int = 4) -> Server:
    port = PORTS["saml_peer"]
    env = {**os.environ, "PEER_SAML_SETTINGS": str(settings_json)}
    command = _gunicorn(peers_python(), "saml_peer:application", port, workers=1, threads=threads)
    return Server("python3-saml SP", port, command, PEERS, env, var_dir / "logs" / "saml_peer.log")


def floor_server(*, responses_json: Path, var_dir: Path, threads: int = 4) -> Server:
    """The floor: bare Django (no middleware, no database) answering sparksso's recorded bytes."""
    port = PORTS["floor"]
    env = {**os.environ, "FLOOR_RESPONSES": str(responses_json), "DJANGO_SETTINGS_MODULE": "floor.settings"}
    command = _gunicorn(peers_python(), "floor.wsgi:application", port, workers=1, threads=threads)
    return Server("floor", port, command, PEERS, env, var_dir / "logs" / "floor.log")


def djsaml_peer_server(*, peer_env: dict[str, str], settings_json: Path, var_dir: Path, threads: int = 4) -> Server:
    """djangosaml2 on the django-scim2 peer's database (the same loaded users), database sessions."""
    port = PORTS["djsaml_peer"]
    env = {
        **os.environ,
        **peer_env,
        "PEER_DJSAML_SETTINGS": str(settings_json),
        "DJANGO_SETTINGS_MODULE": "djsaml_peer.settings",
    }
    command = _gunicorn(peers_python(), "djsaml_peer.wsgi:application", port, workers=1, threads=threads)
    return Server("djangosaml2", port, command, PEERS, env, var_dir / "logs" / "djsaml_peer.log")
