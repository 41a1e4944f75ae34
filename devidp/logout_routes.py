"""The dev IdP's Single Logout routes (``/slo``, ``/slo/start``), on when ``DevIdP(slo=True)``:
they read, check and answer with devidp/logout.py."""

from dataclasses import dataclass

from lxml import etree
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT

from devidp import pages, spfetch
from devidp.logout import (
    MSG_NO_SESSIONS,
    MSG_NOT_SIGNED_IN,
    MSG_SP,
    MSG_UNKNOWN_RESPONSE,
    NS,
    LogoutError,
    SPLogout,
    destination_check,
    issuer_of,
    logout_request_xml,
    logout_response_xml,
    message_read,
    send,
    signature_check,
    signed_out_page,
    sp_logout_learn,
)
from devidp.saml import _server as idp_server  # the IdP's pysaml2 server, as sign-in builds it


@dataclass(frozen=True)
class Answer:
    status: str
    body: str
    headers: tuple[tuple[str, str], ...] = ()


def _error(title: str, message: str, status: str = "400 Bad Request") -> Answer:
    return Answer(status, pages.error_page(title=title, message=message))


def _go(kind: str, out: str, *headers: tuple[str, str]) -> Answer:
    if kind == "redirect":
        return Answer("303 See Other", "", (("Location", out), *headers))
    return Answer("200 OK", out, headers)


def dispatch(app, request, *, cookie: str) -> Answer:
    """``app`` is the DevIdP (base_url, keys, store, slo_participants, slo_fetch); ``cookie`` its session cookie."""
    clear = ("Set-Cookie", f"{cookie}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax")
    try:
        if request.path == "/slo/start":
            return _start(app, request, cookie=cookie, clear=clear)
        return _receive(app, request, cookie=cookie, clear=clear)
    except LogoutError as exc:
        return _error("Logout refused", str(exc))
    except spfetch.SPError as exc:
        return _error("The application could not be reached", MSG_SP.format(detail=exc), "502 Bad Gateway")


def _server(app, sp: SPLogout):
    return idp_server(base_url=app.base_url, keys=app.keys, entity_id=sp.entity_id, acs_url=sp.default_acs)


def _receive(app, request, *, cookie: str, clear: tuple[str, str]) -> Answer:
    params = request.query if request.method == "GET" else request.form
    binding = BINDING_HTTP_REDIRECT if request.method == "GET" else BINDING_HTTP_POST
    incoming = message_read(params, binding=binding)
    sp = sp_logout_learn(issuer_of(incoming), fetch=app.slo_fetch)
    server = _server(app, sp)
    signature_check(incoming, sp=sp, server=server)
    destination_check(incoming, base_url=app.base_url)
    if incoming.field == "SAMLResponse":  # the SP's answer to a logout we started
        if app.slo_participants.answered(incoming.tree.get("InResponseTo") or "") != sp.entity_id:
            raise LogoutError(MSG_UNKNOWN_RESPONSE)
        return Answer("200 OK", signed_out_page(sp_entity_id=sp.entity_id), (clear,))
    # The SP's LogoutRequest: sign the person out here too, and say so to the SP.
    name_id = (incoming.tree.findtext("saml:NameID", namespaces=NS) or "").strip()
    app.store.session_end(request.cookies.get(cookie, ""))
    app.store.session_end_person(name_id)
    app.slo_participants.forget(email=name_id, sp_entity_id=sp.entity_id)
    xml = logout_response_xml(idp_entity_id=f"{app.base_url}/metadata", sp=sp, in_response_to=incoming.tree.get("ID"))
    kind, out = send(xml, sp=sp, server=server, keys=app.keys, relay_state=params.get("RelayState", ""))
    return _go(kind, out, clear)


def _start(app, request, *, cookie: str, clear: tuple[str, str]) -> Answer:
    person = app.store.session_get(request.cookies.get(cookie, ""))
    if person is None:
        raise LogoutError(MSG_NOT_SIGNED_IN)
    participations = app.slo_participants.of(person.email)
    if not participations:
        raise LogoutError(MSG_NO_SESSIONS)
    participation = participations[-1]  # the most recent application
    sp = sp_logout_learn(participation.sp_entity_id, fetch=app.slo_fetch)
    server = _server(app, sp)
    xml = logout_request_xml(idp_entity_id=f"{app.base_url}/metadata", sp=sp, participation=participation)
    kind, out = send(xml, sp=sp, server=server, keys=app.keys)
    app.slo_participants.started(etree.fromstring(xml.encode()).get("ID"), sp.entity_id)
    app.store.session_end(request.cookies.get(cookie, ""))
    app.slo_participants.forget(email=person.email, sp_entity_id=sp.entity_id)
    return _go(kind, out, clear)
