"""The access rules file is complete: it parses, every actor's cell is filled, and every
operation of the gateway's API (its OpenAPI document and its routes under /api/v1) has a row.

No broker and no service: the app is built with a client that is never called.
"""

import re

import pytest

from parvis_contracts.blobs import LocalBlobStore
from tests import authz_rules as rules


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    from gateway.app import create_app

    blobs = LocalBlobStore(tmp_path_factory.mktemp("blobs"))
    return create_app({"RPC_CLIENT": object(), "TESTING": True, "BLOB_STORE": blobs})


def _openapi_path(rule: str) -> str:
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def spec_operations(app) -> dict[str, dict]:
    spec = app.extensions["parvis_api"].spec.to_dict()
    return {
        f"{method.upper()} {path}": op
        for path, item in spec["paths"].items()
        for method, op in item.items()
        if method.upper() in rules.HTTP_METHODS
    }


def route_operations(app) -> dict[str, str]:
    """Every ``METHOD /api/v1/...`` route of the app -> its endpoint."""
    found = {}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(rules.API_PREFIX):
            continue
        for method in rule.methods & set(rules.HTTP_METHODS):
            found[f"{method} {_openapi_path(rule.rule)}"] = rule.endpoint
    return found


def api_operations(app) -> set[str]:
    return set(spec_operations(app)) | set(route_operations(app))


def test_the_file_parses_and_every_actor_cell_is_filled():
    rows = rules.rows()
    assert len(rows) >= 20
    for row in rows:
        for actor in rules.ACTORS:
            assert row.expect.get(actor) is not None, (row.id, actor)
    # every line of the access table the issue lists has at least one row
    encoded = " | ".join(row.authz for row in rows)
    for line in (
        "list communities",
        "read A",
        "read B / S",
        "read C",
        "post, comment, like, upload in A",
        "edit or delete someone else's content in A",
        "invite employees to A, approve join requests",
        "invite guests to A",
        "archive / reopen A, appoint managers of A",
        "create a community",
        "see a person's profile",
        "see employees-only profile fields",
        "mention someone",
        "grant admin / global community manager",
        "read the audit log, network analytics",
    ):
        assert line in encoded, f"no row encodes '{line}'"


def test_every_api_operation_has_a_row(app):
    problems = rules.coverage_problems(api_operations(app))
    assert not problems, "access rules and API disagree:\n  " + "\n  ".join(problems)


def test_the_coverage_check_names_a_missing_and_a_stale_operation(app):
    operations = api_operations(app)
    problems = rules.coverage_problems(operations | {"GET /api/v1/nowhere/{thing_id}"})
    assert problems == [
        "GET /api/v1/nowhere/{thing_id} has no row in authz_rules.yaml (or a "
        "plug-in's rules file): add it to a rule (or to 'other' as self/public, "
        "or to 'pending' with its issue number)"
    ]
    gone = sorted(operations)[0]
    problems = rules.coverage_problems(operations - {gone})
    assert len(problems) == 1 and problems[0].startswith(f"{gone} is listed under ")
    assert problems[0].endswith("is not an operation of the API (any more)")


def test_no_operation_is_pending_any_more():
    """Documents (issue 4) and translation (issue 5) have their rows."""
    assert rules.pending() == []


def test_pending_entries_name_their_issue_and_are_not_also_rules():
    for entry in rules.pending():
        assert isinstance(entry["issue"], int)
    rules.listed_operations()  # raises when one operation is in two sections


def test_public_and_self_operations_match_what_the_gateway_enforces(app):
    """`public` operations are open to visitors (and documented so), every other one needs a
    signed-in person."""
    from gateway.auth import is_public

    documented = spec_operations(app)
    endpoints = route_operations(app)
    public = {" ".join(rules.parse_op(e["op"])) for e in rules.other() if e["rule"] == "public"}
    with app.test_request_context():
        for key, endpoint in endpoints.items():
            assert is_public(endpoint) == (key in public), key
            if key in documented:
                assert (documented[key].get("security") == []) == (key in public), key


def test_rpc_names_are_methods_of_the_owning_service():
    from parvis_contracts.plugins import load_object, service_plugins

    services = {name: load_object(p.service) for name, p in service_plugins().items()}
    for row in rules.rows():
        for op in row.operations:
            assert op.service in services, (row.id, op.rpc)
            assert callable(getattr(services[op.service], op.method_name, None)), (row.id, op.rpc)


def test_derived_answers_in_each_state():
    by_id = {case.id: case.expected for case in rules.cases()}
    assert by_id["write_a:POST /communities/{community_id}/posts:member_a:http:archived"] == "403"
    assert by_id["read_a:GET /communities/{community_id}/posts:member_a:rpc:archived"] == "Y"
    assert by_id["write_a:POST /communities/{community_id}/posts:employee:http:archived"] == "404"
    assert by_id["govern_a:POST /communities/{community_id}/reopen:manager_a:http:archived"] == "Y"
    assert by_id["read_a:GET /posts/{post_id}:guest_a:http:guest_removed"] == "404"
    assert by_id["read_a:GET /posts/{post_id}:admin:rpc:post_deleted"] == "404"
    assert by_id["read_a:GET /posts/{post_id}:signed_out:rpc:post_deleted"] == "401"
    assert by_id["create_community:POST /communities:member_a:http:deactivated"] == "401"
    assert by_id["directory:GET /people:guest_a:rpc:guest_expired"] == "401"
    assert "read_a:GET /communities/{community_id}/posts:admin:http:post_deleted" not in by_id
    assert "read_c:GET /communities/{community_id}/posts:admin:http:archived" not in by_id
    # a second use of one operation in a row has its own id; reads stay, uploads are refused
    assert by_id["read_a:GET /documents/{document_id}/download (old version):guest_a:rpc"] == "Y"
    assert by_id["read_a:GET /documents/{document_id}/download:member_a:http:archived"] == "Y"
    assert by_id["write_a:POST /communities/{community_id}/documents:guest_a:http:archived"] == "403"
    assert by_id["documents_bin_a:GET /communities/{community_id}/bin:manager_a:rpc:archived"] == "Y"
    assert "read_a:POST /translations:admin:http:post_deleted" in by_id
    assert len(by_id) == len(rules.cases())  # ids are unique


def test_a_visitor_gets_401_from_every_operation_but_the_public_ones(app):
    """Signed out is 401 in every row and for every `self` operation: the gateway refuses
    before any service is asked (this app's RPC client cannot call anything)."""
    public = {" ".join(rules.parse_op(e["op"])) for e in rules.other() if e["rule"] == "public"}
    pending = {" ".join(rules.parse_op(e["op"])) for e in rules.pending()}
    client = app.test_client()
    checked = 0
    for key in sorted(set(rules.listed_operations()) - public - pending):
        method, path = key.split(" ", 1)
        url = re.sub(r"{number}", "1", path)  # an <int:number> route part
        url = re.sub(r"{[^{}]+}", "00000000-0000-4000-8000-000000000000", url)
        response = client.open(url, method=method, json={} if method != "GET" else None)
        assert response.status_code == 401, (key, response.status_code, response.get_data())
        assert response.get_json()["error"]["code"] == "unauthenticated", key
        checked += 1
    assert checked >= 60
