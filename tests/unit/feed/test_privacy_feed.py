"""Privacy (GDPR) in the feed: one's texts and likes exported; an erased person's likes,
reads, reports' reasons and mentions forgotten, their texts kept."""

import json

import pytest
from sqlalchemy import select

from parvis_contracts import events as ev
from parvis_contracts.errors import Forbidden, ValidationFailed
from parvis_contracts.events import Envelope
from services.feed.models import (
    AnnouncementRead,
    Comment,
    CommentLike,
    CommentMention,
    LastVisit,
    Post,
    PostLike,
    PostMention,
    PostVersion,
    Report,
    metadata,
)
from tests.support import outbox_types

SECRET_NAME = "Mila Member-Canary"


def erase(world, caller):
    body = Envelope.new(
        ev.IDENTITY_USER_ERASED, {"user_id": caller.user_id, "org_id": caller.org_id, "guest": caller.guest}
    ).to_message()
    return body, world.svc().on_user_erased(body)


@pytest.fixture
def activity(world):
    """The member writes, likes, reports and reads; others mention and like the member."""
    member, other = world.member, world.other_member
    own = world.post(member, body="My own post")
    world.svc(member).edit_post(post_id=own["id"], body="My own post, edited")
    theirs = world.post(other, body=f"Thanks @[{SECRET_NAME}]({member.user_id}) for this")
    world.svc(other).edit_post(post_id=theirs["id"], body=f"Thank you @[{SECRET_NAME}]({member.user_id})!")
    comment = world.svc(member).create_comment(post_id=theirs["id"], body="My comment")
    mention = world.svc(other).create_comment(
        post_id=own["id"], body=f"Agreed, @[{SECRET_NAME}]({member.user_id})"
    )
    world.svc(member).like_post(post_id=theirs["id"])
    world.svc(member).like_comment(comment_id=mention["id"])
    world.svc(other).like_post(post_id=own["id"])
    announcement = world.post(world.manager, body="Read me", kind="announcement")
    world.svc(member).mark_announcement_read(post_id=announcement["id"])
    report = world.svc(member).report_content(
        target_type="post", target_id=theirs["id"], reason="My private reason"
    )
    world.svc(member).home_timeline()
    return {
        "own": own,
        "theirs": theirs,
        "comment": comment,
        "mention": mention,
        "announcement": announcement,
        "report": report,
    }


def test_export_holds_the_persons_texts_likes_reports_and_reads_only(world, activity):
    data = world.svc(world.member).export_person_data(person_id=world.member.user_id)
    assert [p["id"] for p in data["posts"]] == [activity["own"]["id"]]
    assert data["posts"][0]["body"] == "My own post, edited"
    assert [v["body"] for v in data["posts"][0]["earlier_versions"]] == ["My own post"]
    assert [c["body"] for c in data["comments"]] == ["My comment"]
    assert [like["post_id"] for like in data["likes"]["posts"]] == [activity["theirs"]["id"]]
    assert [like["comment_id"] for like in data["likes"]["comments"]] == [activity["mention"]["id"]]
    assert [r["reason"] for r in data["reports"]] == ["My private reason"]
    assert [r["post_id"] for r in data["announcements_read"]] == [activity["announcement"]["id"]]
    assert data["last_visit"] is not None
    assert data["mentioned_in"] == {
        "posts": [activity["theirs"]["id"]],
        "comments": [activity["mention"]["id"]],
    }
    text = json.dumps(data)
    assert "Thank you" not in text and "Agreed" not in text  # nobody else's text


def test_only_the_person_or_an_admin_exports(world, activity):
    with pytest.raises(Forbidden):
        world.svc(world.other_member).export_person_data(person_id=world.member.user_id)
    assert (
        world.svc(world.admin).export_person_data(person_id=world.member.user_id)["person_id"]
        == world.member.user_id
    )
    with pytest.raises(ValidationFailed):
        world.svc(world.member).export_person_data(person_id=12)


def test_erasure_keeps_texts_and_forgets_the_rest(world, activity):
    member = world.member
    _, done = erase(world, member)
    assert done["post_likes"] == 1 and done["comment_likes"] == 1
    assert done["announcement_reads"] == 1 and done["reports"] == 1
    session = world.session()
    own = session.get(Post, activity["own"]["id"])
    assert own.body == "My own post, edited" and own.author_id == member.user_id
    assert session.get(Comment, activity["comment"]["id"]).body == "My comment"
    for model in (PostLike, CommentLike, AnnouncementRead, PostMention, CommentMention):
        assert session.scalars(select(model).where(model.user_id == member.user_id)).first() is None, (
            model.__name__
        )
    assert session.get(LastVisit, member.user_id) is None
    assert session.get(Post, activity["theirs"]["id"]).like_count == 0
    assert session.get(Comment, activity["mention"]["id"]).like_count == 0
    assert session.get(Post, activity["announcement"]["id"]).read_count == 0
    assert session.get(Post, own.id).like_count == 1  # others' likes stay
    report = session.get(Report, activity["report"]["id"])
    assert report.reason == "" and report.status == "open"


def test_mentions_of_the_erased_person_are_rewritten_everywhere(world, activity):
    member = world.member
    erase(world, member)
    session = world.session()
    theirs = session.get(Post, activity["theirs"]["id"])
    assert theirs.body == f"Thank you @[Former member]({member.user_id})!"
    assert "Former member" in theirs.html and SECRET_NAME not in theirs.html
    old = session.scalars(select(PostVersion).where(PostVersion.post_id == theirs.id)).one()
    assert old.body == f"Thanks @[Former member]({member.user_id}) for this"
    comment = session.get(Comment, activity["mention"]["id"])
    assert comment.body == f"Agreed, @[Former member]({member.user_id})"
    for table in metadata.sorted_tables:
        for row in session.execute(select(table)):
            assert SECRET_NAME not in json.dumps([str(v) for v in row]), table.name


def test_the_event_twice_changes_nothing_the_second_time(world, activity):
    body, _ = erase(world, world.member)
    types = outbox_types(world.engine, metadata)
    assert world.svc().on_user_erased(body) == "duplicate"
    _, again = erase(world, world.member)
    assert again == {
        "post_likes": 0,
        "comment_likes": 0,
        "announcement_reads": 0,
        "reports": 0,
        "mentions_rewritten": 0,
        "outbox_rows": 0,
        "idempotency_keys": 0,
    }
    assert outbox_types(world.engine, metadata) == types


def test_erasure_drops_the_persons_idempotency_keys_and_answers_naming_them(world):
    member, other = world.member, world.other_member
    world.svc(member).create_post(community_id="A", body="Mine", idempotency_key="m-1")
    world.svc(other).create_post(
        community_id="A", idempotency_key="o-1", body=f"Hello @[{SECRET_NAME}]({member.user_id})"
    )
    world.svc(other).create_post(community_id="A", body="Unrelated", idempotency_key="o-2")
    _, done = erase(world, member)
    assert done["idempotency_keys"] == 2
    keys = metadata.tables["idempotency_keys"]
    left = world.session().execute(select(keys.c.caller_id, keys.c.idem_key)).all()
    assert [(caller, key) for caller, key in left] == [(other.user_id, "o-2")]
