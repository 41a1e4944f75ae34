"""The admin's setup link pages: create one (a recent sign-in, like any change of trust), see each
link's activity, revoke it at once."""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from accounts.permissions import account_admin_required
from accounts.reauth import recent_auth_required
from console.setup_link_forms import NEW_GROUP, SetupLinkCreateForm
from console.setup_links import (
    link_status,
    setup_link_activity,
    setup_link_create,
    setup_link_get,
    setup_link_revoke,
    setup_links_for_account,
)
from sparksso.forms import form_errors_from_service
from ssogroups import selectors, trust
from ssogroups.slugs import slug_choose

FEATURE = "setup links"
ACTIVITY_ROWS = 200
MSG_FIX = "No link was created. Please correct the errors below."
MSG_GROUP_GONE = "That SSO group no longer exists. Choose another one."
MSG_REVOKED = "The setup link for {email} is revoked: every page of it is gone."


def _groups(request: HttpRequest) -> list[tuple[str, str]]:
    return [(g.slug, g.name) for g in selectors.ssogroup_list(account=request.user.account)]


def _list_page(request: HttpRequest, form: SetupLinkCreateForm, *, status: int = 200, **extra) -> HttpResponse:
    links = [(link, link_status(link)) for link in setup_links_for_account(account=request.user.account)[:100]]
    return render(request, "console/setup_links.html", {"form": form, "links": links, **extra}, status=status)


@require_GET
@account_admin_required(FEATURE)
def setup_links_view(request: HttpRequest) -> HttpResponse:
    return _list_page(request, SetupLinkCreateForm(groups=_groups(request)))


@never_cache
@require_POST
@account_admin_required(FEATURE)
@recent_auth_required  # a link hands out the power to change what a group trusts
def setup_link_create_view(request: HttpRequest) -> HttpResponse:
    account, admin = request.user.account, request.user
    form = SetupLinkCreateForm(request.POST, groups=_groups(request))
    if not form.is_valid():
        messages.error(request, MSG_FIX)
        return _list_page(request, form, status=400)
    data = form.cleaned_data
    try:
        with transaction.atomic():
            if data["group"] == NEW_GROUP:
                name = data["new_group_name"].strip()
                group = trust.ssogroup_create_gated(
                    account=account,
                    authority=trust.Authority.RECENT,
                    actor=admin.username,
                    request=request,
                    name=name,
                    slug=slug_choose(account=account, given="", name=name),
                )
            else:
                group = selectors.ssogroup_get(account_id=account.pk, slug=data["group"])
                if group is None:  # deleted since the form was shown
                    raise ValidationError({"group": MSG_GROUP_GONE})
            link, plaintext = setup_link_create(
                account=account,
                group=group,
                email=data["email"],
                created_by=admin,
                days=data["days"],
                allow_enable=data["allow_enable"],
                allow_scim_tokens=data["allow_scim_tokens"],
                request=request,
            )
    except ValidationError as exc:
        form_errors_from_service(form, exc)
        messages.error(request, MSG_FIX)
        return _list_page(request, form, status=400)
    url = settings.BASE_URL + reverse("setup-link-open") + "?" + urlencode({"token": plaintext})
    context = {"link": link, "url": url, "status": link_status(link)}
    return render(request, "console/setup_link_created.html", context, status=201)


def _link_or_404(request: HttpRequest, public_id: str):
    link = setup_link_get(account=request.user.account, public_id=public_id)
    if link is None:
        raise Http404("No such setup link.")  # another account's link is a 404 like an unknown one
    return link


@require_GET
@account_admin_required(FEATURE)
def setup_link_detail_view(request: HttpRequest, public_id: str) -> HttpResponse:
    link = _link_or_404(request, public_id)
    events = list(setup_link_activity(link=link)[:ACTIVITY_ROWS])
    context = {"link": link, "status": link_status(link), "events": events}
    return render(request, "console/setup_link_detail.html", context)


@require_POST
@account_admin_required(FEATURE)
def setup_link_revoke_view(request: HttpRequest, public_id: str) -> HttpResponse:
    """No recent sign-in needed: revoking only takes power away, and must be possible at once."""
    link = _link_or_404(request, public_id)
    setup_link_revoke(link=link, actor=request.user.username, request=request)
    messages.success(request, MSG_REVOKED.format(email=link.email))
    return redirect("setup-link-detail", public_id=link.public_id)
