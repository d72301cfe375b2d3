"""The signed caller context: sign, verify, and every way a token can be wrong."""

import base64
import hashlib
import hmac
import json
import time

import pytest

from parvis_contracts import context as ctx
from parvis_contracts.errors import Unauthenticated

SECRET = b"unit-test-secret"
B64_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def person(**kw):
    values = dict(
        kind=ctx.KIND_PERSON,
        user_id="u-1",
        org_id="o-1",
        roles=frozenset({"member", "admin"}),
        guest=False,
        session_id="s-1",
        lang="fr",
    )
    values.update(kw)
    return ctx.Caller(**values)


def raw_token(payload, secret=SECRET) -> str:
    """A token built by hand, so tests can sign payloads ``sign`` would never produce."""
    body = base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()
    mac = (
        base64.urlsafe_b64encode(hmac.new(secret, body.encode(), hashlib.sha256).digest())
        .rstrip(b"=")
        .decode()
    )
    return f"{body}.{mac}"


def test_roundtrip_keeps_every_field():
    token = ctx.sign(person(), secret=SECRET, ttl=60)
    caller = ctx.verify(token, secret=SECRET)
    assert caller.kind == ctx.KIND_PERSON
    assert (caller.user_id, caller.org_id, caller.session_id, caller.lang) == ("u-1", "o-1", "s-1", "fr")
    assert caller.roles == frozenset({"member", "admin"})
    assert caller.guest is False
    assert time.time() + 55 < caller.expires_at <= time.time() + 61
    assert caller.is_admin and caller.is_global_manager and caller.is_employee


def test_guest_flag_and_roles_survive():
    caller = ctx.verify(
        ctx.sign(person(guest=True, roles=frozenset({"member"})), secret=SECRET), secret=SECRET
    )
    assert caller.guest is True and not caller.is_employee and not caller.is_admin


def test_explicit_expiry_is_kept():
    expires = int(time.time()) + 1000
    caller = ctx.verify(ctx.sign(person(expires_at=expires), secret=SECRET), secret=SECRET)
    assert caller.expires_at == expires


def test_system_and_anonymous_helpers_use_the_platform_secret():
    system = ctx.verify(ctx.system_caller())
    assert system.is_system and system.is_admin and not system.is_person
    anonymous = ctx.verify(ctx.anonymous_caller(lang="de"))
    assert anonymous.kind == ctx.KIND_ANONYMOUS and anonymous.lang == "de"
    assert not anonymous.is_admin and not anonymous.is_employee


def test_tampering_with_any_byte_of_the_body_or_the_mac_is_refused():
    token = ctx.sign(person(), secret=SECRET)
    assert ctx.verify(token, secret=SECRET)
    for i, char in enumerate(token):
        if char == ".":
            continue
        for replacement in {B64_ALPHABET[(B64_ALPHABET.index(char) + 1) % 64], "=", "."}:
            forged = token[:i] + replacement + token[i + 1 :]
            with pytest.raises(Unauthenticated):
                ctx.verify(forged, secret=SECRET)


def test_appended_or_truncated_tokens_are_refused():
    token = ctx.sign(person(), secret=SECRET)
    body, mac = token.split(".")
    for forged in (token + "A", token[:-1], "A" + token, body + ".", "." + mac, body + "." + mac + mac):
        with pytest.raises(Unauthenticated):
            ctx.verify(forged, secret=SECRET)


def test_expired_context_is_refused():
    token = ctx.sign(person(expires_at=int(time.time()) - 1), secret=SECRET)
    with pytest.raises(Unauthenticated, match="expired"):
        ctx.verify(token, secret=SECRET)
    # ...and so is a valid one verified after its expiry
    token = ctx.sign(person(), secret=SECRET, ttl=60)
    assert ctx.verify(token, secret=SECRET, now=time.time() + 30)
    with pytest.raises(Unauthenticated, match="expired"):
        ctx.verify(token, secret=SECRET, now=time.time() + 120)


