"""Rotating the SP keys with overlap (the operator's `sp_keys` command): rotate, promote, retire.

*rotate* publishes a next key beside the current one; *promote* makes it current once it has been
published SP_KEY_ROLLOVER_DAYS (IdPs that import our metadata have learnt it), the old one becoming
*previous* (it still decrypts); *retire* erases a previous key's private half. Each step, done or
refused, is an event (deployment-wide: no account).
"""

from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction

from accounts.events import event_record
from accounts.models import Event
from sparksso import clock
from ssogroups.event_types import SSOGroupEvent
from ssogroups.models import SPKey
from ssogroups.sp_keys import (
    MSG_FROM_FILES,
    SPKeyError,
    SPKeyPair,
    key_create,
    key_pair_from_row,
    sp_key_current,
    sp_keys_from_files,
)

MSG_NEXT_EXISTS = "A next key is already published (created {created}); promote or wait before rotating again."
MSG_NO_NEXT = "There is no next key to promote; run `sp_keys rotate` first."
MSG_TOO_EARLY = (
    "The next key has been published for {days} day(s); IdPs get SP_KEY_ROLLOVER_DAYS={wanted} days to import it "
    "(promote anyway with --force)."
)
MSG_NO_PREVIOUS = "There is no previous key to retire."
MSG_NOT_PREVIOUS = "Key {key_id} is not a previous key (it is {state}); only previous keys are retired."


def _refused(event: SSOGroupEvent, message: str, *, actor: str) -> SPKeyError:
    event_record(account=None, event=event, actor=actor, outcome=Event.Outcome.FAILURE, reason=message)
    return SPKeyError(message)


def sp_key_rotate(*, actor: str) -> SPKeyPair:
    """Generate the next key; it is published beside the current one from now on."""
    if sp_keys_from_files():
        raise _refused(SSOGroupEvent.SP_KEY_ROTATE, MSG_FROM_FILES, actor=actor)
    sp_key_current()  # a deployment's first rotation still starts from a current key
    existing = SPKey.objects.filter(state=SPKey.State.NEXT).first()
    if existing is None:
        try:
            row = key_create(state=SPKey.State.NEXT)
        except IntegrityError:
            existing = SPKey.objects.get(state=SPKey.State.NEXT)
    if existing is not None:
        message = MSG_NEXT_EXISTS.format(created=existing.created_at.date().isoformat())
        raise _refused(SSOGroupEvent.SP_KEY_ROTATE, message, actor=actor)
    event_record(
        account=None,
        event=SSOGroupEvent.SP_KEY_ROTATE,
        actor=actor,
        target=row.sha256_fingerprint,
        changes={"id": row.pk, "state": row.state, "not_after": row.not_after.isoformat()},
    )
    return key_pair_from_row(row)


def sp_key_promote(*, actor: str, force: bool = False) -> SPKeyPair:
    """Next becomes current (it signs from now on), current becomes previous (it still decrypts).

    Refused before the next key has been published SP_KEY_ROLLOVER_DAYS, unless ``force``.
    """
    if sp_keys_from_files():
        raise _refused(SSOGroupEvent.SP_KEY_PROMOTE, MSG_FROM_FILES, actor=actor)
    now = clock.now()
    with transaction.atomic():
        # Locked in id order, so two promotions at once run one after the other.
        rows = list(
            SPKey.objects.select_for_update().filter(state__in=[SPKey.State.NEXT, SPKey.State.CURRENT]).order_by("id")
        )
        nxt = next((r for r in rows if r.state == SPKey.State.NEXT), None)
        current = next((r for r in rows if r.state == SPKey.State.CURRENT), None)
        message = ""
        if nxt is None:
            message = MSG_NO_NEXT
        elif not force and now - nxt.created_at < timedelta(days=settings.SP_KEY_ROLLOVER_DAYS):
            message = MSG_TOO_EARLY.format(days=(now - nxt.created_at).days, wanted=settings.SP_KEY_ROLLOVER_DAYS)
        if not message:
            if current is not None:
                current.state = SPKey.State.PREVIOUS
                current.save(update_fields=["state"])
            nxt.state = SPKey.State.CURRENT
            nxt.promoted_at = now
            nxt.save(update_fields=["state", "promoted_at"])
    if message:
        raise _refused(SSOGroupEvent.SP_KEY_PROMOTE, message, actor=actor)
    event_record(
        account=None,
        event=SSOGroupEvent.SP_KEY_PROMOTE,
        actor=actor,
        target=nxt.sha256_fingerprint,
        changes={
            "id": nxt.pk,
            "previous": current.sha256_fingerprint if current else "",
            "forced": force,
        },
    )
    return key_pair_from_row(nxt)


def sp_key_retire(*, actor: str, key_id: int | None = None) -> list[int]:
    """Previous key(s) stop decrypting: the private half is erased, the certificate kept for the record.

    ``key_id`` names one previous key; None retires every previous key. Returns the retired ids.
    """
    if sp_keys_from_files():
        raise _refused(SSOGroupEvent.SP_KEY_RETIRE, MSG_FROM_FILES, actor=actor)
    now = clock.now()
    with transaction.atomic():
        rows = SPKey.objects.select_for_update().filter(state=SPKey.State.PREVIOUS)
        if key_id is not None:
            found = SPKey.objects.filter(pk=key_id).first()
            if found is None or found.state != SPKey.State.PREVIOUS:
                state = found.state if found else "unknown"
                message = MSG_NOT_PREVIOUS.format(key_id=key_id, state=state)
                rows = None
            else:
                rows = rows.filter(pk=key_id)
        retired = list(rows.order_by("id")) if rows is not None else []
        if rows is not None and not retired:
            message = MSG_NO_PREVIOUS
        for row in retired:
            row.state = SPKey.State.RETIRED
            row.private_key_encrypted = ""
            row.retired_at = now
            row.save(update_fields=["state", "private_key_encrypted", "retired_at"])
    if not retired:
        raise _refused(SSOGroupEvent.SP_KEY_RETIRE, message, actor=actor)
    for row in retired:
        event_record(
            account=None,
            event=SSOGroupEvent.SP_KEY_RETIRE,
            actor=actor,
            target=row.sha256_fingerprint,
            changes={"id": row.pk},
        )
    return [row.pk for row in retired]


def sp_key_promote_due(*, actor: str) -> SPKeyPair | None:
    """The daily check's step: promote the next key once it has been published SP_KEY_ROLLOVER_DAYS.

    Nothing to do (no next key, too early, keys from files) is not an event; None then.
    """
    if sp_keys_from_files():
        return None
    nxt = SPKey.objects.filter(state=SPKey.State.NEXT).values_list("created_at", flat=True).first()
    if nxt is None or clock.now() - nxt < timedelta(days=settings.SP_KEY_ROLLOVER_DAYS):
        return None
    try:
        return sp_key_promote(actor=actor)
    except SPKeyError:  # another run promoted it first (its refusal is its event)
        return None
