"""Events: who may create, read and change them; recurrence caps; bad input refused whole."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import func, select

from parvis_contracts.errors import Conflict, Forbidden, NotFound, ValidationFailed
from services.agenda.models import Event, EventSession, Occurrence, Organiser
from tests.support import outbox_types


def count(world, model) -> int:
    with world.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(model)).scalar_one()


# --- who may ---------------------------------------------------------------------------------


def test_a_manager_creates_and_members_and_the_guest_read_it_in_their_own_zone(world):
    event = world.create(place="Lyon, salle 2", online_url="https://meet.example.com/seminar")
    assert event["local_start"] == "2026-07-01T10:00:00" and event["can_edit"]
    world.identity.zones[world.member.user_id] = "Europe/London"
    world.identity.zones[world.guest.user_id] = "Asia/Singapore"
    for caller, local, name in (
        (world.member, "2026-07-01T09:00:00", "Europe/London"),
        (world.guest, "2026-07-01T16:00:00", "Asia/Singapore"),
    ):
        seen = world.svc(caller).get_event(event_id=event["id"])
        assert (seen["start"]["local"], seen["start"]["time_zone"]) == (local, name)
        assert seen["reader_time_zone"] == name and not seen["can_edit"] and seen["can_rsvp"]
    # a zone asked for wins over the profile's
    asked = world.svc(world.member).get_event(event_id=event["id"], time_zone="America/New_York")
    assert asked["start"]["local"] == "2026-07-01T04:00:00" and asked["start"]["abbreviation"] == "EDT"
    assert outbox_types(world.engine, Event.metadata) == ["agenda.event_created"]


def test_who_may_not_create(world):
    for caller, error in (
        (world.member, Forbidden),
        (world.guest, Forbidden),
        (world.employee, NotFound),
        (world.admin, Forbidden),
    ):
        with pytest.raises(error):
            world.create(caller)
    with pytest.raises(Forbidden):  # open C: readable, but not a member
        world.create(world.employee, cid="C")
    assert count(world, Event) == 0


def test_an_invisible_event_is_exactly_an_unknown_one(world):
    event = world.create(cid="S")
    hidden = world.refused(world.svc(world.member).get_event, event_id=event["id"])
    unknown = world.refused(world.svc(world.member).get_event, event_id="no-such-event")
    assert type(hidden) is type(unknown) is NotFound
    assert (hidden.message, hidden.details) == (unknown.message, unknown.details)
    assert isinstance(world.refused(world.svc(world.admin).get_event, event_id=event["id"]), Forbidden)


def test_organisers_named_by_a_manager_edit_but_do_not_name_organisers(world):
    event = world.create(organiser_ids=[world.member.user_id])
    changed = world.svc(world.member).update_event(
        event_id=event["id"], changes={"title": "Seminar, new title"}
    )
    assert changed["title"] == "Seminar, new title" and changed["sequence"] == 1
    with pytest.raises(Forbidden):
        world.svc(world.member).update_event(
            event_id=event["id"], changes={"organiser_ids": [world.other_member.user_id]}
        )
    with pytest.raises(Forbidden):
        world.svc(world.member).set_organisers(event_id=event["id"], person_ids=[world.member.user_id])
    with pytest.raises(Forbidden):
        world.svc(world.other_member).update_event(event_id=event["id"], changes={"title": "Mine"})
    # an organiser who left the community edits nothing
    world.leave("A", world.member)
    with pytest.raises(NotFound):
        world.svc(world.member).update_event(event_id=event["id"], changes={"title": "Gone"})
    with pytest.raises(ValidationFailed) as refused:  # organisers are members
        world.svc(world.manager).set_organisers(event_id=event["id"], person_ids=[world.employee.user_id])
    assert "person_ids" in refused.value.details


def test_an_archived_community_keeps_its_agenda_read_only(world):
    event = world.create()
    world.community("A", "private", archived=True, event=None)
    assert world.svc(world.member).get_event(event_id=event["id"])["title"]
    for call, kwargs in (
        (world.svc(world.manager).update_event, {"changes": {"title": "x"}}),
        (world.svc(world.manager).cancel_event, {"reason": "x"}),
        (world.svc(world.member).rsvp, {"status": "going"}),
    ):
        with pytest.raises(Forbidden):
            call(event_id=event["id"], **kwargs)


def test_cancellation_keeps_the_event_with_its_reason_and_bumps_the_sequence(world):
    event = world.create()
    cancelled = world.svc(world.manager).cancel_event(
        event_id=event["id"], reason="  Strike:   trains stopped "
    )
    assert cancelled["cancelled"] and cancelled["cancel_reason"] == "Strike: trains stopped"
    assert cancelled["sequence"] == 1 and not cancelled["can_rsvp"]
    with pytest.raises(Conflict):
        world.svc(world.manager).cancel_event(event_id=event["id"], reason="again")
    with pytest.raises(Conflict):
        world.svc(world.member).rsvp(event_id=event["id"], status="going")
    assert outbox_types(world.engine, Event.metadata)[-1] == "agenda.event_cancelled"


# --- recurrence ------------------------------------------------------------------------------


def test_a_weekly_rule_with_an_exception_expands_in_the_organisers_zone(world):
    event = world.create(
        start="2026-10-15T10:00",
        end="2026-10-15T11:30",
        recurrence="freq=weekly;count=4",
        exceptions=["2026-10-22T10:00"],
        sessions=[{"start": "2026-10-15T10:30", "end": "2026-10-15T11:00", "title": "Debate"}],
    )
    assert event["recurrence"] == "FREQ=WEEKLY;COUNT=4" and event["occurrence_count"] == 3
    starts = [o["starts_at"] for o in event["occurrences"]]
    # Paris leaves summer time on 25 October: 08:00 UTC, then 09:00 UTC
    assert starts == ["2026-10-15T08:00:00+00:00", "2026-10-29T09:00:00+00:00", "2026-11-05T09:00:00+00:00"]
    agenda = world.svc(world.member).my_agenda()["items"]
    assert [i["start"]["local"] for i in agenda] == [
        "2026-10-15T10:00:00",
        "2026-10-29T10:00:00",
        "2026-11-05T10:00:00",
    ]


def test_a_rule_without_end_is_bounded_by_the_window(world):
    event = world.create(recurrence="FREQ=DAILY")
    assert event["occurrence_count"] == 731  # two years of days, the first included


@pytest.mark.parametrize(
    "rule",
    [
        "FREQ=DAILY;COUNT=1000000",
        "FREQ=HOURLY",
        "FREQ=MINUTELY;COUNT=5",
        "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30",
        "FREQ=MONTHLY;INTERVAL=12;BYMONTHDAY=31",
        "FREQ=MONTHLY;BYSETPOS=40;BYDAY=MO",
        "FREQ=DAILY;INTERVAL=7;BYDAY=TU",
        "FREQ=WEEKLY;BYHOUR=1,2,3",
        "FREQ=WEEKLY;COUNT=2;UNTIL=20270101",
        "not a rule",
    ],
)
def test_a_rule_that_explodes_or_never_happens_is_refused_at_once(world, rule):
    began = time.monotonic()
    with pytest.raises(ValidationFailed) as refused:
        world.create(recurrence=rule)
    assert time.monotonic() - began < 1.0
    assert "recurrence" in refused.value.details
    assert count(world, Event) == count(world, Occurrence) == 0


def test_the_start_must_be_a_date_of_the_rule_and_exceptions_dates_of_it(world):
    with pytest.raises(ValidationFailed) as refused:
        world.create(recurrence="FREQ=WEEKLY;BYDAY=FR;COUNT=3")  # 1 July 2026 is a Wednesday
    assert "recurrence" in refused.value.details
    with pytest.raises(ValidationFailed) as refused:
        world.create(recurrence="FREQ=WEEKLY;COUNT=3", exceptions=["2026-07-02T10:00"])
    assert "exceptions" in refused.value.details


# --- bad input: a clear 422, nothing written ------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"end": "2026-07-01T09:00"}, "end"),
        ({"time_zone": "Europe/Atlantis"}, "time_zone"),
        ({"capacity": -1}, "capacity"),
        ({"capacity": 0}, "capacity"),
        ({"online_url": "javascript:alert(1)"}, "online_url"),
        ({"title": "   "}, "title"),
        ({"sessions": [{"start": "2026-07-01T10:00", "title": "x"}] * 10_000}, "sessions"),
        ({"sessions": [{"start": "2026-07-01T13:00", "title": "After"}]}, "sessions.0.start"),
        ({"organiser_ids": ["p-employee"]}, "organiser_ids"),
        ({"invitee_ids": ["p-guest-2"]}, "invitee_ids"),
    ],
)
def test_bad_input_is_a_422_naming_the_field_and_writes_nothing(world, fields, field):
    with pytest.raises(ValidationFailed) as refused:
        world.create(**fields)
    assert field in refused.value.details, refused.value.details
    for model in (Event, Occurrence, EventSession, Organiser):
        assert count(world, model) == 0
    assert outbox_types(world.engine, Event.metadata) == []


def test_a_refused_change_leaves_the_event_as_it_was(world):
    event = world.create(sessions=[{"start": "2026-07-01T10:30", "title": "Testimony"}])
    with pytest.raises(ValidationFailed):
        world.svc(world.manager).update_event(
            event_id=event["id"], changes={"title": "New", "end": "2026-07-01T08:00"}
        )
    again = world.svc(world.manager).get_event(event_id=event["id"])
    assert again["title"] == "Quarterly seminar" and again["sequence"] == 0
    assert [s["title"] for s in again["sessions"]] == ["Testimony"]
    assert again["end"]["local"] == "2026-07-01T12:00:00"
