"""Password sign-in for unmanaged users who have a password (account admins).

A user an SSO group manages never signs in with a password, even one set before the group took
her over: she fails exactly like a wrong password, with the same hashing cost.

Usernames are unique per account, not globally, so the identifier (username or email) may
name users of several accounts; the password decides which one, and ambiguity signs no one in.
Which users are candidates is decided by the database, in a fixed order, from rows only an
account's own admins can write (another tenant's SCIM token once filled a cap of ten with users
carrying the victim's email, and her sign-in failed):
- only active, unmanaged users with a usable password (SCIM and JIT users are managed);
- when the identifier's email domain is verified by an account, only that account's users;
- one candidate per account (the username match, else the oldest email match), so the
  passwords checked grow with the accounts that hold the name, not with any one account's rows.
"""

from django.contrib.auth.backends import BaseBackend
from django.db.models import Case, IntegerField, Value, When

from accounts.login_routing import login_account_for
from accounts.models import User
from accounts.selectors import email_is, username_is


def password_candidates(identifier: str) -> list[User]:
    """The users a password typed with ``identifier`` is checked against, in a fixed order."""
    # Security-critical filter: managed users (sso_group set) and unusable passwords ("!…") never
    # count, so no SCIM token or IdP can add a candidate; a verified domain keeps other accounts out.
    users = (
        User.objects.filter(username_is(identifier) | email_is(identifier), is_active=True, sso_group__isnull=True)
        .exclude(password="")
        .exclude(password__startswith="!")
    )
    account_id = login_account_for(identifier=identifier)
    if account_id is not None:
        users = users.filter(account_id=account_id)
    by_username = Case(When(username_is(identifier), then=Value(0)), default=Value(1), output_field=IntegerField())
    ordered = users.select_related("account").annotate(by_username=by_username)
    candidates: dict[int, User] = {}
    for user in ordered.order_by("account_id", "by_username", "pk"):
        candidates.setdefault(user.account_id, user)
    return list(candidates.values())


class AccountUserBackend(BaseBackend):
    def authenticate(self, request, identifier: str | None = None, password: str | None = None, **kwargs):
        if not identifier or not password:
            return None
        checkable = [u for u in password_candidates(identifier) if u.has_usable_password()]
        if not checkable:
            User().set_password(password)  # same hashing cost as a real check: no timing oracle
            return None
        matches = [user for user in checkable if user.check_password(password)]
        return matches[0] if len(matches) == 1 else None

    def get_user(self, user_id):
        # An inactive user's session stops authenticating on its very next request.
        return User.objects.select_related("account").filter(pk=user_id, is_active=True).first()
