"""Track which session keys belong to which user, so deactivation can end them all."""

from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import receiver

from accounts.models import UserSession


@receiver(user_logged_in)
def _session_track(sender, request, user, **kwargs) -> None:
    session = request.session
    if not session.session_key:
        # login() flushes the session when the browser was signed in as someone else, and a flushed
        # session has no key until the response saves it: give it one now, so that every signed-in
        # session is tracked.
        session.cycle_key()
    # One INSERT … ON CONFLICT (update_or_create's SELECT + INSERT, as one statement): login()
    # has just given the session a new key, so the conflict branch is for safety only.
    UserSession.objects.bulk_create(
        [UserSession(session_key=session.session_key, user=user, auth_method=session.get("auth_method", "password"))],
        update_conflicts=True,
        unique_fields=["session_key"],
        update_fields=["user", "auth_method"],
    )


@receiver(user_logged_out)
def _session_untrack(sender, request, user, **kwargs) -> None:
    if request is not None and request.session.session_key:
        UserSession.objects.filter(session_key=request.session.session_key).delete()
