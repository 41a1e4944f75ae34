"""The event log page: filters (event, outcome, actor, target, date range), keyset pages, and a failed
SSO sign-in's link to its diagnostics."""

import re
from datetime import UTC, datetime, timedelta

import pytest

from accounts.events import event_record
from accounts.models import Event
from console.event_log import PAGE_SIZE


@pytest.fixture
def admin_client(client, admin):
    client.force_login(admin)
    return client


def _names(page) -> list[str]:
    return re.findall(r'<code class="event-name">([^<]+)</code>', page.content.decode())


def _at(account, when: datetime, event: str = "thing", **fields):
    # The model, not event_record: these tests label events with names no layer declares.
    return Event.objects.create(account=account, event=event, time=when, **fields)


def test_filters_by_event_outcome_actor_target_and_dates(admin_client, account, make_account):
    day = datetime(2026, 11, 20, 12, tzinfo=UTC)
    _at(account, day, "sso_login_failure", actor="https://idp", target="bob@x.com", outcome="failure")
    _at(account, day - timedelta(days=3), "sso_login_success", actor="alice", target="alice@x.com")
    _at(account, day + timedelta(days=1), "scim_token_generate", actor="admin", target="sso_scim_ab")
    other, _ = make_account()
    _at(other, day, "sso_login_failure", actor="https://idp", target="bob@x.com", outcome="failure")
    cases = [
        ({"event": "sso_login_failure"}, ["sso_login_failure"]),
        ({"outcome": "success"}, ["scim_token_generate", "sso_login_success"]),
        ({"outcome": "failure"}, ["sso_login_failure"]),
        ({"actor": "ALI"}, ["sso_login_success"]),
        ({"target": "sso_scim"}, ["scim_token_generate"]),
        ({"from": "2026-11-20", "to": "2026-11-20"}, ["sso_login_failure"]),
        ({"from": "2026-11-21"}, ["scim_token_generate"]),
    ]
    for query, expected in cases:
        page = admin_client.get("/account/events/", query)
        assert page.status_code == 200
        found = [n for n in _names(page) if n in {"sso_login_failure", "sso_login_success", "scim_token_generate"}]
        assert found == expected, query


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"from": "20/11/2026"}, "Dates are YYYY-MM-DD (pick them with the date picker)."),
        ({"from": "2026-11-21", "to": "2026-11-20"}, "The “From” date is after the “To” date."),
    ],
)
def test_bad_dates_are_named(admin_client, query, message):
    page = admin_client.get("/account/events/", query)
    assert page.status_code == 400
    assert message in page.content.decode()


def test_date_pickers_and_labels(admin_client):
    html = admin_client.get("/account/events/").content.decode()
    assert '<input type="date" id="f-from" name="from"' in html
    assert '<input type="date" id="f-to" name="to"' in html
    for label in ("Event", "Outcome", "Actor", "Target", "From", "To"):
        assert f">{label}</label>" in html


def test_keyset_pages_walk_the_whole_log_once(admin_client, account):
    start = datetime(2026, 11, 1, tzinfo=UTC)
    Event.objects.filter(account=account).delete()
    total = PAGE_SIZE * 2 + 7
    for i in range(total):
        _at(account, start + timedelta(minutes=i // 2), f"e{i:03d}")  # pairs share a time: the id breaks ties
    seen, url = [], "/account/events/"
    while url:
        page = admin_client.get(url)
        seen += _names(page)
        match = re.search(r'href="(\?[^"]*before=[^"]+)" rel="next"', page.content.decode())
        url = "/account/events/" + match.group(1).replace("&amp;", "&") if match else ""
    assert len(seen) == total and len(set(seen)) == total
    assert seen == sorted(seen, reverse=True)
    # From the last page, "Newer" leads back to the page before it.
    newer = re.search(r'href="(\?[^"]*after=[^"]+)" rel="prev"', page.content.decode()).group(1)
    back = admin_client.get("/account/events/" + newer.replace("&amp;", "&"))
    assert _names(back) == seen[PAGE_SIZE : 2 * PAGE_SIZE]


def test_bad_cursor_shows_the_newest_and_says_so(admin_client, account):
    _at(account, datetime(2026, 11, 1, tzinfo=UTC), "only")
    page = admin_client.get("/account/events/", {"before": "!!not-a-cursor"})
    assert "That page link is not valid any more" in page.content.decode()
    assert "only" in _names(page)


def test_failed_sso_sign_in_links_to_its_diagnostics(admin_client, account):
    event_record(
        account=account,
        event="sso_login_failure",
        outcome="failure",
        reason="bad_signature",
        changes={"group": "jumpcloud", "reference": "ABC123"},
    )
    html = admin_client.get("/account/events/").content.decode()
    assert 'href="/account/sso/jumpcloud/failures#ref-ABC123"' in html


def test_empty_states_say_what_to_do(admin_client, account):
    Event.objects.filter(account=account).delete()
    assert "create an SSO group</a> to start" in admin_client.get("/account/events/").content.decode()
    assert "No events match these filters." in admin_client.get("/account/events/", {"actor": "x"}).content.decode()
