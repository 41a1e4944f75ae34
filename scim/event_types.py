"""The events SCIM records (accounts/event_types.py says why an enum). Named like JumpCloud's."""

from accounts.event_types import EventType


class ScimEvent(EventType):
    SCIM_TOKEN_GENERATE = "scim_token_generate", "SCIM", "A SCIM token was generated (its prefix, never the token)."
    SCIM_TOKEN_REVOKE = "scim_token_revoke", "SCIM", "A SCIM token was revoked."
    SCIM_AUTH_FAILURE = "scim_auth_failure", "SCIM", "A SCIM request's token was refused (with the reason)."
    USER_CREATE_PROVISION = "user_create_provision", "SCIM", "The IdP created a user."
    USER_UPDATE_PROVISION = "user_update_provision", "SCIM", "The IdP changed a user."
    USER_DEPROVISION = "user_deprovision", "SCIM", "The IdP deactivated a user; her sessions ended."
    USER_DELETE_PROVISION = "user_delete_provision", "SCIM", "The IdP deleted a user."
    USER_LOOKUP_PROVISION = "user_lookup_provision", "SCIM", "A user lookup failed (only failures are recorded)."
    GROUP_CREATE_PROVISION = "group_create_provision", "SCIM", "The IdP created a group."
    GROUP_UPDATE_PROVISION = "group_update_provision", "SCIM", "The IdP changed a group or its members."
    GROUP_DELETE_PROVISION = "group_delete_provision", "SCIM", "The IdP deleted a group."
    GROUP_LOOKUP_PROVISION = "group_lookup_provision", "SCIM", "A group lookup failed (only failures are recorded)."
