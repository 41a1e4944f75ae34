"""SCIM 2.0 endpoints (RFC 7644): discovery, Users, Groups, searches. Thin: parse, call, serialise."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpResponse

from scim import discovery, patch, validate
from scim.constants import LIST_SCHEMA, MSG_ETAG_MISMATCH, MSG_NO_ENDPOINT, MSG_NOT_FOUND, SEARCH_SCHEMA
from scim.errors import ScimError, scim_response
from scim.http import Call, scim_endpoint
from scim.kinds import KINDS, USER, Kind
from scim.query import ListParams, filtered, list_params, project
from scim.representation import etag_matches
from scim.resources import Resources

READ_ONLY = ("GET",)
MAX_OFFSET = 2**62


def _list_body(docs: list[dict[str, Any]], total: int, start: int) -> dict[str, Any]:
    return {"schemas": [LIST_SCHEMA], "totalResults": total, "startIndex": start, "itemsPerPage": len(docs),
            "Resources": docs}  # fmt: skip


@scim_endpoint(*READ_ONLY)
def service_provider_config_view(call: Call) -> HttpResponse:
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
def resource_types_view(call: Call, item_id: str | None = None) -> HttpResponse:
    return _discovery(discovery.resource_types(), item_id)


@scim_endpoint(*READ_ONLY)
def schemas_view(call: Call, item_id: str | None = None) -> HttpResponse:
    return _discovery(discovery.schemas(), item_id)


@scim_endpoint("GET", "POST", "PUT", "PATCH", "DELETE")
def not_found_view(call: Call, rest: str = "") -> HttpResponse:
    raise ScimError(404, MSG_NO_ENDPOINT.format(path=call.request.path))


def _resources(call: Call, kind: Kind) -> Resources:
    return Resources(kind=kind, token=call.token, request=call.request)


def _query_params(call: Call) -> ListParams:
    return list_params({key: call.request.GET.get(key) for key in call.request.GET})


def _one(doc: dict[str, Any], kind: Kind, params: ListParams, status: int = 200) -> HttpResponse:
    headers = {"ETag": doc["meta"]["version"]}
    if status == 201:
        headers["Location"] = doc["meta"]["location"]
    return scim_response(project(doc, kind, params), status=status, headers=headers)


def _page(resources: Resources, queryset: QuerySet, skip: int, room: int) -> tuple[int, list[dict[str, Any]]]:
    """(total, the page's documents). The page's keys are read in the list's order from the index
    alone (accounts_user_list_order: no table rows are read for the rows skipped), inside the one
    query that reads the page's rows. COUNT is sent only when the page cannot tell the total: a
    lookup (`userName eq`) never counts."""
    if skip > MAX_OFFSET:  # no database counts that far (SQLite and PostgreSQL offsets are 64-bit)
        return queryset.count(), []
    keys = queryset.prefetch_related(None).values_list("pk", flat=True)[skip : skip + room]
    docs = resources.page_docs(keys, ordering=queryset.query.order_by) if room else []
    if 0 < len(docs) < room or (room and not docs and not skip):
        return skip + len(docs), docs
    return queryset.count(), docs


def _search(call: Call, kinds: tuple[Kind, ...], params: ListParams) -> HttpResponse:
    """One page over one or several resource types (a root search lists Users, then Groups).

    Reads write nothing: a lookup that fails records its event (as JumpCloud's Directory Insights
    does), one that answers does not.
    """
    call.failure_event = _resources(call, kinds[0]).lookup_event
    call.target = params.filter or ""
    querysets = []
    for kind in kinds:
        try:
            querysets.append((kind, filtered(_resources(call, kind).queryset(), kind, params)))
        except ScimError:
            if len(kinds) == 1:
                raise
    if not querysets:  # a root search whose filter fits no resource type
        querysets.append((USER, filtered(_resources(call, USER).queryset(), USER, params)))
    total, docs, skip, room = 0, [], params.start_index - 1, params.count
    for kind, queryset in querysets:
        count, page = _page(_resources(call, kind), queryset, skip, room)
        total += count
        docs += [project(doc, kind, params) for doc in page]
        room -= len(page)
        skip = max(0, skip - count)
    return scim_response(_list_body(docs, total, params.start_index))


def _search_params(call: Call) -> ListParams:
    body = call.body
    if not isinstance(body, dict):
        raise ScimError(400, "The request body must be a SearchRequest object.", "invalidSyntax")
    schemas = body.get("schemas")
    if schemas is not None and (not isinstance(schemas, list) or SEARCH_SCHEMA not in schemas):
        raise ScimError(400, f"The 'schemas' attribute must be [{SEARCH_SCHEMA!r}].", "invalidSyntax")
    return list_params({k: v for k, v in body.items() if k != "schemas"})


def _collection(call: Call, kind: Kind) -> HttpResponse:
    if call.request.method == "GET":
        return _search(call, (kind,), _query_params(call))
    resources = _resources(call, kind)
    call.failure_event = f"{resources.event_prefix}_create_provision"
    doc = validate.resource(call.body, kind)
    call.target = doc.get("userName") or doc.get("displayName") or ""
    created = resources.create(doc)
    return _one(resources.created_doc(created), kind, _query_params(call), status=201)


def _member(call: Call, kind: Kind, scim_id: str) -> HttpResponse:
    resources = _resources(call, kind)
    method = call.request.method
    if method == "GET":  # a read: its event only when it fails (404), like a search's
        call.target, call.failure_event = scim_id, resources.lookup_event
        doc = resources.to_doc(resources.get(scim_id))
        if_none_match = call.request.headers.get("If-None-Match")
        if if_none_match and etag_matches(if_none_match, doc["meta"]["version"]):
            return scim_response(None, status=304, headers={"ETag": doc["meta"]["version"]})
        return _one(doc, kind, _query_params(call))
    call.target = scim_id
    call.failure_event = f"{resources.event_prefix}_{'delete' if method == 'DELETE' else 'update'}_provision"
    with transaction.atomic():
        obj = resources.get(scim_id, for_update=True)
        current = resources.to_doc(obj)
        if_match = call.request.headers.get("If-Match")
        if if_match and not etag_matches(if_match, current["meta"]["version"]):
            raise ScimError(412, MSG_ETAG_MISMATCH)
        if method == "DELETE":
            resources.delete(obj)
            return scim_response(None, status=204)
        if method == "PUT":
            doc = validate.resource(call.body, kind)
        else:
            editable = {k: v for k, v in current.items() if k not in ("schemas", "id", "meta", "groups")}
            doc = patch.apply(editable, call.body, kind)
        resources.update(obj, doc)
    return _one(resources.to_doc(resources.get(scim_id)), kind, _query_params(call))


@dataclass(frozen=True)
class ResourceViews:
    """The three endpoints of one resource type: /Users, /Users/{id}, /Users/.search (or Groups)."""

    collection: Callable
    member: Callable
    search: Callable


def resource_views(kind: Kind) -> ResourceViews:
    @scim_endpoint("GET", "POST")
    def collection(call: Call) -> HttpResponse:
        return _collection(call, kind)

    @scim_endpoint("GET", "PUT", "PATCH", "DELETE")
    def member(call: Call, scim_id: str) -> HttpResponse:
        return _member(call, kind, scim_id)

    @scim_endpoint("POST")
    def search(call: Call) -> HttpResponse:
        return _search(call, (kind,), _search_params(call))

    return ResourceViews(collection, member, search)


@scim_endpoint("POST")
def root_search_view(call: Call) -> HttpResponse:
    return _search(call, KINDS, _search_params(call))
