"""Sign-in diagnostics pages under /account/sso/ (owned by the SAML sign-in feature)."""

urlpatterns: list = []
