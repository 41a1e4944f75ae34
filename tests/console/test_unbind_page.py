"""Unbinding a user from her SSO group (issue 24): the users page links to a page that says what
stops working; only its button, a POST, unbinds."""

import pytest
from django.utils.html import escape

from accounts.models import Event, User
from console import bind_views
from tests.conftest import force_recent_login


@pytest.fixture
def admin_client(client, admin):
    force_recent_login(client, admin)
    return client


@pytest.fixture
def carol(account, make_ssogroup, make_user):
    return make_user(account, username="carol@example.com", sso_group=make_ssogroup(account, slug="corp"))


def test_the_users_page_links_to_the_unbind_page_instead_of_unbinding(admin_client, carol):
    page = admin_client.get("/account/users/").content.decode()
    url = f"/account/users/{carol.pk}/unbind"
    assert f'href="{url}"' in page
    assert f'action="{url}"' not in page


def test_the_unbind_page_says_what_stops_and_unbinds_nothing(admin_client, carol):
    response = admin_client.get(f"/account/users/{carol.pk}/unbind")
    html = response.content.decode()
    assert response.status_code == 200
    group = carol.sso_group.name
    assert escape(bind_views.MSG_UNBIND_STOPS.format(username=carol.username, group=group)) in html
    assert escape(bind_views.MSG_UNBIND_PASSWORD) in html
    assert f'action="/account/users/{carol.pk}/unbind"' in html
    assert User.objects.get(pk=carol.pk).sso_group_id == carol.sso_group_id
    assert not Event.objects.filter(event="user_unbind").exists()


def test_its_button_unbinds(admin_client, carol, admin):
    response = admin_client.post(f"/account/users/{carol.pk}/unbind")
    assert (response.status_code, response["Location"]) == (302, "/account/users/")
    assert User.objects.get(pk=carol.pk).sso_group_id is None
    assert list(Event.objects.filter(event="user_unbind").values_list("actor", flat=True)) == [admin.username]


def test_an_unmanaged_user_has_no_unbind_page(admin_client, account, make_user):
    bob = make_user(account, username="bob@example.com")
    response = admin_client.get(f"/account/users/{bob.pk}/unbind")
    assert (response.status_code, response["Location"]) == (302, "/account/users/")


def test_another_accounts_user_has_no_unbind_page(admin_client, make_account, make_ssogroup, make_user):
    other, _ = make_account()
    theirs = make_user(other, username="x@other.example", sso_group=make_ssogroup(other))
    assert admin_client.get(f"/account/users/{theirs.pk}/unbind").status_code == 404
    assert admin_client.post(f"/account/users/{theirs.pk}/unbind").status_code == 404
    assert User.objects.get(pk=theirs.pk).sso_group_id is not None