def test_wrong_secret_is_refused():
    token = ctx.sign(person(), secret=b"another secret")
    with pytest.raises(Unauthenticated, match="signature"):
        ctx.verify(token, secret=SECRET)
    with pytest.raises(Unauthenticated):
        ctx.verify(token)  # the platform secret of the test run


@pytest.mark.parametrize(
    "token", [None, "", 0, 12, b"abc.def", ["a", "b"], {"k": "person"}, "no-dot", "a.b.c", "..", ".", "a.b"]
)
def test_malformed_tokens_are_refused(token):
    with pytest.raises(Unauthenticated):
        ctx.verify(token, secret=SECRET)


@pytest.mark.parametrize(
    "payload",
    [
        {"k": "person"},  # no expiry
        {"k": "person", "e": "soon"},  # expiry not a number
        {"e": int(time.time()) + 60},  # no kind
        ["person", int(time.time()) + 60],  # not an object
        "just a string",
    ],
)
def test_correctly_signed_but_malformed_payloads_are_refused(payload):
    with pytest.raises(Unauthenticated, match="Malformed"):
        ctx.verify(raw_token(payload), secret=SECRET)


def test_signed_body_that_is_not_json_is_refused():
    body = base64.urlsafe_b64encode(b"\xff\xfe not json").rstrip(b"=").decode()
    mac = (
        base64.urlsafe_b64encode(hmac.new(SECRET, body.encode(), hashlib.sha256).digest())
        .rstrip(b"=")
        .decode()
    )
    with pytest.raises(Unauthenticated, match="Malformed"):
        ctx.verify(f"{body}.{mac}", secret=SECRET)


@pytest.mark.parametrize("kind", ["robot", "", "PERSON", "admin"])
def test_unknown_kind_is_refused(kind):
    token = ctx.sign(ctx.Caller(kind=kind, user_id="u-1"), secret=SECRET)
    with pytest.raises(Unauthenticated, match="kind"):
        ctx.verify(token, secret=SECRET)


def test_payload_is_compact_and_roundtrips():
    caller = person(expires_at=123)
    assert ctx.Caller.from_payload(caller.to_payload()) == caller


# --- call contexts: bound to one target, used once -----------------------------------


def bound_token(caller=None, service="feed", method="get_post", **kw):
    return ctx.bind(caller or person(expires_at=int(time.time()) + 60), service, method, secret=SECRET, **kw)


def refused(token, service="feed", method="get_post", **kw):
    """The reason ``accept`` refuses ``token`` with (it must refuse it)."""
    kw.setdefault("memory", ctx.NonceMemory())
    with pytest.raises(Unauthenticated) as info:
        ctx.accept(token, service, method, secret=SECRET, **kw)
    return info.value.reason


def test_a_bound_context_is_accepted_by_its_target_with_the_person_unchanged():
    memory = ctx.NonceMemory()
    caller = ctx.accept(bound_token(), "feed", "get_post", secret=SECRET, memory=memory)
    assert (caller.kind, caller.user_id, caller.org_id, caller.session_id, caller.lang) == (
        ctx.KIND_PERSON,
        "u-1",
        "o-1",
        "s-1",
        "fr",
    )
    assert caller.roles == frozenset({"member", "admin"}) and caller.guest is False
    assert caller.target == "feed.get_post" and len(caller.nonce) >= 16
    assert caller.describe() == ctx.verify(ctx.sign(person(), secret=SECRET), secret=SECRET).describe()
    assert len(memory) == 1


def test_every_bound_context_has_its_own_nonce():
    request = person(expires_at=int(time.time()) + 60)
    nonces = {ctx.verify(bound_token(request), secret=SECRET).nonce for _ in range(1000)}
    assert len(nonces) == 1000


