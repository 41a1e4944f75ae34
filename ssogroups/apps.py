from django.apps import AppConfig
from django.db.models.signals import post_migrate


class SsogroupsConfig(AppConfig):
    name = "ssogroups"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Adjust python3-saml once per process, visibly here rather than as an import side effect:
        # a cached compiled XSD schema and "now" read from sparksso.clock (ssogroups/saml/library.py).
        from ssogroups.saml.library import library_adjust

        library_adjust()
        # /login (accounts) asks the registered routers where an identifier signs in.
        from accounts.login_routing import login_account_router_register, login_router_register
        from ssogroups.domains_verify import account_for_identifier
        from ssogroups.saml.routing import sso_login_redirect

        login_router_register(sso_login_redirect)
        login_account_router_register(account_for_identifier)
        # Re-auth and the break-glass event (accounts) ask through hooks too.
        from accounts.idp_hooks import idp_in_use_register, reauth_router_register
        from ssogroups.saml.reauth_route import sso_in_use, sso_reauth_route

        reauth_router_register(sso_reauth_route)
        idp_in_use_register(sso_in_use)
        # The per-group user counts' triggers survive SQLite's table rebuilds (ssogroups/user_counts.py).
        from ssogroups.user_counts import user_counts_after_migrate

        post_migrate.connect(user_counts_after_migrate, sender=self, dispatch_uid="ssogroups_user_counts")
