"""The Account SSO Configuration pages, through the Django test client."""

from datetime import UTC, datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.html import escape

from accounts.models import Account, Event, User
from ssogroups.models import SSOCertificate, SSODomain, SSOGroup
from ssogroups.sp_keys import sp_key_current
from ssogroups.trust import trust_change_get
from ssogroups.views import MSG_TRUST_PENDING
from tests.conftest import force_recent_login
from tests.ssogroups import samples as s
from tests.ssogroups.samples import cert_b64, cert_pem

pytestmark = pytest.mark.usefixtures("fixed_now")


@pytest.fixture
def client_admin(client, admin):
    force_recent_login(client, admin)
    return client


def counts() -> tuple[int, int, int, int]:
    return (
        SSOGroup.objects.count(),
        SSOCertificate.objects.count(),
        SSODomain.objects.count(),
        Event.objects.filter(event__startswith="sso_group").count(),
    )


def form_data(**overrides) -> dict:
    data = {
        "name": "JumpCloud",
        "slug": "jumpcloud",
        "metadata_xml": "",
        "metadata_url": "",
        "idp_entity_id": "",
        "sso_url": "",
        "certificates": "",
        "allow_idp_initiated": "on",
        "default_role": "reporting",
        "domains": "",
        "signature_requirement": "either",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def upload(content: bytes, name: str = "JumpCloud-samlify-metadata.xml") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="text/xml")


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


# ---- access ----


def test_anonymous_is_sent_to_login(client, db):
    response = client.get("/account/sso/")
    assert response.status_code == 302
    assert response["Location"] == "/login?next=/account/sso/"


def test_non_admin_is_refused_with_an_explanation(client, account, make_user):
    user = make_user(account, role=User.Role.DEVELOPER)
    client.force_login(user)
    for url in ("/account/sso/", "/account/sso/new"):
        response = client.get(url)
        assert response.status_code == 403
        assert "Only account admins can manage SSO configuration." in response.content.decode()
    before = counts()
    response = client.post("/account/sso/new", form_data(metadata_file=upload(s.jumpcloud_bytes())))
    assert response.status_code == 403
    assert counts() == before


def test_starter_plan_admin_is_told_to_upgrade(client, make_account):
    _, admin = make_account(plan=Account.Plan.STARTER)
    client.force_login(admin)
    response = client.get("/account/sso/")
    assert response.status_code == 403
    assert "SSO configuration is available on the Premier and Enterprise plans" in response.content.decode()
    assert "Starter plan" in response.content.decode()


def test_another_accounts_group_is_a_404_everywhere(client_admin, make_account, make_ssogroup):
    other_account, _ = make_account()
    other = make_ssogroup(other_account, slug="theirs")
    before = counts()
    for url in ("", "edit", "delete"):
        assert client_admin.get(f"/account/sso/theirs/{url}").status_code == 404
    for url in ("edit", "refresh", "enable", "disable", "delete"):
        assert (
            client_admin.post(f"/account/sso/theirs/{url}", {"confirm": "on", "name": "x", "slug": "x"}).status_code
            == 404
        )
    other.refresh_from_db()
    assert other.enabled is True and other.name.startswith("Group")
    assert counts() == before
    assert "theirs" not in client_admin.get("/account/sso/").content.decode()


# ---- create ----


