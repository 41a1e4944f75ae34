"""The commands pass the same gate as the pages: the operator at a shell is trusted (no recent
sign-in), but a change of an enabled group's trust is held and evented unless --approve is given."""

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import Event
from ssogroups.intake import metadata_load, ssogroup_create_from_metadata
from ssogroups.metadata import certificate_load
from ssogroups.models import SSOGroup, SSOTrustChange
from ssogroups.trust import MSG_PROPOSAL_CHANGED
from tests.ssogroups import samples as s
from tests.support.keys import make_keypair

ENTITY = "https://idp.example.test/saml"
SSO = "https://idp.example.test/sso"


def metadata(cert_b64: str, *, location: str = SSO) -> str:
    return s.idp_metadata(cert_b64, entity_id=ENTITY, location=location)


def make_group(account, slug: str, keys, *, enable: bool, url: str = "") -> SSOGroup:
    source = metadata_load(xml=metadata(keys.cert_b64))
    if url:
        source = metadata_load(url=url, fetch=lambda _: metadata(keys.cert_b64).encode())
    return ssogroup_create_from_metadata(
        account=account, name=slug.title(), slug=slug, source=source, actor="test", enable=enable
    )


@pytest.fixture
def group(account, old_keys):
    return make_group(account, "idp", old_keys, enable=True)


def update(group: SSOGroup, *args: str) -> dict:
    out = StringIO()
    call_command("ssogroup_update", "--account", str(group.account_id), "--group", group.slug, *args, stdout=out)
    return json.loads(out.getvalue())


def trusted(group: SSOGroup) -> list[str]:
    return sorted(SSOGroup.objects.get(pk=group.pk).certificates.values_list("sha256_fingerprint", flat=True))


def trust_columns(group: SSOGroup) -> tuple:
    fresh = SSOGroup.objects.get(pk=group.pk)
    return (
        fresh.idp_entity_id,
        fresh.sso_url,
        fresh.sso_endpoints,
        fresh.idp_metadata_url,
        fresh.identity_attribute,
        trusted(group),
    )


def trust_option(option: str, tmp_path, keys) -> list[str]:
    """The arguments that change the group's trust through ``option``."""
    if option == "--metadata":
        path = tmp_path / "md.xml"
        path.write_text(metadata(keys.cert_b64))
        return [option, str(path)]
    if option == "--certificate":
        path = tmp_path / "c.pem"
        path.write_text(keys.cert_pem)
        return [option, str(path)]
    if option == "--identify-by-name-id":  # back from an attribute: the group reads one first
        SSOGroup.objects.filter(slug="idp").update(identity_attribute="mail")
        return [option]
    return {
        "--sso-url": [option, "https://look-alike.example/sso"],
        "--entity-id": [option, "https://x.example/"],
        "--identify-by-attribute": [option, "mail"],
    }[option]


TRUST_OPTIONS = [
    "--metadata",
    "--certificate",
    "--sso-url",
    "--entity-id",
    "--identify-by-attribute",
    "--identify-by-name-id",
]


@pytest.mark.parametrize("option", TRUST_OPTIONS)
def test_each_trust_option_is_held_on_an_enabled_group(tmp_path, group, new_keys, option):
    args = trust_option(option, tmp_path, new_keys)
    before = trust_columns(group)
    result = update(group, *args)
    assert trust_columns(group) == before
    change = SSOTrustChange.objects.get(group=group)
    assert result["trust_change"]["version"] == change.version
    event = Event.objects.get(event="sso_group_trust_change_pending")
    assert (event.actor, event.target, event.changes["source"]) == ("ssogroup_update", "idp", "command")


@pytest.mark.parametrize("option", TRUST_OPTIONS)
def test_approve_applies_each_trust_option_at_once(tmp_path, group, new_keys, option):
    args = trust_option(option, tmp_path, new_keys)
    before = trust_columns(group)
    result = update(group, *args, "--approve")
    assert trust_columns(group) != before
    assert result["trust_change"] is None and not SSOTrustChange.objects.exists()
    assert not Event.objects.filter(event="sso_group_trust_change_pending").exists()
    assert Event.objects.filter(event="sso_group_update", actor="ssogroup_update").exists()


def test_a_never_enabled_group_takes_the_change_at_once(tmp_path, account, new_keys, old_keys):
    draft = make_group(account, "draft", old_keys, enable=False)
    update(draft, *trust_option("--certificate", tmp_path, new_keys))
    assert trusted(draft) == [certificate_load(new_keys.cert_b64).sha256_fingerprint]
    assert not SSOTrustChange.objects.exists()


def test_the_operator_decides_a_waiting_change_by_its_version(tmp_path, group, new_keys, old_keys):
    shown = update(group, *trust_option("--certificate", tmp_path, new_keys))["trust_change"]["version"]
    other = make_keypair("other")
    update(group, *trust_option("--certificate", tmp_path, other))  # a newer proposal replaces it
    before = (Event.objects.count(), trusted(group))
    with pytest.raises(CommandError) as refused:
        update(group, "--approve-pending", shown)
    assert str(refused.value) == MSG_PROPOSAL_CHANGED
    assert (Event.objects.count(), trusted(group)) == before

    current = SSOTrustChange.objects.get(group=group).version
    result = update(group, "--approve-pending", current)
    assert trusted(group) == [certificate_load(other.cert_b64).sha256_fingerprint]
    assert result["trust_change"] is None
    assert Event.objects.get(event="sso_group_trust_change_approve").actor == "ssogroup_update"


