"""Domain verification against a real DNS server on 127.0.0.1 (dnslib): no mock resolver anywhere."""

import pytest
from django.core.exceptions import ValidationError

from accounts.models import Event
from ssogroups import domains_verify as dv
from ssogroups.domains import MSG_DOMAIN_PUBLIC
from ssogroups.models import SSODomain, SSOGroup
from ssogroups.services import ssogroup_update

pytestmark = pytest.mark.usefixtures("fixed_now")


@pytest.fixture
def group(account, make_ssogroup):
    group = make_ssogroup(account, slug="corp")
    ssogroup_update(group=group, actor="setup", domains=["corp.example"])
    return group


@pytest.fixture
def claim(group):
    return SSODomain.objects.get(group=group)


def snapshot() -> tuple:
    """Everything a check could write, except the claim's own check fields and the one new event."""
    return (
        list(
            SSODomain.objects.order_by("pk").values_list(
                "pk", "account_id", "group_id", "domain", "verification_token", "verified_at"
            )
        ),
        list(SSOGroup.objects.order_by("pk").values_list("pk", "enabled", "updated_at")),
        list(Event.objects.order_by("pk").values_list("pk", flat=True)),
    )


def login_routes(client, identifier: str) -> str | None:
    response = client.post("/login", {"identifier": identifier})
    if response.status_code == 302:
        return response["Location"]
    assert response.status_code == 200
    assert b'name="password"' in response.content
    return None


def assert_refused(claim: SSODomain, check: dv.DomainCheck, reason: str, message: str, before: tuple) -> None:
    assert (check.verified, check.reason, check.message) == (False, reason, message)
    claim.refresh_from_db()
    assert claim.verified_at is None
    assert claim.check_error == message
    assert claim.checked_at is not None
    event = Event.objects.get(event=dv.EVENT)
    assert (event.account_id, event.outcome, event.reason, event.target, event.actor) == (
        claim.account_id,
        "failure",
        reason,
        claim.domain,
        "tester",
    )
    after = snapshot()
    assert after[0] == before[0] and after[1] == before[1]
    assert after[2] == [*before[2], event.pk]


def test_a_published_record_verifies_the_domain_and_then_it_routes_login(client, claim, group, dns_zone, fixed_now):
    dns_zone.names["corp.example"] = ["v=spf1 -all", claim.txt_record]
    assert login_routes(client, "newcomer@corp.example") is None  # claimed, not yet verified: routes nothing

    check = dv.ssodomain_verify(claim=claim, actor="tester")

    assert check == dv.DomainCheck(verified=True, reason="", message=dv.MSG_VERIFIED.format(domain="corp.example"))
    claim.refresh_from_db()
    assert (claim.verified_at, claim.checked_at, claim.check_error) == (fixed_now, fixed_now, "")
    event = Event.objects.get(event=dv.EVENT)
    assert (event.outcome, event.reason, event.target, event.changes) == (
        "success",
        "",
        "corp.example",
        {"group": "corp"},
    )
    assert dns_zone.queries == [("corp.example", "TXT")]
    assert login_routes(client, "Newcomer@CORP.example") == group.login_url


def test_a_record_split_into_several_strings_counts_as_one_value(claim, dns_zone):
    record = claim.txt_record
    dns_zone.names["corp.example"] = [[record[:10], record[10:]]]
    assert dv.ssodomain_verify(claim=claim, actor="tester").verified


@pytest.mark.parametrize(
    ("names", "reason", "template"),
    [
        (
            {"corp.example": ["sparksso-verification=someone-elses-token", "v=spf1 -all"]},
            "wrong_token",
            dv.MSG_WRONG_TOKEN,
        ),
        ({"corp.example": []}, "no_txt", dv.MSG_NO_TXT),
        ({"other.example": ["x"]}, "nxdomain", dv.MSG_NXDOMAIN),
    ],
    ids=["wrong-token", "no-txt", "nxdomain"],
)
def test_a_missing_or_wrong_record_is_refused_with_its_reason(client, claim, dns_zone, names, reason, template):
    dns_zone.names.update(names)
    before = snapshot()
    check = dv.ssodomain_verify(claim=claim, actor="tester")
    assert_refused(claim, check, reason, template.format(domain="corp.example", record=claim.txt_record), before)
    assert dns_zone.queries == [("corp.example", "TXT")]
    assert login_routes(client, "newcomer@corp.example") is None


