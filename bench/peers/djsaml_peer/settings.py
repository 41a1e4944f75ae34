"""The djangosaml2 peer: a Django project signing users in with djangosaml2 (pysaml2) as its docs say.

Built on the django-scim2 peer's settings (the same database, so the same loaded users sign in),
plus what djangosaml2's documentation asks for: ``django.contrib.sessions`` with the database
session backend, the session, authentication and ``SamlSessionMiddleware`` middleware,
``Saml2Backend``, and a ``SAML_CONFIG`` whose checks are as strict as its settings allow:
assertions must be signed (``want_assertions_signed``), only keys in the IdP's metadata are
trusted (``only_use_keys_in_metadata``), the audience, destination, recipient and validity
window are checked by pysaml2, unknown users are refused (``SAML_CREATE_UNKNOWN_USER = False``).
IdP-initiated responses need ``allow_unsolicited`` (as sparksso's allow-IdP-initiated policy).
The IdP's metadata, the SP entity ID and the ACS URL come from ``PEER_DJSAML_SETTINGS`` (a JSON
file the benchmark writes): sparksso's own values, so both SPs accept the very same responses.
"""

import json
import os

import saml2
from saml2.saml import NAMEID_FORMAT_EMAILADDRESS
from scim_peer.settings import *  # noqa: F403
from scim_peer.settings import INSTALLED_APPS

with open(os.environ["PEER_DJSAML_SETTINGS"]) as f:
    PEER = json.load(f)

INSTALLED_APPS = [*INSTALLED_APPS, "django.contrib.sessions", "djangosaml2"]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "djangosaml2.middleware.SamlSessionMiddleware",
]
ROOT_URLCONF = "djsaml_peer.urls"
WSGI_APPLICATION = "djsaml_peer.wsgi.application"
SESSION_ENGINE = "django.contrib.sessions.backends.db"
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend", "djangosaml2.backends.Saml2Backend"]
LOGIN_URL = "/saml2/login/"
LOGIN_REDIRECT_URL = "/"
SAML_SESSION_COOKIE_NAME = "saml_session"
SAML_CREATE_UNKNOWN_USER = False
SAML_USE_NAME_ID_AS_USERNAME = True
SAML_DJANGO_USER_MAIN_ATTRIBUTE = "username"
SAML_DJANGO_USER_MAIN_ATTRIBUTE_LOOKUP = "__iexact"
SAML_ATTRIBUTE_MAPPING = {"email": ("email",)}
SAML_CONFIG = {
    "xmlsec_binary": "/usr/bin/xmlsec1",
    "entityid": PEER["sp_entity_id"],
    "allow_unknown_attributes": True,
    "service": {
        "sp": {
            "name": "djangosaml2 peer",
            "name_id_format": NAMEID_FORMAT_EMAILADDRESS,
            "endpoints": {"assertion_consumer_service": [(PEER["acs_url"], saml2.BINDING_HTTP_POST)]},
            "allow_unsolicited": True,  # IdP-initiated, as the benchmark's responses are
            "authn_requests_signed": False,
            "want_response_signed": False,  # JumpCloud signs the assertion, as the benchmark does
            "want_assertions_signed": True,
            "only_use_keys_in_metadata": True,
            "force_authn": False,
        },
    },
    "metadata": {"local": [PEER["idp_metadata"]]},
    "debug": 0,
    "accepted_time_diff": 60,
}