def test_a_bound_context_lives_the_call_ttl_and_never_past_its_request_context(monkeypatch):
    now = time.time()
    long_lived = ctx.verify(bound_token(person(expires_at=int(now) + 3600)), secret=SECRET)
    assert int(now) + 29 <= long_lived.expires_at <= int(now) + 31  # PARVIS_CONTEXT_CALL_TTL: 30
    monkeypatch.setenv("PARVIS_CONTEXT_CALL_TTL", "5")
    assert (
        ctx.verify(bound_token(person(expires_at=int(now) + 3600)), secret=SECRET).expires_at <= int(now) + 6
    )
    ending = ctx.verify(bound_token(person(expires_at=int(now) + 2)), secret=SECRET)
    assert ending.expires_at == int(now) + 2


def test_a_bound_context_is_refused_by_another_method_and_another_service():
    token = bound_token()
    assert refused(token, "feed", "delete_post") == ctx.WRONG_TARGET
    assert refused(token, "identity", "get_post") == ctx.WRONG_TARGET
    assert refused(token, "documents", "describe_documents") == ctx.WRONG_TARGET
    assert refused(token, "feed.get", "post") == ctx.WRONG_TARGET
    # ...and a refusal does not use it up: its own target still takes it once
    memory = ctx.NonceMemory()
    assert ctx.accept(token, "feed", "get_post", secret=SECRET, memory=memory)


def test_a_bound_context_is_refused_when_replayed():
    memory = ctx.NonceMemory()
    token = bound_token()
    ctx.accept(token, "feed", "get_post", secret=SECRET, memory=memory)
    for _ in range(3):
        assert refused(token, memory=memory) == ctx.REPLAYED
    # another context of the same request is a new call
    assert ctx.accept(bound_token(), "feed", "get_post", secret=SECRET, memory=memory)


def test_a_bound_context_is_refused_once_expired():
    token = bound_token()
    expires = ctx.verify(token, secret=SECRET).expires_at
    assert refused(token, now=expires + 1) == ctx.EXPIRED
    assert ctx.accept(token, "feed", "get_post", secret=SECRET, now=expires, memory=ctx.NonceMemory())
    stale = bound_token(person(expires_at=int(time.time()) - 1))
    assert refused(stale) == ctx.EXPIRED


def test_a_request_context_is_never_accepted_on_the_wire():
    for token in (
        ctx.sign(person(), secret=SECRET),
        ctx.sign(ctx.Caller(kind=ctx.KIND_SYSTEM), secret=SECRET),
    ):
        assert ctx.verify(token, secret=SECRET)  # a valid request context...
        assert refused(token) == ctx.WRONG_TARGET  # ...is no call context


def test_every_reason_of_a_refusal():
    assert refused(None) == ctx.MALFORMED
    assert refused("garbage") == ctx.MALFORMED
    assert refused(raw_token({"k": "person", "e": int(time.time()) + 60})) == ctx.WRONG_TARGET
    short_nonce = {"k": "person", "e": int(time.time()) + 60, "t": "feed.get_post", "n": "abc"}
    assert refused(raw_token(short_nonce)) == ctx.MALFORMED
    assert refused(raw_token({**short_nonce, "n": 12345678901234567890})) == ctx.MALFORMED
    assert refused(raw_token({**short_nonce, "n": "x" * 16, "t": ["feed.get_post"]})) == ctx.MALFORMED
    assert refused(ctx.bind(person(), "feed", "get_post", secret=b"another secret")) == ctx.BAD_SIGNATURE
    body, mac = bound_token().split(".")
    assert refused(f"{body}.{mac[:-2]}é") == ctx.BAD_SIGNATURE  # any text in a header
    anonymous = bound_token(ctx.Caller(kind=ctx.KIND_ANONYMOUS, expires_at=int(time.time()) + 60))
    assert refused(anonymous) == ctx.ANONYMOUS_NOT_ALLOWED
    assert ctx.accept(anonymous, "feed", "get_post", anonymous=True, secret=SECRET, memory=ctx.NonceMemory())


