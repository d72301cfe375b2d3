"""The feed service on the real RabbitMQ and a real database (SQLite or PostgreSQL).

The read model is fed by community events published to ``communities.events``
exactly as the communities service's outbox relay does; a post then leaves
``feed.post_created`` on ``feed.events`` through the feed's own outbox.
"""

import time
from datetime import UTC, datetime, timezone

import pytest
from kombu import Connection, Producer, Queue
from sqlalchemy import create_engine, func, select

from parvis_contracts import context as ctx
from parvis_contracts import events as ev
from parvis_contracts.errors import Conflict, Forbidden, NotFound, Unauthenticated, ValidationFailed
from parvis_contracts.events import Envelope
from parvis_contracts.topology import declare_topology, event_exchange, find_subscription
from services.feed.models import Membership, metadata
from services.feed.service import FeedService
from tests.support import event_reader, wait_until


@pytest.fixture
def feed(start_service, broker):
    # bind our own queue first, so the relay's post_created events are kept for us
    created = Queue(
        "test-feed-post-created",
        exchange=event_exchange("feed"),
        routing_key=ev.FEED_POST_CREATED.name,
        durable=False,
        auto_delete=False,
    )
    created(broker.default_channel).declare()
    container = start_service(FeedService)
    container.created_queue = created
    yield container
    created(broker.default_channel).delete()


@pytest.fixture
def feed_events(broker):
    """A queue of our own bound to every feed event: ``read(count)`` the next envelopes."""
    yield from event_reader(broker, "feed")


def person(user_id, guest=False, roles=("member",), **kw):
    return ctx.sign(
        ctx.Caller(
            kind=ctx.KIND_PERSON, user_id=user_id, org_id="org-1", roles=frozenset(roles), guest=guest, **kw
        )
    )


def _publish(broker, event, data=None, body=None):
    body = body or Envelope.new(event, data).to_message()
    producer = Producer(broker.default_channel)
    producer.publish(
        body,
        exchange=event_exchange(event.source),
        routing_key=event.name,
        serializer="json",
        delivery_mode=2,
    )
    return body


def _community(broker, cid, visibility="private", archived=False, event=ev.COMMUNITIES_COMMUNITY_CREATED):
    return _publish(
        broker,
        event,
        {
            "community_id": cid,
            "name": f"Community {cid}",
            "kind": "team",
            "visibility": visibility,
            "archived": archived,
            "newcomers_see_history": True,
            "languages": ["en"],
            "allowed_org_ids": [],
        },
    )


def _member(broker, cid, user_id, role="member", guest=False):
    return _publish(
        broker,
        ev.COMMUNITIES_MEMBER_ADDED,
        {
            "community_id": cid,
            "user_id": user_id,
            "role": role,
            "guest": guest,
            "joined_at": datetime(2026, 1, 1, tzinfo=UTC).isoformat(),
        },
    )


def _wall_or_none(rpc, token, cid):
    try:
        return rpc.call("feed", "community_wall", token, community_id=cid)
    except NotFound:
        return None


def _db_rows(feed, query):
    engine = create_engine(feed.db_url)
    try:
        with engine.connect() as conn:
            return conn.execute(query).all()
    finally:
        engine.dispose()


