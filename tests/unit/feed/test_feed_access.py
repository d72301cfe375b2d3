"""One test per access rule (contracts/parvis_contracts/authz_rules.yaml), over the RPC methods."""

from __future__ import annotations

import pytest

from parvis_contracts import events as ev
from parvis_contracts.context import KIND_ANONYMOUS, KIND_SYSTEM, Caller
from parvis_contracts.errors import Forbidden, NotFound, Unauthenticated

from .helpers import ids, snapshot


def _read_all(world, caller, cid, post_id):
    """Every read of a community's content; returns what each answered."""
    svc = world.svc(caller)
    return {
        "wall": ids(svc.community_wall(community_id=cid)),
        "post": world.svc(caller).get_post(post_id=post_id)["id"],
        "comments": world.svc(caller).list_comments(post_id=post_id)["items"],
        "versions": world.svc(caller).post_versions(post_id=post_id)["items"],
        "likers": world.svc(caller).post_likers(post_id=post_id)["items"],
    }


def _refused_everywhere(world, caller, cid, post_id):
    unknown = None
    with pytest.raises(NotFound) as exc:
        world.svc(caller).community_wall(community_id="no-such-community")
    unknown = exc.value
    with pytest.raises(NotFound) as exc:
        world.svc(caller).community_wall(community_id=cid)
    # exactly the answer of an id that does not exist
    assert (exc.value.message, exc.value.details) == (unknown.message, unknown.details)
    with pytest.raises(NotFound) as missing_post:
        world.svc(caller).get_post(post_id="no-such-post")
    for method in ("get_post", "list_comments", "post_versions", "post_likers"):
        with pytest.raises(NotFound) as exc:
            getattr(world.svc(caller), method)(post_id=post_id)
        assert exc.value.message == missing_post.value.message


@pytest.mark.parametrize("who", ["manager", "member", "guest"])
def test_members_and_invited_guests_read_a_private_community(world, who):
    post = world.post(world.manager, "A")
    seen = _read_all(world, getattr(world, who), "A", post["id"])
    assert seen["wall"] == [post["id"]] and seen["post"] == post["id"]


@pytest.mark.parametrize("who", ["employee", "outsider_guest"])
def test_non_members_of_a_private_community_get_not_found(world, who):
    post = world.post(world.manager, "A")
    _refused_everywhere(world, getattr(world, who), "A", post["id"])


@pytest.mark.parametrize("who", ["member", "guest", "employee"])
def test_private_and_secret_communities_are_invisible_to_non_members(world, who):
    for cid in ("B", "S"):
        post = world.post(world.manager, cid)
        _refused_everywhere(world, getattr(world, who), cid, post["id"])


@pytest.mark.parametrize("cid", ["A", "B", "S"])
def test_admins_who_are_not_members_see_the_card_but_not_the_content(world, cid):
    """docs/security.md: the community is visible to admins, so its content answers 403."""
    post = world.post(world.manager, cid)
    svc = world.svc
    for call in (
        lambda: svc(world.admin).community_wall(community_id=cid),
        lambda: svc(world.admin).get_post(post_id=post["id"]),
        lambda: svc(world.admin).list_comments(post_id=post["id"]),
        lambda: svc(world.admin).post_versions(post_id=post["id"]),
    ):
        with pytest.raises(Forbidden):
            call()


@pytest.mark.parametrize("who", ["member", "employee", "admin"])
def test_any_employee_reads_an_open_community(world, who):
    post = world.post(world.manager, "C")
    seen = _read_all(world, getattr(world, who), "C", post["id"])
    assert seen["wall"] == [post["id"]]


def test_a_guest_does_not_read_an_open_community_they_are_not_in(world):
    post = world.post(world.manager, "C")
    _refused_everywhere(world, world.guest, "C", post["id"])


@pytest.mark.parametrize("who", ["manager", "member", "guest"])
def test_members_post_comment_and_like(world, who):
    caller = getattr(world, who)
    post = world.post(caller, "A", body="mine")
    assert post["author_id"] == caller.user_id
    comment = world.svc(caller).create_comment(post_id=post["id"], body="a comment")
    assert world.svc(caller).like_post(post_id=post["id"])["like_count"] == 1
    assert world.svc(caller).like_comment(comment_id=comment["id"])["like_count"] == 1


