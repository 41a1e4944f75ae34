"""SCIM and IDN domains: one form whatever the IdP's spelling, and a zero-width space in a domain is
refused on update as on create (UTS #46 would silently drop it: the rule is checked first)."""

from accounts.identifiers import MSG_INVISIBLE
from accounts.models import Event, User

from .conftest import USER_SCHEMA, error

USERNAME_REFUSED = f"The username {MSG_INVISIBLE}"


def test_an_idn_username_is_stored_in_one_form_and_found_by_another_spelling(scim):
    created = scim.create_user("anna@xn--strae-oqa.example")
    assert created["userName"] == "anna@straße.example"
    again = scim.post("/Users", {"schemas": [USER_SCHEMA], "userName": "anna@STRAßE.example"})
    assert again.status_code == 409  # the same name


def test_a_put_with_a_zero_width_space_in_the_domain_is_refused_and_writes_nothing(scim):
    created = scim.create_user("anna@straße.example")
    user = User.objects.get(scim_id=created["id"])
    events = Event.objects.count()
    response = scim.put(f"/Users/{created['id']}", {"schemas": [USER_SCHEMA], "userName": "anna@straße.example\u200b"})
    assert response.status_code == 400
    assert response.json() == error(400, f"userName: {USERNAME_REFUSED}", "invalidValue")
    assert User.objects.get(pk=user.pk).username == "anna@straße.example"
    assert Event.objects.count() == events + 1  # the failure's event only
    assert Event.objects.latest("pk").outcome == "failure"


def test_a_put_spelling_the_domain_otherwise_is_no_change(scim):
    created = scim.create_user("anna@straße.example")
    events = Event.objects.count()
    response = scim.put(f"/Users/{created['id']}", {"schemas": [USER_SCHEMA], "userName": "anna@xn--strae-oqa.example"})
    assert response.status_code == 200
    assert response.json()["userName"] == "anna@straße.example"
    assert Event.objects.count() == events  # nothing changed, nothing recorded
