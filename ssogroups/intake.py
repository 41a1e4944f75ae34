"""Metadata intake: read IdP metadata (uploaded, pasted or fetched), create a group from it, refresh it."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest

from accounts.models import Account, Event
from sparksso import clock
from ssogroups.constants import BINDING_REDIRECT, NAMEID_EMAIL
from ssogroups.event_types import SSOGroupEvent
from ssogroups.fetch import MetadataFetchError, metadata_fetch
from ssogroups.metadata import WARN_CERT_IGNORED, Certificate, IdPMetadata, MetadataError, parse_metadata
from ssogroups.models import SSOGroup
from ssogroups.services import ssogroup_event_record
from ssogroups.trust import Authority, ssogroup_change, ssogroup_create_gated

MSG_NO_METADATA_URL = "This group has no metadata URL to refresh from."
MSG_ONE_SOURCE = "Give the metadata one way only: a file, pasted XML or a URL."
MSG_CHOOSE_ENTITY = " Enter the one to use in “IdP Entity ID” and submit again."
MSG_PASTE_CERTIFICATE = (
    " Paste the IdP's certificate into “SAML 2.0 Certificate” (or upload certificate.pem) and save again."
)


# "Identify users by": the NameID (an email address, as JumpCloud sends it) or a named attribute.
IDENTIFY_BY_NAME_ID = "name_id"
IDENTIFY_BY_ATTRIBUTE = "attribute"
# The names IdPs give the email attribute (LDAP, the OID SimpleSAMLphp/Shibboleth send, Entra/ADFS's claim).
IDENTITY_ATTRIBUTE_SUGGESTIONS = (
    "email",
    "mail",
    "urn:oid:0.9.2342.19200300.100.1.3",
    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
)
MSG_ATTRIBUTE_NEEDED = "Name the attribute that identifies users (for example mail), or identify them by NameID."


MSG_REFRESH_ENTITY_CHANGED = (
    "The metadata at the URL now describes a different IdP ({new}, was {old}); "
    "nothing was changed. Edit the group to accept the new IdP deliberately."
)


@dataclass(frozen=True)
class MetadataSource:
    """Where metadata came from: the raw document (never re-fetched) and the URL, if any."""

    metadata: IdPMetadata
    xml: str
    url: str = ""


def metadata_load(
    *,
    xml: bytes | str | None = None,
    url: str = "",
    entity_id: str | None = None,
    fetch: Callable[[str], bytes] = metadata_fetch,
    certificates_required: bool = True,
) -> MetadataSource:
    """Parse pasted/uploaded XML, or fetch ``url`` and parse that. Raises MetadataError/MetadataFetchError."""
    if xml is None:
        xml = fetch(url)
    metadata = parse_metadata(xml, now=clock.now(), entity_id=entity_id, certificates_required=certificates_required)
    return MetadataSource(metadata=metadata, xml=metadata.document, url=url)


@dataclass(frozen=True)
class MetadataInput:
    """The one metadata source an admin gave: ``field`` names it (a form field or a command option)."""

    field: str
    xml: bytes | str | None
    url: str = ""


class MetadataReadError(Exception):
    """Metadata that cannot be used, in the admin's words; ``readable`` is what could still be read
    when only the certificate is wrong (to show the rest and say what to paste)."""

    def __init__(self, message: str, readable: MetadataSource | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.readable = readable


def metadata_input_pick(*, uploaded: bytes | None, pasted: str, url: str, url_is_new: bool) -> MetadataInput | None:
    """The one source given, or None; more than one is a ValidationError. The paste field may hold the
    uploaded file from an earlier round trip (that is one source); an unchanged URL is no new source
    (it is refreshed with its own button)."""
    given = []
    if uploaded is not None:
        given.append(MetadataInput("metadata_file", uploaded))
    if pasted.strip() and not (uploaded is not None and _same_text(pasted, uploaded)):
        given.append(MetadataInput("metadata_xml", pasted))
    if url.strip() and url_is_new:
        given.append(MetadataInput("metadata_url", None, url.strip()))
    if len(given) > 1:
        raise ValidationError(MSG_ONE_SOURCE)
    return given[0] if given else None


def _same_text(text: str, data: bytes) -> bool:
    return "".join(text.split()) == "".join(data.decode("utf-8", errors="replace").split())


def metadata_read(
    given: MetadataInput,
    *,
    entity_id: str | None,
    certificates_required: bool,
    fetch: Callable[[str], bytes] = metadata_fetch,
) -> MetadataSource:
    """Load ``given``; a federation file is narrowed to ``entity_id`` when it names one of its IdPs.
    Raises MetadataReadError with the hint of what to do next."""
    kwargs: dict[str, Any] = {"xml": given.xml, "url": given.url, "fetch": fetch}
    kwargs["certificates_required"] = certificates_required
    try:
        try:
            return metadata_load(**kwargs)
        except MetadataError as exc:
            if not exc.choices or entity_id not in exc.choices:
                raise
            return metadata_load(**kwargs, entity_id=entity_id)
    except MetadataError as exc:
        hint, readable = (MSG_CHOOSE_ENTITY if exc.choices else ""), None
        if certificates_required and not exc.choices and given.xml is not None:  # never fetch a URL twice
            try:
                readable = metadata_load(xml=given.xml, certificates_required=False)
                hint = MSG_PASTE_CERTIFICATE  # only the certificate is wrong: show the rest, say what to do
            except MetadataError:
                readable = None
        raise MetadataReadError(exc.message + hint, readable) from exc
    except MetadataFetchError as exc:
        raise MetadataReadError(exc.message) from exc


def identity_attribute_value(*, identify_by: str, attribute: str) -> str | None:
    """The group's ``identity_attribute`` for "Identify users by": "" for the NameID, the attribute's
    name, or None when no choice was given (unchanged). Raises ValidationError for an unnamed attribute."""
    if identify_by == IDENTIFY_BY_NAME_ID:
        return ""
    if identify_by != IDENTIFY_BY_ATTRIBUTE:
        return None
    if not attribute.strip():
        raise ValidationError(MSG_ATTRIBUTE_NEEDED, code="attribute_needed")
    return attribute.strip()


def idp_values_from_metadata(metadata: IdPMetadata) -> dict[str, Any]:
    """The SSOGroup fields that metadata determines."""
    endpoint = metadata.sso_endpoint
    formats = [f for f in metadata.name_id_formats if len(f) <= 255]  # SSOGroup.name_id_format
    return {
        "idp_entity_id": metadata.entity_id,
        "sso_url": endpoint.location,
        "sso_binding": endpoint.binding,
        "sso_endpoints": [{"binding": e.binding, "location": e.location} for e in metadata.sso_endpoints],
        "slo_url": metadata.slo_url,
        # We ask for the email address; an IdP that offers only something else gets that instead.
        "name_id_format": NAMEID_EMAIL if (not formats or NAMEID_EMAIL in formats) else formats[0],
        "want_authn_requests_signed": metadata.want_authn_requests_signed,
    }


def ssogroup_values(
    *,
    source: MetadataSource | None,
    entity_id: str | None = None,
    sso_url: str | None = None,
    certificates: list[Certificate] | None = None,
    metadata_url_removed: bool = False,
) -> dict[str, Any]:
    """The IdP values a form or command proposes: the metadata's first, then what the admin gave by
    hand (None: not given). One rule for every path; the caller decides only what was given."""
    values: dict[str, Any] = {}
    if source is not None:
        values |= idp_values_from_metadata(source.metadata)
        values |= {"certificates": list(source.metadata.certificates), "metadata_xml": source.xml}
        values |= {"idp_metadata_url": source.url, "metadata_warnings": list(source.metadata.warnings)}
    elif metadata_url_removed:
        values["idp_metadata_url"] = ""  # no longer refreshed
    if entity_id is not None:
        values["idp_entity_id"] = entity_id.strip()
    if sso_url is not None:
        url = sso_url.strip()
        values |= {"sso_url": url, "sso_binding": BINDING_REDIRECT}
        values["sso_endpoints"] = [{"binding": BINDING_REDIRECT, "location": url}] if url else []
    if certificates is not None:
        values["certificates"] = certificates
        ignored = WARN_CERT_IGNORED.split("{", 1)[0]  # the metadata's placeholder no longer matters
        values["metadata_warnings"] = [w for w in values.get("metadata_warnings", []) if not w.startswith(ignored)]
    return values


def ssogroup_create_from_metadata(
    *,
    account: Account,
    name: str,
    slug: str,
    source: MetadataSource,
    actor: str,
    authority: Authority = Authority.OPERATOR,
    enable: bool = False,
    allow_idp_initiated: bool = True,
    identity_attribute: str = "",
    request: HttpRequest | None = None,
) -> SSOGroup:
    """A group straight from parsed metadata; enabled only when asked (and then only if usable).
    ``identity_attribute``: identify users by that attribute instead of the NameID."""
    metadata = source.metadata
    return ssogroup_create_gated(
        account=account,
        authority=authority,
        name=name,
        slug=slug,
        actor=actor,
        request=request,
        certificates=list(metadata.certificates),
        metadata_xml=source.xml,
        idp_metadata_url=source.url,
        metadata_warnings=metadata.warnings,
        enabled=enable,
        allow_idp_initiated=allow_idp_initiated,
        identity_attribute=identity_attribute,
        **idp_values_from_metadata(metadata),
    )


def ssogroup_refresh(
    *,
    group: SSOGroup,
    actor: str,
    authority: Authority = Authority.OPERATOR,
    approve: bool = False,
    request: HttpRequest | None = None,
    fetch: Callable[[str], bytes] = metadata_fetch,
) -> SSOGroup:
    """Re-read the group's metadata URL. On any failure the old values stay and the reason is saved.

    Raises MetadataError / MetadataFetchError / ValidationError after recording the failure.
    """
    if not group.idp_metadata_url:
        raise MetadataFetchError(MSG_NO_METADATA_URL)
    try:
        source = metadata_load(url=group.idp_metadata_url, entity_id=None, fetch=fetch)
    except MetadataError as exc:
        if exc.choices and group.idp_entity_id in exc.choices:
            source = _refresh_pick(group, fetch, actor, request)
        else:
            _refresh_failed(group, exc.message, actor, request)
            raise
    except MetadataFetchError as exc:
        _refresh_failed(group, exc.message, actor, request)
        raise
    if group.idp_entity_id and source.metadata.entity_id != group.idp_entity_id:
        message = MSG_REFRESH_ENTITY_CHANGED.format(new=source.metadata.entity_id, old=group.idp_entity_id)
        _refresh_failed(group, message, actor, request)
        raise MetadataError(message)
    values = idp_values_from_metadata(source.metadata)
    values.pop("name_id_format")  # an admin's choice of NameID format survives a refresh
    try:
        # Security-critical: on an enabled group, different certificates or endpoints are held for
        # an admin's approval (ssogroups.trust); the group keeps what it trusts until then.
        return ssogroup_change(
            group=group,
            authority=authority,
            actor=actor,
            request=request,
            source="refresh",
            event=SSOGroupEvent.SSO_GROUP_REFRESH,
            approve=approve,
            withdraw_when_current=True,
            certificates=list(source.metadata.certificates),
            metadata_xml=source.xml,
            metadata_warnings=source.metadata.warnings,
            metadata_fetched_at=clock.now(),
            metadata_refresh_error="",
            **values,
        )
    except ValidationError as exc:
        _refresh_failed(group, " ".join(exc.messages), actor, request)
        raise


def _refresh_pick(group: SSOGroup, fetch, actor: str, request) -> MetadataSource:
    try:
        return metadata_load(url=group.idp_metadata_url, entity_id=group.idp_entity_id, fetch=fetch)
    except (MetadataError, MetadataFetchError) as exc:
        _refresh_failed(group, exc.message, actor, request)
        raise


def _refresh_failed(group: SSOGroup, message: str, actor: str, request) -> None:
    group.metadata_refresh_error = message[:500]
    group.save(update_fields=["metadata_refresh_error"])
    failed = Event.Outcome.FAILURE
    ssogroup_event_record(
        group=group, event=SSOGroupEvent.SSO_GROUP_REFRESH, actor=actor, outcome=failed, reason=message, request=request
    )
