"""Create New SSO Group as JumpCloud's article walks it: Name plus the metadata (or Name, Certificate
and Endpoint) is enough; a chosen file is read and kept; manual fields win over the metadata."""

import base64

import pytest
from cryptography import x509
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import Event
from ssogroups.models import SSOGroup
from tests.conftest import force_recent_login
from tests.ssogroups import samples as s
from tests.ssogroups.samples import cert_pem

pytestmark = pytest.mark.usefixtures("fixed_now")
ENDPOINT = "https://sso.jumpcloud.com/saml2/sparkpost"


@pytest.fixture
def client_admin(client, admin):
    force_recent_login(client, admin)  # setting up trust material needs a recent sign-in
    return client


def _file(content: bytes, name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def _post(client, data: dict, **files):
    payload = {"signature_requirement": "either", "default_role": "reporting", **data, **files}
    return client.post("/account/sso/new", payload)


def test_name_and_metadata_file_are_enough_and_the_id_comes_from_the_name(client_admin, account):
    response = _post(client_admin, {"name": "JumpCloud (prod)"}, metadata_file=_file(s.jumpcloud_bytes(), "md.xml"))
    assert response.status_code == 302
    group = SSOGroup.objects.get(account=account)
    assert (group.slug, group.idp_entity_id) == ("jumpcloud-prod", "samlify")
    assert response["Location"] == "/account/sso/jumpcloud-prod/"


def test_derived_id_is_unique_per_account(client_admin, account, make_account, make_ssogroup):
    make_ssogroup(account, slug="jumpcloud")
    other_account, _ = make_account()
    make_ssogroup(other_account, slug="jumpcloud-2")  # another account's slug does not count
    response = _post(client_admin, {"name": "JumpCloud"}, metadata_file=_file(s.jumpcloud_bytes(), "md.xml"))
    assert response.status_code == 302
    assert SSOGroup.objects.filter(account=account).order_by("pk").last().slug == "jumpcloud-2"


def test_placeholder_metadata_with_pasted_certificate_uses_the_pasted_one(client_admin, account):
    pem = cert_pem("Real JumpCloud")
    data = {"name": "JumpCloud", "certificates": pem}
    response = _post(client_admin, data, metadata_file=_file(s.placeholder_bytes(), "md.xml"))
    assert response.status_code == 302, response.context["form"].errors
    group = SSOGroup.objects.get(account=account)
    assert [c.subject for c in group.certificates.all()] == ["CN=Real JumpCloud"]
    assert group.idp_entity_id == "urn:auth-portal"
    assert not [w for w in group.metadata_warnings if "ignored" in w]


@pytest.mark.parametrize("form", ["pem", "der"])
def test_placeholder_metadata_with_uploaded_certificate_file(client_admin, account, form):
    pem = cert_pem("Uploaded")
    content = pem.encode()
    if form == "der":
        content = x509.load_pem_x509_certificate(content).public_bytes(encoding=_der())
    name = "certificate.pem" if form == "pem" else "certificate.crt"
    response = _post(
        client_admin,
        {"name": "JumpCloud", "enabled": "on"},
        metadata_file=_file(s.placeholder_bytes(), "md.xml"),
        certificate_file=_file(content, name),
    )
    assert response.status_code == 302, response.context["form"].errors
    group = SSOGroup.objects.get(account=account)
    assert group.enabled is True
    assert [c.subject for c in group.certificates.all()] == ["CN=Uploaded"]


def _der():
    from cryptography.hazmat.primitives.serialization import Encoding

    return Encoding.DER


def test_name_certificate_and_endpoint_are_enough_to_enable(client_admin, account):
    data = {"name": "JumpCloud", "certificates": cert_pem("JC"), "sso_url": ENDPOINT, "enabled": "on"}
    response = _post(client_admin, data)
    assert response.status_code == 302, response.context["form"].errors
    group = SSOGroup.objects.get(account=account)
    assert (group.enabled, group.idp_entity_id, group.sso_url, group.slug) == (True, "", ENDPOINT, "jumpcloud")
    assert Event.objects.get(event="sso_group_create").changes["enabled"] is True


def test_placeholder_metadata_alone_keeps_the_file_and_saves_nothing(client_admin, account):
    response = _post(client_admin, {"name": "JumpCloud"}, metadata_file=_file(s.placeholder_bytes(), "md.xml"))
    assert response.status_code == 400
    form = response.context["form"]
    assert form["metadata_xml"].value() == s.placeholder_bytes().decode()
    assert form["name"].value() == "JumpCloud"
    assert form["sso_url"].value() == "https://sso.jumpcloud.com/saml2/auth-portal-saml"  # what was read
    assert not SSOGroup.objects.exists()
    # Resubmitted with the certificate pasted: no file chosen again.
    data = {"name": "JumpCloud", "metadata_xml": form["metadata_xml"].value(), "certificates": cert_pem("JC")}
    assert _post(client_admin, data).status_code == 302
    assert SSOGroup.objects.get(account=account).idp_entity_id == "urn:auth-portal"


def test_read_the_file_fills_the_fields_and_saves_nothing(client_admin):
    response = _post(client_admin, {"name": "", "action": "read"}, metadata_file=_file(s.jumpcloud_bytes(), "md.xml"))
    assert response.status_code == 200
    form = response.context["form"]
    assert form["idp_entity_id"].value() == "samlify"
    assert form["sso_url"].value() == "https://sso.jumpcloud.com/saml2/samlify"
    assert "BEGIN CERTIFICATE" in form["certificates"].value()
    assert form["metadata_xml"].value() == s.jumpcloud_bytes().decode()
    assert "Read the metadata of samlify" in response.content.decode()
    assert not SSOGroup.objects.exists()
    assert not Event.objects.filter(event__startswith="sso_group").exists()


def test_manual_endpoint_wins_over_the_metadata(client_admin, account):
    data = {"name": "JumpCloud", "sso_url": "https://override.example.com/sso"}
    response = _post(client_admin, data, metadata_file=_file(s.jumpcloud_bytes(), "md.xml"))
    assert response.status_code == 302
    assert SSOGroup.objects.get(account=account).sso_url == "https://override.example.com/sso"


def test_certificate_pasted_and_uploaded_is_refused(client_admin):
    data = {"name": "JumpCloud", "certificates": cert_pem("A")}
    response = _post(client_admin, data, certificate_file=_file(cert_pem("B").encode(), "certificate.pem"))
    assert response.status_code == 400
    assert response.context["form"].errors["certificate_file"] == [
        "Paste the certificate or upload its file, not both."
    ]
    assert not SSOGroup.objects.exists()


def test_invalid_uploaded_certificate_is_refused(client_admin):
    response = _post(
        client_admin, {"name": "JumpCloud"}, certificate_file=_file(base64.b64encode(b"junk"), "certificate.pem")
    )
    assert response.status_code == 400
    assert "is not a PEM or base64-encoded X.509 certificate" in response.context["form"].errors["certificate_file"][0]
    assert not SSOGroup.objects.exists()


# --- issue #8: SCIM roles and adoption, on the form and in the service -------------------------


def test_scim_roles_default_and_admin_only_when_ticked(client_admin, account):
    page = client_admin.get("/account/sso/new").content.decode()
    assert "Tokens of this group could then make anyone an account admin." in page
    data = {"name": "A", "scim_roles": ["reporting", "admin"], "scim_roles_shown": "1", "adopt_existing_users": "on"}
    response = _post(client_admin, data)
    assert response.status_code == 302
    group = SSOGroup.objects.get(account=account)
    assert (group.scim_roles, group.adopt_existing_users) == (["admin", "reporting"], True)
    changes = Event.objects.get(event="sso_group_create").changes
    assert (changes["scim_roles"], changes["adopt_existing_users"]) == (["admin", "reporting"], True)


def test_scim_role_outside_the_roles_is_refused(client_admin, account, admin):
    from django.core.exceptions import ValidationError

    from ssogroups.services import ssogroup_create

    with pytest.raises(ValidationError) as exc:
        ssogroup_create(account=account, name="A", slug="a", actor="t", scim_roles=["root"])
    assert exc.value.message_dict["scim_roles"] == ["SCIM roles must be among: admin, developer, templates, reporting."]
    assert not SSOGroup.objects.exists()
    response = _post(client_admin, {"name": "A", "scim_roles": ["root"], "scim_roles_shown": "1"})
    assert response.status_code == 400
    assert not SSOGroup.objects.exists()


def test_scim_roles_all_unticked_or_never_shown(client_admin, account):
    assert _post(client_admin, {"name": "Shown", "scim_roles_shown": "1"}).status_code == 302
    assert SSOGroup.objects.get(slug="shown").scim_roles == []  # the admin unticked every role
    assert _post(client_admin, {"name": "Never"}).status_code == 302
    assert SSOGroup.objects.get(slug="never").scim_roles == ["developer", "templates", "reporting"]
