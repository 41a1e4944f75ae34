"""SCIM user lookups and list pages through the real views, with the indexes and with them dropped.

JumpCloud looks a user up by ``userName`` before every create (usually a miss), and may look up
by email; an import lists the users page by page. For each account size the users are inserted in
bulk (realistic addresses, one UserEmail row each), then every round measures each case with the
project's indexes, drops the index that case relies on, measures it again (the baseline), and
puts the index back. Every response is checked: status 200 and the expected totalResults/user.
"""

import json
import random
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

from django.conf import settings as django_settings
from django.db import connection
from django.db.models import Exists, OuterRef
from django.db.models.functions import Lower
from django.test import Client

from accounts.models import User, UserEmail
from bench.fixtures import database_analyze, query_plan, tenant_create, users_bulk_create
from bench.names import address
from bench.timing import Report, Samples
from scim.query import filtered, list_params
from scim.resource_types import USER
from scim.tokens import scim_token_create
from scim.users import users_of

URL = "/api/v1/users/scim/v2/Users"
USERNAME_INDEX = "accounts_user_username_ci_per_account"  # UNIQUE (LOWER(username), account_id)
EMAIL_INDEX = "accounts_useremail_value_ci"  # (LOWER(value)) on accounts_useremail
PAGE = 100


class BenchmarkFailed(AssertionError):
    """A timed request did not answer what it must: the figures would be meaningless."""


@dataclass(frozen=True)
class Lookup:
    case: str
    index: str  # the index it relies on, dropped for the baseline
    filter_for: object  # callable: n -> (filter text, expected userName or None)


def _username_hit(n: int) -> tuple[str, str]:
    return f'userName eq "{address(n)}"', address(n)


def _username_miss(n: int) -> tuple[str, None]:
    return f'userName eq "new.hire.{n}@northwind-example.com"', None


def _email_hit(n: int) -> tuple[str, str]:
    return f'emails[value eq "{address(n).upper()}"]', address(n)  # case-insensitive, as SCIM says


LOOKUPS = (
    Lookup('filter=userName eq "<existing>"', USERNAME_INDEX, _username_hit),
    Lookup('filter=userName eq "<new>" (pre-create check)', USERNAME_INDEX, _username_miss),
    Lookup('filter=emails[value eq "<existing>"]', EMAIL_INDEX, _email_hit),
)


def _index_objects() -> dict:
    constraint = next(c for c in User._meta.constraints if c.name == USERNAME_INDEX)
    index = next(i for i in UserEmail._meta.indexes if i.name == EMAIL_INDEX)
    return {USERNAME_INDEX: (User, constraint), EMAIL_INDEX: (UserEmail, index)}


def _present(name: str, model) -> bool:
    with connection.cursor() as cursor:
        return name in connection.introspection.get_constraints(cursor, model._meta.db_table)


def index_drop(name: str) -> None:
    model, obj = _index_objects()[name]
    if not _present(name, model):
        raise BenchmarkFailed(f"index {name} is not in the database: the schema changed, update the benchmark")
    with connection.schema_editor() as editor:
        (editor.remove_constraint if obj in model._meta.constraints else editor.remove_index)(model, obj)
    if _present(name, model):
        raise BenchmarkFailed(f"index {name} is still there after dropping it")


def index_restore(name: str) -> None:
    model, obj = _index_objects()[name]
    with connection.schema_editor() as editor:
        (editor.add_constraint if obj in model._meta.constraints else editor.add_index)(model, obj)


