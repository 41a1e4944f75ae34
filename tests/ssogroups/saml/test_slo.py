"""Single Logout through the real endpoints: our sign-out sends a signed LogoutRequest and checks the
IdP's LogoutResponse; the IdP's signed LogoutRequest ends that user's sessions of that group only.
The IdP side is pysaml2 with its own key pair; the SP signs with a real key pair (SP_KEY_FILE)."""

import datetime as dt
import re
from html import unescape

import pytest
from django.test import Client
from lxml import etree
from saml2.samlp import STATUS_RESPONDER, STATUS_SUCCESS
from saml2.xmldsig import SIG_RSA_SHA1

from accounts.models import Event, UserSession
from ssogroups.models import SSOLoginFailure, SSOSession
from tests.ssogroups.saml.conftest import IDP_ENTITY_ID, acs_post, session_json
from tests.ssogroups.saml.idp import NS, TestIdP, sp_of
from tests.ssogroups.saml.slo_idp import (
    b64,
    logout_request_xml,
    logout_response_xml,
    our_post_verified,
    our_redirect_verified,
    path_and_query,
    post_signed,
    published_sp_certificate,
    redirect_signed,
    redirect_unsigned,
)
from tests.support.keys import make_keypair, shared_keypair

IDP_SLO = "https://idp.example.test/saml/slo"
BINDING_REDIRECT = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
BINDING_POST = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"


def idp_metadata(slo_binding: str) -> str:
    """The IdP metadata the group came from: it says which binding its SLO URL takes."""
    return (
        f'<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="{IDP_ENTITY_ID}">'
        '<md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
        f'<md:SingleLogoutService Binding="{slo_binding}" Location="{IDP_SLO}"/>'
        "</md:IDPSSODescriptor></md:EntityDescriptor>"
    )


@pytest.fixture
def sp_keys(tmp_path, settings):
    """The SP's key pair, provided as the operator would (SP_KEY_FILE/SP_CERT_FILE): real, and fast."""
    keys = shared_keypair("sp-slo")
    (tmp_path / "sp-key.pem").write_text(keys.key_pem)
    (tmp_path / "sp-cert.pem").write_text(keys.cert_pem)
    settings.SP_KEY_FILE, settings.SP_CERT_FILE = str(tmp_path / "sp-key.pem"), str(tmp_path / "sp-cert.pem")
    return keys


@pytest.fixture
def slo_group(group, sp_keys):
    group.slo_url = IDP_SLO
    group.save(update_fields=["slo_url"])
    # What the IdP verifies our messages with: the published certificate, which is our key file's.
    assert published_sp_certificate(Client(), group).split() == sp_keys.cert_pem.split()
    return group


def slo_path(group) -> str:
    return f"/api/v1/users/saml/{group.account_id}/{group.slug}/slo"


def slo_url(group) -> str:
    return f"http://testserver{slo_path(group)}"


def sign_in(client, idp, group, name_id: str = "alice@example.com") -> SSOSession | None:
    response = acs_post(client, group, idp.response(sp_of(group), name_id=name_id))
    assert response.status_code == 302, response.content[:500]
    return SSOSession.objects.filter(user_session_id=client.session.session_key).first()


def signed_in(client) -> bool:
    return session_json(client).status_code == 200


def events(name: str) -> list[Event]:
    return list(Event.objects.filter(event=name).order_by("id"))


@pytest.fixture(autouse=True)
def _base_url(settings):
    settings.BASE_URL = "http://testserver"


# --- the session keeps its NameID and SessionIndex ----------------------------------------------


def test_sign_in_keeps_the_name_id_and_session_index_with_the_session(client, idp, slo_group, alice):
    xml = idp.response(sp_of(slo_group), name_id="alice@example.com")
    session_index = etree.fromstring(xml.encode()).find("saml:Assertion/saml:AuthnStatement", NS).get("SessionIndex")
    assert session_index

    acs_post(client, slo_group, xml)
    kept = SSOSession.objects.get(user_session_id=client.session.session_key)

    assert (kept.group, kept.name_id, kept.session_index) == (slo_group, "alice@example.com", session_index)
    assert kept.name_id_format == "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
    UserSession.objects.filter(session_key=client.session.session_key).delete()  # the session ends…
    assert not SSOSession.objects.exists()  # …and its row goes with it


# --- SP-initiated ---------------------------------------------------------------------------------