def test_create_from_uploaded_jumpcloud_export(client_admin, account, admin):
    response = client_admin.post(
        "/account/sso/new", form_data(metadata_file=upload(s.jumpcloud_bytes()), enabled="on", domains="Example.COM")
    )
    assert response.status_code == 302
    assert response["Location"] == "/account/sso/jumpcloud/"
    group = SSOGroup.objects.get(account=account, slug="jumpcloud")
    assert group.idp_entity_id == "samlify"
    assert group.sso_url == "https://sso.jumpcloud.com/saml2/samlify"
    assert group.sso_binding == s.REDIRECT
    assert group.sso_endpoints == [
        {"binding": s.POST, "location": s.JUMPCLOUD_SSO_URL},
        {"binding": s.REDIRECT, "location": s.JUMPCLOUD_SSO_URL},
    ]
    assert group.want_authn_requests_signed is True
    assert group.enabled is True and group.allow_idp_initiated is True and group.jit_provisioning is False
    assert group.metadata_xml == s.jumpcloud_bytes().decode()
    (cert,) = group.certificates.all()
    assert "CN=JumpCloudSAMLUser" in cert.subject
    assert cert.not_after == datetime(2027, 8, 4, 11, 57, 54, tzinfo=UTC)
    assert cert.sha256_fingerprint == s.JUMPCLOUD_FINGERPRINT
    assert cert.pem.startswith("-----BEGIN CERTIFICATE-----\n")
    assert list(group.domains.values_list("domain", flat=True)) == ["example.com"]
    event = Event.objects.get(event="sso_group_create")
    assert (event.account, event.actor, event.target) == (account, admin.username, "jumpcloud")
    assert event.changes["certificates"] == [s.JUMPCLOUD_FINGERPRINT]

    page = client_admin.get(response["Location"]).content.decode()
    assert "SAML 2.0 Consumer (POST) URL" in page
    assert f'value="http://127.0.0.1:8000/api/v1/users/saml/{account.pk}/jumpcloud/consume"' in page
    assert "Audience URI (SP Entity ID)" in page
    assert f'value="http://127.0.0.1:8000/api/v1/users/saml/{account.pk}/jumpcloud/metadata"' in page
    assert 'data-copy="sp-acs"' in page and 'data-copy="sp-entity"' in page
    assert 'href="/account/sso/jumpcloud/failures"' in page
    assert s.JUMPCLOUD_FINGERPRINT in page.replace("<wbr>", "")  # identifiers may wrap at separators


def test_create_from_pasted_xml(client_admin, account):
    response = client_admin.post("/account/sso/new", form_data(metadata_xml=s.jumpcloud_bytes().decode()))
    assert response.status_code == 302
    group = SSOGroup.objects.get(account=account)
    assert (group.idp_entity_id, group.sso_url, group.enabled) == ("samlify", s.JUMPCLOUD_SSO_URL, False)
    assert group.certificates.get().sha256_fingerprint == s.JUMPCLOUD_FINGERPRINT


def test_create_from_metadata_url(client_admin, account, allow_private, metadata_server):
    url = metadata_server.url("/metadata")
    response = client_admin.post("/account/sso/new", form_data(metadata_url=url))
    assert response.status_code == 302
    group = SSOGroup.objects.get(account=account)
    assert (group.idp_entity_id, group.idp_metadata_url, group.metadata_fetched_at) == ("samlify", url, s.FIXED_NOW)
    assert metadata_server.hits == ["/metadata"]
    detail = client_admin.get("/account/sso/jumpcloud/").content.decode()
    assert "Refresh from URL" in detail


def test_metadata_url_over_plain_http_is_refused(client_admin, metadata_server):
    """Production's default (SSO_METADATA_ALLOW_HTTP off): refused before any DNS or connection."""
    before = counts()
    response = client_admin.post("/account/sso/new", form_data(metadata_url=metadata_server.url("/metadata")))
    assert response.status_code == 400
    assert response.context["form"].errors["metadata_url"] == [
        "The metadata URL must use https://; plain http:// is refused (an attacker on the path could swap "
        "the IdP's certificate)."
    ]
    assert "Nothing was saved. Please correct the errors below." in messages_of(response)
    assert counts() == before and metadata_server.hits == []


def test_metadata_url_to_a_private_address_is_refused(client_admin, allow_http, metadata_server):
    before = counts()
    response = client_admin.post("/account/sso/new", form_data(metadata_url=metadata_server.url("/metadata")))
    assert response.status_code == 400
    assert response.context["form"].errors["metadata_url"] == [
        "The metadata URL points to a private, loopback or link-local address (127.0.0.1); "
        "only public addresses are fetched."
    ]
    assert counts() == before and metadata_server.hits == []


def test_placeholder_certificate_says_certificate_is_not_valid_and_saves_nothing(client_admin):
    before = counts()
    response = client_admin.post("/account/sso/new", form_data(metadata_file=upload(s.placeholder_bytes())))
    assert response.status_code == 400
    error = (
        "The signing certificate is not valid: 'TODO' is not a base64-encoded X.509 certificate. "
        "Paste the IdP's certificate into “SAML 2.0 Certificate” (or upload certificate.pem) and save again. "
        "(from the file JumpCloud-samlify-metadata.xml; it is kept here, no need to choose it again)"
    )
    # The file's contents move into the paste field with the error: nothing to pick again.
    assert response.context["form"].errors["metadata_xml"] == [error]
    assert "metadata_file" not in response.context["form"].errors
    assert response.context["form"]["metadata_xml"].value() == s.placeholder_bytes().decode()
    page = response.content.decode()
    assert "certificate is not valid" in page
    assert "Nothing was saved. Please correct the errors below." in messages_of(response)
    assert counts() == before


