"""Account SSO configuration pages (/account/sso/) and the public SP metadata document."""

import logging

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST, require_safe

from accounts.models import User
from accounts.permissions import account_admin_required
from accounts.reauth import auth_is_recent, reauth_redirect, recent_auth_required
from sparksso import clock
from sparksso.forms import form_errors_from_service
from ssogroups import intake, selectors, services, trust
from ssogroups.charts import signin_chart
from ssogroups.dependents import group_dependents
from ssogroups.domains_verify import ssodomain_verify
from ssogroups.event_types import SSOGroupEvent
from ssogroups.expiry import expiry_warnings_for_account, group_expiry_warnings
from ssogroups.fetch import MetadataFetchError
from ssogroups.forms import ADMIN_ROLE_WARNING, ConfirmDeleteForm, SSOGroupForm
from ssogroups.metadata import MetadataError
from ssogroups.models import SSOGroup
from ssogroups.saml.config import authn_requests_signed, saml_settings_for_group
from ssogroups.slugs import slugs_taken
from ssogroups.sp_keys import SPKeyError, sp_certificates_shown, sp_key_settings
from ssogroups.spmetadata import CONTENT_TYPE, sp_metadata_build

FEATURE = "SSO configuration"
logger = logging.getLogger(__name__)
MSG_CREATED = "SSO group “{name}” was created. Now copy the values below into your IdP."
MSG_UPDATED = "SSO group “{name}” was saved."
MSG_REFRESHED = "The metadata was refreshed from {url}."
MSG_REFRESH_FAILED = "Refreshing from the URL failed; the previous values are kept. {reason}"
MSG_ENABLED = "SSO group “{name}” is enabled."
MSG_DISABLED = "SSO group “{name}” is disabled; its users cannot sign in through it. Its settings are kept."
# The disable page: what stops, and that it can be undone.
MSG_DISABLE_USERS = (
    "{count} user{s} bound to this group cannot sign in through it, and their sign-ins through it end now."
)
MSG_DISABLE_ROUTING = (
    "The IdP's app tile and the sign-in page stop sending people through this group; its email domains route no one."
)
MSG_DISABLE_UNDO = "Nothing is deleted: you can enable it again from its page (that needs a recent sign-in)."
UNDO_ENABLE = "undo-enable"  # extra tag of the disabled message: base.html offers "Enable it again" in it
MSG_DELETED = "SSO group “{name}” was deleted."
MSG_READ = "Read the metadata of {entity}: check the values below, then create the group."
MSG_FIX_ERRORS = "Nothing was saved. Please correct the errors below."
MSG_SP_KEY_UNAVAILABLE = "Our SP key cannot be read at the moment; try again later."
MSG_TRUST_PENDING = (
    "This change of what the group trusts (signing certificates, IdP entity ID or endpoints) is not "
    "in effect yet: compare it with your IdP and approve or reject it below."
)
NOTE_TRUST = (
    "Changing the certificate, endpoint, entity ID, metadata or policy asks you to confirm it is you "
    "if you signed in more than a few minutes ago."
)
NOTE_TRUST_ENABLED = (
    "This group is enabled: a new certificate, endpoint, entity ID or metadata waits on the group's page "
    "until an admin approves it."
)
MSG_TRUST_APPROVED = "The change of trust of “{name}” is now in effect."
MSG_TRUST_REJECTED = "The proposed change of trust of “{name}” was discarded; nothing changed."
MSG_SLUG_CHANGED = (
    "The group's ID changed, so its SP URLs changed too: update the Consumer URL and Audience URI in your IdP."
)


def _form_page(request: HttpRequest, form: SSOGroupForm, group, status: int) -> HttpResponse:
    context = {
        "form": form,
        "group": group,
        "slugs_taken": " ".join(slugs_taken(account=request.user.account)),
        "admin_role_warning": ADMIN_ROLE_WARNING,
        "trust_note": NOTE_TRUST,
        "trust_note_enabled": NOTE_TRUST_ENABLED,
    }
    return render(request, "ssogroups/form.html", context, status=status)


