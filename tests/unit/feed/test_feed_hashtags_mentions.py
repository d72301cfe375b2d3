"""Hashtags as links in the rendered HTML; mentions in comments, checked and indexed."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from parvis_contracts import markdown
from parvis_contracts.errors import ValidationFailed
from services.feed.models import CommentMention

from .helpers import ids, snapshot


def _link(tag_path: str, text: str) -> str:
    return f'<a href="{tag_path}" rel="nofollow noopener noreferrer ugc">{text}</a>'


# --- hashtags in HTML ------------------------------------------------------------------


def test_a_hashtag_is_a_link_to_its_case_folded_tag_page(world):
    post = world.post(world.member, "A", body="Ready for #Launch and #Été_2026!")
    assert _link("/tags/launch", "#Launch") in post["html"]
    assert _link("/tags/%C3%A9t%C3%A9_2026", "#Été_2026") in post["html"]
    assert post["hashtags"] == ["launch", "été_2026"]


@pytest.mark.parametrize(
    "source",
    [
        "`#incode`",
        "```\n#fenced\n```",
        "    #indented",
        "[#intext](https://e.example/)",
        "<https://e.example/#anchor>",
        "see https://e.example/#anchor",
        "word#glued",
        "#x",
    ],
)
def test_no_hashtag_link_in_code_links_or_non_tags(source):
    html = markdown.to_html(source)
    assert "/tags/" not in html
    assert markdown.hashtags(source) == []


def test_hashtags_inside_a_mention_name_are_not_tags():
    html = markdown.to_html("@[Team #red](p-1) #blue")
    assert '<a href="/people/p-1" rel="nofollow noopener noreferrer ugc">@Team #red</a>' in html
    assert _link("/tags/blue", "#blue") in html
    assert markdown.hashtags("@[Team #red](p-1) #blue") == ["blue"]


def test_indexed_tags_are_exactly_the_linked_ones():
    source = "#One `#two` [#three](https://e.example) **#Four** #one\n\n> #five"
    html = markdown.to_html(source)
    assert markdown.hashtags(source) == ["one", "four", "five"]
    assert html.count('href="/tags/') == 4  # #One, #Four, #one, #five


def test_a_hashtag_link_in_a_comment(world):
    post = world.post(world.member, "A")
    comment = world.svc(world.member).create_comment(post_id=post["id"], body="Agreed #Ops")
    assert _link("/tags/ops", "#Ops") in comment["html"]


# --- mentions in comments --------------------------------------------------------------


def test_a_comment_mention_lists_the_post_in_mentions_of_me(world, clock):
    post = world.post(world.member, "A", body="no mention here")
    assert world.svc(world.guest).mentions_of_me()["items"] == []
    comment = world.svc(world.manager).create_comment(
        post_id=post["id"], body=f"@[G]({world.guest.user_id}) have a look"
    )
    assert comment["mentions"] == [world.guest.user_id]
    assert ids(world.svc(world.guest).mentions_of_me()) == [post["id"]]
    # nobody else is mentioned
    assert world.svc(world.member).mentions_of_me()["items"] == []
    # an edit that drops the mention drops it from the index
    world.svc(world.manager).edit_comment(comment_id=comment["id"], body="never mind")
    assert world.svc(world.guest).mentions_of_me()["items"] == []
    assert list(world.session().scalars(select(CommentMention.user_id))) == []
    # an edit that adds one indexes it; deleting the comment takes it away
    world.svc(world.manager).edit_comment(comment_id=comment["id"], body=f"again @[G]({world.guest.user_id})")
    assert ids(world.svc(world.guest).mentions_of_me()) == [post["id"]]
    world.svc(world.manager).delete_comment(comment_id=comment["id"])
    assert world.svc(world.guest).mentions_of_me()["items"] == []


def test_mentions_of_me_lists_a_post_once_newest_mention_first(world, clock):
    me = world.guest.user_id
    old = world.post(world.member, "A", body=f"first @[G]({me})")
    clock.advance(minutes=1)
    newer = world.post(world.member, "A", body=f"second @[G]({me})")
    clock.advance(minutes=1)
    # a later comment on the old post mentions me twice over: it moves up, once
    for text in ("one", "two"):
        world.svc(world.manager).create_comment(post_id=old["id"], body=f"{text} @[G]({me})")
    assert ids(world.svc(world.guest).mentions_of_me()) == [old["id"], newer["id"]]
    # keyset paging over the mention time: no gap, no duplicate
    first = world.svc(world.guest).mentions_of_me(limit=1)
    second = world.svc(world.guest).mentions_of_me(limit=1, cursor=first["next_cursor"])
    assert ids(first) + ids(second) == [old["id"], newer["id"]]
    assert second["next_cursor"] is None


def test_a_comment_cannot_mention_someone_who_cannot_see_the_community(world):
    post = world.post(world.member, "A")
    before = snapshot(world.engine)
    for outsider in (world.employee, world.outsider_guest):
        with pytest.raises(ValidationFailed) as exc:
            world.svc(world.member).create_comment(post_id=post["id"], body=f"hi @[X]({outsider.user_id})")
        assert exc.value.details["mentions"] == [outsider.user_id]
    assert snapshot(world.engine) == before


def test_a_removed_member_can_no_longer_be_mentioned_nor_see_the_mention(world):
    post = world.post(world.member, "A")
    world.svc(world.member).create_comment(post_id=post["id"], body=f"hi @[O]({world.other_member.user_id})")
    world.leave("A", world.other_member)
    assert world.svc(world.other_member).mentions_of_me()["items"] == []
    with pytest.raises(ValidationFailed):
        world.svc(world.member).create_comment(
            post_id=post["id"], body=f"again @[O]({world.other_member.user_id})"
        )


def test_a_hidden_comment_no_longer_lists_its_post(world):
    post = world.post(world.member, "A")
    comment = world.svc(world.member).create_comment(
        post_id=post["id"], body=f"psst @[G]({world.guest.user_id})"
    )
    report = world.svc(world.other_member).report_content(
        target_type="comment", target_id=comment["id"], reason="spam"
    )
    world.svc(world.manager).resolve_report(report_id=report["id"], action="hide")
    assert world.svc(world.guest).mentions_of_me()["items"] == []
