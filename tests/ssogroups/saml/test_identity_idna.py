"""An IdP's spelling of an internationalised domain finds the user stored in the canonical form
(IDNA 2008, accounts.identifiers), and signing in again records no change."""

from accounts.models import Event
from tests.ssogroups.saml.conftest import acs_post, session_json
from tests.ssogroups.saml.idp import sp_of


def test_a_name_id_in_another_spelling_of_the_domain_signs_in_the_stored_user(idp, group, make_user, client):
    anna = make_user(group.account, "anna@xn--strae-oqa.example", email="anna@xn--strae-oqa.example", sso_group=group)
    assert anna.username == anna.email == "anna@straße.example"
    for spelling in ("anna@STRAßE.example", "anna@xn--strae-oqa.example"):
        xml = idp.response(sp_of(group), name_id=spelling, attributes={"email": [spelling]})
        assert acs_post(client, group, xml).status_code == 302
        assert session_json(client).json()["username"] == "anna@straße.example"
    assert group.account.users.count() == 2  # the admin and anna: no second anna
    assert not Event.objects.filter(event="user_update_sso").exists()  # the same address, spelled otherwise