@pytest.mark.parametrize(
    ("overrides", "field", "error"),
    [
        pytest.param(
            {"metadata_xml": "<!DOCTYPE x [<!ENTITY a 'b'>]><x/>"},
            "metadata_xml",
            "The metadata contains a DOCTYPE or entity declaration, which SAML metadata never needs; it is refused "
            "for security (XXE / entity expansion).",
            id="doctype",
        ),
        pytest.param({"metadata_xml": "not xml"}, "metadata_xml", None, id="not-xml"),
        pytest.param(
            {"certificates": "TODO"},
            "certificates",
            "The certificate is not valid: 'TODO' is not a PEM or base64-encoded X.509 certificate.",
            id="manual-placeholder-cert",
        ),
        pytest.param(
            {"sso_url": "javascript:alert(1)"}, "sso_url", "The SAML 2.0 Endpoint must be an http(s) URL.", id="js"
        ),
        pytest.param(
            {"slug": "Not A Slug"},
            "slug",
            "Use only lowercase letters, digits, hyphens and underscores (it becomes part of URLs).",
            id="bad-slug",
        ),
        pytest.param(
            {"enabled": "on"},
            "enabled",
            "The group cannot be enabled until it has a SAML 2.0 Endpoint and at least one "
            "valid, unexpired SAML 2.0 Certificate.",
            id="enable-empty",
        ),
        pytest.param(
            {
                "enabled": "on",
                "idp_entity_id": "urn:x",
                "sso_url": "https://idp.example.com/sso",
                "certificates": cert_pem("Old", days_left=-3),
            },
            "enabled",
            "The group cannot be enabled until it has at least one valid, unexpired SAML 2.0 Certificate.",
            id="enable-expired-cert",
        ),
        pytest.param(
            {"domains": "gmail.com"},
            "domains",
            "gmail.com is a public email provider; it cannot be claimed by one account.",
            id="public-domain",
        ),
        pytest.param(
            {"domains": "not_a_domain"},
            "domains",
            "'not_a_domain' is not a valid email domain (e.g. example.com).",
            id="bad-domain",
        ),
        pytest.param(
            # A file and *other* pasted XML (the same XML is the file kept from an earlier round trip).
            {"metadata_xml": s.placeholder_bytes().decode(), "metadata_file": "FILE"},
            "__all__",
            "Give the metadata one way only: a file, pasted XML or a URL.",
            id="two-sources",
        ),
        pytest.param({"default_role": "root"}, "default_role", None, id="bad-role"),
    ],
)
def test_create_refusals(client_admin, overrides, field, error):
    if overrides.get("metadata_file") == "FILE":
        overrides["metadata_file"] = upload(s.jumpcloud_bytes())
    before = counts()
    response = client_admin.post("/account/sso/new", form_data(**overrides))
    assert response.status_code == 400
    errors = response.context["form"].errors[field]
    if error is None:
        assert len(errors) == 1
    else:
        assert errors == [error]
    assert counts() == before


def test_upload_over_1_mib_is_refused(client_admin):
    before = counts()
    response = client_admin.post("/account/sso/new", form_data(metadata_file=upload(b" " * (1024 * 1024 + 1))))
    assert response.status_code == 400
    assert response.context["form"].errors["metadata_file"] == [
        "The metadata file is larger than 1 MiB; IdP metadata is normally a few kilobytes."
    ]
    assert counts() == before


def test_slug_unique_per_account_only(client_admin, account, make_account, make_ssogroup):
    make_ssogroup(account, slug="jumpcloud")
    other_account, _ = make_account()
    make_ssogroup(other_account, slug="shared")
    before = counts()
    response = client_admin.post("/account/sso/new", form_data())
    assert response.status_code == 400
    assert response.context["form"].errors["slug"] == ["This account already has an SSO group with the ID 'jumpcloud'."]
    assert counts() == before
    assert client_admin.post("/account/sso/new", form_data(slug="shared")).status_code == 302


