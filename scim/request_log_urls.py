"""The SCIM request log's pages, mounted at /account/ (sparksso/urls.py)."""

from django.urls import path

from scim import request_log_views

urlpatterns = [
    path("sso/<slug:slug>/scim-requests/", request_log_views.scim_requests_view, name="scim_requests"),
    path("sso/<slug:slug>/scim-requests/<str:request_id>", request_log_views.scim_request_view, name="scim_request"),
    path("scim-requests/<str:request_id>", request_log_views.scim_request_by_id_view, name="scim_request_by_id"),
]
