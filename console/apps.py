from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    """The account admin's pages that show every layer at once: the dashboard and its setup
    checklist, the users page, the event log. It may import every layer; nothing imports it."""

    name = "console"
    default_auto_field = "django.db.models.BigAutoField"
