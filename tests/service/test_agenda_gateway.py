"""The agenda through the gateway: identity, communities and the agenda on the real RabbitMQ,
people signed in with real cookies, the agenda's read model fed by the communities' events.

Manon (Paris) manages a community and plans the quarterly seminar with three sessions;
Lucia (Madrid) and Olivia (London) answer and see it in their own time; Olivia's calendar
feed lists it, read by an independent parser, until she revokes it (404) or leaves the
community (its events leave the feed). The pages say the same in French and German.
"""

from __future__ import annotations

import re

import pytest
import vobject
from test_gateway import ADMIN_EMAIL, API, PASSWORD, assert_error_shape, client_for, create_person, write

from gateway.app import create_app
from services.agenda.service import AgendaService
from services.communities.service import CommunitiesService
from services.identity.service import IdentityService
from tests.support import bootstrap_acme, wait_until

CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')

SEMINAR = {
    "title": "Quarterly seminar",
    "description": "Hosted this quarter by **Lyon**. <script>alert(1)</script>",
    "time_zone": "Europe/Paris",
    "start": "2027-03-25T10:00",
    "end": "2027-03-25T12:30",
    "place": "Lyon, salle Bellecour",
    "online_url": "https://meet.example.com/seminar",
    "capacity": 1,
    "sessions": [
        {"start": "2027-03-25T10:00", "end": "2027-03-25T10:45", "title": "Testimony", "speaker": "Ana Ruiz"},
        {"start": "2027-03-25T10:45", "end": "2027-03-25T11:45", "title": "Debate"},
        {"start": "2027-03-25T11:45", "title": "Expert synthesis", "speaker": "Dr. Weber"},
    ],
}


@pytest.fixture
def network(start_service, rpc, tokens):
    for cls in (IdentityService, CommunitiesService, AgendaService):
        start_service(cls)
    bootstrap_acme(rpc, tokens, ADMIN_EMAIL, PASSWORD)
    app = create_app({"RPC_CLIENT": rpc, "TESTING": True})
    admin = client_for(app, ADMIN_EMAIL)
    zones = {"manon": "Europe/Paris", "lucia": "Europe/Madrid", "olivia": "Europe/London"}
    people, clients = {}, {}
    for key, name in (("manon", "Manon Martin"), ("lucia", "Lucia García"), ("olivia", "Olivia Owens")):
        people[key] = create_person(admin, f"{key}@acme.example", name)["person"]
        clients[key] = client_for(app, f"{key}@acme.example")
        changed = write(clients[key], "PATCH", f"{API}/me", json={"time_zone": zones[key]})
        assert changed.status_code == 200, changed.get_json()
    made = write(
        clients["manon"],
        "POST",
        f"{API}/communities",
        json={"name": "Réseau qualité", "kind": "project", "visibility": "private"},
    )
    assert made.status_code == 201, made.get_json()
    cid = made.get_json()["id"]
    for key in ("lucia", "olivia"):
        invited = write(
            clients["manon"],
            "POST",
            f"{API}/communities/{cid}/invitations",
            json={"person_id": people[key]["id"]},
        )
        assert invited.status_code == 201, invited.get_json()
        accepted = write(clients[key], "POST", f"{API}/me/invitations/{cid}/accept")
        assert accepted.status_code == 200, accepted.get_json()
    for key in ("manon", "lucia", "olivia"):
        wait_until(
            lambda c=clients[key]: c.get(f"{API}/communities/{cid}/events").status_code == 200, timeout=20
        )
    return app, people, clients, cid


def ok(response, status=200):
    assert response.status_code == status, (response.status_code, response.get_json(silent=True))
    return response.get_json(silent=True)


def create(client, cid, **fields):
    return ok(write(client, "POST", f"{API}/communities/{cid}/events", json={**SEMINAR, **fields}), 201)


def feed_uids(app, url_path) -> list[str]:
    """What a calendar app fetching the feed gets, read by vobject (no session)."""
    response = app.test_client().get(url_path)
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    return [v.uid.value for v in vobject.readOne(response.get_data(as_text=True)).contents.get("vevent", [])]


