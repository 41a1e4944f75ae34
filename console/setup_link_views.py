"""The setup link's pages, for its holder (no sparksso account): open, confirm by code, set up one group.

Every page first finds the link active (else 404, like an unknown link) and the browser's cookie for
that link; the cookie is signed with a salt naming the link and lives on the link's own path, so it
opens nothing else. It holds either "opened" (the token was shown) or the confirmed browser's secret.
"""

import secrets
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.signing import BadSignature
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from console.models import SetupLink
from console.setup_link_forms import CodeForm, SetupLinkMetadataForm
from console.setup_links import (
    MSG_NOT_ALLOWED_ENABLE,
    MSG_NOT_ALLOWED_SCIM,
    SESSION_HOURS,
    CodeRefused,
    link_actor,
    setup_link_active,
    setup_link_code_pending,
    setup_link_code_send,
    setup_link_confirm,
    setup_link_open,
    setup_link_recent,
    setup_link_refused,
    setup_link_session_valid,
    setup_link_test_started,
)
from scim.tokens import ScimTokenFormUsed, scim_token_create
from sparksso.forms import form_errors_from_service
from ssogroups import trust
from ssogroups.event_types import SSOGroupEvent
from ssogroups.saml.browser_secret import browser_secret_for, browser_secret_hash
from ssogroups.saml.errors import SamlRejected
from ssogroups.saml.services import sso_login_start, sso_test_failure_record
from ssogroups.saml.sign_in_test import sign_in_test_report_load
from ssogroups.saml.views import to_idp

COOKIE = "sparksso_setup"
OPENED = "opened"
MSG_GONE = "This setup link is not active. Ask the person who sent it for a new one."
MSG_CODE_SENT = "We sent a code to {email}. It works for 10 minutes."
MSG_CONFIRM_AGAIN = "For your security, confirm it is you again before this change: send a new code."
MSG_SAVED = "Saved. Now run a test sign-in."
MSG_PENDING = (
    "This group is enabled, so the new certificate, endpoint or entity ID waits for the account admin's "
    "approval. The group keeps its current values until then."
)
MSG_FIX = "Nothing was saved. Please correct the errors below."
MSG_ENABLED = "The group is enabled. Run a test sign-in."
MSG_ENABLE_FIRST = "Enable the group first: a test sign-in goes through the group's live ACS."
MSG_REPORT_GONE = "That test report has expired (reports are kept for ten minutes). Run the test again."
MSG_TOKEN_BELOW = "Your new SCIM token is under “SCIM provisioning” below: copy it now, it is shown only once."
MSG_TOKEN_USED = "This form already generated its SCIM token; no other token was made. Reload the page for a new form."


def _gone(request: HttpRequest) -> HttpResponse:
    return render(request, "console/setup_link_gone.html", {"message": MSG_GONE}, status=404)


def _salt(link: SetupLink) -> str:
    return f"sparksso.setup-link:{link.public_id}"


def _path(link: SetupLink) -> str:
    return f"/setup/{link.public_id}/"


def _cookie_get(request: HttpRequest, link: SetupLink) -> str | None:
    try:
        return request.get_signed_cookie(COOKIE, salt=_salt(link), max_age=SESSION_HOURS * 3600)
    except (KeyError, BadSignature):
        return None


def _cookie_set(response: HttpResponse, link: SetupLink, value: str) -> HttpResponse:
    response.set_signed_cookie(
        COOKIE,
        value,
        salt=_salt(link),
        max_age=SESSION_HOURS * 3600,
        path=_path(link),
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )
    return response


