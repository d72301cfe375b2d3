"""Idempotency keys on the feed's writes: a retry answers the first answer, writes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from parvis_contracts import idempotency
from parvis_contracts.errors import Conflict, Forbidden, ValidationFailed
from services.feed.models import metadata

from .helpers import outbox_types, snapshot

KEYS = metadata.tables["idempotency_keys"]


def key_rows(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(KEYS)).scalar()


def test_a_retried_post_answers_the_same_post_and_writes_it_once(world):
    svc = lambda: world.svc(world.member)  # noqa: E731
    first = svc().create_post(community_id="A", body="Once #only", idempotency_key="k-1")
    after_first = snapshot(world.engine)
    again = svc().create_post(community_id="A", body="Once #only", idempotency_key="k-1")
    assert again == first
    assert snapshot(world.engine) == after_first  # nothing more written
    assert outbox_types(world.engine).count("feed.post_created") == 1
    wall = svc().community_wall(community_id="A")["items"]
    assert [p["id"] for p in wall if p["body"] == "Once #only"] == [first["id"]]
    # another key is another post
    other = svc().create_post(community_id="A", body="Once #only", idempotency_key="k-2")
    assert other["id"] != first["id"]


def test_the_same_key_for_another_request_is_refused(world):
    world.svc(world.member).create_post(community_id="A", body="first", idempotency_key="k")
    before = snapshot(world.engine)
    with pytest.raises(ValidationFailed) as exc:
        world.svc(world.member).create_post(community_id="A", body="second", idempotency_key="k")
    assert "idempotency_key" in exc.value.details
    # another operation with the same key: refused too
    post = world.post(world.member, "A")
    before = snapshot(world.engine)
    with pytest.raises(ValidationFailed):
        world.svc(world.member).like_post(post_id=post["id"], idempotency_key="k")
    assert snapshot(world.engine) == before


def test_keys_belong_to_their_caller(world):
    mine = world.svc(world.member).create_post(community_id="A", body="same", idempotency_key="k")
    theirs = world.svc(world.other_member).create_post(community_id="A", body="same", idempotency_key="k")
    assert theirs["id"] != mine["id"] and theirs["author_id"] == world.other_member.user_id


@pytest.mark.parametrize("key", ["", "x" * 129, "caf\u00e9", "tab\there", 42, ["k"]])
def test_bad_keys_are_refused_before_anything_is_written(world, key):
    before = snapshot(world.engine)
    with pytest.raises(ValidationFailed) as exc:
        world.svc(world.member).create_post(community_id="A", body="x", idempotency_key=key)
    assert "idempotency_key" in exc.value.details
    assert snapshot(world.engine) == before


def test_the_longest_key_and_printable_punctuation_are_accepted(world):
    for key in ("x" * 128, "a b~!{}[]/:;'\"?"):
        post = world.svc(world.member).create_post(community_id="A", body=key, idempotency_key=key)
        assert world.svc(world.member).create_post(community_id="A", body=key, idempotency_key=key) == post


def test_a_refused_write_keeps_no_key_and_can_be_retried(world):
    with pytest.raises(Forbidden):
        world.svc(world.employee).create_post(community_id="C", body="hi", idempotency_key="k")
    assert key_rows(world.engine) == 0
    world.join("C", world.employee)
    post = world.svc(world.employee).create_post(community_id="C", body="hi", idempotency_key="k")
    assert post["community_id"] == "C"


def test_comments_and_likes_are_kept_once(world):
    post = world.post(world.member, "A")
    comment = world.svc(world.other_member).create_comment(
        post_id=post["id"], body="c", idempotency_key="c-1"
    )
    assert (
        world.svc(world.other_member).create_comment(post_id=post["id"], body="c", idempotency_key="c-1")
        == comment
    )
    assert world.svc(world.member).get_post(post_id=post["id"])["comment_count"] == 1

    liked = world.svc(world.other_member).like_post(post_id=post["id"], idempotency_key="l-1")
    assert liked == {"post_id": post["id"], "liked": True, "like_count": 1}
    # the retry answers the first answer (a like without the key would be a Conflict)
    assert world.svc(world.other_member).like_post(post_id=post["id"], idempotency_key="l-1") == liked
    with pytest.raises(Conflict):
        world.svc(world.other_member).like_post(post_id=post["id"])
    assert world.svc(world.member).get_post(post_id=post["id"])["like_count"] == 1

    cl = world.svc(world.member).like_comment(comment_id=comment["id"], idempotency_key="l-2")
    assert world.svc(world.member).like_comment(comment_id=comment["id"], idempotency_key="l-2") == cl
    assert world.svc(world.member).get_comment(comment_id=comment["id"])["like_count"] == 1
    # a replay publishes nothing either: one event per like recorded
    types = outbox_types(world.engine)
    assert (types.count("feed.post_liked"), types.count("feed.comment_liked")) == (1, 1)


def test_a_copy_that_lost_the_race_answers_the_winner(world):
    """The retry arrives while the first copy is still in flight: both found no key, the
    first commits, the second's key insert fails and it answers the first's result."""
    first = world.svc(world.member).create_post(community_id="A", body="race", idempotency_key="r")
    real_lookup = idempotency.lookup
    calls = []

    def lookup_missing_once(session, caller_id, key, now):
        calls.append(key)
        return None if len(calls) == 1 else real_lookup(session, caller_id, key, now)

    before = snapshot(world.engine)
    idempotency.lookup = lookup_missing_once
    try:
        again = world.svc(world.member).create_post(community_id="A", body="race", idempotency_key="r")
    finally:
        idempotency.lookup = real_lookup
    assert again == first and len(calls) == 2
    assert snapshot(world.engine) == before


def test_keys_expire(world, clock):
    first = world.svc(world.member).create_post(community_id="A", body="old", idempotency_key="k")
    world.svc(world.member).create_post(community_id="A", body="other", idempotency_key="k2")
    clock.advance(seconds=idempotency.ttl_seconds() + 1)
    # an expired key is a new request: a new post, and the old rows are swept
    second = world.svc(world.member).create_post(community_id="A", body="old", idempotency_key="k")
    assert second["id"] != first["id"]
    assert key_rows(world.engine) == 1
    clock.advance(seconds=idempotency.ttl_seconds() + 1)
    assert idempotency.sweep(world.session(), clock.now) == 1
    assert key_rows(world.engine) == 0


def test_the_ttl_has_a_sane_default(monkeypatch):
    monkeypatch.delenv("PARVIS_IDEMPOTENCY_TTL", raising=False)
    assert timedelta(seconds=idempotency.ttl_seconds()) == timedelta(hours=24)