def test_claimed_domain_is_unique_within_the_account(client_admin, account, make_ssogroup):
    SSODomain.objects.create(
        account=account, group=make_ssogroup(account), domain="bigcorp.com", verification_token="t"
    )
    before = counts()
    response = client_admin.post("/account/sso/new", form_data(domains="BigCorp.com"))
    assert response.status_code == 400
    assert response.context["form"].errors["domains"] == [
        "The domain bigcorp.com is already claimed by another SSO group of this account."
    ]
    assert counts() == before


def test_several_idps_asks_which_one_and_accepts_the_choice(client_admin, account):
    good = cert_b64("Good IdP")
    doc = (
        f'<md:EntitiesDescriptor xmlns:md="{s.MD}">'
        + s.idp_metadata(good, entity_id="https://a.example/idp").replace(f' xmlns:md="{s.MD}"', "")
        + s.idp_metadata(good, entity_id="https://b.example/idp").replace(f' xmlns:md="{s.MD}"', "")
        + "</md:EntitiesDescriptor>"
    )
    response = client_admin.post("/account/sso/new", form_data(metadata_xml=doc))
    assert response.status_code == 400
    assert response.context["form"].errors["metadata_xml"] == [
        "The metadata describes 2 identity providers (https://a.example/idp, https://b.example/idp); choose one "
        "entity ID. Enter the one to use in “IdP Entity ID” and submit again."
    ]
    response = client_admin.post("/account/sso/new", form_data(metadata_xml=doc, idp_entity_id="https://b.example/idp"))
    assert response.status_code == 302
    assert SSOGroup.objects.get(account=account).idp_entity_id == "https://b.example/idp"


def test_manual_fields_alone_make_a_usable_group(client_admin, account):
    pems = cert_pem("Old", days_left=20) + cert_pem("New", days_left=700)
    response = client_admin.post(
        "/account/sso/new",
        form_data(idp_entity_id="urn:idp", sso_url="https://idp.example.com/sso", certificates=pems, enabled="on"),
    )
    assert response.status_code == 302
    group = SSOGroup.objects.get(account=account)
    assert group.enabled is True
    assert sorted(group.certificates.values_list("subject", flat=True)) == ["CN=New", "CN=Old"]
    assert group.metadata_warnings == ["Certificate CN=Old expires on 2026-06-21 (within 30 days); plan the rollover."]
    page = client_admin.get("/account/sso/").content.decode()
    assert "2028-05-01" in page  # the latest expiry is what the list shows
    assert "Expires within 30 days" not in page


def test_manual_fields_override_the_metadata(client_admin, account):
    response = client_admin.post(
        "/account/sso/new",
        form_data(
            metadata_xml=s.jumpcloud_bytes().decode(),
            sso_url="https://sso.jumpcloud.com/saml2/other",
            certificates=cert_b64("Override"),
        ),
    )
    assert response.status_code == 302
    group = SSOGroup.objects.get(account=account)
    assert group.idp_entity_id == "samlify"  # not overridden: from the metadata
    assert group.sso_url == "https://sso.jumpcloud.com/saml2/other"
    assert list(group.certificates.values_list("subject", flat=True)) == ["CN=Override"]


def test_disabled_group_may_hold_placeholders(client_admin, account):
    response = client_admin.post("/account/sso/new", form_data(name="Later", slug="later"))
    assert response.status_code == 302
    group = SSOGroup.objects.get(account=account)
    assert (group.enabled, group.sso_url, group.certificates.count()) == (False, "", 0)
    page = client_admin.get("/account/sso/later/").content.decode()
    assert "No certificate yet, so the group cannot be enabled." in page
    assert "To enable this group, add a SAML 2.0 Endpoint and at least one valid, unexpired" in page


