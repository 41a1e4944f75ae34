"""SCIM 2.0 endpoints (RFC 7644): discovery, Users, Groups, searches. Thin: parse, call, serialise."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponse

from accounts.event_types import EventType
from scim import discovery
from scim.constants import LIST_SCHEMA, MSG_NO_ENDPOINT, MSG_NOT_FOUND, SEARCH_SCHEMA
from scim.cursors import PageCursor, cursor_get, cursor_key, cursor_put
from scim.errors import ScimError, failures_recorded_as, scim_response
from scim.group_handler import GroupHandler
from scim.handlers import ResourceHandler
from scim.http import ScimRequest, scim_endpoint
from scim.query import ListParams, Projection, RowAfter, filtered, list_params
from scim.representation import etag_matches
from scim.resource_types import GROUP, RESOURCE_TYPES, USER, ResourceType
from scim.user_handler import UserHandler

READ_ONLY = ("GET",)
MAX_OFFSET = 2**62


def _list_body(docs: list[dict[str, Any]], total: int, start: int) -> dict[str, Any]:
    return {"schemas": [LIST_SCHEMA], "totalResults": total, "startIndex": start, "itemsPerPage": len(docs),
            "Resources": docs}  # fmt: skip


@scim_endpoint(*READ_ONLY)
def service_provider_config_view(scim_request: ScimRequest) -> HttpResponse:
    return scim_response(discovery.service_provider_config())


def _discovery(items: dict[str, dict[str, Any]], item_id: str | None) -> HttpResponse:
    if item_id is None:
        docs = list(items.values())
        return scim_response(_list_body(docs, len(docs), 1))
    found = next((doc for key, doc in items.items() if key.lower() == item_id.lower()), None)
    if found is None:
        raise ScimError(404, MSG_NOT_FOUND.format(id=item_id))
    return scim_response(found)


@scim_endpoint(*READ_ONLY)
def resource_types_view(scim_request: ScimRequest, item_id: str | None = None) -> HttpResponse:
    return _discovery(discovery.resource_types(), item_id)


@scim_endpoint(*READ_ONLY)
def schemas_view(scim_request: ScimRequest, item_id: str | None = None) -> HttpResponse:
    return _discovery(discovery.schemas(), item_id)


@scim_endpoint("GET", "POST", "PUT", "PATCH", "DELETE")
def not_found_view(scim_request: ScimRequest, rest: str = "") -> HttpResponse:
    raise ScimError(404, MSG_NO_ENDPOINT.format(path=scim_request.request.path))


HANDLERS: dict[ResourceType, type[ResourceHandler]] = {USER: UserHandler, GROUP: GroupHandler}


def _handler(scim_request: ScimRequest, resource_type: ResourceType) -> ResourceHandler:
    return HANDLERS[resource_type](token=scim_request.token, request=scim_request.request)


def _query_params(scim_request: ScimRequest) -> ListParams:
    return list_params({key: scim_request.request.GET.get(key) for key in scim_request.request.GET})


def _one(doc: dict[str, Any], projection: Projection, status: int = 200) -> HttpResponse:
    headers = {"ETag": doc["meta"]["version"]}
    if status == 201:
        headers["Location"] = doc["meta"]["location"]
    return scim_response(projection.apply(doc), status=status, headers=headers)


def _keys(queryset: QuerySet, skip: int, room: int, cursor: PageCursor | None) -> QuerySet:
    """One page's keys in the list's order, read from the index alone (accounts_user_list_order: no
    table rows are read for the rows passed over). With a cursor they start after its key, which is
    one index seek at any depth; without one, OFFSET steps over ``skip`` index entries."""
    keys = queryset.prefetch_related(None).values_list("pk", flat=True)
    if cursor is None:
        return keys[skip : skip + room]
    return keys.filter(RowAfter(cursor.created_at, cursor.pk))[:room]


def _page(
    handler: ResourceHandler,
    queryset: QuerySet,
    skip: int,
    room: int,
    *,
    unfiltered: bool = False,
    cursor_key: str | None = None,
) -> tuple[int, list[dict[str, Any]]]:
    """(total, the page's documents), inside the one query that reads the page's rows.

    ``cursor_key``: this list remembers where its pages end (scim.cursors), so the next sequential
    page seeks. The total of an unfiltered list is the group's maintained count; a filtered one
    sends COUNT only when the page cannot tell the total: a lookup (`userName eq`) never counts."""
    if skip > MAX_OFFSET:  # no database counts that far (SQLite and PostgreSQL offsets are 64-bit)
        return queryset.count(), []
    cursor = cursor_get(cursor_key, start_index=skip + 1) if cursor_key and skip and room else None
    rows = handler.page_rows(_keys(queryset, skip, room, cursor), ordering=queryset.query.order_by) if room else []
    if cursor_key and rows and len(rows) == room:  # a short page ended the list: nothing to continue
        last = rows[-1][0]
        cursor_put(cursor_key, PageCursor(start_index=skip + 1 + len(rows), created_at=last.created_at, pk=last.pk))
    docs = [doc for _, doc in rows]
    if cursor is None and (0 < len(docs) < room or (room and not docs and not skip)):
        return skip + len(docs), docs
    total = handler.total() if unfiltered else None
    return (queryset.count() if total is None else total), docs


def _search(scim_request: ScimRequest, resource_types: tuple[ResourceType, ...], params: ListParams) -> HttpResponse:
    """One page over one or several resource types (a root search lists Users, then Groups).

    Reads write nothing: a lookup that fails records its event (as JumpCloud's Directory Insights
    does), one that answers does not.
    """
    handlers = [_handler(scim_request, resource_type) for resource_type in resource_types]
    with failures_recorded_as(handlers[0].event("lookup"), params.filter or ""):
        querysets = []
        for handler in handlers:
            try:
                querysets.append((handler, filtered(handler.queryset(), handler.resource_type, params)))
            except ScimError:
                if len(handlers) == 1:
                    raise
        if not querysets:  # a root search whose filter fits no resource type
            user_handler = _handler(scim_request, USER)
            querysets.append((user_handler, filtered(user_handler.queryset(), USER, params)))
        total, docs, skip, room = 0, [], params.start_index - 1, params.count
        # A list of one type in the default order remembers where its pages end (scim.cursors).
        sequential = len(handlers) == 1 and params.sort_by is None
        for handler, queryset in querysets:
            projection = Projection.of(params, handler.resource_type)
            key = cursor_key(token_digest=scim_request.token.digest, resource_type=handler.resource_type, params=params)
            count, page = _page(handler, queryset, skip, room, unfiltered=params.filter is None,
                                cursor_key=key if sequential else None)  # fmt: skip
            total += count
            docs += [projection.apply(doc) for doc in page]
            room -= len(page)
            skip = max(0, skip - count)
    return scim_response(_list_body(docs, total, params.start_index))


def _search_params(scim_request: ScimRequest) -> ListParams:
    body = scim_request.body
    if not isinstance(body, dict):
        raise ScimError(400, "The request body must be a SearchRequest object.", "invalidSyntax")
    schemas = body.get("schemas")
    if schemas is not None and (not isinstance(schemas, list) or SEARCH_SCHEMA not in schemas):
        raise ScimError(400, f"The 'schemas' attribute must be [{SEARCH_SCHEMA!r}].", "invalidSyntax")
    return list_params({k: v for k, v in body.items() if k != "schemas"})


def _params(
    scim_request: ScimRequest, event: EventType, target: str, parse: Callable[[ScimRequest], ListParams]
) -> ListParams:
    """The list parameters, parsed before any work; refused ones record the operation's event."""
    with failures_recorded_as(event, target):
        return parse(scim_request)


def _collection(scim_request: ScimRequest, resource_type: ResourceType) -> HttpResponse:
    handler = _handler(scim_request, resource_type)
    if scim_request.request.method == "GET":
        filter_text = scim_request.request.GET.get("filter") or ""
        params = _params(scim_request, handler.event("lookup"), filter_text, _query_params)
        return _search(scim_request, (resource_type,), params)
    params = _params(scim_request, handler.event("create"), "", _query_params)
    return _one(handler.create(scim_request.body), Projection.of(params, resource_type), status=201)


def _member(scim_request: ScimRequest, resource_type: ResourceType, scim_id: str) -> HttpResponse:
    handler = _handler(scim_request, resource_type)
    request = scim_request.request
    action = {"GET": "lookup", "DELETE": "delete"}.get(request.method, "update")
    projection = Projection.of(_params(scim_request, handler.event(action), scim_id, _query_params), resource_type)
    if request.method == "GET":
        doc = handler.read(scim_id)
        if_none_match = request.headers.get("If-None-Match")
        if if_none_match and etag_matches(if_none_match, doc["meta"]["version"]):
            return scim_response(None, status=304, headers={"ETag": doc["meta"]["version"]})
        return _one(doc, projection)
    doc = handler.change(
        scim_id, method=request.method, body=scim_request.body, if_match=request.headers.get("If-Match")
    )
    if doc is None:
        return scim_response(None, status=204)
    return _one(doc, projection)


@dataclass(frozen=True)
class ResourceViews:
    """The three endpoints of one resource type: /Users, /Users/{id}, /Users/.search (or Groups)."""

    collection: Callable
    member: Callable
    search: Callable


def resource_views(resource_type: ResourceType) -> ResourceViews:
    @scim_endpoint("GET", "POST")
    def collection(scim_request: ScimRequest) -> HttpResponse:
        return _collection(scim_request, resource_type)

    @scim_endpoint("GET", "PUT", "PATCH", "DELETE")
    def member(scim_request: ScimRequest, scim_id: str) -> HttpResponse:
        return _member(scim_request, resource_type, scim_id)

    @scim_endpoint("POST")
    def search(scim_request: ScimRequest) -> HttpResponse:
        params = _params(scim_request, HANDLERS[resource_type].event("lookup"), "", _search_params)
        return _search(scim_request, (resource_type,), params)

    return ResourceViews(collection, member, search)


@scim_endpoint("POST")
def root_search_view(scim_request: ScimRequest) -> HttpResponse:
    params = _params(scim_request, UserHandler.event("lookup"), "", _search_params)  # as its failures
    return _search(scim_request, RESOURCE_TYPES, params)
