"""iCalendar files and feeds: round trips through two independent parsers (``icalendar``,
which wrote them, and ``vobject``, with its own parser and its own time-zone reading), the
feed after a membership removal, revocation, and the agenda pages."""

from __future__ import annotations

from datetime import UTC, datetime

import icalendar
import pytest
import vobject
from sqlalchemy import select

from parvis_contracts.errors import NotFound, ValidationFailed
from services.agenda.feeds import digest
from services.agenda.models import CalendarFeed


def seminar(world, **fields):
    return world.create(
        title="Quarterly seminar; testimony, debate",
        description="Hosted by **Lyon**.",
        start="2026-10-22T10:00",
        end="2026-10-22T12:00",
        recurrence="FREQ=WEEKLY;UNTIL=20261112",
        exceptions=["2026-11-05T10:00"],
        place="Lyon, salle 2",
        sessions=[
            {"start": "2026-10-22T10:00", "title": "Testimony", "speaker": "Ana Ruiz"},
            {"start": "2026-10-22T11:00", "title": "Synthesis", "speaker": "Dr. Weber"},
        ],
        **fields,
    )


def utc_starts(event) -> list[str]:
    return [o["starts_at"] for o in event["occurrences"]]


def test_an_event_file_reads_back_the_same_through_two_parsers(world):
    event = seminar(world)
    world.svc(world.member).rsvp(event_id=event["id"], status="going")
    world.svc(world.other_member).rsvp(event_id=event["id"], status="maybe")
    text = world.svc(world.manager).event_ics(event_id=event["id"])["ics"]

    # the writer's own parser
    cal = icalendar.Calendar.from_ical(text)
    assert str(cal["method"]) == "PUBLISH"
    assert [tz["tzid"] for tz in cal.walk("VTIMEZONE")] == ["Europe/Paris"]
    (vevent,) = cal.walk("VEVENT")
    assert str(vevent["summary"]) == "Quarterly seminar; testimony, debate"
    assert vevent["dtstart"].params["TZID"] == "Europe/Paris"
    assert vevent.decoded("dtstart").replace(tzinfo=None) == datetime(2026, 10, 22, 10, 0)
    assert int(vevent["sequence"]) == 0
    parts = {str(a): a.params["PARTSTAT"] for a in vevent["attendee"]}
    assert parts == {
        f"urn:uuid:{world.member.user_id}": "ACCEPTED",
        f"urn:uuid:{world.other_member.user_id}": "TENTATIVE",
    }
    assert str(vevent["organizer"]) == f"urn:uuid:{world.manager.user_id}"
    assert vevent["organizer"].params["CN"] == f"Name of {world.manager.user_id}"
    assert "11:00 Synthesis — Dr. Weber" in str(vevent["description"])

    # an independent parser: its own VTIMEZONE reading and its own rule expansion
    parsed = vobject.readOne(text)
    other = parsed.vevent
    assert other.uid.value == f"{event['id']}@parvis"
    assert other.dtstart.value.utcoffset().total_seconds() == 7200  # CEST, from the VTIMEZONE
    expanded = [d.astimezone(UTC).isoformat() for d in other.getrruleset()]
    assert expanded == utc_starts(event)  # the UNTIL, the EXDATE and the DST change agree
    assert expanded == ["2026-10-22T08:00:00+00:00", "2026-10-29T09:00:00+00:00", "2026-11-12T09:00:00+00:00"]
    assert other.location.value == "Lyon, salle 2"


def test_a_reader_sees_only_their_own_answer_and_a_change_bumps_the_sequence(world):
    event = seminar(world)
    world.svc(world.member).rsvp(event_id=event["id"], status="going")
    world.svc(world.guest).rsvp(event_id=event["id"], status="not_going")
    text = world.svc(world.guest).event_ics(event_id=event["id"])["ics"]
    attendees = vobject.readOne(text).vevent.contents["attendee"]
    assert [(a.value, a.params["PARTSTAT"]) for a in attendees] == [
        (f"urn:uuid:{world.guest.user_id}", ["DECLINED"])
    ]
    world.svc(world.manager).update_event(event_id=event["id"], changes={"place": "Paris"})
    world.svc(world.manager).update_event(event_id=event["id"], changes={"title": "Seminar"})
    again = icalendar.Calendar.from_ical(world.svc(world.guest).event_ics(event_id=event["id"])["ics"])
    assert int(again.walk("VEVENT")[0]["sequence"]) == 2


