"""Pages flat at any depth: a sequential import seeks from where its last page ended (scim.cursors),
and an unfiltered list's totalResults is the group's maintained count (ssogroups.user_counts).

Correctness first: the pages a cursor serves are the pages OFFSET serves, no user is skipped or
repeated when users come and go between pages, and without a cursor (random access, another
worker, a cache that is down) a page is answered by OFFSET.
"""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from accounts.user_import import NewUser, users_import
from scim import cursors
from scim.models import ScimToken
from scim.users import users_of
from sparksso import clock

from .conftest import USER_SCHEMA

SEEK = re.compile(r'\("?\w+"?\."?created_at"?, "?\w+"?\."?id"?\) > \(')  # (created_at, id) > (…)


@pytest.fixture(autouse=True)
def _fresh_cursors(monkeypatch):
    monkeypatch.setattr(cursors, "_local", cursors._LocalCursors(cursors.LOCAL_ENTRIES))


def _import(scim, n: int, *, start: int = 0, created_at=None) -> None:
    people = [NewUser(username=f"p{k:04d}@example.com", email=f"p{k:04d}@example.com", created_at=created_at)
              for k in range(start, start + n)]  # fmt: skip
    users_import(account=scim.account, people=people, sso_group=scim.group, actor="test")


def _page(scim, start: int, count: int, **params) -> tuple[dict, list[str]]:
    with CaptureQueriesContext(connection) as queries:
        response = scim.get("/Users", {"startIndex": str(start), "count": str(count), **params})
    assert response.status_code == 200, response.content
    return response.json(), [q["sql"] for q in queries.captured_queries]


def _names(body: dict) -> list[str]:
    return [r["userName"] for r in body["Resources"]]


def _read_all(scim, count: int, **params) -> list[list[str]]:
    pages, start = [], 1
    while True:
        body, _ = _page(scim, start, count, **params)
        if not body["Resources"]:
            return pages
        pages.append(_names(body))
        start += len(body["Resources"])


def _offset_pages(scim, count: int, total: int) -> list[list[str]]:
    """The same pages read backwards: never sequential, so every one is OFFSET's."""
    starts = list(range(1, total + 1, count))
    return [_names(_page(scim, start, count)[0]) for start in reversed(starts)][::-1]


def test_a_sequential_import_seeks_and_answers_what_offset_answers(scim):
    _import(scim, 23)
    pages = _read_all(scim, 5)
    assert pages == _offset_pages(scim, 5, 23)
    assert [len(p) for p in pages] == [5, 5, 5, 5, 3]
    assert sum(pages, []) == [f"p{k:04d}@example.com" for k in range(23)]


@pytest.mark.plans
def test_the_next_page_seeks_instead_of_skipping_and_never_counts(scim):
    _import(scim, 12)
    first, first_sql = _page(scim, 1, 5)
    second, second_sql = _page(scim, 6, 5)
    assert (first["totalResults"], second["totalResults"]) == (12, 12)
    assert any("OFFSET" not in q and "LIMIT 5" in q for q in first_sql)
    rows_query = next(q for q in second_sql if "LIMIT 5" in q)
    assert SEEK.search(rows_query), rows_query
    assert "OFFSET" not in rows_query
    assert not [q for q in first_sql + second_sql if "COUNT(" in q.upper()]  # the maintained count instead


def test_random_access_uses_offset(scim):
    _import(scim, 12)
    body, sql = _page(scim, 8, 3)
    assert _names(body) == ["p0007@example.com", "p0008@example.com", "p0009@example.com"]
    rows_query = next(q for q in sql if "LIMIT 3" in q)
    assert "OFFSET 7" in rows_query and not SEEK.search(rows_query)


def test_no_user_is_skipped_or_repeated_when_users_come_and_go_between_pages(scim):
    """OFFSET would skip p0005 here: a user before the page boundary is deleted between pages."""
    _import(scim, 12)
    first, _ = _page(scim, 1, 4)
    assert _names(first) == [f"p{k:04d}@example.com" for k in range(4)]
    gone = ["p0001@example.com", "p0006@example.com"]  # one already read, one not yet
    for name in gone:
        assert scim.delete(f"/Users/{_id(scim, name)}").status_code == 204
    scim.create_user("late@example.com")  # created after the import began: it lists last
    second, _ = _page(scim, 5, 4)
    third, _ = _page(scim, 9, 4)
    fourth, _ = _page(scim, 13, 4)
    seen = _names(first) + _names(second) + _names(third) + _names(fourth)
    assert seen == [n for n in [f"p{k:04d}@example.com" for k in range(12)] + ["late@example.com"]
                    if n != "p0006@example.com"]  # fmt: skip
    assert len(seen) == len(set(seen))
    assert (second["totalResults"], fourth["totalResults"]) == (11, 11)


def _id(scim, name: str) -> str:
    return str(User.objects.get(username=name).scim_id)


