"""Unit tier for communities: the real service class, a real database, no broker.

``world`` builds the communities of contracts/parvis_contracts/authz_rules.yaml through the service's own RPC
methods (called with ``worker_factory`` and a caller): **A** private with a guest
invited, **B** private without guests, **C** open, **S** secret. Identity is a fake
holding people's cards (what ``identity.people_cards`` answers).
"""

from __future__ import annotations

import pytest
from nameko.testing.services import worker_factory
from sqlalchemy import select

from parvis_contracts.context import KIND_PERSON, KIND_SYSTEM, Caller
from parvis_contracts.db import session_factory
from services.communities.models import metadata
from services.communities.service import CommunitiesService
from tests.support import FakeClock, UnitWorld, unit_engine

HOST, PARTNER, OTHER = "org-host", "org-partner", "org-other"


class FakeIdentity:
    """``people_cards`` as identity answers it: ``{id: card}`` for the ids it knows."""

    def __init__(self):
        self.cards = {}
        self.calls = []

    def add(self, caller: Caller, status="active"):
        self.cards[caller.user_id] = {
            "id": caller.user_id,
            "org_id": caller.org_id,
            "guest": caller.guest,
            "status": status,
        }

    def people_cards(self, person_ids):
        self.calls.append(list(person_ids))
        return {pid: self.cards[pid] for pid in person_ids if pid in self.cards}


def person(user_id, org_id=HOST, guest=False, roles=("member",)):
    return Caller(kind=KIND_PERSON, user_id=user_id, org_id=org_id, guest=guest, roles=frozenset(roles))


class World(UnitWorld):
    def __init__(self, Session, clock):
        super().__init__(Session, clock)
        self.identity = FakeIdentity()
        self.system = Caller(kind=KIND_SYSTEM)
        self.admin = person("u-admin", roles=("admin", "member"))
        self.manager = person("u-manager")  # manager of A (and creator of all four)
        self.member = person("u-member")  # member of A
        self.outsider = person("u-outsider")  # employee, in none of them
        self.guest = person("u-guest", PARTNER, guest=True)  # guest invited to A
        self.stranger = person("u-stranger", OTHER, guest=True)  # guest of an org not allowed
        for who in (self.admin, self.manager, self.member, self.outsider, self.guest, self.stranger):
            self.identity.add(who)

    def svc(self, caller):
        return worker_factory(
            CommunitiesService, db=self.session(), caller=caller, clock=self.clock, identity=self.identity
        )

    def create(self, caller=None, **kw):
        args = {"name": "Some community", "kind": "team", **kw}
        return self.svc(caller or self.manager).create_community(**args)

    def add_member(self, community, caller, by=None):
        by = by or self.manager
        self.svc(by).invite(community_id=community["id"], person_id=caller.user_id)
        return self.svc(caller).accept_invitation(community_id=community["id"])

    def outbox(self):
        t = metadata.tables["outbox"]
        return [(r.event_type, r.payload) for r in self.session().execute(select(t).order_by(t.c.id))]


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def engine(tmp_path):
    yield from unit_engine(tmp_path, "communities", metadata)


@pytest.fixture
def world(engine, clock):
    w = World(session_factory(engine, metadata), clock)
    w.A = w.create(name="Alpha private", visibility="private", allowed_org_ids=[PARTNER])
    w.B = w.create(name="Bravo private", visibility="private")
    w.C = w.create(name="Charlie open", visibility="open")
    w.S = w.create(name="Sierra secret", visibility="secret")
    w.add_member(w.A, w.member)
    w.add_member(w.A, w.guest)
    yield w
    w.close()
