"""The OpenAPI document is generator-ready: every operation has a stable, unique
``operationId`` (``gateway/api/openapi_ids.py``) and every raw upload a binary body.

No broker and no service: the app is built with a client that is never called.
"""

import re

import pytest
from flask.views import MethodView
from flask_smorest import Blueprint

from gateway.api import openapi_ids
from gateway.api.openapi_ids import OPERATION_IDS, OperationIdError
from parvis_contracts.blobs import LocalBlobStore

METHODS = ("get", "put", "post", "patch", "delete")
ID = re.compile(r"^[a-z][A-Za-z0-9]+$")
BINARY = {"type": "string", "format": "binary"}
#: the raw-body uploads -> the content types their body must describe as binary
RAW_UPLOADS = {
    ("put", "/api/v1/me/photo"): {"image/png", "image/jpeg", "image/webp"},
    ("put", "/api/v1/communities/{community_id}/picture"): {
        "image/png",
        "image/jpeg",
        "image/gif",
        "image/webp",
    },
    ("post", "/api/v1/communities/{community_id}/documents"): {"application/octet-stream"},
    ("post", "/api/v1/documents/{document_id}/versions"): {"application/octet-stream"},
}
DOWNLOADS = {
    ("get", "/api/v1/documents/{document_id}/download"): {"application/octet-stream"},
    ("get", "/api/v1/people/{person_id}/photo"): {"image/png", "image/jpeg", "image/webp"},
    ("get", "/api/v1/communities/{community_id}/picture"): {
        "image/png",
        "image/jpeg",
        "image/gif",
        "image/webp",
    },
    ("get", "/api/v1/me/export"): {"application/zip"},
}


def make_app(tmp_path, **config):
    from gateway.app import create_app

    return create_app(
        {"RPC_CLIENT": object(), "TESTING": True, "BLOB_STORE": LocalBlobStore(tmp_path / "blobs"), **config}
    )


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    return make_app(tmp_path_factory.mktemp("openapi-ids"))


@pytest.fixture(scope="module")
def spec(app):
    response = app.test_client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def operations(spec):
    return {
        (method, path): operation
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    }


def test_every_operation_has_a_unique_readable_operation_id(spec):
    found = operations(spec)
    assert len(found) >= 99
    ids = {key: operation.get("operationId") for key, operation in found.items()}
    missing = sorted(key for key, value in ids.items() if value is None)
    assert not missing, missing
    malformed = sorted(value for value in ids.values() if not ID.fullmatch(value))
    assert not malformed, malformed
    assert len(set(ids.values())) == len(ids), sorted(
        value for value in ids.values() if list(ids.values()).count(value) > 1
    )
    assert openapi_ids.spec_problems(spec) == []


def test_the_ids_are_the_reviewed_table(spec):
    """Every core operation takes its id from the table, and no entry is stale (an
    installed plug-in's operations declare theirs: checked above)."""
    assert openapi_ids.unused_entries(spec) == []
    found = operations(spec)
    for (method, path), operation_id in OPERATION_IDS.items():
        assert found[(method.lower(), path)]["operationId"] == operation_id
    assert len(set(OPERATION_IDS.values())) == len(OPERATION_IDS)
    some = {
        ("POST", "/api/v1/communities"): "createCommunity",
        ("GET", "/api/v1/communities/{community_id}/posts"): "listCommunityPosts",
        ("POST", "/api/v1/communities/{community_id}/join-requests/{user_id}/approve"): "approveJoinRequest",
        ("POST", "/api/v1/auth/sign-in"): "signIn",
    }
    assert {key: OPERATION_IDS[key] for key in some} == some


@pytest.mark.parametrize("key", sorted(RAW_UPLOADS))
def test_raw_uploads_have_a_binary_request_body(spec, key):
    body = operations(spec)[key]["requestBody"]
    assert body["required"] is True
    content = body["content"]
    assert RAW_UPLOADS[key] <= set(content), sorted(content)
    for kind in RAW_UPLOADS[key]:
        assert content[kind]["schema"] == BINARY, (kind, content[kind])
    # nothing a generator cannot build: forms (photos, pictures) or binary only
    for kind, media in content.items():
        if kind != "multipart/form-data":
            assert media["schema"] == BINARY, (kind, media)


@pytest.mark.parametrize("key", sorted(DOWNLOADS))
def test_downloads_answer_binary_content(spec, key):
    content = operations(spec)[key]["responses"]["200"]["content"]
    assert set(content) == DOWNLOADS[key]
    assert all(media["schema"] == BINARY for media in content.values())


# ------------------------------------------------------------------ extension blueprints


def _extension(operation_id=None, path="/openapi-ids-probe"):
    blp = Blueprint("openapi_ids_probe", __name__, url_prefix="/api/v1")
    doc = {"operationId": operation_id} if operation_id else {}

    @blp.route(path)
    class Probe(MethodView):
        @blp.doc(**doc)
        @blp.response(200)
        def get(self):
            """A probe"""
            return {}

    return blp


def test_an_extension_blueprint_declares_its_own_id(tmp_path):
    app = make_app(tmp_path)
    api = app.extensions["parvis_api"]
    api.register_blueprint(_extension("listProbes"))
    spec = api.spec.to_dict()
    assert spec["paths"]["/api/v1/openapi-ids-probe"]["get"]["operationId"] == "listProbes"
    assert openapi_ids.spec_problems(spec) == []


@pytest.mark.parametrize(
    "operation_id, message",
    [
        (None, "has no operationId"),
        ("ListProbes", "does not match"),
        ("list_probes", "does not match"),
        ("createCommunity", "already the id of POST /api/v1/communities"),
    ],
)
def test_an_extension_without_a_proper_id_stops_the_app(tmp_path, operation_id, message):
    api = make_app(tmp_path).extensions["parvis_api"]
    with pytest.raises(OperationIdError, match=message):
        api.register_blueprint(_extension(operation_id))


def test_a_declared_id_contradicting_the_table_is_refused(tmp_path):
    api = make_app(tmp_path).extensions["parvis_api"]
    plugin = api.operation_ids
    plugin.table = {**plugin.table, ("GET", "/api/v1/openapi-ids-probe"): "listProbes"}
    with pytest.raises(OperationIdError, match="lists 'listProbes'"):
        api.register_blueprint(_extension("getProbe"))


def test_spec_problems_reports_missing_and_shared_ids():
    spec = {
        "paths": {
            "/a": {"get": {"operationId": "getA"}, "post": {}},
            "/b": {"get": {"operationId": "getA"}, "parameters": []},
        }
    }
    problems = openapi_ids.spec_problems(spec)
    assert any("POST /a: no operationId" in p for p in problems)
    assert any("GET /b: operationId 'getA' also on GET /a" in p for p in problems)
