"""Database sessions that write once per sign-in (SESSION_ENGINE).

Django's database store sends three statements where one will do when login() gives a session
its new key: a SELECT to check that the random key is unused, an INSERT of the key at once, and
the UPDATE with the session's data when the response is sent. Here the new key is inserted once,
with its data, when the response saves the session. A duplicate key is still refused: the INSERT
is ``must_create`` and raises CreateError, as Django's own does (32 characters from 36 are 165
bits: it does not happen).
"""

from django.contrib.sessions.backends.base import VALID_KEY_CHARS
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.utils.crypto import get_random_string


class SessionStore(DatabaseSessionStore):
    _key_unsaved = False  # cycle_key() chose a key that no row holds yet

    def _get_new_session_key(self) -> str:
        return get_random_string(32, VALID_KEY_CHARS)

    def cycle_key(self) -> None:
        """A new key for the same data (login() calls this), inserted by the next save()."""
        data = self._session
        old = self.session_key
        self._session_key = self._get_new_session_key()
        self._key_unsaved = True
        self._session_cache = data
        if old:
            self.delete(old)
        self.modified = True

    def save(self, must_create: bool = False) -> None:
        if self._key_unsaved:
            must_create = True
        super().save(must_create=must_create)
        self._key_unsaved = False
