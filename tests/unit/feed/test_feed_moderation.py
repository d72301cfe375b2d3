"""Questions with an accepted answer, announcements with read tracking, reports queue."""

from __future__ import annotations

import pytest

from parvis_contracts.errors import Conflict, Forbidden, NotFound, ValidationFailed

from .helpers import ids, outbox_events, snapshot

# --- questions ------------------------------------------------------------------


@pytest.mark.parametrize("who", ["member", "manager"])
def test_the_author_or_a_manager_accepts_an_answer(world, who):
    q = world.post(world.member, "A", body="how?", kind="question")
    a1 = world.svc(world.guest).create_comment(post_id=q["id"], body="this way")
    a2 = world.svc(world.other_member).create_comment(post_id=q["id"], body="that way")
    got = world.svc(getattr(world, who)).accept_answer(post_id=q["id"], comment_id=a2["id"])
    assert got["accepted_comment_id"] == a2["id"]
    listed = world.svc(world.guest).list_comments(post_id=q["id"])["items"]
    assert [(c["id"], c["accepted"]) for c in listed] == [(a1["id"], False), (a2["id"], True)]
    cleared = world.svc(getattr(world, who)).accept_answer(post_id=q["id"], comment_id=None)
    assert cleared["accepted_comment_id"] is None


def test_a_newly_accepted_answer_emits_one_event(world):
    q = world.post(world.member, "A", body="how?", kind="question")
    a1 = world.svc(world.guest).create_comment(post_id=q["id"], body="this way")
    a2 = world.svc(world.other_member).create_comment(post_id=q["id"], body="that way")
    start = len(outbox_events(world.engine))
    world.svc(world.manager).accept_answer(post_id=q["id"], comment_id=a1["id"])
    world.svc(world.member).accept_answer(post_id=q["id"], comment_id=a1["id"])  # the same: no news
    world.svc(world.member).accept_answer(post_id=q["id"], comment_id=a2["id"])
    world.svc(world.member).accept_answer(post_id=q["id"], comment_id=None)  # cleared: no news
    assert outbox_events(world.engine)[start:] == [
        (
            "feed.answer_accepted",
            {
                "post_id": q["id"],
                "community_id": "A",
                "comment_id": a1["id"],
                "comment_author_id": world.guest.user_id,
                "accepted_by": world.manager.user_id,
            },
        ),
        (
            "feed.answer_accepted",
            {
                "post_id": q["id"],
                "community_id": "A",
                "comment_id": a2["id"],
                "comment_author_id": world.other_member.user_id,
                "accepted_by": world.member.user_id,
            },
        ),
    ]


def test_others_cannot_accept_and_bad_answers_are_refused(world):
    q = world.post(world.member, "A", body="how?", kind="question")
    a = world.svc(world.guest).create_comment(post_id=q["id"], body="so")
    other_q = world.post(world.member, "A", body="other?", kind="question")
    msg = world.post(world.member, "A", body="not a question")
    before = snapshot(world.engine)
    with pytest.raises(Forbidden):
        world.svc(world.guest).accept_answer(post_id=q["id"], comment_id=a["id"])
    with pytest.raises(NotFound):
        world.svc(world.member).accept_answer(post_id=other_q["id"], comment_id=a["id"])
    with pytest.raises(NotFound):
        world.svc(world.member).accept_answer(post_id=q["id"], comment_id="no-such-comment")
    with pytest.raises(ValidationFailed):
        world.svc(world.member).accept_answer(post_id=msg["id"], comment_id=a["id"])
    assert snapshot(world.engine) == before
    assert world.svc(world.member).get_post(post_id=q["id"])["accepted_comment_id"] is None


def test_deleting_the_accepted_answer_reopens_the_question(world):
    q = world.post(world.member, "A", body="how?", kind="question")
    a = world.svc(world.guest).create_comment(post_id=q["id"], body="so")
    world.svc(world.member).accept_answer(post_id=q["id"], comment_id=a["id"])
    world.svc(world.guest).delete_comment(comment_id=a["id"])
    assert world.svc(world.member).get_post(post_id=q["id"])["accepted_comment_id"] is None
    assert ids(world.svc(world.member).community_wall(community_id="A", unanswered=True)) == [q["id"]]


