"""What the read path's CPU savings keep exactly as before (issue 6).

A verified caller context is remembered, but only for the exact signed string and the same
secret, and its expiry is checked at every use; ``dump`` reuses one schema per (class,
options) with the same output; the RPC entrypoint's signature check computes the signature
once and still refuses exactly what nameko refused, with nameko's message.
"""

import importlib
import time
from datetime import UTC
from types import SimpleNamespace

import pytest
from marshmallow import Schema, fields
from nameko.exceptions import IncorrectSignature

from parvis_contracts import context as ctx
from parvis_contracts.entrypoints import AuthorisedRpc, dump, transactional
from parvis_contracts.errors import Unauthenticated

SECRET = b"hot-path-secret"
OTHER = b"another-secret"


def person(**kw):
    return ctx.Caller(kind=ctx.KIND_PERSON, user_id="u-1", org_id="o-1", roles=frozenset({"member"}), **kw)


# --- the verified-context memo ------------------------------------------------------


def test_a_remembered_context_still_expires():
    token = ctx.sign(person(), secret=SECRET, ttl=30)
    caller = ctx.verify(token, secret=SECRET)
    assert ctx.verify(token, secret=SECRET) == caller  # from the memo
    with pytest.raises(Unauthenticated, match="expired"):
        ctx.verify(token, secret=SECRET, now=caller.expires_at + 1)
    # still refused after the refusal, still accepted before its expiry
    with pytest.raises(Unauthenticated, match="expired"):
        ctx.verify(token, secret=SECRET, now=caller.expires_at + 1)
    assert ctx.verify(token, secret=SECRET, now=caller.expires_at - 1) == caller


def test_a_remembered_context_is_not_accepted_under_another_secret():
    token = ctx.sign(person(), secret=SECRET, ttl=30)
    ctx.verify(token, secret=SECRET)
    with pytest.raises(Unauthenticated, match="signature"):
        ctx.verify(token, secret=OTHER)


def test_a_changed_byte_of_a_remembered_context_is_refused():
    token = ctx.sign(person(), secret=SECRET, ttl=30)
    ctx.verify(token, secret=SECRET)
    body, mac = token.split(".")
    flipped = mac[:-1] + ("A" if mac[-1] != "A" else "B")
    for bad in (f"{body}.{flipped}", f"{body}x.{mac}", token + "x", token[:-1]):
        with pytest.raises(Unauthenticated):
            ctx.verify(bad, secret=SECRET)


def test_an_expired_context_is_never_remembered():
    token = ctx.sign(person(expires_at=int(time.time()) - 5), secret=SECRET)
    for _ in range(2):
        with pytest.raises(Unauthenticated, match="expired"):
            ctx.verify(token, secret=SECRET)


def test_the_memo_stays_bounded():
    for i in range(ctx._VERIFIED_MAX + 10):
        ctx.verify(ctx.sign(person(session_id=f"s-{i}"), secret=SECRET, ttl=30), secret=SECRET)
    assert len(ctx._VERIFIED) <= ctx._VERIFIED_MAX


# --- dump with a reused schema ------------------------------------------------------


class Item(Schema):
    id = fields.String()
    n = fields.Integer()
    when = fields.DateTime()


class Page(Schema):
    items = fields.List(fields.Nested(Item))
    next_cursor = fields.String(allow_none=True)


def test_dump_gives_what_a_fresh_schema_gives():
    from datetime import datetime, timezone

    rows = [
        {"id": f"i{i}", "n": i, "when": datetime(2026, 1, i + 1, tzinfo=UTC), "secret": "never dumped"}
        for i in range(3)
    ]
    page = {"items": rows, "next_cursor": None}
    for _ in range(2):
        assert dump(Page, page) == Page().dump(page)
        assert dump(Item, rows, many=True) == Item(many=True).dump(rows)
        assert dump(Item, rows[0]) == Item().dump(rows[0])
        # an unhashable option is served by a fresh schema
        assert dump(Item, rows[0], only=["id"]) == {"id": "i0"}
    assert "secret" not in dump(Item, rows[0])


# --- the entrypoint's signature check ------------------------------------------------


class Service:
    name = "svc"

    def plain(self, a, b=1, *, c=None):
        return a

    @transactional
    def wrapped(self, a):
        return a


def bound(method_name):
    entrypoint = AuthorisedRpc()
    entrypoint.container = SimpleNamespace(service_cls=Service)
    entrypoint.method_name = method_name
    return entrypoint


def nameko_message(method_name, args, kwargs):
    """What nameko's own check says (``inspect.getcallargs``), or None if it accepts."""
    import inspect

    try:
        inspect.getcallargs(getattr(Service, method_name), None, *args, **kwargs)
    except TypeError as exc:
        return str(exc)
    return None


CALLS = [
    ((1,), {}),
    ((), {"a": 1}),
    ((1, 2), {"c": 3}),
    ((), {}),
    ((1, 2, 3), {}),
    ((1,), {"d": 4}),
    ((1,), {"a": 2}),
    ((), {"b": 2}),
]


@pytest.mark.parametrize("args,kwargs", CALLS)
def test_signature_check_refuses_what_nameko_refused_with_its_message(args, kwargs):
    expected = nameko_message("plain", args, kwargs)
    entrypoint = bound("plain")
    for _ in range(2):  # the second call uses the remembered signature
        if expected is None:
            entrypoint.check_signature(args, kwargs)
        else:
            with pytest.raises(IncorrectSignature) as caught:
                entrypoint.check_signature(args, kwargs)
            assert str(caught.value) == expected


@pytest.mark.parametrize("args,kwargs", CALLS)
def test_signature_check_of_a_wrapped_method_is_nameko_s(args, kwargs):
    # nameko looks at the outer function (``*args, **kwargs``): it accepts anything
    assert nameko_message("wrapped", args, kwargs) is None
    bound("wrapped").check_signature(args, kwargs)


# --- kombu's librabbitmq probe ----------------------------------------------------------


def test_the_librabbitmq_probe_fails_at_once_when_it_is_not_installed():
    import sys

    import parvis_contracts.client  # noqa: F401  (records the absence)

    if sys.modules.get("librabbitmq", None) is not None:
        pytest.skip("librabbitmq is installed here")
    with pytest.raises(ImportError):
        importlib.import_module("librabbitmq")
    from kombu.transport import supports_librabbitmq

    assert not supports_librabbitmq()
