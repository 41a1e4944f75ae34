"""SCIM URNs, media types, limits and every error detail, in one place (RFC 7643/7644)."""

CONTENT_TYPE = "application/scim+json"
ACCEPTED_CONTENT_TYPES = ("application/scim+json", "application/json")

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE_SCHEMA = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
SPARKPOST_SCHEMA = "urn:ietf:params:scim:schemas:extension:sparkpost:2.0:User"
ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"
LIST_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
SEARCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
SPC_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
RESOURCE_TYPE_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
SCHEMA_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Schema"

MAX_RESULTS = 200  # the published filter.maxResults; larger counts are capped to it
MAX_BODY_BYTES = 1024 * 1024  # 1 MiB, published as bulk.maxPayloadSize too

# Bounded work: every request's size is checked against these before any work that grows with it
# (docs/security.md, "Bounded work", lists each with the test that proves it). Over a limit the
# answer is 400 tooMany: RFC 7644 §3.12 defines tooMany for a filter that "yields many more results
# than the server is willing to calculate or process"; we use it for every "more than we are
# willing to process", so a client can tell a limit (split the request) from a malformed value
# (invalidValue, invalidFilter, invalidSyntax), which no retry fixes.
MAX_PATCH_OPERATIONS = 1000  # operations in one PatchOp
MAX_VALUES_PER_ATTRIBUTE = 100  # values of one multi-valued attribute (emails, phoneNumbers, …) of a resource
MAX_MEMBERS_PER_REQUEST = 1000  # group members in one POST or PUT body, or across one PATCH's operations
MAX_ATTRIBUTE_NAMES = 100  # names in one request's attributes or excludedAttributes
MAX_FILTER_LENGTH = 4096  # characters of any filter: a list's, or a PATCH path's value filter
MAX_FILTER_TERMS = 200  # comparisons (attrPath op value, attrPath pr) in any filter
MAX_FILTER_DEPTH = 50  # nested parentheses and brackets in any filter

# RFC 7644 §3.12 scimType values.
INVALID_FILTER = "invalidFilter"
INVALID_PATH = "invalidPath"
INVALID_VALUE = "invalidValue"
INVALID_SYNTAX = "invalidSyntax"
UNIQUENESS = "uniqueness"
MUTABILITY = "mutability"
NO_TARGET = "noTarget"
TOO_MANY = "tooMany"

MSG_AUTH_MISSING = "Authentication required: send 'Authorization: Bearer <SCIM token>'."
MSG_AUTH_INVALID = "The SCIM token is unknown or has been revoked."
MSG_AUTH_THROTTLED = "Too many failed authentication attempts. Try again later."
SCIM_FEATURE = "SCIM provisioning"  # named in the one plan message, accounts.permissions.MSG_PLAN
MSG_AUTH_GROUP_DISABLED = "The SCIM token's SSO group is disabled; an account admin must enable it first."
MSG_ROLE_NOT_ALLOWED = (
    "This SSO group's SCIM tokens may assign the roles {allowed}, not {role!r}. "
    "An account admin can allow more roles on the group's page."
)
MSG_NOT_FOUND = "Resource {id} not found."
MSG_NO_ENDPOINT = "No SCIM endpoint at {path}."
MSG_METHOD = "Method {method} is not allowed on {path}."
MSG_BODY_TOO_LARGE = "The request body is larger than the 1 MiB limit."
MSG_BAD_JSON = "The request body is not valid JSON: {error}."
MSG_NOT_OBJECT = "The request body must be a JSON object."
MSG_CONTENT_TYPE = "Send the body as application/scim+json (or application/json)."
MSG_USERNAME_TAKEN = "A user with userName {name!r} already exists."
MSG_ETAG_MISMATCH = "The resource has changed since it was read (If-Match does not match its ETag)."
MSG_SCHEMAS = "The 'schemas' attribute must list {expected}."
MSG_SCHEMAS_MISSING_CORE = "The 'schemas' attribute must list {expected}; it lists {given}."
MSG_UNKNOWN_EXTENSION = (
    "{urn!r} carries attributes of a schema this server does not keep; the schemas of a {type} are {known}. "
    "Remove the attribute mapping in the identity provider (an extension URN listed in 'schemas' alone is fine)."
)
MSG_UNKNOWN_ATTRIBUTE = "Unknown attribute {name!r}."
MSG_UNKNOWN_SCHEMA = "Unknown schema {urn!r}."
MSG_REQUIRED = "Attribute {name!r} is required."
MSG_TYPE = "Attribute {name!r} must be {kind}."
MSG_CANONICAL = "Attribute {name!r} must be one of {values}."
MSG_NUL = "Attribute {name!r} must not contain NUL characters or lone surrogates."
MSG_TOO_LONG = "Attribute {name!r} must be at most {limit} characters."
MSG_EMAIL = "Email {value!r} is not a valid address."
MSG_MULTIPLE_PRIMARY = "At most one value of {name!r} may be primary."
MSG_UNSUPPORTED_PARAM = "{name} must be {kind}."
MSG_SORT = "Cannot sort by {name!r}; sortable attributes: {names}."
MSG_ATTRS_BOTH = "Use either 'attributes' or 'excludedAttributes', not both."
MSG_MEMBER_UNKNOWN = "Member {value!r} is not a user this SSO group manages."
MSG_MEMBER_TYPE = "Only users can be group members (member {value!r} has type {type!r})."
MSG_PATCH_OPS = "A PatchOp needs a non-empty 'Operations' list (at most {max})."
MSG_TOO_MANY_OPERATIONS = "The PatchOp has {count} operations; the limit is {limit} operations per PATCH."
MSG_TOO_MANY_VALUES = "Attribute {name!r} has {count} values; the limit is {limit} values per multi-valued attribute."
MSG_TOO_MANY_MEMBERS = "The request names {count} members; the limit is {limit} members per request."
MSG_TOO_MANY_ATTRIBUTE_NAMES = "{param} lists {count} attribute names; the limit is {limit} per request."
MSG_FILTER_TOO_LONG = "Invalid filter: longer than {limit} characters, the limit per filter."
MSG_FILTER_TOO_MANY_TERMS = "Invalid filter: more than {limit} terms, the limit per filter."
MSG_FILTER_TOO_DEEP = "Invalid filter: nested deeper than {limit} levels, the limit per filter."
MSG_PATCH_OP = "Unknown operation {op!r}: use add, remove or replace."
MSG_PATCH_NO_PATH = "A '{op}' without 'path' needs an object value."
MSG_PATCH_REMOVE_PATH = "A 'remove' operation needs a 'path'."
MSG_PATCH_NO_VALUE = "A '{op}' operation needs a 'value'."
MSG_PATCH_NO_MATCH = "No value matches the filter in path {path!r}."
MSG_READ_ONLY = "Attribute {name!r} is read-only."
MSG_ROLES = (
    "The standard 'roles' attribute is not kept: a user's role is set with "
    "urn:ietf:params:scim:schemas:extension:sparkpost:2.0:User:role (one of admin, developer, templates, "
    "reporting), within the roles this SSO group allows."
)
# What an event's ``changes`` says of a write-only attribute the client sent and we dropped (RFC 7644 §3.3).
IGNORED = "ignored"
# The database (or cache) did not answer: 503 with Retry-After (sparksso/outages.py).
MSG_UNAVAILABLE = "The service is temporarily unavailable: its database or cache did not answer. Retry later."
