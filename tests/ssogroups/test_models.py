"""The field rules live on the models: ``full_clean()`` on a bad SSOGroup or SSODomain names each field
with the admin's words, whoever saves it (the services add only the account-scoped clashes)."""

import pytest
from django.core.exceptions import ValidationError

from accounts.models import Event
from ssogroups.metadata import certificates_parse
from ssogroups.models import SSODomain, SSOGroup
from ssogroups.services import ssogroup_create
from tests.ssogroups import samples as s

pytestmark = pytest.mark.usefixtures("fixed_now")

ROLES = "admin, developer, templates, reporting"


def full_clean_errors(instance, exclude=("account", "group")) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as exc:
        instance.full_clean(exclude=list(exclude))
    return exc.value.message_dict


def good_group(account, **fields) -> SSOGroup:
    values = {"account": account, "name": "JumpCloud", "slug": "jumpcloud", "sso_url": "https://idp.example.com/sso"}
    return SSOGroup(**{**values, **fields})


def test_a_good_group_passes(account):
    group = good_group(account, scim_roles=["developer", "admin", "developer"])
    group.full_clean()
    assert group.scim_roles == ["admin", "developer"]  # clean() keeps them once each, in role order


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        pytest.param({"name": ""}, "name", "Give the group a name.", id="name-empty"),
        pytest.param({"name": "   "}, "name", "Give the group a name.", id="name-spaces"),
        pytest.param(
            {"name": "n" * 201}, "name", "Ensure this value has at most 200 characters (it has 201).", id="name-long"
        ),
        pytest.param(
            {"slug": "Not A Slug"},
            "slug",
            "Use only lowercase letters, digits, hyphens and underscores (it becomes part of URLs).",
            id="slug-spaces",
        ),
        pytest.param(
            {"slug": "JumpCloud"},
            "slug",
            "Use only lowercase letters, digits, hyphens and underscores (it becomes part of URLs).",
            id="slug-capitals",
        ),
        pytest.param(
            {"slug": "-jumpcloud"},
            "slug",
            "Use only lowercase letters, digits, hyphens and underscores (it becomes part of URLs).",
            id="slug-leading-hyphen",
        ),
        pytest.param(
            {"slug": ""},
            "slug",
            "Use only lowercase letters, digits, hyphens and underscores (it becomes part of URLs).",
            id="slug-empty",
        ),
        pytest.param(
            {"sso_url": "javascript:alert(1)"}, "sso_url", "The SAML 2.0 Endpoint must be an http(s) URL.", id="js-url"
        ),
        pytest.param(
            {"sso_url": "ftp://idp.example.com/sso"},
            "sso_url",
            "The SAML 2.0 Endpoint must be an http(s) URL.",
            id="ftp-url",
        ),
        pytest.param({"slo_url": "https:///nohost"}, "slo_url", "Enter an http(s) URL.", id="slo-no-host"),
        pytest.param({"idp_metadata_url": "file:///etc/passwd"}, "idp_metadata_url", "Enter an http(s) URL.", id="md"),
        pytest.param(
            {"idp_entity_id": "x" * 1025},
            "idp_entity_id",
            "The IdP entity ID is longer than 1024 characters.",
            id="entity-id-long",
        ),
        pytest.param({"default_role": "root"}, "default_role", f"Choose one of the roles: {ROLES}.", id="role"),
        pytest.param({"default_role": ""}, "default_role", f"Choose one of the roles: {ROLES}.", id="role-empty"),
        pytest.param({"scim_roles": ["root"]}, "scim_roles", f"SCIM roles must be among: {ROLES}.", id="scim-role"),
        pytest.param({"scim_roles": "admin"}, "scim_roles", f"SCIM roles must be among: {ROLES}.", id="scim-str"),
        pytest.param(
            {"signature_requirement": "none"},
            "signature_requirement",
            "Choose a valid signature requirement.",
            id="signature",
        ),
    ],
)
def test_each_bad_field_is_named_with_its_message(account, fields, field, message):
    assert full_clean_errors(good_group(account, **fields)) == {field: [message]}


def test_single_label_hosts_that_idp_metadata_carries_are_fine(account):
    """Not Django's URLValidator: an IdP inside a network may be ``http://keycloak:8080``."""
    good_group(account, sso_url="http://keycloak:8080/sso", slo_url="http://keycloak:8080/slo").full_clean()


def test_enabling_needs_an_endpoint_and_a_usable_certificate(account):
    both = ["a SAML 2.0 Endpoint", "at least one valid, unexpired SAML 2.0 Certificate"]
    assert good_group(account, enabled=True, sso_url="").enable_missing([]) == both


def test_the_enable_rule_counts_the_certificates_about_to_be_stored(account):
    """The certificates come in as an argument, never through attributes set on the instance."""
    group = good_group(account, enabled=True)
    assert group.enable_missing(certificates_parse(s.cert_pem("New", days_left=30))) == []
    assert group.enable_missing(certificates_parse(s.cert_pem("Old", days_left=-1))) == [
        "at least one valid, unexpired SAML 2.0 Certificate"
    ]


@pytest.mark.parametrize(
    ("domain", "message"),
    [
        ("localhost", "'localhost' is not a valid email domain (e.g. example.com)."),
        ("-bad.example", "'-bad.example' is not a valid email domain (e.g. example.com)."),
        ("gmail.com", "gmail.com is a public email provider; it cannot be claimed by one account."),
    ],
)
def test_a_claimed_domain_is_a_dns_name_and_never_a_public_provider(account, domain, message):
    claim = SSODomain(account=account, domain=domain, verification_token="t")
    assert full_clean_errors(claim) == {"domain": [message]}


def test_the_service_says_the_models_message_and_writes_nothing(account):
    with pytest.raises(ValidationError) as exc:
        ssogroup_create(account=account, name=" ", slug="Bad Slug", actor="t", sso_url="javascript:x")
    assert exc.value.message_dict == {
        "name": ["Give the group a name."],
        "slug": ["Use only lowercase letters, digits, hyphens and underscores (it becomes part of URLs)."],
        "sso_url": ["The SAML 2.0 Endpoint must be an http(s) URL."],
    }
    assert not SSOGroup.objects.exists()
    assert not Event.objects.filter(event="sso_group_create").exists()