# --- announcements --------------------------------------------------------------


def test_members_acknowledge_and_managers_see_who_has_not(world):
    ann = world.post(world.manager, "A", body="Read me", kind="announcement")
    assert ann["read_by_me"] is False and ann["read_count"] == 0
    assert world.svc(world.guest).mark_announcement_read(post_id=ann["id"])["read_count"] == 1
    # acknowledging twice is harmless and counts once
    assert world.svc(world.guest).mark_announcement_read(post_id=ann["id"])["read_count"] == 1
    world.svc(world.member).mark_announcement_read(post_id=ann["id"])
    assert world.svc(world.guest).get_post(post_id=ann["id"])["read_by_me"] is True
    assert world.svc(world.other_member).get_post(post_id=ann["id"])["read_by_me"] is False
    reads = world.svc(world.manager).announcement_reads(post_id=ann["id"])
    assert [r["user_id"] for r in reads["read"]] == [world.guest.user_id, world.member.user_id]
    assert sorted(reads["unread"]) == sorted([world.manager.user_id, world.other_member.user_id])
    assert (reads["read_count"], reads["member_count"]) == (2, 4)


def test_only_managers_see_the_read_list(world):
    ann = world.post(world.manager, "A", body="Read me", kind="announcement")
    for caller in (world.member, world.guest):
        with pytest.raises(Forbidden):
            world.svc(caller).announcement_reads(post_id=ann["id"])
    with pytest.raises(NotFound):
        world.svc(world.employee).announcement_reads(post_id=ann["id"])


def test_read_tracking_only_for_announcements(world):
    msg = world.post(world.manager, "A", body="plain")
    with pytest.raises(ValidationFailed):
        world.svc(world.member).mark_announcement_read(post_id=msg["id"])
    assert msg["read_by_me"] is None


def test_employees_on_an_open_community_cannot_acknowledge(world):
    ann = world.post(world.manager, "C", body="Read me", kind="announcement")
    with pytest.raises(Forbidden):
        world.svc(world.employee).mark_announcement_read(post_id=ann["id"])


# --- reports ------------------------------------------------------------------------


def test_report_queue_hide_and_restore(world):
    post = world.post(world.member, "A", body="spam")
    comment = world.svc(world.member).create_comment(post_id=post["id"], body="more spam")
    r1 = world.svc(world.guest).report_content(target_type="post", target_id=post["id"], reason="spam")
    world.svc(world.other_member).report_content(target_type="post", target_id=post["id"], reason="also spam")
    r3 = world.svc(world.guest).report_content(target_type="comment", target_id=comment["id"], reason="spam")
    with pytest.raises(Conflict):
        world.svc(world.guest).report_content(target_type="post", target_id=post["id"], reason="again")
    queue = world.svc(world.manager).report_queue(community_id="A")
    assert [r["id"] for r in queue["items"]][0] == r1["id"] and len(queue["items"]) == 3
    assert queue["items"][0]["target_body"] == "spam"

    world.svc(world.manager).resolve_report(report_id=r3["id"], action="hide")
    assert world.svc(world.member).get_post(post_id=post["id"])["comment_count"] == 0
    assert world.svc(world.member).list_comments(post_id=post["id"])["items"] == []
    hidden = world.svc(world.manager).resolve_report(report_id=r1["id"], action="hide")
    assert hidden["status"] == "hidden" and hidden["target_hidden"] is True
    # both reports on the post are resolved at once
    assert world.svc(world.manager).report_queue(community_id="A")["items"] == []
    assert len(world.svc(world.manager).report_queue(community_id="A", status="hidden")["items"]) == 3
    with pytest.raises(NotFound):
        world.svc(world.member).get_post(post_id=post["id"])
    assert post["id"] not in ids(world.svc(world.guest).community_wall(community_id="A"))
    # the manager still sees it, and restores it
    assert world.svc(world.manager).get_post(post_id=post["id"])["hidden"] is True
    world.svc(world.manager).resolve_report(report_id=r1["id"], action="restore")
    world.svc(world.manager).resolve_report(report_id=r3["id"], action="restore")
    assert world.svc(world.member).get_post(post_id=post["id"])["comment_count"] == 1
    assert post["id"] in ids(world.svc(world.guest).community_wall(community_id="A"))


