"""An IdP's token cannot lock an account out of its own administration: the last active admin
cannot be deactivated, demoted or deleted over SCIM (or anywhere else)."""

import pytest

from accounts.models import Event, User
from accounts.users import user_create
from tests.scim.conftest import SPARKPOST, USER_SCHEMA, error, patch_body

MSG = (
    "{name} is the account's last active admin: it cannot be deactivated, demoted or deleted "
    "until another user is an active admin."
)


@pytest.fixture
def admin(scim):
    return User.objects.get(account=scim.account, role="admin")


@pytest.mark.parametrize(
    "request_",
    [
        ("patch", patch_body({"op": "Replace", "path": "active", "value": "False"})),
        ("patch", patch_body({"op": "replace", "path": f"{SPARKPOST}:role", "value": "reporting"})),
        ("put", {"schemas": [USER_SCHEMA], "userName": "{name}", "active": False}),
        ("delete", None),
    ],
    ids=["deactivate", "demote", "put-inactive", "delete"],
)
def test_the_last_active_admin_is_refused_and_nothing_changes(scim, admin, request_):
    method, body = request_
    if isinstance(body, dict) and body.get("userName") == "{name}":
        body = {**body, "userName": admin.username}
    events_before = Event.objects.count()
    path = f"/Users/{admin.scim_id}"
    response = scim.delete(path) if method == "delete" else getattr(scim, method)(path, body)

    assert response.status_code == 403
    assert response.json() == error(403, MSG.format(name=admin.username))
    admin.refresh_from_db()
    assert (admin.is_active, admin.role) == (True, "admin")
    # Only the refusal itself is recorded.
    refused = Event.objects.order_by("-id")[0]
    assert Event.objects.count() == events_before + 1
    assert (refused.outcome, refused.target, refused.actor) == (
        "failure",
        str(admin.scim_id),
        f"scim:{scim.token_obj.prefix}",
    )


def test_with_another_active_admin_the_first_can_be_deactivated(scim, admin):
    user_create(account=scim.account, username="second-admin@example.com", role="admin")
    response = scim.patch(f"/Users/{admin.scim_id}", patch_body({"op": "replace", "path": "active", "value": False}))
    assert response.status_code == 200
    assert response.json()["active"] is False
    admin.refresh_from_db()
    assert admin.is_active is False
    assert Event.objects.filter(event="user_deprovision", target=admin.username).count() == 1
