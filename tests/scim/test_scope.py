"""A SCIM token acts for one SSO group (issue #8): it sees and changes only the users and SCIM
groups that group manages, assigns only the roles the group allows, and stops when the group does."""

import pytest

from accounts.models import Event, User
from accounts.users import user_create
from scim.models import ScimGroup
from scim.tokens import scim_token_create
from scim.users import users_page
from ssogroups.models import SSOGroup
from ssogroups.services import ssogroup_delete
from ssogroups.trust import Authority, ssogroup_change
from tests.scim.conftest import SPARKPOST, USER_SCHEMA, Scim, error, patch_body

MSG_ROLE = (
    "This SSO group's SCIM tokens may assign the roles developer, reporting, templates, not 'admin'. "
    "An account admin can allow more roles on the group's page."
)
MSG_DISABLED = "The SCIM token's SSO group is disabled; an account admin must enable it first."


def written() -> tuple:
    """Everything a refused SCIM request must leave as it was (failure events aside)."""
    return (
        list(User.objects.order_by("pk").values_list("pk", "username", "role", "is_active", "sso_group_id", "email")),
        list(ScimGroup.objects.order_by("pk").values_list("pk", "display_name")),
        # Successful lookups may record events of their own; writes are what must not happen.
        Event.objects.filter(outcome="success").exclude(event__endswith="_lookup_provision").count(),
    )


@pytest.fixture
def sibling(scim, make_ssogroup, admin_of) -> Scim:
    """A second SSO group of the *same* account, with its own token."""
    group = make_ssogroup(scim.account)
    token, plaintext = scim_token_create(
        account=scim.account, sso_group=group, label="sibling", created_by=admin_of(scim)
    )
    return Scim(client=scim.client.__class__(), token=plaintext, account=scim.account, group=group, token_obj=token)


@pytest.fixture
def admin_of():
    return lambda scim: User.objects.get(account=scim.account, role="admin", sso_group=None)


def test_a_token_sees_only_the_users_its_group_manages(scim, sibling, admin_of):
    mine = scim.create_user("mine@example.com")
    theirs = sibling.create_user("theirs@example.com")
    password_admin = admin_of(scim)
    before = written()

    listed = scim.get("/Users").json()
    assert [r["userName"] for r in listed["Resources"]] == ["mine@example.com"]
    assert listed["totalResults"] == 1
    for other in (theirs["id"], str(password_admin.scim_id)):
        for response in (
            scim.get(f"/Users/{other}"),
            scim.patch(f"/Users/{other}", patch_body({"op": "replace", "path": "active", "value": False})),
            scim.put(f"/Users/{other}", {"schemas": [USER_SCHEMA], "userName": "renamed@example.com"}),
            scim.delete(f"/Users/{other}"),
        ):
            assert response.status_code == 404
            assert response.json() == error(404, f"Resource {other} not found.")
    filtered = scim.get("/Users", {"filter": f'userName eq "{password_admin.username}"'}).json()
    assert filtered["totalResults"] == 0
    assert written() == before
    assert scim.get(f"/Users/{mine['id']}").status_code == 200


def test_a_token_sees_only_its_groups_scim_groups_and_members(scim, sibling):
    mine = scim.create_user("mine@example.com")
    theirs = sibling.create_user("theirs@example.com")
    their_group = sibling.create_group("Theirs", [theirs["id"]])
    before = written()

    assert scim.get(f"/Groups/{their_group['id']}").status_code == 404
    assert scim.get("/Groups").json()["totalResults"] == 0
    response = scim.post("/Groups", {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                                     "displayName": "Mixed", "members": [{"value": theirs["id"]}]})  # fmt: skip
    assert response.status_code == 400
    assert response.json() == error(
        400, f"Member '{theirs['id']}' is not a user this SSO group manages.", "invalidValue"
    )
    assert written() == before
    created = scim.create_group("Mine", [mine["id"]])
    assert ScimGroup.objects.get(scim_id=created["id"]).sso_group_id == scim.group.pk


def test_admin_is_refused_unless_the_group_allows_it(scim):
    before = written()
    body = {"schemas": [USER_SCHEMA, SPARKPOST], "userName": "boss@example.com", SPARKPOST: {"role": "admin"}}

    response = scim.post("/Users", body)

    assert response.status_code == 403
    assert response.json() == error(403, MSG_ROLE)
    assert written() == before
    refused = Event.objects.get(event="user_create_provision", outcome="failure")
    assert refused.reason == f"403 {MSG_ROLE}"

    scim.group.scim_roles = ["admin", "reporting"]
    scim.group.save(update_fields=["scim_roles"])
    assert scim.post("/Users", body).status_code == 201
    assert User.objects.get(username="boss@example.com").role == "admin"