def test_sp_initiated_redirect_signs_out_here_first_then_checks_the_idps_answer(client, idp, slo_group, alice, sp_keys):
    kept = sign_in(client, idp, slo_group)

    response = client.post("/logout")

    # Signed out here before the browser even reaches the IdP (which may be down).
    assert response.status_code == 302
    assert response["Location"].startswith(f"{IDP_SLO}?SAMLRequest=")
    assert not signed_in(client)
    assert not SSOSession.objects.exists() and not UserSession.objects.exists()
    request, query = our_redirect_verified(
        response["Location"], idp=idp, sp=sp_of(slo_group), sp_cert_pem=published_sp_certificate(Client(), slo_group)
    )
    assert request.tag == f"{{{NS['samlp']}}}LogoutRequest"
    assert request.get("Destination") == IDP_SLO
    assert request.find("saml:Issuer", NS).text == slo_group.sp_entity_id
    assert request.find("saml:NameID", NS).text == "alice@example.com"
    assert request.find("samlp:SessionIndex", NS).text == kept.session_index
    [start] = events("sso_logout_start")
    assert (start.actor, start.changes["request_id"]) == (alice.username, request.get("ID"))

    answer = logout_response_xml(idp, destination=slo_url(slo_group), in_response_to=request.get("ID"))
    url = redirect_signed(idp, sp_of(slo_group), answer, to=slo_url(slo_group))
    back = client.get(path_and_query(url))

    assert back.status_code == 302 and back["Location"] == "/login"
    [complete] = events("sso_logout_complete")
    assert complete.changes == {"group": slo_group.slug, "in_response_to": request.get("ID")}
    assert not SSOLoginFailure.objects.exists()

    again = client.get(path_and_query(url))  # the same answer twice: its request is spent
    assert again.status_code == 403
    assert SSOLoginFailure.objects.get().reason == "logout_unknown_request"
    assert len(events("sso_logout_complete")) == 1


def test_sp_initiated_post_binding_when_the_idps_metadata_says_so(client, idp, slo_group, alice, sp_keys, tmp_path):
    slo_group.metadata_xml = idp_metadata(BINDING_POST)
    slo_group.save(update_fields=["metadata_xml"])
    sign_in(client, idp, slo_group)

    response = client.post("/logout")

    assert response.status_code == 200
    assert not signed_in(client)
    page = response.content.decode()
    assert f'action="{IDP_SLO}"' in page
    value = unescape(re.search(r'name="SAMLRequest" value="([^"]+)"', page).group(1))
    request = our_post_verified(
        value, idp=idp, sp=sp_of(slo_group), sp_cert_pem=published_sp_certificate(Client(), slo_group), workdir=tmp_path
    )
    assert request.find("saml:NameID", NS).text == "alice@example.com"

    answer = post_signed(
        idp,
        sp_of(slo_group),
        logout_response_xml(idp, destination=slo_url(slo_group), in_response_to=request.get("ID")),
    )
    back = client.post(slo_path(slo_group), {"SAMLResponse": b64(answer)})

    assert back.status_code == 302 and back["Location"] == "/login"
    assert len(events("sso_logout_complete")) == 1


@pytest.mark.parametrize(
    ("answer", "reason", "status"),
    [
        ("unsigned", "logout_unsigned", 403),
        ("other-key", "logout_bad_signature", 403),
        ("other-request", "logout_unknown_request", 403),
        ("wrong-destination", "logout_wrong_destination", 403),
        ("wrong-issuer", "logout_wrong_issuer", 403),
        ("partial", "logout_idp_error_status", 403),
    ],
)
def test_a_bad_logout_response_is_refused_with_its_reason(
    client, idp, slo_group, alice, tmp_path, answer, reason, status
):
    sign_in(client, idp, slo_group)
    location = client.post("/logout")["Location"]
    request_id = our_redirect_verified(
        location, idp=idp, sp=sp_of(slo_group), sp_cert_pem=published_sp_certificate(Client(), slo_group)
    )[0].get("ID")
    signer = idp
    fields = {"destination": slo_url(slo_group), "in_response_to": request_id}
    if answer == "other-key":
        signer = TestIdP(tmp_path / "forger", make_keypair("Forger"), entity_id=IDP_ENTITY_ID)
    elif answer == "other-request":
        fields["in_response_to"] = "_not-ours"
    elif answer == "wrong-destination":
        fields["destination"] = "http://testserver/elsewhere/slo"
    elif answer == "wrong-issuer":
        fields["issuer"] = "https://evil.example.test/saml"
    elif answer == "partial":
        fields["status"] = STATUS_RESPONDER
    xml = logout_response_xml(idp, **fields)
    if answer == "unsigned":
        url = redirect_unsigned(xml, to=slo_url(slo_group), field="SAMLResponse")
    else:
        url = redirect_signed(signer, sp_of(slo_group), xml, to=slo_url(slo_group))

    back = client.get(path_and_query(url))

    assert back.status_code == status
    assert "You are signed out here" in back.content.decode()
    failure = SSOLoginFailure.objects.get()
    assert failure.reason == reason
    assert failure.reference in back.content.decode()
    [event] = events("sso_logout_failure")
    assert (event.reason, event.outcome, event.actor) == (reason, "failure", "anonymous")
    assert not events("sso_logout_complete")
    assert not signed_in(client)


