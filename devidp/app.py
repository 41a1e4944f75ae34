"""The dev IdP as a plain WSGI application: routing, forms and cookies, nothing else.

GET  /                  tile page ("Applications"), or the IdP's own sign-in form
POST /                  sign in to the IdP (for the tile page)         POST /logout   sign out of it
GET  /metadata          IdP metadata; /metadata/download offers it as JumpCloud names its export
GET|POST /sso           an AuthnRequest (HTTP-Redirect or HTTP-POST): the sign-in page
POST /sso/answer        the person chose: a signed response, auto-POSTed to the SP's ACS
POST /launch            a tile was clicked: an IdP-initiated response
"""

import base64
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from http.cookies import CookieError, SimpleCookie
from pathlib import Path
from urllib.parse import parse_qs

from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT

from devidp import encrypt, logout, logout_routes, pages, request_verify, saml, spfetch
from devidp.keys import keypair_ensure
from devidp.state import Pending, Store, sp_label

MAX_FORM_BYTES = 512 * 1024
MAX_RELAY_STATE = 1024
COOKIE = "devidp_session"
DOWNLOAD_NAME = "JumpCloud-devidp-metadata.xml"

MSG_EMAIL = "Enter an email address, e.g. alice@example.com."
MSG_NAME = "First and last name can be at most 150 characters."
MSG_NO_REQUEST = "No SAMLRequest in this request. Start signing in from the SP (e.g. sparksso's /login)."
MSG_PENDING_GONE = "This sign-in request has expired or was already answered. Start again from the SP."
MSG_ACS_NOT_LISTED = "The AuthnRequest asks for the ACS {acs}, which the SP's metadata does not list: refused."
MSG_ACS_INDEX = "The AuthnRequest asks for ACS index {index}, which the SP's metadata does not list: refused."
MSG_TOO_LARGE = f"The form is larger than {MAX_FORM_BYTES // 1024} KiB."
MSG_SIGNING = "The response could not be signed: {detail} (is the xmlsec1 program installed?)"
MSG_OPTION = "Unknown signing or response option."
MSG_UNKNOWN_SP = "That application is not one this IdP has seen. Start a sign-in from it first."
MSG_RELAY_STATE = f"The RelayState is longer than {MAX_RELAY_STATE} characters."


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    form: dict[str, str]
    cookies: dict[str, str]
    too_large: bool = False
    raw_query: str = ""  # as sent: a query signature covers the URL's own encoding

    @classmethod
    def from_environ(cls, environ: dict) -> "Request":
        method = environ.get("REQUEST_METHOD", "GET").upper()
        query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        form: dict[str, str] = {}
        too_large = False
        if method == "POST":
            try:
                length = int(environ.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            too_large = length > MAX_FORM_BYTES
            if 0 < length <= MAX_FORM_BYTES:
                body = environ["wsgi.input"].read(length)
                form = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
        cookies: dict[str, str] = {}
        try:
            cookies = {k: m.value for k, m in SimpleCookie(environ.get("HTTP_COOKIE", "")).items()}
        except CookieError:
            pass  # a cookie we cannot read is a cookie we do not have
        path = environ.get("PATH_INFO", "/") or "/"
        return cls(
            method=method,
            path=path,
            query=query,
            form=form,
            cookies=cookies,
            too_large=too_large,
            raw_query=environ.get("QUERY_STRING", ""),
        )


@dataclass
class Response:
    body: str | bytes
    status: str = "200 OK"
    content_type: str = "text/html; charset=utf-8"
    headers: tuple[tuple[str, str], ...] = ()


def _redirect(location: str, *headers: tuple[str, str]) -> Response:
    return Response("", "303 See Other", headers=(("Location", location), *headers))


def _error(title: str, message: str, status: str = "400 Bad Request") -> Response:
    return Response(pages.error_page(title=title, message=message), status)


class DevIdP:
    """One IdP: its key pair (kept under ``state_dir``), its store, and where it is reachable."""

    def __init__(
        self,
        *,
        base_url: str,
        state_dir: Path,
        sp_learn: Callable[[str], spfetch.SPInfo] = spfetch.sp_learn,
        sp_certificate: Callable[[str], str] = encrypt.sp_encryption_certificate,
        slo: bool = False,
        require_signed_requests: bool = False,
        sp_signing_certificates: Callable[[str], tuple[str, ...]] = request_verify.sp_signing_certificates,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.keys = keypair_ensure(state_dir=state_dir)
        self.rogue_keys = keypair_ensure(state_dir=state_dir, name="rogue", common_name="not the dev IdP")
        self.store = Store(state_dir)
        self.sp_learn = sp_learn
        self.sp_certificate = sp_certificate  # the SP's encryption certificate, for "Encrypt the assertion"
        # Single Logout (devidp/logout.py): off unless asked for (IDP_SLO=1), so signing out of the app
        # leaves the IdP session alone, as with an IdP that offers no SLO.
        self.slo = slo
        self.slo_participants = logout.Participants()
        self.slo_fetch = spfetch.fetch_bytes
        # WantAuthnRequestsSigned (devidp/request_verify.py, IDP_REQUIRE_SIGNED_REQUESTS=1): off unless asked for.
        self.require_signed_requests = require_signed_requests
        self.sp_signing_certificates = sp_signing_certificates

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        request = Request.from_environ(environ)
        response = self.dispatch(request)
        body = response.body.encode() if isinstance(response.body, str) else response.body
        headers = [
            ("Content-Type", response.content_type),
            ("Content-Length", str(len(body))),
            ("Cache-Control", "no-store"),
            ("X-Frame-Options", "DENY"),
            *response.headers,
        ]
        start_response(response.status, headers)
        return [body]

    def dispatch(self, request: Request) -> Response:
        routes: dict[tuple[str, str], Callable[[Request], Response]] = {
            ("GET", "/"): self.console,
            ("POST", "/"): self.console_signin,
            ("POST", "/logout"): self.console_signout,
            ("GET", "/metadata"): self.metadata,
            ("GET", "/metadata/download"): self.metadata,
            ("GET", "/sso"): self.sso,
            ("POST", "/sso"): self.sso,
            ("POST", "/sso/answer"): self.answer,
            ("POST", "/launch"): self.launch,
        }
        if self.slo:
            routes |= {
                ("GET", "/slo"): self.slo_route,
                ("POST", "/slo"): self.slo_route,
                ("POST", "/slo/start"): self.slo_route,
            }
        if request.too_large:
            return _error("Request too large", MSG_TOO_LARGE, "413 Content Too Large")
        handler = routes.get((request.method, request.path))
        if handler is not None:
            return handler(request)
        if any(path == request.path for _, path in routes):
            return _error("Method not allowed", f"{request.method} is not allowed here.", "405 Method Not Allowed")
        return _error("Not found", "There is no page here. Try the Applications page.", "404 Not Found")

    # --- metadata --------------------------------------------------------------------------

    def metadata(self, request: Request) -> Response:
        xml = saml.idp_metadata_xml(base_url=self.base_url, keys=self.keys)
        if self.slo:
            xml = logout.metadata_with_slo(xml, base_url=self.base_url)
        if self.require_signed_requests:
            xml = request_verify.metadata_wanting_signed(xml)
        disposition = "attachment" if request.path.endswith("/download") else "inline"
        return Response(
            xml,
            content_type="application/samlmetadata+xml",
            headers=(("Content-Disposition", f'{disposition}; filename="{DOWNLOAD_NAME}"'),),
        )

    # --- who signs in ----------------------------------------------------------------------

    def _person(self, form: dict[str, str]) -> saml.Person:
        """The person from the form, or a recent user chosen with one click; ValueError with a message."""
        recent = form.get("recent", "").strip().lower()
        if recent:
            for person in self.store.users():
                if person.email.lower() == recent:
                    return person
        email = form.get("email", "").strip()
        local, _, domain = email.rpartition("@")
        if not local or "." not in domain or len(email) > 254 or any(c.isspace() or c in "<>\"'" for c in email):
            raise ValueError(MSG_EMAIL)
        first, last = form.get("first_name", "").strip(), form.get("last_name", "").strip()
        if len(first) > 150 or len(last) > 150:
            raise ValueError(MSG_NAME)
        return saml.Person(email=email, first_name=first, last_name=last)

    def _signin_page(
        self, *, action: str, heading: str, intro: str, hidden: dict, options: bool, error: str = ""
    ) -> Response:
        html = pages.signin_page(
            action=action,
            heading=heading,
            intro=intro,
            users=self.store.users(),
            hidden=hidden,
            options=options,
            error=error,
        )
        return Response(html, "400 Bad Request" if error else "200 OK")

    def _session_cookie(self, person: saml.Person) -> tuple[str, str]:
        key = self.store.session_start(person)
        # SameSite=Lax: another site cannot make the browser click a tile for the signed-in person.
        return ("Set-Cookie", f"{COOKIE}={key}; Path=/; HttpOnly; SameSite=Lax")

    # --- the tile page ---------------------------------------------------------------------

    def console(self, request: Request) -> Response:
        person = self.store.session_get(request.cookies.get(COOKIE, ""))
        if person is None:
            return self._console_signin_page()
        html = pages.console_page(person=person, sps=self.store.sps())
        if self.slo:  # beside "Sign out of the dev IdP"
            html = html.replace("</section>", logout.sign_out_everywhere_form() + "</section>", 1)
        return Response(html)

    def slo_route(self, request: Request) -> Response:
        answer = logout_routes.dispatch(self, request, cookie=COOKIE)
        return Response(answer.body, answer.status, headers=answer.headers)

    def _console_signin_page(self, error: str = "") -> Response:
        intro = "Sign in to see your applications. Any email will do: this IdP has no passwords."
        return self._signin_page(
            action="/", heading="Sign in to the dev IdP", intro=intro, hidden={}, options=False, error=error
        )

    def console_signin(self, request: Request) -> Response:
        try:
            person = self._person(request.form)
        except ValueError as exc:
            return self._console_signin_page(str(exc))
        self.store.user_used(person)
        return _redirect("/", self._session_cookie(person))

    def console_signout(self, request: Request) -> Response:
        self.store.session_end(request.cookies.get(COOKIE, ""))
        return _redirect("/", ("Set-Cookie", f"{COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax"))

    def launch(self, request: Request) -> Response:
        """A tile click: an unsolicited response (no InResponseTo) to the SP's default ACS."""
        person = self.store.session_get(request.cookies.get(COOKIE, ""))
        if person is None:
            return _redirect("/")
        entity_id = request.form.get("sp", "")
        if not self.store.sp_known(entity_id):
            return _error("Unknown application", MSG_UNKNOWN_SP)
        try:
            sp = self.sp_learn(entity_id)
        except spfetch.SPError as exc:
            return _error("The application could not be reached", str(exc), "502 Bad Gateway")
        return self._respond(
            request.form, person=person, sp=sp.entity_id, acs=sp.default_acs, request_id=None, relay=""
        )

    # --- SP-initiated ----------------------------------------------------------------------

    def sso(self, request: Request) -> Response:
        """Read the AuthnRequest, learn the SP from its Issuer, and ask who signs in."""
        params = request.query if request.method == "GET" else request.form
        binding = BINDING_HTTP_REDIRECT if request.method == "GET" else BINDING_HTTP_POST
        if not params.get("SAMLRequest"):
            return _error("No sign-in request", MSG_NO_REQUEST)
        relay_state = params.get("RelayState", "")
        if len(relay_state) > MAX_RELAY_STATE:
            return _error("Bad sign-in request", MSG_RELAY_STATE)
        try:
            authn = saml.authn_request_decode(params["SAMLRequest"], binding=binding)
        except saml.RequestError as exc:
            return _error("Bad sign-in request", str(exc))
        try:
            sp = self.sp_learn(authn.issuer)
        except spfetch.SPError as exc:
            return _error("Unknown service provider", str(exc))
        if self.require_signed_requests and (refused := self._signature_refusal(request, binding, sp.entity_id)):
            return refused
        # Only an ACS the SP's own metadata lists: a request cannot send the assertion elsewhere.
        if authn.acs_url is not None and authn.acs_url not in sp.acs_urls:
            return _error("Bad sign-in request", MSG_ACS_NOT_LISTED.format(acs=authn.acs_url))
        if authn.acs_url is None and authn.acs_index is not None and authn.acs_index not in sp.acs_by_index:
            return _error("Bad sign-in request", MSG_ACS_INDEX.format(index=authn.acs_index))
        acs = authn.acs_url or sp.acs_by_index.get(authn.acs_index or "", sp.default_acs)
        self.store.sp_seen(sp.entity_id)
        key = self.store.pending_add(
            Pending(
                sp_entity_id=sp.entity_id,
                acs_url=acs,
                request_id=authn.id,
                relay_state=relay_state,
                created=time.time(),
            )
        )
        return self._sso_page(key, sp.entity_id, acs)

    def _signature_refusal(self, request: Request, binding: str, entity_id: str) -> Response | None:
        """An error page unless the request is signed with a certificate of the SP's metadata."""
        params = request.query if request.method == "GET" else request.form
        try:
            certificates = self.sp_signing_certificates(entity_id)
            request_verify.request_verify(
                params, binding=binding, certificates=certificates, url=entity_id, raw_query=request.raw_query
            )
        except spfetch.SPError as exc:
            return _error("Unknown service provider", str(exc))
        except request_verify.RequestSignatureError as exc:
            return _error("Sign-in request refused", str(exc), "403 Forbidden")
        return None

    def _sso_page(self, key: str, entity_id: str, acs: str, error: str = "") -> Response:
        intro = (
            f"<strong>{pages.escape(sp_label(entity_id))}</strong> asks you to sign in. "
            f'The response will be posted to <span class="mono">{pages.escape(acs)}</span>.'
        )
        if self.require_signed_requests:  # no unsigned request gets this far
            intro += f" {request_verify.MSG_VERIFIED}"
        return self._signin_page(
            action="/sso/answer", heading="Sign in", intro=intro, hidden={"pending": key}, options=True, error=error
        )

    def answer(self, request: Request) -> Response:
        pending = self.store.pending_take(request.form.get("pending", ""))
        if pending is None:
            return _error("Sign-in request expired", MSG_PENDING_GONE)
        try:
            person = self._person(request.form)
        except ValueError as exc:
            key = self.store.pending_add(pending)  # let the person correct the form
            return self._sso_page(key, pending.sp_entity_id, pending.acs_url, str(exc))
        response = self._respond(
            request.form,
            person=person,
            sp=pending.sp_entity_id,
            acs=pending.acs_url,
            request_id=pending.request_id,
            relay=pending.relay_state,
        )
        if response.status.startswith("200"):
            response.headers = (*response.headers, self._session_cookie(person))
        return response

    def _respond(
        self, form: dict, *, person: saml.Person, sp: str, acs: str, request_id: str | None, relay: str
    ) -> Response:
        sign, breakage = form.get("sign", "assertion"), form.get("breakage", "")
        if sign not in saml.SIGN_CHOICES or breakage not in saml.BREAK_CHOICES:
            return _error("Bad options", MSG_OPTION)
        try:
            encrypt_to = self.sp_certificate(sp) if form.get("encrypt") == "on" else ""
        except spfetch.SPError as exc:
            return _error("Cannot encrypt", str(exc), "502 Bad Gateway")
        try:
            xml = saml.response_build(
                base_url=self.base_url,
                keys=self.keys,
                rogue_keys=self.rogue_keys,
                sp_entity_id=sp,
                acs_url=acs,
                person=person,
                in_response_to=request_id,
                sign=sign,
                breakage=breakage,
                encrypt_to=encrypt_to,
            )
        except saml.SigningError as exc:
            return _error("Signing failed", MSG_SIGNING.format(detail=exc), "500 Internal Server Error")
        self.store.user_used(person)
        self.store.sp_seen(sp)
        if self.slo:
            self.slo_participants.note(email=person.email, response_xml=xml, sp_entity_id=sp)
        encoded = base64.b64encode(xml.encode()).decode()
        return Response(pages.autopost_page(acs_url=acs, saml_response=encoded, relay_state=relay))