def test_users_sharing_one_created_at_page_by_id(scim):
    """A bulk import gives a whole batch one created_at: the seek orders ties by id."""
    _import(scim, 17, created_at=clock.now())
    pages = _read_all(scim, 4)
    assert sum(pages, []) == [f"p{k:04d}@example.com" for k in range(17)]
    assert pages == _offset_pages(scim, 4, 17)


def test_a_filtered_import_has_its_own_cursor_and_counts(scim):
    _import(scim, 10)
    scim_filter = 'userName sw "p000"'
    body, sql = _page(scim, 1, 4, filter=scim_filter)
    unfiltered, _ = _page(scim, 1, 3)
    second, second_sql = _page(scim, 5, 4, filter=scim_filter)
    assert (body["totalResults"], second["totalResults"], unfiltered["totalResults"]) == (10, 10, 10)
    assert _names(second) == [f"p{k:04d}@example.com" for k in range(4, 8)]
    assert SEEK.search(next(q for q in second_sql if "LIMIT 4" in q))
    assert [q for q in sql if "COUNT(" in q.upper()]  # a filtered list still counts


def test_a_sorted_list_never_uses_a_cursor(scim):
    _import(scim, 8)
    _page(scim, 1, 3, sortBy="userName", sortOrder="descending")
    body, sql = _page(scim, 4, 3, sortBy="userName", sortOrder="descending")
    assert _names(body) == ["p0004@example.com", "p0003@example.com", "p0002@example.com"]
    assert not any(SEEK.search(q) for q in sql)


def test_another_tokens_cursor_is_not_this_ones(scim, make_scim):
    """Cursors are per token: a second token of the same group reading page 2 cold uses OFFSET."""
    _import(scim, 8)
    _page(scim, 1, 3)
    from scim.tokens import scim_token_create

    _, plaintext = scim_token_create(account=scim.account, sso_group=scim.group, label="two", created_by=None)
    other = type(scim)(client=scim.client, token=plaintext, account=scim.account, group=scim.group, token_obj=None)
    body, sql = _page(other, 4, 3)
    assert _names(body) == ["p0003@example.com", "p0004@example.com", "p0005@example.com"]
    assert not any(SEEK.search(q) for q in sql)


def test_a_shared_cache_holds_the_cursor_for_every_worker(scim, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "pg"}}
    _import(scim, 8)
    _page(scim, 1, 3)
    assert cursors._local.items == {}  # not in the process: in the shared cache
    body, sql = _page(scim, 4, 3)
    assert _names(body) == ["p0003@example.com", "p0004@example.com", "p0005@example.com"]
    assert any(SEEK.search(q) for q in sql)


def test_a_cache_that_is_down_means_offset_not_an_error(scim, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": "redis://127.0.0.1:9/0"}}  # fmt: skip
    _import(scim, 8)
    first, _ = _page(scim, 1, 3)
    body, sql = _page(scim, 4, 3)
    assert _names(first) + _names(body) == [f"p{k:04d}@example.com" for k in range(6)]
    assert not any(SEEK.search(q) for q in sql)


def test_count_zero_answers_the_maintained_total(scim, django_assert_max_num_queries):
    _import(scim, 7)
    ScimToken.objects.filter(pk=scim.token_obj.pk).update(last_used_at=clock.now())  # no touch to count
    with django_assert_max_num_queries(2):  # the token, the count
        body = scim.get("/Users", {"count": "0"}).json()
    assert (body["totalResults"], body["Resources"]) == (7, [])


def test_the_maintained_total_is_the_groups_users_only(scim, sibling_scim):
    """Password users and a sibling group's users are in the account, not in this group's total."""
    _import(scim, 3)
    sibling_scim.create_user("theirs@example.com")
    scim.create_user("mine@example.com", active=False)  # deactivated users are still listed
    body, _ = _page(scim, 1, 2)
    assert body["totalResults"] == users_of(scim.group).count() == 4


@pytest.fixture
def sibling_scim(scim, make_ssogroup):
    from scim.tokens import scim_token_create

    group = make_ssogroup(scim.account)
    _, plaintext = scim_token_create(account=scim.account, sso_group=group, label="sibling", created_by=None)
    return type(scim)(client=scim.client, token=plaintext, account=scim.account, group=group, token_obj=None)


def test_a_post_then_a_page(scim):
    scim.post("/Users", {"schemas": [USER_SCHEMA], "userName": "one@example.com"})
    assert scim.get("/Users").json()["totalResults"] == 1


def test_a_lookup_or_a_last_page_leaves_no_cursor(scim):
    """Only a full page can be continued: a lookup (one user of a hundred asked) and a short last
    page store nothing, so they cost no round trip to the shared cache."""
    _import(scim, 5)
    scim.get("/Users", {"filter": 'userName eq "p0001@example.com"'})
    _page(scim, 1, 10)
    assert cursors._local.items == {}
    _page(scim, 1, 5)
    assert len(cursors._local.items) == 1