def _group_or_404(request: HttpRequest, slug: str) -> SSOGroup:
    """The admin's own group ``slug``: another account's is a 404, exactly like an unknown one."""
    group = selectors.ssogroup_get(account_id=request.user.account_id, slug=slug)
    if group is None:
        raise Http404("No such SSO group.")
    return group


def _actor(request: HttpRequest) -> str:
    return request.user.username


@require_GET
@account_admin_required(FEATURE)
def ssogroup_list_view(request: HttpRequest) -> HttpResponse:
    groups = list(selectors.ssogroup_list(account=request.user.account))
    rows = [(g, selectors.certificate_status(g.cert_not_after)) for g in groups]
    warnings = expiry_warnings_for_account(account=request.user.account, now=clock.now())
    return render(request, "ssogroups/list.html", {"rows": rows, "expiry_warnings": warnings})


@require_http_methods(["GET", "POST"])
@account_admin_required(FEATURE)
def ssogroup_form_view(request: HttpRequest, slug: str | None = None) -> HttpResponse:
    """Create a group (no slug) or edit one. "Read the file" previews the metadata and saves nothing;
    a valid form goes to the service, whose errors come back on the form."""
    account = request.user.account
    group = _group_or_404(request, slug) if slug is not None else None
    form = SSOGroupForm(request.POST or None, request.FILES or None, account=account, group=group)
    if request.method == "POST" and form.preview:
        if form.is_valid() and form.source is not None:
            messages.info(request, MSG_READ.format(entity=form.source.metadata.entity_id))
        return _form_page(request, form, group, 200 if form.is_valid() else 400)
    if request.method != "POST":
        return _form_page(request, form, group, 200)
    if form.is_valid():
        who = {"actor": _actor(request), "request": request, "authority": authority_of(request)}
        try:
            if group is None:
                saved = trust.ssogroup_create_gated(account=account, **who, **form.service_values())
            else:
                saved = trust.ssogroup_change(group=group, **who, **form.service_values())
        except trust.ReauthRequired:
            return reauth_redirect(request)  # nothing written; after confirming, the admin saves again
        except ValidationError as exc:
            form_errors_from_service(form, exc)
        else:
            messages.success(request, (MSG_CREATED if slug is None else MSG_UPDATED).format(name=saved.name))
            if slug is not None and saved.slug != slug:
                messages.warning(request, MSG_SLUG_CHANGED)
            # Its metadata warnings are on the group's page already: flashing them too said them twice.
            _flash_pending(request, saved)
            return redirect("ssogroup-detail", slug=saved.slug)
    messages.error(request, MSG_FIX_ERRORS)
    return _form_page(request, form, group, 400)


def authority_of(request: HttpRequest) -> trust.Authority:
    """A person at the pages: whether their sign-in is recent decides what they may change."""
    return trust.Authority.RECENT if auth_is_recent(request) else trust.Authority.STALE


def _flash_pending(request: HttpRequest, group) -> None:
    if trust.trust_change_get(group=group) is not None:
        messages.warning(request, MSG_TRUST_PENDING)


@require_GET
@account_admin_required(FEATURE)
def ssogroup_detail_view(request: HttpRequest, slug: str) -> HttpResponse:
    group = _group_or_404(request, slug)
    return _detail_page(request, group, status=200)


def _sp_certificates() -> list:
    try:
        return sp_certificates_shown()
    except SPKeyError as exc:  # the operator's SP_KEY_FILE/SP_CERT_FILE cannot be read
        logger.error("SP certificate unavailable: %s", exc.message)
        return []