def test_a_cancelled_event_file_says_cancel(world):
    event = world.create(all_day=True, start="2026-07-01", end="2026-07-02")
    world.svc(world.manager).cancel_event(event_id=event["id"], reason="Venue flooded")
    text = world.svc(world.member).event_ics(event_id=event["id"])["ics"]
    cal = icalendar.Calendar.from_ical(text)
    assert str(cal["method"]) == "CANCEL"
    vevent = cal.walk("VEVENT")[0]
    assert str(vevent["status"]) == "CANCELLED" and int(vevent["sequence"]) == 1
    assert "Venue flooded" in str(vevent["description"])
    other = vobject.readOne(text).vevent
    assert (other.dtstart.value.isoformat(), other.dtend.value.isoformat()) == ("2026-07-01", "2026-07-03")


# --- feeds -----------------------------------------------------------------------------------


def test_a_feed_follows_its_owners_rights_at_each_fetch(world):
    a_event = seminar(world)["id"]
    c_event = world.create(cid="C", title="Open day")["id"]
    world.join("C", world.member)
    feed = world.svc(world.member).create_feed()
    assert len(feed["token"]) >= 40
    with world.engine.connect() as conn:
        stored = conn.execute(select(CalendarFeed.token_hash)).scalars().all()
    assert stored == [digest(feed["token"])] and feed["token"] not in stored

    def uids():
        text = world.svc().feed_ics(token=feed["token"])["ics"]
        return sorted(v.uid.value for v in vobject.readOne(text).vevent_list)

    assert uids() == sorted([f"{a_event}@parvis", f"{c_event}@parvis"])
    world.leave("A", world.member)
    assert uids() == [f"{c_event}@parvis"]  # removed from A: its events left at the next fetch
    world.identity.inactive.add(world.member.user_id)
    with pytest.raises(NotFound):  # deactivated: the link answers as an unknown one
        world.svc().feed_ics(token=feed["token"])


def test_a_community_feed_stops_when_its_owner_stops_reading_it(world):
    event = world.create()["id"]
    feed = world.svc(world.guest).create_feed(community_id="A")
    text = world.svc().feed_ics(token=feed["token"])["ics"]
    assert vobject.readOne(text).vevent.uid.value == f"{event}@parvis"
    world.leave("A", world.guest)
    with pytest.raises(NotFound):
        world.svc().feed_ics(token=feed["token"])
    with pytest.raises(NotFound):  # nor can one make a feed of a community one may not read
        world.svc(world.guest).create_feed(community_id="C")


def test_a_revoked_feed_is_an_unknown_one_and_only_its_owner_revokes_it(world):
    feed = world.svc(world.member).create_feed()
    with pytest.raises(NotFound):
        world.svc(world.other_member).revoke_feed(feed_id=feed["id"])
    listed = world.svc(world.member).list_feeds()["items"]
    assert [f["id"] for f in listed] == [feed["id"]] and "token" not in listed[0]
    world.svc(world.member).revoke_feed(feed_id=feed["id"])
    revoked = world.refused(world.svc().feed_ics, token=feed["token"])
    unknown = world.refused(world.svc().feed_ics, token="x" * 43)
    assert type(revoked) is type(unknown) is NotFound and revoked.message == unknown.message


# --- agenda pages ----------------------------------------------------------------------------


