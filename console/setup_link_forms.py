"""The setup link's forms: the admin's (who it is for, which group, what it may do) and the holder's
(only the IdP fields of the admin's own group form, so one intake reads both)."""

from typing import Any

from django import forms

from console.setup_links import DEFAULT_DAYS, MAX_DAYS
from ssogroups.forms import SSOGroupForm

NEW_GROUP = ""
MSG_NEW_GROUP_NAME = "Name the new SSO group, or choose an existing one."


class SetupLinkCreateForm(forms.Form):
    group = forms.ChoiceField(label="SSO group", required=False)
    new_group_name = forms.CharField(
        label="Name of the new SSO group", max_length=200, required=False, help_text="When you create a new group."
    )
    email = forms.EmailField(
        label="Email of the person it is for",
        max_length=254,
        help_text="The link works only for whoever can read this mailbox: it sends a one-time code there.",
    )
    days = forms.IntegerField(label="Expires after (days)", min_value=1, max_value=MAX_DAYS, initial=DEFAULT_DAYS)
    allow_enable = forms.BooleanField(
        label="Allow enabling the group",
        required=False,
        help_text="Off: the group stays disabled until you enable it.",
    )
    allow_scim_tokens = forms.BooleanField(label="Allow generating SCIM tokens for the group", required=False)

    def __init__(self, *args: Any, groups: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["group"].choices = [(NEW_GROUP, "A new SSO group"), *groups]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if cleaned.get("group", NEW_GROUP) == NEW_GROUP and not (cleaned.get("new_group_name") or "").strip():
            self.add_error("new_group_name", MSG_NEW_GROUP_NAME)
        return cleaned


class SetupLinkMetadataForm(SSOGroupForm):
    """The admin's group form cut down to the IdP's values: the holder cannot touch the group's name,
    ID, policy or state (a posted ``enabled`` or ``scim_roles`` is not a field here, so it is ignored)."""

    IDP_FIELDS = (
        "metadata_file",
        "metadata_xml",
        "metadata_url",
        "certificates",
        "certificate_file",
        "sso_url",
        "idp_entity_id",
    )
    FIELDSETS = (
        ("If not parsed by the metadata, enter", ("certificates", "certificate_file", "sso_url", "idp_entity_id")),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in list(self.fields):
            if name not in self.IDP_FIELDS:
                del self.fields[name]
        self.fields["metadata_url"].help_text = "Fetched now. The account admin can refresh from it later."

    def _slug(self, cleaned: dict[str, Any]) -> str:
        return self.group.slug


class CodeForm(forms.Form):
    code = forms.CharField(label="Code from the email", max_length=12, strip=True)
