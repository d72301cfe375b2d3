"""Unit tier for translation: the real service class and database, the in-memory engine.

The in-memory backend (``backends.memory``) is a real implementation of the
backend interface with word-for-word dictionaries; it stands in for Apertium
here only. The service tier runs against the real APy server.
"""

from __future__ import annotations

import pytest
from nameko.testing.services import worker_factory

from parvis_contracts.context import KIND_PERSON, KIND_SYSTEM, Caller
from parvis_contracts.db import session_factory
from services.translation.backends.memory import MemoryBackend
from services.translation.engine import Engine
from services.translation.models import metadata
from services.translation.service import TranslationService
from services.translation.settings import Settings
from tests.support import FakeClock, unit_engine

FR_CA = {
    "bonjour": "bon dia",
    "voici": "heus aquí",
    "le": "el",
    "rapport": "informe",
    "sur": "sobre",
    "projet": "projecte",
    "merci": "gràcies",
    "et": "i",
    "la": "la",
    "réunion": "reunió",
    "lien": "enllaç",
    "grand": "gran",
}
CA_EN = {
    "bon": "good",
    "dia": "morning",
    "heus": "here",
    "aquí": "is",
    "el": "the",
    "informe": "report",
    "sobre": "on",
    "projecte": "project",
    "gràcies": "thanks",
    "i": "and",
    "la": "the",
    "reunió": "meeting",
    "enllaç": "link",
    "gran": "big",
}


def person(user_id="p-1", roles=("member",), guest=False):
    return Caller(kind=KIND_PERSON, user_id=user_id, org_id="org-1", roles=frozenset(roles), guest=guest)


def memory_engine(**settings) -> Engine:
    apertium_like = MemoryBackend(
        {("fr", "ca"): FR_CA, ("ca", "en"): CA_EN, ("en", "ca"): {}, ("ca", "fr"): {}},
        chains=True,
        name="apertium",
    )
    values = {"PARVIS_TRANSLATION_DETECT_ACCURACY": "low"}
    values.update(settings)
    return Engine(Settings.from_mapping(values), backends={"apertium": apertium_like})


class World:
    def __init__(self, Session, engine, clock):
        self.Session = Session
        self.engine = engine
        self.clock = clock
        self.sessions = []
        self.member = person("p-member")
        self.guest = person("p-guest", guest=True)
        self.admin = person("p-admin", roles=("admin", "member"))
        self.gcm = person("p-gcm", roles=("global_community_manager", "member"))

    @property
    def backend(self) -> MemoryBackend:
        return self.engine.backends["apertium"]

    def session(self):
        s = self.Session()
        self.sessions.append(s)
        return s

    def svc(self, caller=None):
        return worker_factory(
            TranslationService,
            db=self.session(),
            caller=caller if caller is not None else Caller(kind=KIND_SYSTEM),
            clock=self.clock,
            engine=self.engine,
        )

    def close(self):
        for s in self.sessions:
            s.close()


@pytest.fixture
def db_engine(tmp_path):
    yield from unit_engine(tmp_path, "translation", metadata)


@pytest.fixture
def world(db_engine):
    w = World(session_factory(db_engine, metadata), memory_engine(), FakeClock())
    w.db_engine = db_engine
    yield w
    w.close()
