"""The expertise finder: people ranked by the skills they declared and by what they wrote
on it that the viewer may read, each with the reasons; filters, paging, bad input.

The access table: A private (the manager, Louise the member, Oscar the other member, Gus
the guest), B private, C open, S secret (the manager alone in each); Eve an employee and
Xena a guest, in no community.
"""

from __future__ import annotations

import pytest

from parvis_contracts import events as ev
from parvis_contracts.errors import Unauthenticated, ValidationFailed
from services.search import experts


@pytest.fixture
def shop(world):
    world.profile(
        world.member,
        display_name="Louise Bernard",
        country="FR",
        languages=["fr"],
        preferred_language="fr",
        skills=["carrosserie"],
    )
    world.profile(
        world.other_member,
        display_name="Oscar Other",
        country="DE",
        languages=["de", "en"],
        skills=["carrosserie industrielle", "hydraulic brakes"],
    )
    world.profile(world.manager, display_name="Manon Manager", country="FR", languages=["fr", "en"])
    world.profile(world.employee, display_name="Eve Employee", country="ES", skills=["Excel"])
    world.profile(world.guest, display_name="Gus Guest", country="DE")
    world.profile(world.outsider_guest, display_name="Xena Outsider", skills=["carrosserie"])
    # what the manager wrote about it: a question in A answered by Louise (accepted), a post
    # in the open C, a page in A, and in the secret S a post only its members read
    world.post("q1", "Qui connaît la carrosserie aluminium ?", cid="A", author=world.manager, language="fr")
    world.comment("a1", "q1", "Il faut un marteau spécial.", cid="A", author=world.member, language="fr")
    world.event(
        ev.FEED_ANSWER_ACCEPTED,
        post_id="q1",
        community_id="A",
        comment_id="a1",
        comment_author_id=world.member.user_id,
        accepted_by=world.manager.user_id,
    )
    world.post("p1", "Atelier carrosserie ouvert samedi", cid="C", author=world.member, language="fr")
    world.page("pg1", "Guide de carrosserie", "Étapes", cid="A", author=world.member, language="fr")
    world.post("s1", "Carrosserie du prototype", cid="S", author=world.manager, language="fr")
    world.post("b1", "Carrosserie, devis", cid="B", author=world.manager, language="fr")
    return world


def reasons_of(page, person_id):
    (item,) = [i for i in page["items"] if i["id"] == person_id]
    return {r["kind"]: r.get("count", r.get("skill")) for r in item["reasons"]}


def test_louise_is_listed_for_carrosserie_with_why(shop):
    page = shop.experts(shop.employee, "carrosserie")
    louise = shop.member.user_id
    assert page["items"][0]["id"] == louise
    first = page["items"][0]
    assert first["display_name"] == "Louise Bernard" and first["country"] == "FR"
    assert first["matched_skills"] == ["carrosserie"]
    # the employee reads C, not A: her post in C counts, her answer and page in A do not
    assert first["reasons"] == [
        {"kind": "skill", "skill": "carrosserie", "exact": True},
        {"kind": "posts", "count": 1},
    ]
    # a member of A reads A too: the accepted answer (its question is about carrosserie)
    # and the page count
    assert reasons_of(shop.experts(shop.other_member, "carrosserie"), louise) == {
        "skill": "carrosserie",
        "accepted_answers": 1,
        "posts": 1,
        "pages": 1,
    }


def test_what_the_viewer_may_not_read_is_never_counted(shop):
    manager = shop.manager.user_id
    # the manager wrote in A (the question), C? no; in S and B: only S's and B's members see those
    assert reasons_of(shop.experts(shop.manager, "carrosserie"), manager) == {"posts": 3}  # A, S, B
    assert reasons_of(shop.experts(shop.member, "carrosserie"), manager) == {"posts": 1}  # A only
    assert manager not in shop.expert_ids(shop.employee, "carrosserie")  # nothing in C
    assert manager not in shop.expert_ids(shop.admin, "carrosserie")  # admins read no private content


def test_a_declared_skill_answers_exactly_or_by_its_words(shop):
    oscar = shop.other_member.user_id
    assert reasons_of(shop.experts(shop.employee, "carrosserie"), oscar) == {
        "skill": "carrosserie industrielle"
    }
    # exact before partial, then by evidence
    ids = shop.expert_ids(shop.employee, "carrosserie")
    assert ids.index(shop.member.user_id) < ids.index(oscar)
    # "Excel" is "excel"; a word's start or its stem answers: "brake" and "Hydraulic"
    assert shop.expert_ids(shop.manager, "EXCEL") == [shop.employee.user_id]
    assert shop.expert_ids(shop.manager, "Hydraulic brake") == [oscar]
    assert shop.expert_ids(shop.manager, "hydrau") == [oscar]
    assert shop.expert_ids(shop.manager, "pneumatic") == []


