"""Retention: delete what has outlived its use, in batches, from a scheduled command.

Why batches: a year of events or a flood of failures is millions of rows; one DELETE would hold
locks (and, on SQLite, the whole database) for as long as it runs. Short transactions of a few
thousand rows let sign-ins carry on between them. Nothing here runs per request.
"""

from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import QuerySet

from accounts.models import Event
from sparksso.models import FailureCounter
from ssogroups.models import ConsumedAssertion, PendingAuthnRequest, SignInTrace, SSOLoginFailure, SSOSession

DEFAULT_BATCH_SIZE = 2000

# What higher layers keep and prune by their own settings (SCIM registers its request log in
# ScimConfig.ready): key -> fn(now=..., delete=...) -> rows deleted, ``delete`` deleting in batches.
_pruners: dict[str, Callable[..., int]] = {}


def retention_register(key: str, prune: Callable[..., int]) -> None:
    """Have ``prune`` run by retention_prune, its count reported under ``key`` (the first one registered wins)."""
    _pruners.setdefault(key, prune)


def _delete_in_batches(queryset: QuerySet, *, batch_size: int) -> int:
    """Delete the rows of ``queryset`` by primary-key batches; the number deleted."""
    total = 0
    model = queryset.model
    while True:
        pks = list(queryset.order_by("pk").values_list("pk", flat=True)[:batch_size])
        if not pks:
            return total
        # A queryset delete, not Model.delete(): Event.delete refuses single rows (append-only);
        # retention is the one sanctioned way events leave the table.
        deleted, _ = model.objects.filter(pk__in=pks).delete()
        total += deleted


def retention_prune(*, now: datetime, batch_size: int = DEFAULT_BATCH_SIZE) -> dict[str, int]:
    """Prune expired request state and failure counters, old sign-in failures and events past retention; counts by kind.

    EVENT_RETENTION_DAYS / SSO_LOGIN_FAILURE_RETENTION_DAYS of 0 keep those rows forever.
    """
    counts = {
        "pending_authn_requests": _delete_in_batches(
            PendingAuthnRequest.objects.filter(expires_at__lte=now), batch_size=batch_size
        ),
        # A replay record is needed only while its assertion could still be accepted.
        "consumed_assertions": _delete_in_batches(
            ConsumedAssertion.objects.filter(not_on_or_after__lt=now), batch_size=batch_size
        ),
        # A counter is of no use once its window (or a hold's time) has ended.
        "failure_counters": _delete_in_batches(
            FailureCounter.objects.filter(expires_at__lte=now), batch_size=batch_size
        ),
        # A session past its expiry cannot be signed out of any more (Single Logout's NameID/SessionIndex).
        "sso_sessions": _delete_in_batches(SSOSession.objects.filter(expires_at__lte=now), batch_size=batch_size),
        "sso_login_failures": 0,
        "sign_in_traces": 0,
        "events": 0,
    }
    if settings.SSO_LOGIN_FAILURE_RETENTION_DAYS > 0:
        cutoff = now - timedelta(days=settings.SSO_LOGIN_FAILURE_RETENTION_DAYS)
        counts["sso_login_failures"] = _delete_in_batches(
            SSOLoginFailure.objects.filter(time__lt=cutoff), batch_size=batch_size
        )
        # A trace is a diagnostic too: kept exactly as long (successes and tests included).
        counts["sign_in_traces"] = _delete_in_batches(
            SignInTrace.objects.filter(time__lt=cutoff), batch_size=batch_size
        )
    if settings.EVENT_RETENTION_DAYS > 0:
        cutoff = now - timedelta(days=settings.EVENT_RETENTION_DAYS)
        counts["events"] = _delete_in_batches(Event.objects.filter(time__lt=cutoff), batch_size=batch_size)
    for key, prune in _pruners.items():
        counts[key] = prune(now=now, delete=lambda queryset: _delete_in_batches(queryset, batch_size=batch_size))
    return counts
