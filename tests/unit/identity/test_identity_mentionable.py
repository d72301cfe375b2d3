"""Whom an author may mention: identity's ``mentionable`` (the picker's suggestions and the
people pasted ``@first.last`` handles name), for a community's members only."""

import pytest

from parvis_contracts.errors import Forbidden, NotFound, ValidationFailed


@pytest.fixture
def team(world):
    """Community K: Louise, Louis, Hélène (employees) and Gus (a guest); Olga is in none."""
    people = {
        "louise": world.person("Louise Bernard"),
        "louis": world.person("Louis Martin"),
        "helene": world.person("Hélène Dupont-Roy"),
        "olga": world.person("Olga Outsider"),
        "gus": world.person("Gus Guest", org_id=world.partner["id"]),
        "hidden": world.person("Louane Elsewhere"),
    }
    for key in ("louise", "louis", "helene", "gus"):
        world.join("K", people[key])
    world.join("L", people["hidden"])
    world.join("L", people["olga"])
    return people


def names(page) -> list[str]:
    return [item["display_name"] for item in page["items"]]


def test_suggestions_are_the_communitys_members_whose_name_holds_the_letters(world, team):
    page = world.svc(team["louise"]).mentionable(community_id="K", query="lou")
    assert names(page) == ["Louis Martin"]  # not the author, not Louane (another community)
    assert page["items"][0]["handle"] == "louis.martin"
    both = world.svc(team["helene"]).mentionable(community_id="K", query="lou")
    assert names(both) == ["Louis Martin", "Louise Bernard"]
    # every word typed must be in the name; accents are the name's own
    louis = world.svc(team["louis"])
    assert names(louis.mentionable(community_id="K", query="louise b")) == ["Louise Bernard"]
    assert names(louis.mentionable(community_id="K", query="hél")) == ["Hélène Dupont-Roy"]
    assert names(louis.mentionable(community_id="K", query="zzz")) == []
    assert louis.mentionable(community_id="K")["items"] == []


def test_a_guest_is_offered_only_the_members_they_share_the_community_with(world, team):
    page = world.svc(team["gus"]).mentionable(community_id="K", query="o")
    assert set(names(page)) == {"Louise Bernard", "Louis Martin", "Hélène Dupont-Roy"}
    assert "Olga Outsider" not in names(page) and "Louane Elsewhere" not in names(page)


def test_only_members_learn_who_the_members_are(world, team):
    with pytest.raises(NotFound):
        world.svc(team["olga"]).mentionable(community_id="K", query="lou")
    with pytest.raises(NotFound):
        world.svc(team["olga"]).mentionable(community_id="unknown", query="lou")
    with pytest.raises(NotFound):  # a guest outside: the same answer as an unknown id
        world.svc(team["gus"]).mentionable(community_id="L", query="o")
    with pytest.raises(Forbidden):  # an admin sees the community's card, not its members
        world.svc(world.admin).mentionable(community_id="K", query="lou")
    with pytest.raises(NotFound):
        world.svc(world.admin).mentionable(community_id="unknown", query="lou")


def test_pasted_handles_name_exactly_one_person_the_author_may_see(world, team):
    world.person("Louis Martin", email="second.louis@example.com")  # a namesake elsewhere
    found = world.svc(team["louise"]).mentionable(
        community_id="K",
        handles=["helene.dupont-roy", "Louis.Martin", "olga.outsider", "nobody.here", "louise.bernard"],
    )["handles"]
    assert found["helene.dupont-roy"] == {
        "id": team["helene"]["id"],
        "display_name": "Hélène Dupont-Roy",
        "member": True,
    }
    # two people bear that name, one of them a member: the member (case ignored)
    assert found["Louis.Martin"]["id"] == team["louis"]["id"]
    assert "nobody.here" not in found
    # someone who is not a member is named, so that the feed refuses the mention naming them
    assert found["olga.outsider"]["member"] is False
    assert found["louise.bernard"]["member"] is True


def test_a_handle_naming_several_people_outside_stays_text(world, team):
    world.person("Olga Outsider", email="olga.two@example.com")
    found = world.svc(team["louise"]).mentionable(community_id="K", handles=["olga.outsider"])
    assert found["handles"] == {}


def test_a_guest_cannot_learn_of_people_they_share_nothing_with(world, team):
    found = world.svc(team["gus"]).mentionable(community_id="K", handles=["olga.outsider", "louis.martin"])
    assert set(found["handles"]) == {"louis.martin"}


def test_input_is_bounded(world, team):
    with pytest.raises(ValidationFailed):
        world.svc(team["louise"]).mentionable(community_id="K", query="x" * 61)
    with pytest.raises(ValidationFailed):
        world.svc(team["louise"]).mentionable(community_id="K", query="lou", limit=11)
    with pytest.raises(ValidationFailed):
        world.svc(team["louise"]).mentionable(community_id="K", handles=[f"a.b{i}" for i in range(21)])
