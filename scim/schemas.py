"""The schemas we publish (RFC 7643 §7-8) as plain data: /Schemas serves them, the validator obeys them.

Everything the User schema lists is stored and returned. Two standard attributes are left out on
purpose: ``password`` (users sign in through SSO; changePassword is not supported) is still
understood, as RFC 7643 §4.1.1 defines it (write-only), and dropped: Okta sends one on every create
(``UNPUBLISHED``); ``roles`` would be stored but not obeyed, an untrue answer, since a role is the
sparkpost extension's (``REFUSED``).
"""

from typing import Any

from scim.constants import ENTERPRISE_SCHEMA, GROUP_SCHEMA, MSG_ROLES, SPARKPOST_SCHEMA, USER_SCHEMA

ROLES = ["admin", "developer", "templates", "reporting"]


def attr(
    name: str,
    type: str = "string",
    *,
    multi: bool = False,
    required: bool = False,
    case_exact: bool = False,
    mutability: str = "readWrite",
    returned: str = "default",
    uniqueness: str = "none",
    canonical: list[str] | None = None,
    refs: list[str] | None = None,
    sub: list[dict[str, Any]] | None = None,
    description: str = "",
) -> dict[str, Any]:
    """One attribute definition in the RFC 7643 §7 representation."""
    out: dict[str, Any] = {
        "name": name,
        "type": type,
        "multiValued": multi,
        "description": description or name,
        "required": required,
        "caseExact": case_exact,
        "mutability": mutability,
        "returned": returned,
        "uniqueness": uniqueness,
    }
    if canonical:
        out["canonicalValues"] = canonical
    if refs:
        out["referenceTypes"] = refs
    if sub:
        out["subAttributes"] = sub
    return out


def _multi(name: str, types: list[str], value_type: str = "string", **kw: Any) -> dict[str, Any]:
    """The usual multi-valued complex attribute: value, display, type, primary."""
    value = attr("value", value_type, refs=["external"] if value_type == "reference" else None)
    return attr(
        name,
        "complex",
        multi=True,
        sub=[value, attr("display"), attr("type", canonical=types), attr("primary", "boolean")],
        **kw,
    )


_NAME = attr(
    "name",
    "complex",
    sub=[attr(n) for n in ("formatted", "familyName", "givenName", "middleName", "honorificPrefix", "honorificSuffix")],
)
_ADDRESS = attr(
    "addresses",
    "complex",
    multi=True,
    sub=[
        *(attr(n) for n in ("formatted", "streetAddress", "locality", "region", "postalCode", "country")),
        attr("type", canonical=["work", "home", "other"]),
        attr("primary", "boolean"),
    ],
)
_USER_GROUPS = attr(
    "groups",
    "complex",
    multi=True,
    mutability="readOnly",
    sub=[
        attr("value", mutability="readOnly"),
        attr("$ref", "reference", mutability="readOnly", refs=["Group"]),
        attr("display", mutability="readOnly"),
        attr("type", mutability="readOnly", canonical=["direct", "indirect"]),
    ],
)

USER_ATTRIBUTES = [
    attr("userName", required=True, uniqueness="server", description="Unique (case-insensitively) per account."),
    _NAME,
    *(attr(n) for n in ("displayName", "nickName")),
    attr("profileUrl", "reference", refs=["external"]),
    *(attr(n) for n in ("title", "userType", "preferredLanguage", "locale", "timezone")),
    attr("active", "boolean", description="false deactivates the user and ends their sessions."),
    _multi("emails", ["work", "home", "other"]),
    _multi("phoneNumbers", ["work", "home", "mobile", "fax", "pager", "other"]),
    _multi("ims", ["aim", "gtalk", "icq", "xmpp", "msn", "skype", "qq", "yahoo"]),
    _multi("photos", ["photo", "thumbnail"], "reference"),
    _ADDRESS,
    _USER_GROUPS,
    _multi("entitlements", []),
    _multi("x509Certificates", [], "binary"),
]

ENTERPRISE_ATTRIBUTES = [
    *(attr(n) for n in ("employeeNumber", "costCenter", "organization", "division", "department")),
    attr(
        "manager",
        "complex",
        sub=[
            attr("value"),
            attr("$ref", "reference", refs=["User"]),
            attr("displayName", mutability="readOnly"),
        ],
    ),
]

SPARKPOST_ATTRIBUTES = [
    attr(
        "role",
        canonical=ROLES,
        description="The SparkPost role; when unassigned the SSO group's default role applies.",
    ),
]

GROUP_ATTRIBUTES = [
    attr("displayName", required=True),
    attr(
        "members",
        "complex",
        multi=True,
        sub=[
            attr("value", mutability="immutable"),
            attr("$ref", "reference", mutability="immutable", refs=["User"]),
            attr("type", mutability="immutable", canonical=["User"]),
            attr("display", mutability="readOnly", returned="never"),
        ],
        description="Users of the same account.",
    ),
]

SCHEMAS: dict[str, dict[str, Any]] = {
    USER_SCHEMA: {"name": "User", "description": "User Account", "attributes": USER_ATTRIBUTES},
    GROUP_SCHEMA: {"name": "Group", "description": "Group", "attributes": GROUP_ATTRIBUTES},
    ENTERPRISE_SCHEMA: {
        "name": "EnterpriseUser",
        "description": "Enterprise User",
        "attributes": ENTERPRISE_ATTRIBUTES,
    },
    SPARKPOST_SCHEMA: {"name": "SparkPostUser", "description": "SparkPost role", "attributes": SPARKPOST_ATTRIBUTES},
}

# Standard attributes a client may send that /Schemas does not list: accepted, never stored nor returned.
PASSWORD = attr("password", mutability="writeOnly", returned="never", description="Accepted and ignored.")
UNPUBLISHED: dict[str, list[dict[str, Any]]] = {USER_SCHEMA: [PASSWORD]}

# Standard User attributes we neither publish nor keep, with what to send instead: asked for, they are a 400
# naming the way that works (sent empty, they are ignored: Entra sends "roles": [] on every create).
REFUSED: dict[str, dict[str, str]] = {USER_SCHEMA: {"roles": MSG_ROLES}}


def refusal(urn: str, name: str) -> str | None:
    """Why ``name`` of schema ``urn`` is refused (and what to send instead), or None."""
    return REFUSED.get(urn, {}).get(name.lower())


# Attributes every resource has (RFC 7643 §3.1); not part of the schemas above.
EXTERNAL_ID = attr("externalId", case_exact=True)


def find(attributes: list[dict[str, Any]], name: str) -> dict[str, Any] | None:
    """The definition of ``name`` (attribute names are case-insensitive, RFC 7643 §2.1)."""
    lowered = name.lower()
    return next((a for a in attributes if a["name"].lower() == lowered), None)
