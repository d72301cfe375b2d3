"""The running platform as ops and integrators see it: health, metrics, OpenAPI,
the one error shape, replicas."""

import time
import uuid

import requests

from parvis_contracts.plugins import CORE_ORDER, service_names

SERVICES = service_names()

TIMEOUT = 15


def assert_error_shape(response, status, code=None):
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert set(error) == {"status", "code", "message", "details"}, error
    assert error["status"] == status
    assert isinstance(error["message"], str) and error["message"]
    assert isinstance(error["details"], dict)
    if code is not None:
        assert error["code"] == code, error
    return error


def test_healthz_reports_all_five_services_ok(parvis):
    response = requests.get(parvis.url("/healthz"), timeout=TIMEOUT)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "ok"
    assert body["broker"]["status"] == "ok"
    assert set(body["services"]) == set(SERVICES) and set(CORE_ORDER) <= set(SERVICES)
    for name, report in body["services"].items():
        assert report["status"] == "ok", (name, report)
        assert report["service"] == name
        assert report["database"] == "ok"


def test_openapi_document_describes_the_api(parvis):
    response = requests.get(parvis.url("/api/v1/openapi.json"), timeout=TIMEOUT)
    assert response.status_code == 200, response.text
    document = response.json()
    assert document["openapi"].startswith("3.")
    assert document["info"]["title"]
    paths = document["paths"]
    for path in (
        "/api/v1/auth/sign-in",
        "/api/v1/me",
        "/api/v1/people",
        "/api/v1/people/{person_id}",
        "/api/v1/admin/people",
    ):
        assert path in paths, sorted(paths)
    docs_page = requests.get(parvis.url("/api/v1/docs"), timeout=TIMEOUT)
    assert docs_page.status_code == 200
    assert "text/html" in docs_page.headers["Content-Type"]


def test_gateway_exposes_its_metrics(parvis):
    requests.get(parvis.url("/healthz"), timeout=TIMEOUT)
    response = requests.get(parvis.url("/metrics"), timeout=TIMEOUT)
    assert response.status_code == 200
    text = response.text
    assert "parvis_gateway_requests_total" in text
    assert "parvis_gateway_request_duration_seconds" in text
    # the /healthz request above was counted (workers aggregate through the multiprocess dir)
    assert any(
        line.startswith("parvis_gateway_requests_total{") and 'endpoint="ops.healthz"' in line
        for line in text.splitlines()
    ), text[:2000]


def test_every_service_exposes_rpc_metrics_on_its_port(parvis):
    # every service has answered at least one health call (launcher + /healthz)
    requests.get(parvis.url("/healthz"), timeout=TIMEOUT)
    for name in SERVICES:
        ports = parvis.platform.metrics_ports(name)
        assert ports, name
        for port in ports:
            response = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=TIMEOUT)
            assert response.status_code == 200
            lines = [
                line for line in response.text.splitlines() if line.startswith("parvis_rpc_calls_total{")
            ]
            assert any(f'service="{name}"' in line and 'method="health"' in line for line in lines), (
                name,
                port,
                lines,
            )


def test_every_service_process_answers_the_readiness_probe(parvis):
    import subprocess
    import sys

    for name in SERVICES:
        for port in parvis.platform.metrics_ports(name):
            result = subprocess.run(
                [sys.executable, "-m", "parvis_contracts.probe", "--port", str(port)],
                capture_output=True,
                timeout=30,
            )
            assert result.returncode == 0, (name, port, result.stderr)
    closed = subprocess.run(
        [sys.executable, "-m", "parvis_contracts.probe", "--port", "9"], capture_output=True, timeout=30
    )
    assert closed.returncode == 1


def test_api_errors_come_in_one_shape(parvis):
    # not signed in
    assert_error_shape(requests.get(parvis.url("/api/v1/me"), timeout=TIMEOUT), 401, "unauthenticated")
    # a forged bearer token
    assert_error_shape(
        requests.get(
            parvis.url("/api/v1/me"), timeout=TIMEOUT, headers={"Authorization": "Bearer not-a-session"}
        ),
        401,
    )
    # an unknown route under the API
    assert_error_shape(requests.get(parvis.url("/api/v1/no-such-thing"), timeout=TIMEOUT), 404)
    # invalid input
    error = assert_error_shape(
        requests.post(parvis.url("/api/v1/auth/sign-in"), json={"email": "x"}, timeout=TIMEOUT),
        422,
        "validation_failed",
    )
    assert error["details"]
    # malformed JSON
    assert_error_shape(
        requests.post(
            parvis.url("/api/v1/auth/sign-in"),
            data="{not json",
            headers={"Content-Type": "application/json"},
            timeout=TIMEOUT,
        ),
        400,
    )
    # a remote NotFound from identity
    employee = parvis.api("employee_de")
    assert_error_shape(employee.get("/api/v1/people/00000000-0000-4000-8000-000000000000"), 404, "not_found")
    # a remote Forbidden: an employee is not an admin
    assert_error_shape(employee.get("/api/v1/admin/people"), 403, "forbidden")


def test_what_is_written_is_found_by_the_search_plugin_and_only_by_its_readers(parvis):
    """The search plug-in runs in the platform: it hears the feed's and the communities'
    events on the real broker and answers the gateway's route."""
    word = f"quaywharf{uuid.uuid4().hex[:8]}"
    author, guest = parvis.api("employee_en"), parvis.api("guest")
    made = author.post(
        "/api/v1/communities",
        json={"name": f"Search e2e {word}", "kind": "project", "visibility": "open"},
    )
    assert made.status_code == 201, made.text
    cid = made.json()["id"]
    deadline = time.monotonic() + 20
    while author.get(f"/api/v1/communities/{cid}/posts").status_code != 200:
        assert time.monotonic() < deadline, "the feed never learnt of the community"
        time.sleep(0.2)
    posted = author.post(f"/api/v1/communities/{cid}/posts", json={"body": f"Deliveries by the {word}"})
    assert posted.status_code == 201, posted.text

    def found(api) -> list:
        response = api.get("/api/v1/search", params={"q": word})
        assert response.status_code == 200, response.text
        return sorted((item["kind"], item["id"]) for item in response.json()["items"])

    # the post, and the community whose name holds the word
    expected = sorted([("post", posted.json()["id"]), ("community", cid)])
    while found(author) != expected:
        assert time.monotonic() < deadline + 20, "the post never reached the index"
        time.sleep(0.2)
    assert found(parvis.api("employee_fr")) == expected  # open to every employee
    assert found(guest) == []  # never to a guest who is not a member
    assert_error_shape(requests.get(parvis.url("/api/v1/search?q=x"), timeout=TIMEOUT), 401)


def test_a_service_with_two_replicas_answers_from_both(parvis):
    platform = parvis.platform
    service = "translation"
    platform.scale(service, 2)
    try:
        children = platform.service_children(service)
        assert len(children) == 2 and children[0].pid != children[1].pid
        instances = set()
        deadline = time.monotonic() + 30
        while len(instances) < 2 and time.monotonic() < deadline:
            report = platform.health(service)
            assert report["status"] == "ok"
            instances.add(report["instance"])
            time.sleep(0.05)
        assert len(instances) == 2, instances
        assert {i.rsplit(":", 1)[1] for i in instances} == {str(c.pid) for c in children}
    finally:
        platform.scale(service, 1)
    assert len(platform.service_children(service)) == 1
    assert platform.health(service)["status"] == "ok"
