"""Setup links: the admin creates one (recent sign-in), its holder confirms a code sent to the bound
address and sets up only that group, through the same intake and trust gate; revoked or expired, every
page of it is a 404. Each refusal checks the status, the message, the event and that nothing was written."""

import hashlib
import logging
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.test import Client

from accounts.models import Event
from console.models import SetupLink
from console.setup_link_forms import SetupLinkMetadataForm
from console.setup_link_views import MSG_GONE
from console.setup_links import (
    CODE_ATTEMPTS,
    CODE_SENDS,
    MSG_CODE_THROTTLED,
    MSG_CODE_WRONG,
    MSG_NOT_ALLOWED_ENABLE,
    MSG_NOT_ALLOWED_SCIM,
    MSG_SEND_THROTTLED,
    setup_link_create,
    setup_link_revoke,
)
from scim.models import ScimToken
from sparksso import clock
from ssogroups.forms import ssogroup_initial
from ssogroups.metadata import certificates_parse
from ssogroups.models import SSOCertificate, SSOGroup, SSOTrustChange
from ssogroups.retention import retention_prune
from ssogroups.services import certificate_fields
from tests.conftest import force_recent_login
from tests.ssogroups import samples
from tests.support.keys import shared_keypair

EMAIL = "it@customer.example"


@pytest.fixture
def keys():
    return shared_keypair("setup-link-idp")


@pytest.fixture
def pinned(monkeypatch):
    """The clock held 30 s into a throttle window: no window boundary can fall mid-test."""
    now = datetime(2026, 6, 1, 12, 0, 30, tzinfo=UTC)
    monkeypatch.setattr("sparksso.clock.now", lambda: now)
    return now


@pytest.fixture
def new_group(account):
    return SSOGroup.objects.create(account=account, name="Okta", slug="okta")


def make_link(account, group, admin, **kwargs):
    return setup_link_create(account=account, group=group, email=EMAIL, created_by=admin, **kwargs)


def open_link(client, token) -> str:
    response = client.get(f"/setup/open?token={token}")
    assert response.status_code == 302
    match = re.fullmatch(r"/setup/([0-9a-f]+)/confirm", response["Location"])
    assert match, response["Location"]
    return match.group(1)


def send_code(client, link) -> str:
    response = client.post(f"/setup/{link.public_id}/confirm", {"action": "send"})
    assert response.status_code == 200
    assert mail.outbox[-1].to == [EMAIL]
    return re.search(r"\b(\d{6})\b", mail.outbox[-1].body).group(1)


def confirmed_client(token, link) -> Client:
    client = Client()
    open_link(client, token)
    code = send_code(client, link)
    response = client.post(f"/setup/{link.public_id}/confirm", {"action": "confirm", "code": code})
    assert response.status_code == 302 and response["Location"] == f"/setup/{link.public_id}/"
    return client


def link_events(link, **filters):
    return Event.objects.filter(account=link.account, actor=f"setup-link:{link.public_id} {EMAIL}", **filters)


def page(response) -> str:
    return response.content.decode().replace("<wbr>", "")


def metadata(keys, entity_id="https://idp.customer.example/entity") -> bytes:
    return samples.idp_metadata(
        keys.cert_b64, entity_id=entity_id, location="https://idp.customer.example/sso"
    ).encode()


# --- the admin's side ------------------------------------------------------------------------------


def test_creating_needs_a_recent_sign_in_and_writes_nothing_without(client, admin, account):
    client.force_login(admin)
    data = {"group": "", "new_group_name": "Okta", "email": EMAIL, "days": 7}
    response = client.post("/account/setup-links/new", data)
    assert response.status_code == 302 and response["Location"].startswith("/account/reauth?")
    assert not SetupLink.objects.exists() and not SSOGroup.objects.exists()
    assert not Event.objects.filter(event__in=["setup_link_create", "sso_group_create"]).exists()


