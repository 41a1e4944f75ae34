"""The rules of an SSO group's own columns, in the admin's words. ``SSOGroup`` carries them, so
``full_clean()`` holds every group to them, whichever page, command or test saves it."""

import re

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator

from accounts.models import User
from ssogroups.metadata import is_http_url

MSG_SLUG_INVALID = "Use only lowercase letters, digits, hyphens and underscores (it becomes part of URLs)."
MSG_NAME_REQUIRED = "Give the group a name."
MSG_ENABLE_NEEDS = "The group cannot be enabled until it has {missing}."
MSG_ENDPOINT_INVALID = "The SAML 2.0 Endpoint must be an http(s) URL."
MSG_URL_INVALID = "Enter an http(s) URL."
MSG_ENTITY_ID_LONG = "The IdP entity ID is longer than 1024 characters."
MSG_ROLE_INVALID = "Choose one of the roles: {roles}."
MSG_SCIM_ROLES_INVALID = "SCIM roles must be among: {roles}."
MSG_SIGNATURE_INVALID = "Choose a valid signature requirement."
MSG_ATTRIBUTE_NAME_INVALID = (
    "An attribute name is one word or URI without spaces (for example mail or urn:oid:0.9.2342.19200300.100.1.3)."
)
ROLES = ", ".join(User.Role.values)

# Stricter than Django's slug: no capitals (URLs are case-sensitive) and no leading - or _.
validate_group_slug = RegexValidator(re.compile(r"^[a-z0-9][a-z0-9_-]*\Z"), MSG_SLUG_INVALID)


def validate_not_blank(value: str) -> None:
    """Spaces alone are no name (Django's ``blank`` only refuses the empty string)."""
    if not value.strip():
        raise ValidationError(MSG_NAME_REQUIRED, code="blank")


def validate_http_url(value: str) -> None:
    """An http(s) URL with a host, as SAML endpoints and metadata fetches need. Django's URLValidator
    would also refuse single-label hosts (``http://idp:8080/sso``) that IdP metadata does carry."""
    if not is_http_url(value):
        raise ValidationError(MSG_URL_INVALID, code="invalid")


def scim_roles_valid(value: object) -> bool:
    return isinstance(value, list) and all(role in User.Role.values for role in value)


def validate_scim_roles(value: object) -> None:
    if not scim_roles_valid(value):
        raise ValidationError(MSG_SCIM_ROLES_INVALID.format(roles=ROLES), code="invalid_roles")


def validate_attribute_name(value: str) -> None:
    """A SAML attribute's Name: a word or a URI, never spaces or control characters (which no IdP sends
    and which would only ever match nothing)."""
    if value and (value != value.strip() or any(ch.isspace() or not ch.isprintable() for ch in value)):
        raise ValidationError(MSG_ATTRIBUTE_NAME_INVALID, code="invalid_attribute")
