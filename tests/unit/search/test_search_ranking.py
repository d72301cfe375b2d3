"""Order and pages: what ranks first, the keyset cursor, the filters, and hostile input that
must never reach an engine as syntax (a 422 or a page, never another error)."""

from __future__ import annotations

import pytest

from parvis_contracts import events as ev
from parvis_contracts.errors import ValidationFailed


def test_an_exact_title_comes_first(world):
    for i in range(3):
        world.post(f"p{i}", "Hydraulic brakes: hydraulic brakes again, hydraulic brakes everywhere")
    world.page("pg1", "Hydraulic brakes", "How the workshop bleeds them")
    world.page("pg2", "Hydraulic brakes and drum brakes", "Two systems")
    assert world.found(world.member, "hydraulic brakes")[0] == "pg1"
    assert world.found(world.member, "brake hydraulic")[0] != "pg1"  # not the title's words in order


def test_a_questions_accepted_answer_comes_before_the_other_replies(world):
    world.post("q1", "Which torque for the wheel nuts?", author=world.member)
    world.comment("c1", "q1", "Torque wheel nuts to 110 Nm with a calibrated wrench")
    world.comment("c2", "q1", "Torque wheel nuts to 120 Nm with a calibrated wrench")
    world.event(
        ev.FEED_ANSWER_ACCEPTED,
        post_id="q1",
        community_id="A",
        comment_id="c2",
        comment_author_id=world.other_member.user_id,
        accepted_by=world.member.user_id,
    )
    items = world.search(world.member, "calibrated wrench", kinds=["comment"])["items"]
    assert [h["id"] for h in items] == ["c2", "c1"]
    assert items[0]["accepted"] is True and items[0]["rank"] > items[1]["rank"]


def test_pages_of_results_follow_each_other_without_gap_or_repeat(world):
    for i in range(25):
        world.post(f"p{i:02}", "Bumper " * (1 + i % 4) + f"note {i}")
    everything = world.found(world.member, "bumper", limit=100)
    assert len(everything) == 25
    seen, cursor = [], None
    while True:
        page = world.search(world.member, "bumper", limit=10, cursor=cursor)
        seen += [h["id"] for h in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == everything
    ranks = [h["rank"] for h in world.search(world.member, "bumper", limit=100)["items"]]
    assert ranks == sorted(ranks, reverse=True)


@pytest.mark.parametrize("cursor", ["garbage", "WzEsMl0", "W10", "WyJ4IiwicG9zdCIsInAxIl0"])
def test_a_cursor_the_search_did_not_give_is_refused(world, cursor):
    world.post("p1", "Bumper")
    with pytest.raises(ValidationFailed) as refused:
        world.search(world.member, "bumper", cursor=cursor)
    assert refused.value.details == {"cursor": ["This cursor is not one the search gave."]}


def test_kinds_community_and_language_narrow_the_results(world):
    world.post("p-fr", "Réparation du pare-chocs", language="fr")
    world.post("p-en", "Pare-chocs repair, as the French say", language="en")
    world.post("p-c", "Pare-chocs in the open community", cid="C", language="en")
    world.page("pg", "Pare-chocs", "Procédure", language="fr")
    world.document("d", "pare-chocs.pdf")
    assert sorted(world.found(world.member, "pare-chocs")) == ["d", "p-c", "p-en", "p-fr", "pg"]
    assert sorted(world.found(world.member, "pare-chocs", kinds=["page", "document"])) == ["d", "pg"]
    assert sorted(world.found(world.member, "pare-chocs", community_id="C")) == ["p-c"]
    assert sorted(world.found(world.member, "pare-chocs", language="FR")) == ["p-fr", "pg"]


def test_snippets_are_plain_text_with_the_match_marked(world):
    world.post(
        "p1", "**Attention**: les <b>livraisons</b> retardées de [Lyon](https://x) arrivent", language="fr"
    )
    (hit,) = world.search(world.member, "livraison retardee")["items"]
    assert hit["snippet"] == "Attention: les \ue000livraisons\ue001 \ue000retardées\ue001 de Lyon arrivent"


HOSTILE = [
    '"unbalanced',
    '"',
    'bumper "repair',
    "NEAR(bumper repair)",
    "bumper NEAR repair",
    "NEAR AND OR NOT",
    "bump*",
    "*",
    "^bumper",
    "title_terms:bumper",
    "{title_terms terms}: bumper",
    "stemmed_as : fr",
    "(bumper",
    "bumper)",
    "bumper & !repair | x <-> y",
    "bumper:*",
    "'bumper'",
    "\\",
    "%_%",
    "'; DROP TABLE search_items; --",
    "-",
    "--bumper",
    "- bumper",
    "🔧 repair",
    "إصلاح الصدام",
    "修理 バンパー",
    "e\u0301cole",
    "x" * 10_000,
    "bumper\x00repair",
    "bumper \ud800",
    " ".join(["bumper"] * 40),
    "a" * 199,
]


@pytest.mark.parametrize("typed", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_input_is_a_422_or_a_page_never_an_engine_error(world, typed):
    world.post("p1", "Bumper repair: NEAR the plant, AND quickly")
    try:
        page = world.search(world.member, typed)
    except ValidationFailed as refused:
        assert set(refused.details) == {"query"}
    else:
        assert set(page) == {"items", "next_cursor"}


def test_engine_keywords_are_searched_as_words(world):
    world.post("p1", "Bumper repair: NEAR the plant, AND quickly")
    world.post("p2", "Bumper repair far away")
    assert world.found(world.member, "bumper NEAR") == ["p1"]
    assert world.found(world.member, '"near the plant"') == ["p1"]
    assert sorted(world.found(world.member, "bumper -near")) == ["p2"]
