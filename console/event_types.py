"""The events the console records (accounts/event_types.py says why an enum): setup links."""

from accounts.event_types import EventType


class ConsoleEvent(EventType):
    SETUP_LINK_CREATE = (
        "setup_link_create",
        "SSO groups",
        "An admin created a setup link for one SSO group, bound to an email (target `setup-link:<id>`).",
    )
    SETUP_LINK_REVOKE = "setup_link_revoke", "SSO groups", "An admin revoked a setup link; every page of it is gone."
    SETUP_LINK_OPEN = (
        "setup_link_open",
        "SSO groups",
        "Someone opened a setup link (a revoked or expired one: a failure with the reason).",
    )
    SETUP_LINK_CODE_SEND = (
        "setup_link_code_send",
        "SSO groups",
        "A one-time code was emailed to the link's address (refused past 5 an hour: `throttled`).",
    )
    SETUP_LINK_CONFIRM = (
        "setup_link_confirm",
        "SSO groups",
        "The link's holder entered the one-time code (a wrong, expired or throttled code: a failure).",
    )
    SETUP_LINK_TEST_SIGN_IN = (
        "setup_link_test_sign_in",
        "SSO groups",
        "The link's holder started a test sign-in (its result is the `sso_test_sign_in` event).",
    )
    SETUP_LINK_REFUSED = (
        "setup_link_refused",
        "SSO groups",
        "The link's holder asked for something the link does not allow (enable the group, a SCIM token).",
    )
