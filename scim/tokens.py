"""SCIM bearer tokens: minted once, stored as a SHA-256 digest with a short visible prefix."""

import functools
import hashlib
import hmac
import secrets

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.http import HttpRequest

from accounts.events import event_record
from accounts.models import Account, User
from accounts.permissions import MSG_PLAN
from scim.constants import SCIM_FEATURE
from scim.event_types import ScimEvent
from scim.models import ScimGroup, ScimToken
from sparksso import clock
from sparksso.rows import columns, instances
from ssogroups.models import SSOGroup

TOKEN_PREFIX = "sso_scim_"
VISIBLE_CHARS = 4  # of the random part, shown next to the prefix so admins can tell tokens apart
TOKEN_BYTES = 32  # 256 bits of randomness
MAX_TOKEN_LENGTH = 200
MSG_GROUP_FOREIGN = "That SSO group does not belong to this account."
MSG_GROUP_DISABLED = "SCIM tokens provision into an enabled SSO group; enable the group first."
MSG_LABEL = "The label must be at most 100 characters."


class ScimTokenFormUsed(Exception):
    """This settings form already minted its token (reload, resubmission or double click)."""


def token_digest(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode()).hexdigest()


def token_actor(token: ScimToken) -> str:
    """How events name a token: its visible prefix only, never the secret."""
    return f"scim:{token.prefix}"


def scim_token_create(
    *,
    account: Account,
    sso_group,
    label: str,
    created_by: User | None,
    actor: str = "",
    request: HttpRequest | None = None,
    form_id: str = "",
) -> tuple[ScimToken, str]:
    """Mint a token for ``sso_group``; the plaintext is returned here once and never stored.

    ``form_id``: the one-time id of the form asking; raises ScimTokenFormUsed if it already minted one.
    """
    if not account.has_sso:
        raise ValidationError(MSG_PLAN.format(feature_cap=SCIM_FEATURE, plan=account.get_plan_display()))
    if sso_group.account_id != account.pk:  # crucial: a token provisions into its own account only
        raise ValidationError(MSG_GROUP_FOREIGN)
    if not sso_group.enabled:
        raise ValidationError(MSG_GROUP_DISABLED)
    label = (label or "").strip()
    if len(label) > 100:
        raise ValidationError(MSG_LABEL)
    plaintext = TOKEN_PREFIX + secrets.token_urlsafe(TOKEN_BYTES)
    token = ScimToken(
        account=account,
        sso_group=sso_group,
        label=label,
        prefix=plaintext[: len(TOKEN_PREFIX) + VISIBLE_CHARS],
        digest=token_digest(plaintext),
        created_by=created_by,
        form_digest=token_digest(form_id) if form_id else None,
    )
    if form_id and ScimToken.objects.filter(form_digest=token.form_digest).exists():
        raise ScimTokenFormUsed
    try:
        with transaction.atomic():
            token.save()
            event_record(
                account=account,
                event=ScimEvent.SCIM_TOKEN_GENERATE,
                actor=actor or (created_by.username if created_by else "system"),
                target=token.prefix,
                request=request,
                changes={"label": label, "sso_group": sso_group.slug},
            )
    except IntegrityError as exc:
        if form_id and ScimToken.objects.filter(form_digest=token.form_digest).exists():
            raise ScimTokenFormUsed from exc  # a concurrent submission of the same form won
        raise
    return token, plaintext


def scim_token_revoke(*, token: ScimToken, actor: str, request: HttpRequest | None = None) -> ScimToken:
    """Revoke now; the very next request with this token is refused. Revoking twice is a no-op."""
    if token.revoked_at is not None:
        return token
    with transaction.atomic():
        token.revoked_at = clock.now()
        token.save(update_fields=["revoked_at"])
        event_record(
            account=token.account, event=ScimEvent.SCIM_TOKEN_REVOKE, actor=actor, target=token.prefix, request=request
        )
    return token


def scim_token_authenticate(*, plaintext: str) -> ScimToken | None:
    """The active token with this plaintext, or None.

    The database finds the row by the token's SHA-256 digest (an indexed equality, not a
    constant-time compare); that is safe because what it compares is a digest of a 256-bit random
    secret, whose timing says nothing about any token's plaintext. The compare_digest below only
    re-checks the row the index returned."""
    if not plaintext.startswith(TOKEN_PREFIX) or len(plaintext) > MAX_TOKEN_LENGTH:
        return None
    digest = token_digest(plaintext)
    token = scim_token_active(digest=digest)
    if token is None or not hmac.compare_digest(token.digest, digest):
        return None
    return token


# Every SCIM request reads its token with its account and group. Hand-written SQL, on purpose: it is
# the one query every SCIM request sends, and the ORM spent 0.91 ms of CPU on it against 0.12 ms for
# this (docs/performance.md, "Removing lean middleware and Prepared").
_TOKEN_MODELS = (ScimToken, Account, SSOGroup)


@functools.cache  # the models do not change while the process runs
def _active_token_sql() -> str:
    token, account, group = (f'"{model._meta.db_table}"' for model in _TOKEN_MODELS)
    scim_groups = f'"{ScimGroup._meta.db_table}"'
    # Whether the account has any SCIM group: without one no user has a membership, and a read
    # of users skips that query (an index probe here instead of a statement there).
    groups_exist = f'EXISTS (SELECT 1 FROM {scim_groups} sg WHERE sg."account_id" = t."account_id")'  # noqa: S608
    selected = ", ".join([*columns(ScimToken, "t"), *columns(Account, "a"), *columns(SSOGroup, "g"), groups_exist])
    # Table and column names come from the models; the digest is the one value, passed as a parameter.
    return (
        f"SELECT {selected} FROM {token} t"  # noqa: S608
        f' INNER JOIN {account} a ON a."id" = t."account_id"'
        f' INNER JOIN {group} g ON g."id" = t."sso_group_id"'
        f' WHERE t."digest" = %s AND t."revoked_at" IS NULL LIMIT 1'
    )


def scim_token_active(*, digest: str) -> ScimToken | None:
    """The unrevoked token with this digest, its ``account`` and ``sso_group`` loaded, and
    ``scim_groups_exist``: whether its account has any SCIM group. One SELECT."""
    with connection.cursor() as cursor:
        cursor.execute(_active_token_sql(), [digest])
        row = cursor.fetchone()
    if row is None:
        return None
    (token, account, sso_group), start = instances(row, *_TOKEN_MODELS)
    token.account, token.sso_group = account, sso_group
    token.scim_groups_exist = bool(row[start])
    return token


def scim_token_touch(*, token: ScimToken) -> None:
    """Record use, at most once a minute per token, so every request does not write."""
    now = clock.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() >= 60:
        ScimToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
