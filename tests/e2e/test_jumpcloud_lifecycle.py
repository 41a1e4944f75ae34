"""The whole JumpCloud story over HTTP: an admin connects JumpCloud, JumpCloud provisions alice over
SCIM 2.0, alice signs in from the JumpCloud tile, and every later SCIM change reaches her sessions.

Nothing is mocked: the admin uses the real pages, the IdP signs with a key pair through xmlsec1, and
the SCIM requests carry the shapes JumpCloud's Identity Management connector sends.
"""

from django.test import Client

from accounts.models import Event, User, UserSession
from scim.constants import MSG_NOT_FOUND
from scim.models import ScimGroup, ScimGroupMembership, ScimToken
from scim.tokens import scim_token_create
from ssogroups.models import SSOGroup, SSOLoginFailure
from tests.e2e.conftest import (
    ADMIN_PASSWORD,
    ERROR,
    GROUP,
    JUMPCLOUD_ENTITY_ID,
    LIST,
    TOKEN_RE,
    USER,
    JumpCloud,
    jumpcloud_metadata,
    patch,
    tile_click,
    user_payload,
)
from tests.ssogroups.saml.idp import TestIdP
from tests.support.keys import shared_keypair

ALICE = "alice@example.com"
BASE_URL = "https://sparksso.example.test"


def admin_connects_jumpcloud(account, admin, idp) -> tuple[SSOGroup, str]:
    """README "Connecting JumpCloud" steps 3, 5 and 6 through the admin's browser."""
    browser = Client()
    signed_in = browser.post("/login", {"identifier": admin.email, "password": ADMIN_PASSWORD})
    assert signed_in.status_code == 302, signed_in.content
    created = browser.post(
        "/account/sso/new",
        {
            "name": "JumpCloud",
            "slug": "jumpcloud",
            "metadata_xml": jumpcloud_metadata(idp.keypair.cert_b64),
            "metadata_url": "",
            "idp_entity_id": "",
            "sso_url": "",
            "certificates": "",
            "allow_idp_initiated": "on",
            "default_role": "reporting",
            "domains": "example.com",
            "signature_requirement": "either",
        },
    )
    assert created.status_code == 302, created.content.decode()
    assert created["Location"] == "/account/sso/jumpcloud/"
    enabled = browser.post("/account/sso/jumpcloud/enable")
    assert enabled.status_code == 302
    group = SSOGroup.objects.get(account=account, slug="jumpcloud")
    assert (group.enabled, group.idp_entity_id, group.sso_url) == (
        True,
        JUMPCLOUD_ENTITY_ID,
        "https://sso.jumpcloud.com/saml2/samlify",
    )
    page = browser.post(
        "/account/settings/scim-tokens/",
        {"sso_group": group.pk, "label": "JumpCloud production", "form_id": "e2e-form-id-0123456789"},
    )
    assert page.status_code == 201
    return group, TOKEN_RE.search(page.content.decode()).group(1)


def session_of(browser: Client):
    return browser.get("/api/v1/session")


def assert_signed_in(browser: Client, account, **profile) -> None:
    response = session_of(browser)
    assert response.status_code == 200
    assert response.json() == {
        "authenticated": True,
        "username": ALICE,
        "email": ALICE,
        "account_id": account.pk,
        "sso_group": "jumpcloud",
        "auth_method": "sso",
        "role": "reporting",
    }
    user = User.objects.get(account=account, username=ALICE)
    for name, value in profile.items():
        assert getattr(user, name) == value, name


def last_failure(group) -> SSOLoginFailure:
    return SSOLoginFailure.objects.filter(group=group).order_by("-id").first()


