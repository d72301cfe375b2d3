"""The agenda, as the gateway asks it: events, answers, agendas, iCalendar files and feeds.

The agenda service decides everything (who may read, create, change or answer; the times
in the reader's zone, which it takes from the person's profile unless the request names
one); here the gateway's arguments become the method's. The feed of a calendar client is
the one call that needs no sign-in: its secret token is the credential.
"""

from __future__ import annotations

from . import operations, page_kwargs

operation = operations("agenda")

#: the fields of an event the API and the forms send (``changes`` of an update too)
EVENT_FIELDS = (
    "title",
    "description",
    "time_zone",
    "start",
    "end",
    "all_day",
    "place",
    "online_url",
    "capacity",
    "invite_only",
    "recurrence",
    "exceptions",
    "sessions",
    "organiser_ids",
    "invitee_ids",
)


def _agenda_args(args: dict) -> dict:
    kwargs = page_kwargs(args, default_limit=50)
    for name in ("month", "time_zone"):
        if args.get(name):
            kwargs[name] = args[name]
    return kwargs


@operation
def create_event(community_id: str, fields: dict) -> dict:
    return {"community_id": community_id, **{k: v for k, v in fields.items() if k in EVENT_FIELDS}}


@operation
def get_event(event_id: str, time_zone: str | None = None) -> dict:
    return {"event_id": event_id, **({"time_zone": time_zone} if time_zone else {})}


@operation
def update_event(event_id: str, changes: dict) -> dict:
    return {"event_id": event_id, "changes": changes}


@operation
def cancel_event(event_id: str, reason: str = "") -> dict:
    return {"event_id": event_id, "reason": reason}


@operation
def set_organisers(event_id: str, person_ids: list) -> dict:
    return {"event_id": event_id, "person_ids": person_ids}


@operation
def invite_to_event(event_id: str, person_ids: list) -> dict:
    return {"event_id": event_id, "person_ids": person_ids}


@operation
def rsvp(event_id: str, status: str, note: str = "") -> dict:
    return {"event_id": event_id, "status": status, "note": note}


@operation
def get_rsvp(event_id: str) -> dict:
    return {"event_id": event_id}


@operation
def list_rsvps(event_id: str) -> dict:
    return {"event_id": event_id}


@operation
def export_rsvps(event_id: str) -> dict:
    return {"event_id": event_id}


@operation
def community_agenda(community_id: str, args: dict) -> dict:
    return {"community_id": community_id, **_agenda_args(args)}


@operation
def my_agenda(args: dict) -> dict:
    return _agenda_args(args)


@operation
def event_ics(event_id: str) -> dict:
    return {"event_id": event_id}


@operation
def create_feed(community_id: str | None = None) -> dict:
    return {"community_id": community_id}


@operation
def list_feeds() -> dict:
    return {}


@operation
def revoke_feed(feed_id: str) -> dict:
    return {"feed_id": feed_id}


@operation(anonymous=True)
def feed_ics(token: str) -> dict:
    """A calendar client's fetch: the secret token is the credential (no sign-in)."""
    return {"token": token}
