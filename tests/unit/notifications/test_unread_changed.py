"""``notifications.unread_changed``: who is named, when, and that it is written with the change
(the outbox), so the live hub (gateway/live) tells the open pages of exactly those people."""

from __future__ import annotations

from sqlalchemy import select

from parvis_contracts import events as ev
from parvis_contracts.context import KIND_PERSON, Caller
from parvis_contracts.plugins import service_plugins
from services.notifications.events import UNREAD_CHANGED, UnreadChangedSchema
from services.notifications.limits import FAN_OUT_BATCH
from services.notifications.models import metadata

OUTBOX = metadata.tables["outbox"]


def named(world) -> list[list[str]]:
    """The ``user_ids`` of every ``unread_changed`` in the outbox, oldest first; emptied."""
    with world.engine.begin() as conn:
        rows = conn.execute(
            select(OUTBOX.c.event_id, OUTBOX.c.payload)
            .where(OUTBOX.c.source == "notifications", OUTBOX.c.event_type == UNREAD_CHANGED.name)
            .order_by(OUTBOX.c.id)
        ).all()
        conn.execute(OUTBOX.delete())
    return [row.payload["user_ids"] for row in rows]


def post(world, author, post_id="post-1", cid="A", mentions=(), kind="message"):
    world.event(
        ev.FEED_POST_CREATED,
        post_id=post_id,
        community_id=cid,
        author_id=author.user_id,
        kind=kind,
        mentions=[m.user_id for m in mentions],
        body="Hello",
        revision=1,
    )


def like(world, liker, author, post_id="post-1"):
    world.event(
        ev.FEED_POST_LIKED,
        post_id=post_id,
        comment_id=None,
        community_id="A",
        author_id=author.user_id,
        liker_id=liker.user_id,
    )


def test_the_plugin_declares_the_event_it_publishes():
    declared = service_plugins()["notifications"].events
    assert declared == {UNREAD_CHANGED: UnreadChangedSchema}
    assert UNREAD_CHANGED.key == "notifications.unread_changed"
    assert UnreadChangedSchema().validate({"user_ids": []})  # never an empty batch


def test_a_new_notification_names_its_recipient_and_nobody_else(world):
    named(world)
    post(world, world.member, mentions=[world.other_member])
    assert named(world) == [[world.other_member.user_id]]
    # an announcement: every member but the author, in one event
    post(world, world.manager, post_id="news", kind="announcement")
    (ids,) = named(world)
    assert ids == sorted({world.member.user_id, world.other_member.user_id, world.guest.user_id})


def test_a_like_gathered_into_an_unread_row_changes_no_count_and_names_nobody(world):
    post(world, world.member)
    named(world)
    like(world, world.other_member, world.member)
    assert named(world) == [[world.member.user_id]]
    like(world, world.guest, world.member)  # joins the unread row: the count stays 1
    assert named(world) == []
    assert world.unread(world.member) == 1


def test_marking_read_names_the_reader_only_when_something_was_unread(world):
    post(world, world.member, mentions=[world.other_member])
    post(world, world.member, post_id="post-2", mentions=[world.other_member])
    named(world)
    reader = world.svc(world.other_member)
    first = reader.list_notifications()["items"][0]
    reader.mark_read(notification_id=first["id"])
    assert named(world) == [[world.other_member.user_id]]
    reader.mark_read(notification_id=first["id"])  # already read: nothing changed
    assert named(world) == []
    assert reader.mark_all_read() == {"marked": 1}
    assert named(world) == [[world.other_member.user_id]]
    assert reader.mark_all_read() == {"marked": 0}
    assert named(world) == []


def test_a_community_of_thousands_is_named_in_batches(world):
    world.community("BIG", "open")
    world.join("BIG", world.manager, role="manager")
    members = [f"p-big-{n:05d}" for n in range(FAN_OUT_BATCH + 3)]
    for user_id in members:
        world.join(
            "BIG", Caller(kind=KIND_PERSON, user_id=user_id, org_id="org-host", roles=frozenset({"member"}))
        )
    named(world)
    post(world, world.manager, post_id="big", cid="BIG", kind="announcement")
    batches = named(world)
    assert [len(b) for b in batches] == [FAN_OUT_BATCH, 3]
    assert sorted(b for batch in batches for b in batch) == members


def test_deleted_content_names_those_who_had_not_read_what_went(world):
    post(world, world.member, mentions=[world.other_member, world.guest])
    (item,) = world.inbox(world.guest)
    world.svc(world.guest).mark_read(notification_id=item["id"])
    named(world)
    world.event(ev.FEED_POST_DELETED, post_id="post-1", community_id="A", author_id=world.member.user_id)
    assert named(world) == [[world.other_member.user_id]]  # the guest had read it: no change


def test_joining_settles_the_invitation_and_names_the_new_member(world):
    world.event(
        ev.COMMUNITIES_INVITATION_SENT, community_id="B", user_id=world.employee.user_id, by="p-manager"
    )
    named(world)
    world.join("B", world.employee)
    assert named(world) == [[world.employee.user_id]]
    assert world.unread(world.employee) == 0
