"""The SSO group form, in the words of JumpCloud's SparkPost article: metadata (uploaded, pasted or a
URL) plus manual fields that win over it. Name is the one required field besides the IdP values."""

import base64
import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from accounts.models import User
from ssogroups.intake import (
    IDENTIFY_BY_ATTRIBUTE,
    IDENTIFY_BY_NAME_ID,
    IDENTITY_ATTRIBUTE_SUGGESTIONS,
    MetadataInput,
    MetadataReadError,
    MetadataSource,
    identity_attribute_value,
    metadata_input_pick,
    metadata_read,
    ssogroup_values,
)
from ssogroups.metadata import MAX_METADATA_BYTES, MetadataError, certificates_parse
from ssogroups.models import SSOGroup
from ssogroups.slugs import slug_choose

MSG_FILE_TOO_LARGE = "The metadata file is larger than 1 MiB; IdP metadata is normally a few kilobytes."
MSG_CERT_FILE_TOO_LARGE = "The certificate file is larger than 64 KiB; a certificate is normally about 2 KiB."
MSG_CERT_TWICE = "Paste the certificate or upload its file, not both."
MSG_FILE_KEPT = "(from the file {name}; it is kept here, no need to choose it again)"
MAX_CERT_BYTES = 64 * 1024

MANUAL_FIELDS = ("idp_entity_id", "sso_url", "certificates")
SOURCE_FIELDS = ("metadata_file", "metadata_xml", "metadata_url")
ADMIN_ROLE_WARNING = "Tokens of this group could then make anyone an account admin."


def _file_field(label: str, help_text: str, *, accept: str) -> forms.FileField:
    """An optional upload whose file picker offers ``accept`` (metadata and certificates are files)."""
    widget = forms.ClearableFileInput(attrs={"accept": accept})
    return forms.FileField(label=label, required=False, help_text=help_text, widget=widget)


def _url_field(label: str, help_text: str) -> forms.CharField:
    """An optional URL the admin types; the service holds it to the model's http(s) rule (a CharField:
    Django's URL form field would refuse the single-label hosts IdP metadata may carry)."""
    return forms.CharField(label=label, required=False, max_length=2048, help_text=help_text, widget=forms.URLInput())