def test_no_idp_slo_endpoint_signs_out_here_only(client, idp, group, alice, sp_keys):
    assert sign_in(client, idp, group) is None  # the group's IdP publishes no SingleLogoutService: nothing kept

    response = client.post("/logout")

    assert (response.status_code, response["Location"]) == (302, "/login")
    assert not signed_in(client)
    assert not events("sso_logout_start")


def test_an_unusable_sp_key_still_signs_out_here(client, idp, slo_group, alice, settings, tmp_path):
    sign_in(client, idp, slo_group)
    settings.SP_KEY_FILE = str(tmp_path / "missing-key.pem")

    response = client.post("/logout")

    assert (response.status_code, response["Location"]) == (302, "/login")
    assert not signed_in(client)
    assert SSOLoginFailure.objects.get().reason == "logout_not_sent"
    assert [e.reason for e in events("sso_logout_failure")] == ["logout_not_sent"]


def test_logout_stays_a_post(client, idp, slo_group, alice):
    sign_in(client, idp, slo_group)
    assert client.get("/logout").status_code == 200
    assert signed_in(client)
    assert not events("sso_logout_start")


# --- IdP-initiated --------------------------------------------------------------------------------


@pytest.fixture
def neighbours(account, make_account, make_user, make_ssogroup, idp, idp_keys, slo_group):
    """Sessions a LogoutRequest to ``slo_group`` naming alice must leave alone: bob of the same group,
    dave of another group of the account trusting the same IdP, and alice@example.com of another account
    whose group trusts the same IdP."""
    other_group = make_ssogroup(account, slug="second", cert_pem=idp_keys.cert_pem, idp_entity_id=IDP_ENTITY_ID)
    other_account, _ = make_account(name="Other Inc")
    foreign_group = make_ssogroup(
        other_account, slug="jumpcloud", cert_pem=idp_keys.cert_pem, idp_entity_id=IDP_ENTITY_ID, slo_url=IDP_SLO
    )
    make_user(account, "bob@example.com", sso_group=slo_group)
    make_user(account, "dave@example.com", sso_group=other_group)
    make_user(other_account, "alice@example.com", sso_group=foreign_group)
    clients = {"bob": Client(), "dave": Client(), "foreign-alice": Client()}
    sign_in(clients["bob"], idp, slo_group, "bob@example.com")
    sign_in(clients["dave"], idp, other_group, "dave@example.com")
    sign_in(clients["foreign-alice"], idp, foreign_group, "alice@example.com")
    return clients


def _deliver(client, idp, group, xml: str, binding: str, *, signer: TestIdP | None = None, signed: bool = True):
    signer = signer or idp
    if binding == "redirect":
        url = (
            redirect_signed(signer, sp_of(group), xml, to=slo_url(group), relay_state="tile")
            if signed
            else redirect_unsigned(xml, to=slo_url(group))
        )
        return client.get(path_and_query(url))
    body = post_signed(signer, sp_of(group), xml) if signed else xml
    return client.post(slo_path(group), {"SAMLRequest": b64(body), "RelayState": "tile"})


