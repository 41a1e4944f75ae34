"""Warnings before SSO breaks (issue 24): the pages show an expiring or expired IdP certificate and a
failing metadata refresh; ssogroups_check records an event and emails the admins once per threshold."""

import socket
from datetime import UTC, datetime, timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import Event, User
from ssogroups.expiry import group_expiry_warnings
from ssogroups.models import SSOCertificate, SSOExpiryNotice

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
FINGERPRINT = "AB:CD:" + ":".join(["01"] * 30)
EXPIRY_EVENTS = [
    "sso_group_certificate_expiring",
    "sso_group_certificate_expired",
    "sso_group_metadata_refresh_failing",
]


@pytest.fixture
def clock_at(monkeypatch):
    """Pins sparksso.clock.now; call it again to move time."""

    def pin(moment: datetime) -> datetime:
        monkeypatch.setattr("sparksso.clock.now", lambda: moment)
        return moment

    pin(NOW)
    return pin


@pytest.fixture
def mail_locmem(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mail.outbox = []
    return mail.outbox


def expiring_group(make_ssogroup, account, *, days_left: float, fingerprint: str = FINGERPRINT, **fields):
    group = make_ssogroup(account, slug="jumpcloud", **fields)
    group.name = "JumpCloud"
    group.save()
    SSOCertificate.objects.create(
        group=group, pem="-", sha256_fingerprint=fingerprint, not_after=NOW + timedelta(days=days_left)
    )
    return group


def check() -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("ssogroups_check", stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def expiry_events() -> list[tuple[str, str, int]]:
    events = Event.objects.filter(event__in=EXPIRY_EVENTS).order_by("id")
    return [(e.event, e.target, e.changes["threshold_days"]) for e in events]


# --- the pages ---------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/account/sso/", "/account/sso/jumpcloud/"])
def test_certificate_expiring_in_10_days_is_warned_on_every_page(client, admin, account, make_ssogroup, clock_at, path):
    expiring_group(make_ssogroup, account, days_left=10)
    client.force_login(admin)
    html = client.get(path).content.decode()
    assert (
        f'<li class="msg msg-warning">SSO group JumpCloud: its SAML 2.0 Certificate (SHA-256 {FINGERPRINT}) '
        "expires on 2026-06-11 (in 10 days)."
    ) in html


@pytest.mark.parametrize("path", ["/", "/account/sso/", "/account/sso/jumpcloud/"])
def test_expired_certificate_is_an_error_on_every_page(client, admin, account, make_ssogroup, clock_at, path):
    expiring_group(make_ssogroup, account, days_left=-2)
    client.force_login(admin)
    html = client.get(path).content.decode()
    assert (
        f'<li class="msg msg-error">SSO group JumpCloud: its SAML 2.0 Certificate (SHA-256 {FINGERPRINT}) '
        "expired on 2026-05-30."
    ) in html


def test_no_warning_beyond_30_days_nor_for_an_old_certificate_of_a_rollover(
    client, admin, account, make_ssogroup, clock_at
):
    group = expiring_group(make_ssogroup, account, days_left=31)
    client.force_login(admin)
    assert 'id="expiry-warnings"' not in client.get("/account/sso/").content.decode()
    # An old certificate about to expire next to a newer one: sign-in goes on with the newer one.
    SSOCertificate.objects.create(group=group, pem="-", sha256_fingerprint="OLD", not_after=NOW + timedelta(days=3))
    assert 'id="expiry-warnings"' not in client.get("/account/sso/jumpcloud/").content.decode()


def test_another_accounts_expiring_group_is_not_shown(client, admin, make_account, make_ssogroup, clock_at):
    other, _ = make_account()
    expiring_group(make_ssogroup, other, days_left=10)
    client.force_login(admin)
    for path in ("/", "/account/sso/"):
        assert FINGERPRINT not in client.get(path).content.decode()


# --- ssogroups_check ---------------------------------------------------------------------------


def test_check_emails_each_admin_once_per_threshold(account, admin, make_user, make_ssogroup, clock_at, mail_locmem):
    second = make_user(account, "second@example.com", role=User.Role.ADMIN)
    make_user(account, "dev@example.com", role=User.Role.DEVELOPER)  # not an admin: not told
    make_user(account, "gone@example.com", role=User.Role.ADMIN, is_active=False)  # inactive: not told
    group = expiring_group(make_ssogroup, account, days_left=10)

    out, err = check()
    label = f"{account.pk}/jumpcloud"
    assert out == f"{label}: sso_group_certificate_expiring (2026-06-11): 2 admin(s) emailed\n" and err == ""
    assert sorted(m.to[0] for m in mail_locmem) == sorted([admin.email, second.email])
    assert all(len(m.to) == 1 for m in mail_locmem)  # no admin learns the others' addresses
    first = mail_locmem[0]
    assert first.subject == "SSO group JumpCloud: its IdP certificate expires on 2026-06-11"
    assert FINGERPRINT in first.body and "expires on 2026-06-11 (in 10 days)" in first.body
    assert "http://127.0.0.1:8000/account/sso/jumpcloud/" in first.body
    assert expiry_events() == [("sso_group_certificate_expiring", "jumpcloud", 30)]
    event = Event.objects.get(event="sso_group_certificate_expiring")
    assert (event.account, event.actor, event.changes["subject"]) == (account, "ssogroups_check", FINGERPRINT)
    assert sorted(event.changes["emailed"]) == sorted([admin.email, second.email])

    out, _ = check()  # the next day's run: nothing more
    assert out == f"{label}: sso_group_certificate_expiring (2026-06-11): already sent\n"
    assert len(mail_locmem) == 2 and len(expiry_events()) == 1

    clock_at(NOW + timedelta(days=4))  # 6 days left: the 7-day threshold
    check()
    check()
    assert len(mail_locmem) == 4
    assert expiry_events()[1:] == [("sso_group_certificate_expiring", "jumpcloud", 7)]

    clock_at(NOW + timedelta(days=10, seconds=1))  # expired
    check()
    check()
    assert len(mail_locmem) == 6 and mail_locmem[-1].subject.endswith("expired on 2026-06-11")
    assert expiry_events()[2:] == [("sso_group_certificate_expired", "jumpcloud", 0)]
    assert SSOExpiryNotice.objects.filter(group=group).count() == 3


def test_first_seen_at_5_days_sends_the_7_day_warning_only(account, admin, make_ssogroup, clock_at, mail_locmem):
    expiring_group(make_ssogroup, account, days_left=5)
    check()
    clock_at(NOW + timedelta(days=1))
    check()
    assert len(mail_locmem) == 1
    assert expiry_events() == [("sso_group_certificate_expiring", "jumpcloud", 7)]


def test_a_new_certificate_is_warned_about_afresh(account, admin, make_ssogroup, clock_at, mail_locmem):
    group = expiring_group(make_ssogroup, account, days_left=10)
    check()
    group.certificates.all().delete()
    SSOCertificate.objects.create(group=group, pem="-", sha256_fingerprint="NEW", not_after=NOW + timedelta(days=20))
    check()
    assert [e.changes["subject"] for e in Event.objects.filter(event__in=EXPIRY_EVENTS)] == [FINGERPRINT, "NEW"]


def test_metadata_failing_to_refresh_for_7_days_is_sent_once(account, admin, make_ssogroup, clock_at, mail_locmem):
    fields = {
        "idp_metadata_url": "https://idp.example.test/metadata",
        "metadata_fetched_at": NOW - timedelta(days=6),
        "metadata_refresh_error": "The metadata URL could not be fetched: the server refused the connection.",
    }
    expiring_group(make_ssogroup, account, days_left=300, **fields)
    out, _ = check()
    assert out == f"{account.pk}/jumpcloud: ok\n" and mail_locmem == []  # 6 days: not yet

    clock_at(NOW + timedelta(days=1))
    out, _ = check()
    assert out == f"{account.pk}/jumpcloud: sso_group_metadata_refresh_failing (2026-05-26): 1 admin(s) emailed\n"
    check()
    assert len(mail_locmem) == 1 and expiry_events() == [("sso_group_metadata_refresh_failing", "jumpcloud", 7)]
    assert "has not refreshed since 2026-05-26 (7 days)" in mail_locmem[0].body
    assert "the server refused the connection" in mail_locmem[0].body


def test_disabled_groups_are_not_checked(account, admin, make_ssogroup, clock_at, mail_locmem):
    expiring_group(make_ssogroup, account, days_left=3, enabled=False)
    out, err = check()
    assert (out, err, mail_locmem, expiry_events()) == ("", "", [], [])


def test_an_email_that_cannot_be_sent_exits_1_writes_nothing_and_is_tried_again(
    account, admin, make_ssogroup, clock_at, settings
):
    with socket.socket() as sock:  # a port nothing listens on: the SMTP connection is refused
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    expiring_group(make_ssogroup, account, days_left=10)
    err = StringIO()
    with pytest.raises(CommandError, match="^1 of 1 group"):
        call_command("ssogroups_check", stdout=StringIO(), stderr=err)
    assert err.getvalue().startswith(f"{account.pk}/jumpcloud: failed: sso_group_certificate_expiring: ")
    assert (SSOExpiryNotice.objects.count(), expiry_events()) == (0, [])


def test_the_prune_timer_runs_the_check_after_prune():
    unit = (Path(__file__).resolve().parents[2] / "deploy" / "sparksso-prune.service").read_text()
    starts = [line.split("manage.py ")[1] for line in unit.splitlines() if line.startswith("ExecStart=")]
    assert starts == ["prune", "ssogroups_check"]


def test_the_last_day_is_said_in_the_singular(account, make_ssogroup, clock_at):
    group = expiring_group(make_ssogroup, account, days_left=0.5)
    [warning] = group_expiry_warnings(group, now=NOW)
    assert "expires on 2026-06-02 (in 1 day)." in warning.message and warning.threshold == 7
