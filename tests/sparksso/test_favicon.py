"""/favicon.ico answers (issue 24: a 404 on every page), and every page links the icon."""

import pytest
from django.conf import settings


@pytest.mark.django_db
def test_favicon_is_served_as_an_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/x-icon"
    assert response.content == (settings.BASE_DIR / "static" / "favicon.ico").read_bytes()
    assert response.content[:4] == b"\x00\x00\x01\x00"  # an ICO header
    assert "max-age=86400" in response["Cache-Control"]
    assert client.head("/favicon.ico").status_code == 200
    assert client.post("/favicon.ico").status_code == 405


@pytest.mark.django_db
def test_pages_link_the_icon(client):
    html = client.get("/login").content.decode()
    assert '<link rel="icon" href="/static/favicon.ico"' in html
