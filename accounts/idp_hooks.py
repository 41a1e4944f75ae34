"""What accounts asks of the identity-provider layer, without knowing it: hooks that SSO groups
register when Django starts (SsogroupsConfig.ready), as accounts/login_routing.py does for /login.

With nothing registered (accounts alone), every user confirms with a password and no account
signs in through an IdP.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse

from accounts.models import Account, User


@dataclass(frozen=True)
class IdpReauth:
    """How a user managed by an IdP confirms it is her: a fresh round trip that starts at ``url``."""

    name: str  # the IdP connection's name, for the button
    url: str  # starts a sign-in that makes the IdP ask for credentials again
    available: bool  # False when the connection is off: she cannot confirm, another admin must act


ReauthRouter = Callable[..., IdpReauth | None]
IdpInUse = Callable[[Account], bool]
_reauth_routers: list[ReauthRouter] = []
_in_use_checks: list[IdpInUse] = []


def reauth_router_register(router: ReauthRouter) -> None:
    """Add ``router(user=..., next_path=...) -> IdpReauth | None``; registering twice is a no-op."""
    if router not in _reauth_routers:
        _reauth_routers.append(router)


def reauth_route(*, user: User, next_path: str) -> IdpReauth | None:
    """How ``user`` confirms through her IdP, or None: she confirms with her password."""
    for router in _reauth_routers:
        route = router(user=user, next_path=next_path)
        if route is not None:
            return route
    return None


def idp_in_use_register(check: IdpInUse) -> None:
    """Add ``check(account) -> bool``: does the account sign in through an IdP? Twice is a no-op."""
    if check not in _in_use_checks:
        _in_use_checks.append(check)


def account_uses_idp(account: Account) -> bool:
    """True when a registered check says the account signs in through an IdP (a password admin
    signing in anyway is then a break-glass sign-in)."""
    return any(check(account) for check in _in_use_checks)


# Single Logout: asked while the session still exists; what it returns runs after the session ended.
IdpSignOut = Callable[[HttpRequest], HttpResponse | None]
SignOutRouter = Callable[[HttpRequest], IdpSignOut | None]
_sign_out_routers: list[SignOutRouter] = []


def sign_out_router_register(router: SignOutRouter) -> None:
    """Add ``router(request) -> IdpSignOut | None``; registering twice is a no-op."""
    if router not in _sign_out_routers:
        _sign_out_routers.append(router)


def sign_out_route(request: HttpRequest) -> IdpSignOut | None:
    """What tells the IdP that this session ends, or None. Called before the session ends (it reads
    what the session's sign-in recorded); the caller ends the session first and only then calls the
    result, which may answer with a response (the trip to the IdP) — so the IdP being down never
    leaves anyone signed in here."""
    for router in _sign_out_routers:
        sign_out = router(request)
        if sign_out is not None:
            return sign_out
    return None
