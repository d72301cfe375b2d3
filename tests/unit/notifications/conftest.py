"""Unit tier for notifications: the real service class, a real database, no broker.

Events reach the handlers as signed ``Envelope`` bodies, as in production: the membership
read model through ``AccessTableWorld`` (A private with a manager, two members and a guest;
B private, C open, S secret), the feed's and communities' events through :meth:`World.event`.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from parvis_contracts.db import session_factory
from parvis_contracts.events import Envelope
from services.notifications.models import metadata
from services.notifications.plugin import SERVICE
from services.notifications.service import NotificationsService
from tests.support import AccessTableWorld, FakeClock, build_access_table, unit_engine

HANDLERS = dict(SERVICE.handles)


class World(AccessTableWorld):
    service_class = NotificationsService

    def event(self, event, **data):
        """Hand ``event`` to the service's handler of it; answers the message body (so a
        test can deliver the very same message again)."""
        body = Envelope.new(event, data).to_message()
        self.redeliver(event, body)
        return body

    def redeliver(self, event, body):
        getattr(self.svc(), HANDLERS[event])(body)

    def inbox(self, caller, **kwargs):
        return self.svc(caller).list_notifications(**kwargs)["items"]

    def unread(self, caller) -> int:
        return self.svc(caller).unread_count()["unread"]


@pytest.fixture
def clock():
    return FakeClock(tick=timedelta(milliseconds=1))


@pytest.fixture
def engine(tmp_path):
    yield from unit_engine(tmp_path, "notifications", metadata)


@pytest.fixture
def world(engine, clock):
    w = World(session_factory(engine, metadata), clock)
    w.engine = engine
    yield build_access_table(w)
    w.close()
