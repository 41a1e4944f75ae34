"""Two workers receiving the same assertion at once: exactly one signs in (PostgreSQL only)."""

import copy
import threading

import pytest
from django.db import connection, connections
from django.test import Client

from accounts.models import UserSession
from ssogroups.models import ConsumedAssertion, PendingAuthnRequest, SSOLoginFailure
from tests.ssogroups.saml.conftest import acs_post
from tests.ssogroups.saml.idp import authn_request_from_redirect, sp_of


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_replay_signs_in_exactly_once(idp, group, alice):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serialises writers, so there is no race to test")
    xml = idp.response(sp_of(group), name_id="alice@example.com")
    barrier = threading.Barrier(2)
    statuses: list[int] = []
    errors: list[BaseException] = []

    def post() -> None:
        try:
            client = Client()
            barrier.wait(timeout=10)
            statuses.append(acs_post(client, group, xml).status_code)
        except BaseException as exc:  # noqa: BLE001 - surfaced by the assertion below
            errors.append(exc)
        finally:
            connections.close_all()  # each thread had its own connection

    threads = [threading.Thread(target=post) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert sorted(statuses) == [302, 403]
    assert ConsumedAssertion.objects.filter(group=group).count() == 1
    assert UserSession.objects.filter(user=alice).count() == 1
    assert list(SSOLoginFailure.objects.values_list("reason", flat=True)) == ["replay"]


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_answers_to_one_request_at_once_sign_in_exactly_once(idp, group, alice):
    """Two different responses to the same AuthnRequest, posted by its browser at once: the conditional
    UPDATE that marks the request spent lets exactly one through; the other is named a replay."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serialises writers, so there is no race to test")
    starter = Client()
    start = starter.get(f"/api/v1/users/saml/{group.account_id}/{group.slug}/login")
    request_id = authn_request_from_redirect(start["Location"])[0].get("ID")
    answers = [idp.response(sp_of(group), name_id="alice@example.com", in_response_to=request_id) for _ in range(2)]
    barrier = threading.Barrier(2)
    statuses: list[int] = []
    errors: list[BaseException] = []

    def post(xml: str) -> None:
        try:
            client = Client()
            client.cookies = copy.deepcopy(starter.cookies)  # the browser that started the request
            barrier.wait(timeout=10)
            statuses.append(acs_post(client, group, xml).status_code)
        except BaseException as exc:  # noqa: BLE001 - surfaced by the assertion below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=post, args=(xml,)) for xml in answers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert sorted(statuses) == [302, 403]
    assert UserSession.objects.filter(user=alice).count() == 1
    assert list(SSOLoginFailure.objects.values_list("reason", flat=True)) == ["replay"]
    assert PendingAuthnRequest.objects.get(request_id=request_id).spent_at is not None