def test_the_quarterly_seminar(network):
    app, people, clients, cid = network
    manon, lucia, olivia = clients["manon"], clients["lucia"], clients["olivia"]
    event = create(manon, cid)
    eid = event["id"]
    assert event["start"] == {
        "time_zone": "Europe/Paris",
        "local": "2027-03-25T10:00:00",
        "abbreviation": "CET",
        "offset": "+01:00",
    }

    # each reads it in their own zone, named; a zone asked for in the query wins
    seen = ok(olivia.get(f"{API}/events/{eid}"))
    assert (seen["start"]["local"], seen["start"]["abbreviation"]) == ("2027-03-25T09:00:00", "GMT")
    assert [s["start"]["local"][11:16] for s in seen["sessions"]] == ["09:00", "09:45", "10:45"]
    assert ok(lucia.get(f"{API}/events/{eid}"))["start"]["time_zone"] == "Europe/Madrid"
    singapore = ok(olivia.get(f"{API}/events/{eid}", query_string={"time_zone": "Asia/Singapore"}))
    assert singapore["start"]["local"] == "2027-03-25T17:00:00"

    # one seat: Lucia takes it, Olivia waits, and is seated when Lucia withdraws
    assert ok(write(lucia, "PUT", f"{API}/events/{eid}/rsvp", json={"status": "going"}))["waiting"] is False
    queued = ok(write(olivia, "PUT", f"{API}/events/{eid}/rsvp", json={"status": "going", "note": "=1+1"}))
    assert queued["waiting"] is True
    ok(write(lucia, "PUT", f"{API}/events/{eid}/rsvp", json={"status": "not_going", "note": "Sorry"}))
    assert ok(olivia.get(f"{API}/events/{eid}/rsvp"))["waiting"] is False
    answers = ok(manon.get(f"{API}/events/{eid}/rsvps"))
    assert answers["counts"] == {"going": 1, "waiting": 0, "maybe": 0, "not_going": 1}
    assert_error_shape(olivia.get(f"{API}/events/{eid}/rsvps"), 403, "forbidden")
    exported = manon.get(f"{API}/events/{eid}/rsvps.csv")
    assert exported.status_code == 200 and exported.mimetype == "text/csv"
    assert "Olivia Owens" in exported.get_data(as_text=True) and "'=1+1" in exported.get_data(as_text=True)

    # the event's file for the organiser: attendees with their answers
    ics = manon.get(f"{API}/events/{eid}/calendar.ics")
    assert ics.status_code == 200 and ics.mimetype == "text/calendar"
    parsed = vobject.readOne(ics.get_data(as_text=True)).vevent
    partstats = {a.params["CN"][0]: a.params["PARTSTAT"][0] for a in parsed.contents["attendee"]}
    assert partstats == {"Olivia Owens": "ACCEPTED", "Lucia García": "DECLINED"}
    assert parsed.organizer.params["CN"] == ["Manon Martin"]

    # Olivia's feed, fetched by a calendar app with no session, until she revokes it
    made = ok(write(olivia, "POST", f"{API}/agenda/feeds", json={}), 201)
    path = made["url"].split("://", 1)[1].split("/", 1)[1]
    assert feed_uids(app, "/" + path) == [f"{eid}@parvis"]
    assert made["token"] not in str(ok(olivia.get(f"{API}/agenda/feeds")))
    spare = ok(write(olivia, "POST", f"{API}/agenda/feeds", json={"community_id": cid}), 201)
    ok(write(olivia, "DELETE", f"{API}/agenda/feeds/{made['id']}"), 204)
    gone = app.test_client().get("/" + path)
    assert_error_shape(gone, 404, "not_found")
    unknown = app.test_client().get(f"{API}/calendar-feeds/{'x' * 43}.ics")
    assert gone.get_data() == unknown.get_data()

    # removed from the community: her other feed stops at the next fetch
    spare_path = "/" + spare["url"].split("://", 1)[1].split("/", 1)[1]
    assert feed_uids(app, spare_path) == [f"{eid}@parvis"]
    ok(write(manon, "DELETE", f"{API}/communities/{cid}/members/{people['olivia']['id']}"))
    wait_until(lambda: app.test_client().get(spare_path).status_code == 404, timeout=20)
    assert_error_shape(olivia.get(f"{API}/events/{eid}"), 404, "not_found")

    # cancelled: the file says so
    ok(write(manon, "POST", f"{API}/events/{eid}/cancel", json={"reason": "Strike"}))
    cancelled = manon.get(f"{API}/events/{eid}/calendar.ics").get_data(as_text=True)
    assert "METHOD:CANCEL" in cancelled and "SEQUENCE:1" in cancelled


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"end": "2027-03-25T09:00"}, "end"),
        ({"time_zone": "Europe/Atlantis"}, "time_zone"),
        ({"recurrence": "FREQ=DAILY;COUNT=5000000"}, "recurrence"),
        ({"capacity": -3}, "capacity"),
        ({"sessions": [{"start": "2027-03-25T10:00", "title": "x"}] * 10_000}, "sessions"),
        ({"online_url": "javascript:alert(1)"}, "online_url"),
    ],
)
def test_bad_input_is_a_clear_422(network, fields, field):
    app, people, clients, cid = network
    response = write(clients["manon"], "POST", f"{API}/communities/{cid}/events", json={**SEMINAR, **fields})
    assert_error_shape(response, 422, "validation_failed")
    body = response.get_json()
    assert field in str(body["error"]["details"]), body
    assert ok(clients["manon"].get(f"{API}/communities/{cid}/events"))["items"] == []