@pytest.mark.parametrize("binding", ["redirect", "post"])
def test_idp_initiated_logout_ends_that_users_sessions_of_that_group_only(
    client, idp, slo_group, alice, neighbours, sp_keys, tmp_path, binding
):
    slo_group.metadata_xml = idp_metadata(BINDING_REDIRECT if binding == "redirect" else BINDING_POST)
    slo_group.save(update_fields=["metadata_xml"])
    kept = sign_in(client, idp, slo_group)
    second_browser = Client()
    sign_in(second_browser, idp, slo_group)  # alice in two browsers: no SessionIndex ends both
    xml = logout_request_xml(idp, destination=slo_url(slo_group), name_id="alice@example.com")
    request_id = etree.fromstring(xml.encode()).get("ID")

    response = _deliver(Client(), idp, slo_group, xml, binding)

    assert not signed_in(client) and not signed_in(second_browser)
    assert all(signed_in(c) for c in neighbours.values())
    assert SSOSession.objects.filter(pk=kept.pk).count() == 0
    assert SSOSession.objects.count() == 2  # bob's and the other account's alice's (dave's group has no SLO)
    [event] = events("sso_logout_idp")
    assert (event.actor, event.target, event.changes["sessions_ended"]) == (IDP_ENTITY_ID, "alice@example.com", 2)
    # Answered with our signed LogoutResponse, by the binding the IdP's metadata gives its SLO URL.
    if binding == "redirect":
        assert response.status_code == 302
        answer, query = our_redirect_verified(
            response["Location"],
            idp=idp,
            sp=sp_of(slo_group),
            sp_cert_pem=published_sp_certificate(Client(), slo_group),
        )
        assert query["RelayState"] == "tile"
    else:
        assert response.status_code == 200
        page = response.content.decode()
        assert f'action="{IDP_SLO}"' in page
        value = unescape(re.search(r'name="SAMLResponse" value="([^"]+)"', page).group(1))
        answer = our_post_verified(
            value,
            idp=idp,
            sp=sp_of(slo_group),
            sp_cert_pem=published_sp_certificate(Client(), slo_group),
            workdir=tmp_path,
        )
    assert answer.tag == f"{{{NS['samlp']}}}LogoutResponse"
    assert (answer.get("InResponseTo"), answer.get("Destination")) == (request_id, IDP_SLO)
    assert answer.find("samlp:Status/samlp:StatusCode", NS).get("Value") == STATUS_SUCCESS
    assert answer.find("saml:Issuer", NS).text == slo_group.sp_entity_id


def test_a_session_index_ends_only_that_session(client, idp, slo_group, alice):
    kept = sign_in(client, idp, slo_group)
    other = Client()
    sign_in(other, idp, slo_group)
    xml = logout_request_xml(
        idp, destination=slo_url(slo_group), name_id="alice@example.com", session_indexes=(kept.session_index,)
    )

    _deliver(Client(), idp, slo_group, xml, "redirect")

    assert not signed_in(client)
    assert signed_in(other)


def _refusal_case(case: str, idp, group, tmp_path) -> tuple[str, dict]:
    fields = {"destination": slo_url(group), "name_id": "alice@example.com"}
    deliver = {}
    now = dt.datetime.now(dt.UTC)
    if case == "unsigned":
        deliver["signed"] = False
    elif case == "forged":
        deliver["signer"] = TestIdP(tmp_path / "forger", make_keypair("Forger"), entity_id=IDP_ENTITY_ID)
    elif case == "wrong-destination":
        fields["destination"] = f"http://testserver/api/v1/users/saml/{group.account_id}/other/slo"
    elif case == "no-destination":
        fields["destination"] = None
    elif case == "wrong-issuer":
        fields["issuer"] = "https://evil.example.test/saml"
    elif case == "expired":
        fields["issue_instant"] = now - dt.timedelta(minutes=4)  # recent, but its own window has passed
        fields["not_on_or_after"] = now - dt.timedelta(minutes=3)
    elif case == "stale":
        fields["issue_instant"] = now - dt.timedelta(hours=1)
    return logout_request_xml(idp, **fields), deliver


REFUSALS = [
    ("unsigned", "logout_unsigned"),
    ("forged", "logout_bad_signature"),
    ("wrong-destination", "logout_wrong_destination"),
    ("no-destination", "logout_wrong_destination"),
    ("wrong-issuer", "logout_wrong_issuer"),
    ("expired", "logout_expired"),
    ("stale", "logout_expired"),
]


@pytest.mark.parametrize("binding", ["redirect", "post"])
@pytest.mark.parametrize(("case", "reason"), REFUSALS, ids=[c for c, _ in REFUSALS])
def test_a_bad_logout_request_is_refused_and_ends_nothing(
    client, idp, slo_group, alice, tmp_path, binding, case, reason
):
    sign_in(client, idp, slo_group)
    xml, deliver = _refusal_case(case, idp, slo_group, tmp_path)
    sessions_before = set(UserSession.objects.values_list("session_key", flat=True))

    response = _deliver(Client(), idp, slo_group, xml, binding, **deliver)

    assert response.status_code == 403
    assert "nothing was signed out" in response.content.decode()
    failure = SSOLoginFailure.objects.get()
    assert failure.reason == reason
    assert failure.reference in response.content.decode()
    [event] = events("sso_logout_failure")
    assert (event.reason, event.outcome, event.actor) == (reason, "failure", "anonymous")
    assert event.changes["group"] == slo_group.slug
    assert signed_in(client)
    assert set(UserSession.objects.values_list("session_key", flat=True)) == sessions_before
    assert SSOSession.objects.count() == 1
    assert not events("sso_logout_idp")


