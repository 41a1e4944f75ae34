"""The one exception SAML sign-in raises: a refusal with its precise reason (ssogroups/saml/reasons.py)."""

from ssogroups.saml import reasons


class SamlRejected(Exception):
    """A response we refuse, with the precise reason and what it claimed (for the admin only)."""

    def __init__(
        self, reason: reasons.Reason, detail: str = "", *, issuer: str = "", name_id: str = "", name_id_format: str = ""
    ):
        super().__init__(f"{reason.code}: {detail}")
        self.reason = reason
        self.detail = detail[:1000]
        self.issuer = issuer
        self.name_id = name_id
        self.name_id_format = name_id_format  # as the response claimed it, for the admin's diagnostics
        # acs.CHECKS passed before this refusal (set by acs.validate_response); None when it came
        # after them all (the request, replay or user checks of services.sso_login_consume).
        self.checks: tuple[str, ...] | None = None