def test_admin_creates_a_link_for_a_new_group_shown_once_and_stored_as_a_digest(client, admin, account):
    force_recent_login(client, admin)
    data = {"group": "", "new_group_name": "Okta", "email": EMAIL, "days": 7}
    response = client.post("/account/setup-links/new", data)
    assert response.status_code == 201
    token = re.search(r"/setup/open\?token=(sso_setup_[A-Za-z0-9_-]+)", page(response)).group(1)
    link = SetupLink.objects.get()
    assert link.digest == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(SetupLink.objects.values().get())  # only the digest rests
    assert (link.group.name, link.group.enabled, link.allow_enable, link.allow_scim_tokens) == (
        "Okta",
        False,
        False,
        False,
    )
    assert link.expires_at - link.created_at == timedelta(days=7)
    event = Event.objects.get(event="setup_link_create")
    assert (event.actor, event.target) == (admin.username, f"setup-link:{link.public_id}")
    assert token not in str(list(Event.objects.values()))
    # Shown once: the list and the detail page never show it again.
    assert token not in page(client.get("/account/setup-links/"))
    assert token not in page(client.get(f"/account/setup-links/{link.public_id}/"))


def test_a_new_group_needs_a_name(client, admin, account):
    force_recent_login(client, admin)
    response = client.post("/account/setup-links/new", {"group": "", "email": EMAIL, "days": 7})
    assert response.status_code == 400
    assert "Name the new SSO group" in page(response)
    assert not SetupLink.objects.exists() and not SSOGroup.objects.exists()
    assert not Event.objects.exists() or not Event.objects.filter(event="setup_link_create").exists()


def test_another_accounts_link_is_a_404_to_the_admin(client, admin, account, new_group, make_account):
    link, _token = make_link(account, new_group, admin)
    _other_account, other_admin = make_account()
    client.force_login(other_admin)
    assert client.get(f"/account/setup-links/{link.public_id}/").status_code == 404
    assert client.post(f"/account/setup-links/{link.public_id}/revoke").status_code == 404
    link.refresh_from_db()
    assert link.revoked_at is None and not Event.objects.filter(event="setup_link_revoke").exists()


# --- opening and confirming ------------------------------------------------------------------------


def test_the_holder_confirms_the_code_and_sees_only_her_group(account, admin, new_group):
    link, token = make_link(account, new_group, admin)
    client = confirmed_client(token, link)
    link.refresh_from_db()
    code = re.search(r"\b(\d{6})\b", mail.outbox[-1].body).group(1)
    assert code not in str(SetupLink.objects.values().get())  # the code rests as an HMAC, then not at all
    body = page(client.get(f"/setup/{link.public_id}/"))
    assert new_group.acs_url in body and new_group.sp_entity_id in body
    assert "Parse SAML 2.0 XML Config" in body
    assert "Generate SCIM token" not in body  # not allowed by this link
    assert [e.event for e in link_events(link).order_by("pk")] == [
        "setup_link_open",
        "setup_link_code_send",
        "setup_link_confirm",
    ]
    # Never a User login.
    assert client.get("/api/v1/session").status_code == 401


def test_a_wrong_code_is_refused_and_opens_nothing(account, admin, new_group):
    link, token = make_link(account, new_group, admin)
    client = Client()
    open_link(client, token)
    send_code(client, link)
    response = client.post(f"/setup/{link.public_id}/confirm", {"action": "confirm", "code": "000000x"})
    assert response.status_code == 400
    assert MSG_CODE_WRONG in page(response)
    event = link_events(link, event="setup_link_confirm").get()
    assert (event.outcome, event.reason) == ("failure", "wrong code")
    link.refresh_from_db()
    assert link.session_digest == "" and link.confirmed_at is None
    assert client.get(f"/setup/{link.public_id}/")["Location"] == f"/setup/{link.public_id}/confirm"


def test_too_many_wrong_codes_are_throttled_and_void_the_code(account, admin, new_group, pinned):
    link, token = make_link(account, new_group, admin)
    client = Client()
    open_link(client, token)
    code = send_code(client, link)
    wrong = "111111" if code != "111111" else "222222"
    for _ in range(CODE_ATTEMPTS):
        assert client.post(f"/setup/{link.public_id}/confirm", {"action": "confirm", "code": wrong}).status_code == 400
    response = client.post(f"/setup/{link.public_id}/confirm", {"action": "confirm", "code": code})
    assert response.status_code == 429
    assert MSG_CODE_THROTTLED in page(response)
    throttled = link_events(link, event="setup_link_confirm", reason="throttled")
    assert throttled.count() == 1 and throttled.get().outcome == "failure"
    link.refresh_from_db()
    assert (link.session_digest, link.code_digest, link.confirmed_at) == ("", "", None)
    # Once per window: a further refusal records nothing more.
    client.post(f"/setup/{link.public_id}/confirm", {"action": "confirm", "code": code})
    assert throttled.count() == 1