def test_warnings_are_saved_and_shown(client_admin, account):
    doc = s.idp_metadata(cert_b64("Soon", days_left=5), location="http://idp.example.com/sso")
    response = client_admin.post("/account/sso/new", form_data(metadata_xml=doc), follow=True)
    expected = [
        "Certificate CN=Soon expires on 2026-06-06 (within 30 days); plan the rollover.",
        "The SSO endpoint http://idp.example.com/sso is not https; assertions and requests travel unencrypted.",
    ]
    assert SSOGroup.objects.get(account=account).metadata_warnings == expected
    # Shown once, on the group's page (issue 24: also flashed after save, so each appeared twice).
    assert messages_of(response)[1:] == []
    page = response.content.decode()
    assert [page.count(escape(w)) for w in expected] == [1, 1]
    listing = client_admin.get("/account/sso/").content.decode()
    assert "Expires within 30 days" in listing


# ---- list ----


def test_list_shows_groups_with_bound_user_counts(client_admin, account, make_ssogroup, make_user):
    group = make_ssogroup(account, slug="corp", cert_pem=cert_pem("X"))
    SSOCertificate.objects.filter(group=group).update(not_after=datetime(2026, 6, 10, tzinfo=UTC))
    make_user(account, sso_group=group)
    make_user(account, sso_group=group)
    page = client_admin.get("/account/sso/").content.decode().replace("<wbr>", "")
    assert "Create New SSO Group +" in page
    assert "<code>corp</code>" in page and group.idp_entity_id in page and group.sso_url in page
    assert "<td>2</td>" in page
    assert "2026-06-10" in page and "Expires within 30 days" in page


# ---- edit, enable, disable, delete ----


@pytest.fixture
def jumpcloud_group(client_admin, account):
    client_admin.post("/account/sso/new", form_data(metadata_xml=s.jumpcloud_bytes().decode(), enabled="on"))
    return SSOGroup.objects.get(account=account, slug="jumpcloud")


def edit_data(group: SSOGroup, **overrides) -> dict:
    from ssogroups.forms import ssogroup_initial

    data = {k: v for k, v in ssogroup_initial(group).items() if v not in (False, None)}
    data = {k: ("on" if v is True else v) for k, v in data.items()}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_edit_policy_keeps_idp_values_and_records_changes(client_admin, jumpcloud_group, admin):
    response = client_admin.post(
        "/account/sso/jumpcloud/edit",
        edit_data(
            jumpcloud_group,
            jit_provisioning="on",
            default_role="developer",
            allow_sha1="on",
            signature_requirement="both",
            allow_idp_initiated=None,
        ),
    )
    assert response.status_code == 302
    group = SSOGroup.objects.get(pk=jumpcloud_group.pk)
    assert (group.jit_provisioning, group.default_role, group.allow_sha1, group.allow_idp_initiated) == (
        True,
        "developer",
        True,
        False,
    )
    assert group.signature_requirement == "both"
    assert group.certificates.get().sha256_fingerprint == s.JUMPCLOUD_FINGERPRINT
    assert group.idp_entity_id == "samlify"
    event = Event.objects.get(event="sso_group_update")
    assert event.actor == admin.username
    assert event.changes == {
        "jit_provisioning": True,
        "default_role": "developer",
        "allow_sha1": True,
        "allow_idp_initiated": False,
        "signature_requirement": "both",
    }


def test_new_metadata_on_edit_replaces_untouched_manual_fields(client_admin, jumpcloud_group):
    doc = s.idp_metadata(cert_b64("Rotated"), entity_id="samlify", location="https://sso.jumpcloud.com/saml2/new")
    response = client_admin.post("/account/sso/jumpcloud/edit", edit_data(jumpcloud_group, metadata_xml=doc))
    assert response.status_code == 302
    group = SSOGroup.objects.get(pk=jumpcloud_group.pk)
    # The group is enabled: the new endpoint and certificate wait for approval (test_trust_change.py).
    assert group.sso_url == s.JUMPCLOUD_SSO_URL
    assert trust_change_get(group=group).values["sso_url"] == "https://sso.jumpcloud.com/saml2/new"
    assert list(group.pending_certificates.values_list("subject", flat=True)) == ["CN=Rotated"]


def test_failed_edit_changes_nothing(client_admin, jumpcloud_group):
    before = counts()
    response = client_admin.post(
        "/account/sso/jumpcloud/edit", edit_data(jumpcloud_group, metadata_xml=s.placeholder_bytes().decode())
    )
    assert response.status_code == 400
    group = SSOGroup.objects.get(pk=jumpcloud_group.pk)
    assert group.certificates.get().sha256_fingerprint == s.JUMPCLOUD_FINGERPRINT
    assert group.metadata_xml == s.jumpcloud_bytes().decode()
    assert counts() == before


