"""Issue 19: "Identify users by" (the NameID, or an attribute) on the edit form, in ssogroup_import and
in ssogroup_update — one rule (ssogroups.intake.identity_attribute_value) and the model's validator."""

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import Event
from ssogroups.intake import IDENTITY_ATTRIBUTE_SUGGESTIONS, MSG_ATTRIBUTE_NEEDED
from ssogroups.models import SSOGroup, SSOTrustChange
from ssogroups.validators import MSG_ATTRIBUTE_NAME_INVALID
from tests.conftest import force_recent_login
from tests.ssogroups import samples as s
from tests.ssogroups.test_trust_gate import _group, edit_data, post_edit, snapshot
from tests.support.keys import shared_keypair


@pytest.fixture
def keys():
    return shared_keypair("saml-idp-main")


@pytest.fixture
def draft(account, keys) -> SSOGroup:
    return _group(account, "draft", keys.cert_b64, enable=False)


def test_the_form_offers_the_choice_and_the_usual_attribute_names(client, admin, draft):
    force_recent_login(client, admin)
    page = client.get(f"/account/sso/{draft.slug}/edit").content.decode()
    assert "Identify users by" in page
    assert 'name="identify_by" value="name_id"' in page and 'value="attribute"' in page
    assert 'list="identity-attribute-names"' in page and '<datalist id="identity-attribute-names">' in page
    for name in IDENTITY_ATTRIBUTE_SUGGESTIONS:
        assert f'<option value="{name}">' in page


def test_a_draft_group_identifies_users_by_an_attribute_at_once_and_back(client, admin, draft):
    force_recent_login(client, admin)
    response = post_edit(client, draft, edit_data(draft, identify_by="attribute", identity_attribute=" mail "))
    assert response.status_code == 302
    assert SSOGroup.objects.get(pk=draft.pk).identity_attribute == "mail"
    assert Event.objects.filter(event="sso_group_update").latest("id").changes["identity_attribute"] == "mail"
    assert not SSOTrustChange.objects.exists()  # never enabled: nothing to hold

    draft.refresh_from_db()
    form = client.get(f"/account/sso/{draft.slug}/edit").context["form"]
    assert (form["identify_by"].value(), form["identity_attribute"].value()) == ("attribute", "mail")
    assert post_edit(client, draft, edit_data(draft, identify_by="name_id")).status_code == 302
    assert SSOGroup.objects.get(pk=draft.pk).identity_attribute == ""


def test_a_form_without_the_choice_leaves_the_attribute_as_it_is(client, admin, draft):
    SSOGroup.objects.filter(pk=draft.pk).update(identity_attribute="mail")
    draft.refresh_from_db()
    force_recent_login(client, admin)
    data = edit_data(draft, name="Renamed")
    data.pop("identify_by"), data.pop("identity_attribute")
    assert post_edit(client, draft, data).status_code == 302
    assert SSOGroup.objects.get(pk=draft.pk).identity_attribute == "mail"


@pytest.mark.parametrize(
    ("attribute", "message"),
    [("", MSG_ATTRIBUTE_NEEDED), ("   ", MSG_ATTRIBUTE_NEEDED), ("e mail", MSG_ATTRIBUTE_NAME_INVALID)],
)
def test_an_attribute_without_a_usable_name_is_refused_and_nothing_is_written(client, admin, draft, attribute, message):
    force_recent_login(client, admin)
    before = snapshot(draft)
    response = post_edit(client, draft, edit_data(draft, identify_by="attribute", identity_attribute=attribute))
    assert response.status_code == 400
    assert response.context["form"].errors["identity_attribute"] == [message]
    assert snapshot(draft) == before


def _import(account, tmp_path, *args: str) -> dict:
    path = tmp_path / "md.xml"
    path.write_text(s.idp_metadata(shared_keypair("saml-idp-main").cert_b64))
    out = StringIO()
    call_command(
        "ssogroup_import", "--account", str(account.pk), "--name", "Shib", "--metadata", str(path), *args, stdout=out
    )
    return json.loads(out.getvalue())


def test_import_identifies_users_by_name_id_unless_told(account, tmp_path):
    assert SSOGroup.objects.get(pk=_import(account, tmp_path)["id"]).identity_attribute == ""
    result = _import(account, tmp_path, "--identify-by-attribute", "urn:oid:0.9.2342.19200300.100.1.3")
    group = SSOGroup.objects.get(pk=result["id"])
    assert group.identity_attribute == "urn:oid:0.9.2342.19200300.100.1.3"
    event = Event.objects.filter(event="sso_group_create").latest("id")
    assert (event.actor, event.changes["identity_attribute"]) == ("ssogroup_import", group.identity_attribute)


@pytest.mark.parametrize(("attribute", "message"), [("", MSG_ATTRIBUTE_NEEDED), ("e mail", MSG_ATTRIBUTE_NAME_INVALID)])
def test_import_refuses_an_unusable_attribute_name_and_creates_nothing(account, tmp_path, attribute, message):
    before = (SSOGroup.objects.count(), Event.objects.count())
    with pytest.raises(CommandError) as refused:
        _import(account, tmp_path, "--identify-by-attribute", attribute)
    assert str(refused.value) == message
    assert (SSOGroup.objects.count(), Event.objects.count()) == before


@pytest.mark.parametrize(("attribute", "message"), [("", MSG_ATTRIBUTE_NEEDED), ("e mail", MSG_ATTRIBUTE_NAME_INVALID)])
def test_update_refuses_an_unusable_attribute_name_and_writes_nothing(draft, attribute, message):
    before = snapshot(draft)
    with pytest.raises(CommandError) as refused:
        call_command(
            "ssogroup_update",
            "--account",
            str(draft.account_id),
            "--group",
            draft.slug,
            "--identify-by-attribute",
            attribute,
            stdout=StringIO(),
        )
    assert str(refused.value) == message
    assert snapshot(draft) == before


def test_update_cannot_be_told_both_ways(draft):
    with pytest.raises(CommandError):
        call_command(
            "ssogroup_update",
            "--account",
            str(draft.account_id),
            "--group",
            draft.slug,
            "--identify-by-attribute",
            "mail",
            "--identify-by-name-id",
            stdout=StringIO(),
        )