class SSOGroupForm(forms.Form):
    metadata_file = _file_field(
        "Parse SAML 2.0 XML Config",
        "The metadata file your IdP exports (JumpCloud: “Export Metadata”). It fills in the fields below.",
        accept=".xml,application/xml,text/xml",
    )
    metadata_xml = forms.CharField(
        label="…or paste the SAML 2.0 XML Config",
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 5, "spellcheck": "false"}),
    )
    metadata_url = _url_field("…or its URL", "Fetched now, and again whenever you choose “Refresh from URL”.")
    name = forms.CharField(label="Name", max_length=200)
    slug = forms.CharField(
        label="ID",
        max_length=64,
        required=False,
        help_text="Made from the name; part of this group's URLs. Lowercase letters, digits, - and _.",
        widget=forms.TextInput(attrs={"autocapitalize": "none", "spellcheck": "false"}),
    )
    certificates = forms.CharField(
        label="SAML 2.0 Certificate",
        required=False,
        widget=forms.Textarea(attrs={"rows": 5, "spellcheck": "false"}),
        help_text="PEM or bare base64 (JumpCloud: “Download certificate” gives certificate.pem). "
        "Several during a rollover: one PEM block each. Wins over the metadata's certificate.",
    )
    certificate_file = _file_field(
        "…or upload the certificate file", "certificate.pem, .crt or .cer", accept=".pem,.crt,.cer,.cert"
    )
    sso_url = _url_field("SAML 2.0 Endpoint", "The IdP's single sign-on URL (JumpCloud: “IDP URL”).")
    idp_entity_id = forms.CharField(
        label="IdP Entity ID (optional)",
        required=False,
        max_length=1024,
        help_text="Leave it empty to trust the Issuer of the first response signed with the certificate above.",
    )
    identify_by = forms.ChoiceField(
        label="Identify users by",
        choices=[
            (IDENTIFY_BY_NAME_ID, "NameID (the user's email address, as JumpCloud sends it)"),
            (IDENTIFY_BY_ATTRIBUTE, "An attribute (when the IdP sends a transient or persistent NameID)"),
        ],
        required=False,  # not sent: unchanged
        initial=IDENTIFY_BY_NAME_ID,
        widget=forms.RadioSelect,
    )
    identity_attribute = forms.CharField(
        label="Attribute name",
        required=False,
        max_length=255,
        help_text="The attribute whose value is the user's email address or username, exactly as the IdP names it.",
        widget=forms.TextInput(
            attrs={"list": "identity-attribute-names", "autocapitalize": "none", "spellcheck": "false"}
        ),
    )
    IDENTITY_ATTRIBUTE_SUGGESTIONS = IDENTITY_ATTRIBUTE_SUGGESTIONS
    allow_idp_initiated = forms.BooleanField(
        label="Allow IdP-initiated sign-in (from the IdP's app tile)", required=False, initial=True
    )
    jit_provisioning = forms.BooleanField(
        label="Create users on first sign-in (JIT provisioning)", required=False, initial=False
    )
    default_role = forms.ChoiceField(
        label="Default role for new users", choices=User.Role.choices, initial=User.Role.REPORTING
    )
    scim_roles = forms.MultipleChoiceField(
        label="Roles SCIM tokens of this group may assign",
        choices=User.Role.choices,
        required=False,
        initial=["reporting", "templates", "developer"],
        widget=forms.CheckboxSelectMultiple,
        help_text="A SCIM request asking for any other role is refused.",
    )
    adopt_existing_users = forms.BooleanField(
        label="Adopt existing users whose email is in a verified domain of this group",
        required=False,
        help_text="Never adopts admins or users with a usable password.",
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
    sign_authn_requests = forms.BooleanField(
        label="Sign sign-in requests",
        required=False,
        help_text=(
            "Signs every AuthnRequest with sparksso's certificate (shown on the group's page and in the SP "
            "metadata). Always on when the IdP's metadata asks for signed requests."
        ),
    )
    require_encrypted_assertions = forms.BooleanField(
        label="Require encrypted assertions",
        required=False,
        help_text="Refuse assertions the IdP sends unencrypted. Give the IdP the encryption certificate from "
        "this group's SP metadata first.",
    )
    enabled = forms.BooleanField(
        label="Enabled",
        required=False,
        help_text="Needs a SAML 2.0 Endpoint and a valid SAML 2.0 Certificate.",
    )

    # The page's plain fieldsets, in order: a legend and the fields it shows (the others have their own markup).
    FIELDSETS = (
        ("If not parsed by the metadata, enter", ("certificates", "certificate_file", "sso_url", "idp_entity_id")),
        (
            "Policy",
            (
                "allow_idp_initiated",
                "jit_provisioning",
                "default_role",
                "domains",
                "adopt_existing_users",
                "signature_requirement",
                "allow_sha1",
                "sign_authn_requests",
                "require_encrypted_assertions",
            ),
        ),
    )

    def __init__(self, *args: Any, account=None, group: SSOGroup | None = None, **kwargs: Any) -> None:
        self.group = group
        self.account = account if account is not None else (group.account if group else None)
        if group is not None:
            kwargs.setdefault("initial", ssogroup_initial(group))
        super().__init__(*args, **kwargs)
        if self.is_bound:
            self.data = self.data.copy()  # re-shown values (a file's contents) are written back into it
        # "Read the file" only previews what the metadata holds: nothing else is needed yet.
        self.preview = self.is_bound and self.data.get("action") == "read"
        if self.preview:
            self.fields["name"].required = False
        self.source: MetadataSource | None = None
        self.from_file = ""

    def fieldsets(self) -> list[tuple[str, list[forms.BoundField]]]:
        return [(legend, [self[name] for name in names]) for legend, names in self.FIELDSETS]

    # --- reading the inputs ----------------------------------------------------------------

    def _file_text(self, upload, limit: int, message: str, field: str) -> bytes | None:
        if upload.size > limit:
            self.add_error(field, message)
            return None
        return upload.read(limit + 1)

    def _metadata_input(self) -> MetadataInput | None:
        """The one metadata source given (intake decides which), or None."""
        upload, uploaded = self.cleaned_data.get("metadata_file"), None
        if upload:
            uploaded = self._file_text(upload, MAX_METADATA_BYTES, MSG_FILE_TOO_LARGE, "metadata_file")
            if uploaded is None:
                return None
            self.from_file = upload.name
        return metadata_input_pick(
            uploaded=uploaded,
            pasted=self.cleaned_data.get("metadata_xml", ""),
            url=self.cleaned_data.get("metadata_url", ""),
            url_is_new="metadata_url" in self.changed_data,
        )

    def _certificate_text(self) -> str:
        """The certificate the admin gave: pasted (when changed) or uploaded (.pem text or DER bytes)."""
        pasted = self.cleaned_data.get("certificates", "") if self._manual_changed("certificates") else ""
        upload = self.cleaned_data.get("certificate_file")
        if not upload:
            return pasted
        if pasted.strip():
            self.add_error("certificate_file", MSG_CERT_TWICE)
            return ""
        data = self._file_text(upload, MAX_CERT_BYTES, MSG_CERT_FILE_TOO_LARGE, "certificate_file") or b""
        try:
            text = data.decode("ascii")
        except UnicodeDecodeError:
            text = base64.b64encode(data).decode()  # a binary DER .crt/.cer
        self.data["certificates"] = text  # shown in the field, so a re-pick is never needed
        return text

    def _load(self, given: MetadataInput, *, certificates_required: bool) -> None:
        wanted = (self.cleaned_data.get("idp_entity_id") or "").strip() or None
        try:
            self.source = metadata_read(given, entity_id=wanted, certificates_required=certificates_required)
        except MetadataReadError as exc:
            if exc.readable is not None:
                self._show_what_was_read(exc.readable)
            self.add_error(given.field, exc.message)

    def _manual_changed(self, name: str) -> bool:
        """Did the admin change this field? Whitespace does not count (browsers send CRLF, PEMs end in LF)."""
        if name not in self.changed_data:
            return False
        initial = self.get_initial_for_field(self.fields[name], name) or ""
        return "".join(str(initial).split()) != "".join(str(self.cleaned_data.get(name, "")).split())

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        cert_text = self._certificate_text()
        if cert_text.strip():
            try:
                cleaned["parsed_certificates"] = certificates_parse(cert_text)
            except MetadataError as exc:
                self.add_error("certificate_file" if cleaned.get("certificate_file") else "certificates", exc.message)
        given = self._metadata_input()
        if given is not None:
            # A valid certificate given by hand wins: the metadata's may then be a placeholder.
            self._load(given, certificates_required="parsed_certificates" not in cleaned)
            if isinstance(given.xml, bytes) and given.field == "metadata_file":
                self._keep_file(given.xml)
        if self.source is not None:
            self._show_what_was_read(self.source)
        try:
            cleaned["identity_attribute"] = identity_attribute_value(
                identify_by=cleaned.get("identify_by") or "", attribute=cleaned.get("identity_attribute") or ""
            )
        except ValidationError as exc:
            self.add_error("identity_attribute", exc)
        if not self.preview and not self.errors:
            cleaned["slug"] = self._slug(cleaned)
        return cleaned

    def _keep_file(self, data: bytes) -> None:
        """Move the chosen file's contents into the paste field, so an error never drops them."""
        text = self.source.xml if self.source is not None else data.decode("utf-8", errors="replace")
        self.data["metadata_xml"] = text
        if "metadata_file" in self.errors:
            errors = self.errors.pop("metadata_file")
            self.add_error("metadata_xml", [f"{e} {MSG_FILE_KEPT.format(name=self.from_file)}" for e in errors])

    def _show_what_was_read(self, source: MetadataSource) -> None:
        """Fill the manual fields the admin left empty with the metadata's values."""
        metadata = source.metadata
        read = {"idp_entity_id": metadata.entity_id, "sso_url": metadata.sso_endpoint.location}
        if metadata.certificates:
            read["certificates"] = "".join(c.pem for c in metadata.certificates)
        for name, value in read.items():
            if not (self.data.get(name) or "").strip():
                self.data[name] = value

    def _slug(self, cleaned: dict[str, Any]) -> str:
        current = self.group.slug if self.group is not None else ""
        return slug_choose(
            account=self.account, given=cleaned.get("slug") or "", name=cleaned.get("name", ""), current=current
        )

    # --- what the service gets -----------------------------------------------------------

    def _override(self, name: str, metadata_value: str) -> bool:
        """A manual field wins when the admin changed it to something other than what the metadata says."""
        if not self._manual_changed(name):
            return False
        value = "".join(str(self.cleaned_data.get(name, "")).split())
        return self.source is None or value != "".join(metadata_value.split())

    def service_values(self) -> dict[str, Any]:
        """Keyword arguments for ssogroup_create/ssogroup_update: metadata first, then manual overrides."""
        data = self.cleaned_data
        values: dict[str, Any] = {
            "name": data["name"],
            "slug": data["slug"],
            "enabled": data["enabled"],
            "domains": re.split(r"[\s,;]+", data.get("domains", "")),
            **{f: data[f] for f in ("allow_idp_initiated", "jit_provisioning", "default_role")},
            **{f: data[f] for f in ("signature_requirement", "allow_sha1", "adopt_existing_users")},
            "sign_authn_requests": data["sign_authn_requests"],
            "require_encrypted_assertions": data["require_encrypted_assertions"],
        }
        if data.get("identity_attribute") is not None:  # "Identify users by" was given
            values["identity_attribute"] = data["identity_attribute"]
        # Unticking every role sends no value at all, exactly like a client that never showed the
        # boxes: the form's marker tells them apart, and without it the roles stay as they are.
        if self.data.get("scim_roles_shown"):
            values["scim_roles"] = data["scim_roles"]
        values |= self.idp_values()
        if self.group is None:
            values.setdefault("certificates", [])
        return values

    def idp_values(self) -> dict[str, Any]:
        """The IdP values alone (metadata, endpoint, entity ID, certificates): what a form that shows only
        those fields (the setup link's) hands to the gate."""
        data = self.cleaned_data
        # Which manual fields the admin gave is read here; what wins is ssogroups.intake's rule.
        metadata = self.source.metadata if self.source is not None else None
        manual_certificates = data.get("parsed_certificates")
        if manual_certificates is None and self._manual_changed("certificates"):
            manual_certificates = []  # the admin emptied the field
        return ssogroup_values(
            source=self.source,
            entity_id=data["idp_entity_id"]
            if self._override("idp_entity_id", metadata.entity_id if metadata else "")
            else None,
            sso_url=data["sso_url"]
            if self._override("sso_url", metadata.sso_endpoint.location if metadata else "")
            else None,
            certificates=manual_certificates,
            metadata_url_removed=self._manual_changed("metadata_url") and not data["metadata_url"].strip(),
        )


def ssogroup_initial(group: SSOGroup) -> dict[str, Any]:
    return {
        "name": group.name,
        "slug": group.slug,
        "metadata_url": group.idp_metadata_url,
        "idp_entity_id": group.idp_entity_id,
        "sso_url": group.sso_url,
        "identify_by": IDENTIFY_BY_ATTRIBUTE if group.identity_attribute else IDENTIFY_BY_NAME_ID,
        "identity_attribute": group.identity_attribute,
        "certificates": "".join(c.pem for c in group.certificates.order_by("created_at", "id")),
        "allow_idp_initiated": group.allow_idp_initiated,
        "jit_provisioning": group.jit_provisioning,
        "default_role": group.default_role,
        "scim_roles": list(group.scim_roles),
        "adopt_existing_users": group.adopt_existing_users,
        "domains": "\n".join(group.domains.order_by("domain").values_list("domain", flat=True)),
        "signature_requirement": group.signature_requirement,
        "allow_sha1": group.allow_sha1,
        "sign_authn_requests": group.sign_authn_requests,
        "require_encrypted_assertions": group.require_encrypted_assertions,
        "enabled": group.enabled,
    }


class ConfirmDeleteForm(forms.Form):
    confirm = forms.BooleanField(label="Yes, delete this SSO group", required=True)
