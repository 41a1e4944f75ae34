"""Domains are IDNA 2008 / UTS #46 non-transitional, everywhere (issue 18 item 5).

Under IDNA 2003 ``straße.example`` folded to ``strasse.example``, a different DNS name today:
another tenant that verified ``strasse.example`` in its own DNS received /login for a managed user
of someone else, ``anna@straße.example``, and the real owner could never verify its domain.
"""

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from accounts.identifiers import domain_to_ascii, identifier_clean, identifier_normalise
from ssogroups import domains_verify as dv
from ssogroups.domains import domain_of_identifier, domains_normalize
from ssogroups.models import SSODomain
from ssogroups.services import ssogroup_update

pytestmark = pytest.mark.usefixtures("fixed_now")

DEVANAGARI_ZWNJ = "\u0915\u094d\u200c\u0937"  # KA, VIRAMA, ZWNJ, SSA: a joiner CONTEXTJ allows


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("straße.example", "xn--strae-oqa.example"),  # IDNA 2003: strasse.example
        ("STRAßE.Example.", "xn--strae-oqa.example"),
        ("xn--strae-oqa.example", "xn--strae-oqa.example"),
        ("strasse.example", "strasse.example"),
        ("ς.example", "xn--3xa.example"),  # IDNA 2003: σ (xn--4xa)
        (f"{DEVANAGARI_ZWNJ}.example", "xn--11b2ezcs70k.example"),  # IDNA 2003 dropped the ZWNJ
        ("ＥＸＡＭＰＬＥ.com", "example.com"),
    ],
)
def test_domains_fold_with_idna_2008_non_transitional(typed, stored):
    assert domain_to_ascii(typed) == stored
    assert domains_normalize([typed]) == [stored]
    assert domain_of_identifier(f"anna@{typed}") == stored


@pytest.mark.parametrize("refused", ["a\u200db.example", "\u2603.example", "xn--n3h.example", "a_b.example"])
def test_names_idna_2008_refuses_are_not_claimable_and_route_nothing(refused):
    assert domain_to_ascii(refused) is None
    assert domain_of_identifier(f"anna@{refused}") is None
    with pytest.raises(ValidationError, match="not a valid email domain"):
        domains_normalize([refused])


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("anna@STRAßE.example", "anna@straße.example"),
        ("anna@xn--strae-oqa.example", "anna@straße.example"),
        ("Anna@Example.COM", "Anna@Example.COM"),  # plain ASCII: as typed, compared case-insensitively
        (f"anna@{DEVANAGARI_ZWNJ}.example", f"anna@{DEVANAGARI_ZWNJ}.example"),
    ],
)
def test_identifier_domains_have_one_form(typed, stored):
    assert identifier_normalise(typed) == stored
    assert identifier_clean(typed, field="username", label="The username") == stored


def test_a_joiner_idna_2008_refuses_in_an_identifier_is_an_invisible_character():
    with pytest.raises(ValidationError, match="invisible"):
        identifier_clean("anna@a\u200db.example", field="username", label="The username")


@pytest.mark.django_db
def test_a_tenant_verifying_strasse_does_not_receive_login_for_strasse_with_eszett(
    make_account, make_ssogroup, make_user, dns_zone
):
    """The cross-tenant case: verified in the other tenant's own DNS, through the real resolver."""
    owner, owner_admin = make_account()
    owner_group = make_ssogroup(owner, slug="owner")
    anna = make_user(owner, "anna@straße.example", sso_group=owner_group)
    other, other_admin = make_account()
    other_group = make_ssogroup(other, slug="other")
    ssogroup_update(group=other_group, actor="other", domains=["strasse.example"])
    other_claim = SSODomain.objects.get(group=other_group)
    dns_zone.names["strasse.example"] = [other_claim.txt_record]
    assert dv.ssodomain_verify(claim=other_claim, actor="other").verified

    routed = Client().post("/login", {"identifier": "anna@straße.example"})
    assert routed.status_code == 302
    assert routed["Location"].startswith(owner_group.login_url)  # her own group, never the other tenant's
    assert Client().post("/login", {"identifier": "bob@strasse.example"})["Location"].startswith(other_group.login_url)

    # The real owner can now claim and verify its own name, published at its own A-label.
    ssogroup_update(group=owner_group, actor="owner", domains=["straße.example"])
    owner_claim = SSODomain.objects.get(group=owner_group)
    assert owner_claim.domain == "xn--strae-oqa.example"
    dns_zone.names["xn--strae-oqa.example"] = [owner_claim.txt_record]
    assert dv.ssodomain_verify(claim=owner_claim, actor="owner").verified
    assert ("xn--strae-oqa.example", "TXT") in dns_zone.queries
    routed = Client().post("/login", {"identifier": "bob@STRAßE.example"})
    assert routed["Location"].startswith(owner_group.login_url)
    assert anna.username == "anna@straße.example"
