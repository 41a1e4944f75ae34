"""What the dev IdP remembers: SPs it has seen and recent users (kept in a JSON file across
restarts), plus pending AuthnRequests and console sign-ins (in memory, short-lived)."""

import json
import re
import secrets
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import urlsplit

from devidp.saml import Person

RECENT_USERS = 8
PENDING_TTL_SECONDS = 600
MAX_PENDING = 1000
_OUR_SP = re.compile(r"^/api/v1/users/saml/(?P<account>\d+)/(?P<slug>[^/]+)/metadata$")


@dataclass(frozen=True)
class Pending:
    """An AuthnRequest waiting for the person to choose who signs in."""

    sp_entity_id: str
    acs_url: str
    request_id: str
    relay_state: str
    created: float


def sp_label(entity_id: str) -> str:
    """A tile's title: "<slug> (account <id>) on <host>" for a sparksso group, else the entity ID."""
    parts = urlsplit(entity_id)
    match = _OUR_SP.match(parts.path)
    if match:
        return f"{match['slug']} (account {match['account']}) on {parts.netloc}"
    return entity_id


class Store:
    """Thread-safe: the server answers requests on several threads."""

    def __init__(self, state_dir: Path) -> None:
        self._file = state_dir / "state.json"
        self._lock = threading.Lock()
        self._pending: dict[str, Pending] = {}
        self._sessions: dict[str, Person] = {}
        self._sps: dict[str, dict] = {}
        self._users: list[dict] = []
        if self._file.exists():
            try:
                saved = json.loads(self._file.read_text())
                self._sps = dict(saved.get("sps", {}))
                self._users = list(saved.get("users", []))[:RECENT_USERS]
            except (ValueError, AttributeError, TypeError):
                pass  # a damaged state file only loses the tiles and recent users

    def _save(self) -> None:
        tmp = self._file.with_suffix(".tmp")
        tmp.write_text(json.dumps({"sps": self._sps, "users": self._users}, indent=2))
        tmp.replace(self._file)

    def sp_seen(self, entity_id: str) -> None:
        with self._lock:
            self._sps[entity_id] = {"entity_id": entity_id, "label": sp_label(entity_id), "last_seen": time.time()}
            self._save()

    def sps(self) -> list[dict]:
        """SPs seen, most recently used first."""
        with self._lock:
            return sorted(self._sps.values(), key=lambda sp: -sp["last_seen"])

    def sp_known(self, entity_id: str) -> bool:
        with self._lock:
            return entity_id in self._sps

    def user_used(self, person: Person) -> None:
        with self._lock:
            self._users = [asdict(person)] + [u for u in self._users if u["email"].lower() != person.email.lower()]
            self._users = self._users[:RECENT_USERS]
            self._save()

    def users(self) -> list[Person]:
        with self._lock:
            return [Person(**u) for u in self._users]

    def pending_add(self, pending: Pending) -> str:
        key = secrets.token_urlsafe(16)
        with self._lock:
            now = time.time()
            for old in [k for k, p in self._pending.items() if now - p.created > PENDING_TTL_SECONDS]:
                del self._pending[old]
            if len(self._pending) >= MAX_PENDING:
                del self._pending[next(iter(self._pending))]
            self._pending[key] = pending
        return key

    def pending_take(self, key: str) -> Pending | None:
        """The pending request, removed so it is answered once; None if unknown or expired."""
        with self._lock:
            pending = self._pending.pop(key, None)
        if pending is None or time.time() - pending.created > PENDING_TTL_SECONDS:
            return None
        return pending

    def session_start(self, person: Person) -> str:
        key = secrets.token_urlsafe(24)
        with self._lock:
            self._sessions[key] = person
        return key

    def session_get(self, key: str) -> Person | None:
        with self._lock:
            return self._sessions.get(key)

    def session_end(self, key: str) -> None:
        with self._lock:
            self._sessions.pop(key, None)

    def session_end_person(self, email: str) -> None:
        """End every dev IdP session of the person (Single Logout names her by NameID, not by cookie)."""
        with self._lock:
            for key in [k for k, person in self._sessions.items() if person.email.lower() == email.lower()]:
                del self._sessions[key]