def test_policy_from_the_operator_applies_without_a_sign_in(group):
    result = update(group, "--jit", "--default-role", "developer", "--scim-roles", "reporting,admin")
    fresh = SSOGroup.objects.get(pk=group.pk)
    assert (fresh.jit_provisioning, fresh.default_role, fresh.scim_roles) == (True, "developer", ["admin", "reporting"])
    assert result["enabled"] is True
    assert Event.objects.get(event="sso_group_update").changes["jit_provisioning"] is True


def test_another_accounts_group_is_not_found(group, make_account):
    other, _ = make_account()
    with pytest.raises(CommandError) as refused:
        call_command("ssogroup_update", "--account", str(other.pk), "--group", "idp", "--no-enable", stdout=StringIO())
    assert str(refused.value) == f"no SSO group 'idp' in account {other.pk}"
    assert SSOGroup.objects.get(pk=group.pk).enabled is True


def test_the_refresh_timer_holds_and_approve_applies(account, old_keys, new_keys, allow_private, metadata_server):
    url = metadata_server.serve("/md.xml", metadata(old_keys.cert_b64).encode())
    group = make_group(account, "timer", old_keys, enable=True, url=url)
    metadata_server.serve("/md.xml", metadata(new_keys.cert_b64, location="https://moved.example/sso").encode())
    before = trust_columns(group)

    call_command("ssogroups_refresh", stdout=StringIO())
    assert trust_columns(group) == before
    change = SSOTrustChange.objects.get(group=group)
    assert change.values["sso_url"] == "https://moved.example/sso" and change.certificates_changed

    call_command("ssogroups_refresh", "--approve", stdout=StringIO())
    assert SSOGroup.objects.get(pk=group.pk).sso_url == "https://moved.example/sso"
    assert trusted(group) == [certificate_load(new_keys.cert_b64).sha256_fingerprint]
    assert not SSOTrustChange.objects.exists()


def test_import_never_overwrites_an_existing_group(account, group, tmp_path, new_keys):
    """ssogroup_import only creates: an existing slug is refused, so it is no path around the gate."""
    path = tmp_path / "md.xml"
    path.write_text(metadata(new_keys.cert_b64))
    before = trust_columns(group)
    with pytest.raises(CommandError) as refused:
        call_command(
            "ssogroup_import", "--account", str(account.pk), "--name", "X", "--slug", "idp", "--metadata", str(path)
        )
    assert str(refused.value) == "This account already has an SSO group with the ID 'idp'."
    assert trust_columns(group) == before


# --- every option of ssogroup_update is classified ---------------------------------------------

SELECTOR, TRUST, PRIVILEGE, NEITHER, DECISION = "selector", "trust", "privilege", "neither", "decision"
COMMAND_OPTIONS = {
    "account": SELECTOR,
    "group": SELECTOR,
    "name": NEITHER,
    "metadata": TRUST,
    "sso_url": TRUST,
    "entity_id": TRUST,
    "certificate": TRUST,
    "identify_by_attribute": TRUST,
    "identify_by_name_id": TRUST,
    "enable": PRIVILEGE,
    "idp_initiated": PRIVILEGE,
    "jit": PRIVILEGE,
    "adopt": PRIVILEGE,
    "default_role": PRIVILEGE,
    "scim_roles": PRIVILEGE,
    "sign_requests": NEITHER,  # what we send, not whom we trust (ssogroups/trust.py NEUTRAL_FIELDS)
    "approve": DECISION,
    "approve_pending": DECISION,
    "reject_pending": DECISION,
}
PRIVILEGE_ARGS = {
    "enable": ["--no-enable"],
    "idp_initiated": ["--no-idp-initiated"],
    "jit": ["--jit"],
    "adopt": ["--adopt"],
    "default_role": ["--default-role", "admin"],
    "scim_roles": ["--scim-roles", "admin"],
}


def test_every_option_of_the_update_command_is_classified():
    from django.core.management.base import BaseCommand

    from ssogroups.management.commands.ssogroup_update import Command

    def dests(command) -> set[str]:
        return {a.dest for a in command.create_parser("manage.py", "x")._actions}

    own = dests(Command()) - dests(BaseCommand())
    assert own == set(COMMAND_OPTIONS), "classify the new option in COMMAND_OPTIONS"
    assert {o for o, kind in COMMAND_OPTIONS.items() if kind == TRUST} == {
        o[2:].replace("-", "_") for o in TRUST_OPTIONS
    }
    assert {o for o, kind in COMMAND_OPTIONS.items() if kind == PRIVILEGE} == set(PRIVILEGE_ARGS)


@pytest.mark.parametrize("option", sorted(PRIVILEGE_ARGS))
def test_each_privilege_option_applies_for_the_operator_with_its_event(group, option):
    before = SSOGroup.objects.filter(pk=group.pk).values().get()
    update(group, *PRIVILEGE_ARGS[option])
    after = SSOGroup.objects.filter(pk=group.pk).values().get()
    changed = {k for k in after if after[k] != before[k]} - {"updated_at"}
    assert changed, option
    event = Event.objects.filter(actor="ssogroup_update").latest("id")
    assert event.event in ("sso_group_update",) and set(event.changes) == changed
    assert not SSOTrustChange.objects.exists()


def test_sign_requests_applies_for_the_operator_with_its_event(group):
    assert group.sign_authn_requests is False
    update(group, "--sign-requests")
    group.refresh_from_db()
    assert group.sign_authn_requests is True
    event = Event.objects.filter(actor="ssogroup_update").latest("id")
    assert (event.event, event.changes) == ("sso_group_update", {"sign_authn_requests": True})
    assert not SSOTrustChange.objects.exists()
