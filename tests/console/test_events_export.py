"""The event log's JSON export: a streamed download, newest first like the page, with an optional
range (``since`` included, ``until`` excluded), read from the database a chunk at a time."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.db.models.signals import post_init

from accounts.models import Event
from accounts.selectors import EXPORT_CHUNK_ROWS, MSG_BAD_SINCE, MSG_BAD_UNTIL

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def admin_client(client, admin):
    client.force_login(admin)
    return client


def _at(account, when: datetime, event: str = "thing") -> Event:
    # The model, not event_record: these tests label events with names no layer declares.
    return Event.objects.create(account=account, event=event, time=when)


def _download(client, **query) -> tuple:
    response = client.get("/account/events/export.json", query)
    return response, json.loads(b"".join(response.streaming_content))["events"]


def test_it_downloads_as_a_file_newest_first(admin_client, account):
    Event.objects.filter(account=account).delete()
    for hours, name in [(0, "first"), (2, "third"), (1, "second")]:
        _at(account, T0 + timedelta(hours=hours), name)

    response, events = _download(admin_client)

    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"] == 'attachment; filename="events.json"'
    assert [e["event"] for e in events] == ["third", "second", "first"]
    assert events[0]["time"] == "2026-11-01T14:00:00Z"


def test_since_is_included_and_until_is_not(admin_client, account):
    for hours in range(5):
        _at(account, T0 + timedelta(hours=hours), f"h{hours}")
    _, events = _download(admin_client, since="2026-11-01T13:00:00Z", until="2026-11-01T15:00:00Z")
    assert [e["event"] for e in events] == ["h2", "h1"]
    _, events = _download(admin_client, since="2026-11-01T13:00:00Z", until="2026-11-01T15:00:00Z", event="h1")
    assert [e["event"] for e in events] == ["h1"]


@pytest.mark.parametrize(
    ("query", "message"),
    [({"since": "yesterday"}, MSG_BAD_SINCE), ({"until": "2026-11-01"}, MSG_BAD_UNTIL)],
)
def test_a_bad_moment_is_a_400_that_names_it(admin_client, query, message):
    response = admin_client.get("/account/events/export.json", query)
    assert response.status_code == 400
    assert response.json() == {"error": message}


def test_it_reads_one_chunk_of_rows_at_a_time(admin_client, account):
    """The first piece goes out after one chunk of events is built, not the whole log: a list()
    of the queryset would build every row before the first byte."""
    total = 3 * EXPORT_CHUNK_ROWS + 7
    Event.objects.bulk_create(Event(account=account, event="bulk", time=T0) for _ in range(total))
    built = []

    def count(sender, instance, **kwargs):
        built.append(1)

    post_init.connect(count, sender=Event)
    try:
        response = admin_client.get("/account/events/export.json", {"event": "bulk"})
        pieces = iter(response.streaming_content)
        assert next(pieces) == b'{"events": ['
        assert next(pieces).count(b'"event": "bulk"') == EXPORT_CHUNK_ROWS
        assert len(built) <= EXPORT_CHUNK_ROWS
        rest = b"".join(pieces)
    finally:
        post_init.disconnect(count, sender=Event)
    assert len(built) == total
    assert rest.endswith(b"]}")


def test_the_pages_export_link_carries_its_event_and_days(admin_client, account):
    page = admin_client.get("/account/events/", {"event": "thing", "from": "2026-11-01", "to": "2026-11-02"})
    expected = (
        "/account/events/export.json?event=thing&amp;since=2026-11-01T00%3A00%3A00Z&amp;until=2026-11-03T00%3A00%3A00Z"
    )
    assert f'href="{expected}"' in page.content.decode()