@pytest.mark.parametrize("method", ["patch", "put"])
def test_a_provisioned_user_cannot_be_promoted_to_admin(scim, method):
    user = scim.create_user("worker@example.com")
    before = written()
    if method == "patch":
        response = scim.patch(f"/Users/{user['id']}", patch_body({"op": "replace", "path": f"{SPARKPOST}:role",
                                                                   "value": "admin"}))  # fmt: skip
    else:
        body = {"schemas": [USER_SCHEMA, SPARKPOST], "userName": "worker@example.com", SPARKPOST: {"role": "admin"}}
        response = scim.put(f"/Users/{user['id']}", body)
    assert response.status_code == 403
    assert response.json() == error(403, MSG_ROLE)
    assert written() == before


def test_a_role_the_group_does_not_allow_is_refused_too(make_scim):
    scim = make_scim(scim_roles=["reporting"])
    before = written()
    body = {"schemas": [USER_SCHEMA, SPARKPOST], "userName": "dev@example.com", SPARKPOST: {"role": "developer"}}
    response = scim.post("/Users", body)
    assert response.status_code == 403
    assert "may assign the roles reporting, not 'developer'" in response.json()["detail"]
    assert written() == before


def test_a_token_answers_401_once_its_group_is_disabled_and_again_when_enabled(scim, admin_of):
    user = scim.create_user("alice@example.com")
    ssogroup_change(group=scim.group, authority=Authority.OPERATOR, actor="admin", enabled=False)
    before = written()

    for response in (
        scim.get("/Users"),
        scim.post("/Users", {"schemas": [USER_SCHEMA], "userName": "new@example.com"}),
        scim.patch(f"/Users/{user['id']}", patch_body({"op": "replace", "path": "active", "value": False})),
    ):
        assert response.status_code == 401
        assert response.json() == error(401, MSG_DISABLED)
    assert written() == before
    event = Event.objects.filter(event="scim_auth_failure").order_by("-id").first()
    assert (event.account_id, event.reason, event.actor) == (
        scim.account.pk,
        "sso group disabled",
        f"scim:{scim.token_obj.prefix}",
    )

    SSOGroup.objects.filter(pk=scim.group.pk).update(enabled=True)
    assert scim.get("/Users").status_code == 200


def test_a_token_of_a_deleted_group_is_gone(scim):
    ssogroup_delete(group=scim.group, actor="admin")
    response = scim.get("/Users")
    assert response.status_code == 401
    assert response.json() == error(401, "The SCIM token is unknown or has been revoked.")


def test_users_created_by_a_token_are_managed_by_its_group_and_have_no_password(scim):
    body = scim.create_user("new@example.com")
    user = User.objects.get(scim_id=body["id"])
    assert (user.sso_group_id, user.has_usable_password()) == (scim.group.pk, False)


def test_unmanaged_users_added_by_an_admin_stay_invisible(scim):
    user_create(account=scim.account, username="contractor@example.com")
    assert scim.get("/Users", {"filter": 'userName eq "contractor@example.com"'}).json()["totalResults"] == 0


def test_a_page_keeps_only_its_groups_users_whatever_keys_it_is_handed(scim, sibling, other_scim, admin_of):
    """users_page reads rows by key alone (for the planner's sake), then keeps only the users the
    token's group manages: keys of a sibling group's, another account's or a password user are dropped."""
    mine = scim.create_user("mine@example.com")
    sibling.create_user("theirs@example.com")
    other_scim.create_user("elsewhere@example.com")
    every_key = User.objects.values_list("pk", flat=True)
    assert every_key.count() >= 5  # two password admins and three provisioned users
    rows = users_page(scim.group, every_key, ("created_at", "pk"))
    assert [doc["id"] for _, doc in rows] == [mine["id"]]


def test_a_username_taken_outside_the_tokens_group_answers_409_though_no_read_shows_it(scim, sibling, admin_of):
    """The documented price of one case-insensitive userName per account (docs/security.md, "Known
    limits"): a token learns that a name exists in its account outside its group, and nothing more —
    no id, no attribute, no change to that user. The clash is recorded for the account's admins."""
    theirs = sibling.create_user("theirs@example.com")
    names = ["THEIRS@example.com", admin_of(scim).username.upper()]
    before = written()

    for name in names:
        assert scim.get("/Users", {"filter": f'userName eq "{name}"'}).json()["totalResults"] == 0
        response = scim.post("/Users", {"schemas": [USER_SCHEMA], "userName": name})
        assert response.status_code == 409
        assert response.json() == error(409, f"A user with userName {name!r} already exists.", "uniqueness")
        assert theirs["id"] not in response.content.decode()

    assert written() == before
    failures = Event.objects.filter(event="user_create_provision", outcome="failure").order_by("id")
    assert [(e.target, e.reason) for e in failures] == [
        (name, f"409 uniqueness A user with userName {name!r} already exists.") for name in names
    ]