@pytest.mark.parametrize("who", ["employee", "admin", "outsider_guest"])
def test_non_members_cannot_write_in_a_private_community(world, who):
    caller = getattr(world, who)
    refusal = Forbidden if who == "admin" else NotFound  # admins see A's card: 403
    post = world.post(world.manager, "A")
    comment = world.svc(world.manager).create_comment(post_id=post["id"], body="c")
    before = snapshot(world.engine)
    with pytest.raises(refusal):
        world.post(caller, "A")
    with pytest.raises(refusal):
        world.svc(caller).create_comment(post_id=post["id"], body="x")
    with pytest.raises(refusal):
        world.svc(caller).like_post(post_id=post["id"])
    with pytest.raises(refusal):
        world.svc(caller).like_comment(comment_id=comment["id"])
    assert snapshot(world.engine) == before


def test_employees_read_but_do_not_write_in_an_open_community_they_have_not_joined(world):
    post = world.post(world.manager, "C")
    before = snapshot(world.engine)
    for call in (
        lambda s: s.create_post(community_id="C", body="x"),
        lambda s: s.create_comment(post_id=post["id"], body="x"),
        lambda s: s.like_post(post_id=post["id"]),
    ):
        with pytest.raises(Forbidden):
            call(world.svc(world.employee))
    assert snapshot(world.engine) == before


@pytest.mark.parametrize("who", ["manager", "admin_member"])
def test_managers_and_admins_edit_and_delete_someone_elses_content(world, who):
    if who == "admin_member":
        world.join("A", world.admin)
        caller = world.admin
    else:
        caller = world.manager
    post = world.post(world.member, "A", body="original")
    comment = world.svc(world.member).create_comment(post_id=post["id"], body="c")
    assert world.svc(caller).edit_post(post_id=post["id"], body="moderated")["body"] == "moderated"
    assert world.svc(caller).edit_comment(comment_id=comment["id"], body="m")["body"] == "m"
    assert world.svc(caller).delete_comment(comment_id=comment["id"])["deleted"] is True
    assert world.svc(caller).delete_post(post_id=post["id"])["deleted"] is True


def test_an_admin_moderates_an_open_community_they_can_read(world):
    post = world.post(world.manager, "C")
    assert world.svc(world.admin).delete_post(post_id=post["id"])["deleted"] is True


@pytest.mark.parametrize("who", ["other_member", "guest"])
def test_members_and_guests_cannot_touch_someone_elses_content(world, who):
    caller = getattr(world, who)
    post = world.post(world.member, "A")
    comment = world.svc(world.member).create_comment(post_id=post["id"], body="c")
    before = snapshot(world.engine)
    for call in (
        lambda s: s.edit_post(post_id=post["id"], body="x"),
        lambda s: s.delete_post(post_id=post["id"]),
        lambda s: s.edit_comment(comment_id=comment["id"], body="x"),
        lambda s: s.delete_comment(comment_id=comment["id"]),
    ):
        with pytest.raises(Forbidden):
            call(world.svc(caller))
    assert snapshot(world.engine) == before


@pytest.mark.parametrize("who", ["employee", "admin"])
def test_non_members_cannot_even_see_someone_elses_content_to_touch_it(world, who):
    caller = getattr(world, who)
    refusal = Forbidden if who == "admin" else NotFound  # admins see A's card: 403
    post = world.post(world.member, "A")
    with pytest.raises(refusal):
        world.svc(caller).edit_post(post_id=post["id"], body="x")
    with pytest.raises(refusal):
        world.svc(caller).delete_post(post_id=post["id"])


def test_authors_edit_and_delete_their_own(world):
    post = world.post(world.guest, "A", body="v1")
    assert world.svc(world.guest).edit_post(post_id=post["id"], body="v2")["version"] == 2
    assert world.svc(world.guest).delete_post(post_id=post["id"])["deleted"] is True


