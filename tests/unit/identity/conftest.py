"""Unit tier for identity: the real service class, a real SQLite database, no broker.

``world`` builds a network (host company, admin, partner organisation) through
the service's own RPC methods, called with ``worker_factory`` and a caller.
The clock is injectable, so time-based rules are tested without sleeping.
"""

from __future__ import annotations

import pytest
from nameko.testing.services import worker_factory

from parvis_contracts.context import KIND_PERSON, KIND_SYSTEM, Caller
from parvis_contracts.db import session_factory
from services.identity.models import metadata
from services.identity.service import IdentityService
from tests.support import FakeClock, UnitWorld, unit_engine

PASSWORD = "correct horse battery"


class World(UnitWorld):
    def __init__(self, Session, clock):
        super().__init__(Session, clock)
        self.system = Caller(kind=KIND_SYSTEM)

    def svc(self, caller=None, session_id=None):
        """A worker of the identity service acting for ``caller`` (a person dict or Caller)."""
        if isinstance(caller, dict):
            caller = Caller(
                kind=KIND_PERSON,
                user_id=caller["id"],
                org_id=caller["org_id"],
                guest=caller["guest"],
                session_id=session_id,
            )
        return worker_factory(
            IdentityService, db=self.session(), caller=caller or self.system, clock=self.clock
        )

    def person(self, name, org_id=None, roles=None, password=PASSWORD, **kw):
        email = kw.pop("email", None) or name.lower().replace(" ", ".") + "@example.com"
        result = self.svc().admin_create_person(
            email=email, display_name=name, org_id=org_id, roles=roles, password=password, **kw
        )
        return result["person"]

    def join(self, community_id, person):
        from parvis_contracts import events as ev
        from parvis_contracts.events import Envelope

        body = Envelope.new(
            ev.COMMUNITIES_MEMBER_ADDED, {"community_id": community_id, "user_id": person["id"]}
        ).to_message()
        self.svc(caller=None).on_member_added(body)
        return body


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def engine(tmp_path):
    yield from unit_engine(tmp_path, "identity", metadata)


@pytest.fixture
def world(engine, clock):
    w = World(session_factory(engine, metadata), clock)
    boot = w.svc().bootstrap(
        host_name="Acme",
        host_country="FR",
        admin_email="Admin@Acme.example",
        admin_password=PASSWORD,
        admin_name="Ada Admin",
    )
    w.host = boot["organisation"]
    w.admin = boot["admin"]
    w.partner = w.svc().create_organisation(name="Partner Co", kind="partner", country="DE")
    yield w
    w.close()
