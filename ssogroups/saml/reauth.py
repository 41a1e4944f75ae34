"""Whether an SSO answer to our ForceAuthn request proves a *recent* sign-in.

An IdP may answer ForceAuthn from a session it opened days ago; only the signed assertion's
``AuthnInstant`` says when the user last authenticated. It counts when it lies within
REAUTH_MAX_AGE_SECONDS (plus the allowed clock skew) of now; otherwise the admin reads why.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings

REASON_MISSING = "authn_instant_missing"
REASON_OLD = "authn_instant_old"
REASON_FUTURE = "authn_instant_future"
MSG_MISSING = (
    "Your IdP did not say when you signed in (no AuthnInstant), so this does not confirm it is you. "
    "Ask your IdP admin, or confirm with another admin."
)
MSG_OLD = (
    "Your IdP answered from a sign-in made at {when} UTC, not a fresh one, so it does not confirm it is "
    "you. Sign out of your IdP, then confirm again."
)
MSG_FUTURE = "Your IdP says you signed in at {when} UTC, which is in the future; check the IdP's clock."


@dataclass(frozen=True)
class ReauthRefused:
    reason: str
    message: str


def sso_reauth_refusal(*, authn_instant: datetime | None, now: datetime) -> ReauthRefused | None:
    """None when ``authn_instant`` proves a recent sign-in; else the reason and the admin's message."""
    skew = timedelta(seconds=settings.SAML_CLOCK_SKEW_SECONDS)
    if authn_instant is None:
        return ReauthRefused(REASON_MISSING, MSG_MISSING)
    when = f"{authn_instant:%Y-%m-%d %H:%M:%S}"
    if authn_instant > now + skew:
        return ReauthRefused(REASON_FUTURE, MSG_FUTURE.format(when=when))
    if now - authn_instant > timedelta(seconds=settings.REAUTH_MAX_AGE_SECONDS) + skew:
        return ReauthRefused(REASON_OLD, MSG_OLD.format(when=when))
    return None
