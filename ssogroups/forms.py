"""The SSO group form: metadata (file, pasted or URL) plus manual fields that override it."""

import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from accounts.models import User
from ssogroups.constants import BINDING_REDIRECT
from ssogroups.fetch import MetadataFetchError
from ssogroups.intake import MetadataSource, idp_values_from_metadata, metadata_load
from ssogroups.metadata import MAX_METADATA_BYTES, MetadataError, certificates_parse
from ssogroups.models import SSOGroup

MSG_ONE_SOURCE = "Give the metadata one way only: a file, pasted XML or a URL."
MSG_FILE_TOO_LARGE = "The metadata file is larger than 1 MiB; IdP metadata is normally a few kilobytes."
MSG_CHOOSE_ENTITY = " Enter the one to use in “IdP Entity ID” and submit again."

MANUAL_FIELDS = ("idp_entity_id", "sso_url", "certificates")
SOURCE_FIELDS = ("metadata_file", "metadata_xml", "metadata_url")


class SSOGroupForm(forms.Form):
    name = forms.CharField(label="Name", max_length=200)
    slug = forms.CharField(
        label="ID",
        max_length=64,
        help_text="Your identifier for this group, used in its URLs: lowercase letters, digits, - and _.",
        widget=forms.TextInput(attrs={"pattern": "[a-z0-9][a-z0-9_-]*", "autocapitalize": "none"}),
    )
    metadata_file = forms.FileField(
        label="IdP metadata file",
        required=False,
        help_text="The metadata XML your IdP exports, e.g. JumpCloud-<app>-metadata.xml.",
        widget=forms.ClearableFileInput(attrs={"accept": ".xml,application/xml,text/xml"}),
    )
    metadata_xml = forms.CharField(
        label="…or paste the IdP metadata XML",
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false"}),
    )
    metadata_url = forms.CharField(
        label="…or the IdP metadata URL",
        required=False,
        max_length=2048,
        help_text="Fetched now, and again whenever you choose “Refresh from URL”.",
        widget=forms.URLInput(),
    )
    idp_entity_id = forms.CharField(
        label="IdP Entity ID",
        required=False,
        max_length=1024,
        help_text="Filled in from the metadata; change it only to override.",
    )
    sso_url = forms.CharField(
        label="SAML 2.0 Endpoint",
        required=False,
        max_length=2048,
        help_text="The IdP's single sign-on URL. Filled in from the metadata; change it only to override.",
        widget=forms.URLInput(),
    )
    certificates = forms.CharField(
        label="SAML 2.0 Certificate",
        required=False,
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false"}),
        help_text="PEM or bare base64. Several during a rollover: one PEM block each, or separate with a blank line.",
    )
    allow_idp_initiated = forms.BooleanField(
        label="Allow IdP-initiated sign-in (from the IdP's app tile)", required=False, initial=True
    )
    jit_provisioning = forms.BooleanField(
        label="Create users on first sign-in (JIT provisioning)", required=False, initial=False
    )
    default_role = forms.ChoiceField(
        label="Default role for new users", choices=User.Role.choices, initial=User.Role.REPORTING
    )
    domains = forms.CharField(
        label="Claimed email domains",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=(
            "One per line. Once you verify a domain (a DNS TXT record, shown on the group's page), users typing "
            "an address at it on the sign-in page go to this IdP. Removing a domain drops its verification."
        ),
    )
    signature_requirement = forms.ChoiceField(
        label="Signature requirement",
        choices=SSOGroup.SignatureRequirement.choices,
        initial=SSOGroup.SignatureRequirement.EITHER,
    )
    allow_sha1 = forms.BooleanField(label="Accept SHA-1 signatures (deprecated; avoid)", required=False)
    enabled = forms.BooleanField(
        label="Enabled",
        required=False,
        help_text="A group can be enabled once it has an endpoint and a valid certificate.",
    )

    def __init__(self, *args: Any, group: SSOGroup | None = None, **kwargs: Any) -> None:
        self.group = group
        if group is not None:
            kwargs.setdefault("initial", ssogroup_initial(group))
        super().__init__(*args, **kwargs)
        self.source: MetadataSource | None = None

    def _metadata_input(self) -> tuple[str, bytes | str | None, str] | None:
        """(field, xml, url) of the one metadata source given, or None."""
        given = []
        upload = self.cleaned_data.get("metadata_file")
        if upload:
            if upload.size > MAX_METADATA_BYTES:
                self.add_error("metadata_file", MSG_FILE_TOO_LARGE)
                return None
            given.append(("metadata_file", upload.read(MAX_METADATA_BYTES + 1), ""))
        if self.cleaned_data.get("metadata_xml", "").strip():
            given.append(("metadata_xml", self.cleaned_data["metadata_xml"], ""))
        # An unchanged URL on the edit form is not a new source (it is refreshed with its own button).
        if self.cleaned_data.get("metadata_url", "").strip() and "metadata_url" in self.changed_data:
            given.append(("metadata_url", None, self.cleaned_data["metadata_url"].strip()))
        if len(given) > 1:
            raise ValidationError(MSG_ONE_SOURCE)
        return given[0] if given else None

    def _load(self, field: str, xml: bytes | str | None, url: str) -> None:
        wanted = (self.cleaned_data.get("idp_entity_id") or "").strip() or None
        try:
            try:
                self.source = metadata_load(xml=xml, url=url)
            except MetadataError as exc:
                if not exc.choices or wanted not in exc.choices:
                    raise
                self.source = metadata_load(xml=xml, url=url, entity_id=wanted)
        except MetadataError as exc:
            self.add_error(field, exc.message + (MSG_CHOOSE_ENTITY if exc.choices else ""))
        except MetadataFetchError as exc:
            self.add_error(field, exc.message)

    def _manual_changed(self, name: str) -> bool:
        """Did the admin change this field? Whitespace does not count (browsers send CRLF, PEMs end in LF)."""
        if name not in self.changed_data:
            return False
        initial = self.get_initial_for_field(self.fields[name], name) or ""
        return "".join(str(initial).split()) != "".join(str(self.cleaned_data.get(name, "")).split())

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        given = self._metadata_input()
        if given is not None:
            self._load(*given)
        if self._manual_changed("certificates") and cleaned.get("certificates", "").strip():
            try:
                cleaned["parsed_certificates"] = certificates_parse(cleaned["certificates"])
            except MetadataError as exc:
                self.add_error("certificates", exc.message)
        return cleaned

    def service_values(self) -> dict[str, Any]:
        """Keyword arguments for ssogroup_create/ssogroup_update: metadata first, then manual overrides."""
        data = self.cleaned_data
        values: dict[str, Any] = {
            "name": data["name"],
            "slug": data["slug"],
            "enabled": data["enabled"],
            "domains": re.split(r"[\s,;]+", data.get("domains", "")),
            **{f: data[f] for f in ("allow_idp_initiated", "jit_provisioning", "default_role")},
            **{f: data[f] for f in ("signature_requirement", "allow_sha1")},
        }
        if self.source is not None:
            metadata = self.source.metadata
            values.update(idp_values_from_metadata(metadata))
            values["certificates"] = list(metadata.certificates)
            values["metadata_xml"] = self.source.xml
            values["idp_metadata_url"] = self.source.url
            values["metadata_warnings"] = list(metadata.warnings)
        elif self.group is None:
            values["certificates"] = []
        changed = {name for name in MANUAL_FIELDS + ("metadata_url",) if self._manual_changed(name)}
        if self.source is None and "metadata_url" in changed and not data["metadata_url"].strip():
            values["idp_metadata_url"] = ""  # the admin removed the URL: the group is no longer refreshed
        if "idp_entity_id" in changed:
            values["idp_entity_id"] = data["idp_entity_id"].strip()
        if "sso_url" in changed:
            url = data["sso_url"].strip()
            values["sso_url"] = url
            values["sso_binding"] = BINDING_REDIRECT
            values["sso_endpoints"] = [{"binding": BINDING_REDIRECT, "location": url}] if url else []
        if "certificates" in changed:
            values["certificates"] = data.get("parsed_certificates", [])
        return values


def ssogroup_initial(group: SSOGroup) -> dict[str, Any]:
    return {
        "name": group.name,
        "slug": group.slug,
        "metadata_url": group.idp_metadata_url,
        "idp_entity_id": group.idp_entity_id,
        "sso_url": group.sso_url,
        "certificates": "".join(c.pem for c in group.certificates.order_by("created_at", "id")),
        "allow_idp_initiated": group.allow_idp_initiated,
        "jit_provisioning": group.jit_provisioning,
        "default_role": group.default_role,
        "domains": "\n".join(group.domains.order_by("domain").values_list("domain", flat=True)),
        "signature_requirement": group.signature_requirement,
        "allow_sha1": group.allow_sha1,
        "enabled": group.enabled,
    }


class ConfirmDeleteForm(forms.Form):
    confirm = forms.BooleanField(label="Yes, delete this SSO group", required=True)
