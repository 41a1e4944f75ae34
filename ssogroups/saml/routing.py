"""Adaptive login: does an identifier typed on /login belong to an SSO group?"""


def sso_login_redirect(*, identifier: str, next_path: str) -> str | None:
    """The URL that starts SP-initiated sign-in for ``identifier``, or None for password sign-in.

    Resolved through the user's bound group or a group claiming the email's domain (issue #4).
    """
    return None
