"""The /login page puts the cursor where the next thing is typed (issue 24: after Continue it stayed
in the email field)."""

import re

import pytest

from accounts.users import user_create


def _input(html: str, name: str) -> str:
    return re.search(rf'<input[^>]*name="{name}"[^>]*>', html).group(0)


@pytest.mark.django_db
def test_the_first_step_focuses_the_identifier(client):
    html = client.get("/login").content.decode()
    assert "autofocus" in _input(html, "identifier")
    assert 'name="password"' not in html


@pytest.mark.django_db
def test_after_continue_the_password_field_has_the_focus(client, account):
    user_create(account=account, username="pat@example.com", password="a long password 42")
    response = client.post("/login", {"identifier": "pat@example.com"})
    html = response.content.decode()
    assert 'name="password"' in html
    assert "autofocus" in _input(html, "password")
    assert "autofocus" not in _input(html, "identifier")
    assert html.count("autofocus") == 1


@pytest.mark.django_db
def test_the_password_link_also_focuses_the_password(client):
    html = client.get("/login?method=password").content.decode()
    assert "autofocus" in _input(html, "password") and "autofocus" not in _input(html, "identifier")
