"""The group's "SCIM requests" tab: filters, one request with both bodies, the event log's link, tenancy."""

import pytest
from django.test import Client

from accounts.models import Event
from scim.models import ScimRequestLog
from scim.request_log import request_log_flush
from tests.conftest import force_recent_login

from .conftest import USER_SCHEMA, patch_body

PASSWORD = "Sup3r-secret-pa55word"


@pytest.fixture
def traffic(scim):
    """A create, a lookup, a failed PATCH and a 409, logged."""
    user = scim.create_user("alice@example.com", password=PASSWORD)
    scim.get("/Users", {"filter": 'userName eq "alice@example.com"'})
    scim.patch(f"/Users/{user['id']}", patch_body({"op": "replace", "path": "active", "value": "maybe"}))
    scim.post("/Users", {"schemas": [USER_SCHEMA], "userName": "alice@example.com"})
    request_log_flush()
    return {row.method + str(row.status): row for row in ScimRequestLog.objects.all()}


@pytest.fixture
def admin_client(scim):
    client = Client()
    force_recent_login(client, scim.account.users.get(role="admin"))
    return client


def _page(client, url: str, **params) -> str:
    response = client.get(url, params)
    assert response.status_code == 200, response.status_code
    return response.content.decode().replace("<wbr>", "")


def test_the_tab_lists_every_request_newest_first_and_filters(scim, traffic, admin_client):
    url = f"/account/sso/{scim.group.slug}/scim-requests/"
    page = _page(admin_client, url)
    order = [page.index(f'id="req-{traffic[key].request_id}"') for key in ("POST409", "PATCH400", "GET200", "POST201")]
    assert order == sorted(order)
    assert 'aria-current="page">SCIM requests<' in page
    assert "user_update_provision" in page and PASSWORD not in page

    def shown(**params) -> set[str]:
        text = _page(admin_client, url, **params)
        return {key for key, row in traffic.items() if f'id="req-{row.request_id}"' in text}

    assert shown(method="PATCH") == {"PATCH400"}
    assert shown(status="4xx") == {"PATCH400", "POST409"}
    assert shown(status="2xx", method="GET") == {"GET200"}
    assert shown(userName="ALICE@") == {"POST201", "GET200", "POST409"}
    assert shown(path="filter=") == {"GET200"}
    assert shown(**{"from": "2999-01-01"}) == set()
    assert admin_client.get(url, {"from": "yesterday"}).status_code == 400


def test_one_request_shows_both_bodies_and_its_event(scim, traffic, admin_client):
    row = traffic["PATCH400"]
    page = _page(admin_client, f"/account/sso/{scim.group.slug}/scim-requests/{row.request_id}")
    assert 'id="request-body"' in page and 'id="response-body"' in page
    assert "&quot;op&quot;: &quot;replace&quot;" in page  # indented JSON, escaped
    assert "&quot;status&quot;: &quot;400&quot;" in page
    assert "user_update_provision" in page and "badge-bad" in page


def test_a_failed_provision_event_links_to_its_request(scim, traffic, admin_client):
    failure = Event.objects.get(event="user_update_provision", outcome="failure")
    events = _page(admin_client, "/account/events/")
    link = f"/account/scim-requests/{failure.request_id}"
    assert f'href="{link}"' in events
    response = admin_client.get(link)
    assert response.status_code == 302
    assert response["Location"] == f"/account/sso/{scim.group.slug}/scim-requests/{failure.request_id}"
    success = Event.objects.get(event="user_create_provision", outcome="success")
    assert f"/account/scim-requests/{success.request_id}" not in events


def test_another_account_sees_none_of_it(scim, traffic, other_scim):
    client = Client()
    force_recent_login(client, other_scim.account.users.get(role="admin"))
    row = traffic["POST201"]
    assert client.get(f"/account/sso/{scim.group.slug}/scim-requests/").status_code == 404
    assert client.get(f"/account/sso/{scim.group.slug}/scim-requests/{row.request_id}").status_code == 404
    assert client.get(f"/account/scim-requests/{row.request_id}").status_code == 404
    # Nor through its own group's tab.
    assert client.get(f"/account/sso/{other_scim.group.slug}/scim-requests/{row.request_id}").status_code == 404
    assert row.request_id not in client.get(f"/account/sso/{other_scim.group.slug}/scim-requests/").content.decode()


def test_the_empty_tab_says_what_to_do(scim, admin_client):
    page = _page(admin_client, f"/account/sso/{scim.group.slug}/scim-requests/")
    assert "No SCIM requests yet." in page and "Generate a SCIM token" in page


def test_the_group_page_and_diagnostics_show_the_tabs(scim, admin_client):
    for url in (f"/account/sso/{scim.group.slug}/", f"/account/sso/{scim.group.slug}/failures"):
        page = _page(admin_client, url)
        assert f'href="/account/sso/{scim.group.slug}/scim-requests/"' in page
