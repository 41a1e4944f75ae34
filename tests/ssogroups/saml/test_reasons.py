"""Failure reasons are constants in one module, and the docs list every one of them."""

from pathlib import Path

from ssogroups.saml import reasons

DOCS = Path(__file__).resolve().parents[3] / "docs" / "saml-sign-in.md"


def test_every_reason_is_documented_with_its_status():
    text = DOCS.read_text()
    for reason in reasons.REASONS.values():
        assert f"| `{reason.code}` | {reason.status} |" in text, reason.code


def test_reason_codes_are_unique_and_http_statuses_are_client_errors():
    codes = [r.code for r in reasons.REASONS.values()]
    assert len(codes) == len(set(codes))
    assert all(400 <= r.status < 500 for r in reasons.REASONS.values())
