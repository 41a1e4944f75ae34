"""Track which session keys belong to which user, so deactivation can end them all."""

from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import receiver

from accounts.models import UserSession


@receiver(user_logged_in)
def _session_track(sender, request, user, **kwargs) -> None:
    key = request.session.session_key
    if key:
        UserSession.objects.update_or_create(
            session_key=key,
            defaults={"user": user, "auth_method": request.session.get("auth_method", "password")},
        )


@receiver(user_logged_out)
def _session_untrack(sender, request, user, **kwargs) -> None:
    if request is not None and request.session.session_key:
        UserSession.objects.filter(session_key=request.session.session_key).delete()
