"""Service-level rules that the pages and commands share (refresh choices, enable rule, domains)."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError

from accounts.models import Event
from ssogroups.domains import domains_normalize
from ssogroups.fetch import MetadataFetchError
from ssogroups.intake import metadata_load, ssogroup_create_from_metadata, ssogroup_refresh
from ssogroups.metadata import MetadataError
from ssogroups.models import SSOGroup
from ssogroups.services import ssogroup_update
from ssogroups.trust import trust_change_approve, trust_change_get
from tests.ssogroups import samples as s
from tests.ssogroups.samples import cert_b64

pytestmark = pytest.mark.usefixtures("fixed_now")


def entities(*docs: str) -> bytes:
    inner = "".join(d.replace(f' xmlns:md="{s.MD}"', "") for d in docs)
    return f'<md:EntitiesDescriptor xmlns:md="{s.MD}">{inner}</md:EntitiesDescriptor>'.encode()


@pytest.fixture
def url_group(account):
    doc = s.idp_metadata(cert_b64("B1"), entity_id="https://b.example/idp")
    source = metadata_load(url="https://md.example/fed.xml", fetch=lambda url: doc.encode())
    return ssogroup_create_from_metadata(account=account, name="B", slug="b", source=source, actor="test", enable=True)


def test_refresh_picks_the_groups_own_idp_out_of_a_federation_file(url_group):
    fed = entities(
        s.idp_metadata(cert_b64("A"), entity_id="https://a.example/idp"),
        s.idp_metadata(cert_b64("B2"), entity_id="https://b.example/idp"),
    )
    ssogroup_refresh(group=url_group, actor="test", fetch=lambda url: fed)
    group = SSOGroup.objects.get(pk=url_group.pk)
    # B's own entry was picked: its new certificate waits for approval; A's is nowhere.
    assert list(group.certificates.values_list("subject", flat=True)) == ["CN=B1"]
    assert list(group.pending_certificates.values_list("subject", flat=True)) == ["CN=B2"]
    assert group.metadata_refresh_error == ""


def test_a_refresh_whose_certificates_would_leave_an_enabled_group_unusable_is_refused(url_group):
    """Checked when the change is proposed (nothing unusable is ever held for approval)."""
    assert url_group.enabled is True
    expired = s.idp_metadata(cert_b64("Old", days_left=-2), entity_id="https://b.example/idp")
    message = "The group cannot be enabled until it has at least one valid, unexpired SAML 2.0 Certificate."
    with pytest.raises(ValidationError) as exc:
        ssogroup_refresh(group=url_group, actor="test", fetch=lambda url: expired.encode())
    assert exc.value.messages == [message]
    group = SSOGroup.objects.get(pk=url_group.pk)
    assert list(group.certificates.values_list("subject", flat=True)) == ["CN=B1"]
    assert trust_change_get(group=group) is None and not group.pending_certificates.exists()
    assert group.enabled is True and group.metadata_refresh_error == message
    event = Event.objects.filter(event="sso_group_refresh").latest("id")
    assert (event.outcome, event.reason) == ("failure", message)


def test_approving_a_proposal_that_became_unusable_keeps_the_old_ones(url_group, monkeypatch):
    """A held certificate that expires before the admin approves it is refused at approval too."""
    soon = s.idp_metadata(cert_b64("Soon", days_left=1), entity_id="https://b.example/idp")
    ssogroup_refresh(group=url_group, actor="test", fetch=lambda url: soon.encode())  # held
    later = s.FIXED_NOW + timedelta(days=3)
    monkeypatch.setattr("sparksso.clock.now", lambda: later)
    group = SSOGroup.objects.get(pk=url_group.pk)
    before = Event.objects.count()
    with pytest.raises(ValidationError) as exc:
        trust_change_approve(group=group, version=trust_change_get(group=group).version, actor="test")
    assert exc.value.messages == [
        "The group cannot be enabled until it has at least one valid, unexpired SAML 2.0 Certificate."
    ]
    group = SSOGroup.objects.get(pk=url_group.pk)
    assert list(group.certificates.values_list("subject", flat=True)) == ["CN=B1"]
    assert list(group.pending_certificates.values_list("subject", flat=True)) == ["CN=Soon"]
    assert Event.objects.count() == before


def test_refresh_fetch_failure_is_recorded(url_group):
    def unreachable(url):
        raise MetadataFetchError("The metadata URL answered HTTP 503; expected 200.")

    with pytest.raises(MetadataFetchError):
        ssogroup_refresh(group=url_group, actor="test", fetch=unreachable)
    group = SSOGroup.objects.get(pk=url_group.pk)
    assert group.metadata_refresh_error == "The metadata URL answered HTTP 503; expected 200."
    assert group.certificates.count() == 1


def test_refresh_without_url(account, make_ssogroup):
    group = make_ssogroup(account)
    with pytest.raises(MetadataFetchError) as exc:
        ssogroup_refresh(group=group, actor="test")
    assert exc.value.message == "This group has no metadata URL to refresh from."


def test_refresh_of_a_federation_without_the_groups_idp_fails(url_group):
    fed = entities(
        s.idp_metadata(cert_b64("A"), entity_id="https://a.example/idp"),
        s.idp_metadata(cert_b64("C"), entity_id="https://c.example/idp"),
    )
    with pytest.raises(MetadataError):
        ssogroup_refresh(group=url_group, actor="test", fetch=lambda url: fed)
    assert SSOGroup.objects.get(pk=url_group.pk).metadata_refresh_error.startswith(
        "The metadata describes 2 identity providers"
    )


def test_domains_normalize():
    assert domains_normalize(["  Example.COM ", "@example.com", "sub.example.org.", "", "bücher.example"]) == [
        "example.com",
        "sub.example.org",
        "xn--bcher-kva.example",
    ]
    with pytest.raises(ValidationError) as exc:
        domains_normalize(["localhost", "-bad.example", "outlook.com"])
    assert exc.value.message_dict == {
        "domains": [
            "'localhost' is not a valid email domain (e.g. example.com).",
            "'-bad.example' is not a valid email domain (e.g. example.com).",
            "outlook.com is a public email provider; it cannot be claimed by one account.",
        ]
    }


def test_update_refuses_unknown_fields(account, make_ssogroup):
    with pytest.raises(TypeError):
        ssogroup_update(group=make_ssogroup(account), actor="test", account_id=999)


def test_an_enabled_group_whose_certificate_expired_can_still_be_edited(url_group, monkeypatch):
    from datetime import timedelta

    monkeypatch.setattr("sparksso.clock.now", lambda: s.FIXED_NOW + timedelta(days=400))
    group = ssogroup_update(group=url_group, actor="test", name="Renamed", jit_provisioning=True)
    assert (group.name, group.enabled) == ("Renamed", True)
    with pytest.raises(ValidationError) as exc:
        ssogroup_update(group=group, actor="test", sso_url="https://b.example/sso2")
    assert exc.value.message_dict == {
        "enabled": ["The group cannot be enabled until it has at least one valid, unexpired SAML 2.0 Certificate."]
    }
    assert SSOGroup.objects.get(pk=group.pk).sso_url == "https://idp.example.com/sso"
