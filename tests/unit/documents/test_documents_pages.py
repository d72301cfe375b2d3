"""Pages: revisions, conflicts, diff, [[links]] and backlinks, sanitised rendering, events."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from parvis_contracts.errors import Conflict, Forbidden, NotFound, ValidationFailed
from parvis_contracts.markdown import ALLOWED_TAGS
from services.documents.pages import diff_lines, link_titles

from .helpers import outbox_payloads, outbox_types, snapshot


class Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.attrs = set(), []

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.attrs.extend(attrs)


def parsed(html: str) -> Tags:
    parser = Tags()
    parser.feed(html)
    return parser


def test_create_update_history_and_old_revisions(world):
    svc = world.svc(world.member)
    page = svc.create_page(community_id="A", title="Onboarding", body="Step 1\nStep 2\n")
    assert page["revision"] == 1 and page["slug"] == "onboarding"
    assert "<p>Step 1" in page["html"]
    updated = world.svc(world.guest).update_page(
        page_id=page["id"],
        title="Onboarding guide",
        body="Step 1\nStep 2 bis\nStep 3\n",
        base_revision=1,
        comment="more steps",
    )
    assert updated["revision"] == 2 and updated["title"] == "Onboarding guide"
    assert updated["updated_by"] == world.guest.user_id

    history = svc.page_history(page_id=page["id"])
    assert [r["number"] for r in history["items"]] == [2, 1]
    assert [r["comment"] for r in history["items"]] == ["more steps", ""]
    assert [r["title"] for r in history["items"]] == ["Onboarding guide", "Onboarding"]

    old = svc.get_page(page_id=page["id"], revision=1)
    assert old["revision"] == 1 and old["body"] == "Step 1\nStep 2\n"
    assert old["title"] == "Onboarding" and old["latest_revision"] == 2
    with pytest.raises(NotFound):
        svc.get_page(page_id=page["id"], revision=3)

    listing = svc.list_pages(community_id="A")
    assert [p["title"] for p in listing["items"]] == ["Onboarding guide"]
    assert outbox_types(world.engine) == ["documents.page_created", "documents.page_updated"]
    event = outbox_payloads(world.engine, "page_updated")[0]
    assert event["revision"] == 2 and event["body"] == "Step 1\nStep 2 bis\nStep 3\n"
    assert event["title"] == "Onboarding guide" and event["author_id"] == world.guest.user_id


def test_an_edit_based_on_an_old_revision_is_a_conflict(world):
    page = world.svc(world.member).create_page(community_id="A", title="P", body="a")
    world.svc(world.member).update_page(page_id=page["id"], title="P", body="b", base_revision=1)
    before = snapshot(world.engine)
    with pytest.raises(Conflict) as exc:
        world.svc(world.other_member).update_page(page_id=page["id"], title="P", body="c", base_revision=1)
    assert exc.value.details["latest"] == 2
    with pytest.raises(ValidationFailed):  # nothing changed
        world.svc(world.member).update_page(page_id=page["id"], title="P", body="b", base_revision=2)
    assert snapshot(world.engine) == before


def test_diff_between_any_two_revisions(world):
    svc = world.svc(world.member)
    page = svc.create_page(community_id="A", title="P", body="one\ntwo\nthree\n")
    svc.update_page(page_id=page["id"], title="P", body="one\n2\nthree\nfour\n", base_revision=1)
    svc.update_page(page_id=page["id"], title="P", body="four\n", base_revision=2)
    d = svc.diff_page(page_id=page["id"], from_revision=1, to_revision=2)
    assert d["from"] == 1 and d["to"] == 2
    assert d["lines"] == [
        {"op": "equal", "text": "one"},
        {"op": "delete", "text": "two"},
        {"op": "insert", "text": "2"},
        {"op": "equal", "text": "three"},
        {"op": "insert", "text": "four"},
    ]
    back = svc.diff_page(page_id=page["id"], from_revision=3, to_revision=1)
    assert [line["op"] for line in back["lines"]] == ["delete", "insert", "insert", "insert"]
    with pytest.raises(NotFound):
        svc.diff_page(page_id=page["id"], from_revision=1, to_revision=9)
    with pytest.raises(ValidationFailed):
        svc.diff_page(page_id=page["id"], from_revision=0, to_revision=1)


def test_diff_lines_of_identical_texts_are_all_equal():
    assert diff_lines("a\nb", "a\nb") == [{"op": "equal", "text": "a"}, {"op": "equal", "text": "b"}]
    assert diff_lines("", "x") == [{"op": "insert", "text": "x"}]


def test_links_between_pages_backlinks_and_create_links(world):
    svc = world.svc(world.member)
    home = svc.create_page(
        community_id="A", title="Home", body="See [[Procedures]] and [[Glossary]] and [[procedures]]."
    )
    procedures = svc.create_page(community_id="A", title="Procedures", body="Back to [[home]]")
    got = svc.get_page(page_id=home["id"])
    assert got["links"] == [
        {"title": "Glossary", "page_id": None},
        {"title": "Procedures", "page_id": procedures["id"]},
    ]
    assert f'href="/pages/{procedures["id"]}"' in got["html"]
    assert 'href="/communities/A/pages?title=Glossary"' in got["html"]
    assert got["backlinks"] == [{"id": procedures["id"], "title": "Procedures"}]
    assert svc.get_page(page_id=procedures["id"])["backlinks"] == [{"id": home["id"], "title": "Home"}]

    glossary = svc.create_page(community_id="A", title="Glossary", body="terms")
    again = svc.get_page(page_id=home["id"])
    assert f'href="/pages/{glossary["id"]}"' in again["html"]
    assert "pages?title=" not in again["html"]
    # a page of another community with that title is not a target
    world.join("B", world.member)
    in_b = svc.create_page(community_id="B", title="Elsewhere", body="[[Home]]")
    assert svc.get_page(page_id=in_b["id"])["links"] == [{"title": "Home", "page_id": None}]
    assert svc.get_page(page_id=home["id"])["backlinks"] == [{"id": procedures["id"], "title": "Procedures"}]


def test_links_in_code_are_left_alone():
    body = "[[Real]]\n`[[InSpan]]`\n```\n[[InFence]]\n```\n[[Real]] [[Other]]"
    assert link_titles(body) == ["Real", "Other"]


def test_rendering_is_sanitised_like_posts(world):
    body = (
        "<script>alert(1)</script> [x](javascript:alert(1)) "
        '<img src=x onerror=alert(1)> [[<b>Bold</b> " onmouseover=x]]'
    )
    with pytest.raises(ValidationFailed):  # brackets are refused in titles
        world.svc(world.member).create_page(community_id="A", title="a]]b", body="x")
    page = world.svc(world.member).create_page(community_id="A", title="Evil", body=body)
    tags = parsed(page["html"])
    assert tags.tags <= ALLOWED_TAGS
    assert "script" not in tags.tags and "img" not in tags.tags
    assert all(not name.startswith("on") for name, _ in tags.attrs)
    assert all("javascript" not in (value or "") for _, value in tags.attrs)
    assert "&lt;script&gt;" in page["html"]


def test_titles_are_unique_per_community_and_bad_input_is_refused(world):
    svc = world.svc(world.member)
    svc.create_page(community_id="A", title="Rules", body="")
    before = snapshot(world.engine)
    with pytest.raises(Conflict) as exc:
        svc.create_page(community_id="A", title="RULES", body="x")
    assert "title" in exc.value.details
    for title, body in (
        ("", "x"),
        ("   ", "x"),
        ("x" * 201, "x"),
        ("a|b", "x"),
        ("T", "x" * 100_001),
        ("T", None),
        (None, "x"),
    ):
        with pytest.raises(ValidationFailed):
            svc.create_page(community_id="A", title=title, body=body)
    assert snapshot(world.engine) == before


def test_page_access_follows_the_community(world):
    page = world.svc(world.member).create_page(community_id="A", title="P", body="x")
    # an admin not a member sees the community's card, not its pages: 403
    with pytest.raises(Forbidden):
        world.svc(world.admin).get_page(page_id=page["id"])
    with pytest.raises(Forbidden):
        world.svc(world.admin).list_pages(community_id="A")
    for caller in (world.employee, world.outsider_guest):
        with pytest.raises(NotFound) as exc:
            world.svc(caller).get_page(page_id=page["id"])
        assert exc.value.message == "This page does not exist or you cannot see it."
        with pytest.raises(NotFound):
            world.svc(caller).list_pages(community_id="A")
        with pytest.raises(NotFound):
            world.svc(caller).update_page(page_id=page["id"], title="P", body="y", base_revision=1)
    open_page = world.svc(world.manager).create_page(community_id="C", title="Open", body="x")
    assert world.svc(world.employee).get_page(page_id=open_page["id"])["title"] == "Open"
    with pytest.raises(Forbidden):
        world.svc(world.employee).update_page(page_id=open_page["id"], title="O", body="y", base_revision=1)
    with pytest.raises(NotFound):
        world.svc(world.guest).get_page(page_id=open_page["id"])


def test_delete_a_page_needs_its_author_or_a_moderator(world):
    page = world.svc(world.member).create_page(community_id="A", title="P", body="x")
    for caller in (world.other_member, world.guest):
        with pytest.raises(Forbidden):
            world.svc(caller).delete_page(page_id=page["id"])
    assert world.svc(world.manager).delete_page(page_id=page["id"])["deleted"] is True
    with pytest.raises(NotFound):
        world.svc(world.member).get_page(page_id=page["id"])
    # the title is free again
    assert world.svc(world.member).create_page(community_id="A", title="P", body="new")["revision"] == 1
    assert outbox_types(world.engine)[-2:] == ["documents.page_deleted", "documents.page_created"]


def test_archived_community_pages_are_read_only(world):
    page = world.svc(world.member).create_page(community_id="A", title="P", body="x")
    world.community("A", archived=True)
    with pytest.raises(Forbidden):
        world.svc(world.manager).create_page(community_id="A", title="Q", body="x")
    with pytest.raises(Forbidden):
        world.svc(world.manager).update_page(page_id=page["id"], title="P", body="y", base_revision=1)
    with pytest.raises(Forbidden):
        world.svc(world.manager).delete_page(page_id=page["id"])
    assert world.svc(world.guest).get_page(page_id=page["id"])["body"] == "x"
    assert world.svc(world.guest).list_pages(community_id="A")["can_write"] is False
