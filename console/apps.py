from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    """The account admin's pages that show every layer at once: the dashboard and its setup
    checklist, the users page, the event log. It may import every layer; nothing imports it."""

    name = "console"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # `manage.py prune` (ssogroups) deletes links long ended through a hook: it cannot import us.
        from console.setup_links import setup_link_prune
        from ssogroups.retention import retention_register

        retention_register("setup_links", setup_link_prune)