def link_page(*, confirmed: bool = True) -> Callable:
    """The view gets the active link; a page of a revoked, expired or unknown link, or one opened without
    the link's cookie, is a 404. ``confirmed``: the browser must be the one that entered the code."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        @never_cache
        def wrapped(request: HttpRequest, public_id: str, *args, **kwargs) -> HttpResponse:
            link = setup_link_active(public_id=public_id)
            state = _cookie_get(request, link) if link is not None else None
            if link is None or state is None:
                return _gone(request)
            if confirmed and not setup_link_session_valid(link=link, secret=state.removeprefix("s:")):
                return HttpResponseRedirect(reverse("setup-link-confirm", args=[link.public_id]))
            return view(request, link, *args, **kwargs)

        return wrapped

    return decorator


@never_cache
@require_GET
def open_view(request: HttpRequest) -> HttpResponse:
    """The link in the email: check the token, then continue on a URL without it (like Django's
    password reset), so it never sits in the history or a Referer. Security-critical: the token is in
    the query string, which the request log and nginx's access log leave out (only paths are logged)."""
    opened = setup_link_open(token=request.GET.get("token", ""), request=request)
    if opened.link is None:
        return _gone(request)
    response = HttpResponseRedirect(reverse("setup-link-confirm", args=[opened.link.public_id]))
    return _cookie_set(response, opened.link, OPENED)


def _confirm_page(request, link, form, *, status=200, sent=False, error=""):
    context = {"link": link, "form": form, "sent": sent, "error": error, "again": request.GET.get("again") == "1"}
    return render(request, "console/setup_link_confirm.html", context, status=status)


@require_http_methods(["GET", "POST"])
@link_page(confirmed=False)
def confirm_view(request: HttpRequest, link: SetupLink) -> HttpResponse:
    """Send a one-time code to the link's address, then take it."""
    if request.method == "GET":  # a code still valid keeps its field (a reload, or back from the mailbox)
        return _confirm_page(request, link, CodeForm(), sent=setup_link_code_pending(link=link))
    if request.POST.get("action") == "send":
        try:
            setup_link_code_send(link=link, request=request)
        except CodeRefused as refused:
            return _confirm_page(request, link, CodeForm(), status=refused.status, error=refused.message)
        return _confirm_page(request, link, CodeForm(), sent=True)
    form = CodeForm(request.POST)
    if not form.is_valid():
        return _confirm_page(request, link, form, status=400, sent=True)
    try:
        secret = setup_link_confirm(link=link, code=form.cleaned_data["code"], request=request)
    except CodeRefused as refused:
        return _confirm_page(request, link, CodeForm(), status=refused.status, sent=True, error=refused.message)
    return _cookie_set(HttpResponseRedirect(_path(link)), link, "s:" + secret)


def _group_page(request, link, *, form=None, status=200, notice="", error="", plaintext="") -> HttpResponse:
    group = link.group
    group.refresh_from_db()
    context = {
        "link": link,
        "group": group,
        "form": form or SetupLinkMetadataForm(group=group),
        "notice": notice,
        "error": error,
        "plaintext": plaintext,
        "pending": trust.trust_change_get(group=group) is not None,
        "enable_missing": " and ".join(group.enable_missing()),
        "certificates": group.certificates.order_by("not_after", "id"),
        "form_id": _form_id(),
        "scim_base_url": f"{settings.BASE_URL}/api/v1/users/scim/v2/",
    }
    return render(request, "console/setup_link_group.html", context, status=status)


def _form_id() -> str:
    """The token form's one-time id (scim.tokens: a reload or double click mints nothing more)."""
    return secrets.token_urlsafe(24)


def _confirm_again(link: SetupLink) -> HttpResponse:
    return HttpResponseRedirect(reverse("setup-link-confirm", args=[link.public_id]) + "?again=1")


@require_GET
@link_page()
def group_view(request: HttpRequest, link: SetupLink) -> HttpResponse:
    return _group_page(request, link)