def test_the_agenda_is_upcoming_first_and_pages_by_keyset(world):
    ids = [
        world.create(title=f"Event {day}", start=f"2026-07-{day:02d}T10:00", end=f"2026-07-{day:02d}T11:00")[
            "id"
        ]
        for day in (9, 3, 5, 7, 1)
    ]
    seen, cursor = [], None
    while True:
        page = world.svc(world.member).community_agenda(community_id="A", limit=2, cursor=cursor)
        seen += [item["title"] for item in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == ["Event 1", "Event 3", "Event 5", "Event 7", "Event 9"]
    assert len(set(ids)) == 5
    world.clock.advance(days=33)  # 4 July 2026: the first two are over
    upcoming = world.svc(world.member).my_agenda()["items"]
    assert [i["title"] for i in upcoming] == ["Event 5", "Event 7", "Event 9"]
    with pytest.raises(ValidationFailed):
        world.svc(world.member).my_agenda(cursor="garbage")


def test_a_month_is_the_readers_month(world):
    # 31 October 2026, 23:30 in London is 1 November in Singapore
    world.create(time_zone="Europe/London", start="2026-10-31T23:30", end="2026-11-01T00:30")
    london = world.svc(world.member).my_agenda(month="2026-10", time_zone="Europe/London")["items"]
    singapore = world.svc(world.member).my_agenda(month="2026-11", time_zone="Asia/Singapore")["items"]
    assert [i["day"] for i in london] == ["2026-10-31"]
    assert [i["day"] for i in singapore] == ["2026-11-01"]
    assert singapore[0]["start"]["local"] == "2026-11-01T07:30:00"
    assert world.svc(world.member).my_agenda(month="2026-12", time_zone="Asia/Singapore")["items"] == []


def test_my_agenda_holds_my_communities_only(world):
    world.create(cid="C", title="Open day")
    world.create(cid="S", title="Secret meeting")
    world.create(title="Seminar")
    assert [i["title"] for i in world.svc(world.member).my_agenda()["items"]] == ["Seminar"]
    mine = world.svc(world.manager).my_agenda()["items"]  # all at the same time: ordered by id then
    assert sorted(i["title"] for i in mine) == ["Open day", "Secret meeting", "Seminar"]
    assert [i["event_id"] for i in mine] == sorted(i["event_id"] for i in mine)
    # an open community's agenda is readable by an employee who is not in it; not by a guest
    assert [i["title"] for i in world.svc(world.employee).community_agenda(community_id="C")["items"]] == [
        "Open day"
    ]
    with pytest.raises(NotFound):
        world.svc(world.guest).community_agenda(community_id="C")


# --- GDPR ------------------------------------------------------------------------------------


def test_export_and_erasure(world):
    from parvis_contracts import events as ev

    event = world.create(capacity=1, organiser_ids=[world.member.user_id])["id"]
    world.svc(world.member).rsvp(event_id=event, status="going", note="vegetarian")
    world.svc(world.guest).rsvp(event_id=event, status="going")
    world.svc(world.member).create_feed()
    export = world.svc(world.member).export_person_data(person_id=world.member.user_id)
    assert export["rsvps"][0]["note"] == "vegetarian"
    assert [e["event_id"] for e in export["organised_events"]] == [event]
    assert len(export["calendar_feeds"]) == 1 and "token" not in str(export["calendar_feeds"])
    with pytest.raises(Exception, match="themself"):
        world.svc(world.guest).export_person_data(person_id=world.member.user_id)

    from parvis_contracts.events import Envelope

    body = Envelope.new(
        ev.IDENTITY_USER_ERASED, {"user_id": world.member.user_id, "org_id": "o", "guest": False}
    ).to_message()
    world.svc().on_user_erased(body)
    world.svc().on_user_erased(body)  # twice: nothing left to change
    after = world.svc(world.admin).export_person_data(person_id=world.member.user_id)
    assert after["rsvps"] == after["organised_events"] == after["calendar_feeds"] == []
    seen = world.svc(world.manager).get_event(event_id=event)
    assert seen["organiser_ids"] == [world.manager.user_id]
    assert (
        seen["counts"]["going"] == 1 and world.svc(world.guest).get_rsvp(event_id=event)["waiting"] is False
    )
