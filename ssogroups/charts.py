"""Sign-ins and failures per day, and failures by reason, as numbers an SVG template draws.

Server-rendered (no JavaScript, no CDN): the group page draws bars from these dataclasses.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Count
from django.db.models.functions import TruncDate

from accounts.models import Event
from ssogroups.event_types import SSOGroupEvent
from ssogroups.models import SSOGroup, SSOLoginFailure
from ssogroups.saml import reasons

DAYS = 30
WIDTH, HEIGHT, BAR_AREA = 600, 160, 130  # viewBox units; bars grow up from y=BAR_AREA
REASON_BAR_MAX = 300


@dataclass(frozen=True)
class DayBars:
    day: date
    successes: int
    failures: int
    x: float
    width: float
    success_y: float
    success_h: float
    failure_y: float
    failure_h: float

    @property
    def failure_x(self) -> float:
        return self.x + self.width


@dataclass(frozen=True)
class ReasonBar:
    code: str
    text: str
    count: int
    width: float
    y: int


@dataclass(frozen=True)
class SignInChart:
    days: list[DayBars]
    reasons: list[ReasonBar]
    total_successes: int
    total_failures: int
    peak: int
    first_day: date
    last_day: date

    @property
    def reasons_height(self) -> int:
        return max(1, len(self.reasons)) * 28


def _per_day(rows) -> dict[date, int]:
    return {row["day"]: row["n"] for row in rows}


def signin_chart(*, group: SSOGroup, now: datetime) -> SignInChart:
    """The last 30 days (UTC) of the group's sign-ins and failures."""
    first = (now - timedelta(days=DAYS - 1)).date()
    start = datetime.combine(first, datetime.min.time(), tzinfo=now.tzinfo)
    # Scoped to the group's own account and slug: other groups' sign-ins are not counted.
    successes = _per_day(
        Event.objects.filter(
            account_id=group.account_id,
            event=SSOGroupEvent.SSO_LOGIN_SUCCESS,
            changes__group=group.slug,
            time__gte=start,
        )
        .annotate(day=TruncDate("time"))
        .values("day")
        .annotate(n=Count("id"))
    )
    failures_qs = SSOLoginFailure.objects.filter(group=group, time__gte=start)
    failures = _per_day(failures_qs.annotate(day=TruncDate("time")).values("day").annotate(n=Count("id")))
    peak = max([1, *successes.values(), *failures.values()])
    slot = WIDTH / DAYS
    bar = slot * 0.4
    days = []
    for i in range(DAYS):
        day = first + timedelta(days=i)
        ok, bad = successes.get(day, 0), failures.get(day, 0)
        ok_h, bad_h = BAR_AREA * ok / peak, BAR_AREA * bad / peak
        x = i * slot + slot * 0.1
        days.append(DayBars(day, ok, bad, x, bar, BAR_AREA - ok_h, ok_h, BAR_AREA - bad_h, bad_h))
    by_reason = list(failures_qs.values("reason").annotate(n=Count("id")).order_by("-n", "reason"))
    top = by_reason[0]["n"] if by_reason else 1
    reason_bars = [
        ReasonBar(
            code=row["reason"],
            text=reasons.REASONS.get(row["reason"], reasons.INVALID_RESPONSE).admin_text,
            count=row["n"],
            width=max(2, REASON_BAR_MAX * row["n"] / top),
            y=i * 28,
        )
        for i, row in enumerate(by_reason)
    ]
    return SignInChart(
        days=days,
        reasons=reason_bars,
        total_successes=sum(successes.values()),
        total_failures=sum(failures.values()),
        peak=peak,
        first_day=first,
        last_day=now.date(),
    )
