"""A double click on "Generate SCIM token" on PostgreSQL: the same form, submitted at once by several
requests, mints exactly one token (the unique form digest decides) and shows it exactly once."""

import re
import threading

import pytest
from django.db import connection
from django.test import Client

from accounts.models import Event
from scim.models import ScimToken
from tests.conftest import force_recent_login

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]
TOKEN_RE = re.compile(r'id="scim-token" value="(sso_scim_[A-Za-z0-9_-]{43})"')


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serialises writers, so there is no race to lose")


def test_simultaneous_submissions_of_one_form_mint_one_token(account, admin, make_ssogroup):
    group = make_ssogroup(account)
    results: list[tuple[int, bool]] = []
    barrier = threading.Barrier(5)

    def submit() -> None:
        client = Client()
        force_recent_login(client, admin)  # generating a token needs a recent sign-in
        barrier.wait()
        try:
            response = client.post(
                "/account/settings/scim-tokens/", {"sso_group": group.pk, "form_id": "double-click-form-0123456789"}
            )
            results.append((response.status_code, TOKEN_RE.search(response.content.decode()) is not None))
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sorted(results) == [(201, True), (409, False), (409, False), (409, False), (409, False)]
    assert ScimToken.objects.count() == 1
    assert Event.objects.filter(event="scim_token_generate").count() == 1