def test_a_dns_server_that_never_answers_is_a_timeout(client, claim, dns_silent):
    before = snapshot()
    check = dv.ssodomain_verify(claim=claim, actor="tester")
    assert_refused(claim, check, "timeout", dv.MSG_TIMEOUT.format(domain="corp.example"), before)
    assert login_routes(client, "newcomer@corp.example") is None


def test_a_failing_dns_server_is_a_dns_error(claim, dns_zone):
    dns_zone.servfail.add("corp.example")
    before = snapshot()
    check = dv.ssodomain_verify(claim=claim, actor="tester")
    assert_refused(claim, check, "dns_error", dv.MSG_DNS_ERROR.format(domain="corp.example"), before)


def test_a_domain_verified_by_another_account_is_taken_and_the_message_names_no_one(
    client, claim, dns_zone, make_account, make_ssogroup
):
    other_account, _ = make_account(name="Rival Holdings")
    other_group = make_ssogroup(other_account, slug="rival-idp")
    ssogroup_update(group=other_group, actor="setup", domains=["corp.example"])
    other_claim = SSODomain.objects.get(group=other_group)
    # Both accounts publish their record; the first to verify holds the domain.
    dns_zone.names["corp.example"] = [other_claim.txt_record, claim.txt_record]
    assert dv.ssodomain_verify(claim=other_claim, actor="rival").verified
    Event.objects.filter(event=dv.EVENT).delete()
    before = snapshot()

    check = dv.ssodomain_verify(claim=claim, actor="tester")

    assert_refused(claim, check, "taken", dv.MSG_TAKEN.format(domain="corp.example"), before)
    for secret in ("Rival", "rival-idp", str(other_account.pk)):
        assert secret not in check.message
    other_claim.refresh_from_db()
    assert other_claim.is_verified
    assert login_routes(client, "newcomer@corp.example") == other_group.login_url


def test_a_public_mail_domain_is_never_looked_up(claim, dns_zone):
    SSODomain.objects.filter(pk=claim.pk).update(domain="gmail.com")  # a claim older than the list
    claim.refresh_from_db()
    dns_zone.names["gmail.com"] = [claim.txt_record]
    before = snapshot()
    check = dv.ssodomain_verify(claim=claim, actor="tester")
    assert_refused(claim, check, "public_domain", MSG_DOMAIN_PUBLIC.format(domain="gmail.com"), before)
    assert dns_zone.queries == []


def test_claiming_a_public_mail_domain_is_refused(group):
    with pytest.raises(ValidationError) as exc:
        ssogroup_update(group=group, actor="tester", domains=["corp.example", "GMail.com"])
    assert exc.value.message_dict == {"domains": [MSG_DOMAIN_PUBLIC.format(domain="gmail.com")]}
    assert list(SSODomain.objects.values_list("domain", flat=True)) == ["corp.example"]


def test_a_verified_domain_stays_verified_when_a_later_check_fails(claim, dns_zone, fixed_now):
    dns_zone.names["corp.example"] = [claim.txt_record]
    dv.ssodomain_verify(claim=claim, actor="tester")
    dns_zone.names["corp.example"] = []

    check = dv.ssodomain_verify(claim=claim, actor="tester")

    assert (check.verified, check.reason) == (False, "no_txt")
    claim.refresh_from_db()
    assert claim.verified_at == fixed_now
    assert claim.check_error == check.message
    assert list(Event.objects.filter(event=dv.EVENT).values_list("outcome", flat=True)) == ["success", "failure"]


def test_removing_a_domain_deletes_its_claim_and_its_routing(client, claim, group, dns_zone):
    dns_zone.names["corp.example"] = [claim.txt_record]
    dv.ssodomain_verify(claim=claim, actor="tester")
    assert login_routes(client, "someone@corp.example") == group.login_url

    ssogroup_update(group=group, actor="tester", domains=["other.example"])

    assert list(SSODomain.objects.values_list("domain", "verified_at")) == [("other.example", None)]
    assert login_routes(client, "someone@corp.example") is None
    event = Event.objects.filter(event="sso_group_update").latest("pk")
    assert event.changes == {"domains": ["other.example"]}
