from django.apps import AppConfig


class ScimConfig(AppConfig):
    """SCIM 2.0 provisioning: tokens that act for one SSO group, and the API they call."""

    name = "scim"
    default_auto_field = "django.db.models.BigAutoField"
