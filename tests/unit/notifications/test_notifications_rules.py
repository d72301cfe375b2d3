"""Who is told what, grouped how, and what stops being shown: the notifications service's
rules on a real database, the events handed to its handlers as signed messages."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from parvis_contracts import events as ev
from parvis_contracts.errors import Forbidden, NotFound, Unauthenticated, ValidationFailed
from services.notifications.limits import FAN_OUT_BATCH
from services.notifications.models import Notification


def post(world, author, cid="A", post_id="post-1", mentions=(), kind="message"):
    return world.event(
        ev.FEED_POST_CREATED,
        post_id=post_id,
        community_id=cid,
        author_id=author.user_id,
        kind=kind,
        mentions=[m.user_id for m in mentions],
        body="Hello",
        revision=1,
    )


def comment(world, author, post_id="post-1", comment_id="comment-1", cid="A", mentions=()):
    return world.event(
        ev.FEED_COMMENT_CREATED,
        comment_id=comment_id,
        post_id=post_id,
        community_id=cid,
        author_id=author.user_id,
        mentions=[m.user_id for m in mentions],
        body="Reply",
        revision=1,
    )


def like(world, liker, author, post_id="post-1", cid="A"):
    return world.event(
        ev.FEED_POST_LIKED,
        post_id=post_id,
        comment_id=None,
        community_id=cid,
        author_id=author.user_id,
        liker_id=liker.user_id,
    )


def kinds(world, caller) -> list[str]:
    return [item["kind"] for item in world.inbox(caller)]


def test_a_mention_tells_the_mentioned_member_once_and_reading_it_counts_down(world):
    post(world, world.member, mentions=[world.other_member])
    assert kinds(world, world.other_member) == ["mention"]
    assert world.unread(world.other_member) == 1
    (item,) = world.inbox(world.other_member)
    assert item["actor_ids"] == [world.member.user_id] and item["post_id"] == "post-1"
    assert item["community_name"] == "Community A" and item["read"] is False
    # the author is not told of their own post; nobody else is told of a plain message
    assert world.inbox(world.member) == [] and world.inbox(world.manager) == []
    # an edit keeping the mention does not tell again
    world.event(
        ev.FEED_POST_UPDATED,
        post_id="post-1",
        community_id="A",
        author_id=world.member.user_id,
        mentions=[world.other_member.user_id],
    )
    assert world.unread(world.other_member) == 1
    read = world.svc(world.other_member).mark_read(notification_id=item["id"])
    assert read["read"] is True and world.unread(world.other_member) == 0


def test_a_redelivered_event_tells_nobody_twice(world):
    body = post(world, world.member, mentions=[world.other_member])
    world.redeliver(ev.FEED_POST_CREATED, body)
    assert world.unread(world.other_member) == 1


def test_comments_reach_the_posts_followers_gathered_and_a_mention_wins(world):
    post(world, world.member)
    comment(world, world.other_member, comment_id="c1")
    comment(world, world.guest, comment_id="c2", mentions=[world.manager])
    (told,) = world.inbox(world.member)
    assert told["kind"] == "comment" and told["actor_count"] == 2
    assert told["actor_ids"] == [world.guest.user_id, world.other_member.user_id]
    # the first commenter follows the post now: told of the guest's comment
    assert kinds(world, world.other_member) == ["comment"]
    # the mentioned manager hears of the mention only
    assert kinds(world, world.manager) == ["mention"]


def test_likes_are_gathered_and_a_person_counts_once(world):
    post(world, world.member)
    like(world, world.other_member, world.member)
    like(world, world.guest, world.member)
    like(world, world.other_member, world.member)  # liked again after taking it back
    (told,) = world.inbox(world.member)
    assert told["kind"] == "like" and told["actor_count"] == 2
    assert told["actor_ids"][0] == world.other_member.user_id
    # once read, the next like opens a new notification
    world.svc(world.member).mark_all_read()
    like(world, world.manager, world.member)
    assert [i["actor_count"] for i in world.inbox(world.member)] == [1, 2]
    assert world.unread(world.member) == 1


def test_an_announcement_reaches_every_member_but_the_author(world):
    post(world, world.manager, kind="announcement", mentions=[world.guest])
    for person in (world.member, world.other_member):
        assert kinds(world, person) == ["announcement"]
    assert kinds(world, world.guest) == ["mention"]
    assert world.inbox(world.manager) == []


def test_levels_everything_highlights_nothing(world):
    svc = world.svc(world.member)
    assert svc.get_community_level(community_id="A")["level"] == "highlights"
    svc.set_community_level(community_id="A", level="all")
    world.svc(world.other_member).set_community_level(community_id="A", level="none")
    post(world, world.manager, post_id="p1")
    post(world, world.guest, post_id="p2")
    (told,) = world.inbox(world.member)
    assert told["kind"] == "post" and told["actor_count"] == 2  # "2 new posts", gathered
    post(world, world.manager, post_id="p3", mentions=[world.other_member], kind="announcement")
    assert world.inbox(world.other_member) == []  # nothing at all
    with pytest.raises(ValidationFailed):
        svc.set_community_level(community_id="A", level="loud")
    with pytest.raises(Forbidden):  # an open community's reader who is not a member
        world.svc(world.employee).set_community_level(community_id="C", level="all")
    with pytest.raises(NotFound):  # a private community one is not in
        world.svc(world.employee).get_community_level(community_id="A")


def test_what_the_recipient_may_no_longer_read_is_neither_listed_nor_counted(world):
    post(world, world.member, mentions=[world.guest])
    assert world.unread(world.guest) == 1
    world.leave("A", world.guest)
    assert world.unread(world.guest) == 0 and world.inbox(world.guest) == []


def test_a_deleted_post_takes_its_notifications_with_it(world):
    post(world, world.member, mentions=[world.other_member])
    comment(world, world.guest)
    like(world, world.manager, world.member)
    assert world.unread(world.member) == 2
    world.event(ev.FEED_POST_DELETED, post_id="post-1", community_id="A", author_id=world.member.user_id)
    assert world.inbox(world.member) == [] and world.inbox(world.other_member) == []
    with world.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Notification)).scalar() == 0


def test_a_newcomer_is_not_told_of_what_came_before_them(world):
    world.community("N", "private", history=False)
    world.join("N", world.manager, role="manager")
    post(world, world.manager, cid="N", post_id="old")
    world.clock.advance(days=1)
    world.join("N", world.member, joined_at=world.clock.now.replace(year=2099))
    comment(world, world.other_member, post_id="old", cid="N")
    world.svc(world.member).set_community_level(community_id="N", level="all")
    like(world, world.manager, world.member, post_id="old", cid="N")
    assert world.inbox(world.member) == []


def test_someone_elses_notification_is_unknown_and_marks_are_ones_own(world):
    post(world, world.member, mentions=[world.other_member])
    (item,) = world.inbox(world.other_member)
    with pytest.raises(NotFound):
        world.svc(world.member).mark_read(notification_id=item["id"])
    assert world.svc(world.member).mark_all_read()["marked"] == 0
    assert world.unread(world.other_member) == 1
    with pytest.raises(Unauthenticated):
        world.svc(None).unread_count()


def test_follows_members_only_and_an_unfollow_outlives_the_automatic_follow(world):
    post(world, world.member)
    svc = world.svc(world.member)
    assert svc.get_follow(target_kind="post", target_id="post-1")["following"] is True
    svc.set_follow(target_kind="post", target_id="post-1", following=False)
    comment(world, world.member, comment_id="mine")  # commenting does not follow again
    comment(world, world.guest, comment_id="theirs")
    assert world.inbox(world.member) == []
    with pytest.raises(NotFound):
        world.svc(world.employee).get_follow(target_kind="post", target_id="post-1")
    with pytest.raises(NotFound):
        svc.get_follow(target_kind="post", target_id="nope")
    with pytest.raises(ValidationFailed):
        svc.get_follow(target_kind="person", target_id="post-1")


def test_join_requests_invitations_and_decisions(world):
    requester = world.employee
    world.event(ev.COMMUNITIES_JOIN_REQUESTED, community_id="A", user_id=requester.user_id)
    world.event(ev.COMMUNITIES_JOIN_REQUESTED, community_id="A", user_id="p-someone")
    (told,) = world.inbox(world.manager)
    assert told["kind"] == "join_request" and told["actor_count"] == 2
    assert world.inbox(world.member) == []  # managers only
    world.event(
        ev.COMMUNITIES_JOIN_REFUSED, community_id="A", user_id=requester.user_id, by=world.manager.user_id
    )
    assert kinds(world, requester) == ["join_refused"]
    world.event(
        ev.COMMUNITIES_INVITATION_SENT, community_id="B", user_id=requester.user_id, by=world.manager.user_id
    )
    assert kinds(world, requester) == ["invitation", "join_refused"]
    world.join("B", requester)  # accepting settles the invitation
    assert world.unread(requester) == 1


def test_a_post_to_a_community_of_ten_thousand_is_written_in_batches(world):
    world.community("BIG", "open")
    world.join("BIG", world.manager, role="manager")
    members = [f"p-big-{n:05d}" for n in range(FAN_OUT_BATCH + 3)]
    from parvis_contracts.context import KIND_PERSON, Caller

    for user_id in members:
        world.join(
            "BIG", Caller(kind=KIND_PERSON, user_id=user_id, org_id="org-host", roles=frozenset({"member"}))
        )
    post(world, world.manager, cid="BIG", post_id="big", kind="announcement")
    with world.engine.connect() as conn:
        told = conn.execute(
            select(func.count()).select_from(Notification).where(Notification.subject_id == "big")
        ).scalar()
    assert told == len(members)


def test_erasure_forgets_what_a_person_was_told_and_unnames_them_elsewhere(world):
    post(world, world.member, mentions=[world.other_member])
    like(world, world.other_member, world.member)
    world.event(ev.IDENTITY_USER_ERASED, user_id=world.other_member.user_id, org_id="org-host", guest=False)
    assert world.inbox(world.other_member) == []
    (liked,) = world.inbox(world.member)
    assert liked["actor_ids"] == [None] and liked["actor_count"] == 1
    exported = world.svc(world.admin).export_person_data(person_id=world.member.user_id)
    assert [n["kind"] for n in exported["notifications"]] == ["like"]


def test_reports_reach_the_managers_and_hidden_content_takes_its_notifications(world):
    post(world, world.member, mentions=[world.other_member])
    comment(world, world.guest, comment_id="c1", mentions=[world.other_member])
    where = {"community_id": "A", "post_id": "post-1"}
    world.event(
        ev.FEED_CONTENT_REPORTED,
        report_id="r1",
        target_type="comment",
        target_id="c1",
        reporter_id=world.member.user_id,
        **where,
    )
    assert kinds(world, world.manager) == ["content_reported"]
    assert "content_reported" not in kinds(world, world.other_member)  # managers only
    assert world.unread(world.other_member) == 2
    world.event(
        ev.FEED_CONTENT_HIDDEN, target_type="comment", target_id="c1", by=world.manager.user_id, **where
    )
    (left,) = world.inbox(world.other_member)
    assert left["subject_kind"] == "post"  # the mention in the post stays
    world.event(
        ev.FEED_CONTENT_HIDDEN, target_type="post", target_id="post-1", by=world.manager.user_id, **where
    )
    assert world.inbox(world.other_member) == [] and world.inbox(world.member) == []


def test_a_reminder_reaches_those_named_and_gathers_while_unread(world):
    post(world, world.manager, kind="announcement")
    world.svc(world.member).mark_all_read()
    reminder = {"post_id": "post-1", "community_id": "A", "by": world.manager.user_id}
    world.event(
        ev.FEED_ANNOUNCEMENT_REMINDED, user_ids=[world.member.user_id, world.employee.user_id], **reminder
    )
    assert kinds(world, world.member) == ["announcement_reminder", "announcement"]
    assert world.unread(world.member) == 1
    assert world.inbox(world.employee) == []  # not a member of A: never told
    assert kinds(world, world.other_member) == ["announcement"]  # not named in the reminder
    world.event(ev.FEED_ANNOUNCEMENT_REMINDED, user_ids=[world.member.user_id], **reminder)
    assert world.unread(world.member) == 1


def test_a_mention_of_the_whole_community_tells_every_member_once_as_a_mention(world):
    world.event(
        ev.FEED_POST_CREATED,
        post_id="post-all",
        community_id="A",
        author_id=world.manager.user_id,
        kind="message",
        mentions=[world.member.user_id],
        community_mentioned=True,
        body="@community and @[M](p-member)",
        revision=1,
    )
    for caller in (world.member, world.other_member, world.guest):
        assert kinds(world, caller) == ["mention"]
    assert kinds(world, world.manager) == []  # not the author
    assert kinds(world, world.employee) == []  # not a member
