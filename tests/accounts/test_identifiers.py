"""Usernames and emails are NFKC-normalised and refuse control and invisible characters, in the
user services and so in SCIM (400 invalidValue), the admin users page and the login form."""

import pytest
from django.core.exceptions import ValidationError

from accounts.identifiers import MSG_INVISIBLE, identifier_clean
from accounts.models import Event, User
from accounts.users import user_create
from tests.conftest import force_recent_login

INVISIBLE = [
    pytest.param("\u200b", id="zero-width-space"),
    pytest.param("\u200d", id="zero-width-joiner"),
    pytest.param("\ufeff", id="byte-order-mark"),
    pytest.param("\u202e", id="right-to-left-override"),
    pytest.param("\u00ad", id="soft-hyphen"),
    pytest.param("\x00", id="nul"),
    pytest.param("\x1b", id="escape"),
    pytest.param("\u2028", id="line-separator"),
]
USERNAME_REFUSED = f"The username {MSG_INVISIBLE}"


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("ａｌｉｃｅ@example.com", "alice@example.com"),  # full-width letters
        ("alice\u00a0smith", "alice smith"),  # a no-break space is a space
        ("ﬁona@example.com", "fiona@example.com"),  # the fi ligature
        ("  bob@example.com ", "bob@example.com"),
    ],
)
def test_compatibility_forms_fold_to_one_name(raw, stored):
    assert identifier_clean(raw, field="username", label="The username") == stored


@pytest.mark.parametrize("char", INVISIBLE)
def test_the_service_refuses_invisible_characters_and_writes_nothing(account, char):
    before = (User.objects.count(), Event.objects.count())
    with pytest.raises(ValidationError) as caught:
        user_create(account=account, username=f"ali{char}ce@a.example")
    assert caught.value.message_dict == {"username": [USERNAME_REFUSED]}
    with pytest.raises(ValidationError) as caught:
        user_create(account=account, username="carol", email=f"carol{char}@a.example")
    assert caught.value.message_dict == {"email": [f"The email address {MSG_INVISIBLE}"]}
    assert (User.objects.count(), Event.objects.count()) == before


def test_the_users_page_shows_the_refusal_on_the_field(client, admin):
    force_recent_login(client, admin)
    before = (User.objects.count(), Event.objects.count())
    response = client.post("/account/users/", {"username": "mallory\u200b", "role": "reporting"})
    assert response.status_code == 400
    assert 'id="id_username_error"' in response.content.decode()
    assert USERNAME_REFUSED in response.content.decode()
    assert (User.objects.count(), Event.objects.count()) == before


def test_a_full_width_identifier_signs_in(client, admin):
    full_width = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in admin.email)
    response = client.post("/login", {"identifier": full_width, "password": "correct horse 42"})
    assert response.status_code == 302
    assert client.get("/api/v1/session").json()["username"] == admin.username
