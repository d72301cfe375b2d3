"""Every service: starts on its migrated database, answers ``health``, and refuses any
call without a valid caller context before running a line of service code.

"No service code ran" is observed through the ``Metrics`` dependency: it counts every
worker, so a call refused by the entrypoint leaves ``parvis_rpc_calls_total`` unchanged.
"""

import contextlib
import importlib
import time

import pytest
from nameko.containers import ServiceContainer
from prometheus_client import REGISTRY

from parvis_contracts import context as ctx
from parvis_contracts.client import RpcClient
from parvis_contracts.config import nameko_config
from parvis_contracts.errors import ParvisError, Unauthenticated
from parvis_contracts.migrations import upgrade
from tests.support import wait_until

SERVICE_CLASSES = {
    "identity": ("services.identity.service", "IdentityService"),
    "communities": ("services.communities.service", "CommunitiesService"),
    "feed": ("services.feed.service", "FeedService"),
    "documents": ("services.documents.service", "DocumentsService"),
    "translation": ("services.translation.service", "TranslationService"),
}


def person_method(cls) -> str:
    """A method that admits signed-in people only (``whoami`` where it exists)."""
    return "whoami" if hasattr(cls, "whoami") else "get_me"


def calls(service, method, outcome=None) -> float:
    outcomes = [outcome] if outcome else ["ok", "expected", "fault"]
    return sum(
        REGISTRY.get_sample_value(
            "parvis_rpc_calls_total", {"service": service, "method": method, "outcome": o}
        )
        or 0.0
        for o in outcomes
    )


def settles_at(service, method, expected, outcome=None):
    """The metrics dependency counts a worker just after its reply is sent: wait for it,
    then make sure nothing else arrives."""
    wait_until(lambda: calls(service, method, outcome) >= expected, timeout=5)
    time.sleep(0.2)
    return calls(service, method, outcome) == expected


def import_service(name):
    module_name, class_name = SERVICE_CLASSES[name]
    try:
        return getattr(importlib.import_module(module_name), class_name)
    except ModuleNotFoundError as exc:
        if exc.name and module_name.startswith(exc.name):
            return None
        raise


@pytest.fixture(scope="module")
def running(module_vhost, databases):
    """Every service started once for this module, each on a freshly migrated database.

    They start here, in a module-scoped fixture, on purpose: nameko's pytest plugin
    (autouse ``fast_teardown``) stops the consumers of every container created *during*
    a test when that test ends, so a container started inside a test cannot be reused.
    """
    containers = {}
    for name in SERVICE_CLASSES:
        cls = import_service(name)
        if cls is None:
            continue
        url = databases.url(name)
        upgrade(name, url)
        container = ServiceContainer(cls, dict(nameko_config(), AMQP_URI=module_vhost.uri, DB_URL=url))
        container.start()
        containers[name] = container
    yield {name: c.service_cls for name, c in containers.items()}
    for container in containers.values():
        container.stop()


@pytest.fixture(scope="module")
def rpc(module_vhost):
    client = RpcClient(dict(nameko_config(), AMQP_URI=module_vhost.uri), timeout=10)
    yield client
    client.close()


@pytest.fixture(params=list(SERVICE_CLASSES))
def service(request, running):
    if request.param not in running:
        pytest.skip(f"{SERVICE_CLASSES[request.param][0]} does not exist yet")
    return running[request.param]


def test_health_answers_anonymous_and_system_callers(service, rpc, tokens):
    before = calls(service.name, "health", "ok")
    for token in (tokens.anonymous(), tokens.system()):
        report = rpc.call(service.name, "health", token)
        assert report["service"] == service.name
        assert report["status"] == "ok" and report["database"] == "ok"
    assert settles_at(service.name, "health", before + 2, "ok")


def test_a_person_may_call_health_too(service, rpc, tokens):
    assert rpc.call(service.name, "health", tokens.person())["database"] == "ok"


def forged_token():
    return ctx.sign(ctx.Caller(kind=ctx.KIND_SYSTEM), secret=b"not the platform secret")


def expired_token():
    return ctx.sign(
        ctx.Caller(
            kind=ctx.KIND_PERSON,
            user_id="u-1",
            org_id="org-1",
            roles=frozenset({"admin"}),
            expires_at=int(time.time()) - 5,
        )
    )


