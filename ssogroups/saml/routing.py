"""Adaptive login: does an identifier typed on /login belong to an SSO group?"""

from urllib.parse import urlencode

from sparksso.redirects import safe_next_path
from ssogroups.saml.selectors import ssogroup_for_identifier


def sso_login_redirect(*, identifier: str, next_path: str) -> str | None:
    """The URL that starts SP-initiated sign-in for ``identifier``, or None for password sign-in.

    Resolved by ``ssogroup_for_identifier``: a verified domain, or a user unique across all
    accounts and managed by a group. Unknown, ambiguous and password identifiers all get None,
    so the answer reveals no accounts and one account's data steers no one else's users.
    """
    group = ssogroup_for_identifier(identifier=identifier)
    if group is None:
        return None
    next_path = safe_next_path(next_path)
    return group.login_url + (f"?{urlencode({'next': next_path})}" if next_path != "/" else "")
