from django.apps import AppConfig


class SsogroupsConfig(AppConfig):
    name = "ssogroups"
    default_auto_field = "django.db.models.BigAutoField"
