"""Posts, comments and likes: content rules, bad input, counters, history, events."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from parvis_contracts.errors import Conflict, Forbidden, NotFound, ValidationFailed
from parvis_contracts.markdown import ALLOWED_TAGS
from services.feed.models import PostHashtag, PostMention, metadata

from .helpers import outbox_events, outbox_types, snapshot

# --- bad input: a clear 4xx and nothing changes ----------------------------------


@pytest.mark.parametrize(
    "body",
    ["", "   \n\t ", "x" * 20_001, None, 42, ["x"]],
    ids=["empty", "blank", "oversized", "none", "number", "list"],
)
def test_bad_post_bodies_are_refused(world, body):
    before = snapshot(world.engine)
    with pytest.raises(ValidationFailed) as exc:
        world.post(world.member, "A", body=body)
    assert "body" in exc.value.details
    assert snapshot(world.engine) == before


def test_the_largest_allowed_post_is_accepted(world):
    assert len(world.post(world.member, "A", body="y" * 20_000)["body"]) == 20_000


def test_unknown_community(world):
    before = snapshot(world.engine)
    with pytest.raises(NotFound) as exc:
        world.post(world.member, "no-such-community")
    assert exc.value.message == "This community does not exist or you cannot see it."
    assert snapshot(world.engine) == before


def test_unknown_kind(world):
    with pytest.raises(ValidationFailed) as exc:
        world.post(world.member, "A", kind="poll")
    assert "kind" in exc.value.details


def test_mentioning_someone_who_cannot_see_the_community(world):
    before = snapshot(world.engine)
    for target in (world.employee.user_id, "no-such-person"):
        with pytest.raises(ValidationFailed) as exc:
            world.post(world.member, "A", body=f"hi @[X]({target})")
        assert exc.value.details["mentions"] == [target]
    post = world.post(world.member, "A")
    with pytest.raises(ValidationFailed):
        world.svc(world.member).create_comment(post_id=post["id"], body=f"@[E]({world.employee.user_id})")
    with pytest.raises(ValidationFailed):
        world.svc(world.member).edit_post(post_id=post["id"], body=f"@[E]({world.employee.user_id})")
    assert world.svc(world.member).get_post(post_id=post["id"])["version"] == 1
    after = snapshot(world.engine)
    assert after["posts"] == before["posts"] + 1 and after["comments"] == before["comments"]


def test_comment_on_a_deleted_post(world):
    post = world.post(world.member, "A")
    world.svc(world.member).delete_post(post_id=post["id"])
    before = snapshot(world.engine)
    with pytest.raises(NotFound):
        world.svc(world.other_member).create_comment(post_id=post["id"], body="late")
    with pytest.raises(NotFound):
        world.svc(world.other_member).like_post(post_id=post["id"])
    assert snapshot(world.engine) == before


def test_double_like_is_a_conflict_and_counts_once(world):
    post = world.post(world.member, "A")
    comment = world.svc(world.member).create_comment(post_id=post["id"], body="c")
    world.svc(world.guest).like_post(post_id=post["id"])
    world.svc(world.guest).like_comment(comment_id=comment["id"])
    before = snapshot(world.engine)
    with pytest.raises(Conflict):
        world.svc(world.guest).like_post(post_id=post["id"])
    with pytest.raises(Conflict):
        world.svc(world.guest).like_comment(comment_id=comment["id"])
    assert snapshot(world.engine) == before
    assert world.svc(world.member).get_post(post_id=post["id"])["like_count"] == 1
    assert world.svc(world.member).get_comment(comment_id=comment["id"])["like_count"] == 1


def test_unliking_what_you_do_not_like(world):
    post = world.post(world.member, "A")
    with pytest.raises(NotFound):
        world.svc(world.guest).unlike_post(post_id=post["id"])


@pytest.mark.parametrize(
    "kwargs",
    [
        {"post_id": None},
        {"post_id": ""},
        {"post_id": "x" * 65},
        {"post_id": 7},
    ],
)
def test_bad_ids(world, kwargs):
    with pytest.raises(ValidationFailed):
        world.svc(world.member).get_post(**kwargs)


def _cursor(*parts):
    import base64
    import json

    return base64.urlsafe_b64encode(json.dumps(list(parts)).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"limit": 0},
        {"limit": 101},
        {"limit": "10"},
        {"cursor": "not-a-cursor"},
        {"cursor": "W10"},
        {"cursor": _cursor("2026-01-01T00:00:00", "x")},
        {"cursor": _cursor("2026-01-01T00:00:00+00:00", 5)},
    ],
    ids=["zero", "too-many", "string-limit", "garbage", "empty-list", "naive-time", "numeric-id"],
)
def test_bad_paging_arguments(world, kwargs):
    with pytest.raises(ValidationFailed):
        world.svc(world.member).community_wall(community_id="A", **kwargs)
    with pytest.raises(ValidationFailed):
        world.svc(world.member).home_timeline(**kwargs)


@pytest.mark.parametrize("since", ["yesterday", 12, "2026-01-01T00:00:00"])
def test_a_home_cursor_with_a_bad_last_visit(world, since):
    with pytest.raises(ValidationFailed):
        world.svc(world.member).home_timeline(cursor=_cursor("2026-01-01T00:00:00+00:00", "x", since))


# --- Markdown, mentions, hashtags -----------------------------------------------------


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def _tags(html):
    parser = _Tags()
    parser.feed(html)
    return parser.tags


@pytest.mark.parametrize(
    "source",
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        '<a href="https://e.example" onclick="steal()">x</a>',
        "[click](javascript:alert(1))",
        "[click](JaVaScRiPt:alert(1))",
        "[click](java\\0script:alert(1))",
        "[data](data:text/html;base64,PHNjcmlwdD4=)",
        "<iframe src=https://e.example></iframe>",
        "<style>body{}</style>",
        '<svg onload="alert(1)">',
        '[x](https://e.example "t" onmouseover=alert(1))',
    ],
)
def test_markdown_is_rendered_and_sanitised(world, source):
    post = world.post(world.member, "A", body=source)
    for tag, attrs in _tags(post["html"]):
        assert tag in ALLOWED_TAGS
        assert not [name for name in attrs if name.lower().startswith("on")]
        href = (attrs.get("href") or "").strip()
        assert urlsplit(href).scheme.lower() in ("", "http", "https", "mailto")
    assert post["body"] == source  # the source is kept as written


def test_markdown_formatting_and_links_survive(world):
    post = world.post(
        world.member, "A", body="**bold** _em_ [site](https://e.example/a?b=1)\n\n- item\n\n`code`"
    )
    html = post["html"]
    assert "<strong>bold</strong>" in html and "<em>em</em>" in html
    assert '<a href="https://e.example/a?b=1" rel="nofollow noopener noreferrer ugc">site</a>' in html
    assert "<li>item</li>" in html and "<code>code</code>" in html


def test_mentions_are_links_to_people_and_are_indexed(world):
    body = f"hello @[Ann *Guest*]({world.guest.user_id}) and @[M]({world.manager.user_id})"
    post = world.post(world.member, "A", body=body)
    assert post["mentions"] == [world.guest.user_id, world.manager.user_id]
    assert f'href="/people/{world.guest.user_id}"' in post["html"]
    page = world.svc(world.guest).mentions_of_me()
    assert [p["id"] for p in page["items"]] == [post["id"]]
    assert world.svc(world.employee).mentions_of_me()["items"] == []
    # an edit that drops the mention drops it from the index
    world.svc(world.member).edit_post(post_id=post["id"], body="nobody now")
    assert world.svc(world.guest).mentions_of_me()["items"] == []
    s = world.session()
    assert list(s.scalars(select(PostMention.user_id))) == []


def test_hashtags_are_extracted_case_folded_and_listed_by_access(world, clock):
    a = world.post(
        world.member, "A", body="#Launch day! #été_2026 #x `#incode` [l](https://e.example/#frag) #launch"
    )
    assert a["hashtags"] == ["launch", "été_2026"]
    clock.advance(seconds=1)
    c = world.post(world.manager, "C", body="open #LAUNCH")
    clock.advance(seconds=1)
    b = world.post(world.manager, "B", body="secret #launch")
    assert [p["id"] for p in world.svc(world.member).hashtag_posts(tag="#Launch")["items"]] == [
        c["id"],
        a["id"],
    ]
    assert [p["id"] for p in world.svc(world.employee).hashtag_posts(tag="launch")["items"]] == [c["id"]]
    assert [p["id"] for p in world.svc(world.manager).hashtag_posts(tag="launch")["items"]] == [
        b["id"],
        c["id"],
        a["id"],
    ]
    assert [p["id"] for p in world.svc(world.guest).hashtag_posts(tag="launch")["items"]] == [a["id"]]
    with pytest.raises(ValidationFailed):
        world.svc(world.member).hashtag_posts(tag="#")
    s = world.session()
    assert sorted(s.scalars(select(PostHashtag.tag).where(PostHashtag.post_id == a["id"]))) == [
        "launch",
        "été_2026",
    ]


def test_hashtag_length_limits(world):
    post = world.post(world.member, "A", body="#ok #" + "a" * 50 + " #" + "b" * 51)
    assert post["hashtags"] == ["ok", "a" * 50]


# --- comments ----------------------------------------------------------------------


def test_comments_with_one_level_of_replies_and_counters(world):
    post = world.post(world.member, "A")
    top = world.svc(world.guest).create_comment(post_id=post["id"], body="top")
    reply = world.svc(world.manager).create_comment(post_id=post["id"], body="reply", parent_id=top["id"])
    assert reply["parent_id"] == top["id"]
    before = snapshot(world.engine)
    with pytest.raises(ValidationFailed) as exc:
        world.svc(world.member).create_comment(post_id=post["id"], body="deeper", parent_id=reply["id"])
    assert "parent_id" in exc.value.details
    other = world.post(world.member, "A")
    with pytest.raises(NotFound):
        world.svc(world.member).create_comment(post_id=other["id"], body="x", parent_id=top["id"])
    assert snapshot(world.engine)["comments"] == before["comments"]
    assert world.svc(world.member).get_post(post_id=post["id"])["comment_count"] == 2
    listed = world.svc(world.member).list_comments(post_id=post["id"])["items"]
    assert [c["id"] for c in listed] == [top["id"], reply["id"]]
    world.svc(world.manager).delete_comment(comment_id=top["id"])
    assert world.svc(world.member).get_post(post_id=post["id"])["comment_count"] == 1
    with pytest.raises(NotFound):
        world.svc(world.member).get_comment(comment_id=top["id"])


def test_comment_pages_have_no_gap_and_no_duplicate(world, clock):
    post = world.post(world.member, "A")
    made = []
    for i in range(7):
        made.append(world.svc(world.member).create_comment(post_id=post["id"], body=f"c{i}")["id"])
        if i % 3 == 0:
            clock.advance(seconds=1)
    seen, cursor = [], None
    for _ in range(10):
        page = world.svc(world.guest).list_comments(post_id=post["id"], limit=2, cursor=cursor)
        seen += [c["id"] for c in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert sorted(seen) == sorted(made) and len(seen) == len(set(seen))


# --- likes -------------------------------------------------------------------------


def test_likes_and_who_liked(world, clock):
    post = world.post(world.member, "A")
    comment = world.svc(world.member).create_comment(post_id=post["id"], body="c")
    for caller in (world.manager, world.guest, world.other_member):
        world.svc(caller).like_post(post_id=post["id"])
        world.svc(caller).like_comment(comment_id=comment["id"])
        clock.advance(seconds=1)
    got = world.svc(world.member).get_post(post_id=post["id"])
    assert got["like_count"] == 3 and got["liked_by_me"] is False
    assert world.svc(world.guest).get_post(post_id=post["id"])["liked_by_me"] is True
    first = world.svc(world.member).post_likers(post_id=post["id"], limit=2)
    rest = world.svc(world.member).post_likers(post_id=post["id"], limit=2, cursor=first["next_cursor"])
    assert [x["user_id"] for x in first["items"] + rest["items"]] == [
        world.manager.user_id,
        world.guest.user_id,
        world.other_member.user_id,
    ]
    assert first["count"] == 3 and rest["next_cursor"] is None
    likers = world.svc(world.member).comment_likers(comment_id=comment["id"])
    assert likers["count"] == 3 and len(likers["items"]) == 3
    assert world.svc(world.guest).unlike_post(post_id=post["id"])["like_count"] == 2
    assert world.svc(world.guest).unlike_comment(comment_id=comment["id"])["like_count"] == 2
    assert world.svc(world.guest).get_post(post_id=post["id"])["liked_by_me"] is False


# --- edit history and delete ------------------------------------------------------------


def test_edits_keep_previous_versions(world, clock):
    post = world.post(world.member, "A", body="v1 #one")
    clock.advance(minutes=1)
    edited = world.svc(world.member).edit_post(post_id=post["id"], body="v2 **bold** #two")
    assert edited["version"] == 2 and edited["hashtags"] == ["two"]
    assert "<strong>bold</strong>" in edited["html"] and edited["edited_at"] is not None
    clock.advance(minutes=1)
    world.svc(world.manager).edit_post(post_id=post["id"], body="v3")
    history = world.svc(world.guest).post_versions(post_id=post["id"])["items"]
    assert [(v["version"], v["body"], v["current"]) for v in history] == [
        (1, "v1 #one", False),
        (2, "v2 **bold** #two", False),
        (3, "v3", True),
    ]
    assert history[1]["replaced_by"] == world.manager.user_id
    assert world.svc(world.member).hashtag_posts(tag="one")["items"] == []

    comment = world.svc(world.guest).create_comment(post_id=post["id"], body="c1")
    world.svc(world.guest).edit_comment(comment_id=comment["id"], body="c2")
    versions = world.svc(world.member).comment_versions(comment_id=comment["id"])["items"]
    assert [(v["version"], v["body"]) for v in versions] == [(1, "c1"), (2, "c2")]


def test_writes_emit_feed_events_through_the_outbox(world):
    post = world.post(world.member, "A", body=f"@[G]({world.guest.user_id})")
    comment = world.svc(world.guest).create_comment(post_id=post["id"], body="c")
    world.svc(world.guest).edit_comment(comment_id=comment["id"], body="c2")
    world.svc(world.guest).delete_comment(comment_id=comment["id"])
    world.svc(world.member).edit_post(post_id=post["id"], body="edited")
    world.svc(world.member).delete_post(post_id=post["id"])
    assert outbox_types(world.engine) == [
        "feed.post_created",
        "feed.comment_created",
        "feed.comment_updated",
        "feed.comment_deleted",
        "feed.post_updated",
        "feed.post_deleted",
    ]
    outbox = (
        world.session()
        .execute(select(metadata.tables["outbox"].c.payload).order_by(metadata.tables["outbox"].c.id))
        .scalars()
        .first()
    )
    assert outbox == {
        "post_id": post["id"],
        "community_id": "A",
        "author_id": world.member.user_id,
        "kind": "message",
        "language": None,
        "mentions": [world.guest.user_id],
        "community_mentioned": False,
        "body": f"@[G]({world.guest.user_id})",
        "revision": 1,
    }


def test_mentioning_the_whole_community_needs_a_manager_above_fifty_members(world):
    from parvis_contracts import limits
    from parvis_contracts.context import KIND_PERSON, Caller

    made = world.svc(world.member).create_post(community_id="A", body="Bonjour @community !")
    (created,) = [
        data
        for kind, data in outbox_events(world.engine)
        if kind == "feed.post_created" and data["post_id"] == made["id"]
    ]
    assert created["community_mentioned"] is True
    for i in range(limits.COMMUNITY_MENTION_FREE_MAX):
        world.join(
            "A", Caller(kind=KIND_PERSON, user_id=f"p-crowd-{i}", org_id="org-host", roles=frozenset())
        )
    with pytest.raises(ValidationFailed) as refused:
        world.svc(world.member).create_post(community_id="A", body="Hello @community")
    assert "manager" in refused.value.details["body"][0]
    with pytest.raises(ValidationFailed):
        world.svc(world.member).edit_post(made["id"], body="Hello again @community")
    # an address or a word that merely contains it is no mention
    world.svc(world.member).create_post(community_id="A", body="Write to team@community.example")
    assert world.svc(world.manager).create_post(community_id="A", body="All hands: @community")["id"]


def test_a_new_like_emits_one_event_naming_the_author_and_the_liker(world):
    post = world.post(world.manager, "A", kind="announcement")
    comment = world.svc(world.guest).create_comment(post_id=post["id"], body="c")
    start = len(outbox_events(world.engine))
    world.svc(world.member).like_post(post_id=post["id"])
    world.svc(world.other_member).like_comment(comment_id=comment["id"])
    assert outbox_events(world.engine)[start:] == [
        (
            "feed.post_liked",
            {
                "post_id": post["id"],
                "comment_id": None,
                "community_id": "A",
                "author_id": world.manager.user_id,
                "liker_id": world.member.user_id,
            },
        ),
        (
            "feed.comment_liked",
            {
                "post_id": post["id"],
                "comment_id": comment["id"],
                "community_id": "A",
                "author_id": world.guest.user_id,
                "liker_id": world.other_member.user_id,
            },
        ),
    ]


def test_a_second_like_unlikes_and_reads_emit_nothing(world):
    post = world.post(world.manager, "A", kind="announcement")
    comment = world.svc(world.guest).create_comment(post_id=post["id"], body="c")
    world.svc(world.member).like_post(post_id=post["id"])
    world.svc(world.member).like_comment(comment_id=comment["id"])
    before = outbox_events(world.engine)
    with pytest.raises(Conflict):
        world.svc(world.member).like_post(post_id=post["id"])
    with pytest.raises(Conflict):
        world.svc(world.member).like_comment(comment_id=comment["id"])
    world.svc(world.member).unlike_post(post_id=post["id"])
    world.svc(world.member).unlike_comment(comment_id=comment["id"])
    world.svc(world.member).mark_announcement_read(post_id=post["id"])
    assert outbox_events(world.engine) == before


def test_forbidden_writes_emit_nothing(world):
    post = world.post(world.member, "A")
    with pytest.raises(Forbidden):
        world.svc(world.other_member).delete_post(post_id=post["id"])
    assert outbox_types(world.engine) == ["feed.post_created"]
