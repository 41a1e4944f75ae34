"""Why a SAML sign-in failed: one constant per reason, with the admin's wording and the HTTP status.

End users never see these texts (they get a generic page with a reference code); account admins
see them on the per-group diagnostics page and in the event log.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Reason:
    code: str
    admin_text: str
    status: int = 403


def _r(code: str, admin_text: str, status: int = 403) -> Reason:
    reason = Reason(code, admin_text, status)
    REASONS[code] = reason
    return reason


REASONS: dict[str, Reason] = {}

# Transport and parsing: the POST itself is unusable.
MISSING_RESPONSE = _r("missing_response", "The POST carried no SAMLResponse field.", 400)
FORM_ENCODING = _r(
    "form_encoding", "The POST body was not UTF-8 (a non-UTF-8 or unknown charset, or invalid bytes).", 400
)
OVERSIZE = _r("oversize", "The POST was larger than the ACS accepts.", 413)
BAD_BASE64 = _r("bad_base64", "SAMLResponse was not valid base64.", 400)
MALFORMED_XML = _r("malformed_xml", "SAMLResponse was not well-formed XML.", 400)
FORBIDDEN_XML = _r("forbidden_xml", "SAMLResponse contained a DOCTYPE or entity declaration (refused: XXE/bomb).", 400)
INVALID_RESPONSE = _r("invalid_response", "The response does not match the SAML schema or lacks a required part.", 400)
BAD_TIMESTAMP = _r("bad_timestamp", "A timestamp in the response is not in the SAML UTC format.", 400)
ENCRYPTED_UNSUPPORTED = _r(
    "encrypted_unsupported",
    "The response carries an encrypted part the ACS cannot use: an encrypted NameID or attribute, or an "
    "EncryptedAssertion without a usable EncryptedData/KeyInfo. Encrypt the whole assertion instead.",
    400,
)
IDP_ERROR_STATUS = _r("idp_error_status", "The IdP answered with a non-success status.")

THROTTLED = _r(
    "throttled", "Too many failed sign-ins to this group (from one address, or in all); posts wait a few minutes.", 429
)

# Signatures.
UNSIGNED = _r("unsigned", "Neither the assertion nor the response was signed.")
SIGNATURE_MISSING_REQUIRED = _r(
    "signature_missing_required", "The response lacks a signature this group requires (see its signature setting)."
)
BAD_SIGNATURE = _r("bad_signature", "The signature did not verify with any certificate configured for this group.")
SIGNATURE_STRUCTURE = _r(
    "signature_structure",
    "The signature does not cover exactly the one assertion in the response (possible signature wrapping).",
)
DEPRECATED_ALGORITHM = _r("deprecated_algorithm", "Signed with SHA-1, which this group does not allow.")

# Addressing.
WRONG_AUDIENCE = _r("wrong_audience", "The assertion's Audience is not this group's SP entity ID.")
# The detail of WRONG_AUDIENCE: what the IdP sent and what we are, never our own ID as "the invalid one"
# (python3-saml's own message, "<our entity ID> is not a valid audience", reads as if ours were wrong).
WRONG_AUDIENCE_DETAIL = (
    "The response is for audience {sent}; this group's Audience URI (SP Entity ID) is {ours}: the IdP's "
    "SP Entity ID (audience) must be exactly that."
)
WRONG_AUDIENCE_NONE = "(none)"
WRONG_DESTINATION = _r("wrong_destination", "The response's Destination is not exactly this group's ACS URL.")
WRONG_RECIPIENT = _r("wrong_recipient", "The SubjectConfirmation Recipient is not exactly this group's ACS URL.")
WRONG_ISSUER = _r("wrong_issuer", "The Issuer is not this group's IdP entity ID.")
SUBJECT_CONFIRMATION = _r(
    "subject_confirmation", "No valid bearer SubjectConfirmation (wrong recipient, expired, or mismatched request)."
)

# Time.
EXPIRED = _r("expired", "The assertion has expired (NotOnOrAfter passed, beyond the allowed clock skew).")
NOT_YET_VALID = _r("not_yet_valid", "The assertion is not yet valid (NotBefore in the future, beyond the clock skew).")
NO_VALIDITY_WINDOW = _r("no_validity_window", "The assertion carries no NotOnOrAfter, so it could be replayed forever.")

# Request state.
REPLAY = _r("replay", "This assertion, or the sign-in request it answers, was already used.")
UNKNOWN_REQUEST = _r(
    "unknown_request", "InResponseTo does not match a pending sign-in request of this group (unknown or expired)."
)
IN_RESPONSE_TO_MISMATCH = _r(
    "in_response_to_mismatch", "The response and its assertion name different requests (InResponseTo)."
)
OTHER_BROWSER = _r(
    "other_browser",
    "The response answers a sign-in request that a different browser started (or the browser's sign-in "
    "cookie was missing): refused as possible login CSRF. Ask the user to start sign-in again in one browser.",
)
UNSOLICITED_NOT_ALLOWED = _r("unsolicited_not_allowed", "IdP-initiated sign-in is turned off for this group.")

# Identity.
NO_NAME_ID = _r("no_name_id", "The assertion carried no NameID (or no identity attribute) to identify the user.")
UNKNOWN_USER = _r("unknown_user", "No user of this account matches the identity, and JIT provisioning is off.")
INACTIVE_USER = _r("inactive_user", "The matching user is deactivated.")
OTHER_GROUP = _r("other_group", "The matching user signs in through a different SSO group.")
UNMANAGED_USER = _r(
    "unmanaged_user",
    "The matching user is not managed by this SSO group (a password user). An account admin can bind "
    "her to this group on the users page, or turn on this group's adopt policy for verified domains.",
)
AMBIGUOUS_USER = _r("ambiguous_user", "The identity matches more than one user of this account.")
PROVISIONING_FAILED = _r("provisioning_failed", "JIT provisioning could not create the user (invalid attributes).")
# Found after every check of the response passed: the response was fine, the user was not.
IDENTITY_REASONS = frozenset(
    r.code
    for r in (NO_NAME_ID, UNKNOWN_USER, INACTIVE_USER, OTHER_GROUP, UNMANAGED_USER, AMBIGUOUS_USER, PROVISIONING_FAILED)
)

GROUP_MISCONFIGURED = _r(
    "group_misconfigured", "The group has no usable IdP settings (entity ID, SSO URL or certificate).", 400
)

# Encrypted assertions.
DECRYPTION_FAILED = _r(
    "decryption_failed",
    "The encrypted assertion could not be decrypted with any SP key this deployment holds (current, next or "
    "previous): the IdP encrypted it to another certificate, or with an algorithm we do not accept. Give the "
    "IdP the encryption certificate from this group's SP metadata.",
)
ENCRYPTION_ALGORITHM = _r(
    "encryption_algorithm",
    "The assertion was encrypted with an algorithm the ACS does not accept. Key transport must be RSA-OAEP "
    "(rsa-oaep-mgf1p, or xmlenc11 rsa-oaep); content encryption AES-128/256 in GCM (preferred) or CBC mode.",
)
ENCRYPTED_UNSIGNED = _r(
    "encrypted_unsigned",
    "The assertion was encrypted but neither it nor the response was signed. Anyone can encrypt to our "
    "public certificate, so encryption proves nothing about the sender: turn on signing at the IdP.",
)
ENCRYPTION_REQUIRED = _r(
    "encryption_required",
    "This group requires encrypted assertions and the assertion arrived unencrypted. Turn on assertion "
    "encryption at the IdP (with this group's SP certificate), or turn the requirement off.",
)

# Single Logout (ssogroups/saml/logout.py): an IdP's LogoutRequest or LogoutResponse we refused.
LOGOUT_MISSING = _r("logout_missing", "The logout call carried neither a SAMLRequest nor a SAMLResponse.", 400)
LOGOUT_MALFORMED = _r(
    "logout_malformed",
    "The logout message was not readable (base64, DEFLATE, XML, the SAML schema, or a DOCTYPE/entity).",
    400,
)
LOGOUT_OVERSIZE = _r("logout_oversize", "The logout message was larger than the SLO endpoint accepts.", 413)
LOGOUT_UNSIGNED = _r("logout_unsigned", "The logout message was not signed; Single Logout takes only signed messages.")
LOGOUT_BAD_SIGNATURE = _r(
    "logout_bad_signature",
    "The logout message's signature did not verify with any certificate of this group (or did not cover the message).",
)
LOGOUT_DEPRECATED_ALGORITHM = _r(
    "logout_deprecated_algorithm", "The logout message was signed with SHA-1, which this group does not allow."
)
LOGOUT_WRONG_DESTINATION = _r(
    "logout_wrong_destination", "The logout message's Destination is not exactly this group's SLO URL."
)
LOGOUT_WRONG_ISSUER = _r("logout_wrong_issuer", "The logout message's Issuer is not this group's IdP entity ID.")
LOGOUT_EXPIRED = _r(
    "logout_expired", "The logout message has expired (NotOnOrAfter passed, or issued more than 5 minutes ago)."
)
LOGOUT_NOT_YET_VALID = _r("logout_not_yet_valid", "The logout message's IssueInstant is in the future (clock skew).")
LOGOUT_REPLAY = _r("logout_replay", "This LogoutRequest was already used.")
LOGOUT_UNKNOWN_REQUEST = _r(
    "logout_unknown_request",
    "The LogoutResponse does not answer a pending logout request of this group (unknown, expired or answered).",
)
LOGOUT_IDP_ERROR_STATUS = _r(
    "logout_idp_error_status",
    "The IdP answered our LogoutRequest with a non-success status: the user is signed out here, perhaps not there.",
)
LOGOUT_NOT_SENT = _r(
    "logout_not_sent",
    "Signed out here, but no LogoutRequest could be built for the IdP (no SP key, or the group's settings).",
    400,
)
