"""Two ssogroups_check runs at once (two hosts' timers) send a warning once: real threads with their
own connections, on PostgreSQL (DATABASE_URL) and on SQLite in a WAL file."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.db import connections

from accounts.models import Event
from ssogroups.expiry import expiry_notice_send, group_expiry_warnings
from ssogroups.models import SSOCertificate, SSOExpiryNotice, SSOGroup
from tests.support.race_db import race_db  # noqa: F401 - a fixture

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
TRIES = 10

pytestmark = [pytest.mark.usefixtures("race_db"), pytest.mark.django_db(transaction=True)]


def test_two_runs_at_once_send_each_threshold_once(make_account, settings, monkeypatch):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    monkeypatch.setattr("sparksso.clock.now", lambda: NOW)
    account, _admin = make_account()
    for n in range(TRIES):
        mail.outbox = []
        group = SSOGroup.objects.create(account=account, name=f"G{n}", slug=f"g{n}", enabled=True)
        SSOCertificate.objects.create(
            group=group, pem="-", sha256_fingerprint=f"FP{n}", not_after=NOW + timedelta(days=10)
        )
        barrier = threading.Barrier(2)
        results, errors = [], []

        def run(group_id=group.pk, barrier=barrier, results=results, errors=errors):
            try:
                group = SSOGroup.objects.select_related("account").get(pk=group_id)
                [warning] = group_expiry_warnings(group, now=NOW)
                barrier.wait(timeout=30)
                results.append(expiry_notice_send(warning=warning, actor="ssogroups_check"))
            except BaseException as exc:  # noqa: BLE001 - surfaced by the assertion below
                errors.append(exc)
            finally:
                connections.close_all()

        threads = [threading.Thread(target=run) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert errors == []
        assert sorted(results, key=lambda r: r is None) == [[_admin.email], None]  # one sent, one found it sent
        assert len(mail.outbox) == 1
        assert SSOExpiryNotice.objects.filter(group=group).count() == 1
        assert Event.objects.filter(event="sso_group_certificate_expiring", target=f"g{n}").count() == 1
