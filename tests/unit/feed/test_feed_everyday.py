"""Everyday posting: pasted @first.last handles become real mentions (identity says whom
they name, with the author's rights), mentions of people who cannot read the community are
refused naming them, must-read announcements stay pinned until read, a person's posts as a
reader may see them."""

from __future__ import annotations

import pytest
from nameko.exceptions import UnknownService

from parvis_contracts.errors import NotFound, Unavailable, ValidationFailed

from .helpers import ids, snapshot


def _names(svc, handles: dict) -> None:
    """What identity answers for the handles (the worker's proxy is nameko's mock)."""
    svc.identity.mentionable.return_value = {"items": [], "handles": handles}


def test_a_pasted_handle_naming_one_member_becomes_a_real_mention(world):
    svc = world.svc(world.member)
    _names(svc, {"paul.other": {"id": "p-other", "display_name": "Paul Other", "member": True}})
    post = svc.create_post(community_id="A", body="Thanks @paul.other! And @nobody.known, `@paul.other`.")
    assert post["body"] == "Thanks @[Paul Other](p-other)! And @nobody.known, `@paul.other`."
    assert post["mentions"] == ["p-other"]
    assert '<a href="/people/p-other"' in post["html"]
    svc.identity.mentionable.assert_called_once_with(community_id="A", handles=["paul.other", "nobody.known"])


def test_a_text_without_handles_asks_nobody(world):
    svc = world.svc(world.member)
    svc.create_post(community_id="A", body="No handle: a@b.example, @community-less, #tag")
    svc.identity.mentionable.assert_not_called()


def test_a_handle_naming_someone_who_cannot_read_is_refused_naming_them(world, engine):
    svc = world.svc(world.member)
    _names(svc, {"eve.employee": {"id": "p-employee", "display_name": "Eve Employee", "member": False}})
    before = snapshot(engine)
    with pytest.raises(ValidationFailed) as refused:
        svc.create_post(community_id="A", body="cc @eve.employee")
    assert refused.value.details["mentions"] == ["p-employee"]
    assert refused.value.details["mention_names"] == ["Eve Employee"]
    assert "Eve Employee" in refused.value.details["body"][0]
    assert snapshot(engine) == before  # nothing written, nothing dropped in silence


def test_a_written_mention_of_someone_outside_is_refused_with_their_name(world):
    with pytest.raises(ValidationFailed) as refused:
        world.post(world.member, "A", body="Hi @[Eve Employee](p-employee) and @[Paul](p-other)")
    assert refused.value.details["mention_names"] == ["Eve Employee"]
    assert refused.value.details["mentions"] == ["p-employee"]


def test_comments_and_edits_resolve_handles_too(world):
    post = world.post(world.member, "A", body="Plan")
    svc = world.svc(world.guest)
    _names(svc, {"paul.other": {"id": "p-other", "display_name": "Paul Other", "member": True}})
    comment = svc.create_comment(post_id=post["id"], body="@paul.other look")
    assert comment["mentions"] == ["p-other"] and comment["body"].startswith("@[Paul Other](p-other)")
    editor = world.svc(world.member)
    _names(editor, {"paul.other": {"id": "p-other", "display_name": "Paul Other", "member": True}})
    edited = editor.edit_post(post_id=post["id"], body="Plan for @paul.other")
    assert edited["mentions"] == ["p-other"]


def test_identity_not_answering_is_a_clear_unavailable_never_a_dropped_mention(world, engine):
    svc = world.svc(world.member)
    svc.identity.mentionable.side_effect = UnknownService("identity")
    before = snapshot(engine)
    with pytest.raises(Unavailable):
        svc.create_post(community_id="A", body="cc @paul.other")
    assert snapshot(engine) == before


def test_an_outsider_is_refused_before_anyone_is_looked_up(world):
    svc = world.svc(world.employee)
    with pytest.raises(NotFound):
        svc.create_post(community_id="A", body="cc @paul.other")
    svc.identity.mentionable.assert_not_called()


# --- must-read announcements, pinned until read ---------------------------------------------


def test_an_unread_announcement_stays_pinned_until_read(world):
    news = world.post(world.manager, "A", body="Read me", kind="announcement")
    world.post(world.manager, "A", body="Just a message")
    member = world.svc(world.member)
    assert ids(member.unread_announcements()) == [news["id"]]
    assert ids(member.unread_announcements(community_id="A")) == [news["id"]]
    assert ids(world.svc(world.guest).unread_announcements()) == [news["id"]]
    assert member.unread_announcements(community_id="C")["items"] == []
    assert world.svc(world.manager).unread_announcements()["items"] == []  # one's own
    assert world.svc(world.employee).unread_announcements()["items"] == []  # not a member
    member.mark_announcement_read(post_id=news["id"])
    assert member.unread_announcements()["items"] == []
    assert ids(world.svc(world.guest).unread_announcements()) == [news["id"]]  # the others still


def test_pinned_announcements_of_a_community_one_cannot_see(world):
    with pytest.raises(NotFound):
        world.svc(world.employee).unread_announcements(community_id="A")
    with pytest.raises(NotFound):
        world.svc(world.member).unread_announcements(community_id="no-such")


def test_a_deleted_announcement_is_no_longer_pinned(world):
    news = world.post(world.manager, "A", body="Read me", kind="announcement")
    world.svc(world.manager).delete_post(post_id=news["id"])
    assert world.svc(world.member).unread_announcements()["items"] == []


# --- a person's posts, as a reader may see them (a profile's activity) ------------------------


def test_a_persons_posts_are_those_the_reader_may_read(world):
    in_a = world.post(world.manager, "A", body="private news")
    in_c = world.post(world.manager, "C", body="open news")
    world.post(world.manager, "S", body="secret news")
    assert ids(world.svc(world.member).author_posts(author_id="p-manager")) == [in_c["id"], in_a["id"]]
    assert ids(world.svc(world.employee).author_posts(author_id="p-manager")) == [in_c["id"]]
    assert ids(world.svc(world.guest).author_posts(author_id="p-manager")) == [in_a["id"]]
    assert world.svc(world.admin).author_posts(author_id="p-manager")["items"][0]["id"] == in_c["id"]
    assert ids(world.svc(world.manager).author_posts(author_id="p-manager", limit=1)) == [
        world.svc(world.manager).author_posts(author_id="p-manager")["items"][0]["id"]
    ]
