"""Unit tier for documents: the real service class, a real database, no broker.

The read model is fed exactly as in production: the inherited membership
handlers get signed ``Envelope`` message bodies. ``world`` builds the access
table's communities (A private with a guest, B private, C open, S secret) and
its people; ``world.upload`` stages bytes in the blob store the way the gateway
does, then calls the service with the staged reference.
"""
from __future__ import annotations

import io
from datetime import timedelta

import pytest
from nameko.testing.services import worker_factory

from parvis_contracts import events as ev
from parvis_contracts.blobs import MemoryBlobStore
from parvis_contracts.context import KIND_PERSON, KIND_SYSTEM, Caller
from parvis_contracts.db import session_factory
from parvis_contracts.events import Envelope
from services.documents.models import metadata
from services.documents.service import DocumentsService
from tests.support import FakeClock, unit_engine


PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 64
PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n%%EOF\n"
TEXT = "Compte rendu de la réunion\nligne 2\n".encode()

HANDLERS = {
    ev.COMMUNITIES_COMMUNITY_CREATED: "on_community_created",
    ev.COMMUNITIES_COMMUNITY_UPDATED: "on_community_updated",
    ev.COMMUNITIES_COMMUNITY_ARCHIVED: "on_community_archived",
    ev.COMMUNITIES_COMMUNITY_REOPENED: "on_community_reopened",
    ev.COMMUNITIES_MEMBER_ADDED: "on_member_added",
    ev.COMMUNITIES_MEMBER_REMOVED: "on_member_removed",
    ev.COMMUNITIES_MEMBER_ROLE_CHANGED: "on_member_role_changed",
}


def person(user_id, roles=("member",), guest=False):
    return Caller(kind=KIND_PERSON, user_id=user_id, org_id="org-guest" if guest else "org-host",
                  roles=frozenset(roles), guest=guest)


def as_dict(staged) -> dict:
    if isinstance(staged, dict):
        return dict(staged)
    return {"key": staged.key, "sha256": staged.sha256, "size": staged.size}


class World:
    def __init__(self, Session, clock, store):
        self.Session = Session
        self.clock = clock
        self.store = store
        self.sessions = []
        self.version = 0
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
        return worker_factory(DocumentsService, db=self.session(),
                              caller=caller if caller is not None else Caller(kind=KIND_SYSTEM),
                              clock=self.clock, blobs=self.store)

    def deliver(self, event, data):
        self.version += 1
        body = Envelope.new(event, {**data, "version": self.version}).to_message()
        getattr(self.svc(), HANDLERS[event])(body)
        return body

    def community(self, cid, visibility="private", archived=False,
                  event=ev.COMMUNITIES_COMMUNITY_CREATED):
        return self.deliver(event, {
            "community_id": cid, "name": f"Community {cid}", "kind": "team",
            "visibility": visibility, "archived": archived, "newcomers_see_history": True,
            "languages": ["en"], "allowed_org_ids": []})

    def join(self, cid, caller, role="member"):
        return self.deliver(ev.COMMUNITIES_MEMBER_ADDED, {
            "community_id": cid, "user_id": caller.user_id, "role": role,
            "guest": caller.guest, "joined_at": self.clock.now.isoformat()})

    def leave(self, cid, caller):
        return self.deliver(ev.COMMUNITIES_MEMBER_REMOVED,
                            {"community_id": cid, "user_id": caller.user_id})

    def stage(self, data: bytes) -> dict:
        return as_dict(self.store.stage(io.BytesIO(data), 10 ** 9))

    def upload(self, caller, name="report.pdf", data=PDF, cid="A", folder_id=None, comment=""):
        return self.svc(caller).create_document(community_id=cid, folder_id=folder_id,
                                                name=name, staged=self.stage(data),
                                                comment=comment)

    def new_version(self, caller, document_id, data, comment="", name=None):
        return self.svc(caller).add_version(document_id=document_id, staged=self.stage(data),
                                            comment=comment, name=name)

    def read(self, sha256: str) -> bytes:
        return b"".join(self.store.open_range(sha256))

    def close(self):
        for s in self.sessions:
            s.close()


@pytest.fixture
def clock():
    return FakeClock(tick=timedelta(milliseconds=1))


@pytest.fixture
def engine(tmp_path):
    yield from unit_engine(tmp_path, "documents", metadata)


@pytest.fixture
def store():
    return MemoryBlobStore()


@pytest.fixture
def world(engine, clock, store):
    w = World(session_factory(engine, metadata), clock, store)
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
