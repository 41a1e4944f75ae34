"""Account settings pages under /account/settings/ (Single Sign-On: SCIM tokens)."""

urlpatterns: list = []