def _detail_page(request: HttpRequest, group, *, status: int) -> HttpResponse:
    certificates = [
        (c, selectors.certificate_status(c.not_after)) for c in group.certificates.order_by("not_after", "id")
    ]
    change = trust.trust_change_get(group=group)
    pending = [
        (c, selectors.certificate_status(c.not_after)) for c in group.pending_certificates.order_by("not_after", "id")
    ]
    context = {
        "group": group,
        "certificates": certificates,
        "trust_change": change,
        "trust_rows": trust.trust_change_rows(change) if change is not None else [],
        "pending_certificates": pending,
        "domains": group.domains.order_by("domain"),
        # Our own key: whether we sign this group's requests, and the certificates an IdP verifies them with.
        "authn_requests_signed": authn_requests_signed(group),
        "sp_certificates": _sp_certificates(),
        # what enabling still needs, the sign-in chart, the SCIM policy
        "enable_missing": " and ".join(group.enable_missing()),
        "chart": signin_chart(group=group, now=clock.now()),
        "expiry_warnings": group_expiry_warnings(group, now=clock.now()),
        "scim_roles": [label for value, label in User.Role.choices if value in group.scim_roles],
        # The disabled message's undo button (base.html); only where enabling can work.
        "undo_enable_url": ""
        if group.enabled or group.enable_missing()
        else reverse("ssogroup-enable", args=[group.slug]),
    }
    return render(request, "ssogroups/detail.html", context, status=status)


# Refreshing may change what the group trusts: a person needs a recent sign-in first.
@require_POST
@account_admin_required(FEATURE)
@recent_auth_required
def ssogroup_refresh_view(request: HttpRequest, slug: str) -> HttpResponse:
    group = _group_or_404(request, slug)
    try:
        group = intake.ssogroup_refresh(
            group=group, actor=_actor(request), request=request, authority=trust.Authority.RECENT
        )
    except (MetadataError, MetadataFetchError) as exc:
        messages.error(request, MSG_REFRESH_FAILED.format(reason=exc.message))
    except ValidationError as exc:
        messages.error(request, MSG_REFRESH_FAILED.format(reason=" ".join(exc.messages)))
    else:
        messages.success(request, MSG_REFRESHED.format(url=group.idp_metadata_url))
        _flash_pending(request, group)
    return redirect("ssogroup-detail", slug=slug)


# Trusting a new signing key or endpoint is as sensitive as it gets: deciding needs a recent sign-in.
@require_POST
@account_admin_required(FEATURE)
@recent_auth_required
def ssogroup_trust_decide_view(request: HttpRequest, slug: str, approve: bool) -> HttpResponse:
    """Approve or reject the waiting change of trust (``approve`` comes from the URL); the form posts
    the version it showed, and a different proposal waiting now is refused with 409."""
    group = _group_or_404(request, slug)
    decide = trust.trust_change_approve if approve else trust.trust_change_reject
    try:
        decide(group=group, version=request.POST.get("version", ""), actor=_actor(request), request=request)
    except trust.ProposalChanged as exc:
        messages.error(request, exc.message)
        return _detail_page(request, group, status=409)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, (MSG_TRUST_APPROVED if approve else MSG_TRUST_REJECTED).format(name=group.name))
    return redirect("ssogroup-detail", slug=slug)


@require_POST
@account_admin_required(FEATURE)
def ssogroup_set_enabled_view(request: HttpRequest, slug: str, enabled: bool) -> HttpResponse:
    """Enable (needs a recent sign-in) or disable the group (``enabled`` comes from the URL)."""
    group = _group_or_404(request, slug)
    event = SSOGroupEvent.SSO_GROUP_ENABLE if enabled else SSOGroupEvent.SSO_GROUP_DISABLE
    try:
        trust.ssogroup_change(
            group=group,
            authority=authority_of(request),
            actor=_actor(request),
            request=request,
            event=event,
            enabled=enabled,
        )
    except trust.ReauthRequired:
        return reauth_redirect(request)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        if enabled:
            messages.success(request, MSG_ENABLED.format(name=group.name))
        else:
            messages.success(request, MSG_DISABLED.format(name=group.name), extra_tags=UNDO_ENABLE)
    return redirect("ssogroup-detail", slug=slug)


