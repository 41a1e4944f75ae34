"""Web-page middleware that the machine-to-machine endpoints skip.

The SCIM API authenticates each call with a bearer token and answers JSON: it reads no session,
sets no cookie, checks no CSRF token, shows no flash message and is never framed. The ACS needs
the session and the user (it signs one in) but takes a cross-site POST whose proof is the signed
response, not a CSRF token, and shows no flash message. Each middleware below is wrapped so that
requests to those paths go straight past it; every other page keeps the full stack.
``lean_middleware`` swaps the wrappers into settings.MIDDLEWARE (docs/performance.md).
"""

import re
from collections.abc import Callable

from django.db import transaction
from django.utils.module_loading import import_string

SCIM = re.compile(r"^/api/v1/users/scim/v2(/|$)")
ACS = re.compile(r"^/api/v1/users/saml/\d+/[-\w]+/consume/?$")


class _Skipped:
    """``inner`` (an import path) runs for every request except those whose path matches a pattern."""

    inner_path = ""
    skip_for: tuple[re.Pattern, ...] = ()

    def __init__(self, get_response: Callable):
        self.get_response = get_response
        self.inner = import_string(self.inner_path)(get_response)
        # Django registers process_view & co. only on middleware that has them: mirror the inner one.
        for hook in ("process_view", "process_exception", "process_template_response"):
            if hasattr(self.inner, hook):
                setattr(self, hook, self._hook(hook))

    def _skipped(self, request) -> bool:
        return any(pattern.match(request.path_info) for pattern in self.skip_for)

    def _hook(self, name: str) -> Callable:
        method = getattr(self.inner, name)

        def hook(request, *args):
            if self._skipped(request):
                return args[0] if name == "process_template_response" else None
            return method(request, *args)

        return hook

    def __call__(self, request):
        if self._skipped(request):
            return self.get_response(request)
        return self.inner(request)


def _skipped(inner_path: str, *patterns: re.Pattern) -> type:
    return type(inner_path.rsplit(".", 1)[1], (_Skipped,), {"inner_path": inner_path, "skip_for": patterns})


SessionMiddleware = _skipped("django.contrib.sessions.middleware.SessionMiddleware", SCIM)
CommonMiddleware = _skipped("django.middleware.common.CommonMiddleware", SCIM)
CsrfViewMiddleware = _skipped("django.middleware.csrf.CsrfViewMiddleware", SCIM, ACS)
AuthenticationMiddleware = _skipped("django.contrib.auth.middleware.AuthenticationMiddleware", SCIM)
MessageMiddleware = _skipped("django.contrib.messages.middleware.MessageMiddleware", SCIM, ACS)
XFrameOptionsMiddleware = _skipped("django.middleware.clickjacking.XFrameOptionsMiddleware", SCIM)

LEAN = {cls.inner_path: f"{__name__}.{cls.__name__}" for cls in (
    SessionMiddleware, CommonMiddleware, CsrfViewMiddleware, AuthenticationMiddleware, MessageMiddleware,
    XFrameOptionsMiddleware,
)}  # fmt: skip


def lean_middleware(middleware: list[str]) -> list[str]:
    """settings.MIDDLEWARE with each web-only middleware replaced by its wrapper (order kept)."""
    return [LEAN.get(path, path) for path in middleware]


class SignInTransactionMiddleware:
    """A sign-in commits once: the ACS's writes and the session the response then saves share one
    transaction (the view's own ``transaction.atomic`` becomes a savepoint inside it). Placed before
    SessionMiddleware. A server error rolls everything back; a refusal is a normal response, so its
    diagnostics row and event commit."""

    def __init__(self, get_response: Callable):
        self.get_response = get_response

    def __call__(self, request):
        if not ACS.match(request.path_info):
            return self.get_response(request)
        with transaction.atomic():
            response = self.get_response(request)
            if response.status_code >= 500:
                transaction.set_rollback(True)
            return response
