"""Entrypoints of the agenda service: load input, authorise, delegate, dump output.

Events and who may touch them are ``planning``'s; answers, seats and the waiting list
``attendance``'s; the agenda pages ``listing``'s; iCalendar files ``calendars``' and the
secret feeds ``feeds``'. Times are ``times``'. Identity is asked, as the platform itself
(``mail_profiles``), for three things only: the reader's time zone when the call does not
name one, the names written in ``.ics`` files and the CSV export, and whether the owner of
a feed may still sign in. The interface is documented in docs/services/agenda.md.
"""

from __future__ import annotations

import logging

import eventlet

from parvis_contracts import events as ev
from parvis_contracts.clock import Clock
from parvis_contracts.db import Database
from parvis_contracts.entrypoints import CurrentCaller, SystemRpcProxy, dump, rpc, transactional
from parvis_contracts.errors import Unavailable
from parvis_contracts.handlers import _session_of, idempotent_handler
from parvis_contracts.health import PlatformEntrypoints
from parvis_contracts.membership import MembershipEventHandlers, viewer_of
from parvis_contracts.metrics import Metrics
from parvis_contracts.privacy import PersonDataEntrypoints
from parvis_contracts.schemas import load

from . import attendance, calendars, feeds, listing, planning, privacy
from . import schemas as s
from .models import MEMBERSHIP, metadata

log = logging.getLogger(__name__)

#: seconds the service waits for identity's mail_profiles (nameko's proxy waits for ever)
PROFILES_TIMEOUT = 5