def test_the_code_form_needs_csrf(account, admin, new_group):
    link, token = make_link(account, new_group, admin)
    client = Client(enforce_csrf_checks=True)
    open_link(client, token)
    response = client.post(f"/setup/{link.public_id}/confirm", {"action": "send"})
    assert response.status_code == 403
    assert not mail.outbox and not link_events(link, event="setup_link_code_send").exists()


def test_every_form_of_a_confirmed_link_needs_csrf(account, admin, new_group):
    link, token = make_link(account, new_group, admin, allow_enable=True, allow_scim_tokens=True)
    holder = confirmed_client(token, link)
    strict = Client(enforce_csrf_checks=True)
    strict.cookies = holder.cookies
    assert strict.get(f"/setup/{link.public_id}/").status_code == 200  # the session itself is good
    before = Event.objects.count()
    for path in ("confirm", "metadata", "enable", "test", "scim-token"):
        response = strict.post(f"/setup/{link.public_id}/{path}", {"action": "send", "sso_url": "https://x.example/"})
        assert response.status_code == 403, path
        assert "CSRF verification failed" in page(response), path
    new_group.refresh_from_db()
    assert (new_group.sso_url, new_group.enabled) == ("", False)
    assert Event.objects.count() == before and not ScimToken.objects.exists()


def test_an_unknown_token_or_no_cookie_is_a_404(client, account, admin, new_group):
    link, _token = make_link(account, new_group, admin)
    response = client.get("/setup/open?token=sso_setup_nope")
    assert response.status_code == 404 and MSG_GONE in page(response)
    # The public id alone opens nothing: the browser never showed the token.
    for path in ("", "confirm"):
        assert client.get(f"/setup/{link.public_id}/{path}").status_code == 404
    assert not Event.objects.filter(event__startswith="setup_link_open").exists()


# --- gone: revoked or expired ----------------------------------------------------------------------


def _every_page(client, link) -> list[int]:
    base = f"/setup/{link.public_id}/"
    gets = [base, base + "confirm", base + "test/somekey"]
    posts = [base + "confirm", base + "metadata", base + "enable", base + "test", base + "scim-token"]
    statuses = []
    for path in gets:
        response = client.get(path)
        assert MSG_GONE in page(response), path
        statuses.append(response.status_code)
    for path in posts:
        response = client.post(path, {"action": "send"})
        assert MSG_GONE in page(response), path
        statuses.append(response.status_code)
    return statuses


def test_a_revoked_link_is_a_404_on_every_page(client, account, admin, new_group):
    link, token = make_link(account, new_group, admin, allow_enable=True, allow_scim_tokens=True)
    holder = confirmed_client(token, link)
    client.force_login(admin)
    response = client.post(f"/account/setup-links/{link.public_id}/revoke")
    assert response.status_code == 302
    revoke = Event.objects.get(event="setup_link_revoke")
    assert (revoke.actor, revoke.target) == (admin.username, f"setup-link:{link.public_id}")
    before = Event.objects.count(), len(mail.outbox)
    assert set(_every_page(holder, link)) == {404}
    assert (Event.objects.count(), len(mail.outbox)) == before  # nothing written by the pages
    new_group.refresh_from_db()
    assert not new_group.enabled and not ScimToken.objects.exists()
    # Opening it again: a 404, recorded once with the reason.
    response = Client().get(f"/setup/open?token={token}")
    assert response.status_code == 404 and MSG_GONE in page(response)
    refused = Event.objects.get(event="setup_link_open", outcome="failure")
    assert refused.reason == "revoked"
    Client().get(f"/setup/open?token={token}")
    assert Event.objects.filter(event="setup_link_open", outcome="failure").count() == 1


