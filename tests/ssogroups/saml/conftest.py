"""Fixtures for SAML sign-in tests: a pysaml2 IdP with its own key pair, a group trusting it, a user."""

import pytest
from django.test import Client

from accounts.models import UserSession
from ssogroups.models import ConsumedAssertion, SSOLoginFailure
from ssogroups.sp_keys import sp_key_current
from tests.ssogroups.saml.idp import TestIdP, b64
from tests.support.keys import shared_keypair

IDP_ENTITY_ID = "https://idp.example.test/saml"


@pytest.fixture
def idp_keys():
    return shared_keypair("saml-idp-main")


@pytest.fixture
def idp(tmp_path, idp_keys):
    return TestIdP(tmp_path / "idp", idp_keys, entity_id=IDP_ENTITY_ID)


@pytest.fixture
def group(account, make_ssogroup, idp_keys):
    return make_ssogroup(account, slug="jumpcloud", cert_pem=idp_keys.cert_pem, idp_entity_id=IDP_ENTITY_ID)


@pytest.fixture
def alice(account, make_user, group):
    return make_user(account, "alice@example.com", sso_group=group, first_name="Alice", last_name="Liddell")


@pytest.fixture
def client():
    return Client()


def acs_post(client, group, xml: str, relay_state: str | None = None):
    data = {"SAMLResponse": b64(xml)}
    if relay_state is not None:
        data["RelayState"] = relay_state
    return client.post(f"/api/v1/users/saml/{group.account_id}/{group.slug}/consume", data)


def session_json(client):
    return client.get("/api/v1/session")


def counts() -> dict:
    """What a refused sign-in must leave unchanged."""
    return {
        "sessions": UserSession.objects.count(),
        "consumed": ConsumedAssertion.objects.count(),
    }


def last_failure() -> SSOLoginFailure:
    return SSOLoginFailure.objects.order_by("-id").first()


@pytest.fixture
def sp_key(settings, tmp_path):
    """The operator's key files (SP_KEY_FILE/SP_CERT_FILE): a real key, without generating RSA-3072 per test."""
    pair = shared_keypair("saml-sp-encryption")
    (tmp_path / "sp-key.pem").write_text(pair.key_pem)
    (tmp_path / "sp-cert.pem").write_text(pair.cert_pem)
    settings.SP_KEY_FILE = str(tmp_path / "sp-key.pem")
    settings.SP_CERT_FILE = str(tmp_path / "sp-cert.pem")
    assert sp_key_current().certificate_pem.strip() == pair.cert_pem.strip()
    return pair
