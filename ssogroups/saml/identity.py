"""Who a validated assertion names: the identity value and profile fields, then the user it maps to."""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.http import HttpRequest

from accounts.identifiers import identifier_normalise
from accounts.models import User
from accounts.selectors import email_is, username_is
from accounts.users import user_create, user_update
from ssogroups.event_types import SSOGroupEvent
from ssogroups.managed import adoptable, user_adopt
from ssogroups.models import SSOGroup
from ssogroups.saml import reasons
from ssogroups.saml.acs import ValidatedAssertion
from ssogroups.saml.errors import SamlRejected

# Attribute names IdPs use for each profile field: JumpCloud's own names first, then the common
# forms of others: LDAP names (SimpleSAMLphp), OIDs (Shibboleth, SimpleSAMLphp's "oid" name format)
# and their older urn:mace names, the WS-Federation claim URIs (Entra ID, AD FS), OpenID-style names
# and OneLogin's. Never a display name (Entra's .../identity/claims/displayname, LDAP's cn): it is the
# whole name, not a first name; and Entra's .../claims/name is the UPN, a username.
ATTRIBUTE_NAMES = {
    "username": (
        "userName",
        "username",
        "uid",
        "urn:oid:0.9.2342.19200300.100.1.1",
        "urn:mace:dir:attribute-def:uid",
        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name",
        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn",
        "eduPersonPrincipalName",
        "urn:oid:1.3.6.1.4.1.5923.1.1.1.6",
    ),
    "email": (
        "email",
        "mail",
        "emailAddress",
        "Email",
        "urn:oid:0.9.2342.19200300.100.1.3",
        "urn:mace:dir:attribute-def:mail",
        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
        "User.email",
    ),
    "first_name": (
        "firstName",
        "givenName",
        "first_name",
        "given_name",
        "FirstName",
        "urn:oid:2.5.4.42",
        "urn:mace:dir:attribute-def:givenName",
        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname",
        "User.FirstName",
    ),
    "last_name": (
        "lastName",
        "sn",
        "surname",
        "last_name",
        "family_name",
        "LastName",
        "urn:oid:2.5.4.4",
        "urn:mace:dir:attribute-def:sn",
        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname",
        "User.LastName",
    ),
}
FIELD_MAX = {name: User._meta.get_field(name).max_length for name in ATTRIBUTE_NAMES}
# For the admin, when a NameID that is no email address names nobody: the setting that fixes it.
MSG_NAME_ID_HINT = (
    "This IdP sends a {kind} NameID ({format}), not an email address; set “Identify users by” → attribute "
    "{attribute} on the group (or make the IdP send the email address as NameID)."
)
MSG_HINT_ATTRIBUTE_FOUND = "“{name}” (it carries an email address in this response)"
MSG_HINT_ATTRIBUTE_ANY = "(the one that carries the user's email address, e.g. mail)"


@dataclass(frozen=True)
class Profile:
    username: str = ""
    email: str = ""
    first_name: str = ""
    last_name: str = ""


def profile_from_attributes(attributes: dict[str, list[str]]) -> Profile:
    """The first non-empty value under any known name for each field. Pure."""
    values = {}
    for field_name, names in ATTRIBUTE_NAMES.items():
        for name in names:
            found = [v.strip() for v in attributes.get(name, []) if v and v.strip()]
            if found:
                values[field_name] = found[0][: FIELD_MAX[field_name]]
                break
    return Profile(**values)


def identity_value(*, validated: ValidatedAssertion, identity_attribute: str) -> str:
    """The NameID, or the configured attribute's first value; refuses when empty."""
    if identity_attribute:
        values = [v.strip() for v in validated.attributes.get(identity_attribute, []) if v.strip()]
        value = values[0] if values else ""
    else:
        value = validated.name_id
    if not value:
        raise SamlRejected(
            reasons.NO_NAME_ID,
            identity_attribute or "NameID",
            issuer=validated.issuer,
            name_id=validated.name_id,
            name_id_format=validated.name_id_format,
        )
    return identifier_normalise(value)  # the form usernames are stored in (one form per email domain)