def test_jumpcloud_lifecycle(account, admin, jumpcloud_idp):
    idp = jumpcloud_idp
    group, plaintext = admin_connects_jumpcloud(account, admin, idp)
    token = ScimToken.objects.get(account=account)
    actor = f"scim:{token.prefix}"
    jc = JumpCloud(token=plaintext, client=Client())

    # Test Connection: JumpCloud reads the service provider config and looks up a user that does not exist.
    config = jc.get("/ServiceProviderConfig")
    assert config.status_code == 200
    assert config.json()["patch"] == {"supported": True}
    probe = jc.find_user("jctest-connection@example.com")
    assert probe.status_code == 200
    assert probe.json() == {"schemas": [LIST], "totalResults": 0, "startIndex": 1, "itemsPerPage": 0, "Resources": []}

    # Provision: look up by userName, then create.
    assert jc.find_user(ALICE).json()["totalResults"] == 0
    created = jc.send("POST", "/Users", user_payload(ALICE, "Alice", "Liddell", "jc-5f1a2b3c4d"))
    assert created.status_code == 201, created.content
    doc = created.json()
    alice = User.objects.get(account=account, username=ALICE)
    assert created["Location"] == f"{BASE_URL}/api/v1/users/scim/v2/Users/{alice.scim_id}"
    assert doc == {
        "schemas": [USER],
        "id": str(alice.scim_id),
        "userName": ALICE,
        "externalId": "jc-5f1a2b3c4d",
        "displayName": "Alice Liddell",
        "name": {"givenName": "Alice", "familyName": "Liddell"},
        "active": True,
        "emails": [{"value": ALICE, "type": "work", "primary": True}],
        "meta": doc["meta"],
    }
    assert doc["meta"]["resourceType"] == "User" and doc["meta"]["location"] == created["Location"]
    assert (alice.sso_group, alice.is_active, alice.email, alice.role) == (group, True, ALICE, "reporting")
    assert not alice.has_usable_password()
    scim_id = str(alice.scim_id)
    found = jc.find_user(ALICE).json()
    assert found["totalResults"] == 1 and found["Resources"][0]["id"] == scim_id

    # alice clicks the JumpCloud tile.
    browser = Client()
    signed_in = tile_click(browser, idp, group, ALICE, "Alice", "Liddell")
    assert signed_in.status_code == 302, signed_in.content
    assert_signed_in(browser, account, first_name="Alice", last_name="Liddell")
    assert UserSession.objects.filter(user=alice, auth_method="sso").count() == 1

    # JumpCloud renames her: PATCH Replace of name.givenName (capitalised op, as JumpCloud/Entra send it).
    renamed = jc.send(
        "PATCH", f"/Users/{scim_id}", patch({"op": "Replace", "path": "name.givenName", "value": "Alicia"})
    )
    assert renamed.status_code == 200, renamed.content
    assert renamed.json()["name"] == {"givenName": "Alicia", "familyName": "Liddell"}
    assert User.objects.get(pk=alice.pk).first_name == "Alicia"
    again = Client()
    assert tile_click(again, idp, group, ALICE, "Alicia", "Liddell").status_code == 302
    assert_signed_in(again, account, first_name="Alicia", last_name="Liddell")
    assert jc.get(f"/Users/{scim_id}").json()["name"] == {"givenName": "Alicia", "familyName": "Liddell"}

    # Deactivate: PATCH active "False" (a string). Her open sessions end at once; the tile is refused.
    sessions_before = UserSession.objects.filter(user=alice).count()
    assert sessions_before == 2
    off = jc.send("PATCH", f"/Users/{scim_id}", patch({"op": "Replace", "path": "active", "value": "False"}))
    assert off.status_code == 200, off.content
    assert off.json()["active"] is False
    assert User.objects.get(pk=alice.pk).is_active is False
    assert session_of(browser).status_code == 401
    assert session_of(again).status_code == 401
    assert UserSession.objects.filter(user=alice).count() == 0
    refused = Client()
    response = tile_click(refused, idp, group, ALICE, "Alicia", "Liddell")
    assert response.status_code == 403
    assert session_of(refused).status_code == 401
    failure = last_failure(group)
    assert (failure.reason, failure.name_id) == ("inactive_user", ALICE)

    # Reactivate: JumpCloud sends the full user with PUT.
    on = jc.send("PUT", f"/Users/{scim_id}", user_payload(ALICE, "Alicia", "Liddell", "jc-5f1a2b3c4d"))
    assert on.status_code == 200, on.content
    assert on.json()["active"] is True
    back = Client()
    assert tile_click(back, idp, group, ALICE, "Alicia", "Liddell").status_code == 302
    assert_signed_in(back, account, first_name="Alicia", is_active=True)

    # Import: a paged list.
    listed = jc.get("/Users", {"startIndex": "1", "count": "100"})
    assert listed.status_code == 200
    body = listed.json()
    # The token imports the users its SSO group manages, never the admin who signs in with a password.
    assert (body["totalResults"], body["startIndex"], body["itemsPerPage"]) == (1, 1, 1)
    assert [(r["id"], r["userName"], r["active"]) for r in body["Resources"]] == [(scim_id, ALICE, True)]
    assert jc.get(f"/Users/{admin.scim_id}").status_code == 404

    # Delete: gone for SCIM, her session ends, the tile is refused.
    gone = jc.delete(f"/Users/{scim_id}")
    assert gone.status_code == 204
    assert not User.objects.filter(pk=alice.pk).exists()
    assert session_of(back).status_code == 401
    missing = jc.get(f"/Users/{scim_id}")
    assert missing.status_code == 404
    assert missing.json() == {"schemas": [ERROR], "status": "404", "detail": missing.json()["detail"]}
    after_delete = Client()
    assert tile_click(after_delete, idp, group, ALICE, "Alicia", "Liddell").status_code == 403
    assert session_of(after_delete).status_code == 401
    assert last_failure(group).reason == "unknown_user"

    # The event log tells the story, with the token's prefix as the SCIM actor.
    lookup = "user_lookup_provision"
    events = list(
        Event.objects.filter(account=account, id__gt=token_event_id(account))
        .order_by("id")
        .values_list("event", "actor", "target")
    )
    # Lookups that answer write nothing; those that fail (404s) are recorded,
    # as JumpCloud's Directory Insights records only failed lookups.
    assert events == [
        ("user_create_provision", actor, ALICE),
        ("sso_login_success", ALICE, ALICE),
        ("user_update_provision", actor, ALICE),
        ("sso_login_success", ALICE, ALICE),
        ("user_deprovision", actor, ALICE),
        ("sso_login_failure", "anonymous", ALICE),  # her claimed NameID, marked target_claimed
        ("user_update_provision", actor, ALICE),
        ("sso_login_success", ALICE, ALICE),
        (lookup, actor, str(admin.scim_id)),  # the password admin is not the group's: a 404
        ("user_delete_provision", actor, ALICE),
        (lookup, actor, scim_id),
        ("sso_login_failure", "anonymous", ALICE),  # her claimed NameID, marked target_claimed
    ]
    changes = [
        e.changes
        for e in Event.objects.filter(
            account=account, event__in=["user_update_provision", "user_deprovision"]
        ).order_by("id")
    ]
    assert changes == [
        {"first_name": "Alicia"},
        {"is_active": False},
        {"is_active": True, "display_name": "Alicia Liddell"},
    ]
    failures = Event.objects.filter(account=account, event="sso_login_failure").order_by("id")
    assert [f.reason for f in failures] == ["inactive_user", "unknown_user"]


