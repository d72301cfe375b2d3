"""Profiles: field visibility matrix, guest directory rule, validation."""

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from parvis_contracts import events as ev
from parvis_contracts.errors import Forbidden, NotFound, ValidationFailed, not_found
from parvis_contracts.events import Envelope
from services.identity.models import Person, SharedCommunity

PERSONAL = {"birth_date": "1990-04-02", "education": "MSc Physics", "phone": "+33 1 23 45"}


@pytest.fixture
def owner(world):
    p = world.person("Olga Owner")
    world.svc(p).update_me(
        changes={
            **PERSONAL,
            "visibility": {"birth_date": "everyone", "education": "employees", "phone": "private"},
        }
    )
    return p


@pytest.mark.parametrize(
    "viewer_kind, expected",
    [
        ("owner", {"birth_date", "education", "phone"}),
        ("employee", {"birth_date", "education"}),
        ("admin", {"birth_date", "education"}),
        ("guest", {"birth_date"}),
    ],
)
def test_personal_fields_follow_the_visibility_matrix(world, owner, viewer_kind, expected):
    if viewer_kind == "owner":
        viewer = owner
    elif viewer_kind == "employee":
        viewer = world.person("Emil Employee")
    elif viewer_kind == "admin":
        viewer = world.admin
    else:
        viewer = world.person("Gus Guest", org_id=world.partner["id"])
        world.join("c-1", viewer)
        world.join("c-1", owner)
    seen = world.svc(viewer).get_person(person_id=owner["id"])["personal"]
    assert set(seen) == expected
    for name in expected:
        assert seen[name] == PERSONAL[name]


def test_guest_never_sees_employees_only_fields_even_when_everything_is_shared(world, owner):
    guest = world.person("Gus Guest", org_id=world.partner["id"])
    world.join("c-1", guest)
    world.join("c-1", owner)
    world.svc(owner).update_me(changes={"visibility": {"birth_date": "employees", "phone": "employees"}})
    assert world.svc(guest).get_person(person_id=owner["id"])["personal"] == {}
    employee = world.person("Emil Employee")
    assert set(world.svc(employee).get_person(person_id=owner["id"])["personal"]) == {
        "birth_date",
        "education",
        "phone",
    }


def test_get_me_carries_private_data_and_visibility(world, owner):
    me = world.svc(owner).get_me()
    assert me["email"] == "olga.owner@example.com"
    assert me["roles"] == ["member"]
    assert me["visibility"] == {"birth_date": "everyone", "education": "employees", "phone": "private"}
    assert me["personal"] == PERSONAL


def test_guest_sees_only_people_sharing_a_community(world):
    guest = world.person("Gus Guest", org_id=world.partner["id"])
    mate = world.person("Mia Mate")
    stranger = world.person("Sam Stranger")
    world.join("c-1", guest)
    world.join("c-1", mate)
    world.join("c-2", stranger)
    svc = world.svc(guest)
    names = [c["display_name"] for c in svc.search_people()["items"]]
    assert names == ["Gus Guest", "Mia Mate"]
    assert svc.get_person(person_id=mate["id"])["id"] == mate["id"]
    assert svc.get_person(person_id=guest["id"])["id"] == guest["id"]
    with pytest.raises(NotFound) as invisible:
        svc.get_person(person_id=stranger["id"])
    with pytest.raises(NotFound) as missing:
        svc.get_person(person_id="00000000-0000-0000-0000-000000000000")
    assert invisible.value.message == missing.value.message == not_found("person").message
    assert invisible.value.details == missing.value.details
    cards = svc.people_cards(person_ids=[mate["id"], stranger["id"], "nope"])
    assert set(cards) == {mate["id"]}
    # an employee sees everyone
    assert len(world.svc(stranger).search_people()["items"]) == 4  # admin, guest, mate, self
    assert world.svc(stranger).get_person(person_id=guest["id"])["guest"] is True


def test_member_removed_hides_the_co_member_again(world):
    guest = world.person("Gus Guest", org_id=world.partner["id"])
    mate = world.person("Mia Mate")
    world.join("c-1", guest)
    world.join("c-1", mate)
    world.svc(guest).get_person(person_id=mate["id"])
    body = Envelope.new(
        ev.COMMUNITIES_MEMBER_REMOVED, {"community_id": "c-1", "user_id": mate["id"]}
    ).to_message()
    world.svc(None).on_member_removed(body)
    with pytest.raises(NotFound):
        world.svc(guest).get_person(person_id=mate["id"])


def test_the_same_event_twice_changes_nothing(world):
    mate = world.person("Mia Mate")
    body = world.join("c-1", mate)
    assert world.svc(None).on_member_added(body) == "duplicate"
    s = world.session()
    assert s.scalar(select(func.count()).select_from(SharedCommunity)) == 1
    # a different event for the same membership does not duplicate the row either
    world.join("c-1", mate)
    assert s.scalar(select(func.count()).select_from(SharedCommunity)) == 1