def test_a_replayed_logout_request_is_refused(client, idp, slo_group, alice):
    xml = logout_request_xml(idp, destination=slo_url(slo_group), name_id="alice@example.com")
    url = redirect_signed(idp, sp_of(slo_group), xml, to=slo_url(slo_group))
    assert Client().get(path_and_query(url)).status_code == 302
    sign_in(client, idp, slo_group)  # signed in again after the first logout

    response = Client().get(path_and_query(url))

    assert response.status_code == 403
    assert SSOLoginFailure.objects.get().reason == "logout_replay"
    assert [e.reason for e in events("sso_logout_failure")] == ["logout_replay"]
    assert signed_in(client)


@pytest.mark.parametrize(
    ("body", "reason", "status"),
    [
        ({}, "logout_missing", 400),
        ({"SAMLRequest": "not base64!"}, "logout_malformed", 400),
        ({"SAMLRequest": b64('<!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>')}, "logout_malformed", 400),
        (
            {"SAMLRequest": b64("<samlp:Response xmlns:samlp='urn:oasis:names:tc:SAML:2.0:protocol'/>")},
            "logout_malformed",
            400,
        ),
    ],
    ids=["empty", "bad-base64", "doctype", "not-a-logout-request"],
)
def test_unreadable_logout_messages_are_refused(client, idp, slo_group, alice, body, reason, status):
    sign_in(client, idp, slo_group)

    response = Client().post(slo_path(slo_group), body)

    assert response.status_code == status
    assert SSOLoginFailure.objects.get().reason == reason
    assert [e.reason for e in events("sso_logout_failure")] == [reason]
    assert signed_in(client)


def test_the_slo_endpoint_of_an_unknown_group_is_a_404(client, slo_group):
    response = client.get(f"/api/v1/users/saml/{slo_group.account_id}/nope/slo")
    assert response.status_code == 404
    assert not SSOLoginFailure.objects.exists()


def test_the_admin_sees_a_refused_logout_with_its_reason_on_the_groups_diagnostics(client, idp, slo_group, admin):
    xml = logout_request_xml(idp, destination=slo_url(slo_group), name_id="alice@example.com")
    response = Client().get(path_and_query(redirect_unsigned(xml, to=slo_url(slo_group))))
    reference = SSOLoginFailure.objects.get().reference
    assert reference in response.content.decode()

    client.force_login(admin)
    page = client.get(f"/account/sso/{slo_group.slug}/failures").content.decode()

    assert reference in page
    assert unescape("The logout message was not signed; Single Logout takes only signed messages.") in unescape(page)


def test_a_sha1_signed_logout_request_is_refused_unless_the_group_allows_sha1(client, idp, slo_group, alice):
    sign_in(client, idp, slo_group)
    xml = logout_request_xml(idp, destination=slo_url(slo_group), name_id="alice@example.com")
    url = redirect_signed(idp, sp_of(slo_group), xml, to=slo_url(slo_group), sigalg=SIG_RSA_SHA1)

    response = Client().get(path_and_query(url))

    assert response.status_code == 403
    assert SSOLoginFailure.objects.get().reason == "logout_deprecated_algorithm"
    assert signed_in(client)


def test_an_idp_logout_ends_the_session_even_when_our_answer_cannot_be_signed(
    client, idp, slo_group, alice, settings, tmp_path
):
    sign_in(client, idp, slo_group)
    settings.SP_KEY_FILE = str(tmp_path / "missing-key.pem")
    xml = logout_request_xml(idp, destination=slo_url(slo_group), name_id="alice@example.com")

    response = _deliver(Client(), idp, slo_group, xml, "redirect")

    assert (response.status_code, response["Location"]) == (302, "/login")
    assert not signed_in(client)
    assert events("sso_logout_idp")[0].changes["sessions_ended"] == 1
    assert [e.reason for e in events("sso_logout_failure")] == ["logout_not_sent"]
