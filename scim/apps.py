from django.apps import AppConfig


class ScimConfig(AppConfig):
    """SCIM 2.0 provisioning: tokens that act for one SSO group, and the API they call."""

    name = "scim"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # An SSO group's delete page and event count its tokens (they go with it) through a hook.
        from scim.errors import outage_error_response
        from scim.models import ScimToken
        from scim.representation import BASE_PATH
        from scim.request_log import request_log_prune
        from sparksso.outages import OutageAnswer, outage_answer_register
        from ssogroups.dependents import Dependent, group_dependent_register
        from ssogroups.retention import retention_register

        # A database or cache outage under the SCIM base URL answers a SCIM error body (503).
        outage_answer_register(OutageAnswer(prefix=BASE_PATH, respond=outage_error_response))

        group_dependent_register(
            Dependent(
                key="scim_tokens",
                label="SCIM token",
                note="provisioning into this group will be deleted too.",
                disable_note="provisioning into this group are refused (401) until it is enabled again.",
                count=lambda group: ScimToken.objects.filter(sso_group=group).count(),
            )
        )
        # `manage.py prune` deletes the request log's old rows through the same hook style.
        retention_register("scim_request_log", request_log_prune)
