"""The dashboard's setup checklist: the article's steps, each with its state and where to do it.

It reads every layer (SSO groups, their failures, SCIM tokens, the events), which is why it lives
in the console.
"""

from dataclasses import dataclass

from django.urls import reverse

from accounts.models import Account, Event
from scim.event_types import ScimEvent
from scim.models import ScimToken
from ssogroups.event_types import SSOGroupEvent
from ssogroups.models import SSOGroup


@dataclass(frozen=True)
class Step:
    title: str
    done: bool
    detail: str
    link: str
    link_text: str


def setup_checklist(*, account: Account) -> list[Step]:
    """create a group → paste the SP values into the IdP → enable → test sign-in → SCIM token → first user."""
    # Every read is scoped to the account: another tenant's setup never shows here.
    account_groups = SSOGroup.objects.filter(account=account)
    groups = list(account_groups.order_by("created_at", "pk"))
    group = next((g for g in groups if g.enabled), groups[0] if groups else None)
    create = reverse("ssogroup-create")
    page = reverse("ssogroup-detail", kwargs={"slug": group.slug}) if group else create
    events = Event.objects.filter(account=account)
    reached = (
        events.filter(
            event__in=[SSOGroupEvent.SSO_LOGIN_SUCCESS, SSOGroupEvent.SSO_LOGIN_FAILURE, SSOGroupEvent.SSO_TEST_SIGN_IN]
        ).exists()
        or account_groups.filter(login_failures__isnull=False).exists()
    )
    tested = events.filter(
        event__in=[SSOGroupEvent.SSO_TEST_SIGN_IN, SSOGroupEvent.SSO_LOGIN_SUCCESS], outcome="success"
    ).exists()
    tokens = ScimToken.objects.filter(account=account, revoked_at__isnull=True).count()
    provisioned = events.filter(event=ScimEvent.USER_CREATE_PROVISION).exists()
    return [
        Step(
            "Create an SSO group",
            bool(groups),
            f"“{group.name}” created."
            if group
            else "Upload your IdP's metadata, or give its certificate and endpoint.",
            page if group else create,
            "Open the group" if group else "Create New SSO Group +",
        ),
        Step(
            "Paste the SP values into your IdP",
            reached,
            "Your IdP has sent a response."
            if reached
            else "Copy the Consumer URL and Audience URI into the IdP's app.",
            f"{page}#sp-values" if group else create,
            "Copy the SP values",
        ),
        Step(
            "Enable the group",
            any(g.enabled for g in groups),
            "Enabled." if any(g.enabled for g in groups) else "Needs a SAML 2.0 Endpoint and certificate.",
            page,
            "Enable it",
        ),
        Step(
            "Test sign-in",
            tested,
            _test_detail(tested=tested, enabled=any(g.enabled for g in groups)),
            page,
            "Test sign-in" if any(g.enabled for g in groups) else "Open the group",
        ),
        Step(
            "Generate a SCIM token",
            tokens > 0,
            f"{tokens} active token{'s' if tokens != 1 else ''}." if tokens else "Your IdP provisions users with it.",
            reverse("settings"),
            "Generate SCIM token",
        ),
        Step(
            "First provisioned user",
            provisioned,
            "Your IdP has provisioned users." if provisioned else "Assign the app to a user in your IdP.",
            reverse("account-users"),
            "See users",
        ),
    ]


# Test sign-in is on an enabled group's page only: until then, say so, not "run it".
TEST_DONE = "A sign-in went through."
TEST_TODO = "Run a round trip through your IdP; it signs nobody in."
TEST_NEEDS_ENABLED = "Enable the group first: its page then offers Test sign-in, a round trip that signs nobody in."


def _test_detail(*, tested: bool, enabled: bool) -> str:
    if tested:
        return TEST_DONE
    return TEST_TODO if enabled else TEST_NEEDS_ENABLED