def test_an_expired_link_is_a_404_on_every_page(account, admin, new_group, monkeypatch):
    link, token = make_link(account, new_group, admin, days=1)
    holder = confirmed_client(token, link)
    later = clock.now() + timedelta(days=1, seconds=1)
    monkeypatch.setattr("sparksso.clock.now", lambda: later)
    before = Event.objects.count()
    assert set(_every_page(holder, link)) == {404}
    assert Event.objects.count() == before
    response = Client().get(f"/setup/open?token={token}")
    assert response.status_code == 404
    assert Event.objects.get(event="setup_link_open", outcome="failure").reason == "expired"


# --- what the holder may do ------------------------------------------------------------------------


def test_the_link_session_reaches_no_other_page(account, admin, new_group, make_ssogroup):
    link, token = make_link(account, new_group, admin)
    other_group = make_ssogroup(account)
    other_link, other_token = make_link(account, other_group, admin)
    holder = confirmed_client(token, link)
    for path in (f"/setup/{other_link.public_id}/", f"/setup/{other_link.public_id}/confirm"):
        response = holder.get(path)
        assert response.status_code == 404 and MSG_GONE in page(response)
    response = holder.post(f"/setup/{other_link.public_id}/metadata", {"sso_url": "https://evil.example/sso"})
    assert response.status_code == 404
    for path in ("/account/sso/", f"/account/sso/{other_group.slug}/", "/account/settings/", "/account/events/"):
        response = holder.get(path)
        assert response.status_code == 302 and response["Location"].startswith("/login"), path
    other_group.refresh_from_db()
    assert other_group.sso_url != "https://evil.example/sso"
    assert not link_events(other_link).exists()


def test_uploading_metadata_goes_through_the_intake_with_the_link_as_actor(account, admin, new_group, keys):
    link, token = make_link(account, new_group, admin)
    holder = confirmed_client(token, link)
    upload = {"metadata_xml": metadata(keys).decode(), "enabled": "on", "scim_roles": ["admin"], "name": "Renamed"}
    response = holder.post(f"/setup/{link.public_id}/metadata", upload)
    assert response.status_code == 200, page(response)
    new_group.refresh_from_db()
    assert new_group.idp_entity_id == "https://idp.customer.example/entity"
    assert new_group.certificates.count() == 1
    # Only the IdP's values: the posted name, state and roles are no fields of this form.
    assert (new_group.name, new_group.enabled, "admin" in new_group.scim_roles) == ("Okta", False, False)
    assert link_events(link, event="sso_group_update").exists()


def test_bad_metadata_says_why_and_writes_nothing(account, admin, new_group):
    link, token = make_link(account, new_group, admin)
    holder = confirmed_client(token, link)
    before = Event.objects.count()
    response = holder.post(f"/setup/{link.public_id}/metadata", {"metadata_xml": "<not metadata"})
    assert response.status_code == 400 and "Nothing was saved" in page(response)
    new_group.refresh_from_db()
    assert new_group.idp_entity_id == "" and not new_group.certificates.exists()
    assert Event.objects.count() == before


def test_a_stale_confirmation_asks_for_a_new_code_and_writes_nothing(
    account, admin, new_group, keys, monkeypatch, settings
):
    link, token = make_link(account, new_group, admin)
    holder = confirmed_client(token, link)
    later = clock.now() + timedelta(seconds=settings.REAUTH_MAX_AGE_SECONDS + 1)
    monkeypatch.setattr("sparksso.clock.now", lambda: later)
    before = Event.objects.count()
    response = holder.post(f"/setup/{link.public_id}/metadata", {"metadata_xml": metadata(keys).decode()})
    assert response.status_code == 302 and response["Location"].endswith("/confirm?again=1")
    assert "confirm it is you again" in page(holder.get(response["Location"]))
    new_group.refresh_from_db()
    assert not new_group.certificates.exists() and Event.objects.count() == before