def token_event_id(account) -> int:
    return Event.objects.get(account=account, event="scim_token_generate").id


def test_another_accounts_jumpcloud_cannot_see_touch_or_sign_in_alice(
    account, admin, jumpcloud_idp, make_account, make_ssogroup, tmp_path
):
    group, plaintext = admin_connects_jumpcloud(account, admin, jumpcloud_idp)
    jc = JumpCloud(token=plaintext, client=Client())
    scim_id = jc.send("POST", "/Users", user_payload(ALICE, "Alice", "Liddell", "jc-1")).json()["id"]
    alice = User.objects.get(account=account, username=ALICE)
    jc_group = jc.send("POST", "/Groups", {"schemas": [GROUP], "displayName": "Engineering"}).json()

    # A second tenant connects its own JumpCloud org (its own key pair, its own token).
    other_account, other_admin = make_account()
    other_idp = TestIdP(tmp_path / "other-idp", shared_keypair("e2e-other-jumpcloud"), entity_id="other-org")
    other_group = make_ssogroup(
        other_account, slug="jumpcloud", cert_pem=other_idp.keypair.cert_pem, idp_entity_id="other-org"
    )
    _token, other_plaintext = scim_token_create(
        account=other_account, sso_group=other_group, label="theirs", created_by=other_admin
    )
    other = JumpCloud(token=other_plaintext, client=Client())
    before = {
        "users": User.objects.count(),
        "alice": User.objects.filter(pk=alice.pk).values().get(),
        "events": Event.objects.filter(account=account).count(),
        "memberships": ScimGroupMembership.objects.count(),
    }

    def not_found(response, what: str) -> None:
        assert response.status_code == 404, response.content
        assert response.json() == {
            "schemas": [ERROR],
            "status": "404",
            "detail": f"Resource {scim_id if what == 'User' else jc_group['id']} not found.",
        }

    not_found(other.get(f"/Users/{scim_id}"), "User")
    not_found(other.send("PUT", f"/Users/{scim_id}", user_payload(ALICE, "Mallory", "X", "m")), "User")
    not_found(
        other.send("PATCH", f"/Users/{scim_id}", patch({"op": "Replace", "path": "active", "value": "False"})), "User"
    )
    not_found(other.delete(f"/Users/{scim_id}"), "User")
    not_found(other.get(f"/Groups/{jc_group['id']}"), "Group")
    not_found(
        other.send(
            "PATCH", f"/Groups/{jc_group['id']}", patch({"op": "add", "path": "members", "value": [{"value": scim_id}]})
        ),
        "Group",
    )
    assert other.find_user(ALICE).json()["totalResults"] == 0
    assert scim_id not in [
        r["id"] for r in other.get("/Users", {"startIndex": "1", "count": "100"}).json()["Resources"]
    ]
    # alice's id as a member of the other tenant's group is not a user there.
    stolen = other.send(
        "POST", "/Groups", {"schemas": [GROUP], "displayName": "Steal", "members": [{"value": scim_id}]}
    )
    assert stolen.status_code == 400, stolen.content
    assert stolen.json()["schemas"] == [ERROR] and stolen.json()["scimType"] == "invalidValue"

    # The other tenant's IdP cannot sign alice in: not through its own group (no such user there,
    # JIT off), and not through alice's group (its key is not trusted there).
    through_own = Client()
    assert tile_click(through_own, other_idp, other_group, ALICE, "Alice", "Liddell").status_code == 403
    assert SSOLoginFailure.objects.filter(group=other_group).get().reason == "unknown_user"
    through_alices = Client()
    assert tile_click(through_alices, other_idp, group, ALICE, "Alice", "Liddell").status_code == 403
    assert session_of(through_own).status_code == session_of(through_alices).status_code == 401
    assert last_failure(group).reason == "wrong_issuer"
    # JumpCloud lets each org pick the IdP entity ID, so another org may well use the same one: the key decides.
    same_name = TestIdP(tmp_path / "same-name", other_idp.keypair, entity_id=JUMPCLOUD_ENTITY_ID)
    assert tile_click(through_alices, same_name, group, ALICE, "Alice", "Liddell").status_code == 403
    assert session_of(through_alices).status_code == 401
    assert last_failure(group).reason == "bad_signature"

    assert {
        "users": User.objects.count(),
        "alice": User.objects.filter(pk=alice.pk).values().get(),
        "events": Event.objects.filter(account=account).count() - 2,  # the refused sign-ins at alice's group
        "memberships": ScimGroupMembership.objects.count(),
    } == before
    assert not UserSession.objects.filter(user__username=ALICE).exists()


