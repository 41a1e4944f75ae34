"""Backends of our own to break: a private redis-server and a private PostgreSQL cluster.

The fault run (``python -m bench.load --faults``, and the shorter one in ``make smoke``) stops,
restarts and kills these, never the shared 127.0.0.1:5432 and :6379 that everyone else uses. Each
runs from a temporary directory on a free loopback port and is removed with it. ``ok()`` is the
truth /healthz is checked against: a direct PING or ``SELECT 1``, apart from sparksso.
"""

import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

PG_BIN = Path(os.environ.get("SPARKSSO_PG_BIN", "/usr/lib/postgresql/15/bin"))
PG_USER = "postgres"  # initdb and postgres refuse to run as root: the cluster runs as this account


class BackendFailed(RuntimeError):
    """A private backend did not start (its log's tail is in the message)."""


def free_port(preferred: int) -> int:
    """``preferred`` when nothing listens there, else any free loopback port."""
    for port in (preferred, 0):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return s.getsockname()[1]
    raise BackendFailed("no free port")


def _wait(check, *, timeout: float, what: str, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
    raise BackendFailed(f"{what} did not answer within {timeout:.0f} s:\n{tail}")


@dataclass
class PrivateRedis:
    """redis-server on 127.0.0.1:port, no persistence; stop() is a real outage (the port closes)."""

    port: int
    workdir: Path
    process: subprocess.Popen | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, *, timeout: float = 20) -> "PrivateRedis":
        log = self.workdir / "redis.log"
        self.process = subprocess.Popen(  # noqa: S603 - a fixed command line
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
                "--logfile",
                str(log),
            ],  # fmt: skip
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _wait(self.ok, timeout=timeout, what=f"redis-server on {self.port}", log=log)
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def ok(self) -> bool:
        """PING answered PONG (a raw socket: the truth, not through any client library's pool)."""
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False


@dataclass
class PrivatePostgres:
    """A PostgreSQL cluster of our own (initdb in a temporary directory, trust on loopback)."""

    port: int
    workdir: Path

    @property
    def data(self) -> Path:
        return self.workdir / "data"

    @property
    def log(self) -> Path:
        return self.workdir / "postgres.log"

    def url(self, database: str = "postgres") -> str:
        return f"postgres://{PG_USER}@127.0.0.1:{self.port}/{database}"

    def _as_postgres(self, *command: str, check: bool = True) -> subprocess.CompletedProcess:
        prefix = [] if os.geteuid() != 0 else ["runuser", "-u", PG_USER, "--"]
        return subprocess.run(  # noqa: S603 - fixed binaries with our own arguments
            [*prefix, *command], capture_output=True, text=True, check=check, timeout=120
        )

    def _options(self) -> str:
        # Loopback only, its socket in its own directory; fsync off: a throwaway cluster.
        return f"-p {self.port} -k {self.workdir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"

    def start(self, *, timeout: float = 60) -> "PrivatePostgres":
        if os.geteuid() == 0:
            shutil.chown(self.workdir, user=PG_USER)
        if not self.data.exists():
            self._as_postgres(
                str(PG_BIN / "initdb"), "-D", str(self.data), "-A", "trust", "-U", PG_USER, "-E", "UTF8", "--no-sync"
            )
        self._as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-o", self._options(), "-l", str(self.log),
                          "-w", "-t", str(int(timeout)), "start")  # fmt: skip
        _wait(self.ok, timeout=timeout, what=f"PostgreSQL on {self.port}", log=self.log)
        return self

    def restart(self) -> None:
        """A fast restart: every open connection is terminated, then the server comes back."""
        self._as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-o", self._options(), "-l", str(self.log),
                          "-m", "fast", "-w", "restart")  # fmt: skip

    def stop_fast(self) -> None:
        """Stop as an operator's restart does (``-m fast``): open connections are terminated."""
        self._as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def stop(self) -> None:
        if self.data.exists():
            self._as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop",
                              check=False)  # fmt: skip

    def ok(self) -> bool:
        """``SELECT 1`` on a new connection answered (psycopg, apart from sparksso's connections)."""
        import psycopg

        try:
            with psycopg.connect(self.url(), connect_timeout=2) as conn:
                return conn.execute("SELECT 1").fetchone() == (1,)
        except psycopg.Error:
            return False

    def sql(self, statement: str, database: str = "postgres") -> None:
        import psycopg

        with psycopg.connect(self.url(database), autocommit=True) as conn:
            conn.execute(statement)


class Backends:
    """A private Redis and PostgreSQL in one temporary directory; removed on exit, whatever happened."""

    def __init__(self, *, redis_port: int = 6391, pg_port: int = 5491):
        # SPARKSSO_FAULTS_DIR: where a caller (deploy/smoke.sh) can find them to clean up after a kill.
        parent = os.environ.get("SPARKSSO_FAULTS_DIR") or None
        if parent:
            Path(parent).mkdir(parents=True, exist_ok=True)
        self.tmp = Path(tempfile.mkdtemp(prefix="sparksso-faults-", dir=parent))
        os.chmod(self.tmp, 0o755)  # the postgres account must reach its directory inside
        (self.tmp / "redis").mkdir()
        (self.tmp / "pg").mkdir()
        self.redis = PrivateRedis(free_port(redis_port), self.tmp / "redis")
        self.postgres = PrivatePostgres(free_port(pg_port), self.tmp / "pg")

    def __enter__(self) -> "Backends":
        try:
            self.redis.start()
            self.postgres.start()
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.redis.stop()
        self.postgres.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)
