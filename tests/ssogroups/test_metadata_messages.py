"""Metadata that cannot be used is said for what it is (issue 24): an HTML page is an HTML page, not a
refused DOCTYPE, and no message carries internals (an exception's class name, lxml's "(<string>, line 1)")."""

import socket
import threading

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import Event
from ssogroups import fetch
from ssogroups.fetch import MetadataFetchError, metadata_fetch
from ssogroups.metadata import MSG_DOCTYPE, MSG_HTML, MetadataError, parse_metadata
from ssogroups.models import SSOGroup
from tests.conftest import force_recent_login
from tests.ssogroups import samples as s
from tests.ssogroups.test_views import counts, form_data

pytestmark = pytest.mark.usefixtures("fixed_now")


@pytest.fixture
def client_admin(client, admin):
    force_recent_login(client, admin)
    return client


SIGN_IN_PAGE = b"""<!DOCTYPE html>
<html lang="en"><head><title>Sign in</title></head><body><form>Email <input name="email"></form></body></html>
"""


def fetch_error(url: str) -> str:
    with pytest.raises(MetadataFetchError) as exc:
        metadata_fetch(url)
    return exc.value.message


def html_message(content_type: str) -> str:
    return (
        f"The metadata URL returned an HTML page, not SAML metadata (content type {content_type}). It may be a "
        "sign-in or error page: use the URL the IdP gives as its SAML metadata URL."
    )


@pytest.mark.parametrize(
    ("body", "content_type", "said"),
    [
        pytest.param(SIGN_IN_PAGE, "text/html; charset=utf-8", "text/html", id="html-page"),
        pytest.param(b"<html><body>Error 500</body></html>", "text/html", "text/html", id="html-without-doctype"),
        pytest.param(b"<!-- portal -->\n" + SIGN_IN_PAGE, "application/octet-stream", "application/octet-stream",
                     id="html-with-another-type"),
        pytest.param(b"Service unavailable", "text/html", "text/html", id="text-served-as-html"),
    ],
)  # fmt: skip
def test_an_html_page_is_said_to_be_one(allow_private, metadata_server, body, content_type, said):
    metadata_server.serve("/page", body, headers={"Content-Type": content_type})
    message = fetch_error(metadata_server.url("/page"))
    assert message == html_message(said)
    assert "DOCTYPE" not in message and "XXE" not in message


def test_metadata_served_as_text_html_is_still_metadata(allow_private, metadata_server):
    metadata_server.serve("/md", s.jumpcloud_bytes(), headers={"Content-Type": "text/html"})
    assert metadata_fetch(metadata_server.url("/md")) == s.jumpcloud_bytes()


def test_an_uploaded_html_page_is_said_to_be_one_but_a_real_doctype_is_still_refused():
    with pytest.raises(MetadataError) as exc:
        parse_metadata(SIGN_IN_PAGE, now=s.FIXED_NOW)
    assert exc.value.message == MSG_HTML
    doctype = b'<!DOCTYPE md:EntityDescriptor [<!ENTITY x "y">]><md:EntityDescriptor/>'
    with pytest.raises(MetadataError) as exc:
        parse_metadata(doctype, now=s.FIXED_NOW)
    assert exc.value.message == MSG_DOCTYPE


@pytest.mark.parametrize(
    ("data", "detail"),
    [
        (b"hello", "Start tag expected, '<' not found, line 1, column 1"),
        (b"<a><b></a>", "Opening and ending tag mismatch: b line 1 and a, line 1, column 11"),
    ],
)
def test_xml_errors_carry_no_parser_internals(data, detail):
    with pytest.raises(MetadataError) as exc:
        parse_metadata(data, now=s.FIXED_NOW)
    assert exc.value.message == f"The metadata is not well-formed XML: {detail}"
    assert "<string>" not in exc.value.message


def _one_shot_server(answer: bytes) -> tuple[int, threading.Thread]:
    """A TCP server that reads the request, writes ``answer`` (maybe nothing) and closes."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)

    def run():
        with server:
            conn, _ = server.accept()
            with conn:
                conn.recv(65536)
                if answer:
                    conn.sendall(answer)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return server.getsockname()[1], thread


@pytest.mark.parametrize(
    ("answer", "words"),
    [
        pytest.param(b"", fetch.CONNECT_CLOSED, id="closed-without-answer"),
        pytest.param(b"SSH-2.0-OpenSSH_9.6\r\n", fetch.CONNECT_NOT_HTTP, id="not-http"),
    ],
)
def test_connection_failures_are_said_in_words(allow_private, answer, words):
    port, thread = _one_shot_server(answer)
    message = fetch_error(f"http://127.0.0.1:{port}/metadata")
    thread.join(5)
    assert message == f"The metadata URL could not be fetched: {words}."


def test_the_form_says_a_metadata_url_is_an_html_page_and_saves_nothing(
    client_admin, account, allow_private, metadata_server
):
    metadata_server.serve("/login", SIGN_IN_PAGE, headers={"Content-Type": "text/html"})
    before = counts()
    response = client_admin.post("/account/sso/new", form_data(metadata_url=metadata_server.url("/login")))
    assert response.status_code == 400
    assert response.context["form"].errors["metadata_url"] == [html_message("text/html")]
    assert counts() == before and not SSOGroup.objects.filter(account=account).exists()


def test_an_uploaded_html_file_is_said_to_be_one_on_the_form(client_admin, account):
    before = counts()
    upload = SimpleUploadedFile("metadata.xml", SIGN_IN_PAGE, content_type="text/xml")
    response = client_admin.post("/account/sso/new", form_data(metadata_file=upload))
    assert response.status_code == 400
    [said] = [e for errors in response.context["form"].errors.values() for e in errors]
    assert said.startswith(MSG_HTML + " (from the file metadata.xml;")
    assert counts() == before and not Event.objects.filter(event="sso_group_create").exists()
