from django.urls import path

from accounts import views

urlpatterns = [
    path("", views.dashboard_view, name="dashboard"),
    path("login", views.login_view, name="login"),
    path("logout", views.logout_view, name="logout"),
    path("api/v1/session", views.session_view, name="session"),
]
