"""The dev IdP learns an SP from its metadata URL with a bounded fetch: http(s) only, a timeout,
a size cap, no redirects; and it takes only HTTP-POST ACS URLs the metadata lists."""

import time

import pytest

from devidp import spfetch
from tests.devidp.conftest import sp_metadata


def _reply(status: int, body: bytes = b"", headers: dict | None = None):
    def handle(h):
        h.send_response(status)
        for name, value in (headers or {}).items():
            h.send_header(name, value)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    return handle


def test_fetches_and_parses_the_metadata_at_the_entity_id(http_fixture):
    base = http_fixture(lambda h: _reply(200, sp_metadata(f"{base}/sp/metadata", (f"{base}/acs", "0", "")))(h))
    info = spfetch.sp_learn(f"{base}/sp/metadata")
    assert info == spfetch.SPInfo(
        entity_id=f"{base}/sp/metadata", acs_urls=(f"{base}/acs",), acs_by_index={"0": f"{base}/acs"}
    )


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://127.0.0.1/x", "gopher://x/", "urn:x:y", "http://"])
def test_only_http_and_https_are_fetched(url):
    with pytest.raises(spfetch.SPError) as caught:
        spfetch.fetch_bytes(url)
    assert str(caught.value) == spfetch.MSG_SCHEME.format(url=url)


def test_a_silent_server_is_given_up_after_the_timeout(http_fixture):
    base = http_fixture(lambda h: time.sleep(2))
    with pytest.raises(spfetch.SPError) as caught:
        spfetch.fetch_bytes(f"{base}/slow", timeout=0.3)
    assert str(caught.value) == spfetch.MSG_UNREACHABLE.format(url=f"{base}/slow", detail="no answer within 0.3 s")


def test_a_body_over_the_size_cap_is_refused(http_fixture):
    base = http_fixture(_reply(200, b"x" * (spfetch.MAX_BYTES + 1)))
    with pytest.raises(spfetch.SPError) as caught:
        spfetch.fetch_bytes(f"{base}/big")
    assert str(caught.value) == spfetch.MSG_TOO_LARGE.format(url=f"{base}/big")


def test_redirects_are_not_followed(http_fixture):
    base = http_fixture(_reply(302, headers={"Location": "http://169.254.169.254/latest/meta-data/"}))
    with pytest.raises(spfetch.SPError) as caught:
        spfetch.fetch_bytes(f"{base}/moved")
    assert str(caught.value) == spfetch.MSG_STATUS.format(url=f"{base}/moved", status=302)


def test_a_closed_port_is_reported_without_its_content(http_fixture):
    base = http_fixture(_reply(200))
    port = int(base.rsplit(":", 1)[1])
    with pytest.raises(spfetch.SPError) as caught:
        spfetch.fetch_bytes(f"http://127.0.0.1:{port + 1 if port < 65535 else port - 1}/x", timeout=1)
    assert "could not be fetched (" in str(caught.value)


URL = "http://localhost:8000/api/v1/users/saml/1/g/metadata"


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (b"not xml", spfetch.MSG_NOT_METADATA.format(url=URL, detail="not well-formed XML")),
        (
            b'<!DOCTYPE x [<!ENTITY e "e">]><md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata"/>',
            spfetch.MSG_NOT_METADATA.format(url=URL, detail="a DOCTYPE is not allowed"),
        ),
        (b"<html/>", spfetch.MSG_NOT_METADATA.format(url=URL, detail="the root is not md:EntityDescriptor")),
        (sp_metadata("https://other.example/metadata"), spfetch.MSG_ENTITY_MISMATCH.format(url=URL, found="https://other.example/metadata")),
        (sp_metadata(URL, ("javascript:alert(1)", "0", "true")), spfetch.MSG_NO_ACS.format(url=URL)),
    ],
)  # fmt: skip
def test_documents_that_are_not_this_sps_metadata_are_refused(document, message):
    with pytest.raises(spfetch.SPError) as caught:
        spfetch.sp_metadata_parse(document, url=URL)
    assert str(caught.value) == message


def test_the_default_acs_comes_first_then_by_index():
    info = spfetch.sp_metadata_parse(
        sp_metadata(URL, ("http://sp/acs-2", "2", ""), ("http://sp/acs-1", "1", ""), ("http://sp/acs-9", "9", "true")),
        url=URL,
    )
    assert info.acs_urls == ("http://sp/acs-9", "http://sp/acs-1", "http://sp/acs-2")
    assert info.default_acs == "http://sp/acs-9"
    assert info.acs_by_index == {"9": "http://sp/acs-9", "1": "http://sp/acs-1", "2": "http://sp/acs-2"}
