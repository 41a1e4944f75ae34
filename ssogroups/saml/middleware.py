"""A sign-in commits once: the ACS's writes and the session the response then saves, together."""

from collections.abc import Callable

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, resolve

# The ACS's URL name (ssogroups/saml/urls.py). Matched on the resolved URL, never on a path pattern.
ACS_URL_NAME = "saml_consume"


def _is_acs(request: HttpRequest) -> bool:
    # The ACS answers POST only (require_POST): any other method goes past without a lookup.
    if request.method != "POST":
        return False
    try:
        match = resolve(request.path_info, getattr(request, "urlconf", None))
    except Resolver404:
        return False
    return match.view_name == ACS_URL_NAME


class SignInTransactionMiddleware:
    """One transaction around the ACS and the session save (the view's own ``transaction.atomic``
    becomes a savepoint inside it). Placed before SessionMiddleware, which saves the session on
    the way out. A server error rolls everything back; a refusal is a normal response, so its
    diagnostics row and event commit.

    The URL is resolved here (public ``resolve``) because Django resolves it only once every
    middleware has been entered, too late to wrap the session save. On SQLite every ``transaction.atomic`` is
    ``BEGIN IMMEDIATE`` (sparksso/db.py): the write lock is held from the first statement of the
    sign-in to the commit after the session is saved (docs/architecture.md).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not _is_acs(request):
            return self.get_response(request)
        with transaction.atomic():
            response = self.get_response(request)
            if response.status_code >= 500:
                transaction.set_rollback(True)
            return response
