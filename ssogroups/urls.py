"""Account SSO configuration (/account/sso/): list, create, group page and its actions."""

from django.urls import include, path

from ssogroups import views

# One group's page and what can be done to it, under /account/sso/<slug>/.
group_urlpatterns = [
    path("", views.ssogroup_detail_view, name="ssogroup-detail"),
    path("edit", views.ssogroup_form_view, name="ssogroup-edit"),
    path("refresh", views.ssogroup_refresh_view, name="ssogroup-refresh"),
    path("trust-change/approve", views.ssogroup_trust_decide_view, {"approve": True}, name="ssogroup-trust-approve"),
    path("trust-change/reject", views.ssogroup_trust_decide_view, {"approve": False}, name="ssogroup-trust-reject"),
    path("enable", views.ssogroup_set_enabled_view, {"enabled": True}, name="ssogroup-enable"),
    path("disable", views.ssogroup_disable_view, name="ssogroup-disable"),
    path("domains/<int:pk>/verify", views.ssodomain_verify_view, name="ssodomain-verify"),
    path("delete", views.ssogroup_delete_view, name="ssogroup-delete"),
]

urlpatterns = [
    path("", views.ssogroup_list_view, name="ssogroup-list"),
    path("new", views.ssogroup_form_view, name="ssogroup-create"),
    path("<slug:slug>/", include(group_urlpatterns)),
]
