"""Ending sessions: deactivation, deletion or a disabled SSO group end them in the same request."""

from importlib import import_module

from django.conf import settings
from django.db.models import QuerySet

from accounts.models import User, UserSession


def sessions_end(tracked: QuerySet[UserSession]) -> int:
    """Delete the tracked sessions from the session store (any worker, any host), then the tracking."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    keys = list(tracked.values_list("session_key", flat=True))
    for key in keys:
        store(session_key=key).delete()
    UserSession.objects.filter(session_key__in=keys).delete()
    return len(keys)


def user_sessions_end(*, user: User) -> int:
    """Delete every session the user holds."""
    return sessions_end(UserSession.objects.filter(user=user))
