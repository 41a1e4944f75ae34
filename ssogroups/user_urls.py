"""Mounted at /account/users/ next to accounts' own users page (sparksso/urls.py)."""

from django.urls import path

from ssogroups import user_views

urlpatterns = [
    path("<int:user_id>/bind", user_views.user_bind_view, name="account-user-bind"),
    path("<int:user_id>/unbind", user_views.user_unbind_view, name="account-user-unbind"),
]
