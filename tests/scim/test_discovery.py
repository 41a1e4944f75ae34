"""ServiceProviderConfig, ResourceTypes, Schemas: truthful, readable by id, read-only, SCIM 404s."""

import pytest

from scim.schemas import SCHEMAS

from .conftest import BASE, ENTERPRISE, GROUP_SCHEMA, LIST, SPARKPOST, USER_SCHEMA, error

URL = f"https://sso.example.test{BASE}"


def test_service_provider_config(scim):
    response = scim.get("/ServiceProviderConfig")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/scim+json"
    assert response.json() == {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
        "documentationUri": "https://datatracker.ietf.org/doc/html/rfc7644",
        "patch": {"supported": True},
        "bulk": {"supported": False, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": True, "maxResults": 200},
        "changePassword": {"supported": False},
        "sort": {"supported": True},
        "etag": {"supported": True},
        "authenticationSchemes": [
            {
                "type": "oauthbearertoken",
                "name": "Bearer token",
                "description": "A SCIM token generated in Account settings → Single Sign-On, sent as "
                "'Authorization: Bearer <token>'.",
                "primary": True,
            }
        ],
        "meta": {"resourceType": "ServiceProviderConfig", "location": f"{URL}/ServiceProviderConfig"},
    }


def test_resource_types_list_and_by_id(scim):
    user_type = {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
        "id": "User",
        "name": "User",
        "endpoint": "/Users",
        "description": "User accounts",
        "schema": USER_SCHEMA,
        "schemaExtensions": [{"schema": ENTERPRISE, "required": False}, {"schema": SPARKPOST, "required": False}],
        "meta": {"resourceType": "ResourceType", "location": f"{URL}/ResourceTypes/User"},
    }
    listed = scim.get("/ResourceTypes").json()
    assert (listed["schemas"], listed["totalResults"], listed["Resources"][0]) == ([LIST], 2, user_type)
    assert scim.get("/ResourceTypes/User").json() == user_type
    assert scim.get("/ResourceTypes/Group").json()["schema"] == GROUP_SCHEMA


def test_schemas_list_and_by_id_including_the_sparkpost_role(scim):
    listed = scim.get("/Schemas").json()
    assert [s["id"] for s in listed["Resources"]] == [USER_SCHEMA, GROUP_SCHEMA, ENTERPRISE, SPARKPOST]
    sparkpost = scim.get(f"/Schemas/{SPARKPOST}").json()
    assert sparkpost == {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
        "id": SPARKPOST,
        "name": "SparkPostUser",
        "description": "SparkPost role",
        "attributes": [
            {
                "name": "role",
                "type": "string",
                "multiValued": False,
                "description": "The SparkPost role; when unassigned the SSO group's default role applies.",
                "required": False,
                "caseExact": False,
                "mutability": "readWrite",
                "returned": "default",
                "uniqueness": "none",
                "canonicalValues": ["admin", "developer", "templates", "reporting"],
            }
        ],
        "meta": {"resourceType": "Schema", "location": f"{URL}/Schemas/{SPARKPOST}"},
    }
    user = scim.get(f"/Schemas/{USER_SCHEMA}").json()
    assert user["attributes"] == SCHEMAS[USER_SCHEMA]["attributes"]
    assert "password" not in {a["name"] for a in user["attributes"]}


@pytest.mark.parametrize("path", ["/ServiceProviderConfig", "/ResourceTypes", "/Schemas", "/ResourceTypes/User"])
@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_discovery_is_read_only(scim, path, method):
    response = scim.send(method, path, {})
    assert response.status_code == 405
    assert response["Allow"] == "GET"
    assert response.json() == error(405, f"Method {method} is not allowed on {BASE}{path}.")


@pytest.mark.parametrize("path", ["/Schemas/urn:nope", "/ResourceTypes/Robot", "/Robots", "", "/", "/Users/a/b"])
def test_unknown_ids_and_urls_are_scim_404s(scim, path):
    response = scim.get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/scim+json"
    assert response.json()["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]


def test_the_base_url_explains_itself(scim):
    assert scim.get("").json() == error(404, f"No SCIM endpoint at {BASE}.")
    assert scim.get("/").json() == error(404, f"No SCIM endpoint at {BASE}/.")


def test_collection_methods(scim):
    assert scim.send("DELETE", "/Users").status_code == 405
    assert scim.send("PUT", "/Groups", {}).json() == error(405, f"Method PUT is not allowed on {BASE}/Groups.")
    assert scim.get("/Users/.search").status_code == 405


def test_scim_responses_are_never_cached(scim):
    for response in (scim.get("/ServiceProviderConfig"), scim.get("/Users"), scim.get("/nope")):
        assert response["Cache-Control"] == "no-store"
