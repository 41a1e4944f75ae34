"""Account SSO configuration (/account/sso/): list, create, group page and its actions."""

from django.urls import path

from ssogroups import views

urlpatterns = [
    path("", views.ssogroup_list_view, name="ssogroup-list"),
    path("new", views.ssogroup_create_view, name="ssogroup-create"),
    path("<slug:slug>/", views.ssogroup_detail_view, name="ssogroup-detail"),
    path("<slug:slug>/edit", views.ssogroup_edit_view, name="ssogroup-edit"),
    path("<slug:slug>/refresh", views.ssogroup_refresh_view, name="ssogroup-refresh"),
    path("<slug:slug>/enable", views.ssogroup_enable_view, name="ssogroup-enable"),
    path("<slug:slug>/disable", views.ssogroup_disable_view, name="ssogroup-disable"),
    path("<slug:slug>/domains/<int:pk>/verify", views.ssodomain_verify_view, name="ssodomain-verify"),
    path("<slug:slug>/delete", views.ssogroup_delete_view, name="ssogroup-delete"),
]