@require_GET
@account_admin_required(FEATURE)
def ssogroup_disable_confirm_view(request: HttpRequest, slug: str) -> HttpResponse:
    """What disabling stops, before the admin posts it (the page's button posts to the same URL)."""
    group = _group_or_404(request, slug)
    if not group.enabled:
        return redirect("ssogroup-detail", slug=slug)
    users = selectors.ssogroup_bound_user_count(group=group)
    context = {
        "group": group,
        "stops": [
            MSG_DISABLE_USERS.format(count=users, s=pluralize(users)),
            MSG_DISABLE_ROUTING,
            *(
                f"{d.count} {d.label}{pluralize(d.count)} {d.disable_note}"
                for d in group_dependents(group=group)
                if d.count and d.disable_note
            ),
        ],
        "undo": MSG_DISABLE_UNDO,
    }
    return render(request, "ssogroups/disable.html", context)


@require_POST
@account_admin_required(FEATURE)
def ssodomain_verify_view(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Check one claimed domain's TXT record now; the outcome is a message on the group's page."""
    group = _group_or_404(request, slug)
    # Scoped to the admin's own group: another account's claim is a 404, exactly like an unknown one.
    claim = get_object_or_404(group.domains.select_related("account", "group"), pk=pk)
    check = ssodomain_verify(claim=claim, actor=_actor(request), request=request)
    (messages.success if check.verified else messages.error)(request, check.message)
    return redirect("ssogroup-detail", slug=slug)


@require_http_methods(["GET", "POST"])
@account_admin_required(FEATURE)
@recent_auth_required
def ssogroup_delete_view(request: HttpRequest, slug: str) -> HttpResponse:
    group = _group_or_404(request, slug)
    form = ConfirmDeleteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        name = group.name
        services.ssogroup_delete(group=group, actor=_actor(request), request=request)
        messages.success(request, MSG_DELETED.format(name=name))
        return redirect("ssogroup-list")
    context = {
        "group": group,
        "form": form,
        "bound_users": selectors.ssogroup_bound_user_count(group=group),
        "dependents": group_dependents(group=group),
    }
    return render(request, "ssogroups/delete.html", context, status=400 if request.method == "POST" else 200)


@require_safe  # GET and HEAD: some IdPs probe the metadata URL with HEAD
def sp_metadata_view(request: HttpRequest, account_id: int, slug: str) -> HttpResponse:
    """Public (IdPs fetch it unauthenticated); unknown account or slug is a 404."""
    group = selectors.ssogroup_get(account_id=account_id, slug=slug)
    if group is None:
        raise Http404("No such SSO group.")
    # The same settings the AuthnRequests and the ACS use (no IdP certificates needed here).
    try:
        keys = sp_key_settings()
    except SPKeyError as exc:  # SECRET_KEY changed without the old one in SECRET_KEY_FALLBACKS
        logger.error("SP metadata unavailable: %s", exc.message)
        response = HttpResponse(MSG_SP_KEY_UNAVAILABLE, status=503, content_type="text/plain; charset=utf-8")
        response["Retry-After"] = "300"
        return response
    body = sp_metadata_build(saml_settings=saml_settings_for_group(group, certificates_pem=[], **keys))
    response = HttpResponse(body, content_type=CONTENT_TYPE)
    response["Content-Disposition"] = f'inline; filename="sparksso-{group.account_id}-{group.slug}-metadata.xml"'
    return response


def ssogroup_disable_view(request: HttpRequest, slug: str) -> HttpResponse:
    """/disable: GET shows what disabling stops; its button POSTs here and disables."""
    if request.method == "POST":
        return ssogroup_set_enabled_view(request, slug=slug, enabled=False)
    return ssogroup_disable_confirm_view(request, slug=slug)
