"""Where /login sends an identifier. accounts knows nothing of IdPs: a higher layer (SSO groups)
registers a router when Django starts (SsogroupsConfig.ready), so dependencies keep pointing down."""

from collections.abc import Callable

Router = Callable[..., str | None]
_routers: list[Router] = []


def login_router_register(router: Router) -> None:
    """Add ``router(identifier=..., next_path=...) -> URL | None``; registering twice is a no-op."""
    if router not in _routers:
        _routers.append(router)


def login_route(*, identifier: str, next_path: str) -> str | None:
    """The URL the identifier signs in through (an IdP), or None for the password step."""
    for router in _routers:
        url = router(identifier=identifier, next_path=next_path)
        if url:
            return url
    return None


AccountRouter = Callable[..., int | None]
_account_routers: list[AccountRouter] = []


def login_account_router_register(router: AccountRouter) -> None:
    """Add ``router(identifier=...) -> account id | None``: the account an identifier belongs to
    (a verified email domain says so); registering twice is a no-op."""
    if router not in _account_routers:
        _account_routers.append(router)


def login_account_for(*, identifier: str) -> int | None:
    """The one account whose users the identifier may name at the password step, or None (any)."""
    for router in _account_routers:
        account_id = router(identifier=identifier)
        if account_id is not None:
            return account_id
    return None
