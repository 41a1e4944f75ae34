"""Importing many users at once: one INSERT per batch instead of a validated save per user."""

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.event_types import AccountEvent
from accounts.events import event_record
from accounts.models import Account, User, UserEmail
from sparksso import clock

MSG_DUPLICATE = "The import names {name} twice (user names are case-insensitive)."
BATCH = 2000


@dataclass(frozen=True)
class NewUser:
    username: str
    email: str = ""
    first_name: str = ""
    last_name: str = ""
    created_at: datetime | None = None


def users_import(*, account: Account, people: list[NewUser], sso_group=None, actor: str = "") -> int:
    """Create ``people`` in ``account`` in batches, each with its work email as one UserEmail row,
    signing in through ``sso_group``; one ``user_import`` event. All or nothing: a name twice in the
    import raises ValidationError before any write, one already taken fails the transaction."""
    seen: set[str] = set()
    for person in people:
        name = person.username.lower()
        if name in seen:
            raise ValidationError(MSG_DUPLICATE.format(name=person.username))
        seen.add(name)
    unusable = make_password(None)
    now = clock.now()
    with transaction.atomic():
        for first in range(0, len(people), BATCH):
            batch = people[first : first + BATCH]
            created = User.objects.bulk_create(
                User(account=account, username=p.username, email=p.email, first_name=p.first_name,
                     last_name=p.last_name, sso_group=sso_group, password=unusable,
                     created_at=p.created_at or now, updated_at=p.created_at or now)
                for p in batch
            )  # fmt: skip
            UserEmail.objects.bulk_create(
                UserEmail(user=u, position=0, value=u.email, type="work", primary=True) for u in created if u.email
            )
        event_record(account=account, event=AccountEvent.USER_IMPORT, actor=actor, changes={"users": len(people)})
    return len(people)
