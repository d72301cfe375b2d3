"""Communities in the index, from the communities' state events: found by their name by
whoever sees them listed, by their description only by whoever may read them; a secret one
never appears to a non-member (but an admin, by its name); a guest finds only their own.

The access table: A private (the manager, two members, a guest), B private, C open, S
secret (the manager alone in each); an employee and an admin in none.
"""

from __future__ import annotations

import pytest

from parvis_contracts import events as ev


def describe(world, cid, name, visibility, description, archived=False, event=None, version=None):
    data = {
        "community_id": cid,
        "name": name,
        "kind": "project",
        "visibility": visibility,
        "archived": archived,
        "newcomers_see_history": True,
        "languages": ["fr"],
        "allowed_org_ids": [],
        "description": description,
    }
    if version is not None:
        data["version"] = version
    return world.deliver(event or ev.COMMUNITIES_COMMUNITY_UPDATED, data)


@pytest.fixture
def described(world):
    describe(world, "A", "Atelier carrosserie", "private", "Réparation des pare-chocs, devis, planning")
    describe(world, "B", "Bureau d'études", "private", "Calculs de structure des pare-chocs")
    describe(world, "C", "Cafétéria", "open", "Menus de la semaine et pare-chocs en chocolat")
    describe(world, "S", "Projet secret Zéphyr", "secret", "Le nouveau pare-chocs de la Zéphyr")
    return world


def hits(world, caller, query) -> dict[str, dict]:
    return {h["id"]: h for h in world.search(caller, query, kinds=["community"], limit=100)["items"]}


@pytest.mark.parametrize(
    "actor, by_name, by_description",
    [
        # a member of all four: everything
        ("manager", {"A": "full", "B": "full", "C": "full", "S": "full"}, {"A", "B", "C", "S"}),
        # A's member: A and the open C read; B's name listed to employees; S never
        ("member", {"A": "full", "B": "metadata", "C": "full"}, {"A", "C"}),
        ("employee", {"A": "metadata", "B": "metadata", "C": "full"}, {"C"}),
        # admins see every community's name, S's too, and read none they are not in (but open C)
        ("admin", {"A": "metadata", "B": "metadata", "C": "full", "S": "metadata"}, {"C"}),
        # a guest: only their own communities
        ("guest", {"A": "full"}, {"A"}),
        ("outsider_guest", {}, set()),
    ],
)
def test_who_finds_a_community_and_by_what(described, actor, by_name, by_description):
    caller = getattr(described, actor)
    names = {"A": "atelier", "B": "bureau", "C": "cafeteria", "S": "zephyr"}
    found = {}
    for cid, word in names.items():
        got = hits(described, caller, word)
        if cid in got:
            found[cid] = got[cid]["access"]
    assert found == by_name
    # "pare-chocs" is in every description (and in no name)
    assert set(hits(described, caller, "pare-chocs")) == by_description


def test_a_hit_shows_the_name_kind_size_and_the_description_only_to_readers(described):
    (full,) = hits(described, described.member, "atelier").values()
    assert full["kind"] == "community" and full["title"] == "Atelier carrosserie"
    assert full["community_id"] == "A" and full["community_name"] == "Atelier carrosserie"
    assert full["community"] == {
        "kind": "project",
        "visibility": "private",
        "archived": False,
        "member_count": 4,
    }
    assert full["access"] == "full"
    assert "pare-chocs" in full["snippet"]
    # the admin sees the secret S's name and size, not its description
    (secret,) = hits(described, described.admin, "zephyr").values()
    assert secret["access"] == "metadata" and secret["community"]["member_count"] == 1
    assert "pare-chocs" not in secret["snippet"] and "\ue000Zéphyr\ue001" in secret["snippet"]


def test_found_by_its_name_with_an_exclusion_only_in_the_description(described):
    """A viewer who only sees the name is answered on the name alone: a word excluded that
    only the description holds does not hide it (nor reveal the description)."""
    assert set(hits(described, described.employee, "bureau -structure")) == {"B"}
    assert set(hits(described, described.manager, "bureau -structure")) == set()


def test_an_archived_community_is_still_found_and_says_so(described):
    describe(
        described, "C", "Cafétéria", "open", "Menus", archived=True, event=ev.COMMUNITIES_COMMUNITY_ARCHIVED
    )
    (hit,) = hits(described, described.employee, "cafeteria").values()
    assert hit["community"]["archived"] is True


def test_a_community_turned_secret_disappears_for_non_members(described):
    assert "B" in hits(described, described.employee, "bureau")
    describe(described, "B", "Bureau d'études", "secret", "Calculs")
    assert hits(described, described.employee, "bureau") == {}
    assert "B" in hits(described, described.manager, "bureau")


def test_an_older_state_changes_nothing_and_an_event_without_description_keeps_it(described):
    # older than what is known: neither the read model nor the index takes it
    describe(described, "C", "Vieux nom", "open", "Ancienne description", version=1)
    assert "C" in hits(described, described.employee, "cafeteria")
    assert hits(described, described.employee, "vieux") == {}
    # a newer event of before the description was in the payload: the description stays
    described.community("C", "open", name="Cafétéria du siège")
    assert "C" in hits(described, described.employee, "siège")
    assert "C" in hits(described, described.employee, "chocolat")


def test_content_search_in_a_community_finds_its_content(described):
    described.post("p1", "Devis pare-chocs", cid="A", language="fr")
    assert set(described.found(described.member, "pare-chocs", community_id="A")) == {"p1", "A"}
    assert described.found(described.member, "pare-chocs", community_id="A", kinds=["post"]) == ["p1"]
