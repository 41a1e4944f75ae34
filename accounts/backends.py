"""Password sign-in for unmanaged users who have a password (account admins).

A user an SSO group manages never signs in with a password, even one set before the group took
her over: she fails exactly like a wrong password, with the same hashing cost.

Usernames are unique per account, not globally, so the identifier (username or email) may
name users of several accounts; the password decides which one, and ambiguity signs no one in.
"""

from django.contrib.auth.backends import BaseBackend

from accounts.models import User
from accounts.selectors import email_is, username_is

MAX_CANDIDATES = 10


class AccountUserBackend(BaseBackend):
    def authenticate(self, request, identifier: str | None = None, password: str | None = None, **kwargs):
        if not identifier or not password:
            return None
        candidates = list(
            User.objects.filter(username_is(identifier) | email_is(identifier)).select_related("account")[
                :MAX_CANDIDATES
            ]
        )
        # Crucial: managed users (sso_group set) are never password users, whatever their row holds.
        checkable = [u for u in candidates if u.is_active and u.sso_group_id is None and u.has_usable_password()]
        if not checkable:
            User().set_password(password)  # same hashing cost as a real check: no timing oracle
            return None
        matches = [user for user in checkable if user.check_password(password)]
        return matches[0] if len(matches) == 1 else None

    def get_user(self, user_id):
        # An inactive user's session stops authenticating on its very next request.
        return User.objects.select_related("account").filter(pk=user_id, is_active=True).first()