def test_a_refusal_names_the_kind_the_context_claimed_when_its_signature_held():
    with pytest.raises(Unauthenticated) as info:
        ctx.accept(bound_token(), "feed", "other", secret=SECRET, memory=ctx.NonceMemory())
    assert info.value.caller_kind == ctx.KIND_PERSON
    with pytest.raises(Unauthenticated) as info:
        ctx.accept("forged.mac", "feed", "get_post", secret=SECRET, memory=ctx.NonceMemory())
    assert info.value.caller_kind is None


def test_a_copy_delivered_again_by_the_broker_is_accepted_until_its_call_was_answered():
    memory = ctx.NonceMemory()
    token = bound_token()
    caller = ctx.accept(token, "feed", "get_post", secret=SECRET, memory=memory)
    # the connection dropped before the reply: the broker's copy of the same request
    assert ctx.accept(token, "feed", "get_post", secret=SECRET, memory=memory, redelivered=True)
    assert refused(token, memory=memory) == ctx.REPLAYED  # never a fresh publish of it
    memory.done(caller.nonce)
    assert refused(token, memory=memory, redelivered=True) == ctx.REPLAYED


def test_the_nonce_memory_forgets_expired_nonces():
    memory = ctx.NonceMemory()
    now = time.time()
    for i in range(50):
        assert memory.admit(f"nonce-{i:011d}", int(now) + 10, now) is None
    assert len(memory) == 50
    assert memory.admit("one-more-nonce-00", int(now) + 100, now + 11) is None
    assert len(memory) == 1 and memory.floor == 0


def test_the_nonce_memory_is_bounded_and_never_lets_a_replay_through():
    memory = ctx.NonceMemory(max_entries=100)
    now = time.time()
    request = person(expires_at=int(now) + 3600)
    tokens = [bound_token(request, now=now, ttl=10 + i) for i in range(1000)]
    for token in tokens:
        ctx.accept(token, "feed", "get_post", secret=SECRET, now=now, memory=memory)
        assert len(memory) <= 100
    assert len(memory) == 100 and memory.floor > int(now)
    # every one of them, replayed while still valid: refused (forgotten ones as too old)
    for token in tokens:
        reason = refused(token, now=now, memory=memory)
        assert reason in (ctx.REPLAYED, ctx.EXPIRED)
    assert refused(tokens[-1], now=now, memory=memory) == ctx.REPLAYED
    assert refused(tokens[0], now=now, memory=memory) == ctx.EXPIRED
    # a flood of refusals adds nothing
    assert len(memory) == 100
    # a context that would be the first forgotten is refused, not kept
    assert refused(bound_token(request, now=now, ttl=5), now=now, memory=memory) == ctx.EXPIRED
    assert len(memory) == 100


def test_the_default_nonce_memory_is_bounded():
    assert 10_000 <= ctx.NONCES.max_entries <= 1_000_000


def test_the_verified_memo_keeps_request_contexts_only():
    ctx._VERIFIED.clear()
    request = ctx.sign(person(), secret=SECRET)
    ctx.verify(request, secret=SECRET)
    for _ in range(20):
        ctx.verify(bound_token(), secret=SECRET)
    assert [token for token, _secret in ctx._VERIFIED] == [request]


# --- where contexts are bound: the RPC client, a service's RpcProxy -------------------


def test_the_rpc_client_binds_each_call_to_its_target():
    from parvis_contracts.client import RpcClient

    client = RpcClient({"AMQP_URI": "amqp://127.0.0.1//"})  # (binding needs no connection)
    request = ctx.sign(person())  # the platform secret of the test run
    first = client.bound("feed", "get_post", request)
    second = client.bound("feed", "get_post", request)
    assert first != second != request
    caller = ctx.accept(first, "feed", "get_post", memory=ctx.NonceMemory())
    assert caller.target == "feed.get_post" and caller.user_id == "u-1"
    with pytest.raises(Unauthenticated):
        ctx.accept(first, "identity", "get_me", memory=ctx.NonceMemory())
    # a bound or an invalid token is sent as it is, for the service to refuse
    assert client.bound("identity", "get_me", first) == first
    for bad in (None, "garbage", ctx.sign(person(), secret=b"forged")):
        assert client.bound("feed", "get_post", bad) == bad


