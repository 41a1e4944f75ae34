"""A SCIM-enabled account (enterprise plan, an enabled SSO group, a token) and a client that speaks SCIM."""

import json
import re
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from scim.tokens import scim_token_create

BASE = "/api/v1/users/scim/v2"
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
SPARKPOST = "urn:ietf:params:scim:schemas:extension:sparkpost:2.0:User"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


def error(status: int, detail: str, scim_type: str | None = None) -> dict[str, Any]:
    body = {"schemas": [ERROR], "status": str(status), "detail": detail}
    if scim_type:
        body["scimType"] = scim_type
    return body


@dataclass
class Scim:
    """Django's test client with the bearer header and SCIM content type filled in."""

    client: Client
    token: str
    account: Any
    group: Any
    token_obj: Any

    def _headers(self, headers: dict[str, str] | None) -> dict[str, str]:
        return {"HTTP_AUTHORIZATION": f"Bearer {self.token}", **(headers or {})}

    def get(self, path: str, data: dict | None = None, **headers):
        return self.client.get(BASE + path, data or {}, **self._headers(headers))

    def send(self, method: str, path: str, body: Any = None, *, raw: bytes | str | None = None,
             content_type: str = "application/scim+json", **headers):  # fmt: skip
        payload = raw if raw is not None else ("" if body is None else json.dumps(body))
        call = getattr(self.client, method.lower())
        return call(BASE + path, payload, content_type=content_type, **self._headers(headers))

    def post(self, path: str, body: Any = None, **kw):
        return self.send("POST", path, body, **kw)

    def put(self, path: str, body: Any = None, **kw):
        return self.send("PUT", path, body, **kw)

    def patch(self, path: str, body: Any = None, **kw):
        return self.send("PATCH", path, body, **kw)

    def delete(self, path: str, **headers):
        return self.client.delete(BASE + path, **self._headers(headers))

    def create_user(self, user_name: str = "bjensen@example.com", **attrs) -> dict[str, Any]:
        response = self.post("/Users", {"schemas": [USER_SCHEMA], "userName": user_name, **attrs})
        assert response.status_code == 201, response.content
        return response.json()

    def create_group(self, name: str = "Engineering", members: list[str] | None = None) -> dict[str, Any]:
        body = {"schemas": [GROUP_SCHEMA], "displayName": name}
        if members:
            body["members"] = [{"value": m} for m in members]
        response = self.post("/Groups", body)
        assert response.status_code == 201, response.content
        return response.json()


def patch_body(*operations: dict[str, Any]) -> dict[str, Any]:
    return {"schemas": [PATCH], "Operations": list(operations)}


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """The account factory sets admin passwords; the SCIM tests do not need them slow."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def make_scim(make_account, make_ssogroup, settings):
    settings.BASE_URL = "https://sso.example.test"

    def make(**group_fields) -> Scim:
        account, admin = make_account()
        group = make_ssogroup(account, **group_fields)
        token, plaintext = scim_token_create(account=account, sso_group=group, label="test", created_by=admin)
        return Scim(client=Client(), token=plaintext, account=account, group=group, token_obj=token)

    return make


@pytest.fixture
def scim(make_scim) -> Scim:
    return make_scim()


@pytest.fixture
def other_scim(make_scim) -> Scim:
    """A second tenant with its own token."""
    return make_scim()


def meta(resource_type: str, obj, body: dict[str, Any]) -> dict[str, Any]:
    """The meta a response must carry for ``obj``; times come from the row, never the wall clock.

    The version is checked, not copied: a weak ETag of 32 hex digits, the one the ETag header sends
    (tests/scim/test_users.py checks it changes exactly when the resource does)."""
    endpoint = "Users" if resource_type == "User" else "Groups"
    version = body["meta"]["version"]
    assert re.fullmatch(r'W/"[0-9a-f]{32}"', version), version
    return {
        "resourceType": resource_type,
        "created": obj.created_at.isoformat().replace("+00:00", "Z"),
        "lastModified": obj.updated_at.isoformat().replace("+00:00", "Z"),
        "location": f"https://sso.example.test{BASE}/{endpoint}/{obj.scim_id}",
        "version": version,
    }
