from django.urls import path

from accounts import reauth, views

urlpatterns = [
    path("login", views.login_view, name="login"),
    path("logout", views.logout_view, name="logout"),
    path("account/reauth", reauth.reauth_view, name="reauth"),
]