def test_member_added_with_a_bad_payload_is_refused_and_writes_nothing(world):
    good = Envelope.new(ev.COMMUNITIES_MEMBER_ADDED, {"community_id": "c-1", "user_id": "u"})
    # correctly signed, but the payload breaks the contract
    body = Envelope(
        id=good.id, type=good.type, occurred_at=good.occurred_at, data={"community_id": "", "user_id": "u"}
    ).to_message()
    with pytest.raises(ValidationFailed):
        world.svc(None).on_member_added(body)
    s = world.session()
    assert s.scalar(select(func.count()).select_from(SharedCommunity)) == 0


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"country": "XX"}, "country"),
        ({"country": "FRA"}, "country"),
        ({"languages": ["fr", "zz"]}, "languages"),
        ({"preferred_language": "ru"}, "preferred_language"),
        ({"skills": ["x" * 41]}, "skills"),
        ({"skills": [f"skill {i}" for i in range(31)]}, "skills"),
        ({"skills": ["a,b"]}, "skills"),
        ({"about": "x" * 2001}, "about"),
        ({"education": "x" * 501}, "education"),
        ({"phone": "call me maybe"}, "phone"),
        ({"phone": "1" * 41}, "phone"),
        ({"birth_date": (date.today() + timedelta(days=1)).isoformat()}, "birth_date"),
        ({"birth_date": "not a date"}, "birth_date"),
        ({"visibility": {"phone": "friends"}}, "visibility"),
        ({"visibility": {"salary": "everyone"}}, "visibility"),
        ({"display_name": "   "}, "display_name"),
        ({"nickname": "x"}, "nickname"),
    ],
)
def test_update_me_validates_every_field_and_writes_nothing(world, changes, field):
    p = world.person("Val Idator")
    before = world.svc(p).get_me()
    with pytest.raises(ValidationFailed) as exc:
        world.svc(p).update_me(changes={"job_title": "Changed", **changes})
    assert field in exc.value.details  # details.<field>, never details.changes.<field>
    assert "changes" not in exc.value.details
    assert world.svc(p).get_me() == before


def test_update_me_normalises_values(world):
    p = world.person("Nora Normal")
    me = world.svc(p).update_me(
        changes={
            "skills": ["  Python ", "python", "Project   Management"],
            "languages": ["FR", "en", "fr"],
            "country": "es",
            "phone": "",
            "display_name": "  Nora   N. ",
        }
    )
    assert me["skills"] == ["python", "project management"]
    assert me["languages"] == ["fr", "en"]
    assert me["country"] == "ES"
    assert me["display_name"] == "Nora N."
    assert me["personal"] == {}


def test_update_me_is_refused_to_the_system(world):
    with pytest.raises(Forbidden):
        world.svc().update_me(changes={"job_title": "x"})


def test_people_count_and_status_in_cards(world):
    p = world.person("Dee Activated")
    world.svc().deactivate_person(person_id=p["id"])
    card = world.svc(world.admin).people_cards(person_ids=[p["id"]])[p["id"]]
    assert card["status"] == "deactivated"
    assert card["initials"] == "DA"
    s = world.session()
    assert s.scalar(select(func.count()).select_from(Person)) == 2


# --- time zone ---------------------------------------------------------------------------


def test_time_zone_is_none_by_default_set_by_update_me_and_cleared(world):
    p = world.person("Tess Time")
    assert world.svc(p).get_me()["time_zone"] is None
    me = world.svc(p).update_me(changes={"time_zone": " America/Argentina/Buenos_Aires "})
    assert me["time_zone"] == "America/Argentina/Buenos_Aires"
    assert world.svc(p).get_me()["time_zone"] == "America/Argentina/Buenos_Aires"
    assert world.svc(p).update_me(changes={"job_title": "Clockmaker"})["time_zone"] == (
        "America/Argentina/Buenos_Aires"
    )  # untouched when not given
    assert world.svc(p).update_me(changes={"time_zone": None})["time_zone"] is None
    # one's own: not on the profile others see
    assert "time_zone" not in world.svc(world.admin).get_person(person_id=p["id"])


@pytest.mark.parametrize("bad", ["Mars/Olympus_Mons", "europe/paris", "", "UTC+2", 3, "x" * 300])
def test_an_unknown_time_zone_is_refused_with_a_clear_message(world, bad):
    p = world.person("Tess Time")
    with pytest.raises(ValidationFailed) as refused:
        world.svc(p).update_me(changes={"time_zone": bad})
    assert set(refused.value.details) == {"time_zone"}
    if isinstance(bad, str):
        assert "time zone" in refused.value.details["time_zone"][0]
    assert world.svc(p).get_me()["time_zone"] is None


def test_the_time_zone_is_in_the_export_and_goes_with_an_erasure(world):
    p = world.person("Tess Time")
    world.svc(p).update_me(changes={"time_zone": "Asia/Tokyo"})
    assert world.svc(p).export_person_data(person_id=p["id"])["profile"]["time_zone"] == "Asia/Tokyo"
    world.svc().erase_person(person_id=p["id"])
    assert world.session().get(Person, p["id"]).time_zone is None


def test_the_tz_database_is_there():
    from parvis_contracts.schemas import TIME_ZONES

    assert {"Europe/Paris", "America/New_York", "UTC"} <= TIME_ZONES
