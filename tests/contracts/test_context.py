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
