"""End-to-end: a JumpCloud-like SCIM client and IdP driving sparksso through its real HTTP surface."""

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from tests.ssogroups.saml.idp import TestIdP, b64, sp_of
from tests.support.keys import shared_keypair

BASE = "/api/v1/users/scim/v2"
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
SPARKPOST = "urn:ietf:params:scim:schemas:extension:sparkpost:2.0:User"
TOKEN_RE = re.compile(r'id="scim-token" value="(sso_scim_[A-Za-z0-9_-]{43})"')
JUMPCLOUD_EXPORT = Path(__file__).parent.parent / "ssogroups" / "data" / "jumpcloud-export.xml"
JUMPCLOUD_ENTITY_ID = "samlify"  # what the exported metadata names; JumpCloud issues assertions under it
ADMIN_PASSWORD = "correct horse 42"


def jumpcloud_metadata(cert_b64: str) -> str:
    """The JumpCloud export, with its signing certificate swapped for one whose key the test holds."""
    xml = JUMPCLOUD_EXPORT.read_text()
    return re.sub(r"(<ds:X509Certificate>)\s*[^<]+?\s*(</ds:X509Certificate>)", rf"\g<1>{cert_b64}\g<2>", xml, count=1)


def patch(*operations: dict[str, Any]) -> dict[str, Any]:
    return {"schemas": [PATCH_OP], "Operations": list(operations)}


@dataclass
class JumpCloud:
    """JumpCloud's Identity Management connector: bearer token, application/scim+json, its payload shapes."""

    token: str
    client: Client

    def _auth(self) -> dict[str, str]:
        return {"HTTP_AUTHORIZATION": f"Bearer {self.token}", "HTTP_ACCEPT": "application/scim+json"}

    def get(self, path: str, params: dict | None = None):
        return self.client.get(BASE + path, params or {}, **self._auth())

    def send(self, method: str, path: str, body: Any):
        call = getattr(self.client, method.lower())
        return call(BASE + path, json.dumps(body), content_type="application/scim+json; charset=utf-8", **self._auth())

    def delete(self, path: str):
        return self.client.delete(BASE + path, **self._auth())

    def find_user(self, user_name: str):
        return self.get("/Users", {"filter": f'userName eq "{user_name}"'})


def user_payload(user_name: str, given: str, family: str, external_id: str, **extra: Any) -> dict[str, Any]:
    """The create/PUT body JumpCloud sends for a user bound to the application."""
    return {
        "schemas": [USER, ENTERPRISE],
        "userName": user_name,
        "externalId": external_id,
        "name": {"givenName": given, "familyName": family},
        "displayName": f"{given} {family}",
        "emails": [{"value": user_name, "type": "work", "primary": True}],
        "active": True,
        **extra,
    }


@pytest.fixture(autouse=True)
def _fast_hashing_and_base_url(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.BASE_URL = "https://sparksso.example.test"


@pytest.fixture
def jumpcloud_idp(tmp_path) -> TestIdP:
    return TestIdP(tmp_path / "jumpcloud", shared_keypair("e2e-jumpcloud"), entity_id=JUMPCLOUD_ENTITY_ID)


def tile_click(browser: Client, idp: TestIdP, group, email: str, first: str, last: str, **more: list[str]):
    """The user clicks the JumpCloud tile: an unsolicited response signed over the assertion, posted to the ACS."""
    attributes = {"email": [email], "firstName": [first], "lastName": [last], **more}
    xml = idp.response(sp_of(group), name_id=email, attributes=attributes)
    return browser.post(group.acs_url.removeprefix("https://sparksso.example.test"), {"SAMLResponse": b64(xml)})