def test_enable_is_refused_without_endpoint_and_certificate(client_admin, account, make_ssogroup):
    make_ssogroup(account, slug="bare", enabled=False, sso_url="")
    before = counts()
    response = client_admin.post("/account/sso/bare/enable", follow=True)
    assert messages_of(response) == [
        "The group cannot be enabled until it has a SAML 2.0 Endpoint and at least one valid, unexpired "
        "SAML 2.0 Certificate."
    ]
    assert SSOGroup.objects.get(slug="bare").enabled is False
    assert counts() == before


def test_disable_and_enable_record_events(client_admin, jumpcloud_group, admin):
    client_admin.post("/account/sso/jumpcloud/disable")
    assert SSOGroup.objects.get(pk=jumpcloud_group.pk).enabled is False
    client_admin.post("/account/sso/jumpcloud/enable")
    assert SSOGroup.objects.get(pk=jumpcloud_group.pk).enabled is True
    names = list(
        Event.objects.filter(event__in=["sso_group_enable", "sso_group_disable"]).values_list("event", "actor")
    )
    assert names == [("sso_group_disable", admin.username), ("sso_group_enable", admin.username)]
    assert client_admin.get("/account/sso/jumpcloud/enable").status_code == 405


def test_delete_confirms_with_the_bound_user_count(client_admin, jumpcloud_group, account, make_user, admin):
    user = make_user(account, sso_group=jumpcloud_group)
    make_user(account, sso_group=jumpcloud_group)
    page = client_admin.get("/account/sso/jumpcloud/delete").content.decode()
    assert "2 users</strong> are bound to this group" in page
    before = counts()
    response = client_admin.post("/account/sso/jumpcloud/delete", {})
    assert response.status_code == 400
    assert counts() == before
    response = client_admin.post("/account/sso/jumpcloud/delete", {"confirm": "on"})
    assert response.status_code == 302 and response["Location"] == "/account/sso/"
    assert not SSOGroup.objects.filter(pk=jumpcloud_group.pk).exists()
    assert SSOCertificate.objects.count() == 0
    user.refresh_from_db()
    assert user.sso_group is None and user.is_active
    event = Event.objects.get(event="sso_group_delete")
    assert (event.actor, event.target, event.changes["bound_users"]) == (admin.username, "jumpcloud", 2)


# ---- refresh ----


def test_refresh_from_url_updates_and_a_failure_keeps_the_old_values(
    client_admin, account, allow_private, metadata_server
):
    url = metadata_server.url("/metadata")
    client_admin.post("/account/sso/new", form_data(metadata_url=url, enabled="on"), follow=True)
    rotated = s.idp_metadata(cert_b64("Rotated"), entity_id="samlify", location=s.JUMPCLOUD_SSO_URL)
    metadata_server.serve("/metadata", rotated.encode())
    response = client_admin.post("/account/sso/jumpcloud/refresh", follow=True)
    assert messages_of(response)[:2] == [f"The metadata was refreshed from {url}.", MSG_TRUST_PENDING]
    group = SSOGroup.objects.get(account=account)
    # A rotated certificate is held for approval (tests/ssogroups/test_trust_change.py); approve it.
    assert group.certificates.get().sha256_fingerprint == s.JUMPCLOUD_FINGERPRINT
    assert group.metadata_xml != rotated  # the document comes with the change it brings
    assert Event.objects.filter(event="sso_group_refresh", outcome="success").count() == 1
    version = trust_change_get(group=group).version
    client_admin.post("/account/sso/jumpcloud/trust-change/approve", {"version": version}, follow=True)
    assert list(group.certificates.values_list("subject", flat=True)) == ["CN=Rotated"]
    assert SSOGroup.objects.get(pk=group.pk).metadata_xml == rotated

    metadata_server.serve("/metadata", s.placeholder_bytes())
    response = client_admin.post("/account/sso/jumpcloud/refresh", follow=True)
    reason = "The signing certificate is not valid: 'TODO' is not a base64-encoded X.509 certificate."
    assert messages_of(response) == [f"Refreshing from the URL failed; the previous values are kept. {reason}"]
    group = SSOGroup.objects.get(account=account)
    assert list(group.certificates.values_list("subject", flat=True)) == ["CN=Rotated"]
    assert group.metadata_xml == rotated and group.enabled is True
    assert group.metadata_refresh_error == reason
    page = client_admin.get("/account/sso/jumpcloud/").content.decode()  # shown on the page, not only flashed
    assert (
        f"The last refresh from the metadata URL failed; the values below are the previous ones. {escape(reason)}"
        in page
    )
    failure = Event.objects.get(event="sso_group_refresh", outcome="failure")
    assert failure.reason == reason

    metadata_server.serve("/metadata", s.idp_metadata(cert_b64("Evil"), entity_id="https://evil.example/").encode())
    client_admin.post("/account/sso/jumpcloud/refresh", follow=True)
    group = SSOGroup.objects.get(account=account)
    assert group.idp_entity_id == "samlify"
    assert group.metadata_refresh_error.startswith("The metadata at the URL now describes a different IdP")

    metadata_server.serve("/metadata", rotated.encode())
    client_admin.post("/account/sso/jumpcloud/refresh", follow=True)
    assert SSOGroup.objects.get(account=account).metadata_refresh_error == ""


