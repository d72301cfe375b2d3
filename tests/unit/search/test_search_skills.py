"""Skill suggestions as one types: the start of a word of a known skill, then, from three
characters on, a typo or two forgiven; only skills of people the viewer may see; skills as
identity normalised them ("Excel" is "excel")."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from parvis_contracts.errors import ValidationFailed
from services.search.models import SkillGram


@pytest.fixture
def skilled(world):
    world.profile(world.member, skills=["carrosserie", "hydraulic brakes", "mécanique auto"])
    world.profile(world.other_member, skills=["carrosserie", "Excel"])
    world.profile(world.manager, skills=["carrelage"])
    world.profile(world.employee, skills=["cartographie", "excel"])
    world.profile(world.outsider_guest, skills=["carburants secrets"])
    return world


def test_the_start_of_a_skill_or_of_one_of_its_words(skilled):
    # what starts so first; then, a typo away, "carre" and "carto"
    assert skilled.skills(skilled.employee, "carro") == ["carrosserie", "carrelage", "cartographie"]
    assert skilled.skills(skilled.employee, "carross") == ["carrosserie"]
    # the most held first among those that start alike
    assert skilled.skills(skilled.employee, "car") == [
        "carrosserie",
        "carburants secrets",
        "carrelage",
        "cartographie",
    ]
    assert skilled.skills(skilled.employee, "brak") == ["hydraulic brakes"]
    # accents and case folded; skills kept as normalised ("Excel" is "excel", once)
    assert skilled.skills(skilled.employee, "MECA") == ["mécanique auto"]
    assert skilled.skills(skilled.employee, "Exc") == ["excel"]


def test_a_typo_is_forgiven_from_three_characters_on(skilled):
    assert skilled.skills(skilled.employee, "carosserie") == ["carrosserie"]
    assert skilled.skills(skilled.employee, "hydrolic") == ["hydraulic brakes"]
    assert skilled.skills(skilled.employee, "hydarulic") == ["hydraulic brakes"]
    items = skilled.svc(skilled.employee).suggest_skills(prefix="carosse")["items"]
    assert items == [{"skill": "carrosserie", "prefix": False}]
    # two characters: no typo forgiven
    assert skilled.skills(skilled.employee, "xa") == []
    assert skilled.skills(skilled.employee, "zzzzzz") == []


def test_a_guest_is_suggested_only_skills_of_people_they_may_see(skilled):
    # the guest of A sees A's people: not the employee's cartography, not Xena's fuels
    assert skilled.skills(skilled.guest, "car") == ["carrosserie", "carrelage"]
    assert skilled.skills(skilled.outsider_guest, "car") == ["carburants secrets"]


def test_a_skill_nobody_holds_any_more_is_no_longer_suggested(skilled):
    skilled.profile(skilled.manager, skills=["plomberie"])
    assert "carrelage" not in skilled.skills(skilled.employee, "carre")
    assert skilled.skills(skilled.employee, "plomb") == ["plomberie"]
    with skilled.engine.connect() as conn:
        assert conn.execute(select(SkillGram.gram).where(SkillGram.skill == "carrelage")).all() == []


def test_an_inactive_persons_skills_are_not_suggested(skilled):
    assert "carrelage" in skilled.skills(skilled.employee, "carre")
    skilled.profile(skilled.manager, skills=["carrelage"], active=False)
    assert "carrelage" not in skilled.skills(skilled.employee, "carre")


@pytest.mark.parametrize("prefix", ["", "x" * 10_000, "car\x00", None])
def test_bad_input_is_refused(skilled, prefix):
    with pytest.raises(ValidationFailed) as refused:
        skilled.svc(skilled.employee).suggest_skills(prefix=prefix)
    assert "prefix" in refused.value.details


def test_symbols_only_suggest_nothing_and_the_limit_holds(skilled):
    assert skilled.skills(skilled.employee, "***") == []
    assert len(skilled.skills(skilled.employee, "c", limit=2)) == 2
    with pytest.raises(ValidationFailed):
        skilled.svc(skilled.employee).suggest_skills(prefix="car", limit=21)