@require_POST
@link_page()
def metadata_view(request: HttpRequest, link: SetupLink) -> HttpResponse:
    """The IdP values, through the admin form's intake and the trust gate, with the link as the actor."""
    form = SetupLinkMetadataForm(request.POST, request.FILES, group=link.group)
    if not form.is_valid():
        return _group_page(request, link, form=form, status=400, error=MSG_FIX)
    if form.preview:
        return _group_page(request, link, form=form)
    if not setup_link_recent(link=link):
        return _confirm_again(link)
    try:
        group = trust.ssogroup_change(
            group=link.group,
            authority=trust.Authority.RECENT,
            actor=link_actor(link),
            request=request,
            **form.idp_values(),
        )
    except ValidationError as exc:
        form_errors_from_service(form, exc)
        return _group_page(request, link, form=form, status=400, error=MSG_FIX)
    pending = trust.trust_change_get(group=group) is not None
    return _group_page(request, link, notice=MSG_PENDING if pending else MSG_SAVED)


@require_POST
@link_page()
def enable_view(request: HttpRequest, link: SetupLink) -> HttpResponse:
    if not link.allow_enable:
        setup_link_refused(link=link, what="enable", request=request)
        return _group_page(request, link, status=403, error=MSG_NOT_ALLOWED_ENABLE)
    if not setup_link_recent(link=link):
        return _confirm_again(link)
    try:
        trust.ssogroup_change(
            group=link.group,
            authority=trust.Authority.RECENT,
            actor=link_actor(link),
            request=request,
            event=SSOGroupEvent.SSO_GROUP_ENABLE,
            enabled=True,
        )
    except ValidationError as exc:
        return _group_page(request, link, status=400, error=" ".join(exc.messages))
    return _group_page(request, link, notice=MSG_ENABLED)


@require_POST
@link_page()
def test_start_view(request: HttpRequest, link: SetupLink) -> HttpResponse:
    """A test sign-in whose report comes back to the link's own page (the pending request's next_path)."""
    group = link.group
    if not group.enabled:
        return _group_page(request, link, status=400, error=MSG_ENABLE_FIRST)
    secret = browser_secret_for(request)
    setup_link_test_started(link=link, request=request)
    report_path = reverse("setup-link-test-report", args=[link.public_id, "x"])[:-1]
    try:
        start = sso_login_start(
            group=group, next_path=report_path, browser_hash=browser_secret_hash(secret), is_test=True
        )
    except SamlRejected as rejected:
        key = sso_test_failure_record(group=group, rejected=rejected, request=request)
        return HttpResponseRedirect(report_path + key)
    return to_idp(request, group, start, secret=secret)


@require_GET
@link_page()
def test_report_view(request: HttpRequest, link: SetupLink, key: str) -> HttpResponse:
    group = link.group
    # Only a report of this link's group: another group's key is None (sign_in_test_report_load).
    report = sign_in_test_report_load(key=key, account_id=group.account_id, slug=group.slug)
    if report is None:
        return _group_page(request, link, status=404, error=MSG_REPORT_GONE)
    return render(request, "console/setup_link_report.html", {"link": link, "group": group, "report": report})


@require_POST
@link_page()
def scim_token_view(request: HttpRequest, link: SetupLink) -> HttpResponse:
    """A SCIM token for the link's group, shown once, when the admin allowed it."""
    if not link.allow_scim_tokens:
        setup_link_refused(link=link, what="scim token", request=request)
        return _group_page(request, link, status=403, error=MSG_NOT_ALLOWED_SCIM)
    if not setup_link_recent(link=link):
        return _confirm_again(link)
    form_id = request.POST.get("form_id", "")[:64]
    try:
        _token, plaintext = scim_token_create(
            account=link.account,
            sso_group=link.group,
            label=f"setup link {link.public_id}",
            created_by=None,
            actor=link_actor(link),
            request=request,
            form_id=form_id if len(form_id) >= 16 else "",
        )
    except ScimTokenFormUsed:
        return _group_page(request, link, status=409, error=MSG_TOKEN_USED)
    except ValidationError as exc:
        return _group_page(request, link, status=400, error=" ".join(exc.messages))
    return _group_page(request, link, plaintext=plaintext, notice=MSG_TOKEN_BELOW)