def test_a_client_given_a_platform_secret_binds_with_it():
    """The launcher's client: tokens signed with its platform's secret, not this process's."""
    from parvis_contracts.client import RpcClient

    platform = b"the secret of a platform in another var dir"
    client = RpcClient({"AMQP_URI": "amqp://127.0.0.1//"}, secret=platform)
    token = client.bound("identity", "health", ctx.sign(ctx.Caller(kind=ctx.KIND_ANONYMOUS), secret=platform))
    caller = ctx.accept(
        token, "identity", "health", memory=ctx.NonceMemory(), secret=platform, anonymous=True
    )
    assert caller.target == "identity.health"


def test_a_service_proxy_sends_a_fresh_context_bound_to_the_downstream_target():
    from types import SimpleNamespace

    from parvis_contracts.entrypoints import VERIFIED_KEY, BoundMethodProxy

    class WorkerCtx:
        container = SimpleNamespace(config={"AMQP_URI": "memory://"})

        def __init__(self, data):
            self.data = data

        @property
        def context_data(self):
            return dict(self.data)

    received = ctx.bind(person(), "feed", "create_post")
    upstream = ctx.accept(received, "feed", "create_post", memory=ctx.NonceMemory())
    worker = WorkerCtx({ctx.CONTEXT_KEY: received, VERIFIED_KEY: upstream, "parvis.request_id": "req-1"})
    headers = BoundMethodProxy(worker, "documents", "describe_documents", None).get_message_headers(worker)
    sent = headers["nameko." + ctx.CONTEXT_KEY]
    assert sent != received and "nameko." + VERIFIED_KEY not in headers
    assert headers["nameko.parvis.request_id"] == "req-1"
    downstream = ctx.accept(sent, "documents", "describe_documents", memory=ctx.NonceMemory())
    assert downstream.describe() == upstream.describe()
    assert downstream.expires_at <= upstream.expires_at and downstream.nonce != upstream.nonce
    # a worker with no verified caller (an event handler, a timer) sends no context,
    # not even a token its message carried
    handler = WorkerCtx({ctx.CONTEXT_KEY: received})
    headers = BoundMethodProxy(handler, "documents", "describe_documents", None).get_message_headers(handler)
    assert "nameko." + ctx.CONTEXT_KEY not in headers


def test_refused_calls_are_counted_and_batched_within_bounds():
    from types import SimpleNamespace

    from prometheus_client import REGISTRY

    from parvis_contracts import entrypoints

    reporter = entrypoints.RefusalReporter()
    reporter.container = SimpleNamespace(service_name="ctx_unit")

    def counted(reason):
        labels = {"service": "ctx_unit", "method": "m1", "reason": reason}
        return REGISTRY.get_sample_value("parvis_rpc_refused_total", labels) or 0

    before = counted(ctx.REPLAYED)
    assert reporter.note("m1", ctx.REPLAYED, ctx.KIND_PERSON) is True
    assert reporter.note("m1", ctx.REPLAYED, ctx.KIND_PERSON) is False
    assert counted(ctx.REPLAYED) == before + 2
    for i in range(entrypoints.REFUSAL_KEYS * 3):
        reporter.note(f"m{i}", ctx.WRONG_TARGET, None)
    batch = reporter.batch()
    assert len(batch) <= entrypoints.REFUSAL_KEYS + 1
    assert sum(item["count"] for item in batch) == 2 + entrypoints.REFUSAL_KEYS * 3
    first = next(item for item in batch if item["reason"] == ctx.REPLAYED)
    assert first == {
        "ip": None,
        "user_id": None,
        "method": "RPC",
        "route": "ctx_unit.m1",
        "status": 401,
        "reason": ctx.REPLAYED,
        "caller": ctx.KIND_PERSON,
        "count": 2,
    }
    assert reporter.batch() == []
