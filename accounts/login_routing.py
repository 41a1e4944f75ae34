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
