"""The state directory (var/) and the secrets in it, private from the moment they exist.

var/ holds the generated secret_key and the SQLite database (password hashes, session keys): the
directory is created 0700 and each file 0600 by ``os.open`` with that mode, never written
world-readable first and ``chmod``-ed after (another local user could open it in between).
Standard library only: settings.py imports this before Django is set up.
"""

import os
import secrets
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600


def private_dir(path: Path) -> Path:
    """``path`` (and missing parents) created 0700; an existing directory is left as the operator made it."""
    if not path.exists():
        # mkdir's mode is filtered by the umask, which can only take bits away from 0700.
        path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    return path


def private_file_create(path: Path, content: str = "") -> bool:
    """Create ``path`` 0600 holding ``content``, atomically; False when it already existed.

    Written to a private temporary name and linked into place, so a second process starting at
    the same moment either wins the link or reads the complete file: never a half-written key.
    """
    if path.exists():
        return False
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(content)
        os.link(temporary, path)
    except FileExistsError:
        return False
    finally:
        temporary.unlink(missing_ok=True)
    return True


def secret_key_file(var_dir: Path) -> str:
    """The development SECRET_KEY, generated once into var/secret_key (0600) and kept."""
    key_file = private_dir(var_dir) / "secret_key"
    private_file_create(key_file, secrets.token_urlsafe(50))
    return key_file.read_text().strip()


def sqlite_file_prepare(database: dict, *, var_dir: Path) -> None:
    """Create a SQLite database file 0600 before SQLite does (it would use 0666 minus the umask).

    An empty file is a valid empty database; SQLite gives its -wal and -shm files the database
    file's permissions. In-memory databases and files in a missing directory outside var/ are
    left to SQLite (which then reports the problem itself).
    """
    name = str(database.get("NAME") or "")
    if not name or name == ":memory:" or name.startswith("file:"):
        return
    path = Path(name)
    if path.parent == var_dir:
        private_dir(var_dir)
    if path.parent.is_dir():
        private_file_create(path)
