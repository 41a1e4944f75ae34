"""Account settings → Single Sign-On: generate (shown once), list and revoke SCIM tokens."""

import secrets

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.permissions import MSG_PLAN, account_admin_required
from accounts.reauth import recent_auth_required
from scim.models import ScimToken
from scim.representation import base_url
from scim.tokens import ScimTokenFormUsed, scim_token_create, scim_token_revoke
from ssogroups.models import SSOGroup

SSO_FEATURE = "Single Sign-On and SCIM provisioning"
MSG_NO_GROUP = "Generating a SCIM token needs an enabled SSO group. Create or enable one under SSO first."
MSG_REVOKED = (
    "Token {prefix}… revoked. Requests using it are refused from now on; a revoked token cannot come back: "
    "to provision again, generate a new one and paste it into your IdP."
)
# The confirmation page: what stops working, and that it is final.
MSG_REVOKE_STOPS = (
    "Your IdP's provisioning with this token stops at once: every SCIM request carrying it is refused (401), "
    "so new users, changes and deactivations in “{group}” no longer reach sparksso through it."
)
MSG_REVOKE_LAST = (
    "It is the only active token of “{group}”: provisioning for that group stops entirely until your IdP "
    "has a new token."
)
MSG_REVOKE_OTHERS = "{count} other active token{s} of “{group}” keep{verb} working."
MSG_REVOKE_FINAL = "A revoked token cannot come back. To provision again later, generate a new token."
MSG_REVOKE_UNCONFIRMED = "Nothing was revoked: confirm on this page first."
MSG_FORM_USED = (
    "This form already generated its SCIM token, so no other token was made. The token is shown only once "
    "and cannot be shown again: if you did not copy it, revoke it below and generate a new one."
)
MSG_FORM_STALE = "This form has expired. Generate the token again from the form below."


class ScimTokenForm(forms.Form):
    sso_group = forms.ModelChoiceField(
        queryset=SSOGroup.objects.none(),
        label="SSO group",
        empty_label=None,
        help_text="Users this token provisions sign in through this group.",
    )
    label = forms.CharField(max_length=100, required=False, help_text="e.g. “JumpCloud production”")
    # One-time id of this form: the token it mints is stored with its digest, so a reload, a
    # resubmission or a double click mints nothing more. Not a secret (the CSRF token guards the POST).
    form_id = forms.CharField(widget=forms.HiddenInput, min_length=16, max_length=64)

    def __init__(self, *args, account, **kwargs):
        super().__init__(*args, **kwargs)
        # Crucial: only this account's enabled groups can be chosen.
        self.fields["sso_group"].queryset = SSOGroup.objects.filter(account=account, enabled=True).order_by("name")


def _fresh_form(account) -> ScimTokenForm:
    return ScimTokenForm(account=account, initial={"form_id": secrets.token_urlsafe(24)})


def _page(request: HttpRequest, form: ScimTokenForm, *, plaintext: str | None = None, status: int = 200):
    account = request.user.account
    tokens = ScimToken.objects.filter(account=account).select_related("sso_group", "created_by")
    context = {
        "form": form,
        "has_groups": form.fields["sso_group"].queryset.exists(),
        "tokens": tokens.order_by("-created_at", "-pk"),
        "plaintext": plaintext,
        "scim_base_url": base_url(),
        "msg_no_group": MSG_NO_GROUP,
        "msg_plan": MSG_PLAN.format(feature_cap=SSO_FEATURE, plan=account.get_plan_display()),
    }
    return render(request, "scim/settings.html", context, status=status)


@never_cache
@require_GET
@account_admin_required("account settings", needs_sso_plan=False)
def settings_view(request: HttpRequest) -> HttpResponse:
    return _page(request, _fresh_form(request.user.account))


@never_cache
@require_POST
@account_admin_required("SCIM tokens")
@recent_auth_required
def scim_token_generate_view(request: HttpRequest) -> HttpResponse:
    account = request.user.account
    form = ScimTokenForm(request.POST, account=account)
    if not form.fields["sso_group"].queryset.exists():
        form.add_error(None, MSG_NO_GROUP)
        return _page(request, form, status=400)
    if not form.is_valid():
        if "form_id" in form.errors:
            messages.error(request, MSG_FORM_STALE)
            return _page(request, _fresh_form(account), status=400)
        return _page(request, form, status=400)
    try:
        _token, plaintext = scim_token_create(
            account=account,
            sso_group=form.cleaned_data["sso_group"],
            label=form.cleaned_data["label"],
            created_by=request.user,
            actor=request.user.username,
            request=request,
            form_id=form.cleaned_data["form_id"],
        )
    except ScimTokenFormUsed:
        messages.warning(request, MSG_FORM_USED)
        return _page(request, _fresh_form(account), status=409)
    except ValidationError as exc:
        form.add_error(None, exc)
        return _page(request, form, status=400)
    # The plaintext exists only in this one no-store response: it is never stored anywhere (not
    # even briefly in the session), so a reload or the back button cannot show it again.
    return _page(request, _fresh_form(account), plaintext=plaintext, status=201)


def _revoke_confirm_page(request: HttpRequest, token: ScimToken, *, status: int = 200) -> HttpResponse:
    group = token.sso_group
    others = (
        ScimToken.objects.filter(account=token.account, sso_group=group, revoked_at__isnull=True)
        .exclude(pk=token.pk)
        .count()
    )
    consequence = (
        MSG_REVOKE_OTHERS.format(count=others, s=pluralize(others), verb="" if others != 1 else "s", group=group.name)
        if others
        else MSG_REVOKE_LAST.format(group=group.name)
    )
    context = {
        "token": token,
        "stops": MSG_REVOKE_STOPS.format(group=group.name),
        "consequence": consequence,
        "final": MSG_REVOKE_FINAL,
    }
    return render(request, "scim/revoke_confirm.html", context, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
@account_admin_required("SCIM tokens")
@recent_auth_required
def scim_token_revoke_view(request: HttpRequest, token_id: int) -> HttpResponse:
    """GET: what revoking stops, and that it is final; POST from that page (``confirm``): revoke.
    Revoking is never one click: a POST without the confirmation revokes nothing."""
    # Crucial: another account's token id is a 404.
    token = (
        ScimToken.objects.filter(pk=token_id, account=request.user.account)
        .select_related("account", "sso_group")
        .first()
    )
    if token is None:
        raise Http404("No such token")
    if not token.is_active:
        return redirect("settings")
    if request.method != "POST":
        return _revoke_confirm_page(request, token)
    if request.POST.get("confirm") != "revoke":
        messages.error(request, MSG_REVOKE_UNCONFIRMED)
        return _revoke_confirm_page(request, token, status=400)
    scim_token_revoke(token=token, actor=request.user.username, request=request)
    messages.success(request, MSG_REVOKED.format(prefix=token.prefix))
    return redirect("settings")