def csrf(client, path) -> str:
    return CSRF_INPUT.search(client.get(path).get_data(as_text=True)).group(1)


def test_the_pages_in_the_readers_time_and_language(network):
    app, people, clients, cid = network
    manon, olivia = clients["manon"], clients["olivia"]
    # the manager creates it with the form (no script: plain fields)
    form_path = f"/communities/{cid}/events/new"
    page = manon.get(form_path)
    assert page.status_code == 200 and 'value="Europe/Paris" selected' in page.get_data(as_text=True)
    made = manon.post(
        form_path,
        data={
            "csrf_token": csrf(manon, form_path),
            "title": "Quarterly seminar",
            "time_zone": "Europe/Paris",
            "start": "2027-03-25T10:00",
            "end": "2027-03-25T12:30",
            "session-0-start": "2027-03-25T10:00",
            "session-0-title": "Testimony",
            "session-0-speaker": "Ana Ruiz",
            "session-1-start": "2027-03-25T11:45",
            "session-1-title": "Synthesis",
        },
    )
    assert made.status_code == 302, made.get_data(as_text=True)[:500]
    event_path = made.headers["Location"].split("://", 1)[-1]
    event_path = event_path[event_path.index("/events/") :]
    eid = event_path.rsplit("/", 1)[1]

    for lang, label in (("fr", "Quand (votre heure)"), ("de", "Wann (Ihre Zeit)")):
        html = olivia.get(event_path, query_string={"lang": lang}).get_data(as_text=True)
        assert label in html
        assert "09:00" in html and "GMT" in html and "Europe/London" in html
        assert "Testimony" in html and "<script>" not in html
    # the RSVP form, then the agenda tab and my month
    answered = olivia.post(
        f"/events/{eid}/rsvp",
        data={"csrf_token": csrf(olivia, event_path), "status": "maybe", "note": "Train"},
    )
    assert answered.status_code == 302
    assert ok(olivia.get(f"{API}/events/{eid}/rsvp"))["status"] == "maybe"
    tab = olivia.get(f"/communities/{cid}/agenda").get_data(as_text=True)
    assert f'data-event-id="{eid}"' in tab and 'data-testid="tab-agenda"' in tab
    month = olivia.get("/agenda", query_string={"view": "month", "month": "2027-03"}).get_data(as_text=True)
    assert 'data-day="2027-03-25"' in month and f'data-event-id="{eid}"' in month
    # a refused form says what is wrong, in place
    bad = manon.post(
        form_path,
        data={
            "csrf_token": csrf(manon, form_path),
            "title": "Broken",
            "time_zone": "Europe/Paris",
            "start": "2027-03-25T10:00",
            "end": "2027-03-25T09:00",
        },
    )
    assert bad.status_code == 422 and 'data-testid="error-end"' in bad.get_data(as_text=True)
    # a member gets no form to create one
    assert olivia.get(form_path).status_code == 403
