"""Answers: capacity and the waiting list, invitations, the organisers' lists and their CSV."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from parvis_contracts.errors import Forbidden, NotFound
from services.agenda.models import Event
from tests.support import outbox_types


def going(world, caller, event_id, note=""):
    return world.svc(caller).rsvp(event_id=event_id, status="going", note=note)


def seats(world, event_id) -> int:
    with world.engine.connect() as conn:
        return conn.execute(select(Event.going_count).where(Event.id == event_id)).scalar_one()


def test_beyond_capacity_people_wait_and_are_seated_in_order_when_seats_free(world):
    event = world.create(capacity=2)["id"]
    assert not going(world, world.manager, event)["waiting"]
    assert not going(world, world.member, event)["waiting"]
    assert going(world, world.other_member, event)["waiting"]
    assert going(world, world.guest, event)["waiting"]
    assert seats(world, event) == 2
    # answering "going" again keeps one's place in the queue
    assert going(world, world.other_member, event, note="still keen")["waiting"]
    seen = world.svc(world.member).get_event(event_id=event)
    assert (
        seen["counts"] == {"going": 2, "waiting": 2, "maybe": 0, "not_going": 0} and seen["seats_left"] == 0
    )

    world.svc(world.member).rsvp(event_id=event, status="not_going")
    listing = world.svc(world.manager).list_rsvps(event_id=event)["items"]
    seated = [r["user_id"] for r in listing if r["status"] == "going" and not r["waiting"]]
    assert seated == [world.manager.user_id, world.other_member.user_id]  # first come, first seated
    assert [r["user_id"] for r in listing if r["waiting"]] == [world.guest.user_id]
    assert seats(world, event) == 2
    promoted = outbox_types(world.engine, Event.metadata).count("agenda.rsvp_changed")
    assert promoted == 7  # five answers, one withdrawal, one promotion


def test_leaving_the_community_frees_the_seat_for_the_next_in_line(world):
    event = world.create(capacity=1)["id"]
    going(world, world.member, event)
    assert going(world, world.guest, event)["waiting"]
    world.leave("A", world.member)
    mine = world.svc(world.guest).get_event(event_id=event)["my_rsvp"]
    assert mine["status"] == "going" and not mine["waiting"]
    assert seats(world, event) == 1


def test_a_larger_capacity_seats_those_waiting(world):
    event = world.create(capacity=1)["id"]
    for caller in (world.member, world.other_member, world.guest):
        going(world, caller, event)
    world.svc(world.manager).update_event(event_id=event, changes={"capacity": 3})
    listing = world.svc(world.manager).list_rsvps(event_id=event)
    assert listing["counts"] == {"going": 3, "waiting": 0, "maybe": 0, "not_going": 0}


def test_the_guest_answers_only_in_their_communities_and_strangers_not_at_all(world):
    a_event = world.create()["id"]
    s_event = world.create(cid="S")["id"]
    c_event = world.create(cid="C")["id"]
    assert going(world, world.guest, a_event)["status"] == "going"
    with pytest.raises(NotFound):
        going(world, world.guest, s_event)
    with pytest.raises(NotFound):
        going(world, world.guest, c_event)
    with pytest.raises(Forbidden):  # open C: readable by employees, answered by members
        going(world, world.employee, c_event)
    with pytest.raises(NotFound):
        going(world, world.employee, a_event)


def test_an_invite_only_event_takes_answers_from_invitees_and_organisers(world):
    event = world.create(invite_only=True, invitee_ids=[world.guest.user_id])["id"]
    assert world.svc(world.member).get_event(event_id=event)["can_rsvp"] is False
    with pytest.raises(Forbidden):
        going(world, world.member, event)
    assert going(world, world.guest, event)["status"] == "going"
    assert going(world, world.manager, event)["status"] == "going"
    world.svc(world.manager).invite_to_event(event_id=event, person_ids=[world.member.user_id])
    assert going(world, world.member, event)["status"] == "going"


def test_only_organisers_and_managers_see_the_lists(world):
    event = world.create()["id"]
    going(world, world.member, event)
    for caller in (world.member, world.guest):
        with pytest.raises(Forbidden):
            world.svc(caller).list_rsvps(event_id=event)
        with pytest.raises(Forbidden):
            world.svc(caller).export_rsvps(event_id=event)
    assert world.svc(world.member).get_rsvp(event_id=event)["status"] == "going"
    assert world.svc(world.guest).get_rsvp(event_id=event)["status"] == "none"


def test_the_csv_export_cannot_carry_a_formula(world):
    event = world.create()["id"]
    notes = {
        world.member: '=HYPERLINK("http://evil.example","click")',
        world.other_member: "+1 guest",
        world.guest: "@SUM(A1:A9)",
        world.manager: "-5 minutes late",
    }
    for caller, note in notes.items():
        going(world, caller, event, note=note)
    exported = world.svc(world.manager).export_rsvps(event_id=event)
    rows = list(csv.reader(io.StringIO(exported["csv"])))
    assert rows[0] == ["name", "person_id", "answer", "waiting_list", "note", "answered_at"]
    by_person = {row[1]: row for row in rows[1:]}
    for caller, note in notes.items():
        assert by_person[caller.user_id][4] == "'" + note
        assert by_person[caller.user_id][0] == f"Name of {caller.user_id}"
    for row in rows[1:]:
        assert not any(cell.startswith(("=", "+", "-", "@")) for cell in row), row
    assert exported["filename"] == f"rsvps-{event}.csv"
