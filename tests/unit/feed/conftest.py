"""Unit tier for feed: the real service class, a real database, no broker.

The read model is fed exactly as in production: the handlers are called with
signed ``Envelope`` message bodies. ``world`` builds four communities like the
access table's (A private with a guest, B private, C open, S secret) and the
people of the table's columns.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from parvis_contracts.db import session_factory
from services.feed.models import metadata
from services.feed.service import FeedService
from tests.support import AccessTableWorld, FakeClock, build_access_table, unit_engine


class World(AccessTableWorld):
    service_class = FeedService
    versioned = False  # the read-model tests give their own versions

    def post(self, caller, cid="A", body="Hello", kind="message"):
        return self.svc(caller).create_post(community_id=cid, body=body, kind=kind)


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
    yield build_access_table(w)
    w.close()