def test_enabling_when_the_link_does_not_allow_it_is_refused(account, admin, new_group, keys):
    link, token = make_link(account, new_group, admin)
    holder = confirmed_client(token, link)
    holder.post(f"/setup/{link.public_id}/metadata", {"metadata_xml": metadata(keys).decode()})
    before = Event.objects.count()
    response = holder.post(f"/setup/{link.public_id}/enable")
    assert response.status_code == 403 and MSG_NOT_ALLOWED_ENABLE in page(response)
    refused = link_events(link, event="setup_link_refused").get()
    assert (refused.outcome, refused.reason) == ("failure", "enable")
    assert Event.objects.count() == before + 1
    new_group.refresh_from_db()
    assert not new_group.enabled


def test_enabling_when_allowed_goes_through_the_gate(account, admin, new_group, keys):
    link, token = make_link(account, new_group, admin, allow_enable=True)
    holder = confirmed_client(token, link)
    holder.post(f"/setup/{link.public_id}/metadata", {"metadata_xml": metadata(keys).decode()})
    response = holder.post(f"/setup/{link.public_id}/enable")
    assert response.status_code == 200 and "The group is enabled" in page(response)
    new_group.refresh_from_db()
    assert new_group.enabled
    assert link_events(link, event="sso_group_enable").exists()


def test_a_certificate_change_on_an_enabled_group_waits_for_the_admin(account, admin, make_ssogroup, keys):
    trusted = shared_keypair("setup-link-trusted")
    group = make_ssogroup(account, idp_entity_id="https://idp.customer.example/entity")
    SSOCertificate.objects.create(group=group, **certificate_fields(certificates_parse(trusted.cert_pem)[0]))
    link, token = make_link(account, group, admin)
    holder = confirmed_client(token, link)
    # As the browser posts it: the fields shown with the group's values, and the new metadata.
    shown = {name: value for name, value in ssogroup_initial(group).items() if name in SetupLinkMetadataForm.IDP_FIELDS}
    response = holder.post(f"/setup/{link.public_id}/metadata", {**shown, "metadata_xml": metadata(keys).decode()})
    assert response.status_code == 200 and "waits for the account admin's approval" in page(response)
    assert list(SSOCertificate.objects.filter(group=group).values_list("pem", flat=True)) == [trusted.cert_pem]
    change = SSOTrustChange.objects.get(group=group)
    assert change.proposed_by == f"setup-link:{link.public_id} {EMAIL}"
    assert link_events(link, event="sso_group_trust_change_pending").exists()


def test_a_scim_token_only_when_allowed(account, admin, make_ssogroup):
    group = make_ssogroup(account)
    link, token = make_link(account, group, admin)
    holder = confirmed_client(token, link)
    response = holder.post(f"/setup/{link.public_id}/scim-token", {"form_id": "f" * 24})
    assert response.status_code == 403 and MSG_NOT_ALLOWED_SCIM in page(response)
    assert link_events(link, event="setup_link_refused", reason="scim token").exists()
    assert not ScimToken.objects.exists() and not Event.objects.filter(event="scim_token_generate").exists()


def test_a_scim_token_is_shown_once_and_recorded_with_the_link(account, admin, make_ssogroup):
    group = make_ssogroup(account)
    link, token = make_link(account, group, admin, allow_scim_tokens=True)
    holder = confirmed_client(token, link)
    response = holder.post(f"/setup/{link.public_id}/scim-token", {"form_id": "f" * 24})
    assert response.status_code == 200
    plaintext = re.search(r'value="(sso_scim_[^"]+)"', page(response)).group(1)
    stored = ScimToken.objects.get()
    assert stored.sso_group == group and stored.digest == hashlib.sha256(plaintext.encode()).hexdigest()
    event = link_events(link, event="scim_token_generate").get()
    assert event.target == stored.prefix and plaintext not in str(event.changes)
    assert plaintext not in page(holder.get(f"/setup/{link.public_id}/"))
    # The same form again mints nothing more.
    again = holder.post(f"/setup/{link.public_id}/scim-token", {"form_id": "f" * 24})
    assert again.status_code == 409 and ScimToken.objects.count() == 1