class Runner:
    def __init__(self, *, lookups: int, rounds: int):
        self.tenant = tenant_create("Provisioned")
        _token, plaintext = scim_token_create(
            account=self.tenant.account,
            sso_group=self.tenant.group,
            label="bench",
            created_by=self.tenant.admin,
            actor="bench",
        )
        host = urlsplit(django_settings.BASE_URL).hostname
        self.client = Client(HTTP_HOST=host, HTTP_AUTHORIZATION=f"Bearer {plaintext}")
        self.lookups, self.rounds = lookups, rounds
        self.size = 0
        self.rng = random.Random(7)

    def grow(self, size: int) -> None:
        """Bulk-insert users until the account holds ``size`` (its admin included)."""
        users_bulk_create(tenant=self.tenant, start=max(0, self.size - 1), stop=size - 1)
        self.size = User.objects.filter(account=self.tenant.account).count()
        if self.size != size:
            raise BenchmarkFailed(f"the account holds {self.size} users, expected {size}")
        database_analyze()

    def get(self, query: dict) -> dict:
        response = self.client.get(URL, {k: v for k, v in query.items()})
        if response.status_code != 200:
            raise BenchmarkFailed(
                f"GET {URL}?{urlencode(query)} answered {response.status_code}: {response.content[:300]}"
            )
        return json.loads(response.content)

    def lookup(self, lookup: Lookup, samples: Samples) -> None:
        for n in self.rng.sample(range(self.size - 1), self.lookups):
            text, expected = lookup.filter_for(n)
            body = samples.time(lambda t=text: self.get({"filter": t}))
            found = [r["userName"] for r in body["Resources"]]
            if body["totalResults"] != (1 if expected else 0) or found != ([expected] if expected else []):
                raise BenchmarkFailed(f"{text}: got {body['totalResults']} results {found[:2]}, expected {expected}")

    def page(self, start_index: int, samples: Samples) -> None:
        for _ in range(max(3, self.lookups // 3)):
            body = samples.time(lambda: self.get({"startIndex": start_index, "count": PAGE}))
            visible = self.size - 1  # the token's group manages every user but the password admin
            if body["totalResults"] != visible or len(body["Resources"]) != min(PAGE, visible - start_index + 1):
                raise BenchmarkFailed(
                    f"page at {start_index}: {body['totalResults']} total, {len(body['Resources'])} items"
                )

    def plan(self, text: str) -> str:
        return query_plan(filtered(users_of(self.tenant.group), USER, list_params({"filter": text}))[:PAGE])


def _emails_alternative(runner: Runner, report: Report) -> None:
    """The emails filter's query alone (count + page, as the view runs it): the earlier correlated
    EXISTS against the shipped IN over the email index, which starts from the matching email rows."""
    before, shipped = Samples(), Samples()

    def before_query(value: str):
        matching = UserEmail.objects.annotate(v=Lower("value")).filter(user=OuterRef("pk"), v=value.lower())
        return users_of(runner.tenant.group).filter(Exists(matching)).order_by("created_at", "pk")

    def shipped_query(value: str):
        return filtered(users_of(runner.tenant.group), USER, list_params({"filter": f'emails[value eq "{value}"]'}))

    def run_query(queryset) -> list:
        queryset.count()
        return [u.username for u in queryset[:PAGE]]

    for _ in range(runner.rounds):
        for n in runner.rng.sample(range(runner.size - 1), runner.lookups):
            value = address(n).upper()
            for samples, build in ((before, before_query), (shipped, shipped_query)):
                found = samples.time(lambda b=build, v=value: run_query(b(v)))
                if found != [address(n)]:
                    raise BenchmarkFailed(f"emails query for {value} found {found}")
    group = f"emails[value eq] query only (count + page), {runner.size:,} users"
    report.row(group, "before: EXISTS per user", before, baseline=True)
    report.row(group, "shipped: user id IN (emails matching, by the index)", shipped)
    report.note(f"emails EXISTS (before), query plan: {query_plan(before_query('x@example.com')[:PAGE])}")


def run(*, rounds: int, lookups: int, users: list[int], **_options) -> Report:
    runner = Runner(lookups=lookups, rounds=rounds)
    report = Report(
        f"SCIM /Users through the Django test client with a real bearer token on {connection.vendor} "
        f"({rounds} rounds x {lookups} lookups per case, distinct values; a sample = one request)"
    )
    for size in users:
        runner.grow(size)
        indexed = {lookup.case: Samples() for lookup in LOOKUPS}
        dropped = {lookup.case: Samples() for lookup in LOOKUPS}
        first_page, last_page = Samples(), Samples()
        plans: dict[str, tuple[str, str]] = {}
        for _ in range(rounds):
            for lookup in LOOKUPS:
                runner.lookup(lookup, indexed[lookup.case])
                with_index = runner.plan(lookup.filter_for(0)[0])
                index_drop(lookup.index)
                try:
                    runner.lookup(lookup, dropped[lookup.case])
                    plans[lookup.case] = (with_index, runner.plan(lookup.filter_for(0)[0]))
                finally:
                    index_restore(lookup.index)
            runner.page(1, first_page)
            runner.page(max(1, size - PAGE), last_page)
        for lookup in LOOKUPS:
            group = f"{size:,} users: GET /Users?{lookup.case}"
            report.row(group, f"without {lookup.index} (baseline)", dropped[lookup.case], baseline=True)
            report.row(group, "with the index (as shipped)", indexed[lookup.case])
            if size == users[-1]:
                with_index, without = plans[lookup.case]
                report.note(f"{lookup.case}, query plan with the index: {with_index}")
                report.note(f"{lookup.case}, query plan without: {without}")
        group = f"{size:,} users: GET /Users?startIndex=..&count={PAGE} (import)"
        report.row(group, "startIndex=1 (first page)", first_page, baseline=True)
        report.row(group, f"startIndex={size - PAGE + 1} (last page)", last_page)
    _emails_alternative(runner, report)
    report.note(
        f"list page, query plan: {query_plan(filtered(users_of(runner.tenant.group), USER, list_params({}))[:PAGE])}"
    )
    return report
