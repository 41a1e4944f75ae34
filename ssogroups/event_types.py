"""The events SSO groups and SAML sign-in record (accounts/event_types.py says why an enum)."""

from accounts.event_types import EventType


class SSOGroupEvent(EventType):
    SSO_LOGIN_SUCCESS = "sso_login_success", "sign-in", "An IdP's response signed a user in (group, NameID)."
    SSO_LOGIN_FAILURE = (
        "sso_login_failure",
        "sign-in",
        "A response was refused, with the precise reason; actor `anonymous`, the claimed NameID as the target "
        "(`target_claimed`: searchable, never taken as proven), the claimed issuer and NameID in `changes`.",
    )
    SSO_TEST_SIGN_IN = (
        "sso_test_sign_in",
        "sign-in",
        "An admin's test sign-in ran (it signs nobody in): every outcome, with its reason; never counted as a "
        "sign-in failure.",
    )
    USER_CREATE_JIT = "user_create_jit", "users", "A first sign-in created a managed user (JIT provisioning)."
    USER_UPDATE_SSO = "user_update_sso", "users", "A sign-in updated a managed user's name or email."
    USER_BIND = "user_bind", "users", "An admin handed a user to an SSO group; her password stopped working."
    USER_UNBIND = "user_unbind", "users", "An admin released a user from her SSO group."
    USER_ADOPT_SSO = "user_adopt_sso", "users", "A sign-in adopted an existing user under the group's adopt policy."
    SSO_GROUP_CREATE = "sso_group_create", "SSO groups", "An SSO group was created."
    SSO_GROUP_UPDATE = "sso_group_update", "SSO groups", "An SSO group's settings changed."
    SSO_GROUP_REFRESH = "sso_group_refresh", "SSO groups", "Its metadata was re-read from its URL (or failed to be)."
    SSO_GROUP_ENABLE = "sso_group_enable", "SSO groups", "An SSO group was enabled."
    SSO_GROUP_DISABLE = "sso_group_disable", "SSO groups", "An SSO group was disabled; its sessions ended."
    SSO_GROUP_DELETE = "sso_group_delete", "SSO groups", "An SSO group was deleted; its sessions ended."
    SSO_GROUP_ISSUER_PINNED = (
        "sso_group_issuer_pinned",
        "SSO groups",
        "The first signed response pinned the IdP entity ID of a group that had none.",
    )
    SSO_GROUP_TRUST_CHANGE_PENDING = (
        "sso_group_trust_change_pending",
        "SSO groups",
        "A change of an enabled group's certificates, entity ID, endpoint or metadata URL waits for an admin's "
        "approval (its version in `changes`).",
    )
    SSO_GROUP_TRUST_CHANGE_APPROVE = (
        "sso_group_trust_change_approve",
        "SSO groups",
        "An admin (or the operator) approved exactly the version shown; the group now trusts it.",
    )
    SSO_GROUP_TRUST_CHANGE_REJECT = (
        "sso_group_trust_change_reject",
        "SSO groups",
        "An admin (or the operator) rejected a waiting change; nothing changed.",
    )
    SSO_GROUP_CERTIFICATE_EXPIRING = (
        "sso_group_certificate_expiring",
        "SSO groups",
        "`ssogroups_check`: the group's latest IdP certificate expires within 30 (then 7) days; its admins were "
        "emailed (once per threshold; fingerprint, date and threshold in `changes`).",
    )
    SSO_GROUP_CERTIFICATE_EXPIRED = (
        "sso_group_certificate_expired",
        "SSO groups",
        "`ssogroups_check`: every IdP certificate of the group has expired, so its sign-ins fail; admins emailed once.",
    )
    SSO_GROUP_METADATA_REFRESH_FAILING = (
        "sso_group_metadata_refresh_failing",
        "SSO groups",
        "`ssogroups_check`: the group's IdP metadata URL has failed to refresh for 7 days; admins emailed once "
        "per outage.",
    )
    SP_KEY_CREATE = (
        "sp_key_create",
        "SSO groups",
        "The deployment's first SP key pair (RSA-3072, self-signed certificate) was generated on first use.",
    )
    SP_KEY_ROTATE = (
        "sp_key_rotate",
        "SSO groups",
        "`sp_keys rotate`: a next SP key was generated and is published in SP metadata beside the current one "
        "(or the rotation was refused, with the reason).",
    )
    SP_KEY_PROMOTE = (
        "sp_key_promote",
        "SSO groups",
        "`sp_keys promote` (or `ssogroups_check` once it was published SP_KEY_ROLLOVER_DAYS): the next SP key became "
        "current (it signs); the old one stays for decryption "
        "(or the promotion was refused, with the reason).",
    )
    SP_KEY_RETIRE = (
        "sp_key_retire",
        "SSO groups",
        "`sp_keys retire`: a previous SP key's private half was erased; it decrypts nothing any more "
        "(or the retirement was refused, with the reason).",
    )
    SSO_DOMAIN_VERIFY = "sso_domain_verify", "SSO groups", "A claimed domain's DNS TXT record was checked (reason)."
    SSO_DOMAIN_UNVERIFY = (
        "sso_domain_unverify",
        "SSO groups",
        "A verified claim lost its verification (reason `idna2008`: its IDNA 2008 form differs from what was proved).",
    )
    SSO_LOGOUT_START = (
        "sso_logout_start",
        "sign-in",
        "Signing out of an SSO session sent the IdP a signed LogoutRequest (group, binding, request ID in "
        "`changes`); the session had already ended here.",
    )
    SSO_LOGOUT_COMPLETE = (
        "sso_logout_complete",
        "sign-in",
        "The IdP's signed LogoutResponse answered our LogoutRequest (InResponseTo in `changes`) with success.",
    )
    SSO_LOGOUT_IDP = (
        "sso_logout_idp",
        "sign-in",
        "The IdP's signed LogoutRequest ended the NameID's sessions of that group (count in `changes`), "
        "answered with a signed LogoutResponse.",
    )
    SSO_LOGOUT_FAILURE = (
        "sso_logout_failure",
        "sign-in",
        "A logout message was refused with the precise reason and nothing ended by it (or ours could not be "
        "sent: the session had ended here anyway); actor `anonymous`, the claimed NameID as in `sso_login_failure`.",
    )
