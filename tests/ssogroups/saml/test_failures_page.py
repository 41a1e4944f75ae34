"""The account admin's per-group diagnostics page at /account/sso/<slug>/failures."""

from tests.ssogroups.saml.conftest import acs_post
from tests.ssogroups.saml.idp import SHA1, sp_of


def test_admin_sees_precise_reasons_issuer_and_name_id_but_no_signature(client, idp, group, alice, admin):
    acs_post(client, group, idp.response(sp_of(group), name_id="alice@example.com", algorithms=SHA1))
    xml = idp.response(sp_of(group), name_id="nobody@example.com")
    acs_post(client, group, xml)
    client.force_login(admin)

    response = client.get(f"/account/sso/{group.slug}/failures")

    assert response.status_code == 200
    html = response.content.decode().replace("<wbr>", "")  # identifiers may wrap at separators
    assert "deprecated_algorithm" in html and "SHA-1" in html
    assert "unknown_user" in html and "nobody@example.com" in html
    assert idp.entity_id in html
    assert "SignatureValue" not in html and idp.keypair.cert_b64[:40] not in html
    assert html.index("unknown_user") < html.index("deprecated_algorithm")  # newest first


def test_non_admin_is_refused(client, group, alice, account, make_user):
    reporter = make_user(account, "reporter@example.com", password="correct horse 42")
    client.force_login(reporter)
    assert client.get(f"/account/sso/{group.slug}/failures").status_code == 403


def test_signed_out_is_sent_to_login(client, group):
    response = client.get(f"/account/sso/{group.slug}/failures")
    assert response.status_code == 302
    assert response["Location"].startswith("/login")


def test_other_accounts_group_is_404(client, idp, group, alice, make_account):
    acs_post(client, group, idp.response(sp_of(group), name_id="nobody@example.com"))
    _, other_admin = make_account()
    client.force_login(other_admin)
    response = client.get(f"/account/sso/{group.slug}/failures")
    assert response.status_code == 404
    assert b"nobody@example.com" not in response.content
