"""The group page's server-rendered SVG: sign-ins and failures per day over 30 days, failures by reason."""

from datetime import UTC, datetime, timedelta

import pytest

from accounts.events import event_record
from accounts.models import Event
from ssogroups.charts import DAYS, signin_chart
from ssogroups.models import SSOLoginFailure

NOW = datetime(2026, 11, 29, 12, tzinfo=UTC)


def _success(group, when, slug=None):
    e = event_record(account=group.account, event="sso_login_success", changes={"group": slug or group.slug})
    Event.objects.filter(pk=e.pk).update(time=when)


def _failure(group, when, reason):
    SSOLoginFailure.objects.create(group=group, time=when, reference="R", reason=reason)


@pytest.fixture
def group(account, make_ssogroup):
    return make_ssogroup(account, slug="jumpcloud")


def test_counts_per_day_and_by_reason_for_this_group_only(group, account, make_ssogroup, make_account):
    other_group = make_ssogroup(account, slug="other")
    _success(group, NOW)
    _success(group, NOW - timedelta(hours=1))
    _success(group, NOW - timedelta(days=2))
    _success(group, NOW - timedelta(days=DAYS + 1))  # older than the window
    _success(other_group, NOW)  # another group of the same account
    _failure(group, NOW, "bad_signature")
    _failure(group, NOW - timedelta(days=1), "bad_signature")
    _failure(group, NOW - timedelta(days=1), "wrong_audience")
    _failure(other_group, NOW, "expired")
    chart = signin_chart(group=group, now=NOW)
    assert len(chart.days) == DAYS
    assert (chart.first_day, chart.last_day) == ((NOW - timedelta(days=DAYS - 1)).date(), NOW.date())
    assert (chart.total_successes, chart.total_failures, chart.peak) == (3, 3, 2)
    today, yesterday = chart.days[-1], chart.days[-2]
    assert (today.successes, today.failures, yesterday.successes, yesterday.failures) == (2, 1, 0, 2)
    assert today.success_h == 130 and today.success_y == 0  # the peak fills the bar area
    assert [(r.code, r.count) for r in chart.reasons] == [("bad_signature", 2), ("wrong_audience", 1)]
    assert chart.reasons[0].text.startswith("The signature did not verify")


def test_group_page_draws_svg_without_script(client, admin, group):
    _success(group, datetime.now(UTC))
    _failure(group, datetime.now(UTC), "bad_signature")
    client.force_login(admin)
    html = client.get(f"/account/sso/{group.slug}/").content.decode()
    assert '<svg class="chart" id="signin-chart"' in html and '<svg class="chart" id="reason-chart"' in html
    assert "1 sign-in and 1 failure from" in html
    assert "bad_signature (1)" in html
    assert "<script>" not in html and "style=" not in html


def test_empty_chart_says_what_to_do(client, admin, group):
    client.force_login(admin)
    html = client.get(f"/account/sso/{group.slug}/").content.decode()
    assert "No sign-ins yet. Use “Test sign-in” above" in html
    assert "No failures in the last 30 days." in html
