"""Unit tier for the agenda: the real service class, a real database, no broker.

The membership read model is fed by signed ``Envelope`` bodies, as in production
(``AccessTableWorld``: A private with a manager, two members and a guest; B private, C open,
S secret). Identity is a small fake that answers ``mail_profiles`` as the platform's would:
names, time zones, and whether a person may still sign in. SQLite, or PostgreSQL with
``PARVIS_TEST_DB=postgresql``.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from parvis_contracts.db import session_factory
from parvis_contracts.errors import ParvisError
from services.agenda.models import metadata
from services.agenda.service import AgendaService
from tests.support import AccessTableWorld, FakeClock, build_access_table, unit_engine


class FakeIdentity:
    """identity.mail_profiles for the people of the world (all in Paris unless told)."""

    def __init__(self):
        self.zones: dict[str, str | None] = {}
        self.inactive: set[str] = set()
        self.asked = 0

    def mail_profiles(self, person_ids):
        self.asked += 1
        return {
            pid: {
                "email": f"{pid}@example.com",
                "display_name": f"Name of {pid}",
                "language": "en",
                "time_zone": self.zones.get(pid, "Europe/Paris"),
                "active": pid not in self.inactive,
            }
            for pid in person_ids
        }


class World(AccessTableWorld):
    service_class = AgendaService

    def __init__(self, Session, clock):
        super().__init__(Session, clock)
        self.identity = FakeIdentity()

    def dependencies(self) -> dict:
        return {"identity": self.identity}

    def create(self, caller=None, cid="A", **fields):
        """An event of ``cid`` made by ``caller`` (the manager), next month at 10:00 in Paris."""
        data = {
            "title": "Quarterly seminar",
            "time_zone": "Europe/Paris",
            "start": "2026-07-01T10:00",
            "end": "2026-07-01T12:00",
            **fields,
        }
        return self.svc(caller or self.manager).create_event(community_id=cid, **data)

    def refused(self, call, *args, **kwargs) -> ParvisError:
        with pytest.raises(ParvisError) as caught:
            call(*args, **kwargs)
        return caught.value


@pytest.fixture
def clock():
    return FakeClock(tick=timedelta(milliseconds=1))


@pytest.fixture
def engine(tmp_path):
    yield from unit_engine(tmp_path, "agenda", metadata)


@pytest.fixture
def world(engine, clock):
    w = World(session_factory(engine, metadata), clock)
    w.engine = engine
    yield build_access_table(w)
    w.close()
