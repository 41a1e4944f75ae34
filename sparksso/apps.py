from django.apps import AppConfig


class SparkssoConfig(AppConfig):
    """The project's own base layer as an app, so its one table (failure counters) has migrations."""

    name = "sparksso"
    default_auto_field = "django.db.models.BigAutoField"
