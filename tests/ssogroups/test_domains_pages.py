"""Verifying a domain from the group's page and from the ssodomain_verify command (real local DNS)."""

import pytest
from django.core.management import CommandError, call_command
from django.utils.html import escape

from accounts.models import Event, User
from ssogroups import domains_verify as dv
from ssogroups.management.commands.ssodomain_verify import MSG_NOT_CLAIMED
from ssogroups.models import SSODomain
from ssogroups.services import ssogroup_update

pytestmark = pytest.mark.usefixtures("fixed_now")


@pytest.fixture
def group(account, make_ssogroup):
    group = make_ssogroup(account, slug="corp")
    ssogroup_update(group=group, actor="setup", domains=["corp.example", "corp.test"])
    return group


@pytest.fixture
def claim(group):
    return SSODomain.objects.get(group=group, domain="corp.example")


@pytest.fixture
def client_admin(client, admin):
    client.force_login(admin)
    return client


def verify_url(group, claim) -> str:
    return f"/account/sso/{group.slug}/domains/{claim.pk}/verify"


def claims_state() -> list[tuple]:
    return list(SSODomain.objects.order_by("pk").values_list("pk", "verified_at", "checked_at", "check_error"))


# ---- the group's page ----


def test_the_group_page_shows_each_record_to_publish_with_copy_and_verify(client_admin, group, claim):
    page = client_admin.get(f"/account/sso/{group.slug}/")
    html = page.content.decode()
    assert page.status_code == 200
    assert f'<input type="text" id="txt-{claim.pk}" value="{claim.txt_record}" readonly' in html
    assert f'data-copy="txt-{claim.pk}"' in html
    assert f'action="{verify_url(group, claim)}"' in html
    assert "Not verified: routes no one yet" in html
    assert "<script>" not in html and "onclick" not in html  # CSP without unsafe-inline


def test_the_verify_button_verifies_and_says_so(client_admin, admin, group, claim, dns_zone, fixed_now):
    dns_zone.names["corp.example"] = [claim.txt_record]
    response = client_admin.post(verify_url(group, claim))
    assert response.status_code == 302
    assert response["Location"] == f"/account/sso/{group.slug}/"
    page = client_admin.get(response["Location"])
    assert dv.MSG_VERIFIED.format(domain="corp.example") in page.content.decode()
    assert f"Verified {fixed_now:%Y-%m-%d}" in page.content.decode()
    event = Event.objects.get(event=dv.EVENT)
    assert (event.actor, event.outcome, event.target, event.ip) == (
        admin.username,
        "success",
        "corp.example",
        "127.0.0.1",
    )
    claim.refresh_from_db()
    assert claim.verified_at == fixed_now


def test_a_failed_verification_shows_the_reason_and_keeps_the_claim_unverified(client_admin, group, claim, dns_zone):
    dns_zone.names["corp.example"] = ["sparksso-verification=not-ours"]
    response = client_admin.post(verify_url(group, claim), follow=True)
    message = dv.MSG_WRONG_TOKEN.format(domain="corp.example", record=claim.txt_record)
    assert response.status_code == 200
    assert [(m.level_tag, str(m)) for m in response.context["messages"]] == [("error", message)]
    assert escape(message) in response.content.decode()  # also as the claim's last check, on the page
    claim.refresh_from_db()
    assert (claim.verified_at, claim.check_error) == (None, message)
    assert Event.objects.get(event=dv.EVENT).reason == "wrong_token"


def test_another_accounts_claim_is_a_404_and_nothing_is_looked_up(
    client_admin, group, dns_zone, make_account, make_ssogroup
):
    other_account, _ = make_account()
    other_group = make_ssogroup(other_account, slug="corp")  # same slug in another account
    ssogroup_update(group=other_group, actor="setup", domains=["rival.example"])
    foreign = SSODomain.objects.get(group=other_group)
    dns_zone.names["rival.example"] = [foreign.txt_record]
    before = claims_state()
    for url in (verify_url(group, foreign), f"/account/sso/{group.slug}/domains/999999/verify"):
        assert client_admin.post(url).status_code == 404
    assert claims_state() == before
    assert not Event.objects.filter(event=dv.EVENT).exists()
    assert dns_zone.queries == []


def test_only_account_admins_verify_and_only_by_post(client, client_admin, account, group, claim, make_user, dns_zone):
    assert client_admin.get(verify_url(group, claim)).status_code == 405
    client.force_login(make_user(account, role=User.Role.DEVELOPER))
    before = claims_state()
    response = client.post(verify_url(group, claim))
    assert response.status_code == 403
    assert claims_state() == before
    assert not Event.objects.filter(event=dv.EVENT).exists()
    assert dns_zone.queries == []


# ---- the command ----


def test_command_verifies_every_unverified_domain(account, group, dns_zone, capsys):
    for claim in SSODomain.objects.filter(group=group):
        dns_zone.names[claim.domain] = [claim.txt_record]
    call_command("ssodomain_verify", "--account", str(account.pk))
    assert capsys.readouterr().out.splitlines() == ["corp.example: verified", "corp.test: verified"]
    assert set(Event.objects.filter(event=dv.EVENT).values_list("actor", "outcome")) == {
        ("ssodomain_verify", "success")
    }
    call_command("ssodomain_verify", "--account", str(account.pk))
    assert capsys.readouterr().out.strip() == "No unverified domain to check."


def test_command_one_domain_failing_is_one_line_and_exit_1(account, claim, dns_zone):
    with pytest.raises(CommandError) as exc:
        call_command("ssodomain_verify", "--account", str(account.pk), "--domain", "Corp.Example")
    assert str(exc.value) == "corp.example: nxdomain: " + dv.MSG_NXDOMAIN.format(domain="corp.example")
    assert "\n" not in str(exc.value)
    claim.refresh_from_db()
    assert claim.verified_at is None
    assert Event.objects.get(event=dv.EVENT).reason == "nxdomain"


def test_command_reports_each_failure_and_exits_1(account, group, dns_zone, capsys):
    dns_zone.names["corp.example"] = [SSODomain.objects.get(domain="corp.example").txt_record]
    with pytest.raises(CommandError) as exc:
        call_command("ssodomain_verify", "--account", str(account.pk))
    assert str(exc.value) == "1 of 2 domain(s) could not be verified"
    out, err = capsys.readouterr()
    assert out.splitlines() == ["corp.example: verified"]
    assert err.splitlines() == ["corp.test: nxdomain: " + dv.MSG_NXDOMAIN.format(domain="corp.test")]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--account", "999999"], "No account with id 999999."),
        (["--domain", "elsewhere.example"], "has not claimed the domain elsewhere.example"),
    ],
)
def test_command_refuses_unknown_account_or_unclaimed_domain(account, claim, dns_zone, args, message):
    if "--account" not in args:
        args = ["--account", str(account.pk), *args]
    with pytest.raises(CommandError) as exc:
        call_command("ssodomain_verify", *args)
    assert message in str(exc.value)
    assert not Event.objects.filter(event=dv.EVENT).exists()
    assert dns_zone.queries == []


def test_command_does_not_reach_another_accounts_claim(account, dns_zone, make_account, make_ssogroup):
    other_account, _ = make_account()
    other_group = make_ssogroup(other_account)
    ssogroup_update(group=other_group, actor="setup", domains=["rival.example"])
    with pytest.raises(CommandError) as exc:
        call_command("ssodomain_verify", "--account", str(account.pk), "--domain", "rival.example")
    assert str(exc.value) == MSG_NOT_CLAIMED.format(account=account.pk, domain="rival.example")
    assert SSODomain.objects.get(domain="rival.example").checked_at is None