def test_an_archived_community_is_read_only_for_everyone(world):
    post = world.post(world.member, "A")
    comment = world.svc(world.member).create_comment(post_id=post["id"], body="c")
    world.community("A", archived=True, event=ev.COMMUNITIES_COMMUNITY_ARCHIVED)
    before = snapshot(world.engine)
    for caller in (world.manager, world.member, world.guest):
        for call in (
            lambda s: s.create_post(community_id="A", body="x"),
            lambda s: s.create_comment(post_id=post["id"], body="x"),
            lambda s: s.like_post(post_id=post["id"]),
            lambda s: s.like_comment(comment_id=comment["id"]),
            lambda s: s.edit_post(post_id=post["id"], body="x"),
            lambda s: s.delete_post(post_id=post["id"]),
            lambda s: s.edit_comment(comment_id=comment["id"], body="x"),
            lambda s: s.delete_comment(comment_id=comment["id"]),
        ):
            with pytest.raises(Forbidden):
                call(world.svc(caller))
    assert snapshot(world.engine) == before
    # reading stays
    assert ids(world.svc(world.guest).community_wall(community_id="A")) == [post["id"]]
    world.community("A", archived=False, event=ev.COMMUNITIES_COMMUNITY_REOPENED)
    assert world.post(world.member, "A")["community_id"] == "A"


def test_a_removed_guest_loses_access_at_the_next_call(world):
    post = world.post(world.member, "A")
    assert world.svc(world.guest).get_post(post_id=post["id"])["id"] == post["id"]
    world.leave("A", world.guest)
    with pytest.raises(NotFound):
        world.svc(world.guest).get_post(post_id=post["id"])
    with pytest.raises(NotFound):
        world.svc(world.guest).community_wall(community_id="A")
    with pytest.raises(NotFound):
        world.post(world.guest, "A")
    assert world.svc(world.guest).home_timeline()["items"] == []


def test_newcomers_do_not_see_history_when_the_community_says_so(world, clock):
    world.community("N", "private", history=False)
    world.join("N", world.manager, role="manager")
    old = world.post(world.manager, "N", body="before you came")
    clock.advance(minutes=5)
    world.join("N", world.member)
    clock.advance(minutes=5)
    new = world.post(world.manager, "N", body="after you came")
    assert ids(world.svc(world.member).community_wall(community_id="N")) == [new["id"]]
    assert ids(world.svc(world.member).home_timeline()) == [new["id"]]
    with pytest.raises(NotFound):
        world.svc(world.member).get_post(post_id=old["id"])
    # the manager, a member from before, sees both
    assert ids(world.svc(world.manager).community_wall(community_id="N")) == [new["id"], old["id"]]
    # and with history open to newcomers, the newcomer sees everything
    world.community("N", "private", history=True, event=ev.COMMUNITIES_COMMUNITY_UPDATED)
    assert ids(world.svc(world.member).community_wall(community_id="N")) == [new["id"], old["id"]]


def test_a_deleted_post_is_not_found_for_everyone(world):
    post = world.post(world.member, "A")
    world.svc(world.member).delete_post(post_id=post["id"])
    for caller in (world.member, world.manager, world.guest, world.admin):
        with pytest.raises(NotFound):
            world.svc(caller).get_post(post_id=post["id"])
        assert post["id"] not in ids(world.svc(world.manager).community_wall(community_id="A"))
    with pytest.raises(NotFound):
        world.svc(world.manager).delete_post(post_id=post["id"])


def test_only_managers_publish_announcements(world):
    before = snapshot(world.engine)
    for caller in (world.member, world.guest):
        with pytest.raises(Forbidden):
            world.post(caller, "A", kind="announcement")
    assert snapshot(world.engine) == before
    assert world.post(world.manager, "A", kind="announcement")["kind"] == "announcement"


@pytest.mark.parametrize(
    "caller",
    [
        None,
        Caller(kind=KIND_SYSTEM),
        Caller(kind=KIND_ANONYMOUS),
        Caller(kind="person", user_id=None),
    ],
    ids=["none", "system", "anonymous", "person-without-id"],
)
def test_only_signed_in_people_use_the_feed(world, caller):
    svc = world.svc(caller)
    if caller is None:
        svc.caller = None
    with pytest.raises(Unauthenticated):
        svc.home_timeline()
    with pytest.raises(Unauthenticated):
        svc.create_post(community_id="A", body="x")
    with pytest.raises(Unauthenticated):
        svc.community_wall(community_id="C")
