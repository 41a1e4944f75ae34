"""Property-based fuzzing with Hypothesis: a fixed seed, bounded examples, no example database.

``derandomize=True`` makes every run draw the same examples (a failure reproduces in CI and
locally); ``database=None`` keeps Hypothesis from writing .hypothesis/ into the tree. Function-
scoped fixtures (the test database, a SCIM client) are shared by the examples of one test on
purpose: each example checks its own before/after counts.
"""

import json
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command
from django.test import Client
from hypothesis import HealthCheck, settings

from accounts.models import Event, User

settings.register_profile(
    "sparksso-fuzz",
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=50,
    print_blob=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile("sparksso-fuzz")

SCIM_BASE = "/api/v1/users/scim/v2"
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"


def model(name: str):
    """A model by class name, wherever it lives (SCIM models move from accounts/ to scim/)."""
    return next(m for m in apps.get_models() if m.__name__ == name)


def writes(*, lookups: bool = True) -> dict[str, int]:
    """What a refused request must leave unchanged: users, SCIM groups, and every event that is
    not a failure record (a refusal may record its own failure event). ``lookups=False`` also
    leaves out the lookup events an answered SCIM read records (JumpCloud's
    ``user_lookup_provision``)."""
    events = Event.objects.exclude(outcome=Event.Outcome.FAILURE)
    if not lookups:
        events = events.exclude(event__endswith="_lookup_provision")
    return {
        "users": User.objects.count(),
        "scim_groups": model("ScimGroup").objects.count(),
        "memberships": model("ScimGroupMembership").objects.count(),
        "events": events.count(),
    }


class ScimHttp:
    """A SCIM client over HTTP with a real token, made by the stable management command."""

    def __init__(self, token: str) -> None:
        self.client = Client()
        self.headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}

    def get(self, path: str, params: dict | None = None):
        return self.client.get(SCIM_BASE + path, params or {}, **self.headers)

    def send(self, method: str, path: str, body) -> object:
        payload = body if isinstance(body, str | bytes) else json.dumps(body)
        call = getattr(self.client, method.lower())
        return call(SCIM_BASE + path, payload, content_type="application/scim+json", **self.headers)


@pytest.fixture
def scim(make_account, make_ssogroup) -> ScimHttp:
    account, _ = make_account()
    group = make_ssogroup(account, slug="idp")
    out = StringIO()
    call_command("scim_token_create", "--account", str(account.pk), "--group", group.slug, stdout=out)
    http = ScimHttp(out.getvalue().strip())
    http.account, http.group = account, group
    return http


def assert_scim_answer(response, before: dict[str, int]) -> None:
    """Never a 500; a refusal is a SCIM error body and writes nothing."""
    assert response.status_code < 500, response.content[:500]
    if response.status_code >= 400:
        body = response.json()
        assert body["schemas"] == [ERROR_SCHEMA], body
        assert body["status"] == str(response.status_code), body
        assert writes() == before