def test_the_admin_sees_the_links_activity(client, account, admin, new_group, keys):
    link, token = make_link(account, new_group, admin)
    holder = confirmed_client(token, link)
    holder.post(f"/setup/{link.public_id}/metadata", {"metadata_xml": metadata(keys).decode()})
    client.force_login(admin)
    body = page(client.get(f"/account/setup-links/{link.public_id}/"))
    for name in (
        "setup_link_create",
        "setup_link_open",
        "setup_link_code_send",
        "setup_link_confirm",
        "sso_group_update",
    ):
        assert name in body
    assert f"setup-link:{link.public_id} {EMAIL}" in body
    log = page(client.get("/account/events/", {"actor": f"setup-link:{link.public_id}"}))
    assert "sso_group_update" in log and "setup_link_confirm" in log


def test_revoking_twice_records_once(account, admin, new_group):
    link, _token = make_link(account, new_group, admin)
    setup_link_revoke(link=link, actor=admin.username)
    setup_link_revoke(link=link, actor=admin.username)
    assert Event.objects.filter(event="setup_link_revoke").count() == 1


def test_codes_sent_are_limited_per_link(account, admin, new_group, pinned):
    link, token = make_link(account, new_group, admin)
    client = Client()
    open_link(client, token)
    for _ in range(CODE_SENDS):
        send_code(client, link)
    link.refresh_from_db()
    digest, sent = link.code_digest, len(mail.outbox)
    response = client.post(f"/setup/{link.public_id}/confirm", {"action": "send"})
    assert response.status_code == 429 and MSG_SEND_THROTTLED in page(response)
    link.refresh_from_db()
    assert (link.code_digest, len(mail.outbox)) == (digest, sent)
    assert link_events(link, event="setup_link_code_send", outcome="success").count() == CODE_SENDS
    refused = link_events(link, event="setup_link_code_send", outcome="failure")
    assert refused.get().reason == "throttled"
    client.post(f"/setup/{link.public_id}/confirm", {"action": "send"})
    assert refused.count() == 1 and len(mail.outbox) == sent


def test_a_link_of_an_account_without_sso_opens_nothing(account, admin, new_group):
    link, token = make_link(account, new_group, admin)
    holder = confirmed_client(token, link)
    account.plan = "starter"
    account.save(update_fields=["plan"])
    response = holder.get(f"/setup/{link.public_id}/")
    assert response.status_code == 404 and MSG_GONE in page(response)
    assert Client().get(f"/setup/open?token={token}").status_code == 404
    assert Event.objects.get(event="setup_link_open", outcome="failure").reason == "plan"


def test_the_token_never_reaches_the_logs(account, admin, new_group, caplog, settings):
    """Only paths are logged (sparksso.request_log, nginx's $uri): the token rides in the query string."""
    link, token = make_link(account, new_group, admin)
    with caplog.at_level(logging.DEBUG):
        open_link(Client(), token)
        setup_link_revoke(link=link, actor=admin.username)
        assert Client().get(f"/setup/open?token={token}").status_code == 404  # logged as a 404: its path only
    assert caplog.records and token not in caplog.text
    assert any("/setup/open" in record.getMessage() for record in caplog.records)


def test_a_reload_keeps_the_code_field_while_the_code_is_valid(account, admin, new_group, monkeypatch):
    link, token = make_link(account, new_group, admin)
    client = Client()
    open_link(client, token)
    assert 'id="code-form"' not in page(client.get(f"/setup/{link.public_id}/confirm"))
    send_code(client, link)
    assert 'id="code-form"' in page(client.get(f"/setup/{link.public_id}/confirm"))
    later = clock.now() + timedelta(minutes=10, seconds=1)
    monkeypatch.setattr("sparksso.clock.now", lambda: later)
    assert 'id="code-form"' not in page(client.get(f"/setup/{link.public_id}/confirm"))


def test_prune_deletes_links_ended_longer_ago_than_event_retention(account, admin, new_group, settings):
    settings.EVENT_RETENTION_DAYS = 30
    old, _ = make_link(account, new_group, admin)
    recent, _ = make_link(account, new_group, admin)
    now = clock.now()
    SetupLink.objects.filter(pk=old.pk).update(expires_at=now - timedelta(days=31))
    SetupLink.objects.filter(pk=recent.pk).update(expires_at=now - timedelta(days=29))

    counts = retention_prune(now=now)

    assert counts["setup_links"] == 1
    assert list(SetupLink.objects.values_list("pk", flat=True)) == [recent.pk]
