"""The sign-in trace: what one SSO sign-in attempt (real or test) received and how each check went.

The response is kept decoded so the admin can read what the IdP sent, but with every
ds:SignatureValue and ds:X509Certificate (and xenc:CipherValue) text replaced by a marker: the
trace is for reading, and a stored response that still carried its signature could be posted again
once its replay record expires. The checks are acs.CHECKS in order (what validate_response passed,
then the one that failed), then the sign-in's own: the request it answers, replay, the user.
"""

import base64
import hashlib
import secrets
from datetime import datetime

from django.http import HttpRequest
from lxml import etree

from accounts.models import User
from sparksso import clock
from ssogroups.models import SignInTrace, SSOGroup
from ssogroups.saml import reasons
from ssogroups.saml.acs import CHECKS
from ssogroups.saml.errors import SamlRejected
from ssogroups.saml.response_parse import decode

ELIDED_SIGNATURE = "[signature elided]"
ELIDED_CERTIFICATE = "[certificate elided]"
ELIDED_CIPHER = "[encrypted data elided]"
_ELIDE = {
    "{http://www.w3.org/2000/09/xmldsig#}SignatureValue": ELIDED_SIGNATURE,
    "{http://www.w3.org/2000/09/xmldsig#}X509Certificate": ELIDED_CERTIFICATE,
    "{http://www.w3.org/2001/04/xmlenc#}CipherValue": ELIDED_CIPHER,
}
NOTE_NOT_XML = "Not kept: the response was not well-formed XML, or declared a DOCTYPE (refused unread)."
NOTE_NOT_BASE64 = "Not kept: SAMLResponse was empty, too large or not base64."

PASSED, FAILED, NOT_RUN = "passed", "failed", "not run"
CHECK_REQUEST = "Answers a pending request from this browser (or IdP-initiated is allowed), not a replay"
CHECK_USER = "Maps to a user this group signs in"
CHECK_TEST_USER = "Maps to a user this group signs in (tested, nothing written)"


def response_elided(saml_response: str) -> tuple[str, str]:
    """The decoded response, pretty-printed, signatures and certificates elided; or "" and why not."""
    try:
        raw = base64.b64decode(decode(saml_response))  # the ACS's own checks: present, size, base64
    except SamlRejected:
        return "", NOTE_NOT_BASE64
    # The ACS refused DOCTYPEs before this is reached; refuse them here too, and resolve nothing.
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        root = etree.fromstring(raw, parser)
    except etree.XMLSyntaxError:
        return "", NOTE_NOT_XML
    if root.getroottree().docinfo.doctype:
        return "", NOTE_NOT_XML
    for element in root.iter(*_ELIDE):
        element.text = _ELIDE[element.tag]
        for child in list(element):
            element.remove(child)
    return etree.tostring(root, pretty_print=True, encoding="unicode"), ""


def _check(name: str, result: str, detail: str = "") -> dict[str, str]:
    return {"check": name, "result": result, "detail": detail}


def checks_of(*, passed: tuple[str, ...] | None, rejected: SamlRejected | None, test: bool) -> list[dict[str, str]]:
    """Every check in order with its result: ``passed`` (acs.CHECKS, None when all passed before a
    refusal in the sign-in's own checks), then what ``rejected`` refused, then what never ran."""
    user_check = CHECK_TEST_USER if test else CHECK_USER
    later = (CHECK_REQUEST, user_check)
    passed = CHECKS if passed is None else passed
    rows = [_check(name, PASSED) for name in passed]
    if rejected is None:
        return rows + [_check(name, PASSED) for name in later] if len(passed) == len(CHECKS) else rows
    failure = f"{rejected.reason.code}: {rejected.reason.admin_text}"
    if len(passed) < len(CHECKS):
        failed, remaining = CHECKS[len(passed)], [*CHECKS[len(passed) + 1 :], *later]
    elif rejected.reason.code in reasons.IDENTITY_REASONS:
        rows.append(_check(CHECK_REQUEST, PASSED))
        failed, remaining = user_check, []
    else:
        failed, remaining = CHECK_REQUEST, [user_check]
    rows.append(_check(failed, FAILED, f"{failure} {rejected.detail}".strip()))
    return rows + [_check(name, NOT_RUN) for name in remaining]


def _session(request: HttpRequest | None) -> tuple[str, datetime | None]:
    """A reference to the session signed in (a cut digest of its key, never the key) and its expiry."""
    session = getattr(request, "session", None)
    if session is None or not session.session_key:
        return "", None
    return hashlib.sha256(session.session_key.encode()).hexdigest()[:16], session.get_expiry_date()


def sign_in_trace_record(
    *,
    group: SSOGroup,
    saml_response: str,
    passed: tuple[str, ...] | None,
    rejected: SamlRejected | None = None,
    test: bool = False,
    user: User | None = None,
    username: str = "",
    failure_reference: str = "",
    test_report_key: str = "",
    request: HttpRequest | None = None,
) -> SignInTrace:
    """Keep the trace of one attempt. ``request`` after a real sign-in names the session it created."""
    xml, note = response_elided(saml_response)
    session_ref, session_expires_at = _session(request) if user is not None and not test else ("", None)
    return SignInTrace.objects.create(
        group=group,
        key=secrets.token_urlsafe(18),
        time=clock.now(),
        test=test,
        ok=rejected is None,
        reason=rejected.reason.code if rejected else "",
        detail=rejected.detail[:1000] if rejected else "",
        checks=checks_of(passed=passed, rejected=rejected, test=test),
        response_xml=xml,
        response_note=note,
        failure_reference=failure_reference,
        test_report_key=test_report_key[:64],
        user=user,
        username=(user.username if user is not None else username)[:255],
        session_ref=session_ref,
        session_expires_at=session_expires_at,
    )


def sign_in_trace_get(*, group: SSOGroup, key: str) -> SignInTrace | None:
    """The trace ``key`` of ``group`` (crucial: scoped to the group, so another account's key is None)."""
    return SignInTrace.objects.filter(group=group, key=key[:32]).first()


def sign_in_trace_keys(*, group: SSOGroup, failure_references: list[str]) -> dict[str, str]:
    """The trace keys of the diagnostics rows shown, by failure reference."""
    rows = SignInTrace.objects.filter(group=group, failure_reference__in=failure_references)
    return dict(rows.values_list("failure_reference", "key"))


def sign_in_trace_of_test(*, group: SSOGroup, report_key: str) -> SignInTrace | None:
    return SignInTrace.objects.filter(group=group, test_report_key=report_key[:64]).first()


def sign_in_trace_of_report(
    *, group: SSOGroup, saml_response: str, passed: tuple[str, ...], report: dict, report_key: str
) -> SignInTrace:
    """The trace of a test sign-in whose response passed every check: ``report`` says whom it maps to,
    or (not ok) the reason nobody."""
    rejected = None
    if not report["ok"]:
        rejected = SamlRejected(reasons.REASONS.get(report.get("reason", ""), reasons.INVALID_RESPONSE),
                                report.get("detail", ""))  # fmt: skip
    username = (report.get("user") or {}).get("username", "")
    return sign_in_trace_record(
        group=group, saml_response=saml_response, passed=passed, rejected=rejected, test=True, username=username,
        test_report_key=report_key,
    )  # fmt: skip
