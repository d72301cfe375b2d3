"""``identity.profile_changed``: the whole searchable profile, with its next version, at
every change of it (creation, an edit of a searchable field, (de)activation, an accepted
invitation, an idle guest's expiry); never a field only its owner sees; its texts blanked
in the outbox once published, and at an erasure if they were not yet."""

from __future__ import annotations

from sqlalchemy import select, update

from parvis_contracts import events as ev
from services.identity.models import metadata

from .conftest import PASSWORD


def profiles(world, person_id=None) -> list[dict]:
    t = metadata.tables["outbox"]
    rows = world.session().execute(
        select(t.c.payload).where(t.c.event_type == ev.IDENTITY_PROFILE_CHANGED.name).order_by(t.c.id)
    )
    return [r.payload for r in rows if person_id is None or r.payload["user_id"] == person_id]


def test_a_new_account_publishes_its_profile(world):
    eli = world.person("Eli Employee", job_title="Mechanic", country="fr", languages=["fr", "en"])
    (first,) = profiles(world, eli["id"])
    assert first == {
        "user_id": eli["id"],
        "org_id": world.host["id"],
        "guest": False,
        "active": True,
        "display_name": "Eli Employee",
        "job_title": "Mechanic",
        "department": None,
        "country": "FR",
        "languages": ["fr", "en"],
        "preferred_language": "en",
        "skills": [],
        "about": None,
        "education": None,
        "education_visibility": "private",
        "org_name": "Acme",
        "version": 1,
    }
    # validated by the event's schema on the way out
    assert ev.validate_payload(ev.IDENTITY_PROFILE_CHANGED, first)["version"] == 1
    # an invited person is not in the directory until they accept
    ivy = world.svc(world.admin).admin_create_person(email="ivy@example.com", display_name="Ivy Invited")
    assert profiles(world, ivy["person"]["id"])[-1]["active"] is False
    world.svc(None).accept_invitation(token=ivy["invitation_token"], password="a long enough one")
    assert profiles(world, ivy["person"]["id"])[-1]["active"] is True
    assert profiles(world, ivy["person"]["id"])[-1]["version"] == 2


def test_an_edit_of_a_searchable_field_publishes_the_whole_profile_with_the_next_version(world):
    lou = world.person("Louise Bernard")
    world.svc(lou).update_me(
        changes={
            "skills": ["Carrosserie", "  peinture  auto "],
            "about": "Pare-chocs",
            "education": "Lycée",
            "visibility": {"education": "employees"},
        }
    )
    latest = profiles(world, lou["id"])[-1]
    assert latest["version"] == 2
    assert latest["skills"] == ["carrosserie", "peinture auto"]  # normalised by identity
    assert (latest["about"], latest["education"], latest["education_visibility"]) == (
        "Pare-chocs",
        "Lycée",
        "employees",
    )
    # a field only its owner sees is never published
    world.svc(lou).update_me(changes={"visibility": {"education": "private"}})
    latest = profiles(world, lou["id"])[-1]
    assert latest["version"] == 3 and latest["education"] is None
    # what the search does not hold changes nothing
    before = len(profiles(world, lou["id"]))
    world.svc(lou).update_me(changes={"phone": "+33 1 23 45 67 89", "auto_translate": True})
    world.svc(lou).update_me(changes={"about": "Pare-chocs"})  # the same value
    assert len(profiles(world, lou["id"])) == before


def test_the_version_is_the_databases_and_the_state_read_again(world):
    """Another writer's committed change is in the next profile (the row is read again
    after its version is taken)."""
    lou = world.person("Louise Bernard")
    session = world.session()
    people = metadata.tables["people"]
    session.execute(
        update(people).where(people.c.id == lou["id"]).values(department="Body shop", profile_version=7)
    )
    session.commit()
    world.svc(lou).update_me(changes={"job_title": "Painter"})
    latest = profiles(world, lou["id"])[-1]
    assert (latest["version"], latest["department"], latest["job_title"]) == (8, "Body shop", "Painter")


def test_deactivation_reactivation_and_an_idle_guests_expiry_publish_it(world, monkeypatch):
    eli = world.person("Eli Employee")
    world.svc(world.admin).deactivate_person(person_id=eli["id"])
    assert profiles(world, eli["id"])[-1]["active"] is False
    world.svc(world.admin).reactivate_person(person_id=eli["id"])
    assert profiles(world, eli["id"])[-1]["active"] is True
    monkeypatch.setenv("PARVIS_GUEST_INACTIVE_DAYS", "90")
    gus = world.person("Gus Guest", org_id=world.partner["id"])
    world.svc(None).sign_in(email="gus.guest@example.com", password=PASSWORD)
    world.clock.advance(days=91)
    assert world.svc().maintain()["guests_expired"] == 1
    latest = profiles(world, gus["id"])[-1]
    assert latest["active"] is False and latest["guest"] is True and latest["org_name"] == "Partner Co"


def test_the_texts_leave_the_outbox_once_published_and_at_an_erasure(world):
    lou = world.person("Louise Qzvcanary", email="louise@example.com")
    world.svc(lou).update_me(changes={"skills": ["qzvskill"], "about": "qzvabout"})
    kept = ev.kept_after_relay(ev.IDENTITY_PROFILE_CHANGED, profiles(world, lou["id"])[-1])
    for name in ("display_name", "job_title", "about", "skills", "education", "languages", "org_name"):
        assert kept[name] is None, name
    assert kept["user_id"] == lou["id"] and kept["version"] == 2
    # not published yet (no relay here): the erasure blanks them itself
    world.svc(lou).erase_me(password=PASSWORD)
    for payload in profiles(world, lou["id"]):
        text = repr(payload)
        assert "Qzvcanary" not in text and "qzvskill" not in text and "qzvabout" not in text
