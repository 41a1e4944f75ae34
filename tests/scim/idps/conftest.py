"""Replaying an identity provider's requests as its own material publishes them: the body's exact bytes,
its Content-Type (or none, where the published request shows none) and its other headers.

Each test file under tests/scim/idps/ cites its source at the top and quotes the requests in it; the
only substitutions, made on the bytes just before sending, are the ids the IdP would have learnt from
earlier answers (the published ids are swapped for ours) and the bearer token.
"""

import json
from dataclasses import dataclass
from typing import Any

import pytest
from django.http import HttpResponse

from accounts.models import Event, User
from tests.scim.conftest import BASE, Scim


@dataclass(frozen=True)
class Wire:
    """One request as the IdP sends it. ``content_type=None``: the published request carries none."""

    method: str
    path: str  # below the SCIM base URL, with the query string exactly as sent
    body: str = ""
    content_type: str | None = None
    headers: tuple[tuple[str, str], ...] = ()

    def send(self, scim: Scim, swap: dict[str, str] | None = None, *, authorization: str | None = None) -> HttpResponse:
        """Send it over Django's test client; each published text in ``swap`` is replaced by ours first."""
        path, body = self.path, self.body
        for published, ours in (swap or {}).items():
            path, body = path.replace(published, ours), body.replace(published, ours)
        headers = dict(self.headers)
        headers["Authorization"] = authorization if authorization is not None else f"Bearer {scim.token}"
        # No Content-Type header reaches Django as an empty CONTENT_TYPE, as from a WSGI server.
        extra = {"CONTENT_TYPE": self.content_type or ""}
        return scim.client.generic(self.method, BASE + path, body.encode(), headers=headers, **extra)


def new_events(since: int) -> list[tuple[str, str, str, dict[str, Any]]]:
    """(event, outcome, target, changes) of every event after id ``since``, oldest first."""
    rows = Event.objects.filter(pk__gt=since).order_by("pk")
    return [(e.event, e.outcome, e.target, e.changes) for e in rows]


def last_event_id() -> int:
    last = Event.objects.order_by("-pk").first()
    return last.pk if last else 0


def body_of(response: HttpResponse) -> dict[str, Any]:
    assert response["Content-Type"] == "application/scim+json", response.content
    return json.loads(response.content)


def stored(scim_id: str) -> User:
    return User.objects.get(scim_id=scim_id)


@pytest.fixture
def mark():
    """Call it to note where the event log stands; ``mark.events()`` then lists what came after."""

    class Mark:
        since = 0

        def __call__(self) -> None:
            self.since = last_event_id()

        def events(self) -> list[tuple[str, str, str, dict[str, Any]]]:
            found = new_events(self.since)
            self.since = last_event_id()
            return found

    return Mark()