def name_id_hint(*, validated: ValidatedAssertion, identity_attribute: str) -> str:
    """What to change when the NameID named the user but is no email address (a transient, persistent or
    unspecified opaque ID): "" when the group reads an attribute or the NameID looks like an address."""
    if identity_attribute or "@" in validated.name_id:
        return ""
    name_format = validated.name_id_format or "no format given"
    kind = name_format.rsplit(":", 1)[-1] if validated.name_id_format else "unspecified"
    found = [n for n in ATTRIBUTE_NAMES["email"] if any("@" in v for v in validated.attributes.get(n, []))]
    attribute = MSG_HINT_ATTRIBUTE_FOUND.format(name=found[0]) if found else MSG_HINT_ATTRIBUTE_ANY
    return MSG_NAME_ID_HINT.format(kind=kind, format=name_format, attribute=attribute)


def _profile_changes(user: User, profile: Profile) -> dict:
    # Never the username: it is the key the user was matched by and the SCIM userName the IdP looks
    # her up by; renaming her to an asserted login name would make the IdP's next lookup miss her.
    return {
        name: value
        for name, value in (
            ("email", profile.email),
            ("first_name", profile.first_name),
            ("last_name", profile.last_name),
        )
        if value and getattr(user, name) != value
    }


def _managed_by_username(group: SSOGroup, identity: str) -> User | None:
    """The usual sign-in: a user the group manages, named by username."""
    user = (
        User.objects.filter(account_id=group.account_id, sso_group_id=group.pk)
        .filter(username_is(identity))
        .order_by("pk")
        .first()
    )
    if user is not None:
        user.sso_group = group
    return user


def sso_user_resolve(
    *,
    group: SSOGroup,
    identity: str,
    profile: Profile,
    request: HttpRequest | None = None,
    validated: ValidatedAssertion | None = None,
) -> User:
    """The user of the group's account the identity names, updated from the profile (or JIT-created).

    Only users this group manages sign in through it. An unmanaged user (a password user) is never
    signed in, bound or updated by an IdP, unless the group's adopt policy covers her (adoptable).
    ``validated``: the assertion the identity came from, so a refusal can name its NameID format.
    """
    actor = f"sso:{group.slug}"
    name_id_format = validated.name_id_format if validated is not None else ""

    def refuse(reason: reasons.Reason, detail: str = "") -> SamlRejected:
        return SamlRejected(reason, detail, issuer=group.idp_entity_id, name_id=identity, name_id_format=name_id_format)

    def match(users, by_username: User | None) -> User | None:
        if by_username is not None:
            return by_username
        by_email = list(users.filter(email_is(identity)).exclude(email="")[:2])
        if len(by_email) > 1:
            raise refuse(reasons.AMBIGUOUS_USER)
        return by_email[0] if by_email else None

    # It's crucial for security that the lookup is scoped to the group's account. Users this
    # group manages come first, so an email NameID of a provisioned user is never taken by another
    # user (say, a password admin) whose *username* is that address.
    users = User.objects.filter(account_id=group.account_id)
    user = match(users.filter(sso_group=group), _managed_by_username(group, identity)) or match(
        users, users.filter(username_is(identity)).first()
    )
    if user is None:
        if not group.jit_provisioning:
            hint = name_id_hint(validated=validated, identity_attribute=group.identity_attribute) if validated else ""
            raise refuse(reasons.UNKNOWN_USER, hint)
        try:
            return user_create(
                account=group.account,
                username=profile.username or identity,
                email=profile.email or (identity if "@" in identity else ""),
                first_name=profile.first_name,
                last_name=profile.last_name,
                role=group.default_role,
                sso_group=group,  # JIT creates managed users only
                actor=actor,
                request=request,
                event=SSOGroupEvent.USER_CREATE_JIT,
            )
        except ValidationError as exc:
            raise refuse(reasons.PROVISIONING_FAILED, "; ".join(exc.messages)) from exc
    if user.sso_group_id is None:
        if not adoptable(user=user, group=group):
            raise refuse(reasons.UNMANAGED_USER)
        if not user.is_active:
            raise refuse(reasons.INACTIVE_USER)
        user = user_adopt(user=user, group=group, request=request)
    elif user.sso_group_id != group.pk:
        raise refuse(reasons.OTHER_GROUP)
    if not user.is_active:
        raise refuse(reasons.INACTIVE_USER)
    changes = _profile_changes(user, profile)
    if changes:
        try:
            user = user_update(user=user, actor=actor, request=request, event=SSOGroupEvent.USER_UPDATE_SSO, **changes)
        except ValidationError:
            # An invalid profile value from the IdP must not lock the user out: skip the profile.
            user.refresh_from_db()
    return user