def test_utf16_export_is_stored_as_text(client_admin, account):
    text = '<?xml version="1.0" encoding="UTF-16"?>\n' + s.jumpcloud_bytes().decode().split("?>", 1)[1]
    response = client_admin.post("/account/sso/new", form_data(metadata_file=upload(text.encode("utf-16"))))
    assert response.status_code == 302
    group = SSOGroup.objects.get(account=account)
    assert (group.idp_entity_id, group.metadata_xml) == ("samlify", text)


def test_changing_the_id_warns_that_the_sp_urls_changed(client_admin, jumpcloud_group):
    response = client_admin.post("/account/sso/jumpcloud/edit", edit_data(jumpcloud_group, slug="jc2"), follow=True)
    assert response.redirect_chain == [("/account/sso/jc2/", 302)]
    assert (
        "The group's ID changed, so its SP URLs changed too: update the Consumer URL and Audience URI in your IdP."
        in messages_of(response)
    )
    assert Event.objects.get(event="sso_group_update").changes == {"slug": "jc2"}


def test_domains_are_replaced_on_edit(client_admin, jumpcloud_group):
    client_admin.post("/account/sso/jumpcloud/edit", edit_data(jumpcloud_group, domains="a.example\nb.example"))
    client_admin.post(
        "/account/sso/jumpcloud/edit",
        edit_data(SSOGroup.objects.get(pk=jumpcloud_group.pk), domains="@B.example, c.example"),
    )
    assert sorted(SSODomain.objects.values_list("domain", flat=True)) == ["b.example", "c.example"]
    changes = [e.changes for e in Event.objects.filter(event="sso_group_update")]
    assert changes == [{"domains": ["a.example", "b.example"]}, {"domains": ["b.example", "c.example"]}]


def test_resubmitting_the_edit_form_unchanged_records_nothing(client_admin, jumpcloud_group):
    data = edit_data(jumpcloud_group)
    data["certificates"] = data["certificates"].replace("\n", "\r\n")  # as browsers send textareas
    assert client_admin.post("/account/sso/jumpcloud/edit", data).status_code == 302
    assert not Event.objects.filter(event="sso_group_update").exists()


@pytest.mark.parametrize(
    ("wants_signed", "policy", "shown"),
    [
        (True, False, "the IdP's metadata asks for them"),
        (False, True, "this group's policy says so"),
        (False, False, "Off"),
    ],
)
def test_group_page_says_whether_requests_are_signed_and_shows_our_certificate(
    client_admin, account, make_ssogroup, wants_signed, policy, shown
):
    """An IdP that wants signed requests is no longer a warning: we sign, and the page says so."""
    make_ssogroup(account, slug="strict-idp", want_authn_requests_signed=wants_signed, sign_authn_requests=policy)
    current = sp_key_current()
    before = counts()
    response = client_admin.get("/account/sso/strict-idp/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "WantAuthnRequestsSigned), but sparksso" not in page
    assert 'id="signed-requests"' in page and shown in page
    assert current.sha256_fingerprint[:20] in page.replace("<wbr>", "")
    assert current.not_after.strftime("%Y-%m-%d") in page
    assert "PRIVATE KEY" not in page
    assert counts() == before
