"""What identity gives the notifications service to mail people: the ``person_invited``
event at every invitation issued, and ``mail_profiles`` (the platform itself only)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from parvis_contracts import events as ev
from parvis_contracts.context import KIND_ANONYMOUS, Caller
from parvis_contracts.errors import Forbidden, Unauthenticated, ValidationFailed
from services.identity.models import Invitation, metadata
from services.identity.passwords import token_hash


def invited_events(world):
    t = metadata.tables["outbox"]
    event = ev.IDENTITY_PERSON_INVITED
    rows = world.session().execute(
        select(t.c.payload).where(t.c.source == event.source, t.c.event_type == event.name).order_by(t.c.id)
    )
    return [payload for (payload,) in rows]


# --- person_invited ------------------------------------------------------------------------


def test_an_employee_invited_by_an_admin(world):
    created = world.svc(world.admin).admin_create_person(
        email="Ivy@Acme.example", display_name="Ivy Invited", preferred_language="de"
    )
    (event,) = invited_events(world)
    assert event == {
        "user_id": created["person"]["id"],
        "email": "Ivy@Acme.example",
        "display_name": "Ivy Invited",
        "language": "de",
        "token": created["invitation_token"],
        "expires_at": (world.clock.now + timedelta(days=7)).isoformat(),
        "guest": False,
        "org_name": "Acme",
        "invited_by": world.admin["id"],
        "invited_by_name": "Ada Admin",
    }
    # the token of the event is the invitation's (only its hash is stored)
    invitation = world.session().scalars(select(Invitation)).one()
    assert invitation.token_hash == token_hash(event["token"])
    assert world.svc(None).get_invitation(token=event["token"])["display_name"] == "Ivy Invited"


def test_a_guest_invited_by_the_platform(world):
    created = world.svc().admin_create_person(
        email="gus@partner.example", display_name="Gus Guest", org_id=world.partner["id"]
    )
    (event,) = invited_events(world)
    assert event["guest"] is True and event["org_name"] == "Partner Co"
    assert event["invited_by"] is None and event["invited_by_name"] is None
    assert event["token"] == created["invitation_token"]


def test_no_invitation_no_event(world):
    world.person("Pat Password")  # created with a password: nothing to mail
    assert invited_events(world) == []


def test_the_outbox_keeps_no_token_address_or_name_once_published():
    kept = ev.kept_after_relay(
        ev.IDENTITY_PERSON_INVITED,
        {
            "user_id": "u-1",
            "email": "ivy@acme.example",
            "display_name": "Ivy",
            "language": "en",
            "token": "secret-token",
            "expires_at": "2026-06-08T09:00:00+00:00",
            "guest": False,
            "org_name": "Acme",
            "invited_by": "u-0",
            "invited_by_name": "Ada Admin",
        },
    )
    assert kept == {
        "user_id": "u-1",
        "email": None,
        "display_name": None,
        "language": "en",
        "token": None,
        "expires_at": "2026-06-08T09:00:00+00:00",
        "guest": False,
        "org_name": None,
        "invited_by": "u-0",
        "invited_by_name": None,
    }
    reset = ev.kept_after_relay(
        ev.IDENTITY_PASSWORD_RESET_REQUESTED,
        {
            "user_id": "u-1",
            "email": "e",
            "display_name": "n",
            "language": None,
            "token": "t",
            "expires_at": "x",
        },
    )
    assert reset == {
        "user_id": "u-1",
        "email": None,
        "display_name": None,
        "language": None,
        "token": None,
        "expires_at": "x",
    }
    assert ev.kept_after_relay(ev.IDENTITY_USER_CREATED, {"user_id": "u-1"}) is None


# --- mail_profiles -------------------------------------------------------------------------


def test_mail_profiles_for_the_platform(world):
    eli = world.person("Eli Employee", preferred_language="fr")
    world.svc(eli).update_me(changes={"time_zone": "Europe/Paris"})
    ivy = world.svc().admin_create_person(email="ivy@example.com", display_name="Ivy Invited")["person"]
    dee = world.person("Dee Deactivated")
    world.svc().deactivate_person(person_id=dee["id"])
    old = world.person("Gus Guest", org_id=world.partner["id"], guest_expires_at="2026-05-01")
    era = world.person("Era Erased")
    world.svc().erase_person(person_id=era["id"])
    found = world.svc().mail_profiles(
        person_ids=[eli["id"], ivy["id"], dee["id"], old["id"], era["id"], "nobody", eli["id"]]
    )
    assert found == {
        eli["id"]: {
            "email": "eli.employee@example.com",
            "display_name": "Eli Employee",
            "language": "fr",
            "time_zone": "Europe/Paris",
            "active": True,
        },
        ivy["id"]: {
            "email": "ivy@example.com",
            "display_name": "Ivy Invited",
            "language": "en",
            "time_zone": None,
            "active": False,
        },
        dee["id"]: {
            "email": "dee.deactivated@example.com",
            "display_name": "Dee Deactivated",
            "language": "en",
            "time_zone": None,
            "active": False,
        },
        old["id"]: {
            "email": "gus.guest@example.com",
            "display_name": "Gus Guest",
            "language": "en",
            "time_zone": None,
            "active": False,
        },
    }
    assert world.svc().mail_profiles(person_ids=[]) == {}


def test_mail_profiles_is_refused_to_people_and_visitors(world):
    eli = world.person("Eli Employee")
    for caller in (eli, world.admin):
        with pytest.raises(Forbidden):
            world.svc(caller).mail_profiles(person_ids=[eli["id"]])
    with pytest.raises(Unauthenticated):
        world.svc(Caller(kind=KIND_ANONYMOUS)).mail_profiles(person_ids=[eli["id"]])


def test_mail_profiles_takes_at_most_a_thousand_ids(world):
    assert world.svc().mail_profiles(person_ids=[f"id-{i}" for i in range(1000)]) == {}
    with pytest.raises(ValidationFailed) as refused:
        world.svc().mail_profiles(person_ids=[f"id-{i}" for i in range(1001)])
    assert "person_ids" in refused.value.details
    with pytest.raises(ValidationFailed):
        world.svc().mail_profiles(person_ids="not a list")
