"""People in the index: identity's ``profile_changed`` (versioned), organisations' names,
erasure; who finds whom (identity's directory rule: a guest only the people they share a
community with), and an employees-only field never matched nor shown to a guest.

The access table's people (``build_access_table``): the manager, two members and a guest in
A (private); the manager alone in B, C, S; an employee and a second guest in no community.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from parvis_contracts import events as ev
from services.search.models import PersonSkill, SearchItem, SearchPerson, SkillGram


@pytest.fixture
def people(world):
    """Louise (a member of A) is a bodywork specialist; her education is for employees."""
    world.profile(
        world.member,
        display_name="Louise Bernard",
        job_title="Carrossière",
        department="Après-vente",
        country="FR",
        languages=["fr", "en"],
        preferred_language="fr",
        skills=["carrosserie", "peinture"],
        about="Je répare les pare-chocs depuis vingt ans.",
        education="Lycée professionnel de Lyon",
        education_visibility="employees",
    )
    world.profile(world.manager, display_name="Manon Manager", job_title="Workshop manager")
    world.profile(world.employee, display_name="Eve Employee", skills=["excel"], about="Spreadsheets all day")
    world.profile(world.guest, display_name="Gus Guest", job_title="Supplier engineer")
    world.profile(world.outsider_guest, display_name="Xena Outsider", job_title="Supplier engineer")
    return world


def people_found(world, caller, query, **kwargs) -> set[str]:
    return {h["id"] for h in world.search(caller, query, kinds=["person"], limit=100, **kwargs)["items"]}


def test_a_person_is_found_by_name_job_skill_about_and_organisation(people):
    louise = people.member.user_id
    for query in ("Louise", "bernard", "carrossiere", "carrosserie", "pare-chocs", "après-vente", "acme"):
        assert louise in people_found(people, people.employee, query), query
    # each text in the person's own language: "réparer" finds "répare" (French stems)
    assert louise in people_found(people, people.employee, "réparer")
    (hit,) = [h for h in people.search(people.employee, "carrosserie")["items"] if h["kind"] == "person"]
    assert hit["id"] == louise and hit["title"] == "Louise Bernard"
    assert hit["community_id"] is None and hit["community_name"] is None
    assert hit["person"] == {
        "display_name": "Louise Bernard",
        "job_title": "Carrossière",
        "department": "Après-vente",
        "country": "FR",
        "org_id": "org-host",
        "org_name": "Acme",
        "guest": False,
        "languages": ["fr", "en"],
        "skills": ["carrosserie", "peinture"],
    }
    assert "\ue000carrosserie\ue001" in hit["snippet"]


def test_people_are_in_the_one_box_with_content(people):
    people.post("p1", "La carrosserie de Lyon recrute", language="fr", cid="C")
    found = {(h["kind"], h["id"]) for h in people.search(people.employee, "carrosserie", limit=100)["items"]}
    assert ("person", people.member.user_id) in found and ("post", "p1") in found
    assert people.found(people.employee, "carrosserie", kinds=["post"]) == ["p1"]


def test_an_employee_finds_everyone_a_guest_only_the_people_of_their_communities(people):
    everyone = {
        people.member.user_id,
        people.manager.user_id,
        people.employee.user_id,
        people.guest.user_id,
        people.outsider_guest.user_id,
    }
    for query in ("louise", "manon", "eve", "gus", "xena"):
        assert people_found(people, people.employee, query) & everyone, query
    # the guest of A: A's members and themself; never the employee nor the other guest
    assert people_found(people, people.guest, "louise") == {people.member.user_id}
    assert people_found(people, people.guest, "manon") == {people.manager.user_id}
    assert people_found(people, people.guest, "gus") == {people.guest.user_id}
    assert people_found(people, people.guest, "eve excel") == set()
    assert people_found(people, people.guest, "xena") == set()
    # a guest of no community finds only themself
    assert people_found(people, people.outsider_guest, "supplier engineer") == {people.outsider_guest.user_id}
    # removed from A: the guest no longer finds its members
    people.leave("A", people.guest)
    assert people_found(people, people.guest, "louise") == set()


def test_an_employees_only_field_is_never_matched_nor_shown_to_a_guest(people):
    louise = people.member.user_id
    assert people_found(people, people.employee, "lycée professionnel") == {louise}
    assert people_found(people, people.admin, "lycee") == {louise}
    # the guest shares A with Louise: finds her by her name, never by her education
    assert people_found(people, people.guest, "louise") == {louise}
    assert people_found(people, people.guest, "lycée professionnel") == set()
    assert people_found(people, people.guest, "louise lycee") == set()
    for hit in people.search(people.guest, "louise carrosserie")["items"]:
        assert "Lycée" not in hit["snippet"] and "lycee" not in hit["snippet"].lower()
    # an employee's snippet may show it when it is what matched
    (hit,) = people.search(people.employee, "lycée", kinds=["person"])["items"]
    assert "\ue000Lycée\ue001" in hit["snippet"]
    # shown to everyone: the guest finds it too; only its owner: nobody does
    people.profile(
        people.member, display_name="Louise Bernard", education="Lycée", education_visibility="everyone"
    )
    assert people_found(people, people.guest, "lycée") == {louise}
    people.profile(
        people.member, display_name="Louise Bernard", education=None, education_visibility="private"
    )
    assert people_found(people, people.employee, "lycée") == set()


def test_a_person_who_is_not_active_is_not_found_and_comes_back_when_reactivated(people):
    louise = people.member.user_id
    people.profile(people.member, display_name="Louise Bernard", active=False)
    assert people_found(people, people.employee, "louise") == set()
    people.profile(people.member, display_name="Louise Bernard", active=True)
    assert people_found(people, people.employee, "louise") == {louise}


def test_an_older_profile_arriving_late_changes_nothing_and_a_redelivery_is_handled_once(people):
    louise = people.member.user_id
    body = people.profile(people.member, version=10, display_name="Louise Martin")
    people.profile(people.member, version=9, display_name="Louise Bernard")
    assert people_found(people, people.employee, "martin") == {louise}
    assert people_found(people, people.employee, "bernard") == set()
    assert people.redeliver(ev.IDENTITY_PROFILE_CHANGED, body) == "duplicate"
    with people.engine.connect() as conn:
        rows = conn.execute(select(SearchItem.seq).where(SearchItem.kind == "person")).all()
    assert len(rows) == 5


def test_a_renamed_organisation_renames_it_in_its_people(people):
    gus, xena = people.guest.user_id, people.outsider_guest.user_id  # both of the partner
    assert gus in people_found(people, people.manager, "partner")
    people.organisation("org-guest", "Acme Supplies GmbH")
    assert people_found(people, people.manager, "supplies") == {gus, xena}
    assert people_found(people, people.manager, "partner co") == set()
    (hit,) = people.search(people.manager, "gus", kinds=["person"])["items"]
    assert hit["person"]["org_name"] == "Acme Supplies GmbH"
    # an older event naming it otherwise changes nothing
    people.clock.advance(minutes=-10)
    people.organisation("org-guest", "Old Name")
    people.clock.advance(minutes=10)
    assert people_found(people, people.manager, "supplies") == {gus, xena}


def test_an_erased_person_leaves_the_index_for_good(people):
    louise = people.member.user_id
    people.erase(people.member)
    assert people_found(people, people.employee, "louise") == set()
    assert people_found(people, people.employee, "carrosserie") == set()
    # a late profile event does not bring her back
    people.profile(people.member, version=99, display_name="Louise Bernard", skills=["carrosserie"])
    assert people_found(people, people.employee, "louise") == set()
    assert people.skills(people.employee, "carro") == []
    with people.engine.connect() as conn:
        row = conn.execute(select(SearchPerson.__table__).where(SearchPerson.user_id == louise)).first()
        kept = " ".join(str(v) for v in row)
        assert "Louise" not in kept and "carrosserie" not in kept and "Lyon" not in kept
        assert conn.execute(select(PersonSkill.skill).where(PersonSkill.user_id == louise)).all() == []
        # the trigrams of a skill nobody holds any more go too
        assert conn.execute(select(SkillGram.gram).where(SkillGram.skill == "carrosserie")).all() == []
        item = conn.execute(
            select(SearchItem.__table__).where(SearchItem.kind == "person", SearchItem.item_id == louise)
        ).first()
        assert item.removed and item.title == "" and item.body == "" and item.restricted == ""


def test_the_export_holds_the_profile_copy(people):
    exported = people.svc(people.member).export_person_data(person_id=people.member.user_id)
    assert exported["profile"]["display_name"] == "Louise Bernard"
    assert exported["profile"]["skills"] == ["carrosserie", "peinture"]
    assert all(item["kind"] != "person" for item in exported["indexed"])


def test_an_erased_profile_leaves_the_engines_own_tables_too(people, engine):
    """FTS5 keeps replaced terms in its segments until they merge: the erasure merges them
    after the profile's row became a tombstone (its integrity holds)."""
    if engine.dialect.name != "sqlite":
        pytest.skip("FTS5's segments (PostgreSQL computes the document from search_items)")
    people.profile(people.member, display_name="Louise Zyxwvname", skills=["qwertzskill"])

    def engine_data() -> bytes:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT block FROM search_fts_data")).all()
        return b"".join(bytes(r.block or b"") for r in rows)

    assert b"zyxwvnam" in engine_data() and b"qwertzskil" in engine_data()
    people.erase(people.member)
    assert b"zyxwvnam" not in engine_data() and b"qwertzskil" not in engine_data()
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO search_fts(search_fts, rank) VALUES ('integrity-check', 1)"))