def tampered_token():
    """A member's valid token whose payload was edited to claim the admin role."""
    genuine = ctx.sign(ctx.Caller(kind=ctx.KIND_PERSON, user_id="u-1", roles=frozenset({"member"})))
    forged_body = ctx.sign(ctx.Caller(kind=ctx.KIND_PERSON, user_id="u-1", roles=frozenset({"admin"}))).split(
        "."
    )[0]
    return forged_body + "." + genuine.split(".")[1]


BAD_CONTEXTS = {
    "none": lambda: None,
    "empty": lambda: "",
    "garbage": lambda: "garbage",
    "dotted-garbage": lambda: "bm90.anNvbg",
    "expired": expired_token,
    "forged-signature": forged_token,
    "tampered-payload": tampered_token,
}


@pytest.mark.parametrize("bad", list(BAD_CONTEXTS))
def test_bad_contexts_are_refused_before_any_service_code(service, rpc, bad):
    method = person_method(service)
    before = {m: calls(service.name, m) for m in ("health", method)}
    for name in ("health", method):
        with pytest.raises(Unauthenticated):
            rpc.call(service.name, name, BAD_CONTEXTS[bad]())
    # a valid call afterwards is counted, the refused ones before it are not
    rpc.call(service.name, "health", ctx.anonymous_caller())
    assert settles_at(service.name, "health", before["health"] + 1)
    assert calls(service.name, method) == before[method]


def test_anonymous_context_is_refused_on_a_person_method(service, rpc, tokens):
    method = person_method(service)
    before = calls(service.name, method)
    health_before = calls(service.name, "health")
    with pytest.raises(Unauthenticated):
        rpc.call(service.name, method, tokens.anonymous())
    # the same anonymous context is fine where the entrypoint admits it
    assert rpc.call(service.name, "health", tokens.anonymous())["service"] == service.name
    assert settles_at(service.name, "health", health_before + 1)
    assert calls(service.name, method) == before


def test_a_valid_person_context_reaches_the_service_unchanged(service, rpc, tokens):
    method = person_method(service)
    before = calls(service.name, method)
    token = tokens.person(
        user_id="u-42", org_id="org-7", roles=("member", "global_community_manager"), guest=False
    )
    if method == "whoami":
        me = rpc.call(service.name, "whoami", token)
        assert me == {
            "kind": "person",
            "user_id": "u-42",
            "org_id": "org-7",
            "roles": ["global_community_manager", "member"],
            "guest": False,
        }
        guest = rpc.call(service.name, "whoami", tokens.person(user_id="g-1", org_id="org-9", guest=True))
        assert guest["guest"] is True and guest["user_id"] == "g-1" and guest["org_id"] == "org-9"
        assert settles_at(service.name, method, before + 2)
    else:
        # no whoami: the context passed the entrypoint and the service's own code ran
        # (it may then refuse an unknown person itself)
        with contextlib.suppress(ParvisError):
            rpc.call(service.name, method, token)
        assert settles_at(service.name, method, before + 1)


def test_system_context_is_admitted_on_a_person_method(service, rpc, tokens):
    if not hasattr(service, "whoami"):
        pytest.skip(f"{service.name} has no whoami")
    assert rpc.call(service.name, "whoami", tokens.system())["kind"] == "system"


def test_metrics_grow_with_calls(service, rpc, tokens):
    before = calls(service.name, "health", "ok")
    for _ in range(3):
        rpc.call(service.name, "health", tokens.anonymous())
    assert settles_at(service.name, "health", before + 3, "ok")
    count = REGISTRY.get_sample_value(
        "parvis_rpc_duration_seconds_count", {"service": service.name, "method": "health"}
    )
    assert count and count >= 3


def test_an_answer_given_on_purpose_is_counted_as_expected_not_as_a_fault(running, rpc, tokens):
    """``outcome="expected"`` for an answer below 500 (here: a person identity does not know
    is refused), so an alert on ``fault`` sees only faults."""
    before = {outcome: calls("identity", "get_person", outcome) for outcome in ("expected", "fault")}
    with pytest.raises(ParvisError) as refused:
        rpc.call("identity", "get_person", tokens.person(), person_id="no-such-person")
    assert refused.value.status < 500
    assert settles_at("identity", "get_person", before["expected"] + 1, "expected")
    assert calls("identity", "get_person", "fault") == before["fault"]