def test_a_guest_finds_only_the_people_they_share_a_community_with(shop):
    found = set(shop.expert_ids(shop.guest, "carrosserie"))
    assert found == {shop.member.user_id, shop.other_member.user_id, shop.manager.user_id}
    assert shop.outsider_guest.user_id not in found and shop.expert_ids(shop.guest, "excel") == []
    # the other guest shares nothing: only themself
    assert shop.expert_ids(shop.outsider_guest, "carrosserie") == [shop.outsider_guest.user_id]


def test_filters_country_language_organisation_community(shop):
    louise, oscar = shop.member.user_id, shop.other_member.user_id
    assert set(shop.expert_ids(shop.other_member, "carrosserie", country="fr")) == {
        louise,
        shop.manager.user_id,
    }
    assert shop.expert_ids(shop.other_member, "carrosserie", language="de") == [oscar]
    assert shop.outsider_guest.user_id in shop.expert_ids(shop.employee, "carrosserie", org_id="org-guest")
    assert louise not in shop.expert_ids(shop.employee, "carrosserie", org_id="org-guest")
    # members of A (the employee may not see who is in A: nothing; a member may)
    assert shop.expert_ids(shop.employee, "carrosserie", community_id="A") == []
    assert set(shop.expert_ids(shop.other_member, "carrosserie", community_id="A")) == {
        louise,
        oscar,
        shop.manager.user_id,
    }
    assert shop.expert_ids(shop.other_member, "carrosserie", community_id="unknown") == []


def test_pages_follow_the_cursor_without_repeating_anyone(shop):
    everyone = shop.expert_ids(shop.manager, "carrosserie", limit=50)
    assert len(everyone) >= 3
    seen, cursor = [], None
    while True:
        page = shop.experts(shop.manager, "carrosserie", limit=1, cursor=cursor)
        seen += [i["id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == everyone
    with pytest.raises(ValidationFailed) as refused:
        shop.experts(shop.manager, "carrosserie", cursor="not-a-cursor")
    assert "cursor" in refused.value.details


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"skill": ""}, "skill"),
        ({"skill": "x" * 10_000}, "skill"),
        ({"skill": "carro\x00sserie"}, "skill"),
        ({"skill": "***"}, "skill"),
        ({"skill": "-carrosserie"}, "skill"),
        ({"skill": "carrosserie", "limit": 0}, "limit"),
        ({"skill": "carrosserie", "limit": 51}, "limit"),
        ({"skill": "carrosserie", "country": "XX"}, "country"),
        ({"skill": "carrosserie", "language": "klingon"}, "language"),
        ({"skill": "carrosserie", "community_id": "c" * 65}, "community_id"),
    ],
)
def test_bad_input_is_refused_with_the_field(shop, kwargs, field):
    with pytest.raises(ValidationFailed) as refused:
        shop.svc(shop.employee).find_experts(**kwargs)
    assert field in refused.value.details, refused.value.details


def test_only_a_signed_in_person_asks(shop):
    with pytest.raises(Unauthenticated):
        shop.svc(None).find_experts(skill="carrosserie")
    with pytest.raises(Unauthenticated):
        shop.svc(None).suggest_skills(prefix="carro")


def test_deleted_and_hidden_evidence_no_longer_counts(shop):
    louise = shop.member.user_id
    shop.event(ev.FEED_POST_DELETED, post_id="p1", community_id="C", author_id=louise)
    assert "posts" not in reasons_of(shop.experts(shop.other_member, "carrosserie"), louise)
    shop.moderate(ev.FEED_CONTENT_HIDDEN, "comment", "a1", "q1")
    assert "accepted_answers" not in reasons_of(shop.experts(shop.other_member, "carrosserie"), louise)


def test_the_distance_counts_a_swap_as_one_typo():
    assert experts.distance("hydraulic", "hydraulic") == 0
    assert experts.distance("hydarulic", "hydraulic") == 1
    assert experts.distance("hydrolic", "hydraulic") == 2
    assert experts.prefix_distance("carro", "carrosserie industrielle") == 0
    assert experts.prefix_distance("indus", "carrosserie industrielle") == 0
    assert experts.prefix_distance("carosse", "carrosserie") == 1
