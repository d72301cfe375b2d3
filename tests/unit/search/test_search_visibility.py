"""Who finds what: the access table's rule for search, in the query and again for each hit.

A's post carries the word authza, B's authzb, C's authzc, S's authzs; each also carries
"shared", so one search shows which communities a person's results come from.
"""

from __future__ import annotations

import pytest
from sqlalchemy import true

from parvis_contracts import events as ev
from parvis_contracts.errors import Unauthenticated, ValidationFailed
from parvis_contracts.membership import viewer_of
from services.search import visibility
from services.search.engines import index_for
from services.search.text import parse


@pytest.fixture
def table(world):
    for cid in ("A", "B", "C", "S"):
        world.post(f"post-{cid}", f"Shared notes, authz{cid.lower()}", cid=cid, author=world.manager)
        world.comment(
            f"comment-{cid}",
            f"post-{cid}",
            f"Shared reply, authz{cid.lower()}",
            cid=cid,
            author=world.manager,
        )
        world.page(f"page-{cid}", f"Shared page authz{cid.lower()}", "Body", cid=cid, author=world.manager)
        world.document(f"doc-{cid}", f"shared_authz{cid.lower()}.pdf", cid=cid, author=world.manager)
    return world


def communities(world, caller, query="shared") -> set[str]:
    return {hit["community_id"] for hit in world.search(caller, query, limit=100)["items"]}


@pytest.mark.parametrize(
    "actor, expected",
    [
        ("manager", {"A", "B", "C", "S"}),  # a member of all four
        ("member", {"A", "C"}),  # A's member; C is open to every employee
        ("guest", {"A"}),  # a guest finds only the communities they belong to
        ("employee", {"C"}),
        ("admin", {"C"}),  # admins do not read private content they are not members of
    ],
)
def test_each_person_finds_what_they_may_read(table, actor, expected):
    caller = getattr(table, actor)
    assert communities(table, caller) == expected
    # every kind of thing follows the same rule
    for cid in ("A", "B", "C", "S"):
        found = set(table.found(caller, f"authz{cid.lower()}", limit=100))
        wanted = {f"post-{cid}", f"comment-{cid}", f"page-{cid}", f"doc-{cid}"} if cid in expected else set()
        assert found == wanted, (actor, cid)


def test_each_hit_names_its_community_as_the_read_model_knows_it(table):
    items = table.search(table.member, "shared", limit=100)["items"]
    assert items and {(hit["community_id"], hit["community_name"]) for hit in items} == {
        ("A", "Community A"),
        ("C", "Community C"),
    }
    table.community("C", "open", event=ev.COMMUNITIES_COMMUNITY_UPDATED, name="Open garden")
    found = table.search(table.member, "authzc")["items"]
    assert found and {hit["community_name"] for hit in found} == {"Open garden"}


def test_a_guest_invited_elsewhere_finds_nothing_of_a(table):
    assert table.found(table.outsider_guest, "shared") == []


def test_asking_for_a_community_one_may_not_read_finds_nothing_and_says_nothing(table):
    assert table.found(table.employee, "shared", community_id="A") == []
    assert table.found(table.employee, "shared", community_id="unknown") == []
    assert set(table.found(table.member, "shared", community_id="A")) == {
        "post-A",
        "comment-A",
        "page-A",
        "doc-A",
    }


def test_a_member_removed_from_a_stops_finding_it(table):
    assert "A" in communities(table, table.member)
    table.leave("A", table.member)
    assert communities(table, table.member) == {"C"}
    table.leave("A", table.guest)
    assert communities(table, table.guest) == set()


def test_a_community_turned_secret_or_private_leaves_the_employees_results(table):
    table.community("C", "secret", event=ev.COMMUNITIES_COMMUNITY_UPDATED)
    assert communities(table, table.employee) == set()
    assert "C" in communities(table, table.manager)


def test_an_archived_community_is_still_read(table):
    table.community("A", "private", archived=True, event=ev.COMMUNITIES_COMMUNITY_ARCHIVED)
    assert "A" in communities(table, table.member)


def test_newcomers_without_history_find_only_what_came_after_them(world):
    world.community("N", "private", history=False)
    world.join("N", world.manager, role="manager")
    world.post("before", "Onboarding checklist", cid="N", author=world.manager)
    world.clock.advance(days=1)
    world.join("N", world.member, joined_at=world.clock.now)
    world.clock.advance(minutes=1)
    # a new comment on an old post: the feed shows it with its post, so not to the newcomer
    world.comment("late", "before", "Checklist updated", cid="N", author=world.manager)
    world.post("after", "Checklist for the new plant", cid="N", author=world.manager)
    assert world.found(world.member, "checklist") == ["after"]
    assert sorted(world.found(world.manager, "checklist")) == ["after", "before", "late"]


def test_a_newcomer_with_history_finds_everything(world):
    world.post("before", "Onboarding checklist")
    world.clock.advance(days=1)
    world.join("A", world.employee, joined_at=world.clock.now)
    assert world.found(world.employee, "checklist") == ["before"]


def test_only_a_signed_in_person_searches(table):
    with pytest.raises(Unauthenticated):
        table.svc(None).search(query="shared")


def test_every_hit_is_checked_again_after_the_query(table, monkeypatch):
    """Were the query's rule to let everything through, the check of each hit still
    keeps to what the person may read."""
    monkeypatch.setattr(visibility.ReadableBy, "clause", lambda self, *args: true())
    broken = visibility.ReadableBy(viewer_of(table.employee))
    assert index_for(table.session()).search(parse("authza"), broken).hits  # the query let A through
    assert table.found(table.employee, "authza") == []
    assert communities(table, table.employee) == {"C"}
    assert communities(table, table.guest) == {"A"}
    assert communities(table, table.admin) == {"C"}


def test_hidden_content_is_found_by_nobody_not_even_moderators(table):
    table.moderate(ev.FEED_CONTENT_HIDDEN, "post", "post-A", "post-A")
    assert "post-A" not in table.found(table.manager, "authza")
    assert "comment-A" not in table.found(table.manager, "authza")


def test_input_is_checked_at_the_boundary(table):
    with pytest.raises(ValidationFailed) as refused:
        table.search(table.member, "shared", kinds=["post", "poll"])
    assert "kinds" in refused.value.details
    with pytest.raises(ValidationFailed):
        table.search(table.member, "shared", limit=0)
    with pytest.raises(ValidationFailed):
        table.search(table.member, "shared", language="klingon")
    with pytest.raises(ValidationFailed):
        table.search(table.member, "shared", community_id="A\x00")
