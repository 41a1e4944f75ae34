"""Where SAML sign-in and SCIM both write the same user, the two views of her must not drift apart."""

from django.test import Client

from accounts.models import User
from tests.e2e.conftest import JumpCloud, patch, tile_click, user_payload
from tests.e2e.test_jumpcloud_lifecycle import admin_connects_jumpcloud, session_of

ALICE = "alice@example.com"


def provisioned(account, admin, idp):
    group, plaintext = admin_connects_jumpcloud(account, admin, idp)
    jc = JumpCloud(token=plaintext, client=Client())
    created = jc.send("POST", "/Users", user_payload(ALICE, "Alice", "Liddell", "jc-1"))
    assert created.status_code == 201, created.content
    return group, jc, created.json()["id"]


def test_an_email_from_the_assertion_is_the_primary_email_scim_reads_back(account, admin, jumpcloud_idp):
    """User.email mirrors the primary of the SCIM emails; a sign-in that changes it changes both."""
    group, jc, scim_id = provisioned(account, admin, jumpcloud_idp)
    changed = jc.send(
        "PATCH",
        f"/Users/{scim_id}",
        patch({"op": "Replace", "path": 'emails[type eq "work"].value', "value": "alice@wonderland.example"}),
    )
    assert changed.status_code == 200, changed.content
    assert User.objects.get(username=ALICE).email == "alice@wonderland.example"

    # The IdP still asserts the old address (the SAML attribute mapping lags the directory).
    browser = Client()
    assert tile_click(browser, jumpcloud_idp, group, ALICE, "Alice", "Liddell").status_code == 302
    alice = User.objects.get(username=ALICE)
    assert alice.email == ALICE
    assert session_of(browser).json()["email"] == ALICE
    doc = jc.get(f"/Users/{scim_id}").json()
    assert doc["emails"] == [{"value": ALICE, "type": "work", "primary": True}]
    assert jc.get("/Users", {"filter": f'emails.value eq "{ALICE}"'}).json()["totalResults"] == 1


def test_an_asserted_email_already_listed_becomes_the_primary_one(account, admin, jumpcloud_idp):
    group, jc, scim_id = provisioned(account, admin, jumpcloud_idp)
    emails = [
        {"value": "alice@wonderland.example", "type": "work", "primary": True},
        {"value": ALICE, "type": "home"},
    ]
    put = jc.send("PUT", f"/Users/{scim_id}", {**user_payload(ALICE, "Alice", "Liddell", "jc-1"), "emails": emails})
    assert put.status_code == 200, put.content
    assert tile_click(Client(), jumpcloud_idp, group, ALICE, "Alice", "Liddell").status_code == 302
    assert User.objects.get(username=ALICE).email == ALICE
    assert jc.get(f"/Users/{scim_id}").json()["emails"] == [
        {"value": "alice@wonderland.example", "type": "work", "primary": False},
        {"value": ALICE, "type": "home", "primary": True},
    ]


def test_a_username_attribute_in_the_assertion_does_not_rename_the_provisioned_user(account, admin, jumpcloud_idp):
    """JumpCloud apps often also send the JumpCloud login name ("username": "alice"). If a sign-in
    renamed the user to it, JumpCloud's next lookup by userName would miss her and its create would
    make a second alice."""
    group, jc, scim_id = provisioned(account, admin, jumpcloud_idp)
    browser = Client()
    signed_in = tile_click(browser, jumpcloud_idp, group, ALICE, "Alice", "Liddell", username=["alice"])
    assert signed_in.status_code == 302
    assert session_of(browser).json()["username"] == ALICE
    assert list(User.objects.filter(account=account).exclude(pk=admin.pk).values_list("username", flat=True)) == [ALICE]
    found = jc.find_user(ALICE).json()
    assert (found["totalResults"], found["Resources"][0]["id"]) == (1, scim_id)
    again = jc.send("POST", "/Users", user_payload(ALICE, "Alice", "Liddell", "jc-1"))
    assert again.status_code == 409
    assert User.objects.filter(account=account).count() == 2