def test_only_managers_handle_reports(world):
    post = world.post(world.member, "A", body="spam")
    report = world.svc(world.guest).report_content(target_type="post", target_id=post["id"], reason="spam")
    for caller in (world.member, world.guest):
        with pytest.raises(Forbidden):
            world.svc(caller).report_queue(community_id="A")
        with pytest.raises(Forbidden):
            world.svc(caller).resolve_report(report_id=report["id"], action="hide")
    for caller, refusal in ((world.employee, NotFound), (world.admin, Forbidden)):
        with pytest.raises(refusal):
            world.svc(caller).report_queue(community_id="A")
        with pytest.raises(refusal):
            world.svc(caller).resolve_report(report_id=report["id"], action="hide")
    with pytest.raises(NotFound):
        world.svc(world.employee).report_content(target_type="post", target_id=post["id"], reason="x")
    with pytest.raises(ValidationFailed):
        world.svc(world.member).report_content(target_type="post", target_id=post["id"], reason="   ")
    with pytest.raises(ValidationFailed):
        world.svc(world.manager).resolve_report(report_id=report["id"], action="delete")


def test_reports_and_their_outcome_are_published(world):
    post = world.post(world.member, "A", body="spam")
    start = len(outbox_events(world.engine))
    report = world.svc(world.guest).report_content(target_type="post", target_id=post["id"], reason="spam")
    where = {"community_id": "A", "target_type": "post", "target_id": post["id"], "post_id": post["id"]}
    assert outbox_events(world.engine)[start:] == [
        ("feed.content_reported", {**where, "report_id": report["id"], "reporter_id": world.guest.user_id})
    ]
    manager = world.svc(world.manager)
    manager.resolve_report(report_id=report["id"], action="hide")
    manager.resolve_report(report_id=report["id"], action="hide")  # already hidden: nothing new
    manager.resolve_report(report_id=report["id"], action="restore")
    assert outbox_events(world.engine)[start + 1 :] == [
        ("feed.content_hidden", {**where, "by": world.manager.user_id}),
        ("feed.content_restored", {**where, "by": world.manager.user_id}),
    ]


def test_a_manager_reminds_those_who_have_not_read_once_a_day(world, clock):
    ann = world.post(world.manager, "A", body="Read me", kind="announcement")
    world.svc(world.guest).mark_announcement_read(post_id=ann["id"])
    start = len(outbox_events(world.engine))
    sent = world.svc(world.manager).remind_announcement(post_id=ann["id"])
    assert sent["reminded"] == 2  # the member and the other member: not the reader, not the author
    ((event, payload),) = outbox_events(world.engine)[start:]
    assert event == "feed.announcement_reminded"
    assert sorted(payload["user_ids"]) == sorted([world.member.user_id, world.other_member.user_id])
    assert payload["by"] == world.manager.user_id and payload["community_id"] == "A"
    again = world.svc(world.manager).remind_announcement(post_id=ann["id"])
    assert again["reminded"] == 0 and again["reminded_at"] == sent["reminded_at"]
    assert len(outbox_events(world.engine)) == start + 1
    clock.advance(days=1, seconds=1)
    assert world.svc(world.manager).remind_announcement(post_id=ann["id"])["reminded"] == 2
    with pytest.raises(Forbidden):
        world.svc(world.member).remind_announcement(post_id=ann["id"])
    message = world.post(world.manager, "A", body="Not an announcement")
    with pytest.raises(ValidationFailed):
        world.svc(world.manager).remind_announcement(post_id=message["id"])