class AgendaService(PersonDataEntrypoints, MembershipEventHandlers, PlatformEntrypoints):
    name = "agenda"
    person_data = privacy  # export_person_data, on_user_erased (GDPR)
    membership_model = MEMBERSHIP

    db = Database(metadata)
    caller = CurrentCaller()
    metrics = Metrics()
    clock = Clock()
    #: time zones, names, and whether a feed's owner may still sign in
    identity = SystemRpcProxy("identity")

    @idempotent_handler(ev.COMMUNITIES_MEMBER_REMOVED)
    def on_member_removed(self, envelope):
        """The read model, and the seats of who left freed for those waiting."""
        session = _session_of(self)
        MEMBERSHIP.apply(session, envelope, ev.COMMUNITIES_MEMBER_REMOVED)
        data = envelope.data
        if MEMBERSHIP.member(session, data["community_id"], data["user_id"]) is None:
            attendance.person_left(session, data["community_id"], data["user_id"], self.clock())

    # --- identity, as the platform ------------------------------------------------------------

    def _profiles(self, person_ids) -> dict:
        ids = [pid for pid in dict.fromkeys(person_ids) if pid]
        if not ids:
            return {}
        with eventlet.Timeout(PROFILES_TIMEOUT, Unavailable("identity did not answer in time")):
            found = self.identity.mail_profiles(person_ids=ids)
        return found if isinstance(found, dict) else {}

    def _names(self, person_ids) -> dict:
        try:
            profiles = self._profiles(person_ids)
        except Exception:  # a file without names is better than no file
            log.warning("identity did not give names; the file names no one", exc_info=True)
            return {}
        return {pid: (p or {}).get("display_name") for pid, p in profiles.items()}

    def _reader_zone(self, viewer, asked) -> str:
        """The zone the reader asked for, else their profile's, else UTC."""
        if asked:
            return asked
        try:
            profile = self._profiles([viewer.id]).get(viewer.id) or {}
        except Exception:
            log.warning("identity did not give the reader's time zone; UTC it is", exc_info=True)
            return "UTC"
        return profile.get("time_zone") or "UTC"

    def _active(self, person_id) -> bool:
        profile = self._profiles([person_id]).get(person_id) or {}
        return bool(profile.get("active"))

    def _viewer(self):
        return viewer_of(self.caller)

    def _shown(self, seen, zone) -> dict:
        return dump(s.EventSchema, planning.view(self.db, seen, self.clock(), zone))

    # --- events ------------------------------------------------------------------------------

    @rpc
    @transactional
    def create_event(self, community_id, **fields):
        data = load(s.CreateEventIn(), {"community_id": community_id, **fields})
        viewer = self._viewer()
        seen = planning.create(self.db, viewer, self.clock(), data)
        self.db.commit()
        return self._shown(seen, self._reader_zone(viewer, None))

    @rpc
    @transactional
    def get_event(self, event_id, time_zone=None):
        data = load(s.ReadEventIn(), {"event_id": event_id, "time_zone": time_zone})
        viewer = self._viewer()
        seen = planning.find(self.db, viewer, data["event_id"])
        return self._shown(seen, self._reader_zone(viewer, data["time_zone"]))

    @rpc
    @transactional
    def update_event(self, event_id, changes):
        data = load(s.UpdateEventIn(), {"event_id": event_id, "changes": changes})
        viewer = self._viewer()
        seen = planning.update(
            self.db, viewer, self.clock(), data["event_id"], data["changes"], attendance.promote
        )
        self.db.commit()
        return self._shown(seen, self._reader_zone(viewer, None))

    @rpc
    @transactional
    def cancel_event(self, event_id, reason=""):
        data = load(s.CancelIn(), {"event_id": event_id, "reason": reason})
        viewer = self._viewer()
        seen = planning.cancel(self.db, viewer, self.clock(), **data)
        self.db.commit()
        return self._shown(seen, self._reader_zone(viewer, None))

    @rpc
    @transactional
    def set_organisers(self, event_id, person_ids):
        data = load(s.OrganisersIn(), {"event_id": event_id, "person_ids": person_ids})
        result = planning.set_organisers(self.db, self._viewer(), self.clock(), **data)
        self.db.commit()
        return dump(s.PeopleSchema, result)

    @rpc
    @transactional
    def invite_to_event(self, event_id, person_ids):
        data = load(s.PeopleIn(), {"event_id": event_id, "person_ids": person_ids})
        result = planning.invite(self.db, self._viewer(), self.clock(), **data)
        self.db.commit()
        return dump(s.PeopleSchema, result)

    # --- answers -------------------------------------------------------------------------------

    @rpc
    @transactional
    def rsvp(self, event_id, status, note=""):
        data = load(s.RsvpIn(), {"event_id": event_id, "status": status, "note": note})
        result = attendance.answer(self.db, self._viewer(), self.clock(), **data)
        self.db.commit()
        return dump(s.RsvpSchema, result)

    @rpc
    @transactional
    def get_rsvp(self, event_id):
        data = load(s.EventIdIn(), {"event_id": event_id})
        return dump(s.RsvpSchema, attendance.my_answer(self.db, self._viewer(), **data))

    @rpc
    @transactional
    def list_rsvps(self, event_id):
        data = load(s.EventIdIn(), {"event_id": event_id})
        return dump(s.RsvpListSchema, attendance.listing(self.db, self._viewer(), **data))

    @rpc
    @transactional
    def export_rsvps(self, event_id):
        data = load(s.EventIdIn(), {"event_id": event_id})
        return dump(s.ExportSchema, attendance.export(self.db, self._viewer(), data["event_id"], self._names))

    # --- agendas and calendars ------------------------------------------------------------------

    @rpc
    @transactional
    def community_agenda(self, community_id, limit=50, cursor=None, month=None, time_zone=None):
        data = load(
            s.CommunityAgendaArgs(),
            {
                "community_id": community_id,
                "limit": limit,
                "cursor": cursor,
                "month": month,
                "time_zone": time_zone,
            },
        )
        viewer = self._viewer()
        zone = self._reader_zone(viewer, data.pop("time_zone"))
        return dump(s.AgendaPageSchema, listing.community_agenda(self.db, viewer, self.clock(), zone, **data))

    @rpc
    @transactional
    def my_agenda(self, limit=50, cursor=None, month=None, time_zone=None):
        data = load(
            s.AgendaArgs(), {"limit": limit, "cursor": cursor, "month": month, "time_zone": time_zone}
        )
        viewer = self._viewer()
        zone = self._reader_zone(viewer, data.pop("time_zone"))
        return dump(s.AgendaPageSchema, listing.my_agenda(self.db, viewer, self.clock(), zone, **data))

    @rpc
    @transactional
    def event_ics(self, event_id):
        data = load(s.EventIdIn(), {"event_id": event_id})
        seen = planning.find(self.db, self._viewer(), data["event_id"])
        return dump(s.IcsSchema, calendars.event_file(self.db, seen, self.clock(), self._names))

    @rpc
    @transactional
    def create_feed(self, community_id=None):
        data = load(s.FeedIn(), {"community_id": community_id})
        result = feeds.create(self.db, self._viewer(), self.clock(), **data)
        self.db.commit()
        return dump(s.FeedSchema, result)

    @rpc
    @transactional
    def list_feeds(self):
        return dump(s.FeedListSchema, feeds.listing(self.db, self._viewer()))

    @rpc
    @transactional
    def revoke_feed(self, feed_id):
        data = load(s.FeedIdIn(), {"feed_id": feed_id})
        feeds.revoke(self.db, self._viewer(), **data)
        self.db.commit()
        return {"revoked": data["feed_id"]}

    @rpc(anonymous=True)
    @transactional
    def feed_ics(self, token):
        """A calendar client's fetch: the secret token is the credential (no sign-in); the
        owner's rights are checked now (``feeds.fetch``)."""
        data = load(s.TokenIn(), {"token": token})
        result = feeds.fetch(self.db, data["token"], self.clock(), self._active, self._names)
        self.db.commit()
        return dump(s.IcsSchema, result)