def test_the_read_model_follows_community_events_and_posts_emit_events(feed, rpc, broker, vhost):
    ann, gus = person("u-ann"), person("u-gus", guest=True)
    with pytest.raises(NotFound):
        rpc.call("feed", "community_wall", ann, community_id="c-1")

    _community(broker, "c-1")
    _member(broker, "c-1", "u-ann", role="manager")
    body = _member(broker, "c-1", "u-gus", guest=True)
    wait_until(lambda: _wall_or_none(rpc, gus, "c-1") is not None, timeout=15)

    # the same event delivered again changes nothing
    _publish(broker, ev.COMMUNITIES_MEMBER_ADDED, body=body)
    queue_name = find_subscription(ev.COMMUNITIES_MEMBER_ADDED, "feed", "on_member_added").queue_name
    wait_until(
        lambda: vhost.queue(queue_name).get("message_stats", {}).get("ack", 0) >= 3, timeout=20, interval=0.5
    )
    rows = _db_rows(feed, select(Membership.community_id, Membership.user_id, Membership.role))
    assert sorted(rows) == [("c-1", "u-ann", "manager"), ("c-1", "u-gus", "member")]
    processed = metadata.tables["processed_events"]
    assert (
        _db_rows(
            feed,
            select(func.count()).select_from(processed).where(processed.c.handler == "feed.on_member_added"),
        )[0][0]
        == 2
    )

    post = rpc.call(
        "feed", "create_post", gus, community_id="c-1", body="Hello @[Ann](u-ann) #launch <script>x</script>"
    )
    assert post["mentions"] == ["u-ann"] and post["hashtags"] == ["launch"]
    assert "<script>" not in post["html"]
    home = rpc.call("feed", "home_timeline", ann)
    assert [p["id"] for p in home["items"]] == [post["id"]]

    queue = broker.SimpleQueue(feed.created_queue)
    try:
        message = queue.get(block=True, timeout=15)
        event = Envelope.from_message(message.payload)
        message.ack()
    finally:
        queue.close()
    assert event.type == "feed.post_created"
    assert event.data == {
        "post_id": post["id"],
        "community_id": "c-1",
        "author_id": "u-gus",
        "kind": "message",
        "language": None,
        "mentions": ["u-ann"],
        "community_mentioned": False,
        "body": post["body"],
        "revision": 1,
    }

    # archived: writes refused; removed: invisible at the next call
    _community(broker, "c-1", archived=True, event=ev.COMMUNITIES_COMMUNITY_ARCHIVED)

    def archived():
        try:
            rpc.call("feed", "like_post", ann, post_id=post["id"])
        except Forbidden:
            return True
        return False

    wait_until(archived, timeout=15)
    _publish(broker, ev.COMMUNITIES_MEMBER_REMOVED, {"community_id": "c-1", "user_id": "u-gus"})
    wait_until(lambda: _wall_or_none(rpc, gus, "c-1") is None, timeout=15)
    with pytest.raises(NotFound):
        rpc.call("feed", "get_post", gus, post_id=post["id"])


def test_bad_input_over_rpc(feed, rpc, broker):
    ann = person("u-ann")
    _community(broker, "c-2")
    _member(broker, "c-2", "u-ann")
    wait_until(lambda: _wall_or_none(rpc, ann, "c-2") is not None, timeout=15)
    with pytest.raises(ValidationFailed) as exc:
        rpc.call("feed", "create_post", ann, community_id="c-2", body="x" * 20_001)
    assert "body" in exc.value.details
    with pytest.raises(ValidationFailed) as exc:
        rpc.call("feed", "create_post", ann, community_id="c-2", body="hi @[Bob](u-bob)")
    assert exc.value.details["mentions"] == ["u-bob"]
    with pytest.raises(NotFound):
        rpc.call("feed", "create_post", ann, community_id="nope", body="hi")
    assert rpc.call("feed", "community_wall", ann, community_id="c-2")["items"] == []


@pytest.mark.parametrize(
    "make_token",
    [
        lambda: None,
        lambda: "garbage",
        lambda: person("u-ann", expires_at=int(time.time()) - 5),
        lambda: ctx.sign(
            ctx.Caller(kind=ctx.KIND_PERSON, user_id="u-ann", roles=frozenset(["admin"])),
            secret=b"not the secret",
        ),
        lambda: ctx.anonymous_caller(),
    ],
    ids=["missing", "malformed", "expired", "forged", "anonymous"],
)
def test_feed_methods_refuse_bad_contexts(feed, rpc, make_token):
    token = make_token()
    for method, kwargs in [
        ("home_timeline", {}),
        ("community_wall", {"community_id": "c-1"}),
        ("create_post", {"community_id": "c-1", "body": "x"}),
        ("like_post", {"post_id": "p-1"}),
    ]:
        with pytest.raises(Unauthenticated):
            rpc.call("feed", method, token, **kwargs)


def test_the_system_has_no_wall(feed, rpc, tokens):
    with pytest.raises(Unauthenticated):
        rpc.call("feed", "home_timeline", tokens.system())


