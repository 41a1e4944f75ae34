"""The IDNA 2008 migrations on a populated database (issue 18 item 5): claims re-folded and
un-verified when their form changes, identifiers' domains in one form, an event for each."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = [("accounts", "0006_user_list_order_index"), ("ssogroups", "0006_field_rules_on_the_model")]
AFTER = [("accounts", "0007_idna2008_identifiers"), ("ssogroups", "0007_idna2008_domains")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_claims_and_identifiers_are_refolded_and_changed_claims_unverified():
    old = _migrate(BEFORE)
    Account, User = old.get_model("accounts", "Account"), old.get_model("accounts", "User")
    UserEmail, Event = old.get_model("accounts", "UserEmail"), old.get_model("accounts", "Event")
    SSOGroup, SSODomain = old.get_model("ssogroups", "SSOGroup"), old.get_model("ssogroups", "SSODomain")
    account = Account.objects.create(name="Old", plan="enterprise")
    group = SSOGroup.objects.create(account=account, name="JC", slug="jc")
    now = timezone.now()

    def claim(domain: str):
        return SSODomain.objects.create(
            account=account, group=group, domain=domain, verification_token=domain, verified_at=now
        ).pk

    same, refused, refolded = claim("strasse.example"), claim("xn--n3h.example"), claim("XN--STRAE-OQA.example")

    def user(username: str, email: str = ""):
        return User.objects.create(account=account, username=username, email=email, password="!").pk

    anna = user("anna@STRAßE.example", "anna@xn--strae-oqa.example")
    UserEmail.objects.create(user_id=anna, position=0, value="anna@XN--STRAE-OQA.example")
    plain = user("Plain@Example.COM", "Plain@Example.COM")
    user("carl@straße.example")
    carl2 = user("carl@xn--strae-oqa.example")
    events_before = Event.objects.count()

    apps = _migrate(AFTER)

    NewDomain, NewUser = apps.get_model("ssogroups", "SSODomain"), apps.get_model("accounts", "User")
    NewEvent, NewEmail = apps.get_model("accounts", "Event"), apps.get_model("accounts", "UserEmail")
    rows = {c.pk: (c.domain, c.verified_at is not None) for c in NewDomain.objects.all()}
    assert rows == {
        same: ("strasse.example", True),  # the name its TXT record was proven at: untouched
        refused: ("xn--n3h.example", False),  # ☃: IDNA 2008 refuses it
        refolded: ("xn--strae-oqa.example", False),
    }
    assert "IDNA 2008 does not allow" in NewDomain.objects.get(pk=refused).check_error
    unverify = NewEvent.objects.filter(event="sso_domain_unverify").order_by("target")
    assert [(e.target, e.reason, e.changes["was_verified"]) for e in unverify] == [
        ("XN--STRAE-OQA.example", "idna2008", True),
        ("xn--n3h.example", "idna2008", True),
    ]
    assert NewUser.objects.filter(pk=anna).values_list("username", "email").get() == (
        "anna@straße.example",
        "anna@straße.example",
    )
    assert NewEmail.objects.get(user_id=anna).value == "anna@straße.example"
    assert NewUser.objects.get(pk=plain).username == "Plain@Example.COM"  # plain ASCII as typed
    assert NewUser.objects.get(pk=carl2).username == "carl@xn--strae-oqa.example"  # would clash: kept
    normalised = NewEvent.objects.filter(event="user_identifier_normalise").order_by("target")
    assert [(e.target, e.outcome, e.reason) for e in normalised] == [
        ("anna@straße.example", "success", "idna2008"),
        ("carl@xn--strae-oqa.example", "failure", "username_taken"),
    ]
    assert NewEvent.objects.count() == events_before + 4