def test_jumpcloud_group_push(account, admin, jumpcloud_idp):
    """JumpCloud's group push: create empty, add members by value list, remove them in both the RFC
    filter form and the Azure/JumpCloud value-list form, rename, delete."""
    group, plaintext = admin_connects_jumpcloud(account, admin, jumpcloud_idp)
    actor = f"scim:{ScimToken.objects.get(account=account).prefix}"
    jc = JumpCloud(token=plaintext, client=Client())
    alice = jc.send("POST", "/Users", user_payload(ALICE, "Alice", "Liddell", "jc-a")).json()["id"]
    bob = jc.send("POST", "/Users", user_payload("bob@example.com", "Bob", "Builder", "jc-b")).json()["id"]

    assert jc.get("/Groups", {"filter": 'displayName eq "Engineering"'}).json()["totalResults"] == 0
    created = jc.send("POST", "/Groups", {"schemas": [GROUP], "displayName": "Engineering", "externalId": "jcg-1"})
    assert created.status_code == 201, created.content
    gid = created.json()["id"]
    scim_group = ScimGroup.objects.get(account=account)
    assert created.json() == {
        "schemas": [GROUP],
        "id": gid,
        "externalId": "jcg-1",
        "displayName": "Engineering",
        "meta": created.json()["meta"],
    }
    assert created["Location"] == f"{BASE_URL}/api/v1/users/scim/v2/Groups/{gid}" == created.json()["meta"]["location"]

    def member(scim_id: str) -> dict:
        return {"value": scim_id, "$ref": f"{BASE_URL}/api/v1/users/scim/v2/Users/{scim_id}", "type": "User"}

    def members_in_db() -> list[str]:
        return sorted(scim_group.memberships.values_list("user__username", flat=True))

    added = jc.send(
        "PATCH", f"/Groups/{gid}", patch({"op": "add", "path": "members", "value": [{"value": alice}, {"value": bob}]})
    )
    assert added.status_code == 200, added.content
    assert added.json()["members"] == [member(alice), member(bob)]
    assert members_in_db() == [ALICE, "bob@example.com"]
    alice_doc = jc.get(f"/Users/{alice}").json()
    assert alice_doc["groups"] == [
        {
            "value": gid,
            "$ref": f"{BASE_URL}/api/v1/users/scim/v2/Groups/{gid}",
            "display": "Engineering",
            "type": "direct",
        }
    ]

    rfc = jc.send("PATCH", f"/Groups/{gid}", patch({"op": "remove", "path": f'members[value eq "{alice}"]'}))
    assert rfc.status_code == 200, rfc.content
    assert rfc.json()["members"] == [member(bob)]
    assert members_in_db() == ["bob@example.com"]

    azure = jc.send("PATCH", f"/Groups/{gid}", patch({"op": "Remove", "path": "members", "value": [{"value": bob}]}))
    assert azure.status_code == 200, azure.content
    assert "members" not in azure.json()
    assert members_in_db() == []

    renamed = jc.send("PATCH", f"/Groups/{gid}", patch({"op": "Replace", "path": "displayName", "value": "R&D"}))
    assert renamed.status_code == 200, renamed.content
    assert renamed.json()["displayName"] == "R&D"
    scim_group.refresh_from_db()
    assert scim_group.display_name == "R&D"

    # A member JumpCloud has not provisioned here is refused, and the group is left as it was.
    unknown = "00000000-0000-4000-8000-000000000000"
    refused = jc.send("PATCH", f"/Groups/{gid}", patch({"op": "add", "path": "members", "value": [{"value": unknown}]}))
    assert refused.status_code == 400
    assert refused.json() == {
        "schemas": [ERROR],
        "status": "400",
        "detail": f"Member '{unknown}' is not a user this SSO group manages.",
        "scimType": "invalidValue",
    }
    assert members_in_db() == []

    gone = jc.delete(f"/Groups/{gid}")
    assert gone.status_code == 204
    assert not ScimGroup.objects.filter(account=account).exists()
    assert jc.get(f"/Groups/{gid}").status_code == 404
    assert User.objects.filter(account=account, username__in=[ALICE, "bob@example.com"]).count() == 2

    events = list(
        Event.objects.filter(account=account, actor=actor, event__startswith="group_")
        .order_by("id")
        .values_list("event", "target", "outcome", "reason")
    )
    ok = Event.Outcome.SUCCESS
    assert events == [
        ("group_create_provision", "Engineering", ok, ""),
        ("group_update_provision", "Engineering", ok, ""),
        ("group_update_provision", "Engineering", ok, ""),
        ("group_update_provision", "Engineering", ok, ""),
        ("group_update_provision", "R&D", ok, ""),
        ("group_update_provision", gid, Event.Outcome.FAILURE, f"400 invalidValue {refused.json()['detail']}"),
        ("group_delete_provision", "R&D", ok, ""),
        ("group_lookup_provision", gid, Event.Outcome.FAILURE, f"404 {MSG_NOT_FOUND.format(id=gid)}"),
    ]