def test_stated_languages_and_a_documents_outage(feed, rpc, broker):
    """The stated language is stored and returned; attachments need the documents service:
    with none running, a clear ``Unavailable`` and nothing written (the real documents
    service answers in tests/service/test_gateway_feed.py)."""
    from parvis_contracts.errors import Unavailable
    from services.feed.models import Comment, Post

    ann = person("u-ann")
    _community(broker, "c-3")
    _member(broker, "c-3", "u-ann")
    wait_until(lambda: _wall_or_none(rpc, ann, "c-3") is not None, timeout=15)
    post = rpc.call("feed", "create_post", ann, community_id="c-3", body="Bonjour", language="fr")
    assert post["language"] == "fr" and post["attachments"] == []
    comment = rpc.call("feed", "create_comment", ann, post_id=post["id"], body="Hola", language="es")
    assert comment["language"] == "es"
    assert rpc.call("feed", "edit_post", ann, post_id=post["id"], body="Bonjour !")["language"] == "fr"
    assert (
        rpc.call("feed", "edit_comment", ann, comment_id=comment["id"], body="Hello", language="en")[
            "language"
        ]
        == "en"
    )
    assert _db_rows(feed, select(Post.language, Post.attachments)) == [("fr", [])]
    assert _db_rows(feed, select(Comment.language)) == [("en",)]
    with pytest.raises(ValidationFailed) as exc:
        rpc.call("feed", "create_post", ann, community_id="c-3", body="x", language="zz")
    assert "language" in exc.value.details

    before = _db_rows(feed, select(Post.id, Post.version, Post.body))
    with pytest.raises(Unavailable):
        rpc.call("feed", "create_post", ann, community_id="c-3", body="see attached", attachments=["d-1"])
    with pytest.raises(Unavailable):
        rpc.call("feed", "edit_post", ann, post_id=post["id"], body="see attached", attachments=["d-1"])
    assert _db_rows(feed, select(Post.id, Post.version, Post.body)) == before


def test_new_likes_and_accepted_answers_are_published_once(feed, rpc, broker, feed_events):
    ann, bob = person("u-ann"), person("u-bob")
    _community(broker, "c-4")
    _member(broker, "c-4", "u-ann")
    _member(broker, "c-4", "u-bob")
    wait_until(
        lambda: None not in (_wall_or_none(rpc, ann, "c-4"), _wall_or_none(rpc, bob, "c-4")), timeout=15
    )
    question = rpc.call("feed", "create_post", ann, community_id="c-4", body="How?", kind="question")
    answer = rpc.call("feed", "create_comment", bob, post_id=question["id"], body="So.")

    rpc.call("feed", "like_post", bob, post_id=question["id"], idempotency_key="like-1")
    rpc.call("feed", "like_post", bob, post_id=question["id"], idempotency_key="like-1")  # a replay
    with pytest.raises(Conflict):
        rpc.call("feed", "like_post", bob, post_id=question["id"])
    rpc.call("feed", "like_comment", ann, comment_id=answer["id"])
    for comment_id in (answer["id"], answer["id"], None):  # accepted, the same again, cleared
        rpc.call("feed", "accept_answer", ann, post_id=question["id"], comment_id=comment_id)
    rpc.call("feed", "unlike_post", bob, post_id=question["id"])

    events = feed_events(5)
    assert [e.type for e in events] == [
        "feed.post_created",
        "feed.comment_created",
        "feed.post_liked",
        "feed.comment_liked",
        "feed.answer_accepted",
    ]
    on = {"post_id": question["id"], "community_id": "c-4"}
    assert events[2].data == {**on, "comment_id": None, "author_id": "u-ann", "liker_id": "u-bob"}
    assert events[3].data == {**on, "comment_id": answer["id"], "author_id": "u-bob", "liker_id": "u-ann"}
    assert events[4].data == {
        **on,
        "comment_id": answer["id"],
        "comment_author_id": "u-bob",
        "accepted_by": "u-ann",
    }
    assert feed_events(1, timeout=1) == []  # nothing more
