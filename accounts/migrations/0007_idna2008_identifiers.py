# The domain part of usernames and email addresses in one form (issue 18 item 5): a non-ASCII or
# xn-- domain becomes its canonical IDNA 2008 / UTS #46 non-transitional Unicode form, as
# accounts.identifiers.identifier_normalise now stores it. A row whose new form would clash with
# another user's username in the account keeps its old form and gets a failure event to say so.
#
# The fold is written out here rather than imported, so that the migration never changes meaning.

import idna
from django.db import migrations
from django.db.models.functions import Lower
from django.utils import timezone

EVENT = "user_identifier_normalise"
REASON = "idna2008"


def _domain(domain: str) -> str:
    if domain.isascii() and not any(label.lower().startswith("xn--") for label in domain.split(".")):
        return domain
    try:
        ascii_form = idna.encode(domain.strip().rstrip("."), uts46=True, transitional=False, std3_rules=True)
        return idna.decode(ascii_form)
    except (idna.IDNAError, UnicodeError):
        return domain


def _identifier(value: str) -> str:
    if "@" not in value:
        return value
    local, domain = value.rsplit("@", 1)
    return f"{local}@{_domain(domain)}"


def renormalise(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    UserEmail = apps.get_model("accounts", "UserEmail")
    Event = apps.get_model("accounts", "Event")
    now = timezone.now()
    for user in User.objects.order_by("pk").iterator(chunk_size=2000):
        username, email = _identifier(user.username), _identifier(user.email)
        if (username, email) == (user.username, user.email):
            continue
        clash = (
            username != user.username
            and User.objects.annotate(lower=Lower("username"))
            .filter(account_id=user.account_id, lower=username.lower())
            .exclude(pk=user.pk)
            .exists()
        )
        changes = {"email": [user.email, email]} if email != user.email else {}
        if not clash and username != user.username:
            changes["username"] = [user.username, username]
            user.username = username
        user.email = email
        user.save(update_fields=["username", "email"])
        Event.objects.create(
            account_id=user.account_id, time=now, event=EVENT, actor="migration", target=user.username,
            outcome="failure" if clash else "success", reason="username_taken" if clash else REASON, changes=changes,
        )  # fmt: skip
    for row in UserEmail.objects.order_by("pk").iterator(chunk_size=2000):
        value = _identifier(row.value)
        if value != row.value:
            row.value = value
            row.save(update_fields=["value"])


class Migration(migrations.Migration):
    dependencies = [("accounts", "0006_user_list_order_index")]

    operations = [migrations.RunPython(renormalise, migrations.RunPython.noop)]
