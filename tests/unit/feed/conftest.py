"""Unit tier for feed: the real service class, a real database, no broker.

The read model is fed exactly as in production: the handlers are called with
signed ``Envelope`` message bodies. ``world`` builds four communities like the
access table's (A private with a guest, B private, C open, S secret) and the
people of the table's columns.
"""
from __future__ import annotations

from datetime import timedelta

import pytest
from nameko.testing.services import worker_factory

from parvis_contracts import events as ev
from parvis_contracts.context import KIND_PERSON, KIND_SYSTEM, Caller
from parvis_contracts.db import session_factory
from parvis_contracts.events import Envelope
from services.feed.models import metadata
from services.feed.service import FeedService
from tests.support import FakeClock, unit_engine


def person(user_id, roles=("member",), guest=False):
    return Caller(kind=KIND_PERSON, user_id=user_id, org_id="org-guest" if guest else "org-host",
                  roles=frozenset(roles), guest=guest)


class World:
    def __init__(self, Session, clock):
        self.Session = Session
        self.clock = clock
        self.sessions = []
        # the people of the access table
        self.admin = person("p-admin", roles=("admin", "member"))
        self.manager = person("p-manager")
        self.member = person("p-member")
        self.other_member = person("p-other")
        self.employee = person("p-employee")
        self.guest = person("p-guest", guest=True)
        self.outsider_guest = person("p-guest-2", guest=True)

    def session(self):
        for old in self.sessions:
            old.close()
        s = self.Session()
        self.sessions.append(s)
        return s

    def svc(self, caller=None):
        return worker_factory(FeedService, db=self.session(),
                              caller=caller if caller is not None else Caller(kind=KIND_SYSTEM),
                              clock=self.clock)

    def deliver(self, event, data):
        body = Envelope.new(event, data).to_message()
        handler = {
            ev.COMMUNITIES_COMMUNITY_CREATED: "on_community_created",
            ev.COMMUNITIES_COMMUNITY_UPDATED: "on_community_updated",
            ev.COMMUNITIES_COMMUNITY_ARCHIVED: "on_community_archived",
            ev.COMMUNITIES_COMMUNITY_REOPENED: "on_community_reopened",
            ev.COMMUNITIES_MEMBER_ADDED: "on_member_added",
            ev.COMMUNITIES_MEMBER_REMOVED: "on_member_removed",
            ev.COMMUNITIES_MEMBER_ROLE_CHANGED: "on_member_role_changed",
        }[event]
        getattr(self.svc(), handler)(body)
        return body

    def community(self, cid, visibility="private", archived=False, history=True,
                  event=ev.COMMUNITIES_COMMUNITY_CREATED, name=None):
        return self.deliver(event, {
            "community_id": cid, "name": name or f"Community {cid}", "kind": "team",
            "visibility": visibility, "archived": archived, "newcomers_see_history": history,
            "languages": ["en"], "allowed_org_ids": []})

    def join(self, cid, caller, role="member", joined_at=None):
        return self.deliver(ev.COMMUNITIES_MEMBER_ADDED, {
            "community_id": cid, "user_id": caller.user_id, "role": role,
            "guest": caller.guest,
            "joined_at": (joined_at or self.clock.now).isoformat()})

    def leave(self, cid, caller):
        return self.deliver(ev.COMMUNITIES_MEMBER_REMOVED,
                            {"community_id": cid, "user_id": caller.user_id})

    def post(self, caller, cid="A", body="Hello", kind="message"):
        return self.svc(caller).create_post(community_id=cid, body=body, kind=kind)

    def close(self):
        for s in self.sessions:
            s.close()


@pytest.fixture
def clock():
    return FakeClock(tick=timedelta(milliseconds=1))


@pytest.fixture
def engine(tmp_path):
    yield from unit_engine(tmp_path, "feed", metadata)


@pytest.fixture
def world(engine, clock):
    w = World(session_factory(engine, metadata), clock)
    w.engine = engine
    w.community("A", "private")
    w.community("B", "private")
    w.community("C", "open")
    w.community("S", "secret")
    w.join("A", w.manager, role="manager")
    w.join("A", w.member)
    w.join("A", w.other_member)
    w.join("A", w.guest)
    for cid in ("B", "C", "S"):
        w.join(cid, w.manager, role="manager")
    yield w
    w.close()
