"""The OpenAPI document is a contract a client can be generated from.

Fetches the running gateway's ``/api/v1/openapi.json``, generates a Python client
with openapi-python-client (offline, as a subprocess of this virtualenv) into a
temporary directory, imports it and drives the platform with it alone: sign in
for a bearer token, create a community, post on its wall and read the post back,
upload a PDF as raw bytes and download the same bytes.
"""

from __future__ import annotations

import importlib
import io
import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests

PACKAGE = "parvis_generated_client"
GENERATE_TIMEOUT = 300
PDF = b"%PDF-1.4\n% generated client\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n%%EOF\n"


def generator_command() -> list[str]:
    script = Path(sys.executable).with_name("openapi-python-client")
    return [str(script)] if script.exists() else [sys.executable, "-m", "openapi_python_client"]


@pytest.fixture(scope="module")
def document(parvis) -> dict:
    response = requests.get(parvis.url("/api/v1/openapi.json"), timeout=15)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture(scope="module")
def client_package(document, tmp_path_factory):
    """The generated package, imported from a temporary directory (removed after)."""
    root = tmp_path_factory.mktemp("generated-client")
    spec_path = root / "openapi.json"
    spec_path.write_text(json.dumps(document), encoding="utf-8")
    config = root / "config.json"
    # no formatting hooks: nothing but the generator runs, and no network
    config.write_text(json.dumps({"post_hooks": []}), encoding="utf-8")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    done = subprocess.run(
        [
            *generator_command(),
            "generate",
            "--path",
            str(spec_path),
            "--meta",
            "none",
            "--output-path",
            str(root / PACKAGE),
            "--config",
            str(config),
        ],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=GENERATE_TIMEOUT,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert (root / PACKAGE / "client.py").exists(), done.stdout + done.stderr
    sys.path.insert(0, str(root))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(root))
        for name in [n for n in sys.modules if n == PACKAGE or n.startswith(PACKAGE + ".")]:
            del sys.modules[name]


def module(name: str):
    return importlib.import_module(f"{PACKAGE}.{name}")


def eventually(call, accept, timeout: float = 20.0):
    """``call()`` until ``accept(answer)`` (read models fill through events)."""
    deadline = time.monotonic() + timeout
    while True:
        answer = call()
        if accept(answer) or time.monotonic() > deadline:
            return answer
        time.sleep(0.2)


def test_the_document_names_every_operation(document):
    ids = [
        operation.get("operationId")
        for item in document["paths"].values()
        for method, operation in item.items()
        if method in ("get", "put", "post", "patch", "delete")
    ]
    assert len(ids) >= 99 and None not in ids
    assert len(set(ids)) == len(ids)
    assert {
        "signIn",
        "createCommunity",
        "createPost",
        "getPost",
        "uploadDocument",
        "downloadDocument",
    } <= set(ids)


def test_a_generated_client_drives_the_platform(parvis, client_package):
    from http import HTTPStatus

    models = module("models")
    types = module("types")
    account = parvis.accounts["employee_fr"]

    # sign in: the session and a bearer token
    anonymous = client_package.Client(base_url=parvis.base_url, timeout=15)
    signed = module("api.auth.sign_in").sync_detailed(
        client=anonymous,
        body=models.SignIn(email=account["email"], password=account["password"], issue_token=True),
    )
    assert signed.status_code == HTTPStatus.OK, signed.content
    session = signed.parsed
    assert isinstance(session, models.Session)
    assert session.person.email == account["email"]
    assert isinstance(session.token, str) and len(session.token) >= 20
    client = client_package.AuthenticatedClient(base_url=parvis.base_url, token=session.token, timeout=15)
    me = module("api.people.get_me").sync(client=client)
    assert isinstance(me, models.Me) and me.id == account["id"]

    # a community
    name = f"Generated client {uuid.uuid4().hex[:8]}"
    created = module("api.communities.create_community").sync_detailed(
        client=client,
        body=models.CommunityCreate(
            name=name,
            kind=models.CommunityCreateKind.PROJECT,
            visibility=models.CommunityCreateVisibility.OPEN,
            description="Made by openapi-python-client",
        ),
    )
    assert created.status_code == HTTPStatus.CREATED, created.content
    community = created.parsed
    assert isinstance(community, models.Community)
    assert community.name == name and community.id
    read_back = module("api.communities.get_community").sync(community.id, client=client)
    assert isinstance(read_back, models.Community)
    assert (read_back.id, read_back.name) == (community.id, name)

    # a post on its wall, read back
    wall = eventually(
        lambda: module("api.feed.list_community_posts").sync_detailed(community.id, client=client),
        lambda answer: answer.status_code == HTTPStatus.OK,
    )
    assert wall.status_code == HTTPStatus.OK, wall.content
    text = "Hello from a generated client #codegen"
    posted = module("api.feed.create_post").sync_detailed(
        community.id, client=client, body=models.PostCreate(body=text)
    )
    assert posted.status_code == HTTPStatus.CREATED, posted.content
    post = posted.parsed
    assert isinstance(post, models.Post) and post.body == text
    fetched = module("api.feed.get_post").sync(post.id, client=client)
    assert isinstance(fetched, models.Post)
    assert (fetched.id, fetched.body, fetched.community_id) == (post.id, text, community.id)
    listed = module("api.feed.list_community_posts").sync(community.id, client=client)
    assert post.id in [item.id for item in listed.items]

    # a document: raw bytes up, the same bytes down
    folder = eventually(
        lambda: module("api.documents.list_community_documents").sync_detailed(community.id, client=client),
        lambda answer: answer.status_code == HTTPStatus.OK,
    )
    assert folder.status_code == HTTPStatus.OK, folder.content
    uploaded = module("api.documents.upload_document").sync_detailed(
        community.id,
        client=client,
        name="generated-report.pdf",
        body=types.File(
            payload=io.BytesIO(PDF), file_name="generated-report.pdf", mime_type="application/octet-stream"
        ),
    )
    assert uploaded.status_code == HTTPStatus.CREATED, uploaded.content
    stored = uploaded.parsed
    assert isinstance(stored, models.Document)
    assert (stored.name, stored.size, stored.version) == ("generated-report.pdf", len(PDF), 1)
    assert stored.content_type == "application/pdf"
    downloaded = module("api.documents.download_document").sync_detailed(stored.id, client=client)
    assert downloaded.status_code == HTTPStatus.OK, downloaded.content
    assert isinstance(downloaded.parsed, types.File)
    assert downloaded.parsed.payload.read() == PDF
    assert downloaded.headers["content-type"].startswith("application/pdf")
    assert downloaded.headers["etag"] == f'"{stored.sha256}"'
